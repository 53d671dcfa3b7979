/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtkeeld's RPC server: the listening sockets (read-write and read-only), one client per
 * connection, packets framed and answered, keepalive, streams (the console) and events.
 * The main thread owns every socket and stream fd (epoll); calls run on worker threads so a
 * slow one never holds up another client or a later call (replies may go out of order).
 */
#ifndef KEEL_DAEMON_SERVER_H
#define KEEL_DAEMON_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/rpc.h"
#include "daemon/xdr.h"

struct evloop;
struct server;
struct client;
struct registry;

/* One call being answered on a worker. */
struct call {
	struct server *srv;
	struct client *client;
	struct rpc_header hdr;
	struct xdr_reader args;
	uint8_t *packet;	/* owns the bytes args reads */
	size_t packet_len;
	/* Set by call_error(): the reply becomes this error. */
	int err_code;
	char err_msg[512];
};

/* A handler fills reply's body (after the header) and returns 0, or calls call_error. */
typedef int (*proc_fn)(struct call *c, struct xdr_buf *reply);

#define PROC_MUTATES	1u	/* refused on the read-only socket */
#define PROC_BEFORE_OPEN 2u	/* allowed before CONNECT_OPEN */

struct proc_entry {
	proc_fn fn;
	unsigned flags;
};

/* procs.c: the handler of procedure number proc, or NULL (answered VIR_ERR_NO_SUPPORT). */
const struct proc_entry *proc_lookup(uint32_t proc);

/* Sets the call's error (libvirt error code and message); returns -1 for the handler. */
int call_error(struct call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Argument decoding failed: VIR_ERR_RPC "malformed arguments". */
int call_bad_args(struct call *c);

struct server *server_create(struct evloop *loop, struct registry *reg, unsigned workers);
/* Listens on path (unlinking a stale socket) with mode; readonly refuses mutating calls. */
int server_listen(struct server *srv, const char *path, unsigned mode, bool readonly);
/* Takes an already listening socket (systemd socket activation). */
int server_adopt_listener(struct server *srv, int fd, bool readonly);
void server_destroy(struct server *srv);

struct registry *server_registry(struct server *srv);
bool client_readonly(const struct client *c);
void client_set_opened(struct client *c);

/* Event callbacks of a client: event_id (0 lifecycle), optionally only for one uuid. */
int client_event_register(struct client *c, int event_id, const uint8_t *uuid_or_null);
int client_event_deregister(struct client *c, int callback_id);

/* A lifecycle event to every client registered for it (any thread). */
void server_lifecycle_event(struct server *srv, const char *name, const uint8_t uuid[16], int id,
			    int event, int detail);

/*
 * After the call's OK reply: a console stream on the call's proc and serial, between the
 * client and fd (the domain's pty, opened here, taken over). uuid names the domain; with
 * force an existing console of that domain is ended, else -EBUSY.
 */
int call_open_console(struct call *c, const uint8_t uuid[16], int fd, bool force);

#endif
