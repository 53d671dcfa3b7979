// SPDX-License-Identifier: GPL-2.0
/* XDR encoding and decoding with bounds on every length (see xdr.h). */
#include "daemon/xdr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void xdr_buf_init(struct xdr_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void xdr_buf_free(struct xdr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Room for n more bytes, returned zeroed. */
static uint8_t *reserve(struct xdr_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return NULL;
	if (n > b->limit || b->len > b->limit - n) {
		b->failed = true;
		return NULL;
	}
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		if (cap > b->limit)
			cap = b->limit;
		p = realloc(b->data, cap);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

static int fail_code(const struct xdr_buf *b)
{
	return b->cap < b->limit ? -ENOMEM : -E2BIG;
}

int xdr_put_u32(struct xdr_buf *b, uint32_t v)
{
	uint8_t *p = reserve(b, 4);

	if (!p)
		return fail_code(b);
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 0;
}

int xdr_put_i32(struct xdr_buf *b, int32_t v)
{
	return xdr_put_u32(b, (uint32_t)v);
}

int xdr_put_u64(struct xdr_buf *b, uint64_t v)
{
	int ret = xdr_put_u32(b, (uint32_t)(v >> 32));

	return ret ? ret : xdr_put_u32(b, (uint32_t)v);
}

int xdr_put_i64(struct xdr_buf *b, int64_t v)
{
	return xdr_put_u64(b, (uint64_t)v);
}

int xdr_put_bool(struct xdr_buf *b, bool v)
{
	return xdr_put_u32(b, v ? 1 : 0);
}

int xdr_put_raw(struct xdr_buf *b, const void *p, size_t n)
{
	uint8_t *dst;

	if (n > b->limit)
		b->failed = true;
	dst = reserve(b, n);
	if (!dst)
		return fail_code(b);
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int xdr_put_opaque_fixed(struct xdr_buf *b, const void *p, size_t n)
{
	int ret = xdr_put_raw(b, p, n);

	if (ret)
		return ret;
	if (pad4(n) && !reserve(b, pad4(n)))
		return fail_code(b);
	return 0;
}

int xdr_put_opaque(struct xdr_buf *b, const void *p, size_t n)
{
	int ret;

	if (n > UINT32_MAX) {
		b->failed = true;
		return -E2BIG;
	}
	ret = xdr_put_u32(b, (uint32_t)n);
	return ret ? ret : xdr_put_opaque_fixed(b, p, n);
}

int xdr_put_string(struct xdr_buf *b, const char *s)
{
	return xdr_put_opaque(b, s, strlen(s));
}

int xdr_put_opt_string(struct xdr_buf *b, const char *s_or_null)
{
	int ret = xdr_put_bool(b, s_or_null != NULL);

	return ret || !s_or_null ? ret : xdr_put_string(b, s_or_null);
}

void xdr_reader_init(struct xdr_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->failed = false;
}

/* n bytes of input, or NULL (and failed) when fewer are left. */
static const uint8_t *take(struct xdr_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed || n > r->len - r->off) {
		r->failed = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

int xdr_get_u32(struct xdr_reader *r, uint32_t *v)
{
	const uint8_t *p = take(r, 4);

	if (!p)
		return -EBADMSG;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int xdr_get_i32(struct xdr_reader *r, int32_t *v)
{
	uint32_t u;
	int ret = xdr_get_u32(r, &u);

	if (!ret)
		*v = (int32_t)u;
	return ret;
}

int xdr_get_u64(struct xdr_reader *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (xdr_get_u32(r, &hi) || xdr_get_u32(r, &lo))
		return -EBADMSG;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int xdr_get_i64(struct xdr_reader *r, int64_t *v)
{
	uint64_t u;
	int ret = xdr_get_u64(r, &u);

	if (!ret)
		*v = (int64_t)u;
	return ret;
}

int xdr_get_bool(struct xdr_reader *r, bool *v)
{
	uint32_t u;

	if (xdr_get_u32(r, &u))
		return -EBADMSG;
	if (u > 1) {
		r->failed = true;
		return -EBADMSG;
	}
	*v = u;
	return 0;
}

int xdr_get_opaque_fixed(struct xdr_reader *r, void *out, size_t n)
{
	const uint8_t *p;

	if (n > SIZE_MAX - 3) {
		r->failed = true;
		return -EBADMSG;
	}
	p = take(r, n + pad4(n));
	if (!p)
		return -EBADMSG;
	if (n)
		memcpy(out, p, n);
	return 0;
}

/* A counted item of at most max bytes: its bytes in the input, padding skipped. */
static const uint8_t *take_counted(struct xdr_reader *r, size_t max, uint32_t *len)
{
	if (xdr_get_u32(r, len))
		return NULL;
	if (*len > max) {
		r->failed = true;
		return NULL;
	}
	return take(r, (size_t)*len + pad4(*len));
}

/* A malloc-ed copy of len bytes, with a NUL after them. */
static void *copy_out(struct xdr_reader *r, const uint8_t *p, uint32_t len)
{
	uint8_t *c = malloc((size_t)len + 1);

	if (!c) {
		r->failed = true;
		return NULL;
	}
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

int xdr_get_opaque(struct xdr_reader *r, uint8_t **out, size_t *n, size_t max)
{
	uint32_t len;
	const uint8_t *p = take_counted(r, max, &len);

	*out = NULL;
	*n = 0;
	if (!p)
		return -EBADMSG;
	if (!len)
		return 0;
	*out = copy_out(r, p, len);
	if (!*out)
		return -ENOMEM;
	*n = len;
	return 0;
}

int xdr_get_string(struct xdr_reader *r, char **out, size_t max)
{
	uint32_t len;
	const uint8_t *p = take_counted(r, max, &len);

	*out = NULL;
	if (!p)
		return -EBADMSG;
	if (memchr(p, '\0', len)) {
		r->failed = true;
		return -EBADMSG;
	}
	*out = copy_out(r, p, len);
	return *out ? 0 : -ENOMEM;
}

int xdr_get_opt_string(struct xdr_reader *r, char **out, size_t max)
{
	bool present;

	*out = NULL;
	if (xdr_get_bool(r, &present))
		return -EBADMSG;
	return present ? xdr_get_string(r, out, max) : 0;
}

bool xdr_reader_done(const struct xdr_reader *r)
{
	return !r->failed && r->off == r->len;
}
