// SPDX-License-Identifier: GPL-2.0
/*
 * The RPC server. The main thread accepts, reads, frames and writes; CALL packets become
 * jobs for the worker threads; replies, events and stream data are queued per client and
 * written by the main thread (woken through an eventfd). A client that stops reading only
 * grows its own queue, and is dropped past a limit; one that sends a malformed or
 * oversized packet is closed alone.
 */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/proto.h"
#include "lib/evloop.h"
#include "lib/log.h"

#define CLIENT_OUT_MAX		(64u << 20)	/* queued output past this: the client is dropped */
#define STREAM_PAUSE_AT		(1u << 20)	/* console output waits while this much is queued */
#define MAX_LISTENERS		4
#define MAX_CALLBACKS		64

struct outbuf {
	struct outbuf *next;
	size_t len, off;
	uint8_t data[];
};

struct stream {
	struct stream *next;
	struct client *client;
	uint32_t proc, serial;
	uint8_t uuid[16];
	int fd;
	bool watched, paused;
	bool awaiting_reply;	/* data only after the call's reply */
	bool doomed;		/* to be ended by the main thread (a forced takeover) */
};

struct event_cb {
	int id, event_id;
	bool has_uuid;
	uint8_t uuid[16];
};

struct client {
	struct client *next;
	struct server *srv;
	int fd;
	bool readonly, opened, closed, want_out;
	int refs;			/* under srv->lock */
	struct rpc_framer framer;
	struct outbuf *out_head, *out_tail;
	size_t out_bytes;		/* under srv->lock, as the queue */
	struct event_cb cbs[MAX_CALLBACKS];
	unsigned ncbs;
};

struct job {
	struct job *next;
	struct call call;
};

struct listener {
	int fd;
	bool readonly;
	struct server *srv;
};

struct server {
	struct evloop *loop;
	struct registry *reg;
	pthread_mutex_t lock;		/* clients, queues, streams, jobs, callbacks */
	pthread_cond_t job_cond;
	struct client *clients;
	struct stream *streams;
	struct job *jobs, *jobs_tail;
	struct listener listeners[MAX_LISTENERS];
	unsigned nlisteners;
	pthread_t *workers;
	unsigned nworkers;
	int wake_fd;
	int next_cb_id;
	bool stopping;
};

static void client_close(struct client *c);
static void stream_close_locked(struct server *srv, struct stream *s, bool send_eof);

/* ---- output ---- */

static void server_wake(struct server *srv)
{
	uint64_t one = 1;

	if (write(srv->wake_fd, &one, sizeof(one)) < 0)
		log_debug("wake: %s", strerror(errno));
}

/* Queues a finished packet (takes b's bytes). Any thread; srv->lock held. */
static void client_queue_locked(struct client *c, struct xdr_buf *b)
{
	struct outbuf *o;

	if (c->closed || b->failed || rpc_finish(b)) {
		xdr_buf_free(b);
		return;
	}
	o = malloc(sizeof(*o) + b->len);
	if (o) {
		o->next = NULL;
		o->len = b->len;
		o->off = 0;
		memcpy(o->data, b->data, b->len);
		if (c->out_tail)
			c->out_tail->next = o;
		else
			c->out_head = o;
		c->out_tail = o;
		c->out_bytes += b->len;
		c->want_out = true;
	}
	xdr_buf_free(b);
}

static void client_queue(struct client *c, struct xdr_buf *b)
{
	pthread_mutex_lock(&c->srv->lock);
	client_queue_locked(c, b);
	pthread_mutex_unlock(&c->srv->lock);
	server_wake(c->srv);
}

/* Main thread: writes what the socket takes; watches EPOLLOUT while something remains. */
static void client_flush(struct client *c)
{
	struct server *srv = c->srv;
	bool more, drop = false;

	pthread_mutex_lock(&srv->lock);
	while (c->out_head && !c->closed) {
		struct outbuf *o = c->out_head;
		ssize_t n = send(c->fd, o->data + o->off, o->len - o->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			drop = errno != EAGAIN && errno != EINTR;
			break;
		}
		o->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (o->off < o->len)
			break;
		c->out_head = o->next;
		if (!c->out_head)
			c->out_tail = NULL;
		free(o);
	}
	more = c->out_head != NULL;
	drop |= c->out_bytes > CLIENT_OUT_MAX;
	c->want_out = false;
	/* Console output paused for this client may flow again. */
	for (struct stream *s = srv->streams; s; s = s->next)
		if (s->client == c && s->paused && !s->awaiting_reply && !s->doomed &&
		    c->out_bytes < STREAM_PAUSE_AT / 2) {
			s->paused = false;
			evloop_mod_fd(srv->loop, s->fd, EPOLLIN);
		}
	pthread_mutex_unlock(&srv->lock);
	if (drop) {
		client_close(c);
		return;
	}
	if (!c->closed)
		evloop_mod_fd(srv->loop, c->fd, EPOLLIN | (more ? EPOLLOUT : 0));
}

static void server_wake_ready(void *opaque, uint32_t events)
{
	struct server *srv = opaque;
	struct client *c, *next;
	uint64_t n;

	struct stream *s, *snext;

	if (read(srv->wake_fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&srv->lock);
	for (s = srv->streams; s; s = snext) {
		snext = s->next;
		if (s->doomed)
			stream_close_locked(srv, s, true);
	}
	pthread_mutex_unlock(&srv->lock);
	for (c = srv->clients; c; c = next) {
		next = c->next;
		if (c->want_out)
			client_flush(c);
	}
}

/* ---- errors and replies ---- */

int call_error(struct call *c, int code, const char *fmt, ...)
{
	va_list ap;

	c->err_code = code;
	va_start(ap, fmt);
	vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
	va_end(ap);
	return -1;
}

int call_bad_args(struct call *c)
{
	return call_error(c, KP_ERR_RPC, "malformed arguments to procedure %u", c->hdr.proc);
}

static void reply_error(struct client *cl, const struct rpc_header *hdr, int code, const char *msg)
{
	struct xdr_buf b;

	xdr_buf_init(&b, KP_MESSAGE_MAX);
	rpc_build_error(&b, hdr, code, KP_FROM_KEEL, msg);
	client_queue(cl, &b);
}

/* A stream the call opened may carry data once its reply is queued, or ends with an error. */
static void call_streams_settle(struct call *c, bool replied)
{
	struct server *srv = c->srv;

	pthread_mutex_lock(&srv->lock);
	for (struct stream *s = srv->streams; s; s = s->next)
		if (s->client == c->client && s->serial == c->hdr.serial && s->awaiting_reply) {
			s->awaiting_reply = false;
			s->doomed = !replied;
			c->client->want_out = true;
		}
	pthread_mutex_unlock(&srv->lock);
	server_wake(srv);
}

static void run_call(struct call *c)
{
	const struct proc_entry *p = proc_lookup(c->hdr.proc);
	struct rpc_header h = c->hdr;
	struct xdr_buf b;

	if (!p) {
		char msg[96];

		/* libvirt's own wording, which users and virtinst recognise. */
		snprintf(msg, sizeof(msg),
			 "this function is not supported by the connection driver: proc %u",
			 c->hdr.proc);
		reply_error(c->client, &c->hdr, KP_ERR_NO_SUPPORT, msg);
		return;
	}
	if (!c->client->opened && !(p->flags & PROC_BEFORE_OPEN)) {
		reply_error(c->client, &c->hdr, KP_ERR_RPC, "the connection is not open");
		return;
	}
	if (c->client->readonly && (p->flags & PROC_MUTATES)) {
		reply_error(c->client, &c->hdr, KP_ERR_OPERATION_DENIED,
			    "operation forbidden: read only access prevents this operation");
		return;
	}
	h.type = KP_REPLY;
	h.status = KP_STATUS_OK;
	xdr_buf_init(&b, KP_MESSAGE_MAX);
	rpc_begin(&b, &h);
	if (p->fn(c, &b) || b.failed) {
		xdr_buf_free(&b);
		if (!c->err_code)
			call_error(c, KP_ERR_INTERNAL_ERROR, "the reply could not be encoded");
		reply_error(c->client, &c->hdr, c->err_code, c->err_msg);
		call_streams_settle(c, false);
		return;
	}
	client_queue(c->client, &b);
	call_streams_settle(c, true);
}

/* ---- workers ---- */

static void client_unref_locked(struct client *c)
{
	if (--c->refs)
		return;
	rpc_framer_free(&c->framer);
	while (c->out_head) {
		struct outbuf *o = c->out_head;

		c->out_head = o->next;
		free(o);
	}
	free(c);
}

static void *worker_main(void *arg)
{
	struct server *srv = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&srv->lock);
		while (!srv->jobs && !srv->stopping)
			pthread_cond_wait(&srv->job_cond, &srv->lock);
		j = srv->jobs;
		if (!j) {
			pthread_mutex_unlock(&srv->lock);
			return NULL;
		}
		srv->jobs = j->next;
		if (!srv->jobs)
			srv->jobs_tail = NULL;
		pthread_mutex_unlock(&srv->lock);

		if (!j->call.client->closed)
			run_call(&j->call);
		pthread_mutex_lock(&srv->lock);
		client_unref_locked(j->call.client);
		pthread_mutex_unlock(&srv->lock);
		free(j->call.packet);
		free(j);
	}
}

static void queue_call(struct client *c, const struct rpc_header *h, const uint8_t *pkt,
		       size_t len)
{
	struct server *srv = c->srv;
	struct job *j = calloc(1, sizeof(*j));
	struct rpc_header ignored;

	if (!j || !(j->call.packet = malloc(len ? len : 1))) {
		free(j);
		reply_error(c, h, KP_ERR_INTERNAL_ERROR, "out of memory");
		return;
	}
	memcpy(j->call.packet, pkt, len);
	j->call.packet_len = len;
	j->call.srv = srv;
	j->call.client = c;
	rpc_header_decode(j->call.packet, len, &ignored, &j->call.args);
	j->call.hdr = *h;
	pthread_mutex_lock(&srv->lock);
	c->refs++;
	if (srv->jobs_tail)
		srv->jobs_tail->next = j;
	else
		srv->jobs = j;
	srv->jobs_tail = j;
	pthread_cond_signal(&srv->job_cond);
	pthread_mutex_unlock(&srv->lock);
}

/* ---- streams ---- */

static void stream_send(struct stream *s, int status, const void *data, size_t len)
{
	struct rpc_header h = {
		.prog = KP_PROGRAM, .vers = KP_PROTOCOL_VERSION, .proc = s->proc,
		.type = KP_STREAM, .serial = s->serial, .status = (uint32_t)status,
	};
	struct xdr_buf b;

	xdr_buf_init(&b, KP_MESSAGE_MAX);
	rpc_begin(&b, &h);
	if (len)
		xdr_put_raw(&b, data, len);
	client_queue_locked(s->client, &b);
}

static void stream_readable(void *opaque, uint32_t events)
{
	struct stream *s = opaque;
	struct server *srv = s->client->srv;
	uint8_t buf[16384];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	pthread_mutex_lock(&srv->lock);
	if (n <= 0) {
		/* The guest's console went away (keel-vmm ended): end of stream. */
		stream_close_locked(srv, s, true);
	} else {
		stream_send(s, KP_STATUS_CONTINUE, buf, (size_t)n);
		if (s->client->out_bytes > STREAM_PAUSE_AT) {
			s->paused = true;
			evloop_mod_fd(srv->loop, s->fd, 0);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	server_wake(srv);
}

static void stream_close_locked(struct server *srv, struct stream *s, bool send_eof)
{
	struct stream **pp;

	for (pp = &srv->streams; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (!*pp)
		return;
	*pp = s->next;
	if (send_eof)
		stream_send(s, KP_STATUS_CONTINUE, NULL, 0);
	if (s->watched)
		evloop_del_fd(srv->loop, s->fd);
	close(s->fd);
	client_unref_locked(s->client);
	free(s);
}

static struct stream *stream_find(struct server *srv, struct client *c, uint32_t proc,
				  uint32_t serial)
{
	for (struct stream *s = srv->streams; s; s = s->next)
		if (s->client == c && s->proc == proc && s->serial == serial)
			return s;
	return NULL;
}

/* A STREAM packet from the client: data for the guest, finish or abort. */
static void stream_packet(struct client *c, const struct rpc_header *h, const uint8_t *payload,
			  size_t len)
{
	struct server *srv = c->srv;
	struct stream *s;

	pthread_mutex_lock(&srv->lock);
	s = stream_find(srv, c, h->proc, h->serial);
	if (s && h->status == KP_STATUS_CONTINUE) {
		/* Keyboard input is small; what the pty cannot take now is dropped. */
		if (len && write(s->fd, payload, len) < 0)
			log_debug("console input dropped: %s", strerror(errno));
	} else if (s && h->status == KP_STATUS_OK) {
		stream_send(s, KP_STATUS_OK, NULL, 0);
		stream_close_locked(srv, s, false);
	} else if (s) {
		stream_close_locked(srv, s, false);
	}
	pthread_mutex_unlock(&srv->lock);
	server_wake(srv);
}

int call_open_console(struct call *c, const uint8_t uuid[16], int fd, bool force)
{
	struct server *srv = c->srv;
	struct stream *s, *old;

	pthread_mutex_lock(&srv->lock);
	for (old = srv->streams; old; old = old->next)
		if (!memcmp(old->uuid, uuid, 16) && !old->doomed)
			break;
	if (old && !force) {
		pthread_mutex_unlock(&srv->lock);
		close(fd);
		return -EBUSY;
	}
	/* Only the main thread may stop watching an fd: it ends the old console. */
	if (old)
		old->doomed = true;
	s = calloc(1, sizeof(*s));
	if (!s) {
		pthread_mutex_unlock(&srv->lock);
		close(fd);
		return -ENOMEM;
	}
	s->client = c->client;
	c->client->refs++;
	s->proc = c->hdr.proc;
	s->serial = c->hdr.serial;
	memcpy(s->uuid, uuid, 16);
	s->fd = fd;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	s->next = srv->streams;
	srv->streams = s;
	/* Unwatched (events 0) until the reply is out: the main thread switches it on. */
	s->watched = !evloop_add_fd(srv->loop, fd, 0, stream_readable, s);
	s->paused = true;
	s->awaiting_reply = true;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* ---- events ---- */

int client_event_register(struct client *c, int event_id, const uint8_t *uuid_or_null)
{
	struct server *srv = c->srv;
	int id = -1;

	pthread_mutex_lock(&srv->lock);
	if (c->ncbs < MAX_CALLBACKS) {
		struct event_cb *cb = &c->cbs[c->ncbs++];

		cb->id = id = ++srv->next_cb_id;
		cb->event_id = event_id;
		cb->has_uuid = uuid_or_null != NULL;
		if (uuid_or_null)
			memcpy(cb->uuid, uuid_or_null, 16);
	}
	pthread_mutex_unlock(&srv->lock);
	return id;
}

int client_event_deregister(struct client *c, int callback_id)
{
	struct server *srv = c->srv;
	int ret = -ENOENT;

	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < c->ncbs; i++)
		if (c->cbs[i].id == callback_id) {
			c->cbs[i] = c->cbs[--c->ncbs];
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

void server_lifecycle_event(struct server *srv, const char *name, const uint8_t uuid[16], int id,
			    int event, int detail)
{
	struct rpc_header h = {
		.prog = KP_PROGRAM, .vers = KP_PROTOCOL_VERSION,
		.proc = KP_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
		.type = KP_MESSAGE, .serial = 0, .status = KP_STATUS_OK,
	};
	struct rpc_domain dom = { .name = (char *)name, .id = id };

	memcpy(dom.uuid, uuid, 16);
	pthread_mutex_lock(&srv->lock);
	for (struct client *c = srv->clients; c; c = c->next)
		for (unsigned i = 0; i < c->ncbs; i++) {
			struct event_cb *cb = &c->cbs[i];
			struct xdr_buf b;

			if (cb->event_id != KP_DOMAIN_EVENT_ID_LIFECYCLE ||
			    (cb->has_uuid && memcmp(cb->uuid, uuid, 16)))
				continue;
			xdr_buf_init(&b, KP_MESSAGE_MAX);
			rpc_begin(&b, &h);
			xdr_put_i32(&b, cb->id);
			rpc_put_domain(&b, &dom);
			xdr_put_i32(&b, event);
			xdr_put_i32(&b, detail);
			client_queue_locked(c, &b);
		}
	pthread_mutex_unlock(&srv->lock);
	server_wake(srv);
}

/* ---- clients ---- */

static void keepalive_pong(struct client *c)
{
	struct rpc_header h = {
		.prog = KP_KEEPALIVE_PROGRAM, .vers = KP_KEEPALIVE_VERSION,
		.proc = KP_KEEPALIVE_PONG, .type = KP_MESSAGE, .serial = 0, .status = KP_STATUS_OK,
	};
	struct xdr_buf b;

	xdr_buf_init(&b, KP_MESSAGE_MAX);
	rpc_begin(&b, &h);
	client_queue(c, &b);
}

/* One whole packet; false when the client must be closed. */
static bool client_packet(struct client *c, const uint8_t *pkt, size_t len)
{
	struct rpc_header h;
	struct xdr_reader payload;

	if (rpc_header_decode(pkt, len, &h, &payload))
		return false;
	if (h.prog == KP_KEEPALIVE_PROGRAM) {
		if (h.proc == KP_KEEPALIVE_PING)
			keepalive_pong(c);
		return true;
	}
	if (h.prog != KP_PROGRAM) {
		if (h.type == KP_CALL)
			reply_error(c, &h, KP_ERR_RPC, "unknown program");
		return true;
	}
	switch (h.type) {
	case KP_CALL:
		if (h.vers != KP_PROTOCOL_VERSION || h.status != KP_STATUS_OK)
			reply_error(c, &h, KP_ERR_RPC, "unsupported protocol version");
		else
			queue_call(c, &h, pkt, len);
		return true;
	case KP_STREAM:
		stream_packet(c, &h, payload.p + payload.off, payload.len - payload.off);
		return true;
	case KP_CALL_WITH_FDS:
		reply_error(c, &h, KP_ERR_NO_SUPPORT, "passing file descriptors is not supported");
		return true;
	default:
		return true;
	}
}

static void client_readable(void *opaque, uint32_t events)
{
	struct client *c = opaque;
	const uint8_t *pkt;
	size_t len;
	void *space;
	size_t avail;
	ssize_t n;
	int ret;

	if (events & EPOLLOUT)
		client_flush(c);
	if (c->closed || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (rpc_framer_space(&c->framer, &space, &avail)) {
		client_close(c);
		return;
	}
	n = recv(c->fd, space, avail, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	rpc_framer_commit(&c->framer, (size_t)n);
	while ((ret = rpc_framer_next(&c->framer, &pkt, &len)) == 1)
		if (!client_packet(c, pkt, len)) {
			ret = -EBADMSG;
			break;
		}
	if (ret < 0) {
		log_info("client %d: %s; closing it", c->fd,
			 ret == -EMSGSIZE ? "oversized packet" : "malformed packet");
		client_close(c);
		return;
	}
	/* Replies queued by this thread (keepalive, errors) go out now. */
	if (c->want_out)
		client_flush(c);
}

static void client_close(struct client *c)
{
	struct server *srv = c->srv;
	struct client **pp;
	struct stream *s, *next;

	if (c->closed)
		return;
	evloop_del_fd(srv->loop, c->fd);
	close(c->fd);
	pthread_mutex_lock(&srv->lock);
	c->closed = true;
	for (s = srv->streams; s; s = next) {
		next = s->next;
		if (s->client == c)
			stream_close_locked(srv, s, false);
	}
	for (pp = &srv->clients; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	client_unref_locked(c);
	pthread_mutex_unlock(&srv->lock);
}

static void listener_ready(void *opaque, uint32_t events)
{
	struct listener *l = opaque;
	struct server *srv = l->srv;
	struct client *c;
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || rpc_framer_init(&c->framer)) {
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->readonly = l->readonly;
	c->refs = 1;
	if (evloop_add_fd(srv->loop, fd, EPOLLIN, client_readable, c)) {
		rpc_framer_free(&c->framer);
		free(c);
		close(fd);
		return;
	}
	pthread_mutex_lock(&srv->lock);
	c->next = srv->clients;
	srv->clients = c;
	pthread_mutex_unlock(&srv->lock);
}

bool client_readonly(const struct client *c)
{
	return c->readonly;
}

void client_set_opened(struct client *c)
{
	c->opened = true;
}

struct registry *server_registry(struct server *srv)
{
	return srv->reg;
}

/* ---- set-up ---- */

int server_adopt_listener(struct server *srv, int fd, bool readonly)
{
	struct listener *l;

	if (srv->nlisteners == MAX_LISTENERS)
		return -ENOSPC;
	l = &srv->listeners[srv->nlisteners];
	l->fd = fd;
	l->readonly = readonly;
	l->srv = srv;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (evloop_add_fd(srv->loop, fd, EPOLLIN, listener_ready, l))
		return -EIO;
	srv->nlisteners++;
	return 0;
}

int server_listen(struct server *srv, const char *path, unsigned mode, bool readonly)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, mode) < 0 ||
	    listen(fd, 64) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = server_adopt_listener(srv, fd, readonly);
	if (ret)
		close(fd);
	return ret;
}

struct server *server_create(struct evloop *loop, struct registry *reg, unsigned workers)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->loop = loop;
	srv->reg = reg;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->job_cond, NULL);
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	srv->workers = calloc(workers, sizeof(*srv->workers));
	if (srv->wake_fd < 0 || !srv->workers ||
	    evloop_add_fd(loop, srv->wake_fd, EPOLLIN, server_wake_ready, srv)) {
		server_destroy(srv);
		return NULL;
	}
	for (; srv->nworkers < workers; srv->nworkers++)
		if (pthread_create(&srv->workers[srv->nworkers], NULL, worker_main, srv))
			break;
	return srv;
}

void server_destroy(struct server *srv)
{
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_broadcast(&srv->job_cond);
	pthread_mutex_unlock(&srv->lock);
	for (unsigned i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	while (srv->clients)
		client_close(srv->clients);
	for (unsigned i = 0; i < srv->nlisteners; i++) {
		evloop_del_fd(srv->loop, srv->listeners[i].fd);
		close(srv->listeners[i].fd);
	}
	if (srv->wake_fd >= 0) {
		evloop_del_fd(srv->loop, srv->wake_fd);
		close(srv->wake_fd);
	}
	free(srv->workers);
	free(srv);
}
