/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XDR (RFC 4506) as libvirt's protocol uses it: big-endian 4-byte units, 8-byte hypers,
 * strings and variable opaques with a length and zero padding to 4, optional values behind
 * a 0/1 word. The encoder grows a buffer up to a limit; the decoder checks every length
 * against what is left before it allocates. Failures are sticky: check once at the end.
 */
#ifndef KEEL_DAEMON_XDR_H
#define KEEL_DAEMON_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xdr_buf {
	uint8_t *data;
	size_t len, cap;
	size_t limit;		/* the buffer never grows past this */
	bool failed;
};

/* An empty buffer that may grow to limit bytes. */
void xdr_buf_init(struct xdr_buf *b, size_t limit);
void xdr_buf_free(struct xdr_buf *b);
/* Each returns 0, or -E2BIG / -ENOMEM and marks the buffer failed. */
int xdr_put_u32(struct xdr_buf *b, uint32_t v);
int xdr_put_i32(struct xdr_buf *b, int32_t v);
int xdr_put_u64(struct xdr_buf *b, uint64_t v);
int xdr_put_i64(struct xdr_buf *b, int64_t v);
int xdr_put_bool(struct xdr_buf *b, bool v);
/* Fixed-length opaque: the bytes, padded to 4. */
int xdr_put_opaque_fixed(struct xdr_buf *b, const void *p, size_t n);
/* The bytes as they are, no padding (a stream packet's data). */
int xdr_put_raw(struct xdr_buf *b, const void *p, size_t n);
/* A length, the bytes, padding. */
int xdr_put_opaque(struct xdr_buf *b, const void *p, size_t n);
int xdr_put_string(struct xdr_buf *b, const char *s);
/* libvirt's remote_string: 0, or 1 and the string. */
int xdr_put_opt_string(struct xdr_buf *b, const char *s_or_null);

struct xdr_reader {
	const uint8_t *p;
	size_t len, off;
	bool failed;
};

void xdr_reader_init(struct xdr_reader *r, const void *p, size_t len);
/* Each returns 0, or -EBADMSG (short input, bad value) and marks the reader failed. */
int xdr_get_u32(struct xdr_reader *r, uint32_t *v);
int xdr_get_i32(struct xdr_reader *r, int32_t *v);
int xdr_get_u64(struct xdr_reader *r, uint64_t *v);
int xdr_get_i64(struct xdr_reader *r, int64_t *v);
/* Only 0 or 1. */
int xdr_get_bool(struct xdr_reader *r, bool *v);
int xdr_get_opaque_fixed(struct xdr_reader *r, void *out, size_t n);
/* A malloc-ed copy of at most max bytes (*out NULL when empty). */
int xdr_get_opaque(struct xdr_reader *r, uint8_t **out, size_t *n, size_t max);
/* A malloc-ed, NUL-terminated string of at most max bytes, with no NUL inside. */
int xdr_get_string(struct xdr_reader *r, char **out, size_t max);
/* remote_string: *out NULL when absent. */
int xdr_get_opt_string(struct xdr_reader *r, char **out, size_t max);
/* Everything consumed, nothing failed. */
bool xdr_reader_done(const struct xdr_reader *r);

#endif
