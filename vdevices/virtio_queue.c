// SPDX-License-Identifier: GPL-2.0
/*
 * The device side of a split virtqueue (virtio 1.x, 2.7). The guest may rewrite any ring
 * byte at any time: shared fields are read with single atomic loads, descriptors are copied
 * once and only the copy is checked and used, and every address goes through guest_mem.
 */
#include "vdevices/virtio_queue.h"

#include <errno.h>
#include <string.h>

#include "lib/bytes.h"

#define VIRTQ_DESC_BYTES 16
#define VIRTQ_USED_ELEM_BYTES 8
/* flags and idx before the ring, the event field after it */
#define VIRTQ_RING_HEADER 4
#define VIRTQ_RING_EVENT 2
/* Ring fields in 16-bit units: 0 flags, 1 idx, then the ring; the event field follows it. */
#define RING_FLAGS 0
#define RING_IDX 1
#define RING_START 2

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define virtq_le16(v) (v)
#define virtq_le32(v) (v)
#else
#define virtq_le16(v) __builtin_bswap16(v)
#define virtq_le32(v) __builtin_bswap32(v)
#endif

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static size_t virtq_avail_bytes(uint16_t size)
{
	return VIRTQ_RING_HEADER + 2 * (size_t)size + VIRTQ_RING_EVENT;
}

static size_t virtq_used_bytes(uint16_t size)
{
	return VIRTQ_RING_HEADER + VIRTQ_USED_ELEM_BYTES * (size_t)size + VIRTQ_RING_EVENT;
}

static uint16_t *avail_field(const struct virtq *vq, unsigned i)
{
	return (uint16_t *)vq->avail + i;
}

static uint16_t *used_field(const struct virtq *vq, unsigned i)
{
	return (uint16_t *)vq->used + i;
}

static uint16_t load16(const uint16_t *p, int order)
{
	return virtq_le16(__atomic_load_n(p, order));
}

static void store16(uint16_t *p, uint16_t v, int order)
{
	__atomic_store_n(p, virtq_le16(v), order);
}

static uint16_t avail_idx_acquire(const struct virtq *vq)
{
	return load16(avail_field(vq, RING_IDX), __ATOMIC_ACQUIRE);
}

static uint16_t *used_event_field(const struct virtq *vq)
{
	return avail_field(vq, RING_START + vq->size);
}

static uint16_t *avail_event_field(const struct virtq *vq)
{
	/* size 8-byte elements are 4 * size 16-bit units */
	return used_field(vq, RING_START + 4 * (unsigned)vq->size);
}

static int virtq_break(struct virtq *vq)
{
	vq->broken = true;
	return -EIO;
}

void virtq_reset(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

void virtq_set_broken(struct virtq *vq)
{
	vq->broken = true;
}

static void *virtq_area(const struct guest_mem *mem, uint64_t gpa, size_t len, unsigned align)
{
	void *p;

	if (gpa % align)
		return NULL;
	p = guest_mem_ptr(mem, gpa, len);
	/* Atomic accesses need the host view aligned too (true for page-aligned mappings). */
	if (!p || (uintptr_t)p % align)
		return NULL;
	return p;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int virtq_enable(struct virtq *vq, const struct guest_mem *mem)
{
	void *desc, *avail, *used;

	vq->enabled = false;
	if (!vq->size || vq->size > VIRTQ_MAX_SIZE || (vq->size & (vq->size - 1)))
		return -EINVAL;
	desc = virtq_area(mem, vq->desc_gpa, VIRTQ_DESC_BYTES * (size_t)vq->size, 16);
	avail = virtq_area(mem, vq->avail_gpa, virtq_avail_bytes(vq->size), 2);
	used = virtq_area(mem, vq->used_gpa, virtq_used_bytes(vq->size), 4);
	if (!desc || !avail || !used)
		return -EINVAL;
	/* The device writes the used ring: were it to alias what the guest writes, its own
	 * stores would read back as guest offers (a worker spinning forever). */
	if (ranges_overlap(vq->used_gpa, virtq_used_bytes(vq->size), vq->avail_gpa,
			   virtq_avail_bytes(vq->size)) ||
	    ranges_overlap(vq->used_gpa, virtq_used_bytes(vq->size), vq->desc_gpa,
			   VIRTQ_DESC_BYTES * (size_t)vq->size))
		return -EINVAL;
	vq->mem = mem;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->in_flight = 0;
	vq->signalled_used_valid = false;
	vq->enabled = true;
	/* Start with kicks on, whatever the guest left in the device-owned fields. */
	store16(used_field(vq, RING_FLAGS), 0, __ATOMIC_RELAXED);
	if (vq->event_idx)
		store16(avail_event_field(vq), vq->last_avail, __ATOMIC_RELAXED);
	return 0;
}

/* One read of the guest's bytes; everything after uses only the copy. */
static void desc_read(const uint8_t *table, unsigned i, struct virtq_desc *d)
{
	const volatile uint8_t *src = table + (size_t)i * VIRTQ_DESC_BYTES;
	uint8_t raw[VIRTQ_DESC_BYTES];

	for (unsigned k = 0; k < VIRTQ_DESC_BYTES; k++)
		raw[k] = src[k];
	d->addr = get_le64(raw);
	d->len = get_le32(raw + 8);
	d->flags = get_le16(raw + 12);
	d->next = get_le16(raw + 14);
}

static int chain_add(struct virtq *vq, struct virtq_chain *chain, const struct virtq_desc *d)
{
	unsigned n = chain->n_out + chain->n_in;
	void *p;

	if (!d->len)
		return 0;
	p = guest_mem_ptr(vq->mem, d->addr, d->len);
	if (!p || n >= VIRTQ_MAX_SEGS)
		return virtq_break(vq);
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		chain->in_len += d->len;
		if (chain->in_len > UINT32_MAX)
			return virtq_break(vq);
		chain->n_in++;
	} else {
		/* Device-readable descriptors all come before the writable ones. */
		if (chain->n_in)
			return virtq_break(vq);
		chain->out_len += d->len;
		if (chain->out_len > UINT32_MAX)
			return virtq_break(vq);
		chain->n_out++;
	}
	chain->iov[n].iov_base = p;
	chain->iov[n].iov_len = d->len;
	return 0;
}

static int chain_walk(struct virtq *vq, struct virtq_chain *chain, uint16_t head)
{
	const uint8_t *table = vq->desc;
	unsigned table_len = vq->size, visited = 0, i = head;
	bool indirect = false;
	struct virtq_desc d;

	for (;;) {
		/* More steps than descriptors in the table means the chain loops. */
		if (++visited > table_len)
			return virtq_break(vq);
		desc_read(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect || indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return virtq_break(vq);
			if (!d.len || d.len % VIRTQ_DESC_BYTES ||
			    d.len > VIRTQ_MAX_SIZE * VIRTQ_DESC_BYTES)
				return virtq_break(vq);
			table = guest_mem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return virtq_break(vq);
			table_len = d.len / VIRTQ_DESC_BYTES;
			indirect = true;
			visited = 0;
			i = 0;
			continue;
		}
		if (chain_add(vq, chain, &d))
			return -EIO;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= table_len)
			return virtq_break(vq);
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail, head;
	int ret;

	if (vq->broken)
		return -EIO;
	if (!vq->enabled)
		return -ENODEV;
	/* Acquire: the ring entries below were written before the index. */
	avail = avail_idx_acquire(vq);
	if ((uint16_t)(avail - vq->last_avail) > vq->size)
		return virtq_break(vq);
	if (avail == vq->last_avail)
		return 0;
	/* Only size chains fit in the table; more outstanding means the guest re-offered one. */
	if (vq->in_flight >= vq->size)
		return virtq_break(vq);
	head = load16(avail_field(vq, RING_START + (vq->last_avail & (vq->size - 1))),
		      __ATOMIC_RELAXED);
	if (head >= vq->size)
		return virtq_break(vq);

	chain->head = head;
	chain->n_out = chain->n_in = 0;
	chain->out_len = chain->in_len = 0;
	ret = chain_walk(vq, chain, head);
	if (ret)
		return ret;
	vq->last_avail++;
	vq->in_flight++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	uint32_t *elem;

	if (!vq->enabled || vq->broken)
		return;
	elem = (uint32_t *)((uint8_t *)vq->used + VIRTQ_RING_HEADER +
			    VIRTQ_USED_ELEM_BYTES * (size_t)(vq->used_idx & (vq->size - 1)));
	__atomic_store_n(&elem[0], virtq_le32((uint32_t)head), __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], virtq_le32(written), __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element is visible before the index that hands it over. */
	store16(used_field(vq, RING_IDX), vq->used_idx, __ATOMIC_RELEASE);
	if (vq->in_flight)
		vq->in_flight--;
}

/* Has the used index moved past event since old (all modulo 2^16)? */
static bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, event;
	bool valid;

	if (!vq->enabled || vq->broken)
		return false;
	/* The used index store must be visible before we read what the guest asks for. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(avail_field(vq, RING_FLAGS), __ATOMIC_RELAXED) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	event = load16(used_event_field(vq), __ATOMIC_RELAXED);
	return virtq_need_event(event, vq->used_idx, old);
}

bool virtq_enable_kicks(struct virtq *vq)
{
	if (!vq->enabled || vq->broken)
		return false;
	if (vq->event_idx)
		store16(avail_event_field(vq), vq->last_avail, __ATOMIC_RELAXED);
	else
		store16(used_field(vq, RING_FLAGS), 0, __ATOMIC_RELAXED);
	/* Publish before re-reading avail idx, or a kick skipped in between is lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_idx_acquire(vq) != vq->last_avail;
}

void virtq_disable_kicks(struct virtq *vq)
{
	if (!vq->enabled || vq->broken)
		return;
	/* With event index, the last avail_event written is behind the guest: no more kicks. */
	if (!vq->event_idx)
		store16(used_field(vq, RING_FLAGS), VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

/* Copies between a flat buffer and the bytes of iov after skip, in either direction. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t skip, uint8_t *buf, size_t len,
		       bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, c;
		uint8_t *at;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		at = (uint8_t *)iov[i].iov_base + skip;
		c = seg - skip < len - done ? seg - skip : len - done;
		if (to_iov)
			memcpy(at, buf + done, c);
		else
			memcpy(buf + done, at, c);
		done += c;
		skip = 0;
	}
	return done;
}

size_t virtq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t virtq_buf_to_iov(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
			size_t len)
{
	return iov_copy(iov, n, skip, (uint8_t *)buf, len, true);
}
