/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for device tests: an event loop running on its own thread (where device timers
 * fire, as in keel-vmm), an interrupt line that records what the device did with it, and
 * port accessors.
 */
#ifndef KEEL_TEST_UNIT_VDEVICES_TEST_UTIL_H
#define KEEL_TEST_UNIT_VDEVICES_TEST_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "lib/evloop.h"
#include "vdevices/bus.h"
#include "vdevices/irq.h"

struct test_loop {
	struct evloop *loop;
	pthread_t thread;
};

static inline void *test_loop_main(void *opaque)
{
	evloop_run(opaque);
	return NULL;
}

static inline bool test_loop_start(struct test_loop *tl)
{
	tl->loop = evloop_create();
	if (!tl->loop)
		return false;
	if (pthread_create(&tl->thread, NULL, test_loop_main, tl->loop)) {
		evloop_destroy(tl->loop);
		tl->loop = NULL;
		return false;
	}
	return true;
}

/* Stops the thread; the loop itself stays until test_loop_destroy (after the devices). */
static inline void test_loop_stop(struct test_loop *tl)
{
	if (!tl->loop)
		return;
	evloop_stop(tl->loop);
	pthread_join(tl->thread, NULL);
}

static inline void test_loop_destroy(struct test_loop *tl)
{
	evloop_destroy(tl->loop);
	tl->loop = NULL;
}

struct irq_probe {
	atomic_bool level;
	atomic_uint rises;	/* low-to-high transitions, pulses included */
	atomic_uint calls;
};

static inline void irq_probe_set_level(void *opaque, unsigned pin, bool level)
{
	struct irq_probe *p = opaque;

	atomic_fetch_add(&p->calls, 1);
	if (level && !atomic_exchange(&p->level, true))
		atomic_fetch_add(&p->rises, 1);
	else if (!level)
		atomic_store(&p->level, false);
}

static inline struct irq_line irq_probe_line(struct irq_probe *p, unsigned pin)
{
	atomic_init(&p->level, false);
	atomic_init(&p->rises, 0);
	atomic_init(&p->calls, 0);
	return (struct irq_line){ irq_probe_set_level, p, pin };
}

static inline void sleep_ns(uint64_t ns)
{
	struct timespec ts = { ns / 1000000000ULL, ns % 1000000000ULL };

	while (nanosleep(&ts, &ts))
		;
}

/* Waits up to timeout_ns for the line to be high. */
static inline bool irq_probe_wait_high(struct irq_probe *p, uint64_t timeout_ns)
{
	uint64_t end = clock_monotonic_ns() + timeout_ns;

	while (!atomic_load(&p->level)) {
		if (clock_monotonic_ns() > end)
			return false;
		sleep_ns(100000);
	}
	return true;
}

static inline uint8_t test_inb(struct io_bus *bus, uint16_t port)
{
	uint64_t v;

	io_bus_read(bus, port, 1, &v);
	return v;
}

static inline void test_outb(struct io_bus *bus, uint16_t port, uint8_t v)
{
	io_bus_write(bus, port, 1, v);
}

/* A deterministic pseudo-random sequence for hostile-input tests. */
static inline uint32_t test_rand(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* Overwrites the value of the u64 field name in a saved stream (lib/state.h encoding). */
static inline bool state_patch_u64(uint8_t *buf, size_t len, const char *name, uint64_t value)
{
	size_t n = strlen(name);

	for (size_t i = 0; i + 2 + n + 12 <= len; i++) {
		if (buf[i] != 'u' || buf[i + 1] != n || memcmp(buf + i + 2, name, n))
			continue;
		for (int b = 0; b < 8; b++)
			buf[i + 2 + n + 4 + b] = value >> (8 * b);
		return true;
	}
	return false;
}

#endif
