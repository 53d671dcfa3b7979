// SPDX-License-Identifier: GPL-2.0
#include "vdevices/i8042.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <string.h>

#define DATA 0x60
#define CMD 0x64
#define STR_OBF 0x01
#define STR_SYSFLAG 0x04
#define STR_CMD 0x08
#define STR_UNLOCKED 0x10
#define STR_AUXDATA 0x20

struct fake_irq {
	bool level;
	unsigned rises;
};

static void fake_irq_set(void *opaque, unsigned pin, bool level)
{
	struct fake_irq *irq = opaque;

	if (level && !irq->level)
		irq->rises++;
	irq->level = level;
}

struct kbc_rig {
	struct io_bus bus;
	struct fake_irq kbd, aux;
	struct i8042 *kbc;
	unsigned resets;
	unsigned set_seen_in_reset;
};

static void rig_system_reset(void *opaque)
{
	struct kbc_rig *rig = opaque;

	rig->resets++;
	/* Takes the device lock: proves the callback runs without it. */
	rig->set_seen_in_reset = i8042_keyboard_scancode_set(rig->kbc);
}

static bool rig_init(struct kbc_rig *rig)
{
	memset(rig, 0, sizeof(*rig));
	io_bus_init(&rig->bus, "pio");
	rig->kbc = i8042_create(&rig->bus, (struct irq_line){ fake_irq_set, &rig->kbd, 1 },
				(struct irq_line){ fake_irq_set, &rig->aux, 12 }, rig_system_reset,
				rig);
	return rig->kbc;
}

static void rig_fini(struct kbc_rig *rig)
{
	i8042_vdev_ops.destroy(rig->kbc);
	io_bus_free(&rig->bus);
}

static uint8_t in8(struct kbc_rig *rig, uint16_t port)
{
	uint64_t v = 0;

	io_bus_read(&rig->bus, port, 1, &v);
	return v;
}

static void out8(struct kbc_rig *rig, uint16_t port, uint8_t v)
{
	io_bus_write(&rig->bus, port, 1, v);
}

/* The next byte of the output buffer, or -1 if it is empty. */
static int next_byte(struct kbc_rig *rig)
{
	if (!(in8(rig, CMD) & STR_OBF))
		return -1;
	return in8(rig, DATA);
}

static int command(struct kbc_rig *rig, uint8_t cmd)
{
	out8(rig, CMD, cmd);
	return next_byte(rig);
}

static void set_ctr(struct kbc_rig *rig, uint8_t ctr)
{
	out8(rig, CMD, 0x60);
	out8(rig, DATA, ctr);
}

TEST(i8042_controller_self_test_and_config_byte)
{
	struct kbc_rig rig;

	CHECK(rig_init(&rig));
	CHECK_EQ(in8(&rig, CMD), STR_UNLOCKED);
	CHECK_EQ(command(&rig, 0xaa), 0x55);
	CHECK(in8(&rig, CMD) & STR_SYSFLAG);
	CHECK(in8(&rig, CMD) & STR_CMD);
	CHECK_EQ(command(&rig, 0xab), 0x00);
	CHECK_EQ(command(&rig, 0xa9), 0x00);
	CHECK_EQ(command(&rig, 0x20), 0x45);
	set_ctr(&rig, 0x47);
	CHECK(!(in8(&rig, CMD) & STR_CMD));
	CHECK_EQ(command(&rig, 0x20), 0x47);
	CHECK_EQ(command(&rig, 0xa7), -1);
	CHECK_EQ(command(&rig, 0x20), 0x67);
	command(&rig, 0xa8);
	command(&rig, 0xad);
	CHECK_EQ(command(&rig, 0x20), 0x57);
	command(&rig, 0xae);
	CHECK_EQ(command(&rig, 0x20), 0x47);
	/* Controller RAM beyond the config byte. */
	out8(&rig, CMD, 0x61);
	out8(&rig, DATA, 0x99);
	CHECK_EQ(command(&rig, 0x21), 0x99);
	/* Linux's AUX loop test: the byte comes back as aux data. */
	out8(&rig, CMD, 0xd3);
	out8(&rig, DATA, 0x5a);
	CHECK_EQ(in8(&rig, CMD) & (STR_OBF | STR_AUXDATA), STR_OBF | STR_AUXDATA);
	CHECK_EQ(in8(&rig, DATA), 0x5a);
	CHECK_EQ(next_byte(&rig), -1);
	out8(&rig, CMD, 0xd2);
	out8(&rig, DATA, 0x1c);
	CHECK_EQ(in8(&rig, CMD) & (STR_OBF | STR_AUXDATA), STR_OBF);
	CHECK_EQ(in8(&rig, DATA), 0x1c);
	CHECK_EQ(command(&rig, 0xd0) & 0x03, 0x03);
	CHECK_EQ(command(&rig, 0xa4), 0xf1);
	CHECK_EQ(rig.resets, 0);
	rig_fini(&rig);
}

static bool expect(struct kbc_rig *rig, const int *bytes, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (next_byte(rig) != bytes[i])
			return false;
	return next_byte(rig) == -1;
}

#define EXPECT(rig, ...)                                                           \
	CHECK(expect(rig, (const int[]){ __VA_ARGS__ },                            \
		     sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int)))

TEST(i8042_keyboard_reset_identify_and_commands)
{
	struct kbc_rig rig;

	CHECK(rig_init(&rig));
	out8(&rig, DATA, 0xff);
	EXPECT(&rig, 0xfa, 0xaa);
	out8(&rig, DATA, 0xf2);
	EXPECT(&rig, 0xfa, 0xab, 0x41); /* translated: 0x83 reads as 0x41 */
	set_ctr(&rig, 0x01);
	out8(&rig, DATA, 0xf2);
	EXPECT(&rig, 0xfa, 0xab, 0x83);
	out8(&rig, DATA, 0xf0);
	out8(&rig, DATA, 0x00);
	EXPECT(&rig, 0xfa, 0xfa, 0x02);
	out8(&rig, DATA, 0xf0);
	out8(&rig, DATA, 0x03);
	EXPECT(&rig, 0xfa, 0xfa);
	CHECK_EQ(i8042_keyboard_scancode_set(rig.kbc), 3);
	out8(&rig, DATA, 0xf0);
	out8(&rig, DATA, 0x07);
	EXPECT(&rig, 0xfa, 0xfe);
	out8(&rig, DATA, 0xed);
	out8(&rig, DATA, 0x07);
	EXPECT(&rig, 0xfa, 0xfa);
	out8(&rig, DATA, 0xf3);
	out8(&rig, DATA, 0x20);
	EXPECT(&rig, 0xfa, 0xfa);
	/* A command where a parameter was due is a new command. */
	out8(&rig, DATA, 0xed);
	out8(&rig, DATA, 0xf4);
	EXPECT(&rig, 0xfa, 0xfa);
	out8(&rig, DATA, 0xee);
	EXPECT(&rig, 0xee);
	out8(&rig, DATA, 0x12);
	EXPECT(&rig, 0xfe);
	out8(&rig, DATA, 0xf6);
	EXPECT(&rig, 0xfa);
	CHECK_EQ(i8042_keyboard_scancode_set(rig.kbc), 2);
	out8(&rig, DATA, 0xfe);
	EXPECT(&rig, 0xfa);
	rig_fini(&rig);
}

TEST(i8042_keyboard_input_translates_to_set_1)
{
	static const uint8_t press_release_a[] = { 0x1c, 0xf0, 0x1c };
	static const uint8_t f7[] = { 0x83 };
	struct kbc_rig rig;

	CHECK(rig_init(&rig));
	i8042_keyboard_input(rig.kbc, press_release_a, sizeof(press_release_a));
	EXPECT(&rig, 0x1e, 0x9e);
	i8042_keyboard_input(rig.kbc, f7, sizeof(f7));
	EXPECT(&rig, 0x41);
	set_ctr(&rig, 0x01);
	i8042_keyboard_input(rig.kbc, press_release_a, sizeof(press_release_a));
	EXPECT(&rig, 0x1c, 0xf0, 0x1c);
	/* A disabled interface holds the bytes; disabled scanning drops them. */
	command(&rig, 0xad);
	i8042_keyboard_input(rig.kbc, f7, sizeof(f7));
	CHECK_EQ(next_byte(&rig), -1);
	out8(&rig, CMD, 0xae);
	EXPECT(&rig, 0x83);
	out8(&rig, DATA, 0xf5);
	EXPECT(&rig, 0xfa);
	i8042_keyboard_input(rig.kbc, f7, sizeof(f7));
	CHECK_EQ(next_byte(&rig), -1);
	/* The keyboard buffer is bounded. */
	out8(&rig, DATA, 0xf4);
	EXPECT(&rig, 0xfa);
	for (unsigned i = 0; i < 100; i++)
		i8042_keyboard_input(rig.kbc, press_release_a, sizeof(press_release_a));
	for (unsigned i = 0; i < 1 + 16; i++) /* the output buffer, then the keyboard's */
		CHECK(next_byte(&rig) >= 0);
	CHECK_EQ(next_byte(&rig), -1);
	rig_fini(&rig);
}

TEST(i8042_reset_line_calls_back_without_the_lock)
{
	struct kbc_rig rig;

	CHECK(rig_init(&rig));
	out8(&rig, CMD, 0xff); /* pulses nothing */
	CHECK_EQ(rig.resets, 0);
	out8(&rig, CMD, 0xd1);
	out8(&rig, DATA, 0xdf); /* A20 on, reset line high */
	CHECK_EQ(rig.resets, 0);
	out8(&rig, CMD, 0xfe);
	CHECK_EQ(rig.resets, 1);
	CHECK_EQ(rig.set_seen_in_reset, 2);
	out8(&rig, CMD, 0xf0);
	CHECK_EQ(rig.resets, 2);
	out8(&rig, CMD, 0xd1);
	out8(&rig, DATA, 0xde);
	CHECK_EQ(rig.resets, 3);
	/* The reset itself is the machine's business: the device still answers. */
	CHECK_EQ(command(&rig, 0xaa), 0x55);
	rig_fini(&rig);
}

TEST(i8042_irqs_follow_output_buffer_and_config)
{
	static const uint8_t keys[] = { 0x1c, 0x32 };
	struct kbc_rig rig;

	CHECK(rig_init(&rig));
	set_ctr(&rig, 0x43); /* both interrupts, translation */
	i8042_keyboard_input(rig.kbc, keys, sizeof(keys));
	CHECK(rig.kbd.level);
	CHECK_EQ(rig.kbd.rises, 1);
	CHECK_EQ(in8(&rig, DATA), 0x1e);
	/* The next byte is a new edge. */
	CHECK(rig.kbd.level);
	CHECK_EQ(rig.kbd.rises, 2);
	CHECK_EQ(in8(&rig, DATA), 0x30);
	CHECK(!rig.kbd.level);
	CHECK(!rig.aux.level);
	/* Mouse replies raise IRQ12 only. */
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xf2);
	CHECK(rig.aux.level);
	CHECK(!rig.kbd.level);
	CHECK_EQ(in8(&rig, CMD) & STR_AUXDATA, STR_AUXDATA);
	CHECK_EQ(in8(&rig, DATA), 0xfa);
	CHECK_EQ(rig.aux.rises, 2);
	CHECK_EQ(in8(&rig, DATA), 0x00);
	CHECK(!rig.aux.level);
	/* Interrupts off: data waits without a line; turning them on raises it. */
	set_ctr(&rig, 0x40);
	i8042_keyboard_input(rig.kbc, keys, 1);
	CHECK(!rig.kbd.level);
	set_ctr(&rig, 0x41);
	CHECK(rig.kbd.level);
	CHECK_EQ(in8(&rig, DATA), 0x1e);
	CHECK(!rig.kbd.level);
	/* Controller replies interrupt as keyboard data. */
	out8(&rig, CMD, 0x20);
	CHECK(rig.kbd.level);
	CHECK_EQ(in8(&rig, DATA), 0x41);
	CHECK(!rig.kbd.level);
	rig_fini(&rig);
}

TEST(i8042_mouse_answers_psmouse_probe)
{
	struct kbc_rig rig;

	CHECK(rig_init(&rig));
	set_ctr(&rig, 0x47);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xff);
	EXPECT(&rig, 0xfa, 0xaa, 0x00);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xf2);
	EXPECT(&rig, 0xfa, 0x00);
	/* IntelliMouse knock: rates 200, 100, 80, then the ID stays 0. */
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t rates[] = { 200, 100, 80 };

		out8(&rig, CMD, 0xd4);
		out8(&rig, DATA, 0xf3);
		out8(&rig, CMD, 0xd4);
		out8(&rig, DATA, rates[i]);
		EXPECT(&rig, 0xfa, 0xfa);
	}
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xf2);
	EXPECT(&rig, 0xfa, 0x00);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xe8);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0x03);
	EXPECT(&rig, 0xfa, 0xfa);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xf4);
	EXPECT(&rig, 0xfa);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xe9);
	EXPECT(&rig, 0xfa, 0x20, 0x03, 80);
	/* Unknown commands are refused the PS/2 way. */
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xe1);
	EXPECT(&rig, 0xfe);
	/* Wrap mode echoes until reset-wrap. */
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xee);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0x42);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xec);
	EXPECT(&rig, 0xfa, 0x42, 0xfa);
	/* The aux interface disabled holds mouse bytes back. */
	command(&rig, 0xa7);
	out8(&rig, CMD, 0xd4);
	out8(&rig, DATA, 0xf2);
	CHECK_EQ(next_byte(&rig), -1);
	out8(&rig, CMD, 0xa8);
	EXPECT(&rig, 0xfa, 0x00);
	rig_fini(&rig);
}

TEST(i8042_survives_hostile_port_traffic)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	static const uint8_t keys[] = { 0xe0, 0xf0, 0x75, 0x83 };
	uint32_t seed = 4242;
	struct kbc_rig rig;
	unsigned drained;

	CHECK(rig_init(&rig));
	for (unsigned i = 0; i < 200000; i++) {
		unsigned size;
		uint16_t port;
		uint64_t v;

		seed = seed * 1103515245 + 12345;
		port = ((seed & 0x100) ? CMD : DATA) - ((seed >> 9) & 1); /* and the byte below */
		size = sizes[(seed >> 12) & 3];
		v = seed >> 16;
		if ((seed & 0x3000) == 0x3000)
			i8042_keyboard_input(rig.kbc, keys, (seed >> 20) & 3);
		else if (seed & 0x800)
			io_bus_write(&rig.bus, port, size, v);
		else
			io_bus_read(&rig.bus, port, size, &v);
	}
	/* Everything queued drains in a bounded number of reads. */
	command(&rig, 0xae);
	command(&rig, 0xa8);
	for (drained = 0; drained < 100 && next_byte(&rig) >= 0; drained++)
		;
	CHECK(drained <= 1 + 3 * 16);
	CHECK_EQ(next_byte(&rig), -1);
	CHECK(!rig.kbd.level && !rig.aux.level);
	CHECK_EQ(command(&rig, 0xaa), 0x55);
	rig_fini(&rig);
}

static int load_state(struct i8042 *kbc, const struct state_writer *w)
{
	struct state_reader r, sec;
	int ret;

	state_reader_init(&r, w->buf, w->len);
	ret = state_find_section(&r, "i8042", &sec);
	return ret ? ret : i8042_vdev_ops.load(kbc, &sec);
}

/* Saves rig's state with one u64 field replaced and loads it into a fresh device. */
static bool saved_with(struct kbc_rig *rig, const char *name, uint64_t value, int want)
{
	struct state_writer w;
	struct kbc_rig fresh;
	int ret;

	state_writer_init(&w);
	i8042_vdev_ops.save(rig->kbc, &w);
	if (!state_patch_u64(w.buf, w.len, name, value) || !rig_init(&fresh)) {
		state_writer_free(&w);
		return false;
	}
	ret = load_state(fresh.kbc, &w);
	state_writer_free(&w);
	rig_fini(&fresh);
	return ret == want;
}

TEST(i8042_saves_and_loads_state)
{
	static const uint8_t keys[] = { 0x1c, 0x32, 0x21 };
	struct kbc_rig a, b;
	struct state_writer w;

	CHECK(rig_init(&a));
	CHECK(rig_init(&b));
	set_ctr(&a, 0x43);
	out8(&a, DATA, 0xf0);
	out8(&a, DATA, 0x01);
	EXPECT(&a, 0xfa, 0xfa);
	out8(&a, DATA, 0xf0);
	out8(&a, DATA, 0x02);
	EXPECT(&a, 0xfa, 0xfa);
	out8(&a, DATA, 0xed); /* a keyboard command waiting for its parameter */
	EXPECT(&a, 0xfa);
	out8(&a, CMD, 0xd4);
	out8(&a, DATA, 0xf3);
	EXPECT(&a, 0xfa);
	i8042_keyboard_input(a.kbc, keys, sizeof(keys));
	in8(&a, DATA);
	out8(&a, CMD, 0xd3);
	out8(&a, DATA, 0x77);

	state_writer_init(&w);
	i8042_vdev_ops.save(a.kbc, &w);
	CHECK_EQ(w.error, 0);
	CHECK_EQ(load_state(b.kbc, &w), 0);
	state_writer_free(&w);
	CHECK(b.kbd.level);
	EXPECT(&b, 0x30, 0x77, 0x2e);
	out8(&b, DATA, 0x02); /* the LED parameter */
	EXPECT(&b, 0xfa);
	out8(&b, CMD, 0xd4);
	out8(&b, DATA, 40); /* the rate parameter */
	EXPECT(&b, 0xfa);
	CHECK_EQ(i8042_keyboard_scancode_set(b.kbc), 2);

	/* A bad version, a missing or a hostile field is refused. */
	state_writer_init(&w);
	state_begin(&w, "i8042", 2);
	state_end(&w);
	CHECK_EQ(load_state(b.kbc, &w), -EINVAL);
	state_writer_free(&w);
	state_writer_init(&w);
	state_begin(&w, "i8042", 1);
	state_put_u64(&w, "kbd_set", 2);
	state_end(&w);
	CHECK_EQ(load_state(b.kbc, &w), -EINVAL);
	state_writer_free(&w);
	CHECK(saved_with(&a, "kbd_set", 0, -EINVAL));
	CHECK(saved_with(&a, "kbd_set", 4, -EINVAL));
	CHECK(saved_with(&a, "kbd_q_len", 17, -EINVAL));
	CHECK(saved_with(&a, "kbd_q_len", 2, -EINVAL)); /* disagrees with the bytes */
	CHECK(saved_with(&a, "pending", 0x42, -EINVAL));
	CHECK(saved_with(&a, "obf", 2, -EINVAL));
	CHECK(saved_with(&a, "mouse_pending", 0xe8, 0));

	i8042_vdev_ops.reset(b.kbc);
	CHECK_EQ(next_byte(&b), -1);
	CHECK_EQ(command(&b, 0x20), 0x41);
	rig_fini(&a);
	rig_fini(&b);
}
