// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: virtkeeld's packet path on arbitrary bytes: the framer fed in chunks the
 * input chooses, each packet's header, and its payload decoded as the procedures decode
 * theirs (strings, optional strings, domain handles, uuids, hypers, bools), re-encoded and
 * decoded again to the same values; error replies built for every packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/proto.h"
#include "daemon/rpc.h"
#include "daemon/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes items as the ops byte says; re-encodes them into out. */
static void decode_items(struct xdr_reader *r, uint8_t ops, struct xdr_buf *out)
{
	for (int i = 0; i < 8 && !r->failed; i++, ops = (uint8_t)(ops >> 1 | ops << 7)) {
		struct rpc_domain dom;
		uint8_t uuid[16];
		uint64_t h;
		char *s;
		bool b;

		switch ((ops + i) % 6) {
		case 0:
			if (!xdr_get_string(r, &s, KP_STRING_MAX)) {
				xdr_put_string(out, s);
				free(s);
			}
			break;
		case 1:
			if (!xdr_get_opt_string(r, &s, 4096)) {
				xdr_put_opt_string(out, s);
				free(s);
			}
			break;
		case 2:
			if (!rpc_get_domain(r, &dom)) {
				rpc_put_domain(out, &dom);
				rpc_domain_free(&dom);
			}
			break;
		case 3:
			if (!xdr_get_opaque_fixed(r, uuid, 16))
				xdr_put_opaque_fixed(out, uuid, 16);
			break;
		case 4:
			if (!xdr_get_u64(r, &h))
				xdr_put_u64(out, h);
			break;
		default:
			if (!xdr_get_bool(r, &b))
				xdr_put_bool(out, b);
			break;
		}
	}
}

static void packet(const uint8_t *pkt, size_t len)
{
	struct rpc_header h;
	struct xdr_reader payload, again;
	struct xdr_buf out, err;

	if (rpc_header_decode(pkt, len, &h, &payload))
		return;
	xdr_buf_init(&out, 1 << 20);
	decode_items(&payload, (uint8_t)(h.proc ^ h.serial), &out);
	/* What was decoded re-encodes to bytes that decode the same way. */
	if (!out.failed && out.len) {
		struct xdr_buf out2;

		xdr_reader_init(&again, out.data, out.len);
		xdr_buf_init(&out2, 1 << 20);
		decode_items(&again, (uint8_t)(h.proc ^ h.serial), &out2);
		if (out2.len > out.len || memcmp(out2.data, out.data, out2.len))
			abort();
		xdr_buf_free(&out2);
	}
	xdr_buf_free(&out);
	xdr_buf_init(&err, KP_MESSAGE_MAX);
	rpc_build_error(&err, &h, (int)h.proc, 6, "fuzz");
	if (rpc_finish(&err))
		abort();
	xdr_buf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_framer f;
	const uint8_t *pkt;
	size_t off = 1, len;
	int ret;

	if (!size || rpc_framer_init(&f))
		return 0;
	/* The first byte sets the chunk size the bytes arrive in. */
	while (off < size) {
		size_t chunk = (size_t)data[0] % 64 + 1, avail;
		void *space;

		if (rpc_framer_space(&f, &space, &avail))
			break;
		if (chunk > size - off)
			chunk = size - off;
		if (chunk > avail)
			chunk = avail;
		memcpy(space, data + off, chunk);
		rpc_framer_commit(&f, chunk);
		off += chunk;
		while ((ret = rpc_framer_next(&f, &pkt, &len)) == 1)
			packet(pkt, len);
		if (ret < 0)
			break;
	}
	rpc_framer_free(&f);
	return 0;
}
