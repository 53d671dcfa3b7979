// SPDX-License-Identifier: GPL-2.0
/*
 * The MC146818 CMOS real-time clock at 0x70 (index) and 0x71 (data).
 *
 * The guest's wall clock is the host's UTC (CLOCK_REALTIME) plus an offset the guest changes
 * by setting the clock; the time registers are computed from it when read, never ticked.
 * Flags the guest has not asked to be interrupted for (PF, AF, UF) are computed when
 * register C is read; event-loop timers run only while an interrupt is enabled: a periodic
 * one while PIE is set, a once-a-second one while UIE or AIE is set.
 */
#include "vdevices/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/evloop.h"
#include "lib/state.h"

#define RTC_PORT_BASE 0x70
#define RTC_PORT_COUNT 2
#define RTC_CMOS_SIZE 128
#define RTC_STATE_VERSION 1
#define NSEC_PER_SEC 1000000000LL
#define SECS_PER_DAY 86400LL
/* UIP is set this long before each update (the datasheet's minimum warning). */
#define RTC_UIP_NS 244000LL
/* The divider chain is released from reset half a second before the next update. */
#define RTC_DIVIDER_RELEASE_PHASE_NS 500000000LL
/* The guest may set years 0-9999; an offset beyond this is refused on load. */
#define RTC_MAX_OFFSET_S (1LL << 40)

enum rtc_reg {
	RTC_SECONDS = 0x00,
	RTC_SECONDS_ALARM = 0x01,
	RTC_MINUTES = 0x02,
	RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04,
	RTC_HOURS_ALARM = 0x05,
	RTC_DAY_OF_WEEK = 0x06,
	RTC_DAY_OF_MONTH = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
	RTC_NVRAM_FIRST = 0x0e,
	RTC_CENTURY = 0x32,
};

#define RTC_A_UIP 0x80
#define RTC_A_DIVIDER(a) (((a) >> 4) & 7)
#define RTC_A_RATE(a) ((a) & 0x0f)
#define RTC_A_WRITABLE 0x7f
#define RTC_A_DEFAULT 0x26 /* 32.768 kHz time base, 1024 Hz periodic rate */
#define RTC_DIVIDER_RESET_MIN 6 /* divider 110 and 111 hold the chain in reset */

#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01
#define RTC_B_DEFAULT RTC_B_24H

#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10

#define RTC_D_VRT 0x80

#define RTC_HOUR_PM 0x80
#define RTC_ALARM_DONT_CARE 0xc0

/* A broken-down time as the registers hold it: decoded values, not necessarily valid. */
struct rtc_fields {
	unsigned sec, min, hour, wday, mday, mon, year, century;
	bool wday_written;
};

struct rtc {
	pthread_mutex_t lock;
	uint8_t cmos[RTC_CMOS_SIZE];	/* alarms, A's writable bits, B, NVRAM */
	uint8_t index;
	uint8_t flags;			/* register C without IRQF */
	int64_t offset_s;		/* guest UTC = host UTC + offset_s + offset_ns */
	int64_t offset_ns;		/* 0 .. NSEC_PER_SEC - 1 */
	unsigned wday_adjust;		/* the guest's day of week minus the computed one, mod 7 */
	struct rtc_fields set_fields;	/* the registers while SET holds the clock */
	int64_t seen_sec;		/* the last guest second checked for updates and alarms */
	int64_t seen_period;		/* the last periodic tick counted (while no timer runs) */
	bool irq_level;
	struct io_bus *pio;
	struct irq_line irq8;
	struct evloop_timer *periodic_timer;
	struct evloop_timer *update_timer;
	bool periodic_armed;
};

/* A guest time: whole seconds since the epoch and the nanoseconds into the second. */
struct rtc_time {
	int64_t sec;
	int64_t nsec;
};

static struct rtc_time rtc_host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct rtc_time){ ts.tv_sec, ts.tv_nsec };
}

static struct rtc_time rtc_guest_now(const struct rtc *rtc)
{
	struct rtc_time t = rtc_host_now();

	t.sec += rtc->offset_s;
	t.nsec += rtc->offset_ns;
	if (t.nsec >= NSEC_PER_SEC) {
		t.nsec -= NSEC_PER_SEC;
		t.sec++;
	}
	return t;
}

/* Make the guest's clock read sec + nsec now. */
static void rtc_set_guest_time(struct rtc *rtc, int64_t sec, int64_t nsec)
{
	struct rtc_time host = rtc_host_now();

	rtc->offset_s = sec - host.sec;
	rtc->offset_ns = nsec - host.nsec;
	if (rtc->offset_ns < 0) {
		rtc->offset_ns += NSEC_PER_SEC;
		rtc->offset_s--;
	}
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void rtc_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t rtc_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* 1 (Sunday) to 7 (Saturday). */
static unsigned rtc_weekday(int64_t days)
{
	return (unsigned)(days - 7 * rtc_floor_div(days + 4, 7) + 4) + 1;
}

static void rtc_fields_from_time(const struct rtc *rtc, int64_t sec, struct rtc_fields *f)
{
	int64_t days = rtc_floor_div(sec, SECS_PER_DAY), sod = sec - days * SECS_PER_DAY, year;

	rtc_civil_from_days(days, &year, &f->mon, &f->mday);
	f->sec = sod % 60;
	f->min = sod / 60 % 60;
	f->hour = sod / 3600;
	f->wday = (rtc_weekday(days) - 1 + rtc->wday_adjust) % 7 + 1;
	f->year = year % 100;
	f->century = year / 100;
	f->wday_written = false;
}

/*
 * Seconds since the epoch of what the guest wrote. Out-of-range values are folded in: days
 * and hours beyond their range carry into the next month or day, like an overflowing sum.
 */
static int64_t rtc_time_from_fields(const struct rtc_fields *f)
{
	int64_t year = (int64_t)f->century * 100 + f->year;
	unsigned mon = f->mon;

	if (mon < 1)
		mon = 1;
	if (mon > 12)
		mon = 12;
	if (year > 9999)
		year = 9999;
	return rtc_days_from_civil(year, mon, f->mday ? f->mday : 1) * SECS_PER_DAY +
	       (int64_t)f->hour * 3600 + (int64_t)f->min * 60 + f->sec;
}

static bool rtc_binary(const struct rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t rtc_encode(const struct rtc *rtc, unsigned v)
{
	if (rtc_binary(rtc))
		return v;
	v %= 100;
	return (v / 10) << 4 | v % 10;
}

/* Invalid BCD digits are taken at face value: 0xff decodes as 165. */
static unsigned rtc_decode(const struct rtc *rtc, uint8_t v)
{
	return rtc_binary(rtc) ? v : (v >> 4) * 10 + (v & 0xf);
}

static uint8_t rtc_encode_hour(const struct rtc *rtc, unsigned hour)
{
	unsigned h12;

	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_encode(rtc, hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return rtc_encode(rtc, h12) | (hour % 24 >= 12 ? RTC_HOUR_PM : 0);
}

static unsigned rtc_decode_hour(const struct rtc *rtc, uint8_t v)
{
	unsigned h;

	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_decode(rtc, v);
	h = rtc_decode(rtc, v & ~RTC_HOUR_PM) % 12;
	return v & RTC_HOUR_PM ? h + 12 : h;
}

static bool rtc_clock_held(const struct rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_SET;
}

static bool rtc_divider_in_reset(const struct rtc *rtc)
{
	return RTC_A_DIVIDER(rtc->cmos[RTC_REG_A]) >= RTC_DIVIDER_RESET_MIN;
}

/* Updates happen once a second unless SET holds the clock or the divider is in reset. */
static bool rtc_updating(const struct rtc *rtc)
{
	return !rtc_clock_held(rtc) && !rtc_divider_in_reset(rtc);
}

/* Periodic interrupts per second for the rate in register A, 0 when off. */
static unsigned rtc_periodic_hz(const struct rtc *rtc)
{
	unsigned rate = RTC_A_RATE(rtc->cmos[RTC_REG_A]);

	if (!rate || rtc_divider_in_reset(rtc))
		return 0;
	if (rate < 3)
		rate += 7; /* 256 and 128 Hz from a 32.768 kHz time base */
	return 65536 >> rate;
}

static int64_t rtc_period_index(struct rtc_time t, unsigned hz)
{
	return t.sec * hz + t.nsec * hz / NSEC_PER_SEC;
}

/* The guest's clock as the registers show it now. */
static void rtc_current_fields(const struct rtc *rtc, struct rtc_fields *f)
{
	if (rtc_clock_held(rtc))
		*f = rtc->set_fields;
	else
		rtc_fields_from_time(rtc, rtc_guest_now(rtc).sec, f);
}

static bool rtc_alarm_matches(uint8_t alarm, uint8_t now)
{
	return alarm >= RTC_ALARM_DONT_CARE || alarm == now;
}

/* Does the alarm go off at this second of the day? */
static bool rtc_alarm_at(const struct rtc *rtc, int64_t sod)
{
	return rtc_alarm_matches(rtc->cmos[RTC_SECONDS_ALARM], rtc_encode(rtc, sod % 60)) &&
	       rtc_alarm_matches(rtc->cmos[RTC_MINUTES_ALARM], rtc_encode(rtc, sod / 60 % 60)) &&
	       rtc_alarm_matches(rtc->cmos[RTC_HOURS_ALARM], rtc_encode_hour(rtc, sod / 3600));
}

/* Did the alarm go off in the seconds after from, up to and including to? */
static bool rtc_alarm_between(const struct rtc *rtc, int64_t from, int64_t to)
{
	int64_t sod;

	if (to - from > SECS_PER_DAY)
		from = to - SECS_PER_DAY;
	for (int64_t s = from + 1; s <= to; s++) {
		sod = s - rtc_floor_div(s, SECS_PER_DAY) * SECS_PER_DAY;
		if (rtc_alarm_at(rtc, sod))
			return true;
	}
	return false;
}

static void rtc_update_irq(struct rtc *rtc)
{
	uint8_t enabled = rtc->cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
	/* The enable bits of register B line up with the flags of register C. */
	bool level = rtc->flags & enabled;

	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		irq_line_set(&rtc->irq8, level);
	}
}

/* Forget the updates and periodic ticks before now: the clock or its rate changed. */
static void rtc_resync(struct rtc *rtc)
{
	struct rtc_time t = rtc_guest_now(rtc);
	unsigned hz = rtc_periodic_hz(rtc);

	rtc->seen_sec = t.sec;
	rtc->seen_period = hz ? rtc_period_index(t, hz) : 0;
}

/* Raise the flags of the updates, alarms and periodic ticks that happened since last time. */
static void rtc_catch_up(struct rtc *rtc)
{
	struct rtc_time t = rtc_guest_now(rtc);
	unsigned hz = rtc_periodic_hz(rtc);

	if (rtc_updating(rtc) && t.sec > rtc->seen_sec) {
		rtc->flags |= RTC_C_UF;
		if (rtc_alarm_between(rtc, rtc->seen_sec, t.sec))
			rtc->flags |= RTC_C_AF;
	}
	rtc->seen_sec = t.sec;
	if (hz && !rtc->periodic_armed) {
		int64_t index = rtc_period_index(t, hz);

		if (index > rtc->seen_period)
			rtc->flags |= RTC_C_PF;
		rtc->seen_period = index;
	}
	rtc_update_irq(rtc);
}

/* Nanoseconds of CLOCK_MONOTONIC from now until the guest's next second boundary. */
static uint64_t rtc_ns_to_next_second(const struct rtc *rtc)
{
	return NSEC_PER_SEC - rtc_guest_now(rtc).nsec;
}

static void rtc_arm_update_timer(struct rtc *rtc)
{
	bool wanted = rtc->cmos[RTC_REG_B] & (RTC_B_UIE | RTC_B_AIE) && rtc_updating(rtc);

	if (!rtc->update_timer)
		return;
	if (!wanted) {
		evloop_timer_arm(rtc->update_timer, 0, 0);
		return;
	}
	evloop_timer_arm(rtc->update_timer, clock_monotonic_ns() + rtc_ns_to_next_second(rtc), 0);
}

static void rtc_arm_periodic_timer(struct rtc *rtc)
{
	unsigned hz = rtc_periodic_hz(rtc);
	struct rtc_time t;
	uint64_t period, first;

	if (!rtc->periodic_timer)
		return;
	if (!(rtc->cmos[RTC_REG_B] & RTC_B_PIE) || !hz) {
		if (rtc->periodic_armed)
			rtc_resync(rtc);
		rtc->periodic_armed = false;
		evloop_timer_arm(rtc->periodic_timer, 0, 0);
		return;
	}
	/* Ticks fall on multiples of the period in guest time, as the divider chain does. */
	t = rtc_guest_now(rtc);
	period = (NSEC_PER_SEC + hz / 2) / hz;
	first = NSEC_PER_SEC / hz - (uint64_t)t.nsec % (NSEC_PER_SEC / hz);
	rtc->periodic_armed = true;
	evloop_timer_arm(rtc->periodic_timer, clock_monotonic_ns() + first, period);
}

static void rtc_arm_timers(struct rtc *rtc)
{
	rtc_arm_update_timer(rtc);
	rtc_arm_periodic_timer(rtc);
}

static void rtc_periodic_fired(void *opaque)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	if (rtc->periodic_armed) {
		rtc->flags |= RTC_C_PF;
		rtc_update_irq(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_update_fired(void *opaque)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	rtc_catch_up(rtc);
	/* One-shot, re-armed each second: a callback that came early just waits again. */
	rtc_arm_update_timer(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

/* A time register changed: with the clock running, it takes effect at once. */
static void rtc_store_fields(struct rtc *rtc, const struct rtc_fields *f)
{
	int64_t sec;
	struct rtc_fields now;

	if (rtc_clock_held(rtc)) {
		rtc->set_fields = *f;
		return;
	}
	sec = rtc_time_from_fields(f);
	rtc_set_guest_time(rtc, sec, rtc_guest_now(rtc).nsec);
	if (f->wday_written) {
		rtc->wday_adjust = 0;
		rtc_fields_from_time(rtc, sec, &now);
		rtc->wday_adjust = ((f->wday + 6) % 7 + 7 - (now.wday - 1)) % 7;
	}
	rtc_resync(rtc);
	rtc_arm_timers(rtc);
}

static void rtc_write_time_register(struct rtc *rtc, unsigned index, uint8_t v)
{
	struct rtc_fields f;

	rtc_current_fields(rtc, &f);
	switch (index) {
	case RTC_SECONDS:
		f.sec = rtc_decode(rtc, v);
		break;
	case RTC_MINUTES:
		f.min = rtc_decode(rtc, v);
		break;
	case RTC_HOURS:
		f.hour = rtc_decode_hour(rtc, v);
		break;
	case RTC_DAY_OF_WEEK:
		f.wday = rtc_decode(rtc, v);
		f.wday_written = true;
		break;
	case RTC_DAY_OF_MONTH:
		f.mday = rtc_decode(rtc, v);
		break;
	case RTC_MONTH:
		f.mon = rtc_decode(rtc, v);
		break;
	case RTC_YEAR:
		f.year = rtc_decode(rtc, v);
		break;
	default:
		f.century = rtc_decode(rtc, v);
		break;
	}
	rtc_store_fields(rtc, &f);
}

static uint8_t rtc_read_time_register(const struct rtc *rtc, unsigned index)
{
	struct rtc_fields f;

	rtc_current_fields(rtc, &f);
	switch (index) {
	case RTC_SECONDS:
		return rtc_encode(rtc, f.sec);
	case RTC_MINUTES:
		return rtc_encode(rtc, f.min);
	case RTC_HOURS:
		return rtc_encode_hour(rtc, f.hour);
	case RTC_DAY_OF_WEEK:
		return rtc_encode(rtc, f.wday);
	case RTC_DAY_OF_MONTH:
		return rtc_encode(rtc, f.mday);
	case RTC_MONTH:
		return rtc_encode(rtc, f.mon);
	case RTC_YEAR:
		return rtc_encode(rtc, f.year);
	default:
		return rtc_encode(rtc, f.century);
	}
}

static bool rtc_is_time_register(unsigned index)
{
	return (index <= RTC_YEAR && index != RTC_SECONDS_ALARM && index != RTC_MINUTES_ALARM &&
		index != RTC_HOURS_ALARM) || index == RTC_CENTURY;
}

static uint8_t rtc_read_reg_a(const struct rtc *rtc)
{
	uint8_t a = rtc->cmos[RTC_REG_A];

	if (rtc_updating(rtc) && rtc_guest_now(rtc).nsec >= NSEC_PER_SEC - RTC_UIP_NS)
		a |= RTC_A_UIP;
	return a;
}

static void rtc_write_reg_a(struct rtc *rtc, uint8_t v)
{
	bool was_reset = rtc_divider_in_reset(rtc);

	rtc_catch_up(rtc);
	rtc->cmos[RTC_REG_A] = v & RTC_A_WRITABLE;
	if (was_reset && !rtc_divider_in_reset(rtc)) {
		struct rtc_time t = rtc_guest_now(rtc);

		rtc_set_guest_time(rtc, t.sec, RTC_DIVIDER_RELEASE_PHASE_NS);
	}
	rtc_resync(rtc);
	rtc_arm_timers(rtc);
}

static void rtc_write_reg_b(struct rtc *rtc, uint8_t v)
{
	bool was_held = rtc_clock_held(rtc);

	rtc_catch_up(rtc);
	if (v & RTC_B_SET) {
		/* Setting the clock stops updates, and with them the update interrupt. */
		v &= ~RTC_B_UIE;
		if (!was_held)
			rtc_current_fields(rtc, &rtc->set_fields);
	}
	rtc->cmos[RTC_REG_B] = v;
	if (was_held && !(v & RTC_B_SET)) {
		rtc_store_fields(rtc, &rtc->set_fields);
		rtc_resync(rtc);
	}
	rtc_arm_timers(rtc);
	rtc_update_irq(rtc);
}

static uint8_t rtc_read_reg_c(struct rtc *rtc)
{
	uint8_t c;

	rtc_catch_up(rtc);
	c = rtc->flags | (rtc->irq_level ? RTC_C_IRQF : 0);
	rtc->flags = 0;
	rtc_update_irq(rtc);
	return c;
}

static uint8_t rtc_read_data(struct rtc *rtc)
{
	unsigned index = rtc->index;

	if (rtc_is_time_register(index))
		return rtc_read_time_register(rtc, index);
	switch (index) {
	case RTC_REG_A:
		return rtc_read_reg_a(rtc);
	case RTC_REG_C:
		return rtc_read_reg_c(rtc);
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->cmos[index];
	}
}

static void rtc_write_data(struct rtc *rtc, uint8_t v)
{
	unsigned index = rtc->index;

	if (rtc_is_time_register(index)) {
		rtc_write_time_register(rtc, index, v);
		return;
	}
	switch (index) {
	case RTC_REG_A:
		rtc_write_reg_a(rtc, v);
		break;
	case RTC_REG_B:
		rtc_write_reg_b(rtc, v);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		rtc->cmos[index] = v;
		break;
	}
}

static uint8_t rtc_read_byte(struct rtc *rtc, unsigned off)
{
	return off == 1 ? rtc_read_data(rtc) : 0xff; /* the index register is write-only */
}

static void rtc_write_byte(struct rtc *rtc, unsigned off, uint8_t v)
{
	if (off == 0)
		rtc->index = v & 0x7f; /* bit 7 masks NMI, which we do not model */
	else
		rtc_write_data(rtc, v);
}

static uint64_t rtc_port_read(void *opaque, uint64_t offset, unsigned size)
{
	struct rtc *rtc = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&rtc->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t b = offset + i < RTC_PORT_COUNT ? rtc_read_byte(rtc, offset + i) : 0xff;

		v |= b << (8 * i);
	}
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void rtc_port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	for (unsigned i = 0; i < size && i < 8 && offset + i < RTC_PORT_COUNT; i++)
		rtc_write_byte(rtc, offset + i, value >> (8 * i));
	pthread_mutex_unlock(&rtc->lock);
}

static const struct io_region_ops rtc_port_ops = { rtc_port_read, rtc_port_write };

void rtc_set_cmos(struct rtc *rtc, unsigned index, uint8_t value)
{
	if (index < RTC_NVRAM_FIRST || index >= RTC_CMOS_SIZE || index == RTC_CENTURY)
		return;
	pthread_mutex_lock(&rtc->lock);
	rtc->cmos[index] = value;
	pthread_mutex_unlock(&rtc->lock);
}

/* The reset pin clears the interrupt enables and flags; the clock and NVRAM live on. */
static void rtc_reset(void *dev)
{
	struct rtc *rtc = dev;

	pthread_mutex_lock(&rtc->lock);
	rtc->cmos[RTC_REG_B] &= ~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
	rtc->flags = 0;
	rtc_resync(rtc);
	rtc_arm_timers(rtc);
	rtc_update_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

struct rtc *rtc_create(struct io_bus *pio, struct evloop *loop, struct irq_line irq8)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return NULL;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->pio = pio;
	rtc->irq8 = irq8;
	rtc->cmos[RTC_REG_A] = RTC_A_DEFAULT;
	rtc->cmos[RTC_REG_B] = RTC_B_DEFAULT;
	if (loop) {
		rtc->periodic_timer = evloop_timer_create(loop, rtc_periodic_fired, rtc);
		rtc->update_timer = evloop_timer_create(loop, rtc_update_fired, rtc);
		if (!rtc->periodic_timer || !rtc->update_timer)
			goto err;
	}
	rtc_resync(rtc);
	if (io_bus_register(pio, RTC_PORT_BASE, RTC_PORT_COUNT, &rtc_port_ops, rtc, "rtc") < 0)
		goto err;
	return rtc;

err:
	evloop_timer_destroy(rtc->periodic_timer);
	evloop_timer_destroy(rtc->update_timer);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
	return NULL;
}

/* The event loop must not be running callbacks (it is stopped, or this is its thread). */
static void rtc_destroy(void *dev)
{
	struct rtc *rtc = dev;

	if (!rtc)
		return;
	io_bus_unregister(rtc->pio, RTC_PORT_BASE);
	evloop_timer_destroy(rtc->periodic_timer);
	evloop_timer_destroy(rtc->update_timer);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static void rtc_save(void *dev, struct state_writer *w)
{
	struct rtc *rtc = dev;
	const struct rtc_fields *f = &rtc->set_fields;

	pthread_mutex_lock(&rtc->lock);
	rtc_catch_up(rtc);
	state_begin(w, rtc_vdev_ops.name, RTC_STATE_VERSION);
	state_put_bytes(w, "cmos", rtc->cmos, sizeof(rtc->cmos));
	state_put_u64(w, "index", rtc->index);
	state_put_u64(w, "flags", rtc->flags);
	/* The offset from UTC survives a move to another host; the host's clock does not. */
	state_put_u64(w, "offset_s", (uint64_t)rtc->offset_s);
	state_put_u64(w, "offset_ns", (uint64_t)rtc->offset_ns);
	state_put_u64(w, "wday_adjust", rtc->wday_adjust);
	state_put_u64(w, "set.sec", f->sec);
	state_put_u64(w, "set.min", f->min);
	state_put_u64(w, "set.hour", f->hour);
	state_put_u64(w, "set.wday", f->wday);
	state_put_u64(w, "set.mday", f->mday);
	state_put_u64(w, "set.mon", f->mon);
	state_put_u64(w, "set.year", f->year);
	state_put_u64(w, "set.century", f->century);
	state_put_u64(w, "set.wday_written", f->wday_written);
	state_end(w);
	pthread_mutex_unlock(&rtc->lock);
}

static int rtc_get(const struct state_reader *r, const char *name, uint64_t max, uint64_t *v)
{
	if (state_get_u64(r, name, v))
		return -EINVAL;
	return *v <= max ? 0 : -EINVAL;
}

static int rtc_load_fields(const struct state_reader *r, struct rtc_fields *f)
{
	uint64_t v[9];
	int ret = 0;

	/* Decoded register values: at most 165 (0xff read as BCD) or 255 (binary). */
	ret |= rtc_get(r, "set.sec", 0xff, &v[0]);
	ret |= rtc_get(r, "set.min", 0xff, &v[1]);
	ret |= rtc_get(r, "set.hour", 0xff, &v[2]);
	ret |= rtc_get(r, "set.wday", 0xff, &v[3]);
	ret |= rtc_get(r, "set.mday", 0xff, &v[4]);
	ret |= rtc_get(r, "set.mon", 0xff, &v[5]);
	ret |= rtc_get(r, "set.year", 0xff, &v[6]);
	ret |= rtc_get(r, "set.century", 0xff, &v[7]);
	ret |= rtc_get(r, "set.wday_written", 1, &v[8]);
	if (ret)
		return -EINVAL;
	*f = (struct rtc_fields){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] };
	return 0;
}

static int rtc_load(void *dev, const struct state_reader *section)
{
	struct rtc *rtc = dev;
	uint8_t cmos[RTC_CMOS_SIZE];
	uint64_t index, flags, offset_s, offset_ns, wday_adjust;
	struct rtc_fields fields;
	int ret = 0;

	if (section->version != RTC_STATE_VERSION)
		return -EINVAL;
	if (state_get_bytes(section, "cmos", cmos, sizeof(cmos)))
		return -EINVAL;
	ret |= rtc_get(section, "index", RTC_CMOS_SIZE - 1, &index);
	ret |= rtc_get(section, "flags", RTC_C_PF | RTC_C_AF | RTC_C_UF, &flags);
	ret |= rtc_get(section, "offset_s", UINT64_MAX, &offset_s);
	ret |= rtc_get(section, "offset_ns", NSEC_PER_SEC - 1, &offset_ns);
	ret |= rtc_get(section, "wday_adjust", 6, &wday_adjust);
	ret |= rtc_load_fields(section, &fields);
	if (ret || (flags & ~(uint64_t)(RTC_C_PF | RTC_C_AF | RTC_C_UF)))
		return -EINVAL;
	if ((int64_t)offset_s > RTC_MAX_OFFSET_S || (int64_t)offset_s < -RTC_MAX_OFFSET_S)
		return -EINVAL;
	pthread_mutex_lock(&rtc->lock);
	memcpy(rtc->cmos, cmos, sizeof(cmos));
	rtc->cmos[RTC_REG_A] &= RTC_A_WRITABLE;
	rtc->index = index;
	rtc->flags = flags;
	rtc->offset_s = (int64_t)offset_s;
	rtc->offset_ns = (int64_t)offset_ns;
	rtc->wday_adjust = wday_adjust;
	rtc->set_fields = fields;
	rtc->periodic_armed = false;
	rtc_resync(rtc);
	rtc_arm_timers(rtc);
	rtc_update_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

const struct vdev_ops rtc_vdev_ops = {
	.name = "rtc",
	.reset = rtc_reset,
	.save = rtc_save,
	.load = rtc_load,
	.destroy = rtc_destroy,
};
