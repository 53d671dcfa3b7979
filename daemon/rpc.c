// SPDX-License-Identifier: GPL-2.0
/* Packet framing, headers, error replies and domain handles (see rpc.h). */
#include "daemon/rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/proto.h"

#define FRAMER_INITIAL	65536u
#define FRAMER_MIN_SPACE	4096u

int rpc_framer_init(struct rpc_framer *f)
{
	memset(f, 0, sizeof(*f));
	f->buf = malloc(FRAMER_INITIAL);
	if (!f->buf)
		return -ENOMEM;
	f->cap = FRAMER_INITIAL;
	return 0;
}

void rpc_framer_free(struct rpc_framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rpc_framer_space(struct rpc_framer *f, void **space, size_t *avail)
{
	uint8_t *p;

	/* Drop what was handed out. */
	if (f->consumed) {
		memmove(f->buf, f->buf + f->consumed, f->len - f->consumed);
		f->len -= f->consumed;
		f->consumed = 0;
	}
	/* Grow only as bytes arrive (twice what is held), never to a declared length. */
	if (f->cap - f->len < FRAMER_MIN_SPACE && f->cap < KP_MESSAGE_MAX) {
		size_t cap = f->cap * 2 > KP_MESSAGE_MAX ? KP_MESSAGE_MAX : f->cap * 2;

		p = realloc(f->buf, cap);
		if (!p)
			return -ENOMEM;
		f->buf = p;
		f->cap = cap;
	}
	if (f->cap == f->len)
		return -EMSGSIZE;
	*space = f->buf + f->len;
	*avail = f->cap - f->len;
	return 0;
}

void rpc_framer_commit(struct rpc_framer *f, size_t n)
{
	f->len += n;
}

int rpc_framer_next(struct rpc_framer *f, const uint8_t **pkt, size_t *len)
{
	size_t have = f->len - f->consumed;
	uint32_t total;

	if (have < 4)
		return 0;
	total = be32(f->buf + f->consumed);
	if (total < 4 + KP_HEADER_SIZE || total > KP_MESSAGE_MAX)
		return -EMSGSIZE;
	if (have < total)
		return 0;
	*pkt = f->buf + f->consumed + 4;
	*len = total - 4;
	f->consumed += total;
	return 1;
}

int rpc_header_decode(const uint8_t *pkt, size_t len, struct rpc_header *h,
		      struct xdr_reader *payload)
{
	struct xdr_reader r;

	xdr_reader_init(&r, pkt, len);
	if (xdr_get_u32(&r, &h->prog) || xdr_get_u32(&r, &h->vers) || xdr_get_u32(&r, &h->proc) ||
	    xdr_get_u32(&r, &h->type) || xdr_get_u32(&r, &h->serial) ||
	    xdr_get_u32(&r, &h->status))
		return -EBADMSG;
	xdr_reader_init(payload, pkt + KP_HEADER_SIZE, len - KP_HEADER_SIZE);
	return 0;
}

void rpc_begin(struct xdr_buf *b, const struct rpc_header *h)
{
	xdr_put_u32(b, 0);
	xdr_put_u32(b, h->prog);
	xdr_put_u32(b, h->vers);
	xdr_put_u32(b, h->proc);
	xdr_put_u32(b, h->type);
	xdr_put_u32(b, h->serial);
	xdr_put_u32(b, h->status);
}

int rpc_finish(struct xdr_buf *b)
{
	if (b->failed || b->len < 4 + KP_HEADER_SIZE || b->len > KP_MESSAGE_MAX)
		return -E2BIG;
	b->data[0] = (uint8_t)(b->len >> 24);
	b->data[1] = (uint8_t)(b->len >> 16);
	b->data[2] = (uint8_t)(b->len >> 8);
	b->data[3] = (uint8_t)b->len;
	return 0;
}

void rpc_build_error(struct xdr_buf *b, const struct rpc_header *call, int code, int domain,
		     const char *message)
{
	struct rpc_header h = *call;

	h.type = call->type == KP_STREAM ? KP_STREAM : KP_REPLY;
	h.status = KP_STATUS_ERROR;
	rpc_begin(b, &h);
	xdr_put_i32(b, code);
	xdr_put_i32(b, domain);
	xdr_put_opt_string(b, message);
	xdr_put_i32(b, KP_ERR_LEVEL_ERROR);
	xdr_put_u32(b, 0);		/* dom: absent */
	xdr_put_opt_string(b, NULL);	/* str1 */
	xdr_put_opt_string(b, NULL);	/* str2 */
	xdr_put_opt_string(b, NULL);	/* str3 */
	xdr_put_i32(b, 0);		/* int1 */
	xdr_put_i32(b, 0);		/* int2 */
	xdr_put_u32(b, 0);		/* net: absent */
}

int rpc_put_domain(struct xdr_buf *b, const struct rpc_domain *d)
{
	xdr_put_string(b, d->name ? d->name : "");
	xdr_put_opaque_fixed(b, d->uuid, 16);
	return xdr_put_i32(b, d->id);
}

int rpc_get_domain(struct xdr_reader *r, struct rpc_domain *d)
{
	memset(d, 0, sizeof(*d));
	if (xdr_get_string(r, &d->name, KP_STRING_MAX) || xdr_get_opaque_fixed(r, d->uuid, 16) ||
	    xdr_get_i32(r, &d->id)) {
		rpc_domain_free(d);
		return -EBADMSG;
	}
	return 0;
}

void rpc_domain_free(struct rpc_domain *d)
{
	free(d->name);
	d->name = NULL;
}
