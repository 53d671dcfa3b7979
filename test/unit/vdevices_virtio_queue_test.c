// SPDX-License-Identifier: GPL-2.0
#include "vdevices/virtio_queue.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/bytes.h"

/* Fake guest RAM: 256 KiB at 0 (rings and buffers) and 64 KiB at 4 GiB. */
#define LOW_SIZE 0x40000ull
#define HIGH_GPA 0x100000000ull
#define HIGH_SIZE 0x10000ull
#define DESC_GPA 0x1000ull
#define AVAIL_GPA 0x5000ull
#define USED_GPA 0x6000ull
#define BUF_GPA 0x10000ull
#define TABLE_GPA 0x30000ull

#define TQ_EVENT_IDX 1
#define TQ_INDIRECT 2

static uint8_t *tq_low, *tq_high;

/* The driver's side of one queue. */
struct tq {
	struct guest_mem mem;
	struct virtq vq;
	struct virtq_chain chain;
	uint16_t avail_idx;
};

static void tq_setup(struct tq *t, uint16_t size, unsigned features, uint16_t start)
{
	/* Allocated once and kept, so a failing CHECK leaks nothing. */
	if (!tq_low) {
		tq_low = aligned_alloc(4096, LOW_SIZE);
		tq_high = aligned_alloc(4096, HIGH_SIZE);
	}
	memset(tq_low, 0, LOW_SIZE);
	memset(tq_high, 0, HIGH_SIZE);
	memset(t, 0, sizeof(*t));
	t->mem.ranges[0] = (struct guest_mem_range){ 0, LOW_SIZE, tq_low };
	t->mem.ranges[1] = (struct guest_mem_range){ HIGH_GPA, HIGH_SIZE, tq_high };
	t->mem.count = 2;
	virtq_reset(&t->vq);
	t->vq.size = size;
	t->vq.desc_gpa = DESC_GPA;
	t->vq.avail_gpa = AVAIL_GPA;
	t->vq.used_gpa = USED_GPA;
	t->vq.event_idx = features & TQ_EVENT_IDX;
	t->vq.indirect = features & TQ_INDIRECT;
	t->vq.last_avail = t->vq.used_idx = start;
	t->avail_idx = start;
	put_le16(tq_low + AVAIL_GPA + 2, start);
	put_le16(tq_low + USED_GPA + 2, start);
}

static bool tq_init(struct tq *t, uint16_t size, unsigned features)
{
	tq_setup(t, size, features, 0);
	return virtq_enable(&t->vq, &t->mem) == 0;
}

static uint8_t *host(struct tq *t, uint64_t gpa)
{
	return guest_mem_ptr(&t->mem, gpa, 1);
}

static void put_desc(struct tq *t, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *p = guest_mem_ptr(&t->mem, table + 16 * (uint64_t)i, 16);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, flags);
	put_le16(p + 14, next);
}

static void desc(struct tq *t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	put_desc(t, DESC_GPA, i, addr, len, flags, next);
}

static void set_avail_idx(struct tq *t, uint16_t idx)
{
	put_le16(tq_low + AVAIL_GPA + 2, idx);
}

static void offer(struct tq *t, uint16_t head)
{
	put_le16(tq_low + AVAIL_GPA + 4 + 2 * (t->avail_idx & (t->vq.size - 1)), head);
	set_avail_idx(t, ++t->avail_idx);
}

static uint16_t used_idx(void)
{
	return get_le16(tq_low + USED_GPA + 2);
}

static uint16_t used_flags(void)
{
	return get_le16(tq_low + USED_GPA);
}

static uint32_t used_id(struct tq *t, uint16_t idx)
{
	return get_le32(tq_low + USED_GPA + 4 + 8 * (idx & (t->vq.size - 1)));
}

static uint32_t used_len(struct tq *t, uint16_t idx)
{
	return get_le32(tq_low + USED_GPA + 8 + 8 * (idx & (t->vq.size - 1)));
}

static uint16_t avail_event(struct tq *t)
{
	return get_le16(tq_low + USED_GPA + 4 + 8 * t->vq.size);
}

static void set_used_event(struct tq *t, uint16_t v)
{
	put_le16(tq_low + AVAIL_GPA + 4 + 2 * t->vq.size, v);
}

static void set_avail_flags(uint16_t v)
{
	put_le16(tq_low + AVAIL_GPA, v);
}

/* The queue refuses the offered chain and every later call, and writes nothing. */
static bool stays_broken(struct tq *t)
{
	uint16_t before = used_idx();

	if (virtq_pop(&t->vq, &t->chain) != -EIO || !t->vq.broken)
		return false;
	if (virtq_pop(&t->vq, &t->chain) != -EIO)
		return false;
	virtq_push(&t->vq, 0, 1);
	if (used_idx() != before || virtq_should_notify(&t->vq) || virtq_enable_kicks(&t->vq))
		return false;
	offer(t, 0);
	return virtq_pop(&t->vq, &t->chain) == -EIO;
}

TEST(virtq_simple_chain)
{
	struct tq t;

	CHECK(tq_init(&t, 8, 0));
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 0);
	desc(&t, 3, BUF_GPA, 12, VIRTQ_DESC_F_NEXT, 5);
	desc(&t, 5, HIGH_GPA + 0x100, 100, VIRTQ_DESC_F_NEXT, 0);
	desc(&t, 0, BUF_GPA + 0x1000, 64, VIRTQ_DESC_F_WRITE, 7); /* next ignored without NEXT */
	offer(&t, 3);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.head, 3);
	CHECK_EQ(t.chain.n_out, 2);
	CHECK_EQ(t.chain.n_in, 1);
	CHECK_EQ(t.chain.out_len, 112);
	CHECK_EQ(t.chain.in_len, 64);
	CHECK(t.chain.iov[0].iov_base == host(&t, BUF_GPA));
	CHECK_EQ(t.chain.iov[0].iov_len, 12);
	CHECK(t.chain.iov[1].iov_base == host(&t, HIGH_GPA + 0x100));
	CHECK_EQ(t.chain.iov[1].iov_len, 100);
	CHECK(t.chain.iov[2].iov_base == host(&t, BUF_GPA + 0x1000));
	CHECK_EQ(t.chain.iov[2].iov_len, 64);
	CHECK_EQ(t.vq.in_flight, 1);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 0);

	virtq_push(&t.vq, 3, 40);
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(used_id(&t, 0), 3);
	CHECK_EQ(used_len(&t, 0), 40);
	CHECK_EQ(t.vq.in_flight, 0);
	CHECK(virtq_should_notify(&t.vq));
	CHECK(!t.vq.broken);
}

TEST(virtq_indirect_chain)
{
	struct tq t;

	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	/* The WRITE flag of the indirect descriptor itself is ignored. */
	desc(&t, 2, HIGH_GPA + 0x800, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	put_desc(&t, HIGH_GPA + 0x800, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
	put_desc(&t, HIGH_GPA + 0x800, 2, BUF_GPA + 16, 8, VIRTQ_DESC_F_NEXT, 1);
	put_desc(&t, HIGH_GPA + 0x800, 1, HIGH_GPA, 512, VIRTQ_DESC_F_WRITE, 0);
	offer(&t, 2);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.head, 2);
	CHECK_EQ(t.chain.n_out, 2);
	CHECK_EQ(t.chain.n_in, 1);
	CHECK_EQ(t.chain.out_len, 24);
	CHECK_EQ(t.chain.in_len, 512);
	CHECK(t.chain.iov[1].iov_base == host(&t, BUF_GPA + 16));
	CHECK(t.chain.iov[2].iov_base == host(&t, HIGH_GPA));

	/* Direct descriptors, then an indirect table at the end of the chain. */
	desc(&t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(&t, 1, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.n_out, 1);
	CHECK_EQ(t.chain.n_in, 1);
	CHECK_EQ(t.chain.in_len, 32);
}

TEST(virtq_zero_length_segments_skipped)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	/* A zero-length descriptor adds no segment, whatever its address. */
	desc(&t, 0, ~0ull, 0, VIRTQ_DESC_F_NEXT, 1);
	desc(&t, 1, BUF_GPA, 10, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(&t, 2, 0x7777777777ull, 0, 0, 0);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.n_out, 0);
	CHECK_EQ(t.chain.n_in, 1);
	CHECK_EQ(t.chain.in_len, 10);
}

TEST(virtq_push_order_and_reoffer)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	for (unsigned i = 0; i < 4; i++) {
		desc(&t, i, BUF_GPA + 0x100 * i, 0x100, VIRTQ_DESC_F_WRITE, 0);
		offer(&t, i);
	}
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
		CHECK_EQ(t.chain.head, i);
	}
	CHECK_EQ(t.vq.in_flight, 4);
	virtq_push(&t.vq, 2, 7);
	virtq_push(&t.vq, 0, 9);
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(used_id(&t, 0), 2);
	CHECK_EQ(used_len(&t, 0), 7);
	CHECK_EQ(used_id(&t, 1), 0);
	CHECK_EQ(used_len(&t, 1), 9);
	/* The guest reuses what came back. */
	offer(&t, 2);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.head, 2);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.head, 0);
	CHECK_EQ(t.vq.in_flight, 4);
	CHECK(!t.vq.broken);
}

TEST(virtq_index_wraparound)
{
	struct tq t;

	tq_setup(&t, 4, TQ_EVENT_IDX, 65533);
	CHECK_EQ(virtq_enable(&t.vq, &t.mem), 0);
	desc(&t, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	desc(&t, 1, BUF_GPA + 8, 8, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 10; i++) {
		uint16_t before = used_idx();

		offer(&t, i & 1);
		CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
		CHECK_EQ(t.chain.head, i & 1);
		virtq_push(&t.vq, i & 1, i);
		CHECK_EQ(used_idx(), (uint16_t)(before + 1));
		CHECK_EQ(used_id(&t, before), i & 1);
		CHECK_EQ(used_len(&t, before), i);
	}
	CHECK_EQ(t.vq.last_avail, 7);
	CHECK_EQ(used_idx(), 7);
	CHECK(!virtq_enable_kicks(&t.vq));
	CHECK_EQ(avail_event(&t), 7);

	/* Just full across the wrap is fine; one more is not. */
	for (unsigned i = 0; i < 4; i++)
		offer(&t, 0);
	CHECK(virtq_enable_kicks(&t.vq));
	set_avail_idx(&t, (uint16_t)(t.vq.last_avail + 5));
	CHECK(stays_broken(&t));
}

TEST(virtq_event_idx_notify)
{
	struct tq t;

	CHECK(tq_init(&t, 8, TQ_EVENT_IDX));
	for (unsigned i = 0; i < 8; i++) {
		desc(&t, i, BUF_GPA, 16, VIRTQ_DESC_F_WRITE, 0);
		offer(&t, i);
	}
	set_used_event(&t, 100); /* far away: only the first notification is forced */
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	virtq_push(&t.vq, t.chain.head, 1);
	CHECK(virtq_should_notify(&t.vq)); /* nothing signalled since enable */
	CHECK(!virtq_should_notify(&t.vq)); /* nothing new */

	/* used 1 -> 2 with used_event 1: the guest wants it. */
	set_used_event(&t, 1);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	virtq_push(&t.vq, t.chain.head, 1);
	CHECK(virtq_should_notify(&t.vq));

	/* used 2 -> 3 with used_event 1: already passed. */
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	virtq_push(&t.vq, t.chain.head, 1);
	CHECK(!virtq_should_notify(&t.vq));

	/* A batch 3 -> 6 crossing used_event 4. */
	set_used_event(&t, 4);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
		virtq_push(&t.vq, t.chain.head, 1);
	}
	CHECK(virtq_should_notify(&t.vq));

	/* A batch 6 -> 8 ending just before used_event 8. */
	set_used_event(&t, 8);
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
		virtq_push(&t.vq, t.chain.head, 1);
	}
	CHECK(!virtq_should_notify(&t.vq));

	/* The avail flags mean nothing with event index. */
	set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_used_event(&t, 8);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	virtq_push(&t.vq, 0, 1);
	CHECK(virtq_should_notify(&t.vq));

	/* After a reset and enable, the first notification is forced again. */
	virtq_reset(&t.vq);
	CHECK(!virtq_should_notify(&t.vq));
	t.vq.size = 8;
	t.vq.desc_gpa = DESC_GPA;
	t.vq.avail_gpa = AVAIL_GPA;
	t.vq.used_gpa = USED_GPA;
	t.vq.event_idx = true;
	CHECK_EQ(virtq_enable(&t.vq, &t.mem), 0);
	set_used_event(&t, 1000);
	CHECK(virtq_should_notify(&t.vq));
}

TEST(virtq_no_interrupt_flag)
{
	struct tq t;

	CHECK(tq_init(&t, 2, 0));
	desc(&t, 0, BUF_GPA, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	virtq_push(&t.vq, 0, 1);
	set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!virtq_should_notify(&t.vq));
	set_avail_flags(0);
	CHECK(virtq_should_notify(&t.vq));
	/* used_event means nothing without event index. */
	set_used_event(&t, 500);
	CHECK(virtq_should_notify(&t.vq));
}

TEST(virtq_kicks_with_flags)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	put_le16(tq_low + USED_GPA, 0xffff); /* stale garbage: enable clears it */
	CHECK_EQ(virtq_enable(&t.vq, &t.mem), 0);
	CHECK_EQ(used_flags(), 0);
	virtq_disable_kicks(&t.vq);
	CHECK_EQ(used_flags(), VIRTQ_USED_F_NO_NOTIFY);
	CHECK(!virtq_enable_kicks(&t.vq));
	CHECK_EQ(used_flags(), 0);

	/* The guest adds a buffer while kicks were off: enable_kicks says keep working. */
	virtq_disable_kicks(&t.vq);
	desc(&t, 1, BUF_GPA, 4, 0, 0);
	offer(&t, 1);
	CHECK(virtq_enable_kicks(&t.vq));
	CHECK_EQ(used_flags(), 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK(!virtq_enable_kicks(&t.vq));
}

TEST(virtq_kicks_with_event_idx)
{
	struct tq t;

	CHECK(tq_init(&t, 4, TQ_EVENT_IDX));
	CHECK_EQ(avail_event(&t), 0);
	for (unsigned i = 0; i < 3; i++) {
		desc(&t, i, BUF_GPA, 4, 0, 0);
		offer(&t, i);
	}
	virtq_disable_kicks(&t.vq);
	CHECK_EQ(used_flags(), 0); /* flags are not the mechanism with event index */
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK(virtq_enable_kicks(&t.vq)); /* two more are waiting */
	CHECK_EQ(avail_event(&t), 1);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK(!virtq_enable_kicks(&t.vq));
	CHECK_EQ(avail_event(&t), 3);
}

TEST(virtq_enable_checks)
{
	static const struct {
		uint16_t size;
		uint64_t desc, avail, used;
	} bad[] = {
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 3, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 2048, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 1025, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 8, DESC_GPA + 8, AVAIL_GPA, USED_GPA },
		{ 8, DESC_GPA, AVAIL_GPA + 1, USED_GPA },
		{ 8, DESC_GPA, AVAIL_GPA, USED_GPA + 2 },
		{ 8, LOW_SIZE, AVAIL_GPA, USED_GPA },
		{ 8, LOW_SIZE - 16 * 8 + 16, AVAIL_GPA, USED_GPA },
		{ 8, DESC_GPA, HIGH_GPA + HIGH_SIZE, USED_GPA },
		{ 8, DESC_GPA, AVAIL_GPA, 0x80000000ull },
		{ 8, DESC_GPA, AVAIL_GPA, ~0ull - 3 },
		{ 8, HIGH_GPA - 64, AVAIL_GPA, USED_GPA },
		/* one byte short: the event field is part of each ring */
		{ 8, DESC_GPA, LOW_SIZE - (4 + 2 * 8 + 2) + 2, USED_GPA },
		{ 8, DESC_GPA, AVAIL_GPA, LOW_SIZE - (4 + 8 * 8) },
	};
	struct tq t;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tq_setup(&t, bad[i].size, 0, 0);
		t.vq.desc_gpa = bad[i].desc;
		t.vq.avail_gpa = bad[i].avail;
		t.vq.used_gpa = bad[i].used;
		CHECK_EQ(virtq_enable(&t.vq, &t.mem), -EINVAL);
		CHECK(!t.vq.enabled);
		CHECK_EQ(virtq_pop(&t.vq, &t.chain), -ENODEV);
	}

	/* Exactly at the ends of the ranges, and the largest size. */
	tq_setup(&t, 8, 0, 0);
	t.vq.desc_gpa = HIGH_GPA + HIGH_SIZE - 16 * 8;
	t.vq.avail_gpa = LOW_SIZE - (4 + 2 * 8 + 2);
	t.vq.used_gpa = HIGH_GPA;
	CHECK_EQ(virtq_enable(&t.vq, &t.mem), 0);
	CHECK(t.vq.enabled);
	CHECK(tq_init(&t, VIRTQ_MAX_SIZE, TQ_EVENT_IDX | TQ_INDIRECT));
	CHECK(tq_init(&t, 1, 0));
}

TEST(virtq_disabled_reset_and_set_broken)
{
	struct tq t;

	tq_setup(&t, 4, 0, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), -ENODEV);
	virtq_push(&t.vq, 0, 1);
	CHECK_EQ(used_idx(), 0);
	CHECK(!virtq_should_notify(&t.vq));
	CHECK(!virtq_enable_kicks(&t.vq));

	CHECK_EQ(virtq_enable(&t.vq, &t.mem), 0);
	desc(&t, 0, BUF_GPA, 4, 0, 0);
	offer(&t, 0);
	virtq_set_broken(&t.vq);
	CHECK(stays_broken(&t));

	virtq_reset(&t.vq);
	CHECK(!t.vq.broken);
	CHECK(!t.vq.enabled);
	CHECK_EQ(t.vq.size, 0);
	CHECK_EQ(t.vq.desc_gpa, 0);
	CHECK_EQ(t.vq.last_avail, 0);
	CHECK_EQ(t.vq.used_idx, 0);
	CHECK_EQ(t.vq.in_flight, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), -ENODEV);
}

TEST(virtq_copy_helpers)
{
	uint8_t a[3], b[5], c[4], out[16];
	const struct iovec iov[] = { { a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) },
				     { c, sizeof(c) } };
	const uint8_t src[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

	CHECK_EQ(virtq_buf_to_iov(iov, 4, 0, src, sizeof(src)), 12);
	CHECK_EQ(a[0], 1);
	CHECK_EQ(b[0], 4);
	CHECK_EQ(c[3], 12);
	memset(out, 0, sizeof(out));
	CHECK_EQ(virtq_iov_to_buf(iov, 4, 0, out, sizeof(out)), 12);
	CHECK(!memcmp(out, src, 12));
	CHECK_EQ(virtq_iov_to_buf(iov, 4, 2, out, 4), 4);
	CHECK_EQ(out[0], 3);
	CHECK_EQ(out[3], 6);
	CHECK_EQ(virtq_iov_to_buf(iov, 4, 8, out, 16), 4);
	CHECK_EQ(out[0], 9);
	CHECK_EQ(virtq_iov_to_buf(iov, 4, 12, out, 16), 0);
	CHECK_EQ(virtq_iov_to_buf(iov, 4, 100, out, 16), 0);
	CHECK_EQ(virtq_iov_to_buf(iov, 2, 0, out, 16), 3);

	CHECK_EQ(virtq_buf_to_iov(iov, 4, 3, src, 6), 6);
	CHECK_EQ(b[0], 1);
	CHECK_EQ(b[4], 5);
	CHECK_EQ(c[0], 6);
	CHECK_EQ(c[1], 10);
	CHECK_EQ(virtq_buf_to_iov(iov, 4, 11, src, 6), 1);
	CHECK_EQ(c[3], 1);
	CHECK_EQ(virtq_buf_to_iov(iov, 4, 0, src, 0), 0);
}

/* Hostile guests: each rule broken leaves the queue broken. */

TEST(virtq_hostile_avail_idx_too_far)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	desc(&t, 0, BUF_GPA, 4, 0, 0);
	set_avail_idx(&t, 5);
	CHECK(stays_broken(&t));

	/* Behind last_avail is "too far ahead" modulo 2^16. */
	CHECK(tq_init(&t, 4, 0));
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	set_avail_idx(&t, 0);
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_head_out_of_range)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	offer(&t, 4);
	CHECK(stays_broken(&t));
	CHECK(tq_init(&t, 4, 0));
	offer(&t, 0xffff);
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_next_out_of_range)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	desc(&t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 4);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);
	offer(&t, 0);
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_loops)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	desc(&t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(&t, 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	/* A chain through every descriptor of the table is not a loop. */
	CHECK(tq_init(&t, 4, 0));
	for (unsigned i = 0; i < 4; i++)
		desc(&t, i, BUF_GPA, 4, i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.n_out, 4);

	/* A loop of zero-length descriptors adds no segment but is still a loop. */
	CHECK(tq_init(&t, 1, 0));
	desc(&t, 0, 0, 0, VIRTQ_DESC_F_NEXT, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, TABLE_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(&t, TABLE_GPA, 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);
	put_desc(&t, TABLE_GPA, 2, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	offer(&t, 0);
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_indirect_rules)
{
	struct tq t;
	static const uint32_t bad_len[] = { 0, 8, 17, 24, (VIRTQ_MAX_SIZE + 1) * 16, 0xfffffff0 };

	/* Not negotiated. */
	CHECK(tq_init(&t, 4, 0));
	desc(&t, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA, 4, 0, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	/* Together with NEXT. */
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	desc(&t, 1, BUF_GPA, 4, 0, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA, 4, 0, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	for (unsigned i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		CHECK(tq_init(&t, 4, TQ_INDIRECT));
		desc(&t, 0, BUF_GPA, bad_len[i], VIRTQ_DESC_F_INDIRECT, 0);
		offer(&t, 0);
		CHECK(stays_broken(&t));
	}

	/* The largest table is fine. */
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, TABLE_GPA, VIRTQ_MAX_SIZE * 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA, 4, 0, 0);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);

	/* Tables outside guest RAM, or running off its end. */
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, 0x80000000ull, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, HIGH_GPA + HIGH_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, ~0ull - 15, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	/* Nested. */
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(&t, TABLE_GPA, 1, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA + 0x100, 0, BUF_GPA, 4, 0, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_segments_outside_ram)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ LOW_SIZE, 1 },
		{ LOW_SIZE - 4, 5 },
		{ 0x80000000ull, 16 },
		{ HIGH_GPA - 1, 2 },
		{ HIGH_GPA + HIGH_SIZE - 1, 2 },
		{ HIGH_GPA + HIGH_SIZE, 1 },
		{ ~0ull, 1 },
		{ ~0ull - 4, 100 },
		{ 0, 0xffffffff },
	};
	struct tq t;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned write = 0; write < 2; write++) {
			CHECK(tq_init(&t, 4, 0));
			desc(&t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
			desc(&t, 1, bad[i].addr, bad[i].len, write ? VIRTQ_DESC_F_WRITE : 0, 0);
			offer(&t, 0);
			CHECK(stays_broken(&t));
		}
	}

	/* The same inside an indirect table. */
	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, HIGH_GPA + HIGH_SIZE - 8, 9, VIRTQ_DESC_F_WRITE, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	/* The last byte of each range is fine. */
	CHECK(tq_init(&t, 4, 0));
	desc(&t, 0, LOW_SIZE - 1, 1, VIRTQ_DESC_F_NEXT, 1);
	desc(&t, 1, HIGH_GPA + HIGH_SIZE - 1, 1, 0, 0);
	offer(&t, 0);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.n_out, 2);
}

TEST(virtq_hostile_readable_after_writable)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	desc(&t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(&t, 1, BUF_GPA + 4, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(&t, 2, BUF_GPA + 8, 4, 0, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));

	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	desc(&t, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(&t, 1, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(&t, TABLE_GPA, 0, BUF_GPA + 8, 4, 0, 0);
	offer(&t, 0);
	CHECK(stays_broken(&t));
}

static void segments_table(struct tq *t, unsigned n)
{
	desc(t, 0, TABLE_GPA, n * 16, VIRTQ_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < n; i++)
		put_desc(t, TABLE_GPA, i, BUF_GPA + i, 1,
			 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (i >= 100 ? VIRTQ_DESC_F_WRITE : 0),
			 i + 1);
	offer(t, 0);
}

TEST(virtq_hostile_too_many_segments)
{
	struct tq t;

	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	segments_table(&t, VIRTQ_MAX_SEGS);
	CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	CHECK_EQ(t.chain.n_out, 100);
	CHECK_EQ(t.chain.n_in, VIRTQ_MAX_SEGS - 100);
	CHECK(t.chain.iov[VIRTQ_MAX_SEGS - 1].iov_base == host(&t, BUF_GPA + VIRTQ_MAX_SEGS - 1));

	CHECK(tq_init(&t, 4, TQ_INDIRECT));
	segments_table(&t, VIRTQ_MAX_SEGS + 1);
	CHECK(stays_broken(&t));

	/* Direct descriptors count the same. */
	CHECK(tq_init(&t, 512, 0));
	for (unsigned i = 0; i <= VIRTQ_MAX_SEGS; i++)
		desc(&t, i, BUF_GPA, 1, i < VIRTQ_MAX_SEGS ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	offer(&t, 0);
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_too_many_in_flight)
{
	struct tq t;

	CHECK(tq_init(&t, 4, 0));
	for (unsigned i = 0; i < 4; i++) {
		desc(&t, i, BUF_GPA, 4, 0, 0);
		offer(&t, i);
		CHECK_EQ(virtq_pop(&t.vq, &t.chain), 1);
	}
	offer(&t, 0); /* re-offered before the device gave it back */
	CHECK(stays_broken(&t));
}

TEST(virtq_hostile_length_totals)
{
	/* A reserved, never touched range large enough for 4 GiB segments. */
	const uint64_t huge_gpa = 0x200000000ull, huge_size = 0x100001000ull;
	void *huge = mmap(NULL, huge_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	struct tq t;
	bool ok = true;

	CHECK(huge != MAP_FAILED);
	for (unsigned write = 0; write < 2 && ok; write++) {
		uint16_t f = write ? VIRTQ_DESC_F_WRITE : 0;

		tq_setup(&t, 4, 0, 0);
		t.mem.ranges[2] = (struct guest_mem_range){ huge_gpa, huge_size, huge };
		t.mem.count = 3;
		ok = ok && virtq_enable(&t.vq, &t.mem) == 0;
		desc(&t, 0, huge_gpa, 0x80000000u, VIRTQ_DESC_F_NEXT | f, 1);
		desc(&t, 1, huge_gpa, 0x7fffffffu, f, 0);
		offer(&t, 0);
		ok = ok && virtq_pop(&t.vq, &t.chain) == 1;
		ok = ok && (write ? t.chain.in_len : t.chain.out_len) == UINT32_MAX;
		desc(&t, 2, huge_gpa, 0xffffffffu, VIRTQ_DESC_F_NEXT | f, 3);
		desc(&t, 3, huge_gpa + 0x1000, 1, f, 0);
		offer(&t, 2);
		ok = ok && stays_broken(&t);
	}
	munmap(huge, huge_size);
	CHECK(ok);
}

/* A used ring aliasing the avail ring would feed the device's own stores back as offers. */
TEST(virtq_used_ring_overlapping_refused)
{
	struct virtq vq;
	struct guest_mem mem = { .count = 1 };
	static uint8_t ram[0x4000] __attribute__((aligned(4096)));

	mem.ranges[0] = (struct guest_mem_range){ 0, sizeof(ram), ram };
	virtq_reset(&vq);
	vq.size = 16;
	vq.desc_gpa = 0;
	vq.avail_gpa = 510;
	vq.used_gpa = 512;
	CHECK_EQ(virtq_enable(&vq, &mem), -EINVAL);
	vq.avail_gpa = 0x1000;
	vq.used_gpa = 0x80; /* inside the descriptor table */
	CHECK_EQ(virtq_enable(&vq, &mem), -EINVAL);
	vq.used_gpa = 0x2000;
	CHECK_EQ(virtq_enable(&vq, &mem), 0);
}
