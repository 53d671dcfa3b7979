// SPDX-License-Identifier: GPL-2.0
#include "lib/evloop.h"
#include "test/unit/harness.h"

#include <sys/epoll.h>
#include <unistd.h>

struct timer_probe {
	struct evloop *loop;
	int fired;
	int stop_after;
};

static void probe_fired(void *opaque)
{
	struct timer_probe *p = opaque;

	if (++p->fired == p->stop_after)
		evloop_stop(p->loop);
}

TEST(evloop_periodic_timer_fires_and_stops)
{
	struct timer_probe p = { .stop_after = 3 };
	struct evloop_timer *t;
	uint64_t t0 = clock_monotonic_ns();

	p.loop = evloop_create();
	CHECK(p.loop);
	t = evloop_timer_create(p.loop, probe_fired, &p);
	CHECK(t);
	evloop_timer_arm(t, t0 + 1000000, 2000000);
	CHECK_EQ(evloop_run(p.loop), 0);
	CHECK_EQ(p.fired, 3);
	CHECK(clock_monotonic_ns() - t0 >= 5000000);
	evloop_timer_destroy(t);
	evloop_destroy(p.loop);
}

struct pipe_probe {
	struct evloop *loop;
	int fd;
	char got;
};

static void pipe_readable(void *opaque, uint32_t events)
{
	struct pipe_probe *p = opaque;

	if (read(p->fd, &p->got, 1) == 1)
		evloop_stop(p->loop);
}

TEST(evloop_dispatches_readable_fd)
{
	struct pipe_probe p;
	int fds[2];

	CHECK_EQ(pipe(fds), 0);
	p.loop = evloop_create();
	p.fd = fds[0];
	p.got = 0;
	CHECK_EQ(evloop_add_fd(p.loop, fds[0], EPOLLIN, pipe_readable, &p), 0);
	CHECK_EQ(write(fds[1], "k", 1), 1);
	CHECK_EQ(evloop_run(p.loop), 0);
	CHECK_EQ(p.got, 'k');
	CHECK_EQ(evloop_del_fd(p.loop, fds[0]), 0);
	evloop_destroy(p.loop);
	close(fds[0]);
	close(fds[1]);
}
