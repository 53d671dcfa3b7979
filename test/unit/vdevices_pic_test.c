// SPDX-License-Identifier: GPL-2.0
#include "vdevices/pic.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

struct pic_fake_cpu {
	struct pic *pic;
	bool level;
	unsigned changes;
	bool ack_on_raise; /* acknowledge from inside the callback, as an eager CPU would */
	uint8_t last_vector;
	pthread_mutex_t lock;
};

static void fake_pic_output_changed(void *opaque, bool level)
{
	struct pic_fake_cpu *cpu = opaque;

	pthread_mutex_lock(&cpu->lock);
	cpu->level = level;
	cpu->changes++;
	pthread_mutex_unlock(&cpu->lock);
	if (level && cpu->ack_on_raise)
		cpu->last_vector = pic_acknowledge(cpu->pic);
}

static const struct irq_sink_ops fake_sink_ops = { .pic_output_changed = fake_pic_output_changed };

struct pic_machine {
	struct io_bus pio;
	struct pic_fake_cpu cpu;
	struct irq_sink sink;
	struct pic *pic;
};

static bool pic_machine_init(struct pic_machine *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->cpu.lock, NULL);
	io_bus_init(&m->pio, "pio");
	m->sink = (struct irq_sink){ &fake_sink_ops, &m->cpu };
	m->pic = pic_create(&m->pio, &m->sink);
	m->cpu.pic = m->pic;
	return m->pic != NULL;
}

static void pic_machine_free(struct pic_machine *m)
{
	pic_vdev_ops.destroy(m->pic);
	io_bus_free(&m->pio);
	pthread_mutex_destroy(&m->cpu.lock);
}

static uint8_t inb(struct pic_machine *m, uint16_t port)
{
	uint64_t v;

	io_bus_read(&m->pio, port, 1, &v);
	return v;
}

static void outb(struct pic_machine *m, uint16_t port, uint8_t value)
{
	io_bus_write(&m->pio, port, 1, value);
}

/* What Linux's init_8259A() writes. */
static void linux_init_8259a(struct pic_machine *m)
{
	outb(m, 0x21, 0xff);
	outb(m, 0xa1, 0xff);
	outb(m, 0x20, 0x11);
	outb(m, 0x21, 0x20);
	outb(m, 0x21, 0x04);
	outb(m, 0x21, 0x01);
	outb(m, 0xa0, 0x11);
	outb(m, 0xa1, 0x28);
	outb(m, 0xa1, 0x02);
	outb(m, 0xa1, 0x01);
	outb(m, 0x21, 0xfb);
	outb(m, 0xa1, 0xff);
}

static uint8_t read_isr(struct pic_machine *m, uint16_t port)
{
	uint8_t v;

	outb(m, port, 0x0b);
	v = inb(m, port);
	outb(m, port, 0x0a);
	return v;
}

TEST(pic_linux_init_timer_and_eoi)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	CHECK_EQ(inb(&m, 0x21), 0xfb);
	CHECK_EQ(inb(&m, 0xa1), 0xff);
	CHECK(!pic_has_interrupt(m.pic));

	pic_set_irq(m.pic, 0, true); /* masked: latched in IRR, no INT */
	CHECK(!m.cpu.level);
	CHECK_EQ(inb(&m, 0x20), 0x01);
	outb(&m, 0x21, 0xfa);
	CHECK(m.cpu.level);
	CHECK_EQ(m.cpu.changes, 1);
	CHECK_EQ(pic_acknowledge(m.pic), 0x20);
	CHECK(!m.cpu.level);
	CHECK_EQ(read_isr(&m, 0x20), 0x01);
	CHECK_EQ(inb(&m, 0x20), 0x00); /* the edge was consumed */

	/* A new edge while IRQ0 is in service waits for the EOI. */
	pic_set_irq(m.pic, 0, false);
	pic_set_irq(m.pic, 0, true);
	CHECK(!m.cpu.level);
	outb(&m, 0x20, 0x20);
	CHECK(m.cpu.level);
	CHECK_EQ(pic_acknowledge(m.pic), 0x20);
	outb(&m, 0x20, 0x60); /* specific EOI for IR0 */
	CHECK_EQ(read_isr(&m, 0x20), 0x00);
	CHECK(!m.cpu.level);
	pic_machine_free(&m);
}

TEST(pic_cascade_through_slave)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	outb(&m, 0xa1, 0xef); /* unmask IRQ12 */
	pic_set_irq(m.pic, 12, true);
	CHECK(m.cpu.level);
	CHECK_EQ(inb(&m, 0x20) & 0x04, 0x04); /* the master sees the slave on IR2 */
	CHECK_EQ(pic_acknowledge(m.pic), 0x2c);
	CHECK(!m.cpu.level);
	CHECK_EQ(read_isr(&m, 0x20), 0x04);
	CHECK_EQ(read_isr(&m, 0xa0), 0x10);
	outb(&m, 0xa0, 0x20);
	outb(&m, 0x20, 0x20);
	CHECK_EQ(read_isr(&m, 0x20), 0);
	CHECK_EQ(read_isr(&m, 0xa0), 0);

	/* A masked cascade input hides the slave entirely. */
	pic_set_irq(m.pic, 12, false);
	pic_set_irq(m.pic, 12, true);
	CHECK(m.cpu.level);
	outb(&m, 0x21, 0xff);
	CHECK(!m.cpu.level);
	CHECK_EQ(pic_acknowledge(m.pic), 0x27); /* spurious IRQ7 */
	CHECK_EQ(read_isr(&m, 0x20), 0);
	pic_machine_free(&m);
}

TEST(pic_priority_nesting_and_rotation)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	outb(&m, 0x21, 0x00);
	pic_set_irq(m.pic, 3, true);
	pic_set_irq(m.pic, 1, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x21);
	CHECK(!m.cpu.level); /* IR3 is lower than IR1 in service */
	pic_set_irq(m.pic, 0, true);
	CHECK(m.cpu.level); /* IR0 nests above IR1 */
	CHECK_EQ(pic_acknowledge(m.pic), 0x20);
	CHECK_EQ(read_isr(&m, 0x20), 0x03);
	outb(&m, 0x20, 0x20); /* non-specific EOI clears the highest: IR0 */
	CHECK_EQ(read_isr(&m, 0x20), 0x02);
	outb(&m, 0x20, 0x20);
	CHECK_EQ(pic_acknowledge(m.pic), 0x23);
	outb(&m, 0x20, 0x20);

	/* Set priority: IR3 lowest, so IR4 is now the highest and beats IR1. */
	outb(&m, 0x20, 0xc3);
	pic_set_irq(m.pic, 1, false);
	pic_set_irq(m.pic, 1, true);
	pic_set_irq(m.pic, 4, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x24);
	/* Rotate on non-specific EOI: IR4 becomes lowest, IR5 highest. */
	outb(&m, 0x20, 0xa0);
	pic_set_irq(m.pic, 5, true);
	pic_set_irq(m.pic, 4, false);
	pic_set_irq(m.pic, 4, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x25);
	outb(&m, 0x20, 0xe5); /* rotate on specific EOI 5 */
	CHECK_EQ(pic_acknowledge(m.pic), 0x21);
	pic_machine_free(&m);
}

TEST(pic_elcr_level_inputs)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	outb(&m, 0x4d0, 0xff);
	outb(&m, 0x4d1, 0xff);
	CHECK_EQ(inb(&m, 0x4d0), 0xf8); /* IRQ 0, 1, 2 stay edge */
	CHECK_EQ(inb(&m, 0x4d1), 0xde); /* IRQ 8, 13 stay edge */
	outb(&m, 0x4d0, 0x00);
	outb(&m, 0x4d1, 0x06); /* IRQ 9, 10 level */
	outb(&m, 0xa1, 0xf9);

	pic_set_irq(m.pic, 10, true);
	CHECK(m.cpu.level);
	CHECK_EQ(pic_acknowledge(m.pic), 0x2a);
	CHECK(!m.cpu.level);
	CHECK_EQ(inb(&m, 0xa0), 0x04); /* a level request stays while the line is high */
	outb(&m, 0xa0, 0x20);
	outb(&m, 0x20, 0x20);
	CHECK(m.cpu.level); /* still high after EOI: again */
	pic_set_irq(m.pic, 10, false);
	CHECK(!m.cpu.level);
	CHECK_EQ(inb(&m, 0xa0), 0x00);
	pic_machine_free(&m);
}

TEST(pic_auto_eoi_poll_and_special_mask)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	outb(&m, 0x20, 0x11);
	outb(&m, 0x21, 0x08);
	outb(&m, 0x21, 0x04);
	outb(&m, 0x21, 0x03); /* auto-EOI */
	outb(&m, 0x21, 0xfb & ~0x22);
	pic_set_irq(m.pic, 5, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x0d);
	CHECK_EQ(read_isr(&m, 0x20), 0);

	/* Poll: the read acknowledges and returns 0x80 | level. */
	pic_set_irq(m.pic, 1, true);
	outb(&m, 0x20, 0x0c);
	CHECK_EQ(inb(&m, 0x20), 0x81);
	outb(&m, 0x20, 0x0c);
	CHECK_EQ(inb(&m, 0x20), 0x00);

	/* Special mask mode: masking the level in service lets lower levels through. */
	outb(&m, 0x20, 0x11);
	outb(&m, 0x21, 0x08);
	outb(&m, 0x21, 0x04);
	outb(&m, 0x21, 0x01);
	outb(&m, 0x21, 0x00);
	pic_set_irq(m.pic, 3, false);
	pic_set_irq(m.pic, 3, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x0b);
	pic_set_irq(m.pic, 6, true);
	CHECK(!m.cpu.level);
	outb(&m, 0x21, 0x08);
	outb(&m, 0x20, 0x68);
	CHECK(m.cpu.level);
	CHECK_EQ(pic_acknowledge(m.pic), 0x0e);
	outb(&m, 0x20, 0x48); /* leave special mask mode */
	CHECK_EQ(read_isr(&m, 0x20), 0x48);
	pic_machine_free(&m);
}

static void init_chip(struct pic_machine *m, uint16_t port, uint8_t base, uint8_t icw3,
		      uint8_t icw4)
{
	outb(m, port, 0x11);
	outb(m, port + 1, base);
	outb(m, port + 1, icw3);
	outb(m, port + 1, icw4);
}

TEST(pic_rotate_on_auto_eoi)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	init_chip(&m, 0x20, 0x20, 0x04, 0x03);
	outb(&m, 0x20, 0x80); /* rotate in auto-EOI mode */
	outb(&m, 0x21, 0x00);
	pic_set_irq(m.pic, 1, true);
	pic_set_irq(m.pic, 3, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x21); /* IR1 becomes the lowest priority */
	pic_set_irq(m.pic, 0, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x23);
	CHECK_EQ(pic_acknowledge(m.pic), 0x20);
	CHECK_EQ(read_isr(&m, 0x20), 0);
	pic_machine_free(&m);
}

TEST(pic_special_fully_nested_lets_the_slave_nest)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	for (int sfnm = 0; sfnm <= 1; sfnm++) {
		for (unsigned irq = 8; irq < 16; irq++)
			pic_set_irq(m.pic, irq, false);
		init_chip(&m, 0x20, 0x20, 0x04, sfnm ? 0x11 : 0x01);
		init_chip(&m, 0xa0, 0x28, 0x02, 0x01);
		outb(&m, 0x21, 0xfb);
		outb(&m, 0xa1, 0x00);
		pic_set_irq(m.pic, 10, true);
		CHECK_EQ(pic_acknowledge(m.pic), 0x2a);
		pic_set_irq(m.pic, 9, true); /* higher than IRQ10 on the slave */
		CHECK_EQ(m.cpu.level, sfnm);
		pic_set_irq(m.pic, 11, true); /* lower: never */
		CHECK_EQ(pic_acknowledge(m.pic), sfnm ? 0x29 : 0x27);
	}
	pic_machine_free(&m);
}

TEST(pic_icw1_resets_edge_sense_but_not_levels)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	outb(&m, 0x4d1, 0x02); /* IRQ9 level */
	pic_set_irq(m.pic, 1, true);
	pic_set_irq(m.pic, 9, true);
	CHECK_EQ(inb(&m, 0x20), 0x02);
	CHECK_EQ(inb(&m, 0xa0), 0x02);
	linux_init_8259a(&m);
	CHECK_EQ(inb(&m, 0x20), 0x00); /* IRQ1 must go low and high again */
	CHECK_EQ(inb(&m, 0xa0), 0x02);
	outb(&m, 0x21, 0x00);
	outb(&m, 0xa1, 0xfd);
	CHECK_EQ(pic_acknowledge(m.pic), 0x29);
	pic_set_irq(m.pic, 1, false);
	pic_set_irq(m.pic, 1, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x21);
	pic_machine_free(&m);
}

TEST(pic_spurious_irq7_when_nothing_pending)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	CHECK_EQ(pic_acknowledge(m.pic), 0x27);
	CHECK_EQ(read_isr(&m, 0x20), 0);
	CHECK(!m.cpu.level);
	pic_machine_free(&m);
}

TEST(pic_sink_may_acknowledge_from_its_callback)
{
	struct pic_machine m;

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	outb(&m, 0x21, 0xfa);
	m.cpu.ack_on_raise = true;
	pic_set_irq(m.pic, 0, true);
	CHECK_EQ(m.cpu.last_vector, 0x20);
	CHECK(!m.cpu.level); /* the acknowledge inside the callback lowered INT again */
	CHECK_EQ(m.cpu.changes, 2);
	CHECK(!pic_has_interrupt(m.pic));
	pic_machine_free(&m);
}

struct pic_stress {
	struct pic_machine *m;
	unsigned irq;
};

static void *pic_stress_thread(void *arg)
{
	struct pic_stress *s = arg;

	for (unsigned i = 0; i < 20000; i++) {
		pic_set_irq(s->m->pic, s->irq, i & 1);
		if (i % 3 == 0) {
			pic_acknowledge(s->m->pic);
			io_bus_write(&s->m->pio, s->irq < 8 ? 0x20 : 0xa0, 1, 0x20);
			io_bus_write(&s->m->pio, 0x20, 1, 0x20);
		}
	}
	return NULL;
}

TEST(pic_sink_sees_the_final_level_under_contention)
{
	struct pic_machine m;
	struct pic_stress s[3];
	pthread_t threads[3];
	const unsigned irqs[3] = { 1, 4, 11 };

	CHECK(pic_machine_init(&m));
	linux_init_8259a(&m);
	outb(&m, 0x21, 0x00);
	outb(&m, 0xa1, 0x00);
	for (unsigned i = 0; i < 3; i++) {
		s[i] = (struct pic_stress){ &m, irqs[i] };
		pthread_create(&threads[i], NULL, pic_stress_thread, &s[i]);
	}
	for (unsigned i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	CHECK_EQ(m.cpu.level, pic_has_interrupt(m.pic));
	pic_machine_free(&m);
}

static uint64_t prng_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

TEST(pic_survives_hostile_guest)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x1f, 0x9f, 0x4cf };
	static const unsigned sizes[] = { 1, 2, 3, 4, 8, 0, 16 };
	struct pic_machine m;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, v;

	CHECK(pic_machine_init(&m));
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t r = prng_next(&seed);
		uint16_t port = ports[r % 9];
		unsigned size = sizes[(r >> 8) % 7];

		switch ((r >> 16) % 4) {
		case 0:
			io_bus_write(&m.pio, port, size, r >> 24);
			break;
		case 1:
			io_bus_read(&m.pio, port, size, &v);
			break;
		case 2:
			pic_set_irq(m.pic, (r >> 24) % 40, r >> 40 & 1);
			break;
		default:
			pic_acknowledge(m.pic);
			break;
		}
	}
	/* The guest can always start over. */
	pic_vdev_ops.reset(m.pic);
	for (unsigned irq = 0; irq < 16; irq++)
		pic_set_irq(m.pic, irq, false);
	outb(&m, 0x4d0, 0);
	outb(&m, 0x4d1, 0);
	linux_init_8259a(&m);
	outb(&m, 0x21, 0xfe);
	pic_set_irq(m.pic, 0, true);
	CHECK_EQ(pic_acknowledge(m.pic), 0x20);
	pic_machine_free(&m);
}

static int pic_load_stream(struct pic *pic, const uint8_t *buf, size_t len)
{
	struct state_reader r, sec;
	int ret;

	state_reader_init(&r, buf, len);
	ret = state_find_section(&r, "pic", &sec);
	return ret ? ret : pic_vdev_ops.load(pic, &sec);
}

TEST(pic_save_load_round_trip_and_validation)
{
	struct pic_machine a, b;
	struct state_writer w;
	uint8_t copy[4096];

	CHECK(pic_machine_init(&a));
	CHECK(pic_machine_init(&b));
	linux_init_8259a(&a);
	outb(&a, 0x4d1, 0x0e);
	outb(&a, 0x21, 0xf8);
	outb(&a, 0xa1, 0xf1);
	pic_set_irq(a.pic, 1, true);
	pic_set_irq(a.pic, 9, true);
	CHECK_EQ(pic_acknowledge(a.pic), 0x21);
	pic_set_irq(a.pic, 0, true);
	pic_set_irq(a.pic, 3, true);
	outb(&a, 0x20, 0xc5);
	outb(&a, 0xa0, 0x0b);

	state_writer_init(&w);
	pic_vdev_ops.save(a.pic, &w);
	CHECK_EQ(w.error, 0);
	CHECK(w.len <= sizeof(copy));
	CHECK_EQ(pic_load_stream(b.pic, w.buf, w.len), 0);
	CHECK(b.cpu.level); /* the sink learns the loaded INT */
	for (uint16_t port = 0x20; port <= 0x21; port++)
		CHECK_EQ(inb(&a, port), inb(&b, port));
	for (uint16_t port = 0xa0; port <= 0xa1; port++)
		CHECK_EQ(inb(&a, port), inb(&b, port));
	CHECK_EQ(inb(&b, 0x4d1), 0x0e);
	CHECK_EQ(pic_acknowledge(a.pic), pic_acknowledge(b.pic));
	CHECK_EQ(pic_acknowledge(a.pic), pic_acknowledge(b.pic));

	/* Hostile state files. */
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "master.lowest_priority", 8));
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "slave.elcr", 0x21));
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "master.imr", 0x100));
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "slave.init_step", 4));
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "master.poll", 2));
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "master.input", 0x04));
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	copy[2 + 3 + 4] = 9; /* the section version */
	CHECK_EQ(pic_load_stream(b.pic, copy, w.len), -EINVAL);
	for (size_t cut = 0; cut < w.len; cut += 7)
		CHECK(pic_load_stream(b.pic, w.buf, cut) != 0);

	state_writer_free(&w);
	pic_machine_free(&a);
	pic_machine_free(&b);
}
