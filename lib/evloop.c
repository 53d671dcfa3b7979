// SPDX-License-Identifier: GPL-2.0
#include "lib/evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* One registration: a watched fd, or a timer's timerfd. */
struct evloop_source {
	int fd;
	evloop_fd_fn fn;
	void *opaque;
	struct evloop_source *next;
};

struct evloop {
	int epfd;
	int stop_fd; /* eventfd: evloop_stop() from any thread */
	bool stopping;
	pthread_mutex_t lock; /* protects sources */
	struct evloop_source *sources;
};

struct evloop_timer {
	struct evloop *loop;
	int fd;
	evloop_timer_fn fn;
	void *opaque;
};

uint64_t clock_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct evloop *evloop_create(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (!loop)
		return NULL;
	pthread_mutex_init(&loop->lock, NULL);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->stop_fd < 0 ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->stop_fd, &ev) < 0) {
		evloop_destroy(loop);
		return NULL;
	}
	return loop;
}

void evloop_destroy(struct evloop *loop)
{
	struct evloop_source *s, *next;

	if (!loop)
		return;
	for (s = loop->sources; s; s = next) {
		next = s->next;
		free(s);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->stop_fd >= 0)
		close(loop->stop_fd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

int evloop_add_fd(struct evloop *loop, int fd, uint32_t epoll_events, evloop_fd_fn fn, void *opaque)
{
	struct evloop_source *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = epoll_events };

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->fn = fn;
	s->opaque = opaque;
	ev.data.ptr = s;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(s);
		return err;
	}
	pthread_mutex_lock(&loop->lock);
	s->next = loop->sources;
	loop->sources = s;
	pthread_mutex_unlock(&loop->lock);
	return 0;
}

static struct evloop_source *evloop_find(struct evloop *loop, int fd)
{
	struct evloop_source *s;

	for (s = loop->sources; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

int evloop_mod_fd(struct evloop *loop, int fd, uint32_t epoll_events)
{
	struct epoll_event ev = { .events = epoll_events };
	struct evloop_source *s;

	pthread_mutex_lock(&loop->lock);
	s = evloop_find(loop, fd);
	pthread_mutex_unlock(&loop->lock);
	if (!s)
		return -ENOENT;
	ev.data.ptr = s;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * Removal is only safe from the loop thread (or before/after it runs): a source freed here
 * cannot be in the batch of events being dispatched, because dispatch re-checks the list.
 */
int evloop_del_fd(struct evloop *loop, int fd)
{
	struct evloop_source **p, *s = NULL;

	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	pthread_mutex_lock(&loop->lock);
	for (p = &loop->sources; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			s = *p;
			*p = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&loop->lock);
	free(s);
	return s ? 0 : -ENOENT;
}

static void evloop_timer_fired(void *opaque, uint32_t events)
{
	struct evloop_timer *t = opaque;
	uint64_t expirations;

	if (read(t->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	t->fn(t->opaque);
}

struct evloop_timer *evloop_timer_create(struct evloop *loop, evloop_timer_fn fn, void *opaque)
{
	struct evloop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = loop;
	t->fn = fn;
	t->opaque = opaque;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0 || evloop_add_fd(loop, t->fd, EPOLLIN, evloop_timer_fired, t) < 0) {
		if (t->fd >= 0)
			close(t->fd);
		free(t);
		return NULL;
	}
	return t;
}

void evloop_timer_arm(struct evloop_timer *t, uint64_t expire_ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = { expire_ns / 1000000000ULL, expire_ns % 1000000000ULL },
		.it_interval = { period_ns / 1000000000ULL, period_ns % 1000000000ULL },
	};

	/* An absolute time of 0 would disarm: a deadline already past fires at once. */
	if (expire_ns && !its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	timerfd_settime(t->fd, expire_ns ? TFD_TIMER_ABSTIME : 0, &its, NULL);
}

void evloop_timer_destroy(struct evloop_timer *t)
{
	if (!t)
		return;
	evloop_del_fd(t->loop, t->fd);
	close(t->fd);
	free(t);
}

static bool evloop_source_live(struct evloop *loop, struct evloop_source *s)
{
	struct evloop_source *p;
	bool live = false;

	pthread_mutex_lock(&loop->lock);
	for (p = loop->sources; p; p = p->next)
		if (p == s) {
			live = true;
			break;
		}
	pthread_mutex_unlock(&loop->lock);
	return live;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event events[32];
	uint64_t pending;

	loop->stopping = false;
	while (!__atomic_load_n(&loop->stopping, __ATOMIC_ACQUIRE)) {
		int n = epoll_wait(loop->epfd, events, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct evloop_source *s = events[i].data.ptr;

			if (!s) {
				uint64_t v;

				if (read(loop->stop_fd, &v, sizeof(v)) < 0)
					continue;
				__atomic_store_n(&loop->stopping, true, __ATOMIC_RELEASE);
				continue;
			}
			/* An earlier callback in this batch may have removed s. */
			if (i > 0 && !evloop_source_live(loop, s))
				continue;
			s->fn(s->opaque, events[i].events);
		}
	}
	/* The stop that ended this run must not end the next one. */
	if (read(loop->stop_fd, &pending, sizeof(pending)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	uint64_t one = 1;

	__atomic_store_n(&loop->stopping, true, __ATOMIC_RELEASE);
	if (write(loop->stop_fd, &one, sizeof(one)) < 0)
		return;
}
