// SPDX-License-Identifier: GPL-2.0
/*
 * iobench: the guest side of Keel's I/O benchmarks, linked statically into the guest kit as
 * /bin/iobench (scripts/mkguest). One line per result on stdout, "IOBENCH key=value".
 *
 *   iobench disk DEV [SECONDS]      on a block device (or a regular file), opened O_DIRECT:
 *                                   sequential read and write MiB/s with 1 MiB requests, then
 *                                   4 KiB random read IOPS at queue depth 1 and 32 (Linux AIO),
 *                                   about SECONDS (default 5) each. OVERWRITES the device
 *                                   (from its start); a read-only device skips the write test.
 *   iobench tcp-send HOST PORT MIB  sends MIB MiB to HOST:PORT (a numeric IPv4 or IPv6
 *                                   address), half-closes and waits for the peer to close:
 *                                   the MiB/s from connect to the peer's close.
 *
 * Exit status: 0 when done, 1 on an I/O or network error, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define BLOCK 4096
#define QD 32

static const char *prog = "iobench";

static void usage(void)
{
	fprintf(stderr, "usage: %s disk DEV [SECONDS]\n"
			"       %s tcp-send HOST PORT MIB\n", prog, prog);
	exit(2);
}

static void die(const char *fmt, const char *arg)
{
	int err = errno;

	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void *aligned(size_t size)
{
	void *p;

	errno = posix_memalign(&p, BLOCK, size);
	if (errno)
		die("%s", "cannot allocate a buffer");
	return p;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 3600) {
		fprintf(stderr, "%s: SECONDS '%s' is not a number of seconds in (0, 3600]\n",
			prog, s);
		exit(2);
	}
	return v;
}

/* Sequential 1 MiB requests from offset 0 over span bytes (wrapping) for secs: MiB/s. */
static double seq(int fd, const char *dev, uint64_t span, int write, double secs, char *buf)
{
	uint64_t off = 0, bytes = 0;
	double t0 = now(), el;
	ssize_t n;

	do {
		n = write ? pwrite(fd, buf, MIB, off) : pread(fd, buf, MIB, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != MIB) {
			if (n >= 0)
				errno = 0;
			die(write ? "writing %s" : "reading %s", dev);
		}
		bytes += MIB;
		off += MIB;
		if (off >= span)
			off = 0;
	} while (now() - t0 < secs);
	if (write && fdatasync(fd))
		die("flushing %s", dev);
	el = now() - t0;
	return bytes / (double)MIB / el;
}

static uint64_t rand_off(uint64_t blocks)
{
	return (rnd() % blocks) * BLOCK;
}

/* 4 KiB random reads at queue depth 1 (pread) for secs: IOPS. */
static double randread_qd1(int fd, const char *dev, uint64_t blocks, double secs, char *buf)
{
	uint64_t done = 0;
	double t0 = now();
	ssize_t n;

	do {
		n = pread(fd, buf, BLOCK, rand_off(blocks));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != BLOCK) {
			if (n >= 0)
				errno = 0;
			die("reading %s", dev);
		}
		done++;
	} while (now() - t0 < secs);
	return done / (now() - t0);
}

static long sys_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long sys_io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long sys_io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static void submit_all(aio_context_t ctx, struct iocb **list, long n, const char *dev)
{
	long r;

	while (n > 0) {
		r = sys_io_submit(ctx, n, list);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			die("io_submit on %s", dev);
		}
		list += r;
		n -= r;
	}
}

/* 4 KiB random reads with QD requests in flight (Linux native AIO) for secs: IOPS. */
static double randread_qd32(int fd, const char *dev, uint64_t blocks, double secs)
{
	static struct iocb cb[QD];
	struct iocb *list[QD];
	struct io_event ev[QD];
	aio_context_t ctx = 0;
	uint64_t done = 0;
	long i, n, nlist, inflight = QD;
	char *bufs = aligned((size_t)QD * BLOCK);
	double t0, el;

	if (sys_io_setup(QD, &ctx))
		die("io_setup for %s", dev);
	for (i = 0; i < QD; i++) {
		memset(&cb[i], 0, sizeof(cb[i]));
		cb[i].aio_data = i;
		cb[i].aio_lio_opcode = IOCB_CMD_PREAD;
		cb[i].aio_fildes = fd;
		cb[i].aio_buf = (uint64_t)(uintptr_t)(bufs + i * BLOCK);
		cb[i].aio_nbytes = BLOCK;
		cb[i].aio_offset = rand_off(blocks);
		list[i] = &cb[i];
	}
	t0 = now();
	submit_all(ctx, list, QD, dev);
	while (inflight > 0) {
		n = sys_io_getevents(ctx, 1, QD, ev);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("io_getevents on %s", dev);
		nlist = 0;
		for (i = 0; i < n; i++) {
			struct iocb *c = &cb[ev[i].data];

			if (ev[i].res != BLOCK) {
				errno = ev[i].res < 0 ? (int)-ev[i].res : 0;
				die("reading %s (AIO)", dev);
			}
			done++;
			if (now() - t0 < secs) {
				c->aio_offset = rand_off(blocks);
				list[nlist++] = c;
			} else {
				inflight--;
			}
		}
		submit_all(ctx, list, nlist, dev);
	}
	el = now() - t0;
	sys_io_destroy(ctx);
	free(bufs);
	return done / el;
}

static int cmd_disk(int argc, char **argv)
{
	const char *dev;
	double secs = 5;
	struct stat st;
	uint64_t size, span;
	int fd, writable = 1;
	char *buf;
	size_t i;

	if (argc < 3 || argc > 4)
		usage();
	dev = argv[2];
	if (argc == 4)
		secs = parse_seconds(argv[3]);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM)) {
		fd = open(dev, O_RDONLY | O_DIRECT);
		writable = 0;
	}
	if (fd < 0)
		die("cannot open %s with O_DIRECT", dev);
	if (fstat(fd, &st))
		die("fstat %s", dev);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			die("BLKGETSIZE64 on %s", dev);
		if (writable) {
			int ro = 0;

			if (ioctl(fd, BLKROGET, &ro) == 0 && ro)
				writable = 0;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else {
		errno = 0;
		die("%s is neither a block device nor a regular file", dev);
	}
	span = size / MIB * MIB;
	if (span == 0) {
		errno = 0;
		die("%s is smaller than 1 MiB", dev);
	}
	buf = aligned(MIB);
	rng_state = ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9) ^ 0x9E3779B97F4A7C15ULL;
	for (i = 0; i < MIB; i++)
		buf[i] = (char)(rnd() >> 56);

	printf("IOBENCH size_mib=%llu\n", (unsigned long long)(size / MIB));
	printf("IOBENCH seq_read_mibs=%.1f\n", seq(fd, dev, span, 0, secs, buf));
	if (writable)
		printf("IOBENCH seq_write_mibs=%.1f\n", seq(fd, dev, span, 1, secs, buf));
	else
		fprintf(stderr, "%s: %s is read-only: no write test\n", prog, dev);
	printf("IOBENCH randread_qd1_iops=%.0f\n", randread_qd1(fd, dev, size / BLOCK, secs, buf));
	printf("IOBENCH randread_qd32_iops=%.0f\n", randread_qd32(fd, dev, size / BLOCK, secs));
	free(buf);
	close(fd);
	return 0;
}

static int cmd_tcp_send(int argc, char **argv)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	unsigned long port, mib;
	uint64_t left, total;
	char *end, *buf;
	double t0, el;
	struct pollfd pfd;
	ssize_t n;
	int fd;

	if (argc != 5)
		usage();
	memset(&sa, 0, sizeof(sa));
	errno = 0;
	port = strtoul(argv[3], &end, 10);
	if (errno || *end || end == argv[3] || port == 0 || port > 65535) {
		fprintf(stderr, "%s: PORT '%s' is not a port number\n", prog, argv[3]);
		exit(2);
	}
	mib = strtoul(argv[4], &end, 10);
	if (errno || *end || end == argv[4] || mib == 0 || mib > (1UL << 30)) {
		fprintf(stderr, "%s: MIB '%s' is not a positive number of MiB\n", prog, argv[4]);
		exit(2);
	}
	if (inet_pton(AF_INET, argv[2], &((struct sockaddr_in *)&sa)->sin_addr) == 1) {
		((struct sockaddr_in *)&sa)->sin_family = AF_INET;
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
		salen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[2], &((struct sockaddr_in6 *)&sa)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&sa)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
		salen = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "%s: HOST '%s' is not a numeric IPv4 or IPv6 address\n",
			prog, argv[2]);
		exit(2);
	}
	signal(SIGPIPE, SIG_IGN);
	fd = socket(sa.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("%s", "socket");
	if (connect(fd, (struct sockaddr *)&sa, salen))
		die("cannot connect to %s", argv[2]);
	buf = malloc(MIB);
	if (!buf)
		die("%s", "cannot allocate a buffer");
	memset(buf, 0x5a, MIB);
	total = (uint64_t)mib * MIB;
	left = total;
	t0 = now();
	while (left > 0) {
		n = write(fd, buf, left < MIB ? left : MIB);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("sending to %s", argv[2]);
		left -= n;
	}
	if (shutdown(fd, SHUT_WR))
		die("shutdown towards %s", argv[2]);
	/* Done when the peer has read everything and closed: wait up to 60 s for its close. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int r = poll(&pfd, 1, 60000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "%s: %s did not close the connection\n", prog, argv[2]);
			break;
		}
		n = read(fd, buf, MIB);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	el = now() - t0;
	close(fd);
	free(buf);
	printf("IOBENCH tcp_send_mibs=%.1f\n", total / (double)MIB / el);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "disk"))
		return cmd_disk(argc, argv);
	if (!strcmp(argv[1], "tcp-send"))
		return cmd_tcp_send(argc, argv);
	usage();
	return 2;
}
