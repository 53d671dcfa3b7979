// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 programmable interval timer and port 0x61.
 *
 * Counters are never ticked: a counter's value and its OUT pin are computed from the
 * CLOCK_MONOTONIC time elapsed since its count was loaded, so reads are exact (Linux
 * calibrates the TSC against channel 2) and an idle PIT costs nothing. Channel 0's OUT edges
 * reach IRQ 0 through an event-loop timer armed only while channel 0 counts.
 *
 * Simplifications: a count written in modes 2 and 3 restarts the period at once instead of at
 * the end of the current one; a counter that is not counting reads the value it had when it
 * stopped.
 */
#include "vdevices/pit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evloop.h"
#include "lib/state.h"

#define PIT_HZ 1193182ULL
#define NSEC_PER_SEC 1000000000ULL
#define PIT_CHANNELS 3
#define PIT_STATE_VERSION 1
/* The fastest IRQ 0 period we arm: a hostile guest must not make the VMM spin. */
#define PIT_MIN_IRQ_PERIOD_NS 10000ULL
/* Longest elapsed time a saved counter may claim (about 31 years). */
#define PIT_MAX_ELAPSED_NS 1000000000000000000ULL

#define PIT_PORT_BASE 0x40
#define PIT_PORT_COUNT 4
#define PIT_CONTROL_OFF 3
#define PIT_SPEAKER_PORT 0x61

/* Port 0x61. */
#define SPEAKER_GATE2 0x01
#define SPEAKER_DATA 0x02
#define SPEAKER_REFRESH 0x10
#define SPEAKER_OUT2 0x20
#define SPEAKER_WRITABLE (SPEAKER_GATE2 | SPEAKER_DATA)

/* The control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define PIT_CW_SELECT(cw) (((cw) >> 6) & 3)
#define PIT_CW_ACCESS(cw) (((cw) >> 4) & 3)
#define PIT_CW_MODE(cw) (((cw) >> 1) & 7)
#define PIT_CW_BCD 0x01
#define PIT_SELECT_READ_BACK 3

enum pit_access { PIT_ACCESS_LATCH, PIT_ACCESS_LSB, PIT_ACCESS_MSB, PIT_ACCESS_WORD };

/* Read-back command: COUNT (bit 5) and STATUS (bit 4) are active low; bits 3-1 select. */
#define PIT_RB_NO_COUNT 0x20
#define PIT_RB_NO_STATUS 0x10
#define PIT_RB_CHANNEL(n) (2 << (n))

#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL_COUNT 0x40

struct pit_channel {
	uint32_t count;		/* the count being counted: 1..65536 (1..10000 in BCD) */
	uint32_t reload;	/* the count last written: modes 1 and 5 load it on a trigger */
	uint8_t mode;		/* 0-5 (6 and 7 are stored as 2 and 3) */
	uint8_t access;		/* enum pit_access, never LATCH */
	bool bcd;
	bool gate;
	bool loaded;		/* a count was written since the control word */
	bool counting;		/* the counter runs from count (paused while !running) */
	bool running;
	uint64_t frozen_ns;	/* time counted before run_start_ns */
	uint64_t run_start_ns;
	uint16_t idle_value;	/* what the counter reads while not counting */
	bool null_count;
	bool write_msb_next;
	uint8_t write_lsb;
	bool read_msb_next;
	bool count_latched;
	uint16_t latched_count;
	bool status_latched;
	uint8_t latched_status;
};

struct pit {
	pthread_mutex_t lock;
	struct pit_channel channels[PIT_CHANNELS];
	uint8_t speaker;	/* port 0x61 bits SPEAKER_WRITABLE */
	bool refresh;		/* port 0x61 bit 4, flips on every read */
	struct io_bus *pio;
	struct irq_line irq0;
	struct evloop_timer *irq_timer;
	uint64_t irq_not_before_ns; /* an earlier timer callback is stale */
	bool irq_oneshot_done;
};

static uint64_t pit_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / NSEC_PER_SEC);
}

/* The first nanosecond at which ticks input clocks have elapsed. */
static uint64_t pit_ns_of_ticks(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ);
}

static uint32_t pit_modulus(const struct pit_channel *ch)
{
	return ch->bcd ? 10000 : 65536;
}

static uint16_t pit_to_bcd(uint32_t v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

/* A written count as a number of input clocks; 0 is the largest count. */
static uint32_t pit_count_from_raw(const struct pit_channel *ch, uint16_t raw)
{
	uint32_t n = raw;

	if (ch->bcd) {
		/* Invalid BCD digits are taken at face value, then folded into range. */
		n = (raw & 0xf) + (raw >> 4 & 0xf) * 10 + (raw >> 8 & 0xf) * 100 +
		    (raw >> 12 & 0xf) * 1000;
		n %= 10000;
	}
	return n ? n : pit_modulus(ch);
}

static uint64_t pit_elapsed_ns(const struct pit_channel *ch, uint64_t now)
{
	uint64_t ns = ch->frozen_ns;

	if (ch->running && now > ch->run_start_ns)
		ns += now - ch->run_start_ns;
	return ns;
}

static bool pit_mode_gate_pauses(uint8_t mode)
{
	return mode != 1 && mode != 5;
}

static bool pit_output(const struct pit_channel *ch, uint64_t now)
{
	uint64_t t, n = ch->count;

	if (!ch->counting)
		return ch->mode != 0;
	t = pit_ticks(pit_elapsed_ns(ch, now));
	switch (ch->mode) {
	case 0:
	case 1:
		return t >= n;
	case 2:
		return !ch->gate || t % n != n - 1;
	case 3:
		return !ch->gate || t % n < (n + 1) / 2;
	default:
		return t != n;
	}
}

static uint16_t pit_counter_value(const struct pit_channel *ch, uint64_t now)
{
	uint64_t t, p, half, v, n = ch->count, m = pit_modulus(ch);

	if (!ch->counting)
		return ch->idle_value;
	t = pit_ticks(pit_elapsed_ns(ch, now));
	switch (ch->mode) {
	case 2:
		v = n - t % n;
		break;
	case 3:
		/* Counts down by two through each half period. */
		p = t % n;
		half = (n + 1) / 2;
		v = n - 2 * (p < half ? p : p - half);
		break;
	default:
		v = (n + m - t % m) % m;
		break;
	}
	v %= m;
	return ch->bcd ? pit_to_bcd(v) : v;
}

static uint8_t pit_status(const struct pit_channel *ch, uint64_t now)
{
	uint8_t status = ch->access << 4 | ch->mode << 1 | (ch->bcd ? 1 : 0);

	if (pit_output(ch, now))
		status |= PIT_STATUS_OUT;
	if (ch->null_count)
		status |= PIT_STATUS_NULL_COUNT;
	return status;
}

static void pit_start_counting(struct pit_channel *ch, uint64_t now, bool running)
{
	ch->count = ch->reload;
	ch->counting = true;
	ch->running = running;
	ch->frozen_ns = 0;
	ch->run_start_ns = now;
	ch->null_count = false;
}

static void pit_stop_counting(struct pit_channel *ch, uint64_t now)
{
	ch->idle_value = pit_counter_value(ch, now);
	ch->counting = false;
	ch->running = false;
}

/*
 * Channel 0 drives IRQ 0: a periodic timer in modes 2 and 3, a one-shot at the rising edge
 * of OUT in the other modes. Called under the lock after every change to channel 0.
 */
static void pit_arm_irq(struct pit *pit, uint64_t now)
{
	const struct pit_channel *ch = &pit->channels[0];
	uint64_t elapsed, t, edge, period = 0, n = ch->count;

	if (!pit->irq_timer)
		return;
	if (!ch->counting || !ch->running) {
		evloop_timer_arm(pit->irq_timer, 0, 0);
		return;
	}
	elapsed = pit_elapsed_ns(ch, now);
	t = pit_ticks(elapsed);
	if (ch->mode == 2 || ch->mode == 3) {
		edge = (t / n + 1) * n;
		period = (n * NSEC_PER_SEC + PIT_HZ / 2) / PIT_HZ;
		if (period < PIT_MIN_IRQ_PERIOD_NS)
			period = PIT_MIN_IRQ_PERIOD_NS;
	} else {
		/* OUT rises at terminal count in modes 0 and 1, after the strobe in 4 and 5. */
		edge = ch->mode <= 1 ? n : n + 1;
		if (t >= edge) {
			evloop_timer_arm(pit->irq_timer, 0, 0);
			return;
		}
	}
	pit->irq_not_before_ns = now + (pit_ns_of_ticks(edge) - elapsed);
	pit->irq_oneshot_done = false;
	evloop_timer_arm(pit->irq_timer, pit->irq_not_before_ns, period);
}

static void pit_irq_timer_fired(void *opaque)
{
	struct pit *pit = opaque;
	const struct pit_channel *ch = &pit->channels[0];
	uint64_t now = clock_monotonic_ns();
	bool pulse = false;

	pthread_mutex_lock(&pit->lock);
	if (ch->counting && ch->running && now >= pit->irq_not_before_ns) {
		if (ch->mode == 2 || ch->mode == 3) {
			pulse = true;
		} else if (!pit->irq_oneshot_done) {
			pit->irq_oneshot_done = true;
			pulse = true;
		}
	}
	pthread_mutex_unlock(&pit->lock);
	if (pulse)
		irq_line_pulse(&pit->irq0);
}

static void pit_channel_changed(struct pit *pit, unsigned index, uint64_t now)
{
	if (index == 0)
		pit_arm_irq(pit, now);
}

static void pit_write_control(struct pit *pit, uint8_t cw, uint64_t now)
{
	unsigned select = PIT_CW_SELECT(cw), access = PIT_CW_ACCESS(cw), mode = PIT_CW_MODE(cw);
	struct pit_channel *ch;

	if (select == PIT_SELECT_READ_BACK) {
		for (unsigned i = 0; i < PIT_CHANNELS; i++) {
			ch = &pit->channels[i];
			if (!(cw & PIT_RB_CHANNEL(i)))
				continue;
			if (!(cw & PIT_RB_NO_STATUS) && !ch->status_latched) {
				ch->latched_status = pit_status(ch, now);
				ch->status_latched = true;
			}
			if (!(cw & PIT_RB_NO_COUNT) && !ch->count_latched) {
				ch->latched_count = pit_counter_value(ch, now);
				ch->count_latched = true;
			}
		}
		return;
	}
	ch = &pit->channels[select];
	if (access == PIT_ACCESS_LATCH) {
		if (!ch->count_latched) {
			ch->latched_count = pit_counter_value(ch, now);
			ch->count_latched = true;
		}
		return;
	}
	pit_stop_counting(ch, now);
	ch->mode = mode > 5 ? mode - 4 : mode;
	ch->access = access;
	ch->bcd = cw & PIT_CW_BCD;
	ch->loaded = false;
	ch->null_count = true;
	ch->write_msb_next = false;
	ch->read_msb_next = false;
	ch->count_latched = false;
	ch->status_latched = false;
	pit_channel_changed(pit, select, now);
}

static void pit_load_count(struct pit *pit, unsigned index, uint16_t raw, uint64_t now)
{
	struct pit_channel *ch = &pit->channels[index];

	ch->reload = pit_count_from_raw(ch, raw);
	ch->loaded = true;
	ch->null_count = true;
	/* Modes 1 and 5 wait for a rising edge of the gate. */
	if (ch->mode == 1 || ch->mode == 5)
		return;
	pit_start_counting(ch, now, ch->gate);
	pit_channel_changed(pit, index, now);
}

static void pit_write_counter(struct pit *pit, unsigned index, uint8_t v, uint64_t now)
{
	struct pit_channel *ch = &pit->channels[index];

	switch (ch->access) {
	case PIT_ACCESS_LSB:
		pit_load_count(pit, index, v, now);
		break;
	case PIT_ACCESS_MSB:
		pit_load_count(pit, index, v << 8, now);
		break;
	default:
		if (!ch->write_msb_next) {
			ch->write_lsb = v;
			ch->write_msb_next = true;
			/* In mode 0 the first byte of a new count stops the counter. */
			if (ch->mode == 0 && ch->counting) {
				pit_stop_counting(ch, now);
				pit_channel_changed(pit, index, now);
			}
			break;
		}
		ch->write_msb_next = false;
		pit_load_count(pit, index, ch->write_lsb | v << 8, now);
		break;
	}
}

/* One byte of a 16-bit value as the access mode and read flip-flop say. */
static uint8_t pit_read_half(struct pit_channel *ch, uint16_t value, bool *done)
{
	*done = true;
	switch (ch->access) {
	case PIT_ACCESS_LSB:
		return value & 0xff;
	case PIT_ACCESS_MSB:
		return value >> 8;
	default:
		ch->read_msb_next = !ch->read_msb_next;
		*done = !ch->read_msb_next;
		return ch->read_msb_next ? value & 0xff : value >> 8;
	}
}

static uint8_t pit_read_counter(struct pit *pit, unsigned index, uint64_t now)
{
	struct pit_channel *ch = &pit->channels[index];
	bool done;
	uint8_t v;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->latched_status;
	}
	if (ch->count_latched) {
		v = pit_read_half(ch, ch->latched_count, &done);
		if (done)
			ch->count_latched = false;
		return v;
	}
	return pit_read_half(ch, pit_counter_value(ch, now), &done);
}

static void pit_set_gate(struct pit *pit, unsigned index, bool gate, uint64_t now)
{
	struct pit_channel *ch = &pit->channels[index];
	bool rising = gate && !ch->gate;

	if (gate == ch->gate)
		return;
	ch->gate = gate;
	if (!pit_mode_gate_pauses(ch->mode)) {
		if (rising && ch->loaded)
			pit_start_counting(ch, now, true);
	} else if (!gate) {
		if (ch->running) {
			ch->frozen_ns = pit_elapsed_ns(ch, now);
			ch->running = false;
		}
	} else if (ch->counting) {
		/* Modes 2 and 3 reload on the rising edge; modes 0 and 4 resume. */
		if (ch->mode == 2 || ch->mode == 3)
			ch->frozen_ns = 0;
		ch->run_start_ns = now;
		ch->running = true;
	}
	pit_channel_changed(pit, index, now);
}

static uint8_t pit_read_byte(struct pit *pit, unsigned off, uint64_t now)
{
	if (off < PIT_CHANNELS)
		return pit_read_counter(pit, off, now);
	return 0xff; /* the control register is write-only */
}

static void pit_write_byte(struct pit *pit, unsigned off, uint8_t v, uint64_t now)
{
	if (off < PIT_CHANNELS)
		pit_write_counter(pit, off, v, now);
	else if (off == PIT_CONTROL_OFF)
		pit_write_control(pit, v, now);
}

/* A wide access to 0x40-0x43 is a sequence of byte accesses to consecutive ports. */
static uint64_t pit_port_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pit *pit = opaque;
	uint64_t now = clock_monotonic_ns(), v = 0;

	pthread_mutex_lock(&pit->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t b = 0xff;

		if (offset + i < PIT_PORT_COUNT)
			b = pit_read_byte(pit, offset + i, now);
		v |= b << (8 * i);
	}
	pthread_mutex_unlock(&pit->lock);
	return v;
}

static void pit_port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pit *pit = opaque;
	uint64_t now = clock_monotonic_ns();

	pthread_mutex_lock(&pit->lock);
	for (unsigned i = 0; i < size && i < 8 && offset + i < PIT_PORT_COUNT; i++)
		pit_write_byte(pit, offset + i, value >> (8 * i), now);
	pthread_mutex_unlock(&pit->lock);
}

static uint64_t pit_speaker_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pit *pit = opaque;
	uint64_t now = clock_monotonic_ns();
	uint8_t v;

	if (offset)
		return 0xff;
	pthread_mutex_lock(&pit->lock);
	/* The refresh bit flips so that loops waiting for it to change make progress. */
	pit->refresh = !pit->refresh;
	v = pit->speaker | (pit->refresh ? SPEAKER_REFRESH : 0) |
	    (pit_output(&pit->channels[2], now) ? SPEAKER_OUT2 : 0);
	pthread_mutex_unlock(&pit->lock);
	return v;
}

static void pit_speaker_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pit *pit = opaque;
	uint64_t now = clock_monotonic_ns();

	if (offset)
		return;
	pthread_mutex_lock(&pit->lock);
	pit->speaker = value & SPEAKER_WRITABLE;
	pit_set_gate(pit, 2, value & SPEAKER_GATE2, now);
	pthread_mutex_unlock(&pit->lock);
}

static const struct io_region_ops pit_port_ops = { pit_port_read, pit_port_write };
static const struct io_region_ops pit_speaker_ops = { pit_speaker_read, pit_speaker_write };

static void pit_channel_init(struct pit_channel *ch, bool gate)
{
	memset(ch, 0, sizeof(*ch));
	ch->count = 65536;
	ch->reload = 65536;
	ch->access = PIT_ACCESS_WORD;
	ch->gate = gate;
}

static void pit_reset(void *dev)
{
	struct pit *pit = dev;

	pthread_mutex_lock(&pit->lock);
	for (unsigned i = 0; i < PIT_CHANNELS; i++)
		pit_channel_init(&pit->channels[i], i != 2);
	pit->speaker = 0;
	pit->refresh = false;
	pit->irq_oneshot_done = false;
	pit_arm_irq(pit, clock_monotonic_ns());
	pthread_mutex_unlock(&pit->lock);
}

struct pit *pit_create(struct io_bus *pio, struct evloop *loop, struct irq_line irq0)
{
	struct pit *pit = calloc(1, sizeof(*pit));

	if (!pit)
		return NULL;
	pthread_mutex_init(&pit->lock, NULL);
	pit->pio = pio;
	pit->irq0 = irq0;
	if (loop) {
		pit->irq_timer = evloop_timer_create(loop, pit_irq_timer_fired, pit);
		if (!pit->irq_timer)
			goto err_free;
	}
	pit_reset(pit);
	if (io_bus_register(pio, PIT_PORT_BASE, PIT_PORT_COUNT, &pit_port_ops, pit, "pit") < 0)
		goto err_timer;
	if (io_bus_register(pio, PIT_SPEAKER_PORT, 1, &pit_speaker_ops, pit, "pit-speaker") < 0)
		goto err_unregister;
	return pit;

err_unregister:
	io_bus_unregister(pio, PIT_PORT_BASE);
err_timer:
	evloop_timer_destroy(pit->irq_timer);
err_free:
	pthread_mutex_destroy(&pit->lock);
	free(pit);
	return NULL;
}

/* The event loop must not be running callbacks (it is stopped, or this is its thread). */
static void pit_destroy(void *dev)
{
	struct pit *pit = dev;

	if (!pit)
		return;
	io_bus_unregister(pit->pio, PIT_PORT_BASE);
	io_bus_unregister(pit->pio, PIT_SPEAKER_PORT);
	evloop_timer_destroy(pit->irq_timer);
	pthread_mutex_destroy(&pit->lock);
	free(pit);
}

static void pit_put_channel(struct state_writer *w, unsigned i, const char *field, uint64_t v)
{
	char name[32];

	snprintf(name, sizeof(name), "ch%u.%s", i, field);
	state_put_u64(w, name, v);
}

static void pit_save(void *dev, struct state_writer *w)
{
	struct pit *pit = dev;
	uint64_t now = clock_monotonic_ns();

	pthread_mutex_lock(&pit->lock);
	state_begin(w, pit_vdev_ops.name, PIT_STATE_VERSION);
	state_put_u64(w, "speaker", pit->speaker);
	state_put_u64(w, "refresh", pit->refresh);
	state_put_u64(w, "irq_oneshot_done", pit->irq_oneshot_done);
	for (unsigned i = 0; i < PIT_CHANNELS; i++) {
		const struct pit_channel *ch = &pit->channels[i];

		pit_put_channel(w, i, "count", ch->count);
		pit_put_channel(w, i, "reload", ch->reload);
		pit_put_channel(w, i, "mode", ch->mode);
		pit_put_channel(w, i, "access", ch->access);
		pit_put_channel(w, i, "bcd", ch->bcd);
		pit_put_channel(w, i, "loaded", ch->loaded);
		pit_put_channel(w, i, "counting", ch->counting);
		pit_put_channel(w, i, "running", ch->running);
		pit_put_channel(w, i, "elapsed_ns", pit_elapsed_ns(ch, now));
		pit_put_channel(w, i, "idle_value", ch->idle_value);
		pit_put_channel(w, i, "null_count", ch->null_count);
		pit_put_channel(w, i, "write_msb_next", ch->write_msb_next);
		pit_put_channel(w, i, "write_lsb", ch->write_lsb);
		pit_put_channel(w, i, "read_msb_next", ch->read_msb_next);
		pit_put_channel(w, i, "count_latched", ch->count_latched);
		pit_put_channel(w, i, "latched_count", ch->latched_count);
		pit_put_channel(w, i, "status_latched", ch->status_latched);
		pit_put_channel(w, i, "latched_status", ch->latched_status);
	}
	state_end(w);
	pthread_mutex_unlock(&pit->lock);
}

/* A field that must be present and at most max. */
static int pit_get(const struct state_reader *r, const char *name, uint64_t max, uint64_t *v)
{
	int ret = state_get_u64(r, name, v);

	if (ret)
		return -EINVAL;
	return *v <= max ? 0 : -EINVAL;
}

static int pit_get_channel(const struct state_reader *r, unsigned i, const char *field,
			   uint64_t max, uint64_t *v)
{
	char name[32];

	snprintf(name, sizeof(name), "ch%u.%s", i, field);
	return pit_get(r, name, max, v);
}

static int pit_load_channel(const struct state_reader *r, unsigned i, struct pit_channel *ch,
			    uint64_t now)
{
	uint64_t count, reload, mode, access, bcd, loaded, counting, running, elapsed, idle, nc;
	uint64_t wmsb, wlsb, rmsb, clatched, lcount, slatched, lstatus;
	int ret = 0;

	ret |= pit_get_channel(r, i, "count", 65536, &count);
	ret |= pit_get_channel(r, i, "reload", 65536, &reload);
	ret |= pit_get_channel(r, i, "mode", 5, &mode);
	ret |= pit_get_channel(r, i, "access", PIT_ACCESS_WORD, &access);
	ret |= pit_get_channel(r, i, "bcd", 1, &bcd);
	ret |= pit_get_channel(r, i, "loaded", 1, &loaded);
	ret |= pit_get_channel(r, i, "counting", 1, &counting);
	ret |= pit_get_channel(r, i, "running", 1, &running);
	ret |= pit_get_channel(r, i, "elapsed_ns", PIT_MAX_ELAPSED_NS, &elapsed);
	ret |= pit_get_channel(r, i, "idle_value", 0xffff, &idle);
	ret |= pit_get_channel(r, i, "null_count", 1, &nc);
	ret |= pit_get_channel(r, i, "write_msb_next", 1, &wmsb);
	ret |= pit_get_channel(r, i, "write_lsb", 0xff, &wlsb);
	ret |= pit_get_channel(r, i, "read_msb_next", 1, &rmsb);
	ret |= pit_get_channel(r, i, "count_latched", 1, &clatched);
	ret |= pit_get_channel(r, i, "latched_count", 0xffff, &lcount);
	ret |= pit_get_channel(r, i, "status_latched", 1, &slatched);
	ret |= pit_get_channel(r, i, "latched_status", 0xff, &lstatus);
	if (ret)
		return -EINVAL;
	if (access == PIT_ACCESS_LATCH || !count || !reload || (running && !counting))
		return -EINVAL;
	if (bcd && (count > 10000 || reload > 10000))
		return -EINVAL;
	ch->count = count;
	ch->reload = reload;
	ch->mode = mode;
	ch->access = access;
	ch->bcd = bcd;
	ch->loaded = loaded;
	ch->counting = counting;
	ch->running = running;
	ch->frozen_ns = elapsed;
	ch->run_start_ns = now;
	ch->idle_value = idle;
	ch->null_count = nc;
	ch->write_msb_next = wmsb;
	ch->write_lsb = wlsb;
	ch->read_msb_next = rmsb;
	ch->count_latched = clatched;
	ch->latched_count = lcount;
	ch->status_latched = slatched;
	ch->latched_status = lstatus;
	return 0;
}

static int pit_load(void *dev, const struct state_reader *section)
{
	struct pit *pit = dev;
	struct pit_channel channels[PIT_CHANNELS];
	uint64_t speaker, refresh, oneshot_done, now = clock_monotonic_ns();
	int ret = 0;

	if (section->version != PIT_STATE_VERSION)
		return -EINVAL;
	ret |= pit_get(section, "speaker", SPEAKER_WRITABLE, &speaker);
	ret |= pit_get(section, "refresh", 1, &refresh);
	ret |= pit_get(section, "irq_oneshot_done", 1, &oneshot_done);
	if (ret)
		return -EINVAL;
	for (unsigned i = 0; i < PIT_CHANNELS; i++) {
		channels[i].gate = i == 2 ? speaker & SPEAKER_GATE2 : true;
		if (pit_load_channel(section, i, &channels[i], now))
			return -EINVAL;
		/* A gate that pauses counting cannot be low on a running counter. */
		if (channels[i].running && !channels[i].gate &&
		    pit_mode_gate_pauses(channels[i].mode))
			return -EINVAL;
	}
	pthread_mutex_lock(&pit->lock);
	memcpy(pit->channels, channels, sizeof(channels));
	pit->speaker = speaker;
	pit->refresh = refresh;
	pit_arm_irq(pit, now);
	pit->irq_oneshot_done = oneshot_done;
	pthread_mutex_unlock(&pit->lock);
	return 0;
}

const struct vdev_ops pit_vdev_ops = {
	.name = "pit",
	.reset = pit_reset,
	.save = pit_save,
	.load = pit_load,
	.destroy = pit_destroy,
};
