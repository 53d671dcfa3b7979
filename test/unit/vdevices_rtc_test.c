// SPDX-License-Identifier: GPL-2.0
#include "vdevices/rtc.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000LL

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02

static uint8_t cmos_read(struct io_bus *bus, uint8_t index)
{
	test_outb(bus, 0x70, index);
	return test_inb(bus, 0x71);
}

static void cmos_write(struct io_bus *bus, uint8_t index, uint8_t v)
{
	test_outb(bus, 0x70, index);
	test_outb(bus, 0x71, v);
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t to_bcd(unsigned v)
{
	return (v / 10) << 4 | v % 10;
}

static bool is_bcd(uint8_t v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9;
}

static unsigned decode(bool binary, uint8_t v)
{
	return binary ? v : from_bcd(v);
}

/* Reads the clock as Linux does (UIP clear first), decoding as register B says. */
static time_t rtc_read_clock(struct io_bus *bus, struct tm *tm, unsigned *wday)
{
	uint8_t b = cmos_read(bus, REG_B), hour;
	bool bin = b & B_BINARY;
	uint64_t t0 = clock_monotonic_ns();
	unsigned h12;

	while (cmos_read(bus, REG_A) & 0x80)
		if (clock_monotonic_ns() - t0 > 100 * NS_PER_MS)
			return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_sec = decode(bin, cmos_read(bus, 0x00));
	tm->tm_min = decode(bin, cmos_read(bus, 0x02));
	hour = cmos_read(bus, 0x04);
	if (b & B_24H) {
		tm->tm_hour = decode(bin, hour);
	} else {
		h12 = decode(bin, hour & 0x7f);
		if (h12 < 1 || h12 > 12)
			return -1;
		tm->tm_hour = h12 % 12 + (hour & 0x80 ? 12 : 0);
	}
	*wday = decode(bin, cmos_read(bus, 0x06));
	tm->tm_mday = decode(bin, cmos_read(bus, 0x07));
	tm->tm_mon = decode(bin, cmos_read(bus, 0x08)) - 1;
	tm->tm_year = decode(bin, cmos_read(bus, 0x32)) * 100 + decode(bin, cmos_read(bus, 0x09));
	tm->tm_year -= 1900;
	return timegm(tm);
}

/* time() may read a coarse clock that lags CLOCK_REALTIME, which the RTC follows. */
static time_t host_utc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static bool rtc_clock_matches_host(struct io_bus *bus)
{
	struct tm tm, check;
	unsigned wday;
	time_t before = host_utc_now(), got, after;

	got = rtc_read_clock(bus, &tm, &wday);
	after = host_utc_now();
	gmtime_r(&got, &check);
	return got >= before && got <= after && wday == (unsigned)check.tm_wday + 1;
}

TEST(rtc_reads_host_utc_in_every_format)
{
	struct io_bus bus;
	struct rtc *rtc;

	io_bus_init(&bus, "pio");
	rtc = rtc_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(rtc);
	CHECK_EQ(cmos_read(&bus, REG_B), B_24H);
	CHECK_EQ(cmos_read(&bus, REG_A) & 0x7f, 0x26);
	CHECK_EQ(cmos_read(&bus, REG_D), 0x80);
	for (int i = 0; i <= 9; i++)
		CHECK(is_bcd(cmos_read(&bus, i) & (i == 4 ? 0x7f : 0xff)));
	CHECK(rtc_clock_matches_host(&bus));
	cmos_write(&bus, REG_B, B_24H | B_BINARY);
	CHECK(cmos_read(&bus, 0x00) < 60);
	CHECK(rtc_clock_matches_host(&bus));
	cmos_write(&bus, REG_B, 0); /* BCD, 12-hour */
	CHECK(rtc_clock_matches_host(&bus));
	cmos_write(&bus, REG_B, B_BINARY); /* binary, 12-hour */
	CHECK(rtc_clock_matches_host(&bus));
	rtc_vdev_ops.destroy(rtc);
	CHECK_EQ(bus.count, 0);
	io_bus_free(&bus);
}

TEST(rtc_guest_sets_the_clock)
{
	struct io_bus bus;
	struct rtc *rtc;
	struct tm tm;
	unsigned wday;

	io_bus_init(&bus, "pio");
	rtc = rtc_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(rtc);
	/* As Linux's mc146818_set_time: SET and divider reset, the registers, then release. */
	cmos_write(&bus, REG_B, B_24H | B_SET);
	cmos_write(&bus, REG_A, 0x70 | 0x06);
	cmos_write(&bus, 0x00, 0x30);
	cmos_write(&bus, 0x02, 0x45);
	cmos_write(&bus, 0x04, 0x13);
	cmos_write(&bus, 0x07, 0x15);
	cmos_write(&bus, 0x08, 0x06);
	cmos_write(&bus, 0x09, 0x30);
	cmos_write(&bus, 0x32, 0x20);
	CHECK_EQ(cmos_read(&bus, 0x02), 0x45); /* held while SET */
	CHECK_EQ(cmos_read(&bus, REG_A) & 0x80, 0); /* no update in progress while SET */
	cmos_write(&bus, REG_B, B_24H);
	cmos_write(&bus, REG_A, 0x26);
	CHECK(rtc_read_clock(&bus, &tm, &wday) != -1);
	CHECK_EQ(tm.tm_year, 130);
	CHECK_EQ(tm.tm_mon, 5);
	CHECK_EQ(tm.tm_mday, 15);
	CHECK_EQ(tm.tm_hour, 13);
	CHECK_EQ(tm.tm_min, 45);
	CHECK(tm.tm_sec == 30 || tm.tm_sec == 31);
	CHECK_EQ(wday, 7); /* a Saturday */

	/* Binary and 12-hour: 1 PM reads 0x81; writing 11 PM while running takes effect. */
	cmos_write(&bus, REG_B, B_BINARY);
	CHECK_EQ(cmos_read(&bus, 0x04), 0x81);
	CHECK_EQ(cmos_read(&bus, 0x09), 30);
	CHECK_EQ(cmos_read(&bus, 0x32), 20);
	cmos_write(&bus, 0x04, 0x80 | 11);
	cmos_write(&bus, REG_B, B_24H);
	CHECK_EQ(cmos_read(&bus, 0x04), 0x23);
	/* 12 AM is midnight. */
	cmos_write(&bus, REG_B, 0);
	cmos_write(&bus, 0x04, 0x12);
	cmos_write(&bus, REG_B, B_24H);
	CHECK_EQ(cmos_read(&bus, 0x04), 0x00);

	/* The year 1999 with its century; a day of week the guest chooses sticks. */
	cmos_write(&bus, REG_B, B_24H | B_SET);
	cmos_write(&bus, 0x09, 0x99);
	cmos_write(&bus, 0x32, 0x19);
	cmos_write(&bus, 0x08, 0x12);
	cmos_write(&bus, 0x07, 0x31);
	cmos_write(&bus, 0x06, 0x02);
	cmos_write(&bus, REG_B, B_24H);
	CHECK(rtc_read_clock(&bus, &tm, &wday) != -1);
	CHECK_EQ(tm.tm_year, 99);
	CHECK_EQ(tm.tm_mon, 11);
	CHECK_EQ(tm.tm_mday, 31);
	CHECK_EQ(wday, 2);
	rtc_vdev_ops.destroy(rtc);
	io_bus_free(&bus);
}

/* A saved state to load: the guest's clock phase_ns into a second, register B, alarms. */
struct rtc_image {
	int64_t phase_ns;
	uint8_t b;
	uint8_t alarm[3];	/* seconds, minutes, hours */
	int alarm_ahead;	/* > 0: the seconds alarm this many seconds after load */
	uint32_t version;
	int64_t offset_ns;	/* out: guest time = host CLOCK_REALTIME + offset_ns */
	int64_t guest_sec;	/* out: the guest's second at load */
};

static int rtc_load_image(struct rtc *rtc, struct rtc_image *img)
{
	struct state_writer w;
	struct state_reader r, sec;
	struct timespec host;
	uint8_t cmos[128] = { 0 };
	int ret;

	clock_gettime(CLOCK_REALTIME, &host);
	img->offset_ns = ((img->phase_ns - host.tv_nsec) % NS_PER_S + NS_PER_S) % NS_PER_S;
	img->guest_sec = host.tv_sec + (host.tv_nsec + img->offset_ns >= NS_PER_S);
	cmos[1] = img->alarm[0];
	cmos[3] = img->alarm[1];
	cmos[5] = img->alarm[2];
	if (img->alarm_ahead > 0)
		cmos[1] = to_bcd((img->guest_sec + img->alarm_ahead) % 60);
	cmos[REG_A] = 0x20; /* no periodic rate: PF stays out of the way */
	cmos[REG_B] = img->b;
	state_writer_init(&w);
	state_begin(&w, "rtc", img->version);
	state_put_bytes(&w, "cmos", cmos, sizeof(cmos));
	state_put_u64(&w, "index", 0);
	state_put_u64(&w, "flags", 0);
	state_put_u64(&w, "offset_s", 0);
	state_put_u64(&w, "offset_ns", img->offset_ns);
	state_put_u64(&w, "wday_adjust", 0);
	state_put_u64(&w, "set.sec", 0);
	state_put_u64(&w, "set.min", 0);
	state_put_u64(&w, "set.hour", 0);
	state_put_u64(&w, "set.wday", 1);
	state_put_u64(&w, "set.mday", 1);
	state_put_u64(&w, "set.mon", 1);
	state_put_u64(&w, "set.year", 0);
	state_put_u64(&w, "set.century", 20);
	state_put_u64(&w, "set.wday_written", 0);
	state_end(&w);
	state_reader_init(&r, w.buf, w.len);
	ret = state_find_section(&r, "rtc", &sec);
	if (!ret)
		ret = rtc_vdev_ops.load(rtc, &sec);
	state_writer_free(&w);
	return ret;
}

static struct rtc_image rtc_image_at(int64_t phase_ns, uint8_t b)
{
	return (struct rtc_image){ .phase_ns = phase_ns, .b = b, .version = 1 };
}

/* The guest's time at a host CLOCK_REALTIME instant, for an image loaded with offset_ns. */
static void guest_time_at(const struct timespec *host, int64_t offset_ns, int64_t *sec,
			  int64_t *phase)
{
	int64_t ns = host->tv_nsec + offset_ns;

	*sec = host->tv_sec + ns / NS_PER_S;
	*phase = ns % NS_PER_S;
}

#define UIP_WINDOW_NS 244000

TEST(rtc_uip_precedes_each_update)
{
	struct io_bus bus;
	struct rtc *rtc;
	struct rtc_image img = rtc_image_at(NS_PER_S - 2 * NS_PER_MS, B_24H);
	bool seen_set = false, seen_clear_after = false;

	io_bus_init(&bus, "pio");
	rtc = rtc_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(rtc);
	/*
	 * Sample A and the seconds around a second boundary; judge only samples whose host
	 * time brackets did not straddle an edge (the thread may be preempted at any point).
	 */
	for (int attempt = 0; attempt < 5 && !(seen_set && seen_clear_after); attempt++) {
		uint64_t end = clock_monotonic_ns() + 4 * NS_PER_MS;

		CHECK_EQ(rtc_load_image(rtc, &img), 0);
		while (clock_monotonic_ns() < end) {
			struct timespec h0, h1;
			int64_t s0, p0, s1, p1;
			uint8_t a, sec;
			bool uip0, uip1;

			clock_gettime(CLOCK_REALTIME, &h0);
			a = cmos_read(&bus, REG_A);
			sec = cmos_read(&bus, 0x00);
			clock_gettime(CLOCK_REALTIME, &h1);
			guest_time_at(&h0, img.offset_ns, &s0, &p0);
			guest_time_at(&h1, img.offset_ns, &s1, &p1);
			uip0 = p0 >= NS_PER_S - UIP_WINDOW_NS;
			uip1 = p1 >= NS_PER_S - UIP_WINDOW_NS;
			if (s0 != s1 || uip0 != uip1)
				continue;
			CHECK_EQ(from_bcd(sec), s0 % 60);
			CHECK_EQ(!!(a & 0x80), uip0);
			seen_set |= uip0;
			seen_clear_after |= !uip0 && s0 > img.guest_sec;
		}
	}
	CHECK(seen_set && seen_clear_after);
	rtc_vdev_ops.destroy(rtc);
	io_bus_free(&bus);
}

TEST(rtc_periodic_interrupt_until_c_is_read)
{
	struct io_bus bus;
	struct test_loop tl;
	struct irq_probe irq;
	struct rtc *rtc;
	uint8_t c;

	io_bus_init(&bus, "pio");
	CHECK(test_loop_start(&tl));
	rtc = rtc_create(&bus, tl.loop, irq_probe_line(&irq, 8));
	CHECK(rtc);
	cmos_write(&bus, REG_A, 0x2a); /* 64 Hz */
	cmos_read(&bus, REG_C);
	cmos_write(&bus, REG_B, B_24H | B_PIE);
	CHECK(irq_probe_wait_high(&irq, 200 * NS_PER_MS));
	c = cmos_read(&bus, REG_C);
	CHECK_EQ(c & 0xc0, 0xc0);
	CHECK(!atomic_load(&irq.level)); /* reading C lowered it */
	CHECK(irq_probe_wait_high(&irq, 200 * NS_PER_MS));
	CHECK_EQ(atomic_load(&irq.rises), 2);
	/* Without PIE the flag still rises, but not the line. */
	cmos_write(&bus, REG_B, B_24H);
	CHECK(!atomic_load(&irq.level)); /* PIE cleared: IRQF drops with it */
	cmos_read(&bus, REG_C);
	sleep_ns(40 * NS_PER_MS);
	CHECK(!atomic_load(&irq.level));
	c = cmos_read(&bus, REG_C);
	CHECK_EQ(c & 0xc0, 0x40);
	/* Enabling PIE with PF already set raises the line at once. */
	sleep_ns(40 * NS_PER_MS);
	cmos_write(&bus, REG_B, B_24H | B_PIE);
	CHECK(atomic_load(&irq.level));
	/* The fastest rate (8192 Hz) is bounded and harmless. */
	cmos_write(&bus, REG_A, 0x23);
	sleep_ns(30 * NS_PER_MS);
	CHECK_EQ(cmos_read(&bus, REG_C) & 0xc0, 0xc0);
	cmos_write(&bus, REG_B, B_24H);
	test_loop_stop(&tl);
	rtc_vdev_ops.destroy(rtc);
	test_loop_destroy(&tl);
	io_bus_free(&bus);
}

TEST(rtc_update_ended_and_alarm_interrupts)
{
	struct io_bus bus;
	struct test_loop tl;
	struct irq_probe irq;
	struct rtc *rtc;
	struct rtc_image img;
	uint8_t c;

	io_bus_init(&bus, "pio");
	CHECK(test_loop_start(&tl));
	rtc = rtc_create(&bus, tl.loop, irq_probe_line(&irq, 8));
	CHECK(rtc);

	/* Update-ended: 50 ms before a second boundary. */
	img = rtc_image_at(NS_PER_S - 50 * NS_PER_MS, B_24H | B_UIE);
	CHECK_EQ(rtc_load_image(rtc, &img), 0);
	CHECK(irq_probe_wait_high(&irq, 300 * NS_PER_MS));
	c = cmos_read(&bus, REG_C);
	CHECK_EQ(c & 0x90, 0x90);
	CHECK(!atomic_load(&irq.level));

	/* An alarm of don't-care values goes off at every second. */
	img = rtc_image_at(NS_PER_S - 50 * NS_PER_MS, B_24H | B_AIE);
	img.alarm[0] = 0xc0;
	img.alarm[1] = 0xff;
	img.alarm[2] = 0xc0;
	CHECK_EQ(rtc_load_image(rtc, &img), 0);
	CHECK(irq_probe_wait_high(&irq, 300 * NS_PER_MS));
	c = cmos_read(&bus, REG_C);
	CHECK_EQ(c & 0xa0, 0xa0);

	/* An alarm on the next second only, polled without interrupts. */
	img = rtc_image_at(NS_PER_S - 50 * NS_PER_MS, B_24H);
	img.alarm[1] = 0xc0;
	img.alarm[2] = 0xc0;
	img.alarm_ahead = 1;
	CHECK_EQ(rtc_load_image(rtc, &img), 0);
	sleep_ns(75 * NS_PER_MS);
	CHECK_EQ(cmos_read(&bus, REG_C), 0x30); /* AF and UF, no IRQF */
	CHECK(!atomic_load(&irq.level));
	/* The same alarm 30 s away: the update happens, the alarm does not. */
	img.alarm_ahead = 30;
	CHECK_EQ(rtc_load_image(rtc, &img), 0);
	sleep_ns(75 * NS_PER_MS);
	CHECK_EQ(cmos_read(&bus, REG_C), 0x10);
	test_loop_stop(&tl);
	rtc_vdev_ops.destroy(rtc);
	test_loop_destroy(&tl);
	io_bus_free(&bus);
}

TEST(rtc_nvram_and_fixed_registers)
{
	struct io_bus bus;
	struct rtc *rtc;
	uint64_t v;

	io_bus_init(&bus, "pio");
	rtc = rtc_create(&bus, NULL, (struct irq_line){ 0 });
	CHECK(rtc);
	rtc_set_cmos(rtc, 0x34, 0x5a);
	rtc_set_cmos(rtc, 0x7f, 0xa5);
	rtc_set_cmos(rtc, 0x05, 0x12); /* not NVRAM: ignored */
	rtc_set_cmos(rtc, 0x32, 0x99); /* the century is the clock's */
	rtc_set_cmos(rtc, 200, 0x01);
	CHECK_EQ(cmos_read(&bus, 0x34), 0x5a);
	CHECK_EQ(cmos_read(&bus, 0x80 | 0x7f), 0xa5); /* bit 7 of the index is NMI disable */
	CHECK_EQ(cmos_read(&bus, 0x05), 0x00);
	CHECK(cmos_read(&bus, 0x32) >= 0x20);
	cmos_write(&bus, 0x40, 0x77);
	CHECK_EQ(cmos_read(&bus, 0x40), 0x77);
	cmos_write(&bus, REG_D, 0x00);
	CHECK_EQ(cmos_read(&bus, REG_D), 0x80);
	/* C is read-only; PF and UF may be set (1024 Hz rate, updates), IRQF is not. */
	cmos_write(&bus, REG_C, 0xff);
	CHECK_EQ(cmos_read(&bus, REG_C) & ~0x50, 0x00);
	CHECK_EQ(test_inb(&bus, 0x70), 0xff);
	/* A 16-bit write sets the index and writes the data. */
	io_bus_write(&bus, 0x70, 2, 0x6641);
	CHECK_EQ(cmos_read(&bus, 0x41), 0x66);
	test_outb(&bus, 0x70, 0x41);
	CHECK(io_bus_read(&bus, 0x70, 2, &v));
	CHECK_EQ(v, 0x66ff);
	rtc_vdev_ops.destroy(rtc);
	io_bus_free(&bus);
}

TEST(rtc_hostile_values_stay_sane)
{
	struct io_bus bus;
	struct test_loop tl;
	struct irq_probe irq;
	struct rtc *rtc;
	struct tm tm;
	unsigned wday;
	uint64_t seed = 146818, v;
	static const uint8_t bad[] = { 0xff, 0x00, 0x13, 0x99, 0x7f, 0xaa, 0x80 };

	io_bus_init(&bus, "pio");
	CHECK(test_loop_start(&tl));
	rtc = rtc_create(&bus, tl.loop, irq_probe_line(&irq, 8));
	CHECK(rtc);
	for (int i = 0; i < 20000; i++) {
		uint16_t port = 0x6e + test_rand(&seed) % 6;
		unsigned size = 1u << (test_rand(&seed) % 4);

		if (test_rand(&seed) & 1)
			io_bus_write(&bus, port, size, test_rand(&seed));
		else
			io_bus_read(&bus, port, size, &v);
	}
	/* Invalid BCD, out-of-range months, days and hours, set and unset, in both modes. */
	for (unsigned mode = 0; mode < 2; mode++) {
		for (size_t i = 0; i < sizeof(bad); i++) {
			cmos_write(&bus, REG_B, B_SET | (mode ? B_BINARY : 0));
			for (uint8_t reg = 0; reg <= 9; reg++)
				cmos_write(&bus, reg, bad[i]);
			cmos_write(&bus, 0x32, bad[i]);
			cmos_write(&bus, REG_B, B_24H | (mode ? B_BINARY : 0));
			for (uint8_t reg = 0; reg <= 9; reg++)
				cmos_write(&bus, reg, bad[(i + reg) % sizeof(bad)]);
			cmos_write(&bus, REG_B, B_24H);
			CHECK(rtc_read_clock(&bus, &tm, &wday) != -1);
			CHECK(tm.tm_sec < 60 && tm.tm_min < 60 && tm.tm_hour < 24);
			CHECK(tm.tm_mon >= 0 && tm.tm_mon < 12);
			CHECK(tm.tm_mday >= 1 && tm.tm_mday <= 31);
			CHECK(wday >= 1 && wday <= 7);
		}
	}
	/* A clock set to 9999-12-31 23:59:59 runs on without trouble. */
	cmos_write(&bus, REG_B, B_24H | B_SET);
	cmos_write(&bus, 0x32, 0x99);
	cmos_write(&bus, 0x09, 0x99);
	cmos_write(&bus, 0x08, 0x12);
	cmos_write(&bus, 0x07, 0x31);
	cmos_write(&bus, 0x04, 0x23);
	cmos_write(&bus, 0x02, 0x59);
	cmos_write(&bus, 0x00, 0x59);
	cmos_write(&bus, REG_B, B_24H | B_UIE | B_AIE | B_PIE);
	sleep_ns(20 * NS_PER_MS);
	cmos_read(&bus, REG_C);
	cmos_write(&bus, REG_B, B_24H);
	test_loop_stop(&tl);
	rtc_vdev_ops.destroy(rtc);
	test_loop_destroy(&tl);
	io_bus_free(&bus);
}

TEST(rtc_save_load_round_trip)
{
	struct io_bus bus_a, bus_b;
	struct rtc *a, *b;
	struct state_writer w;
	struct state_reader r, sec;
	struct rtc_image img;
	struct tm tm;
	unsigned wday;

	io_bus_init(&bus_a, "pio");
	io_bus_init(&bus_b, "pio");
	a = rtc_create(&bus_a, NULL, (struct irq_line){ 0 });
	b = rtc_create(&bus_b, NULL, (struct irq_line){ 0 });
	CHECK(a && b);
	rtc_set_cmos(a, 0x35, 0x42);
	cmos_write(&bus_a, REG_B, B_24H | B_SET);
	cmos_write(&bus_a, 0x09, 0x41);
	cmos_write(&bus_a, 0x08, 0x02);
	cmos_write(&bus_a, 0x07, 0x03);
	cmos_write(&bus_a, REG_B, B_24H | B_BINARY);
	cmos_write(&bus_a, 0x01, 0xc0);
	test_outb(&bus_a, 0x70, 0x35);
	state_writer_init(&w);
	rtc_vdev_ops.save(a, &w);
	CHECK_EQ(w.error, 0);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(state_find_section(&r, "rtc", &sec), 0);
	CHECK_EQ(rtc_vdev_ops.load(b, &sec), 0);
	state_writer_free(&w);
	CHECK_EQ(test_inb(&bus_b, 0x71), 0x42); /* the index came along */
	CHECK_EQ(cmos_read(&bus_b, 0x01), 0xc0);
	CHECK_EQ(cmos_read(&bus_b, REG_B), B_24H | B_BINARY);
	CHECK(rtc_read_clock(&bus_b, &tm, &wday) != -1);
	CHECK_EQ(tm.tm_year, 141);
	CHECK_EQ(tm.tm_mon, 1);
	CHECK_EQ(tm.tm_mday, 3);

	/* Refused: another version, a section missing its fields. */
	img = rtc_image_at(0, B_24H);
	img.version = 2;
	CHECK_EQ(rtc_load_image(b, &img), -EINVAL);
	state_writer_init(&w);
	state_begin(&w, "rtc", 1);
	state_put_u64(&w, "index", 0);
	state_end(&w);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(state_find_section(&r, "rtc", &sec), 0);
	CHECK_EQ(rtc_vdev_ops.load(b, &sec), -EINVAL);
	state_writer_free(&w);
	CHECK_EQ(cmos_read(&bus_b, 0x09), 41); /* b is untouched */
	rtc_vdev_ops.reset(b);
	CHECK_EQ(cmos_read(&bus_b, 0x35), 0x42);
	rtc_vdev_ops.destroy(a);
	rtc_vdev_ops.destroy(b);
	io_bus_free(&bus_a);
	io_bus_free(&bus_b);
}
