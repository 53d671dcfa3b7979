/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop: one thread waits in epoll for file descriptors and timers and runs their
 * callbacks. Timers may be armed and disarmed from any thread (vCPU threads reprogram
 * device timers); callbacks always run on the loop thread.
 */
#ifndef KEEL_LIB_EVLOOP_H
#define KEEL_LIB_EVLOOP_H

#include <stdint.h>

struct evloop;
struct evloop_timer;

typedef void (*evloop_fd_fn)(void *opaque, uint32_t epoll_events);
typedef void (*evloop_timer_fn)(void *opaque);

struct evloop *evloop_create(void);
void evloop_destroy(struct evloop *loop);

/* Watch fd for epoll_events (EPOLLIN, EPOLLOUT, ...); level-triggered. */
int evloop_add_fd(struct evloop *loop, int fd, uint32_t epoll_events, evloop_fd_fn fn, void *opaque);
int evloop_mod_fd(struct evloop *loop, int fd, uint32_t epoll_events);
int evloop_del_fd(struct evloop *loop, int fd);

struct evloop_timer *evloop_timer_create(struct evloop *loop, evloop_timer_fn fn, void *opaque);
/*
 * Fire at the absolute CLOCK_MONOTONIC time expire_ns, then every period_ns if non-zero.
 * expire_ns 0 disarms. A timer that fell behind fires once per callback, not in a burst.
 * A callback may still run once after another thread re-armed or disarmed the timer:
 * callbacks check their device's own state.
 */
void evloop_timer_arm(struct evloop_timer *t, uint64_t expire_ns, uint64_t period_ns);
/* Only on the loop thread, or when the loop is not running. */
void evloop_timer_destroy(struct evloop_timer *t);

/* Run callbacks until evloop_stop() is called (from any thread, or a callback). */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_monotonic_ns(void);

#endif
