// SPDX-License-Identifier: GPL-2.0
#include "vdevices/chardev.h"
#include "lib/evloop.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>


/* A receiver that keeps what it gets, with a room the test controls. */
struct collector {
	pthread_mutex_t lock;
	uint8_t data[1024];
	size_t len, room;
	unsigned can_receive_calls;
};

static size_t collector_can_receive(void *opaque)
{
	struct collector *c = opaque;
	size_t room;

	pthread_mutex_lock(&c->lock);
	c->can_receive_calls++;
	room = c->room < sizeof(c->data) - c->len ? c->room : sizeof(c->data) - c->len;
	pthread_mutex_unlock(&c->lock);
	return room;
}

static void collector_receive(void *opaque, const uint8_t *data, size_t len)
{
	struct collector *c = opaque;

	pthread_mutex_lock(&c->lock);
	memcpy(c->data + c->len, data, len);
	c->len += len;
	c->room -= len < c->room ? len : c->room;
	pthread_mutex_unlock(&c->lock);
}

static void collector_init(struct collector *c, struct chardev *cd, size_t room)
{
	struct chardev_receiver rx = { collector_can_receive, collector_receive, c };

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->room = room;
	chardev_set_receiver(cd, &rx);
}

static size_t collector_len(struct collector *c)
{
	size_t len;

	pthread_mutex_lock(&c->lock);
	len = c->len;
	pthread_mutex_unlock(&c->lock);
	return len;
}

/* Waits up to a second for the collector to hold len bytes. */
static bool collector_wait(struct collector *c, size_t len)
{
	uint64_t deadline = clock_monotonic_ns() + 1000000000ULL;

	while (collector_len(c) < len && clock_monotonic_ns() < deadline)
		usleep(500);
	return collector_len(c) >= len;
}

/* Reads exactly len bytes from fd within a second. */
static bool read_exactly(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) != 1)
			return false;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return false;
		got += n;
	}
	return true;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void socket_path(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/tmp/keel-chardev-%s-%d.sock", what, getpid());
}

TEST(chardev_rejects_bad_specs)
{
	struct evloop *loop = evloop_create();
	char long_spec[200];
	struct chardev *cd;
	const char *msg;

	CHECK(loop);
	memset(long_spec, 'x', sizeof(long_spec) - 1);
	memcpy(long_spec, "unix:/", 6);
	long_spec[sizeof(long_spec) - 1] = 0;
	CHECK_EQ(chardev_open(NULL, loop, &cd, &msg), -EINVAL);
	CHECK(msg && !cd);
	CHECK_EQ(chardev_open("serial", loop, &cd, &msg), -EINVAL);
	CHECK(strstr(msg, "unknown console backend"));
	CHECK_EQ(chardev_open("file:", loop, &cd, &msg), -EINVAL);
	CHECK(strstr(msg, "file:"));
	CHECK_EQ(chardev_open("unix:", loop, &cd, &msg), -EINVAL);
	CHECK_EQ(chardev_open(long_spec, loop, &cd, &msg), -EINVAL);
	CHECK(strstr(msg, "too long"));
	CHECK_EQ(chardev_open("pty", NULL, &cd, &msg), -EINVAL);
	CHECK(strstr(msg, "event loop"));
	CHECK_EQ(chardev_open("unix:/tmp", loop, &cd, &msg), -EEXIST);
	CHECK(strstr(msg, "not a socket"));
	CHECK(chardev_open("file:/nonexistent-dir/x", NULL, &cd, &msg) < 0);
	CHECK(msg && !cd);
	CHECK_EQ(chardev_open("null", NULL, &cd, &msg), 0);
	chardev_write(cd, "gone", 4);
	CHECK(!chardev_path(cd));
	CHECK_EQ(chardev_output_dropped(cd), 0);
	chardev_close(cd);
	evloop_destroy(loop);
}

TEST(chardev_file_appends_output)
{
	char path[64], spec[80], got[32] = { 0 };
	struct chardev *cd;
	const char *msg;
	int fd;

	snprintf(path, sizeof(path), "/tmp/keel-chardev-file-%d.log", getpid());
	snprintf(spec, sizeof(spec), "file:%s", path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "old ", 4), 4);
	close(fd);
	CHECK_EQ(chardev_open(spec, NULL, &cd, &msg), 0);
	chardev_write(cd, "new\r\n", 5);
	chardev_close(cd);
	fd = open(path, O_RDONLY);
	unlink(path);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, got, sizeof(got)), 9);
	close(fd);
	CHECK(!memcmp(got, "old new\r\n", 9));
}

/* The client sends "ping" (which proves it was accepted), then gets "pong". */
static bool unix_round_trip(struct chardev *cd, struct collector *c, int client)
{
	size_t before = collector_len(c);
	char buf[4];

	if (write(client, "ping", 4) != 4 || !collector_wait(c, before + 4) ||
	    memcmp(c->data + before, "ping", 4))
		return false;
	chardev_write(cd, "pong", 4);
	return read_exactly(client, buf, 4) && !memcmp(buf, "pong", 4);
}

TEST(chardev_unix_socket_round_trip_and_next_client)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct test_loop lt;
	struct collector c;
	struct chardev *cd, *other;
	char path[64], spec[80], buf[8];
	const char *msg;
	int stale, first, second;

	socket_path(path, sizeof(path), "rt");
	snprintf(spec, sizeof(spec), "unix:%s", path);
	/* A socket file left behind by a dead process is replaced. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	unlink(path);
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(stale >= 0);
	CHECK_EQ(bind(stale, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(stale);

	CHECK(test_loop_start(&lt));
	CHECK_EQ(chardev_open(spec, lt.loop, &cd, &msg), 0);
	CHECK(!strcmp(chardev_path(cd), path));
	/* One that is in use is not. */
	CHECK_EQ(chardev_open(spec, lt.loop, &other, &msg), -EADDRINUSE);
	collector_init(&c, cd, SIZE_MAX);
	chardev_write(cd, "nobody", 6); /* no client: dropped */

	first = unix_connect(path);
	CHECK(first >= 0);
	CHECK(unix_round_trip(cd, &c, first));
	/* A second client waits until the first leaves. */
	second = unix_connect(path);
	CHECK(second >= 0);
	CHECK_EQ(write(second, "wait", 4), 4);
	usleep(20000);
	CHECK_EQ(collector_len(&c), 4);
	close(first);
	CHECK(collector_wait(&c, 8));
	CHECK(!memcmp(c.data + 4, "wait", 4));
	CHECK(unix_round_trip(cd, &c, second));
	/* A client that half-closes still gets output. */
	CHECK_EQ(shutdown(second, SHUT_WR), 0);
	usleep(20000);
	chardev_write(cd, "bye", 3);
	CHECK(read_exactly(second, buf, 3));
	CHECK(!memcmp(buf, "bye", 3));
	close(second);

	test_loop_stop(&lt);
	chardev_close(cd);
	CHECK(access(path, F_OK) < 0); /* the socket is removed */
	evloop_destroy(lt.loop);
}

TEST(chardev_ring_full_drops_without_blocking)
{
	static uint8_t chunk[4096];
	const size_t total = 4 << 20;
	struct test_loop lt;
	struct collector c;
	struct chardev *cd;
	char path[64], spec[80];
	size_t expected, got = 0;
	uint64_t t0, elapsed, dropped;
	const char *msg;
	int client;

	socket_path(path, sizeof(path), "full");
	snprintf(spec, sizeof(spec), "unix:%s", path);
	CHECK(test_loop_start(&lt));
	CHECK_EQ(chardev_open(spec, lt.loop, &cd, &msg), 0);
	collector_init(&c, cd, SIZE_MAX);
	client = unix_connect(path);
	CHECK(client >= 0);
	CHECK_EQ(write(client, "!", 1), 1);
	CHECK(collector_wait(&c, 1));

	memset(chunk, 'z', sizeof(chunk));
	t0 = clock_monotonic_ns();
	for (size_t sent = 0; sent < total; sent += sizeof(chunk))
		chardev_write(cd, chunk, sizeof(chunk));
	elapsed = clock_monotonic_ns() - t0;
	dropped = chardev_output_dropped(cd);
	CHECK(elapsed < 300000000ULL);
	CHECK(dropped > 0 && dropped < total);

	/* What was not dropped arrives once the client reads: the ring drains. */
	expected = total - dropped;
	while (got < expected) {
		struct pollfd p = { .fd = client, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) != 1)
			break;
		n = read(client, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		got += n;
	}
	CHECK_EQ(got, expected);
	close(client);
	test_loop_stop(&lt);
	chardev_close(cd);
	evloop_destroy(lt.loop);
}

TEST(chardev_input_waits_for_receiver_room)
{
	struct test_loop lt;
	struct collector c;
	struct chardev *cd;
	char path[64], spec[80];
	const char *msg;
	unsigned calls;
	int client;

	socket_path(path, sizeof(path), "room");
	snprintf(spec, sizeof(spec), "unix:%s", path);
	CHECK(test_loop_start(&lt));
	CHECK_EQ(chardev_open(spec, lt.loop, &cd, &msg), 0);
	collector_init(&c, cd, 3);
	client = unix_connect(path);
	CHECK(client >= 0);
	CHECK_EQ(write(client, "abcdefgh", 8), 8);
	CHECK(collector_wait(&c, 3));
	/* No room: the loop stops polling instead of spinning. */
	usleep(30000);
	pthread_mutex_lock(&c.lock);
	calls = c.can_receive_calls;
	c.room = 100;
	pthread_mutex_unlock(&c.lock);
	CHECK(calls <= 4);
	CHECK_EQ(collector_len(&c), 3);
	chardev_input_ready(cd);
	CHECK(collector_wait(&c, 8));
	CHECK(!memcmp(c.data, "abcdefgh", 8));
	close(client);
	test_loop_stop(&lt);
	chardev_close(cd);
	evloop_destroy(lt.loop);
}

TEST(chardev_pty_exchanges_raw_bytes)
{
	struct test_loop lt;
	struct collector c;
	struct chardev *cd;
	const char *msg;
	char buf[8];
	int slave;

	CHECK(test_loop_start(&lt));
	CHECK_EQ(chardev_open("pty", lt.loop, &cd, &msg), 0);
	CHECK(chardev_path(cd) && !strncmp(chardev_path(cd), "/dev/pts/", 9));
	collector_init(&c, cd, SIZE_MAX);
	slave = open(chardev_path(cd), O_RDWR | O_NOCTTY);
	CHECK(slave >= 0);
	/* Raw: \r stays \r, no echo back to the master. */
	chardev_write(cd, "out\r", 4);
	CHECK(read_exactly(slave, buf, 4));
	CHECK(!memcmp(buf, "out\r", 4));
	CHECK_EQ(write(slave, "in\n\x03", 4), 4);
	CHECK(collector_wait(&c, 4));
	CHECK(!memcmp(c.data, "in\n\x03", 4));
	usleep(10000);
	CHECK_EQ(collector_len(&c), 4);
	/* The slave closing is no hangup for the master: a new opener gets output. */
	close(slave);
	slave = open(chardev_path(cd), O_RDWR | O_NOCTTY);
	CHECK(slave >= 0);
	chardev_write(cd, "again", 5);
	CHECK(read_exactly(slave, buf, 5));
	CHECK(!memcmp(buf, "again", 5));
	close(slave);
	test_loop_stop(&lt);
	chardev_close(cd);
	evloop_destroy(lt.loop);
}

/* Child side of the stdio test: echo stdin back on stdout until a 'q'. */
struct echo_child {
	struct chardev *cd;
	struct evloop *loop;
};

static void echo_child_receive(void *opaque, const uint8_t *data, size_t len)
{
	struct echo_child *child = opaque;

	chardev_write(child->cd, data, len);
	if (memchr(data, 'q', len))
		evloop_stop(child->loop);
}

static size_t echo_child_can_receive(void *opaque)
{
	return 64;
}

static void echo_child_run(int in_fd, int out_fd)
{
	struct echo_child child;
	struct chardev_receiver rx = { echo_child_can_receive, echo_child_receive, &child };
	const char *msg;

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(2);
	child.loop = evloop_create();
	if (!child.loop || chardev_open("stdio", child.loop, &child.cd, &msg))
		_exit(3);
	chardev_set_receiver(child.cd, &rx);
	evloop_run(child.loop);
	chardev_close(child.cd);
	evloop_destroy(child.loop);
	_exit(0);
}

TEST(chardev_stdio_on_pipes_echoes)
{
	int to_child[2], from_child[2], status;
	char buf[16];
	pid_t pid;

	CHECK_EQ(pipe(to_child), 0);
	CHECK_EQ(pipe(from_child), 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		echo_child_run(to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);
	CHECK_EQ(write(to_child[1], "abc", 3), 3);
	CHECK(read_exactly(from_child[0], buf, 3));
	CHECK(!memcmp(buf, "abc", 3));
	CHECK_EQ(write(to_child[1], "q", 1), 1);
	close(to_child[1]);
	CHECK(read_exactly(from_child[0], buf, 1));
	CHECK_EQ(buf[0], 'q');
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(read(from_child[0], buf, sizeof(buf)), 0);
	close(from_child[0]);
}
