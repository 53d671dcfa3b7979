// SPDX-License-Identifier: GPL-2.0
#include "vdevices/pit.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <string.h>

#define PIT_HZ 1193182ULL
#define NS_PER_MS 1000000ULL

static uint16_t pit_latch_read(struct io_bus *bus, unsigned channel)
{
	uint16_t lsb;

	test_outb(bus, 0x43, channel << 6); /* counter latch command */
	lsb = test_inb(bus, 0x40 + channel);
	return lsb | test_inb(bus, 0x40 + channel) << 8;
}

/* What Linux's pit_calibrate_tsc does: channel 2, gated through port 0x61, mode 0. */
static void pit_start_channel2_oneshot(struct io_bus *bus, uint16_t count)
{
	test_outb(bus, 0x61, (test_inb(bus, 0x61) & ~0x02) | 0x01);
	test_outb(bus, 0x43, 0xb0);
	test_outb(bus, 0x42, count & 0xff);
	test_outb(bus, 0x42, count >> 8);
}

TEST(pit_channel2_gated_oneshot_times_like_tsc_calibration)
{
	struct io_bus bus;
	struct pit *pit;
	const uint16_t latch = PIT_HZ / 50; /* 20 ms */
	uint64_t t0, t1;
	unsigned polls = 0;

	io_bus_init(&bus, "pio");
	pit = pit_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(pit);
	pit_start_channel2_oneshot(&bus, latch);
	t0 = clock_monotonic_ns();
	CHECK_EQ(test_inb(&bus, 0x61) & 0x21, 0x01); /* gate on, OUT2 still low */
	while (!(test_inb(&bus, 0x61) & 0x20)) {
		polls++;
		CHECK(clock_monotonic_ns() - t0 < 1000 * NS_PER_MS);
	}
	t1 = clock_monotonic_ns();
	CHECK(polls > 0);
	CHECK(t1 - t0 >= 19900000);
	CHECK(t1 - t0 < 120 * NS_PER_MS);
	/* OUT stays high after terminal count, as the read-back status says too. */
	test_outb(&bus, 0x43, 0xe8);
	CHECK_EQ(test_inb(&bus, 0x42), 0xb0);
	pit_vdev_ops.destroy(pit);
	CHECK_EQ(bus.count, 0);
	io_bus_free(&bus);
}

TEST(pit_counter_counts_down_at_input_clock_rate)
{
	struct io_bus bus;
	struct pit *pit;
	uint64_t t0a, t0b, t1a, t1b;
	uint16_t v0, v1;

	io_bus_init(&bus, "pio");
	pit = pit_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(pit);
	/*
	 * Start at 0xffff and latch, then read LSB and MSB: a latched count is one instant,
	 * so a preemption between the two reads (a loaded machine) cannot tear it.
	 */
	pit_start_channel2_oneshot(&bus, 0xffff);
	t0a = clock_monotonic_ns();
	v0 = pit_latch_read(&bus, 2);
	t0b = clock_monotonic_ns();
	sleep_ns(10 * NS_PER_MS);
	t1a = clock_monotonic_ns();
	v1 = pit_latch_read(&bus, 2);
	t1b = clock_monotonic_ns();
	/* Both reads fall inside measured windows: the ticks between them are bracketed. */
	CHECK(t1b - t0a < 50 * NS_PER_MS);
	CHECK(v1 < v0);
	CHECK((uint64_t)(v0 - v1) <= (t1b - t0a) * PIT_HZ / 1000000000 + 2);
	CHECK((uint64_t)(v0 - v1) + 2 >= (t1a - t0b) * PIT_HZ / 1000000000);
	pit_vdev_ops.destroy(pit);
	io_bus_free(&bus);
}

TEST(pit_gate_low_pauses_mode0)
{
	struct io_bus bus;
	struct pit *pit;
	uint16_t v0, v1;

	io_bus_init(&bus, "pio");
	pit = pit_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(pit);
	pit_start_channel2_oneshot(&bus, 0x8000);
	sleep_ns(NS_PER_MS);
	test_outb(&bus, 0x61, 0x00); /* gate off */
	v0 = pit_latch_read(&bus, 2);
	sleep_ns(5 * NS_PER_MS);
	v1 = pit_latch_read(&bus, 2);
	CHECK_EQ(v0, v1);
	CHECK(v0 < 0x8000);
	test_outb(&bus, 0x61, 0x01);
	sleep_ns(2 * NS_PER_MS);
	CHECK(pit_latch_read(&bus, 2) < v1);
	pit_vdev_ops.destroy(pit);
	io_bus_free(&bus);
}

TEST(pit_channel0_mode2_pulses_irq0_periodically)
{
	struct io_bus bus;
	struct test_loop tl;
	struct irq_probe irq;
	struct pit *pit;
	const uint16_t count = PIT_HZ / 100; /* 10 ms */
	uint16_t v0, v1;
	uint64_t t0, t1;
	unsigned pulses;

	io_bus_init(&bus, "pio");
	CHECK(test_loop_start(&tl));
	pit = pit_create(&bus, tl.loop, irq_probe_line(&irq, 0));
	CHECK(pit);
	test_outb(&bus, 0x43, 0x34); /* channel 0, LSB then MSB, mode 2 */
	test_outb(&bus, 0x40, count & 0xff);
	test_outb(&bus, 0x40, count >> 8);
	t0 = clock_monotonic_ns();
	v0 = pit_latch_read(&bus, 0);
	sleep_ns(2 * NS_PER_MS);
	v1 = pit_latch_read(&bus, 0);
	t1 = clock_monotonic_ns();
	CHECK(v0 >= 1 && v0 <= count);
	CHECK(v1 >= 1 && v1 <= count);
	CHECK(v1 < v0 || t1 - t0 > 8 * NS_PER_MS);
	sleep_ns(103 * NS_PER_MS);
	pulses = atomic_load(&irq.rises);
	t1 = clock_monotonic_ns();
	/* One per 10 ms elapsed, fewer if the loop thread was starved, never more. */
	CHECK(pulses <= (t1 - t0) / (10 * NS_PER_MS));
	CHECK(pulses >= 4);
	CHECK(!atomic_load(&irq.level)); /* pulses leave the line low */
	/* Reprogramming to a count-down mode stops the periodic interrupt. */
	test_outb(&bus, 0x43, 0x30);
	pulses = atomic_load(&irq.rises);
	sleep_ns(25 * NS_PER_MS);
	CHECK_EQ(atomic_load(&irq.rises), pulses);
	test_loop_stop(&tl);
	pit_vdev_ops.destroy(pit);
	test_loop_destroy(&tl);
	io_bus_free(&bus);
}

TEST(pit_channel0_oneshot_modes_pulse_once)
{
	struct io_bus bus;
	struct test_loop tl;
	struct irq_probe irq;
	struct pit *pit;
	const uint16_t count = PIT_HZ / 50; /* 20 ms */
	uint64_t t0;

	io_bus_init(&bus, "pio");
	CHECK(test_loop_start(&tl));
	pit = pit_create(&bus, tl.loop, irq_probe_line(&irq, 0));
	CHECK(pit);
	/* Linux's one-shot clockevent: mode 4. */
	test_outb(&bus, 0x43, 0x38);
	test_outb(&bus, 0x40, count & 0xff);
	test_outb(&bus, 0x40, count >> 8);
	t0 = clock_monotonic_ns();
	sleep_ns(2 * NS_PER_MS);
	CHECK(atomic_load(&irq.rises) == 0 || clock_monotonic_ns() - t0 > 19 * NS_PER_MS);
	sleep_ns(40 * NS_PER_MS);
	CHECK_EQ(atomic_load(&irq.rises), 1);
	/* Mode 0, re-armed by a new count before it expires: still one interrupt. */
	test_outb(&bus, 0x43, 0x30);
	test_outb(&bus, 0x40, count & 0xff);
	test_outb(&bus, 0x40, count >> 8);
	sleep_ns(5 * NS_PER_MS);
	test_outb(&bus, 0x40, count & 0xff);
	test_outb(&bus, 0x40, count >> 8);
	sleep_ns(50 * NS_PER_MS);
	CHECK_EQ(atomic_load(&irq.rises), 2);
	test_loop_stop(&tl);
	pit_vdev_ops.destroy(pit);
	test_loop_destroy(&tl);
	io_bus_free(&bus);
}

TEST(pit_read_back_latches_status_then_count)
{
	struct io_bus bus;
	struct pit *pit;
	uint16_t count, live;

	io_bus_init(&bus, "pio");
	pit = pit_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(pit);
	test_outb(&bus, 0x61, 0x01);
	test_outb(&bus, 0x43, 0xb0);
	/* Control word written, no count yet: NULL COUNT, OUT low in mode 0. */
	test_outb(&bus, 0x43, 0xe8); /* read-back: status only, channel 2 */
	CHECK_EQ(test_inb(&bus, 0x42), 0x70);
	test_outb(&bus, 0x42, 0x00);
	test_outb(&bus, 0x42, 0x80);
	test_outb(&bus, 0x43, 0xc8); /* read-back: status and count, channel 2 */
	test_outb(&bus, 0x43, 0xc8); /* a second latch before reading is ignored */
	CHECK_EQ(test_inb(&bus, 0x42), 0x30);
	count = test_inb(&bus, 0x42);
	count |= test_inb(&bus, 0x42) << 8;
	CHECK(count <= 0x8000 && count > 0x1000);
	/* Count only, channels 0 and 2 at once (channel 0 was never programmed). */
	test_outb(&bus, 0x43, 0xda);
	count = test_inb(&bus, 0x42);
	count |= test_inb(&bus, 0x42) << 8;
	CHECK(count <= 0x8000 && count > 0x1000);
	/* A latched count is held: the live counter moves on, the latch does not. */
	test_outb(&bus, 0x43, 0x80);
	sleep_ns(2 * NS_PER_MS);
	count = test_inb(&bus, 0x42);
	count |= test_inb(&bus, 0x42) << 8;
	live = test_inb(&bus, 0x42);
	live |= test_inb(&bus, 0x42) << 8;
	CHECK(live + 2000 < count);
	pit_vdev_ops.destroy(pit);
	io_bus_free(&bus);
}

TEST(pit_byte_access_modes_and_square_wave)
{
	struct io_bus bus;
	struct pit *pit;
	bool saw_high = false, saw_low = false;
	uint64_t t0;

	io_bus_init(&bus, "pio");
	pit = pit_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(pit);
	test_outb(&bus, 0x61, 0x01);
	/* LSB only, mode 3: a count of 0x80 is a 107 us square wave. */
	test_outb(&bus, 0x43, 0x96);
	test_outb(&bus, 0x42, 0x80);
	CHECK(test_inb(&bus, 0x42) <= 0x80); /* one byte per read: the LSB */
	CHECK(test_inb(&bus, 0x42) <= 0x80);
	t0 = clock_monotonic_ns();
	while (!(saw_high && saw_low) && clock_monotonic_ns() - t0 < 200 * NS_PER_MS) {
		if (test_inb(&bus, 0x61) & 0x20)
			saw_high = true;
		else
			saw_low = true;
	}
	CHECK(saw_high && saw_low);
	/* Gate low holds OUT high in mode 3. */
	test_outb(&bus, 0x61, 0x00);
	for (int i = 0; i < 100; i++)
		CHECK(test_inb(&bus, 0x61) & 0x20);
	/* MSB only, mode 0: reads give the MSB. */
	test_outb(&bus, 0x61, 0x01);
	test_outb(&bus, 0x43, 0xa0);
	test_outb(&bus, 0x42, 0xf0);
	CHECK(test_inb(&bus, 0x42) <= 0xf0);
	CHECK(test_inb(&bus, 0x42) >= 0x80);
	pit_vdev_ops.destroy(pit);
	io_bus_free(&bus);
}

TEST(pit_bcd_counts_in_decimal)
{
	struct io_bus bus;
	struct pit *pit;
	uint16_t v;
	uint64_t t0;

	io_bus_init(&bus, "pio");
	pit = pit_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(pit);
	test_outb(&bus, 0x61, 0x01);
	test_outb(&bus, 0x43, 0xb1); /* channel 2, mode 0, BCD */
	test_outb(&bus, 0x42, 0x00);
	test_outb(&bus, 0x42, 0x90); /* 9000: 7.5 ms */
	t0 = clock_monotonic_ns();
	sleep_ns(NS_PER_MS);
	v = pit_latch_read(&bus, 2);
	CHECK(v < 0x9000 || clock_monotonic_ns() - t0 > 7 * NS_PER_MS);
	for (int i = 0; i < 4; i++)
		CHECK(((v >> (4 * i)) & 0xf) <= 9);
	/* A count that is not BCD must not upset anything. */
	test_outb(&bus, 0x42, 0xff);
	test_outb(&bus, 0x42, 0xff);
	v = pit_latch_read(&bus, 2);
	for (int i = 0; i < 4; i++)
		CHECK(((v >> (4 * i)) & 0xf) <= 9);
	pit_vdev_ops.destroy(pit);
	io_bus_free(&bus);
}

TEST(pit_hostile_programming_cannot_spin_the_loop)
{
	struct io_bus bus;
	struct test_loop tl;
	struct irq_probe irq;
	struct pit *pit;
	uint64_t seed = 0x8254, v;
	unsigned pulses;

	io_bus_init(&bus, "pio");
	CHECK(test_loop_start(&tl));
	pit = pit_create(&bus, tl.loop, irq_probe_line(&irq, 0));
	CHECK(pit);
	for (int i = 0; i < 20000; i++) {
		uint16_t port = 0x3e + test_rand(&seed) % 0x26;
		unsigned size = 1u << (test_rand(&seed) % 4);
		uint64_t value = (uint64_t)test_rand(&seed) << 32 | test_rand(&seed);

		if (test_rand(&seed) & 1)
			io_bus_write(&bus, port, size, value);
		else
			io_bus_read(&bus, port, size, &v);
	}
	/* The fastest rate a guest can ask for: mode 2 with a count of 1, then 2. */
	test_outb(&bus, 0x43, 0x14);
	test_outb(&bus, 0x40, 1);
	sleep_ns(10 * NS_PER_MS);
	test_outb(&bus, 0x40, 2);
	pulses = atomic_load(&irq.rises);
	sleep_ns(50 * NS_PER_MS);
	pulses = atomic_load(&irq.rises) - pulses;
	/* Clamped to one per 10 us at most. */
	CHECK(pulses <= 5500);
	test_loop_stop(&tl);
	pit_vdev_ops.destroy(pit);
	test_loop_destroy(&tl);
	io_bus_free(&bus);
}

static int pit_save_to(struct pit *pit, struct state_writer *w)
{
	state_writer_init(w);
	pit_vdev_ops.save(pit, w);
	return w->error;
}

static int pit_load_from(struct pit *pit, const struct state_writer *w)
{
	struct state_reader r, sec;
	int ret;

	state_reader_init(&r, w->buf, w->len);
	ret = state_find_section(&r, "pit", &sec);
	return ret ? ret : pit_vdev_ops.load(pit, &sec);
}

TEST(pit_save_load_round_trip)
{
	struct io_bus bus_a, bus_b;
	struct pit *a, *b;
	struct state_writer w;
	uint16_t latched, v;

	io_bus_init(&bus_a, "pio");
	io_bus_init(&bus_b, "pio");
	a = pit_create(&bus_a, NULL, (struct irq_line){ 0 });
	b = pit_create(&bus_b, NULL, (struct irq_line){ 0 });
	CHECK(a && b);
	pit_start_channel2_oneshot(&bus_a, 0xf000);
	test_outb(&bus_a, 0x43, 0x80);
	latched = test_inb(&bus_a, 0x42); /* half-read latch: the MSB is still to come */
	CHECK_EQ(pit_save_to(a, &w), 0);
	CHECK_EQ(pit_load_from(b, &w), 0);
	latched |= test_inb(&bus_b, 0x42) << 8;
	CHECK(latched <= 0xf000 && latched > 0x4000);
	CHECK_EQ(test_inb(&bus_b, 0x61) & 0x03, 0x01);
	v = pit_latch_read(&bus_b, 2);
	CHECK(v <= latched);
	state_writer_free(&w);

	/* A section of another version, or with a field out of range, is refused. */
	state_writer_init(&w);
	state_begin(&w, "pit", 99);
	state_end(&w);
	CHECK_EQ(pit_load_from(b, &w), -EINVAL);
	state_writer_free(&w);
	CHECK_EQ(pit_save_to(a, &w), 0);
	for (size_t i = 0; i + 7 < w.len; i++)
		if (!memcmp(w.buf + i, "ch1.mode", 8))
			w.buf[i + 8 + 4] = 7; /* the u64 value follows the 4-byte length */
	CHECK_EQ(pit_load_from(b, &w), -EINVAL);
	state_writer_free(&w);
	/* The refused loads left b as it was. */
	CHECK(pit_latch_read(&bus_b, 2) <= v);
	pit_vdev_ops.reset(b);
	CHECK_EQ(test_inb(&bus_b, 0x61) & 0x03, 0);
	pit_vdev_ops.destroy(a);
	pit_vdev_ops.destroy(b);
	io_bus_free(&bus_a);
	io_bus_free(&bus_b);
}
