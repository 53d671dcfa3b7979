// SPDX-License-Identifier: GPL-2.0
/*
 * Disk backend. A request is a struct blockdev_io from submit to reap. The device's worker
 * thread (the caller) owns the free list, the queued and waiting lists, the io_uring and
 * the counters. With the thread pool, the work list is shared with the workers under
 * bd->lock; the done list is under bd->lock with either engine. A request being issued or
 * executed belongs to whoever issued it until it is on the done list. Everything else in
 * struct blockdev is fixed at open.
 */
#include "vdevices/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/log.h"

/* Requests in the kernel at once; the completion ring has twice as many slots, so it never
 * overflows. */
#define BLOCKDEV_URING_DEPTH 128
#define BLOCKDEV_THREADS 4
/* Larger misaligned requests use the buffered descriptor instead of a bounce buffer. */
#define BLOCKDEV_BOUNCE_MAX (4u << 20)
#define BLOCKDEV_INLINE_IOVS 8

struct blockdev_io {
	struct blockdev_io *next;
	enum blockdev_op op;
	void *tag;
	uint64_t offset;	/* where the rest of the transfer starts */
	uint64_t length;	/* DISCARD, WRITE_ZEROES */
	size_t total, done;	/* READ, WRITE: bytes asked for, bytes transferred */
	struct iovec *iov;	/* the caller's segments (our copy) */
	unsigned iovcnt;
	struct iovec *cur;	/* what is left: into iov, or the bounce buffer */
	unsigned curcnt;
	void *bounce;
	struct iovec bounce_iov;
	bool zero_by_punch;	/* WRITE_ZEROES on a file without FALLOC_FL_ZERO_RANGE */
	int64_t result;
	struct iovec *iov_heap;	/* kept across reuse */
	unsigned heap_cap;
	struct iovec iov_inline[BLOCKDEV_INLINE_IOVS];
};

struct blockdev_list {
	struct blockdev_io *head, **tail;
};

struct blockdev {
	int fd;			/* buffered; holds the lock */
	int dio_fd;		/* O_DIRECT on the same file, or -1 */
	int efd;		/* the completion fd */
	bool readonly, is_bdev, can_discard, can_zero;
	uint64_t size;
	uint32_t lbs;
	uint32_t mem_align, off_align;	/* what O_DIRECT wants of buffers, offsets, lengths */
	atomic_bool no_zero_range;	/* learnt from a refused FALLOC_FL_ZERO_RANGE */

	bool uring_on;
	struct io_uring ring;
	unsigned inflight;		/* requests in the ring */

	struct blockdev_io *free_ios;
	struct blockdev_list queued;	/* submitted, not kicked */
	struct blockdev_list waiting;	/* kicked, waiting for room in the ring */
	unsigned outstanding;		/* submitted, not reaped */

	pthread_mutex_t lock;
	pthread_cond_t work_cond;
	struct blockdev_list work;	/* thread pool: kicked, not taken by a worker */
	struct blockdev_list done;
	bool stopping;
	pthread_t threads[BLOCKDEV_THREADS];
	unsigned nthreads;
};

static void blockdev_list_init(struct blockdev_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static void blockdev_list_push(struct blockdev_list *l, struct blockdev_io *io)
{
	io->next = NULL;
	*l->tail = io;
	l->tail = &io->next;
}

static void blockdev_list_push_front(struct blockdev_list *l, struct blockdev_io *io)
{
	io->next = l->head;
	if (!l->head)
		l->tail = &io->next;
	l->head = io;
}

static struct blockdev_io *blockdev_list_pop(struct blockdev_list *l)
{
	struct blockdev_io *io = l->head;

	if (io) {
		l->head = io->next;
		if (!l->head)
			l->tail = &l->head;
	}
	return io;
}

static void blockdev_list_splice(struct blockdev_list *dst, struct blockdev_list *src)
{
	if (!src->head)
		return;
	*dst->tail = src->head;
	dst->tail = src->tail;
	blockdev_list_init(src);
}

static void blockdev_signal(struct blockdev *bd)
{
	uint64_t one = 1;

	/* Fails only when the counter is already huge: still readable then. */
	if (write(bd->efd, &one, sizeof(one)) < 0)
		return;
}

static void blockdev_gather(void *dst, const struct iovec *iov, unsigned n)
{
	uint8_t *p = dst;

	for (unsigned i = 0; i < n; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
}

static void blockdev_scatter(const struct iovec *iov, unsigned n, const void *src)
{
	const uint8_t *p = src;

	for (unsigned i = 0; i < n; i++) {
		memcpy(iov[i].iov_base, p, iov[i].iov_len);
		p += iov[i].iov_len;
	}
}

static void blockdev_iov_advance(struct iovec **iov, unsigned *cnt, size_t n)
{
	while (n && *cnt) {
		if (n < (*iov)->iov_len) {
			(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
			(*iov)->iov_len -= n;
			return;
		}
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
}

/* Would O_DIRECT take this transfer as it is? */
static bool blockdev_dio_ok(const struct blockdev *bd, uint64_t offset, const struct iovec *iov,
			    unsigned n)
{
	uintptr_t addrs = 0;
	size_t lens = 0;

	for (unsigned i = 0; i < n; i++) {
		addrs |= (uintptr_t)iov[i].iov_base;
		lens |= iov[i].iov_len;
	}
	return !(offset & (bd->off_align - 1)) && !(lens & (bd->off_align - 1)) &&
	       !(addrs & (bd->mem_align - 1));
}

/* Chosen at each issue: the rest of a short transfer may no longer suit O_DIRECT. */
static int blockdev_io_fd(const struct blockdev *bd, const struct blockdev_io *io)
{
	if (bd->dio_fd >= 0 && blockdev_dio_ok(bd, io->offset, io->cur, io->curcnt))
		return bd->dio_fd;
	return bd->fd;
}

static int blockdev_falloc_mode(const struct blockdev_io *io)
{
	if (io->op == BLOCKDEV_WRITE_ZEROES && !io->zero_by_punch)
		return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
}

/* One system call for io, as the thread pool (and block device discards) run it. */
static int64_t blockdev_io_sync(struct blockdev *bd, struct blockdev_io *io)
{
	uint64_t range[2] = { io->offset, io->length };
	ssize_t n;

	switch (io->op) {
	case BLOCKDEV_READ:
		n = preadv(blockdev_io_fd(bd, io), io->cur, io->curcnt, io->offset);
		break;
	case BLOCKDEV_WRITE:
		n = pwritev(blockdev_io_fd(bd, io), io->cur, io->curcnt, io->offset);
		break;
	case BLOCKDEV_FLUSH:
		n = fdatasync(bd->fd);
		break;
	case BLOCKDEV_DISCARD:
		if (bd->is_bdev)
			n = ioctl(bd->fd, BLKDISCARD, range);
		else
			n = fallocate(bd->fd, blockdev_falloc_mode(io), io->offset, io->length);
		break;
	default:
		if (bd->is_bdev)
			n = ioctl(bd->fd, BLKZEROOUT, range);
		else
			n = fallocate(bd->fd, blockdev_falloc_mode(io), io->offset, io->length);
		break;
	}
	return n < 0 ? -errno : n;
}

/*
 * Takes the result of one system call for io: true when io is finished (io->result set),
 * false when (the rest of) it must be issued again.
 */
static bool blockdev_io_progress(struct blockdev *bd, struct blockdev_io *io, int64_t res)
{
	if (res == -EINTR)
		return false;
	switch (io->op) {
	case BLOCKDEV_READ:
	case BLOCKDEV_WRITE:
		if (res <= 0) {
			/* Nothing moved: the image shrank under us. */
			io->result = res ? res : -EIO;
			return true;
		}
		io->done += res;
		if (io->done >= io->total) {
			if (io->bounce && io->op == BLOCKDEV_READ)
				blockdev_scatter(io->iov, io->iovcnt, io->bounce);
			io->result = io->total;
			return true;
		}
		io->offset += res;
		blockdev_iov_advance(&io->cur, &io->curcnt, res);
		return false;
	case BLOCKDEV_WRITE_ZEROES:
		if (res == -EOPNOTSUPP && !bd->is_bdev && !io->zero_by_punch) {
			/* tmpfs, for one, punches holes but has no zero range. */
			io->zero_by_punch = true;
			atomic_store_explicit(&bd->no_zero_range, true, memory_order_relaxed);
			return false;
		}
		/* fallthrough */
	default:
		io->result = res < 0 ? res : 0;
		return true;
	}
}

static void blockdev_io_run_sync(struct blockdev *bd, struct blockdev_io *io)
{
	while (!blockdev_io_progress(bd, io, blockdev_io_sync(bd, io)))
		;
}

static void blockdev_io_finish(struct blockdev *bd, struct blockdev_io *io, bool signal)
{
	pthread_mutex_lock(&bd->lock);
	blockdev_list_push(&bd->done, io);
	pthread_mutex_unlock(&bd->lock);
	if (signal)
		blockdev_signal(bd);
}

static struct blockdev_io *blockdev_io_get(struct blockdev *bd, unsigned iovcnt)
{
	struct blockdev_io *io = bd->free_ios;

	if (io)
		bd->free_ios = io->next;
	else
		io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	if (iovcnt <= BLOCKDEV_INLINE_IOVS) {
		io->iov = io->iov_inline;
		return io;
	}
	if (iovcnt > io->heap_cap) {
		free(io->iov_heap);
		io->iov_heap = malloc(iovcnt * sizeof(*io->iov_heap));
		io->heap_cap = io->iov_heap ? iovcnt : 0;
		if (!io->iov_heap) {
			io->next = bd->free_ios;
			bd->free_ios = io;
			return NULL;
		}
	}
	io->iov = io->iov_heap;
	return io;
}

static void blockdev_io_put(struct blockdev *bd, struct blockdev_io *io)
{
	free(io->bounce);
	io->bounce = NULL;
	io->next = bd->free_ios;
	bd->free_ios = io;
}

/* Misaligned memory, aligned offset and length: O_DIRECT through an aligned copy. */
static bool blockdev_wants_bounce(const struct blockdev *bd, const struct blockdev_io *io)
{
	uint64_t mask = bd->off_align - 1;

	return bd->dio_fd >= 0 && io->total && io->total <= BLOCKDEV_BOUNCE_MAX &&
	       !(io->offset & mask) && !(io->total & mask) &&
	       !blockdev_dio_ok(bd, io->offset, io->iov, io->iovcnt);
}

static int blockdev_io_bounce(struct blockdev *bd, struct blockdev_io *io)
{
	size_t align = 4096;

	if (bd->off_align > align)
		align = bd->off_align;
	if (bd->mem_align > align)
		align = bd->mem_align;
	if (posix_memalign(&io->bounce, align, io->total)) {
		io->bounce = NULL;
		return -ENOMEM;
	}
	if (io->op == BLOCKDEV_WRITE)
		blockdev_gather(io->bounce, io->iov, io->iovcnt);
	io->bounce_iov.iov_base = io->bounce;
	io->bounce_iov.iov_len = io->total;
	io->cur = &io->bounce_iov;
	io->curcnt = 1;
	return 0;
}

/* 0 with the byte count (READ, WRITE) or range length in *len, or a negative errno. */
static int blockdev_check(const struct blockdev *bd, const struct blockdev_request *req,
			  uint64_t *len)
{
	*len = 0;
	switch (req->op) {
	case BLOCKDEV_READ:
	case BLOCKDEV_WRITE:
		if (req->iovcnt > BLOCKDEV_MAX_IOVS || (req->iovcnt && !req->iov))
			return -EINVAL;
		for (unsigned i = 0; i < req->iovcnt; i++) {
			if (req->iov[i].iov_len > bd->size - *len)
				return -EINVAL; /* more than the disk: past its end for sure */
			*len += req->iov[i].iov_len;
		}
		break;
	case BLOCKDEV_FLUSH:
		return 0;
	case BLOCKDEV_DISCARD:
	case BLOCKDEV_WRITE_ZEROES:
		*len = req->length;
		break;
	default:
		return -EINVAL;
	}
	if (req->op != BLOCKDEV_READ && bd->readonly)
		return -EROFS;
	if (req->offset > bd->size || *len > bd->size - req->offset)
		return -EINVAL;
	return 0;
}

int blockdev_submit(struct blockdev *bd, const struct blockdev_request *req)
{
	bool rw = req->op == BLOCKDEV_READ || req->op == BLOCKDEV_WRITE;
	struct blockdev_io *io;
	uint64_t len;
	int ret;

	ret = blockdev_check(bd, req, &len);
	if (ret)
		return ret;
	io = blockdev_io_get(bd, rw ? req->iovcnt : 0);
	if (!io)
		return -ENOMEM;
	io->op = req->op;
	io->tag = req->tag;
	io->offset = req->offset;
	io->length = rw ? 0 : len;
	io->total = rw ? len : 0;
	io->done = 0;
	io->result = 0;
	io->zero_by_punch = atomic_load_explicit(&bd->no_zero_range, memory_order_relaxed);
	io->iovcnt = rw ? req->iovcnt : 0;
	if (io->iovcnt)
		memcpy(io->iov, req->iov, io->iovcnt * sizeof(*io->iov));
	io->cur = io->iov;
	io->curcnt = io->iovcnt;
	if (rw && blockdev_wants_bounce(bd, io) && blockdev_io_bounce(bd, io)) {
		blockdev_io_put(bd, io);
		return -ENOMEM;
	}
	bd->outstanding++;
	if (!len && req->op != BLOCKDEV_FLUSH) {
		blockdev_io_finish(bd, io, true); /* nothing to do; no system call takes 0 bytes */
		return 0;
	}
	blockdev_list_push(&bd->queued, io);
	return 0;
}

int blockdev_flush_submit(struct blockdev *bd, void *tag)
{
	struct blockdev_request req = { .op = BLOCKDEV_FLUSH, .tag = tag };

	return blockdev_submit(bd, &req);
}

/* Puts io in the ring, or runs it here: a block device's discard has no io_uring op. */
static bool blockdev_uring_issue(struct blockdev *bd, struct blockdev_io *io)
{
	struct io_uring_sqe *sqe;

	if (bd->is_bdev && (io->op == BLOCKDEV_DISCARD || io->op == BLOCKDEV_WRITE_ZEROES)) {
		blockdev_io_run_sync(bd, io);
		blockdev_io_finish(bd, io, true);
		return true;
	}
	sqe = io_uring_get_sqe(&bd->ring);
	if (!sqe)
		return false;
	switch (io->op) {
	case BLOCKDEV_READ:
		io_uring_prep_readv(sqe, blockdev_io_fd(bd, io), io->cur, io->curcnt, io->offset);
		break;
	case BLOCKDEV_WRITE:
		io_uring_prep_writev(sqe, blockdev_io_fd(bd, io), io->cur, io->curcnt, io->offset);
		break;
	case BLOCKDEV_FLUSH:
		io_uring_prep_fsync(sqe, bd->fd, IORING_FSYNC_DATASYNC);
		break;
	default:
		io_uring_prep_fallocate(sqe, bd->fd, blockdev_falloc_mode(io), io->offset,
					io->length);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	bd->inflight++;
	return true;
}

static void blockdev_uring_fill(struct blockdev *bd)
{
	struct blockdev_io *io;
	int ret;

	while (bd->inflight < BLOCKDEV_URING_DEPTH && (io = blockdev_list_pop(&bd->waiting))) {
		if (!blockdev_uring_issue(bd, io)) {
			blockdev_list_push_front(&bd->waiting, io);
			break;
		}
	}
	if (!io_uring_sq_ready(&bd->ring))
		return;
	do
		ret = io_uring_submit(&bd->ring);
	while (ret == -EINTR);
	/* Short of kernel memory: what is left in the ring goes in at the next reap, which
	 * this makes sure will come. */
	if (ret < 0)
		blockdev_signal(bd);
}

void blockdev_kick(struct blockdev *bd)
{
	if (!bd->queued.head)
		return;
	if (bd->uring_on) {
		blockdev_list_splice(&bd->waiting, &bd->queued);
		blockdev_uring_fill(bd);
		return;
	}
	pthread_mutex_lock(&bd->lock);
	blockdev_list_splice(&bd->work, &bd->queued);
	pthread_cond_broadcast(&bd->work_cond);
	pthread_mutex_unlock(&bd->lock);
}

static void blockdev_uring_harvest(struct blockdev *bd)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&bd->ring, head, cqe) {
		struct blockdev_io *io = io_uring_cqe_get_data(cqe);

		seen++;
		bd->inflight--;
		if (blockdev_io_progress(bd, io, cqe->res))
			blockdev_io_finish(bd, io, false);
		else /* the rest of a short transfer: first in line */
			blockdev_list_push_front(&bd->waiting, io);
	}
	io_uring_cq_advance(&bd->ring, seen);
	blockdev_uring_fill(bd);
}

int blockdev_completion_fd(const struct blockdev *bd)
{
	return bd->efd;
}

unsigned blockdev_reap(struct blockdev *bd, struct blockdev_completion *out, unsigned max)
{
	struct blockdev_io *io, *list = NULL, **tail = &list;
	uint64_t count;
	unsigned n = 0;
	bool more;

	/* Read first: a completion after this point makes the fd readable again. */
	if (read(bd->efd, &count, sizeof(count)) < 0)
		count = 0;
	if (bd->uring_on)
		blockdev_uring_harvest(bd);
	pthread_mutex_lock(&bd->lock);
	while (n < max && (io = blockdev_list_pop(&bd->done))) {
		*tail = io;
		tail = &io->next;
		n++;
	}
	more = bd->done.head;
	pthread_mutex_unlock(&bd->lock);
	*tail = NULL;
	for (unsigned i = 0; i < n; i++) {
		io = list;
		list = io->next;
		out[i].tag = io->tag;
		out[i].result = io->result;
		blockdev_io_put(bd, io);
	}
	bd->outstanding -= n;
	if (more)
		blockdev_signal(bd);
	return n;
}

static void *blockdev_worker(void *opaque)
{
	struct blockdev *bd = opaque;
	struct blockdev_io *io;

	pthread_mutex_lock(&bd->lock);
	for (;;) {
		io = blockdev_list_pop(&bd->work);
		if (!io) {
			if (bd->stopping)
				break;
			pthread_cond_wait(&bd->work_cond, &bd->lock);
			continue;
		}
		pthread_mutex_unlock(&bd->lock);
		blockdev_io_run_sync(bd, io);
		blockdev_io_finish(bd, io, true);
		pthread_mutex_lock(&bd->lock);
	}
	pthread_mutex_unlock(&bd->lock);
	return NULL;
}

static int blockdev_threads_init(struct blockdev *bd)
{
	sigset_t all, old;
	int ret = 0;

	/* Signals are for the VMM's own threads, not for these. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (bd->nthreads < BLOCKDEV_THREADS) {
		ret = pthread_create(&bd->threads[bd->nthreads], NULL, blockdev_worker, bd);
		if (ret)
			break;
		bd->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return bd->nthreads ? 0 : -ret;
}

static int blockdev_uring_init(struct blockdev *bd)
{
	static const int ops[] = {
		IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_FALLOCATE,
	};
	struct io_uring_probe *probe;
	int ret;

	ret = io_uring_queue_init(BLOCKDEV_URING_DEPTH, &bd->ring, 0);
	if (ret)
		return ret;
	probe = io_uring_get_probe_ring(&bd->ring);
	ret = probe ? 0 : -EOPNOTSUPP;
	for (unsigned i = 0; !ret && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!io_uring_opcode_supported(probe, ops[i]))
			ret = -EOPNOTSUPP;
	if (probe)
		io_uring_free_probe(probe);
	if (!ret)
		ret = io_uring_register_eventfd(&bd->ring, bd->efd);
	if (ret) {
		io_uring_queue_exit(&bd->ring);
		return ret;
	}
	bd->uring_on = true;
	return 0;
}

static int blockdev_start_engine(struct blockdev *bd, const char *path, char *err,
				 size_t errlen)
{
	const char *engine = getenv("KEEL_BLOCKDEV_ENGINE");
	int ret;

	bd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (bd->efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "disk %s: cannot create an eventfd: %s", path,
			     strerror(-ret));
		return ret;
	}
	if (!engine || strcmp(engine, "threads")) {
		ret = blockdev_uring_init(bd);
		if (!ret)
			return 0;
		log_warn("disk %s: io_uring unavailable (%s); using worker threads", path,
			 strerror(-ret));
	}
	ret = blockdev_threads_init(bd);
	if (ret)
		snprintf(err, errlen, "disk %s: cannot start I/O threads: %s", path,
			     strerror(-ret));
	return ret;
}

/* Does the block device (or the disk of a partition) take discards? */
static bool blockdev_sysfs_discard(dev_t rdev)
{
	static const char *const files[] = {
		"queue/discard_max_bytes", "../queue/discard_max_bytes",
	};
	unsigned long long max = 0;
	char path[128];

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(rdev), minor(rdev),
			 files[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &max) != 1)
			max = 0;
		fclose(f);
		return max > 0;
	}
	return false;
}

static void blockdev_probe_discard(struct blockdev *bd, dev_t rdev)
{
	if (bd->readonly)
		return;
	if (bd->is_bdev) {
		bd->can_discard = blockdev_sysfs_discard(rdev);
		bd->can_zero = true; /* the kernel writes zeros where the device cannot */
		return;
	}
	/* A hole punched past the end changes nothing, but says whether the filesystem can.
	 * Write-zeroes falls back to punching where there is no zero range. */
	bd->can_discard = !fallocate(bd->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				     bd->size, 4096);
	bd->can_zero = bd->can_discard;
}

/* A second descriptor with O_DIRECT, unless the filesystem refuses it. */
static void blockdev_open_direct(struct blockdev *bd, const char *path, int flags,
				 const struct stat *st)
{
	struct statx sx;
	struct stat dst;
	int fd;

	fd = open(path, flags | O_DIRECT);
	if (fd < 0) {
		if (errno != EINVAL)
			log_warn("disk %s: no O_DIRECT (%s); using the host page cache", path,
				 strerror(errno));
		return;
	}
	if (fstat(fd, &dst) < 0 || dst.st_dev != st->st_dev || dst.st_ino != st->st_ino) {
		log_warn("disk %s changed while being opened; using the host page cache", path);
		close(fd);
		return;
	}
	/* Without STATX_DIOALIGN (older kernels; block devices before 6.11) assume the
	 * strictest usual rule: the device's block size, or 4096 under a filesystem. */
	bd->mem_align = bd->off_align = bd->is_bdev ? bd->lbs : 4096;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) && (sx.stx_mask & STATX_DIOALIGN)) {
		if (!sx.stx_dio_offset_align) {
			close(fd); /* opens, but would refuse every direct transfer */
			return;
		}
		bd->off_align = sx.stx_dio_offset_align;
		bd->mem_align = sx.stx_dio_mem_align ? sx.stx_dio_mem_align : 1;
	}
	bd->dio_fd = fd;
}

static int blockdev_open_file(struct blockdev *bd, const char *path, char *err, size_t errlen)
{
	int flags = (bd->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int lbs, ret;

	bd->fd = open(path, flags);
	if (bd->fd < 0 || fstat(bd->fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open disk %s: %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "disk %s is not a regular file or block device", path);
		return -EINVAL;
	}
	bd->is_bdev = S_ISBLK(st.st_mode);
	if (flock(bd->fd, (bd->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		ret = -errno;
		if (ret == -EWOULDBLOCK) {
			snprintf(err, errlen, "disk %s is in use by another process", path);
			return -EBUSY;
		}
		snprintf(err, errlen, "cannot lock disk %s: %s", path, strerror(-ret));
		return ret;
	}
	bd->lbs = 512;
	if (bd->is_bdev) {
		if (ioctl(bd->fd, BLKGETSIZE64, &bd->size) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read the size of disk %s: %s", path,
				     strerror(-ret));
			return ret;
		}
		if (!ioctl(bd->fd, BLKSSZGET, &lbs) && lbs >= 512 && !(lbs & (lbs - 1)))
			bd->lbs = lbs;
	} else {
		bd->size = st.st_size;
	}
	if (bd->size % 512) {
		snprintf(err, errlen,
			     "disk %s: its size (%" PRIu64 " bytes) is not a multiple of 512", path,
			     bd->size);
		return -EINVAL;
	}
	blockdev_open_direct(bd, path, flags, &st);
	blockdev_probe_discard(bd, st.st_rdev);
	return 0;
}

static void blockdev_free_ios(struct blockdev_io *io)
{
	while (io) {
		struct blockdev_io *next = io->next;

		free(io->bounce);
		free(io->iov_heap);
		free(io);
		io = next;
	}
}

static void blockdev_free(struct blockdev *bd)
{
	pthread_mutex_lock(&bd->lock);
	bd->stopping = true;
	pthread_cond_broadcast(&bd->work_cond);
	pthread_mutex_unlock(&bd->lock);
	for (unsigned i = 0; i < bd->nthreads; i++)
		pthread_join(bd->threads[i], NULL);
	if (bd->uring_on)
		io_uring_queue_exit(&bd->ring);
	blockdev_free_ios(bd->free_ios);
	blockdev_free_ios(bd->queued.head);
	blockdev_free_ios(bd->waiting.head);
	blockdev_free_ios(bd->work.head);
	blockdev_free_ios(bd->done.head);
	if (bd->efd >= 0)
		close(bd->efd);
	if (bd->dio_fd >= 0)
		close(bd->dio_fd);
	if (bd->fd >= 0)
		close(bd->fd); /* drops the lock */
	pthread_cond_destroy(&bd->work_cond);
	pthread_mutex_destroy(&bd->lock);
	free(bd);
}

int blockdev_open(const char *path, bool readonly, struct blockdev **out, char *err,
		  size_t errlen)
{
	struct blockdev *bd;
	int ret;

	*out = NULL;
	snprintf(err, errlen, "%s", "");
	if (!path || !*path) {
		snprintf(err, errlen, "no disk path given");
		return -EINVAL;
	}
	bd = calloc(1, sizeof(*bd));
	if (!bd) {
		snprintf(err, errlen, "disk %s: out of memory", path);
		return -ENOMEM;
	}
	bd->fd = bd->dio_fd = bd->efd = -1;
	bd->readonly = readonly;
	blockdev_list_init(&bd->queued);
	blockdev_list_init(&bd->waiting);
	blockdev_list_init(&bd->work);
	blockdev_list_init(&bd->done);
	pthread_mutex_init(&bd->lock, NULL);
	pthread_cond_init(&bd->work_cond, NULL);
	ret = blockdev_open_file(bd, path, err, errlen);
	if (!ret)
		ret = blockdev_start_engine(bd, path, err, errlen);
	if (ret) {
		blockdev_free(bd);
		return ret;
	}
	*out = bd;
	return 0;
}

void blockdev_close(struct blockdev *bd)
{
	struct blockdev_completion dropped[16];

	if (!bd)
		return;
	blockdev_kick(bd);
	while (bd->outstanding) {
		struct pollfd p = { .fd = bd->efd, .events = POLLIN };

		if (!blockdev_reap(bd, dropped, sizeof(dropped) / sizeof(dropped[0])))
			poll(&p, 1, -1);
	}
	blockdev_free(bd);
}

uint64_t blockdev_size(const struct blockdev *bd)
{
	return bd->size;
}

uint32_t blockdev_logical_block_size(const struct blockdev *bd)
{
	return bd->lbs;
}

bool blockdev_readonly(const struct blockdev *bd)
{
	return bd->readonly;
}

bool blockdev_direct(const struct blockdev *bd)
{
	return bd->dio_fd >= 0;
}

bool blockdev_can_discard(const struct blockdev *bd)
{
	return bd->can_discard;
}

bool blockdev_can_write_zeroes(const struct blockdev *bd)
{
	return bd->can_zero;
}

const char *blockdev_engine(const struct blockdev *bd)
{
	return bd->uring_on ? "io_uring" : "threads";
}
