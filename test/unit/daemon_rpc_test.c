// SPDX-License-Identifier: GPL-2.0
#include "daemon/proto.h"
#include "daemon/rpc.h"
#include "daemon/xdr.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

TEST(xdr_round_trip_of_every_type)
{
	struct xdr_buf b;
	struct xdr_reader r;
	uint8_t uuid[16], back16[16];
	uint32_t u;
	int32_t i;
	uint64_t h;
	int64_t sh;
	bool flag;
	char *s, *opt;
	uint8_t *op;
	size_t n;

	for (int k = 0; k < 16; k++)
		uuid[k] = (uint8_t)(k * 17);
	xdr_buf_init(&b, 1024);
	xdr_put_u32(&b, 0xdeadbeef);
	xdr_put_i32(&b, -5);
	xdr_put_u64(&b, 0x0102030405060708ULL);
	xdr_put_i64(&b, -2);
	xdr_put_bool(&b, true);
	xdr_put_string(&b, "keel");
	xdr_put_opt_string(&b, NULL);
	xdr_put_opaque_fixed(&b, uuid, 16);
	xdr_put_opaque(&b, "abcde", 5);
	CHECK(!b.failed);
	/* 4+4+8+8+4, string 4+4, absent 4, uuid 16, opaque 4+8 */
	CHECK_EQ(b.len, 68);
	xdr_reader_init(&r, b.data, b.len);
	CHECK(!xdr_get_u32(&r, &u) && u == 0xdeadbeef);
	CHECK(!xdr_get_i32(&r, &i) && i == -5);
	CHECK(!xdr_get_u64(&r, &h) && h == 0x0102030405060708ULL);
	CHECK(!xdr_get_i64(&r, &sh) && sh == -2);
	CHECK(!xdr_get_bool(&r, &flag) && flag);
	CHECK(!xdr_get_string(&r, &s, 100) && !strcmp(s, "keel"));
	CHECK(!xdr_get_opt_string(&r, &opt, 100) && !opt);
	CHECK(!xdr_get_opaque_fixed(&r, back16, 16) && !memcmp(back16, uuid, 16));
	CHECK(!xdr_get_opaque(&r, &op, &n, 100) && n == 5 && !memcmp(op, "abcde", 5));
	CHECK(xdr_reader_done(&r));
	free(s);
	free(op);
	xdr_buf_free(&b);
}

TEST(xdr_strings_are_padded_with_zeros)
{
	static const uint8_t want[] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0 };
	struct xdr_buf b;

	xdr_buf_init(&b, 64);
	xdr_put_string(&b, "hello");
	CHECK_EQ(b.len, sizeof(want));
	CHECK(!memcmp(b.data, want, sizeof(want)));
	xdr_buf_free(&b);
}

TEST(xdr_decoder_refuses_hostile_input)
{
	static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xf0, 'a' };
	static const uint8_t over_max[] = { 0, 0, 0, 8, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	static const uint8_t nul_inside[] = { 0, 0, 0, 3, 'a', 0, 'b', 0 };
	static const uint8_t bool_two[] = { 0, 0, 0, 2 };
	static const uint8_t short_pad[] = { 0, 0, 0, 1, 'a' };
	struct xdr_reader r;
	char *s = NULL;
	bool flag;
	uint64_t h;

	xdr_reader_init(&r, huge_len, sizeof(huge_len));
	CHECK_EQ(xdr_get_string(&r, &s, KP_STRING_MAX), -EBADMSG);
	xdr_reader_init(&r, over_max, sizeof(over_max));
	CHECK_EQ(xdr_get_string(&r, &s, 4), -EBADMSG);
	xdr_reader_init(&r, nul_inside, sizeof(nul_inside));
	CHECK_EQ(xdr_get_string(&r, &s, 100), -EBADMSG);
	xdr_reader_init(&r, bool_two, sizeof(bool_two));
	CHECK_EQ(xdr_get_bool(&r, &flag), -EBADMSG);
	xdr_reader_init(&r, short_pad, sizeof(short_pad));
	CHECK_EQ(xdr_get_string(&r, &s, 100), -EBADMSG);
	xdr_reader_init(&r, bool_two, 3);
	CHECK_EQ(xdr_get_u64(&r, &h), -EBADMSG);
	/* Failures stick. */
	CHECK(r.failed && !xdr_reader_done(&r));
	CHECK(s == NULL);
}

TEST(xdr_encoder_stops_at_its_limit)
{
	struct xdr_buf b;

	xdr_buf_init(&b, 8);
	CHECK_EQ(xdr_put_u64(&b, 1), 0);
	CHECK_EQ(xdr_put_u32(&b, 1), -E2BIG);
	CHECK(b.failed);
	CHECK_EQ(b.len, 8);
	xdr_buf_free(&b);
}

static void put_packet(struct xdr_buf *b, uint32_t proc, uint32_t serial, const char *arg)
{
	struct rpc_header h = { KP_PROGRAM, 1, proc, KP_CALL, serial, KP_STATUS_OK };

	rpc_begin(b, &h);
	xdr_put_string(b, arg);
	rpc_finish(b);
}

static int feed(struct rpc_framer *f, const uint8_t *p, size_t n)
{
	void *space;
	size_t avail;

	while (n) {
		size_t k;

		if (rpc_framer_space(f, &space, &avail))
			return -1;
		k = n < avail ? n : avail;
		memcpy(space, p, k);
		rpc_framer_commit(f, k);
		p += k;
		n -= k;
	}
	return 0;
}

TEST(framer_packets_split_at_every_byte)
{
	struct xdr_buf one, two;
	uint8_t both[256];
	size_t total;

	xdr_buf_init(&one, 1024);
	xdr_buf_init(&two, 1024);
	put_packet(&one, 23, 7, "first");
	put_packet(&two, 24, 8, "second!");
	memcpy(both, one.data, one.len);
	memcpy(both + one.len, two.data, two.len);
	total = one.len + two.len;
	for (size_t cut = 0; cut <= total; cut++) {
		struct rpc_framer f;
		const uint8_t *pkt;
		struct rpc_header h;
		struct xdr_reader payload;
		size_t len;
		unsigned got = 0;
		char *s;

		CHECK(!rpc_framer_init(&f));
		for (int part = 0; part < 2; part++) {
			CHECK(!feed(&f, part ? both + cut : both, part ? total - cut : cut));
			while (rpc_framer_next(&f, &pkt, &len) == 1) {
				CHECK(!rpc_header_decode(pkt, len, &h, &payload));
				CHECK_EQ(h.serial, 7 + got);
				CHECK(!xdr_get_string(&payload, &s, 100));
				CHECK(!strcmp(s, got ? "second!" : "first"));
				CHECK(xdr_reader_done(&payload));
				free(s);
				got++;
			}
		}
		CHECK_EQ(got, 2);
		rpc_framer_free(&f);
	}
	xdr_buf_free(&one);
	xdr_buf_free(&two);
}

TEST(framer_refuses_bad_lengths)
{
	static const uint8_t tiny[] = { 0, 0, 0, 27 };
	static const uint8_t huge[] = { 0x02, 0, 0, 1 };
	struct rpc_framer f;
	const uint8_t *pkt;
	size_t len;

	CHECK(!rpc_framer_init(&f));
	CHECK(!feed(&f, tiny, sizeof(tiny)));
	CHECK_EQ(rpc_framer_next(&f, &pkt, &len), -EMSGSIZE);
	rpc_framer_free(&f);
	CHECK(!rpc_framer_init(&f));
	CHECK(!feed(&f, huge, sizeof(huge)));
	CHECK_EQ(rpc_framer_next(&f, &pkt, &len), -EMSGSIZE);
	/* A declared 32 MiB packet does not make the framer allocate 32 MiB up front. */
	rpc_framer_free(&f);
	CHECK(!rpc_framer_init(&f));
	{
		static uint8_t big[200000] = { 0x02, 0, 0, 0, 0x20, 0, 0x80, 0x86 };

		for (int i = 0; i < 100; i++)
			CHECK(!feed(&f, big, i ? 64 : 8));
		CHECK_EQ(rpc_framer_next(&f, &pkt, &len), 0);
		CHECK_EQ(f.cap, 65536);
		CHECK(!feed(&f, big, sizeof(big)));
		CHECK_EQ(rpc_framer_next(&f, &pkt, &len), 0);
		CHECK(f.cap <= 4 * 200000);
	}
	rpc_framer_free(&f);
}

TEST(error_reply_layout)
{
	/* AUTH_LIST serial 0 answered with NO_SUPPORT "no": 28 header bytes, then the error. */
	static const uint8_t want[] = {
		0, 0, 0, 0x50, 0x20, 0, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 66,
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,	/* REPLY, serial 0, ERROR */
		0, 0, 0, 3, 0, 0, 0, 6,			/* code, domain */
		0, 0, 0, 1, 0, 0, 0, 2, 'n', 'o', 0, 0,	/* message */
		0, 0, 0, 2, 0, 0, 0, 0,			/* level, no domain */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* str1-3 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* int1, int2, no network */
	};
	struct rpc_header call = { KP_PROGRAM, 1, KP_PROC_AUTH_LIST, KP_CALL, 0, KP_STATUS_OK };
	struct xdr_buf b;

	xdr_buf_init(&b, 4096);
	rpc_build_error(&b, &call, KP_ERR_NO_SUPPORT, KP_FROM_DOM, "no");
	CHECK(!rpc_finish(&b));
	CHECK_EQ(b.len, sizeof(want));
	CHECK(!memcmp(b.data, want, sizeof(want)));
	xdr_buf_free(&b);
}

TEST(domain_handle_round_trip)
{
	struct rpc_domain d = { .name = "vm1", .id = -1 }, back;
	struct xdr_buf b;
	struct xdr_reader r;

	memset(d.uuid, 0xab, 16);
	xdr_buf_init(&b, 256);
	rpc_put_domain(&b, &d);
	CHECK_EQ(b.len, 8 + 16 + 4);
	xdr_reader_init(&r, b.data, b.len);
	CHECK(!rpc_get_domain(&r, &back));
	CHECK(!strcmp(back.name, "vm1") && back.id == -1 && !memcmp(back.uuid, d.uuid, 16));
	rpc_domain_free(&back);
	xdr_reader_init(&r, b.data, b.len - 1);
	CHECK_EQ(rpc_get_domain(&r, &back), -EBADMSG);
	CHECK(back.name == NULL);
	xdr_buf_free(&b);
}
