/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Disk backend for virtio-blk: a raw image file or a host block device, with asynchronous
 * requests.
 *
 * Opening takes an flock() on the image (exclusive for read-write, shared for read-only),
 * so two VMs cannot write the same image. The image is opened with O_DIRECT (no host page
 * cache, "cache=none") unless its filesystem refuses it (then buffered; blockdev_direct()).
 *
 * Requests: blockdev_submit() only queues; blockdev_kick() hands everything queued to the
 * kernel at once (one io_uring_enter for a whole virtqueue drain). Each accepted request
 * completes exactly once, in any order: the completion fd becomes readable and
 * blockdev_reap() returns the request's tag and result. A request blockdev_submit()
 * refuses (negative return) never completes.
 *
 * Buffers: the iovec array is copied at submit; the memory it points to must stay valid
 * until the request is reaped. O_DIRECT needs aligned memory, offsets and lengths; the
 * backend handles any alignment itself: misaligned memory with an aligned offset and
 * length goes through an aligned bounce buffer (up to 4 MiB), anything else through a
 * second, buffered descriptor of the same image. Aligned requests (the usual guest case:
 * sector offsets, page or 512-byte aligned buffers) go straight to the disk.
 *
 * Engines: io_uring (IORING_OP_READV/WRITEV/FSYNC/FALLOCATE, completions signalled on the
 * completion fd through io_uring_register_eventfd). If io_uring cannot be set up, a pool of
 * four worker threads does the same with preadv/pwritev/fdatasync; callers cannot tell the
 * difference. KEEL_BLOCKDEV_ENGINE=threads in the environment (read at each open) forces
 * the thread pool, for tests. With io_uring, discard and write-zeroes on a block device
 * (BLKDISCARD/BLKZEROOUT) run synchronously inside blockdev_kick() or blockdev_reap(), and
 * complete through the same queue.
 *
 * Threads: blockdev_submit(), blockdev_flush_submit(), blockdev_kick(), blockdev_reap()
 * and blockdev_close() are called from one thread at a time (the device's worker). The
 * queries read what open fixed and may be called from any thread.
 */
#ifndef KEEL_VDEVICES_BLOCKDEV_H
#define KEEL_VDEVICES_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct blockdev;

enum blockdev_op {
	BLOCKDEV_READ,
	BLOCKDEV_WRITE,
	BLOCKDEV_FLUSH,		/* fdatasync: every completed write is durable */
	BLOCKDEV_DISCARD,	/* files: punch a hole (reads back zeros); devices: BLKDISCARD */
	BLOCKDEV_WRITE_ZEROES,	/* files: zero range (or punch a hole); devices: BLKZEROOUT */
};

struct blockdev_request {
	enum blockdev_op op;
	uint64_t offset;		/* bytes; ignored by FLUSH */
	const struct iovec *iov;	/* READ, WRITE: the data, at most BLOCKDEV_MAX_IOVS */
	unsigned iovcnt;
	uint64_t length;		/* DISCARD, WRITE_ZEROES: bytes */
	void *tag;			/* handed back by blockdev_reap() */
};

#define BLOCKDEV_MAX_IOVS 1024

struct blockdev_completion {
	void *tag;
	int64_t result;	/* READ, WRITE: bytes (all of them); others 0; or a negative errno */
};

/*
 * Opens path read-write or read-only. 0 or a negative errno with a message in err naming
 * the path and the reason: missing file, size not a multiple of 512, "in use by another
 * process" (-EBUSY, the lock), not a file or block device.
 */
int blockdev_open(const char *path, bool readonly, struct blockdev **out, char *err,
		  size_t errlen);
/* Waits for every accepted request (queued ones are issued first; completions not reaped
 * are dropped), then frees. */
void blockdev_close(struct blockdev *bd);

uint64_t blockdev_size(const struct blockdev *bd);		/* bytes, a multiple of 512 */
uint32_t blockdev_logical_block_size(const struct blockdev *bd); /* 512 for files */
bool blockdev_readonly(const struct blockdev *bd);
bool blockdev_direct(const struct blockdev *bd);	/* O_DIRECT in use */
/* Both false on a read-only disk. Write-zeroes always reads back zeros; discard on a file
 * does too. */
bool blockdev_can_discard(const struct blockdev *bd);
bool blockdev_can_write_zeroes(const struct blockdev *bd);
const char *blockdev_engine(const struct blockdev *bd);	/* "io_uring" or "threads" */

/*
 * Queues a request: 0, or -EINVAL (unknown op, range beyond the end of the disk, too many
 * iovecs), -EROFS (a write, discard or write-zeroes on a read-only disk), -ENOMEM.
 * Nothing is issued before blockdev_kick().
 */
int blockdev_submit(struct blockdev *bd, const struct blockdev_request *req);
int blockdev_flush_submit(struct blockdev *bd, void *tag);
/* Issues everything queued. */
void blockdev_kick(struct blockdev *bd);

/* Readable (EPOLLIN) while completions wait; level-triggered use is fine. */
int blockdev_completion_fd(const struct blockdev *bd);
/*
 * Fills out with up to max finished requests and returns how many. Reading the completion
 * fd is done here; if more than max wait, the fd stays readable.
 */
unsigned blockdev_reap(struct blockdev *bd, struct blockdev_completion *out, unsigned max);

#endif
