/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device side of a virtio 1.x split virtqueue (virtio spec 2.7): descriptor table,
 * available ring and used ring in guest memory, with indirect descriptors and event index.
 *
 * Everything in the rings is written by the guest and is hostile: every index is masked or
 * checked, every address and length is resolved through guest_mem (never outside guest
 * RAM), chains are bounded (no loops), and directions are checked (device-readable
 * descriptors first, then device-writable). A rule broken by the guest marks the queue
 * broken: it returns -EIO from then on and the transport reports DEVICE_NEEDS_RESET.
 *
 * Threads: after virtq_enable() a queue is used by one thread at a time (its device's
 * worker); the transport only configures, enables and resets it while that worker is
 * stopped.
 */
#ifndef KEEL_VDEVICES_VIRTIO_QUEUE_H
#define KEEL_VDEVICES_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vdevices/guest_mem.h"

#define VIRTQ_MAX_SIZE 1024
/* Longest chain a device accepts (direct + indirect segments); longer is a guest error. */
#define VIRTQ_MAX_SEGS 256

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq {
	/* Set by the transport from the guest's queue registers before virtq_enable(). */
	uint16_t size; /* a power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool indirect;  /* VIRTIO_F_RING_INDIRECT_DESC negotiated */

	/* State, owned by the queue. */
	bool enabled;
	bool broken;
	const struct guest_mem *mem;
	void *desc, *avail, *used; /* host views of the three areas, checked at enable */
	uint16_t last_avail;       /* next available-ring slot to consume */
	uint16_t used_idx;         /* next used-ring slot to fill */
	uint16_t signalled_used;   /* used_idx when the guest was last notified */
	bool signalled_used_valid;
	uint16_t in_flight;        /* chains popped and not yet pushed */
};

/* One request: device-readable segments iov[0..n_out), then device-writable ones. */
struct virtq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	uint64_t out_len, in_len; /* byte totals of each part */
	struct iovec iov[VIRTQ_MAX_SEGS];
};

/* Back to the state after device reset: not enabled, not broken, registers zero. */
void virtq_reset(struct virtq *vq);
/*
 * Checks the configured size and the three areas (alignment 16/2/4, wholly inside guest
 * RAM, the used ring overlapping neither of the others) and starts the queue. -EINVAL
 * (queue left disabled) if any is wrong. The ring
 * indices are kept (zero after virtq_reset()) and kicks start enabled.
 */
int virtq_enable(struct virtq *vq, const struct guest_mem *mem);
/*
 * Takes the next available chain: 1 with *chain filled, 0 if the guest offered none,
 * -EIO if the queue is (or just became) broken, -ENODEV if it is not enabled.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);
/*
 * Returns a popped chain with the number of bytes written into its writable part. This and
 * the notification calls below do nothing (false) on a queue not enabled or broken.
 */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);
/* After one or more pushes: does the guest want an interrupt now (event index or flags)? */
bool virtq_should_notify(struct virtq *vq);
/*
 * Notification suppression for the guest's kicks: a worker that has drained the queue
 * enables kicks and must then check again; virtq_enable_kicks() returns true if buffers
 * arrived in between (keep working). virtq_disable_kicks() while busy.
 */
bool virtq_enable_kicks(struct virtq *vq);
void virtq_disable_kicks(struct virtq *vq);
/* Marks the queue broken (a device-level rule was broken, e.g. a header too short). */
void virtq_set_broken(struct virtq *vq);

/* Copy helpers across a chain's segments; they return the number of bytes copied. */
size_t virtq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t virtq_buf_to_iov(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
			size_t len);

#endif
