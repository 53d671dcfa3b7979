// SPDX-License-Identifier: GPL-2.0
/*
 * Disk backend tests on scratch images under /tmp (O_DIRECT), /dev/shm (tmpfs) and, where a
 * mount namespace can be had, ramfs (no O_DIRECT at all), with both engines.
 */
#include "vdevices/blockdev.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024 * 1024)

/* A scratch directory with one image in it; scratch_done() removes both. */
struct scratch {
	char dir[64];
	char path[96];
};

static bool scratch_image(struct scratch *s, const char *under, uint64_t size)
{
	int fd;

	snprintf(s->dir, sizeof(s->dir), "%s/keel-blockdev-XXXXXX", under);
	if (!mkdtemp(s->dir))
		return false;
	snprintf(s->path, sizeof(s->path), "%s/disk.img", s->dir);
	fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return false;
	if (ftruncate(fd, size) < 0) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

static void scratch_done(struct scratch *s)
{
	unlink(s->path);
	rmdir(s->dir);
}

/* Waits up to a second each for n completions; false if fewer came. */
static bool reap_n(struct blockdev *bd, struct blockdev_completion *out, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		struct pollfd p = { .fd = blockdev_completion_fd(bd), .events = POLLIN };

		if (poll(&p, 1, 1000) != 1)
			return false;
		got += blockdev_reap(bd, out + got, n - got);
	}
	return true;
}

/* Submits one request, kicks, waits for it: its result, or the submit error. */
static int64_t do_one(struct blockdev *bd, const struct blockdev_request *req)
{
	struct blockdev_completion c;
	int ret = blockdev_submit(bd, req);

	if (ret)
		return ret;
	blockdev_kick(bd);
	if (!reap_n(bd, &c, 1) || c.tag != req->tag)
		return -ETIMEDOUT;
	return c.result;
}

static int64_t do_rw(struct blockdev *bd, enum blockdev_op op, uint64_t offset,
		     const struct iovec *iov, unsigned n)
{
	struct blockdev_request req = { .op = op, .offset = offset, .iov = iov, .iovcnt = n,
					.tag = (void *)iov };

	return do_one(bd, &req);
}

static int64_t do_range(struct blockdev *bd, enum blockdev_op op, uint64_t offset,
			uint64_t length)
{
	struct blockdev_request req = { .op = op, .offset = offset, .length = length,
					.tag = &req };

	return do_one(bd, &req);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static bool file_has(const char *path, uint64_t offset, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);
	int fd = open(path, O_RDONLY);
	bool same;

	same = got && fd >= 0 && pread(fd, got, len, offset) == (ssize_t)len &&
	       !memcmp(got, want, len);
	if (fd >= 0)
		close(fd);
	free(got);
	return same;
}

static bool file_zero(const char *path, uint64_t offset, size_t len)
{
	uint8_t *zero = calloc(1, len);
	bool same = zero && file_has(path, offset, zero, len);

	free(zero);
	return same;
}

static bool file_put(const char *path, uint64_t offset, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && pwrite(fd, buf, len, offset) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Switches the engine for the next blockdev_open(); NULL for the default. */
static void set_engine(const char *engine)
{
	if (engine)
		setenv("KEEL_BLOCKDEV_ENGINE", engine, 1);
	else
		unsetenv("KEEL_BLOCKDEV_ENGINE");
}

#define NREQ 8
#define REQ_BYTES (64 * 1024)
#define SMALL_REQS 300

/*
 * Eight 64 KiB writes of four segments each in flight at once, read back in a different
 * segment layout; then 300 small requests kicked at once (more than the ring holds); a
 * flush. 0 on success, else the line that failed.
 */
static int round_trip(struct blockdev *bd, const char *path)
{
	struct blockdev_completion done[SMALL_REQS];
	struct blockdev_request req[SMALL_REQS];
	struct iovec iov[NREQ][4], riov[NREQ][2];
	uint8_t *wbuf, *rbuf;
	bool seen[SMALL_REQS] = { false };
	int line = 0;

	if (posix_memalign((void **)&wbuf, 4096, NREQ * REQ_BYTES) ||
	    posix_memalign((void **)&rbuf, 4096, NREQ * REQ_BYTES))
		return __LINE__;
	fill(wbuf, NREQ * REQ_BYTES, 1);
	memset(rbuf, 0, NREQ * REQ_BYTES);
	for (unsigned i = 0; i < NREQ; i++) {
		for (unsigned s = 0; s < 4; s++) {
			iov[i][s].iov_base = wbuf + i * REQ_BYTES + s * (REQ_BYTES / 4);
			iov[i][s].iov_len = REQ_BYTES / 4;
		}
		req[i] = (struct blockdev_request){ .op = BLOCKDEV_WRITE,
						    .offset = i * 2 * REQ_BYTES, .iov = iov[i],
						    .iovcnt = 4, .tag = &req[i] };
		if (blockdev_submit(bd, &req[i]))
			line = line ? line : __LINE__;
	}
	memset(iov, 0xee, sizeof(iov)); /* the backend keeps its own copy of the iovecs */
	blockdev_kick(bd);
	if (!reap_n(bd, done, NREQ))
		line = line ? line : __LINE__;
	for (unsigned i = 0; i < NREQ && !line; i++) {
		unsigned k = (struct blockdev_request *)done[i].tag - req;

		if (k >= NREQ || seen[k] || done[i].result != REQ_BYTES)
			line = __LINE__;
		else
			seen[k] = true;
	}
	for (unsigned i = 0; i < NREQ && !line; i++)
		if (!file_has(path, i * 2 * REQ_BYTES, wbuf + i * REQ_BYTES, REQ_BYTES))
			line = __LINE__;

	for (unsigned i = 0; i < NREQ && !line; i++) {
		riov[i][0] = (struct iovec){ rbuf + i * REQ_BYTES, 4096 };
		riov[i][1] = (struct iovec){ rbuf + i * REQ_BYTES + 4096, REQ_BYTES - 4096 };
		req[i] = (struct blockdev_request){ .op = BLOCKDEV_READ,
						    .offset = i * 2 * REQ_BYTES, .iov = riov[i],
						    .iovcnt = 2, .tag = &req[i] };
		if (blockdev_submit(bd, &req[i]))
			line = __LINE__;
	}
	blockdev_kick(bd);
	if (!line && !reap_n(bd, done, NREQ))
		line = __LINE__;
	for (unsigned i = 0; i < NREQ && !line; i++)
		if (done[i].result != REQ_BYTES)
			line = __LINE__;
	if (!line && memcmp(rbuf, wbuf, NREQ * REQ_BYTES))
		line = __LINE__;

	/* Many small ones at once: the rest wait for room in the ring and go in as it frees. */
	for (unsigned i = 0; i < SMALL_REQS && !line; i++) {
		riov[0][0] = (struct iovec){ wbuf + (i % 128) * 4096, 4096 };
		req[i] = (struct blockdev_request){ .op = i % 2 ? BLOCKDEV_READ : BLOCKDEV_WRITE,
						    .offset = (uint64_t)i * 4096, .iov = riov[0],
						    .iovcnt = 1, .tag = &req[i] };
		if (blockdev_submit(bd, &req[i]))
			line = __LINE__;
	}
	blockdev_kick(bd);
	if (!line && !reap_n(bd, done, SMALL_REQS))
		line = __LINE__;
	for (unsigned i = 0; i < SMALL_REQS && !line; i++)
		if (done[i].result != 4096)
			line = __LINE__;

	if (!line && do_one(bd, &(struct blockdev_request){ .op = BLOCKDEV_FLUSH }) != 0)
		line = __LINE__;
	if (!line && blockdev_flush_submit(bd, rbuf))
		line = __LINE__;
	blockdev_kick(bd);
	if (!line && (!reap_n(bd, done, 1) || done[0].tag != rbuf || done[0].result))
		line = __LINE__;
	free(wbuf);
	free(rbuf);
	return line;
}

/*
 * Odd buffers and segment lengths at an aligned offset (the bounce buffer), an odd offset
 * and length (the buffered descriptor), and a misaligned request too big to bounce.
 */
static int unaligned(struct blockdev *bd, const char *path)
{
	const size_t big = 4 * MIB + 4096;
	uint8_t *raw = malloc(8192 + 16), *back = malloc(8192 + 16), *huge = malloc(big + 1);
	struct iovec iov[3], riov[2];
	int line = 0;

	if (!raw || !back || !huge)
		return __LINE__;
	fill(raw, 8192 + 16, 2);
	iov[0] = (struct iovec){ raw + 1, 100 };
	iov[1] = (struct iovec){ raw + 301, 412 };
	iov[2] = (struct iovec){ raw + 1001, 4096 - 512 };
	if (do_rw(bd, BLOCKDEV_WRITE, 8192, iov, 3) != 4096)
		line = __LINE__;
	riov[0] = (struct iovec){ back + 3, 1000 };
	riov[1] = (struct iovec){ back + 2000, 3096 };
	if (!line && do_rw(bd, BLOCKDEV_READ, 8192, riov, 2) != 4096)
		line = __LINE__;
	if (!line && (memcmp(back + 3, raw + 1, 100) || memcmp(back + 103, raw + 301, 412) ||
		      memcmp(back + 515, raw + 1001, 488) || memcmp(back + 2000, raw + 1489, 3096)))
		line = __LINE__;

	iov[0] = (struct iovec){ raw + 5, 1000 };
	if (!line && do_rw(bd, BLOCKDEV_WRITE, 20000 + 13, iov, 1) != 1000)
		line = __LINE__;
	if (!line && !file_has(path, 20013, raw + 5, 1000))
		line = __LINE__;
	riov[0] = (struct iovec){ back + 7, 1000 };
	if (!line && (do_rw(bd, BLOCKDEV_READ, 20013, riov, 1) != 1000 ||
		      memcmp(back + 7, raw + 5, 1000)))
		line = __LINE__;

	fill(huge, big + 1, 3);
	iov[0] = (struct iovec){ huge + 1, big };
	if (!line && do_rw(bd, BLOCKDEV_WRITE, 0, iov, 1) != (int64_t)big)
		line = __LINE__;
	if (!line && !file_has(path, 0, huge + 1, big))
		line = __LINE__;
	free(raw);
	free(back);
	free(huge);
	return line;
}

/* Discard and write-zeroes read back as zeros, and leave their neighbours alone. */
static int zeroes(struct blockdev *bd, const char *path)
{
	uint8_t pattern[64 * 1024];
	int line = 0;

	fill(pattern, sizeof(pattern), 4);
	if (!blockdev_can_write_zeroes(bd))
		return __LINE__;
	if (!file_put(path, 0, pattern, sizeof(pattern)))
		return __LINE__;
	if (do_range(bd, BLOCKDEV_WRITE_ZEROES, 4096, 8192) != 0)
		line = __LINE__;
	if (!line && blockdev_can_discard(bd) && do_range(bd, BLOCKDEV_DISCARD, 32768, 16384))
		line = __LINE__;
	if (!line && (!file_has(path, 0, pattern, 4096) || !file_zero(path, 4096, 8192) ||
		      !file_has(path, 12288, pattern + 12288, 32768 - 12288)))
		line = __LINE__;
	if (!line && blockdev_can_discard(bd) &&
	    (!file_zero(path, 32768, 16384) || !file_has(path, 49152, pattern + 49152, 16384)))
		line = __LINE__;
	/* Zero-length ranges complete at once. */
	if (!line && do_range(bd, BLOCKDEV_WRITE_ZEROES, 0, 0) != 0)
		line = __LINE__;
	return line;
}

/* Opens a fresh image under dir with the engine asked for and runs the three above. */
static int exercise(const char *under, const char *engine, bool want_direct)
{
	struct scratch s;
	struct blockdev *bd;
	char err[256];
	int line;

	if (!scratch_image(&s, under, 8 * MIB))
		return __LINE__;
	set_engine(engine);
	line = blockdev_open(s.path, false, &bd, err, sizeof(err)) ? __LINE__ : 0;
	set_engine(NULL);
	if (!line) {
		if (blockdev_size(bd) != 8 * MIB || blockdev_readonly(bd) ||
		    blockdev_logical_block_size(bd) != 512 ||
		    (engine && strcmp(blockdev_engine(bd), engine)) ||
		    (want_direct && !blockdev_direct(bd)))
			line = __LINE__;
		if (!line)
			line = round_trip(bd, s.path);
		if (!line)
			line = unaligned(bd, s.path);
		if (!line)
			line = zeroes(bd, s.path);
		blockdev_close(bd);
	}
	scratch_done(&s);
	return line;
}

/* O_DIRECT works on a disk filesystem; tmpfs took it only from Linux 6.6 on. */
static bool tmp_on_disk(void)
{
	struct statfs sfs;

	return !statfs("/tmp", &sfs) && sfs.f_type != TMPFS_MAGIC;
}

TEST(blockdev_io_uring_round_trips)
{
	CHECK_EQ(exercise("/tmp", NULL, tmp_on_disk()), 0);
}

TEST(blockdev_thread_pool_round_trips)
{
	CHECK_EQ(exercise("/tmp", "threads", tmp_on_disk()), 0);
}

TEST(blockdev_tmpfs_round_trips)
{
	CHECK_EQ(exercise("/dev/shm", NULL, false), 0);
	CHECK_EQ(exercise("/dev/shm", "threads", false), 0);
}

/*
 * ramfs refuses O_DIRECT (EINVAL) and cannot punch holes. Mounting it needs a mount
 * namespace of our own, so this runs in a child; 77 means the child could not (not root).
 */
static int ramfs_child(const char *dir)
{
	struct scratch s;
	struct blockdev *bd;
	char err[256];
	int line;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("ramfs", dir, "ramfs", 0, NULL))
		return 77;
	if (!scratch_image(&s, dir, 8 * MIB))
		return 1;
	if (blockdev_open(s.path, false, &bd, err, sizeof(err)))
		return 2;
	line = blockdev_direct(bd) || blockdev_can_discard(bd) ? __LINE__ : 0;
	if (!line)
		line = round_trip(bd, s.path);
	if (!line)
		line = unaligned(bd, s.path);
	blockdev_close(bd);
	return line ? 3 : 0;
}

TEST(blockdev_buffered_without_o_direct)
{
	char dir[] = "/tmp/keel-ramfs-XXXXXX";
	int status;
	pid_t pid;

	CHECK(mkdtemp(dir));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid)
		_exit(ramfs_child(dir));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	rmdir(dir);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77);
}

TEST(blockdev_open_errors_name_the_disk)
{
	struct blockdev *bd, *other, *third;
	struct scratch s;
	char err[256], want[200];
	int fd;

	CHECK_EQ(blockdev_open("/nonexistent-keel/disk.img", false, &bd, err, sizeof(err)),
		 -ENOENT);
	CHECK(!bd);
	CHECK(!strcmp(err, "cannot open disk /nonexistent-keel/disk.img: "
			   "No such file or directory"));
	CHECK_EQ(blockdev_open("/dev/null", true, &bd, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/dev/null is not a regular file or block device"));
	CHECK_EQ(blockdev_open("", true, &bd, NULL, 0), -EINVAL);

	CHECK(scratch_image(&s, "/tmp", 1000));
	CHECK_EQ(blockdev_open(s.path, false, &bd, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, s.path) && strstr(err, "(1000 bytes) is not a multiple of 512"));
	fd = open(s.path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 1024 * 1024), 0);
	close(fd);

	/* One writer, or any number of readers. */
	snprintf(want, sizeof(want), "disk %s is in use by another process", s.path);
	CHECK_EQ(blockdev_open(s.path, false, &bd, err, sizeof(err)), 0);
	CHECK_EQ(blockdev_open(s.path, false, &other, err, sizeof(err)), -EBUSY);
	CHECK(!strcmp(err, want));
	CHECK_EQ(blockdev_open(s.path, true, &other, err, sizeof(err)), -EBUSY);
	blockdev_close(bd);
	CHECK_EQ(blockdev_open(s.path, true, &bd, err, sizeof(err)), 0);
	CHECK_EQ(blockdev_open(s.path, true, &other, err, sizeof(err)), 0);
	CHECK_EQ(blockdev_open(s.path, false, &third, err, sizeof(err)), -EBUSY);
	CHECK(!third);
	blockdev_close(other);
	blockdev_close(bd);
	scratch_done(&s);
}

TEST(blockdev_refuses_out_of_range_and_read_only)
{
	uint8_t *buf = aligned_alloc(4096, 8192);
	struct iovec iov = { buf, 4096 }, huge[2] = { { buf, SIZE_MAX / 2 + 1 },
						     { buf, SIZE_MAX / 2 + 1 } };
	struct iovec *many = calloc(BLOCKDEV_MAX_IOVS + 1, sizeof(*many));
	struct blockdev_request req = { .op = BLOCKDEV_READ, .iov = &iov, .iovcnt = 1 };
	const uint64_t size = 1024 * 1024;
	struct blockdev *bd;
	struct scratch s;
	char err[256];

	CHECK(buf && many);
	CHECK(scratch_image(&s, "/tmp", size));
	CHECK_EQ(blockdev_open(s.path, false, &bd, err, sizeof(err)), 0);
	req.offset = size;
	CHECK_EQ(blockdev_submit(bd, &req), -EINVAL);
	req.offset = size - 2048;
	CHECK_EQ(blockdev_submit(bd, &req), -EINVAL);
	req.offset = UINT64_MAX - 1024;
	CHECK_EQ(blockdev_submit(bd, &req), -EINVAL);
	req.offset = 0;
	req.iov = huge;
	req.iovcnt = 2;
	CHECK_EQ(blockdev_submit(bd, &req), -EINVAL);
	for (unsigned i = 0; i <= BLOCKDEV_MAX_IOVS; i++)
		many[i] = (struct iovec){ buf, 512 };
	req.iov = many;
	req.iovcnt = BLOCKDEV_MAX_IOVS + 1;
	CHECK_EQ(blockdev_submit(bd, &req), -EINVAL);
	req.op = 99;
	req.iovcnt = 1;
	CHECK_EQ(blockdev_submit(bd, &req), -EINVAL);
	CHECK_EQ(do_range(bd, BLOCKDEV_DISCARD, size - 512, 1024), -EINVAL);
	CHECK_EQ(do_range(bd, BLOCKDEV_WRITE_ZEROES, UINT64_MAX, 2), -EINVAL);
	/* The last sector is in range; nothing at all at the very end is too. */
	iov.iov_len = 512;
	CHECK_EQ(do_rw(bd, BLOCKDEV_READ, size - 512, &iov, 1), 512);
	CHECK_EQ(do_rw(bd, BLOCKDEV_READ, size, NULL, 0), 0);
	blockdev_close(bd);

	CHECK_EQ(blockdev_open(s.path, true, &bd, err, sizeof(err)), 0);
	CHECK(blockdev_readonly(bd) && !blockdev_can_discard(bd) && !blockdev_can_write_zeroes(bd));
	iov.iov_len = 4096;
	CHECK_EQ(do_rw(bd, BLOCKDEV_WRITE, 0, &iov, 1), -EROFS);
	CHECK_EQ(do_range(bd, BLOCKDEV_DISCARD, 0, 4096), -EROFS);
	CHECK_EQ(do_range(bd, BLOCKDEV_WRITE_ZEROES, 0, 4096), -EROFS);
	CHECK_EQ(do_rw(bd, BLOCKDEV_READ, 0, &iov, 1), 4096);
	CHECK_EQ(do_one(bd, &(struct blockdev_request){ .op = BLOCKDEV_FLUSH }), 0);
	blockdev_close(bd);
	scratch_done(&s);
	free(many);
	free(buf);
}

/* Reaping fewer than are done leaves the fd readable; close waits for what is in flight. */
TEST(blockdev_partial_reap_and_close_in_flight)
{
	struct blockdev_completion c[4];
	struct blockdev_request req;
	struct blockdev *bd;
	struct scratch s;
	uint8_t *buf = aligned_alloc(4096, 16 * 4096);
	struct iovec iov[16];
	char err[256];
	unsigned got = 0;

	CHECK(buf);
	CHECK(scratch_image(&s, "/tmp", MIB));
	CHECK_EQ(blockdev_open(s.path, false, &bd, err, sizeof(err)), 0);
	fill(buf, 16 * 4096, 5);
	for (unsigned i = 0; i < 16; i++) {
		iov[i] = (struct iovec){ buf + i * 4096, 4096 };
		req = (struct blockdev_request){ .op = BLOCKDEV_WRITE, .offset = i * 4096,
						 .iov = &iov[i], .iovcnt = 1, .tag = &iov[i] };
		CHECK_EQ(blockdev_submit(bd, &req), 0);
	}
	blockdev_kick(bd);
	while (got < 16) {
		struct pollfd p = { .fd = blockdev_completion_fd(bd), .events = POLLIN };

		CHECK_EQ(poll(&p, 1, 1000), 1);
		got += blockdev_reap(bd, c, 1);
	}
	CHECK_EQ(got, 16);
	CHECK(file_has(s.path, 0, buf, 16 * 4096));
	for (unsigned i = 0; i < 16; i++) {
		req = (struct blockdev_request){ .op = BLOCKDEV_READ, .offset = i * 4096,
						 .iov = &iov[i], .iovcnt = 1 };
		CHECK_EQ(blockdev_submit(bd, &req), 0);
		if (i == 8)
			blockdev_kick(bd);
	}
	blockdev_close(bd); /* kicks the other seven, waits for all */
	scratch_done(&s);
	free(buf);
}

/* An image cut short under us: the part before the cut arrives, the rest is -EIO. */
static int shrunk(const char *engine)
{
	uint8_t *buf = aligned_alloc(4096, 4096);
	struct iovec iov[2];
	struct blockdev *bd;
	struct scratch s;
	char err[256];
	int line = 0;

	if (!buf || !scratch_image(&s, "/tmp", MIB))
		return __LINE__;
	set_engine(engine);
	if (blockdev_open(s.path, false, &bd, err, sizeof(err)))
		line = __LINE__;
	set_engine(NULL);
	if (!line && truncate(s.path, MIB - 1536))
		line = __LINE__;
	iov[0] = (struct iovec){ buf, 2048 };
	iov[1] = (struct iovec){ buf + 2048, 2048 };
	if (!line && do_rw(bd, BLOCKDEV_READ, MIB - 4096, iov, 2) != -EIO)
		line = __LINE__;
	if (!line && do_rw(bd, BLOCKDEV_READ, MIB - 8192, iov, 2) != 4096)
		line = __LINE__;
	if (!line)
		blockdev_close(bd);
	scratch_done(&s);
	free(buf);
	return line;
}

TEST(blockdev_short_read_continues_then_fails)
{
	CHECK_EQ(shrunk(NULL), 0);
	CHECK_EQ(shrunk("threads"), 0);
}
