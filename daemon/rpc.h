/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvirt remote protocol packets: [u32 length counting itself][6-word header][payload].
 * A framer per connection turns received bytes into whole packets (never trusting the
 * declared length further than the bytes that arrived); builders write headers, patch the
 * length, and encode error replies and object handles.
 */
#ifndef KEEL_DAEMON_RPC_H
#define KEEL_DAEMON_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/xdr.h"

struct rpc_header {
	uint32_t prog, vers, proc, type, serial, status;
};

struct rpc_framer {
	uint8_t *buf;
	size_t len, cap;	/* bytes held, allocated */
	size_t consumed;	/* of buf, handed out by rpc_framer_next */
};

int rpc_framer_init(struct rpc_framer *f);
void rpc_framer_free(struct rpc_framer *f);
/* Where the next bytes go (*avail > 0): read(2) into it, then commit what arrived. */
int rpc_framer_space(struct rpc_framer *f, void **space, size_t *avail);
void rpc_framer_commit(struct rpc_framer *f, size_t n);
/*
 * 1 with *pkt and *len the next whole packet after its length word (header and payload; valid
 * until the next call), 0 when more bytes are needed, -EMSGSIZE for a length under a
 * header's or over 32 MiB: the connection must be closed.
 */
int rpc_framer_next(struct rpc_framer *f, const uint8_t **pkt, size_t *len);

/* The header of pkt, and a reader over its payload. 0 or -EBADMSG. */
int rpc_header_decode(const uint8_t *pkt, size_t len, struct rpc_header *h,
		      struct xdr_reader *payload);

/* Starts a packet: the length word (patched by rpc_finish) and the header. */
void rpc_begin(struct xdr_buf *b, const struct rpc_header *h);
/* Patches the length word. 0, or -E2BIG past 32 MiB or when encoding failed. */
int rpc_finish(struct xdr_buf *b);

/*
 * A whole error packet answering call: a REPLY (or, to a STREAM packet, a STREAM) with
 * status ERROR and libvirt's error structure (code, domain, message, level ERROR, no
 * handles, no extra strings).
 */
void rpc_build_error(struct xdr_buf *b, const struct rpc_header *call, int code, int domain,
		     const char *message);

/* remote_nonnull_domain: {string name; opaque uuid[16]; int id}. */
struct rpc_domain {
	char *name;
	uint8_t uuid[16];
	int32_t id;
};

int rpc_put_domain(struct xdr_buf *b, const struct rpc_domain *d);
/* Decodes into d (name malloc-ed; free with rpc_domain_free). */
int rpc_get_domain(struct xdr_reader *r, struct rpc_domain *d);
void rpc_domain_free(struct rpc_domain *d);

#endif
