// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a hostile guest's split virtqueue. The input is an 8-byte header (queue size
 * and features, ring offsets, operation count), 4-byte operations (device pops and pushes,
 * guest writes and new offers between them), then the contents of guest RAM: 64 KiB at
 * gpa 0 and 4 KiB at 4 GiB. Every segment a pop returns is read or written in full so
 * ASan sees any pointer outside guest RAM.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "vdevices/virtio_queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOW_SIZE 0x10000u
#define HIGH_GPA 0x100000000ull
#define HIGH_SIZE 0x1000u
#define HEADER 8
#define OP_BYTES 4
#define DRAIN_LIMIT 64

#define check(cond)                                                                          \
	do {                                                                                 \
		if (!(cond))                                                                 \
			__builtin_trap();                                                    \
	} while (0)

static uint8_t *low, *high;
static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain chain;
static uint16_t outstanding[VIRTQ_MAX_SIZE];
static unsigned n_outstanding;
static volatile uint8_t sink;

struct fuzz_config {
	uint16_t size;
	bool event_idx, indirect;
	uint64_t desc, avail, used;
};

static void configure(const struct fuzz_config *c)
{
	virtq_reset(&vq);
	vq.size = c->size;
	vq.event_idx = c->event_idx;
	vq.indirect = c->indirect;
	vq.desc_gpa = c->desc;
	vq.avail_gpa = c->avail;
	vq.used_gpa = c->used;
	n_outstanding = 0;
	if (virtq_enable(&vq, &mem))
		check(!vq.enabled);
}

static void touch_chain(size_t skip)
{
	uint64_t out = 0, in = 0;
	uint8_t buf[64];
	size_t got;

	check(chain.head < vq.size);
	check(chain.n_out + chain.n_in <= VIRTQ_MAX_SEGS);
	for (unsigned i = 0; i < chain.n_out + chain.n_in; i++) {
		const struct iovec *v = &chain.iov[i];

		check(v->iov_len > 0);
		if (i < chain.n_out) {
			const uint8_t *p = v->iov_base;
			uint8_t x = 0;

			for (size_t k = 0; k < v->iov_len; k++)
				x ^= p[k];
			sink = x;
			out += v->iov_len;
		} else {
			memset(v->iov_base, 0xa5, v->iov_len);
			in += v->iov_len;
		}
	}
	check(out == chain.out_len && in == chain.in_len);
	check(out <= UINT32_MAX && in <= UINT32_MAX);

	got = virtq_iov_to_buf(chain.iov, chain.n_out, skip, buf, sizeof(buf));
	check(got == (skip >= out ? 0 : (out - skip < sizeof(buf) ? out - skip : sizeof(buf))));
	got = virtq_buf_to_iov(chain.iov + chain.n_out, chain.n_in, skip, buf, sizeof(buf));
	check(got == (skip >= in ? 0 : (in - skip < sizeof(buf) ? in - skip : sizeof(buf))));
}

/* Returns the pop result after checking it; a popped chain is touched and kept. */
static int pop(size_t skip)
{
	bool was_broken = vq.broken;
	int r = virtq_pop(&vq, &chain);

	check(r == 1 || r == 0 || r == -EIO || r == -ENODEV);
	if (was_broken)
		check(r == -EIO);
	if (r == -EIO) {
		check(vq.broken);
		check(virtq_pop(&vq, &chain) == -EIO);
	}
	if (r == -ENODEV)
		check(!vq.enabled && !vq.broken);
	if (r != 1)
		return r;
	touch_chain(skip);
	check(vq.in_flight <= vq.size && n_outstanding < VIRTQ_MAX_SIZE);
	outstanding[n_outstanding++] = chain.head;
	return r;
}

static void push(unsigned which, uint32_t written)
{
	uint16_t head;

	if (!n_outstanding)
		return;
	which %= n_outstanding;
	head = outstanding[which];
	outstanding[which] = outstanding[--n_outstanding];
	virtq_push(&vq, head, written);
	if (vq.enabled && !vq.broken)
		check(get_le16(guest_mem_ptr(&mem, vq.used_gpa + 2, 2)) == vq.used_idx);
	virtq_should_notify(&vq);
}

/* The guest offers one more head: ring slot at its current index, then the index. */
static void guest_offer(uint16_t head)
{
	uint8_t *avail;
	uint16_t idx;

	if (!vq.enabled)
		return;
	avail = guest_mem_ptr(&mem, vq.avail_gpa, 4 + 2 * (uint64_t)vq.size);
	idx = get_le16(avail + 2);
	put_le16(avail + 4 + 2 * (idx & (vq.size - 1)), head);
	put_le16(avail + 2, idx + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_config c;
	const uint8_t *ops;
	size_t n_ops, rest;
	bool raw;

	if (size < HEADER)
		return 0;
	if (!low) {
		low = aligned_alloc(4096, LOW_SIZE);
		high = aligned_alloc(4096, HIGH_SIZE);
		mem.ranges[0] = (struct guest_mem_range){ 0, LOW_SIZE, low };
		mem.ranges[1] = (struct guest_mem_range){ HIGH_GPA, HIGH_SIZE, high };
		mem.count = 2;
	}

	/* Header: size and features, the three ring offsets (bits 6, 7: in the high range). */
	raw = data[7] & 0x80;
	/* 1..8192 (too large from 2048), then 0 and 3: not powers of two */
	c.size = (uint16_t)(1u << (data[0] & 0xf));
	if ((data[0] & 0xf) >= 0xe)
		c.size = (data[0] & 1) ? 3 : 0;
	c.event_idx = data[0] & 0x10;
	c.indirect = data[0] & 0x20;
	c.desc = get_le16(data + 1) & (raw ? 0xffff : ~15u);
	c.avail = get_le16(data + 3) & (raw ? 0xffff : ~1u);
	c.used = get_le16(data + 5) & (raw ? 0xffff : ~3u);
	if (data[0] & 0x40)
		c.desc = HIGH_GPA + (c.desc & (HIGH_SIZE - 1));
	if (data[0] & 0x80)
		c.used = HIGH_GPA + (c.used & (HIGH_SIZE - 1));
	n_ops = data[7] & 0x7f;
	if (n_ops > (size - HEADER) / OP_BYTES)
		n_ops = (size - HEADER) / OP_BYTES;
	ops = data + HEADER;

	/* The rest is guest RAM: low from its start, high from 0x800 bytes in. */
	rest = size - HEADER - n_ops * OP_BYTES;
	memset(low, 0, LOW_SIZE);
	memset(high, 0, HIGH_SIZE);
	memcpy(low, ops + n_ops * OP_BYTES, rest < LOW_SIZE ? rest : LOW_SIZE);
	if (rest > 0x800)
		memcpy(high, ops + n_ops * OP_BYTES + 0x800,
		       rest - 0x800 < HIGH_SIZE ? rest - 0x800 : HIGH_SIZE);

	configure(&c);
	for (size_t i = 0; i < n_ops; i++) {
		const uint8_t *op = ops + i * OP_BYTES;
		uint16_t arg = get_le16(op + 1);

		switch (op[0] & 7) {
		case 0:
			pop(op[3]);
			break;
		case 1:
			push(op[3], arg);
			break;
		case 2:
			/* the guest rewrites a byte of its RAM, rings and descriptors included */
			low[arg] = op[3];
			break;
		case 3:
			guest_offer(arg);
			break;
		case 4:
			if (virtq_enable_kicks(&vq))
				pop(op[3]);
			break;
		case 5:
			virtq_disable_kicks(&vq);
			break;
		case 6:
			virtq_should_notify(&vq);
			break;
		case 7:
			if (op[0] & 0x80)
				virtq_set_broken(&vq);
			else
				configure(&c);
			break;
		}
	}

	/* Then a device worker drains what is left. */
	for (unsigned i = 0; i < DRAIN_LIMIT; i++) {
		int r = pop(i);

		if (r < 0)
			break;
		if (r == 0 && !virtq_enable_kicks(&vq))
			break;
		if (r == 1)
			push(0, (uint32_t)chain.in_len);
	}
	return 0;
}
