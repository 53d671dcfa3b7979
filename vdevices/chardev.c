// SPDX-License-Identifier: GPL-2.0
/*
 * Console backends. Everything in a chardev is under its lock. The fds change only on the
 * event loop thread (a unix client comes or goes, stdin ends) or while the loop is stopped
 * (open, close). Receivers are called without the lock: a device calls chardev_write() and
 * chardev_input_ready() under its own lock, so the order is always device lock, then ours.
 */
#include "vdevices/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/evloop.h"
#include "lib/log.h"

#define CHARDEV_RING_SIZE (64 * 1024)
#define CHARDEV_READ_CHUNK 4096

enum chardev_kind { CHARDEV_NULL, CHARDEV_STDIO, CHARDEV_FILE, CHARDEV_UNIX, CHARDEV_PTY };

struct chardev {
	enum chardev_kind kind;
	struct evloop *loop;
	pthread_mutex_t lock;

	/* -1 when absent; one fd for both directions on a unix client and a pty master. */
	int in_fd, out_fd;
	bool in_watched, out_watched;	/* registered with the loop */
	bool in_detached;		/* stdin unregistered after a hangup while nobody read */
	uint32_t in_events, out_events;	/* what the registrations ask for now */
	bool in_shared_blocking;	/* stdin: a blocking description others share */
	bool in_eof, in_paused, in_kicked;
	bool out_pollable;		/* EPOLLOUT works, so bytes may wait in the ring */
	bool out_socket;		/* send() with MSG_DONTWAIT | MSG_NOSIGNAL */
	bool out_fifo;			/* write() with SIGPIPE held off */
	bool out_broken;		/* the reader went away: output dropped */
	bool made_raw;			/* this backend put the terminal in raw mode */

	int listen_fd;			/* unix: the listening socket */
	int pty_slave_fd;		/* pty: held open so the master never hangs up */
	char *path;

	uint8_t *ring;
	size_t ring_head, ring_len;
	uint64_t dropped;

	struct chardev_receiver rx;
};

/*
 * The terminal settings to put back. Global because atexit() and fatal-signal handlers can
 * reach nothing else; written only when a stdio backend opens or closes.
 */
static struct termios saved_termios;
static volatile sig_atomic_t saved_termios_valid;
static pthread_once_t restore_at_exit_once = PTHREAD_ONCE_INIT;

void chardev_restore_terminal(void)
{
	if (!saved_termios_valid)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	saved_termios_valid = 0;
}

static void chardev_register_restore_at_exit(void)
{
	atexit(chardev_restore_terminal);
}

static int chardev_make_stdin_raw(struct chardev *cd)
{
	struct termios raw;

	if (saved_termios_valid)
		return 0; /* another stdio backend did it and puts it back */
	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return -errno;
	raw = saved_termios;
	cfmakeraw(&raw); /* no echo, no signals, no output processing: the guest sends \r\n */
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	pthread_once(&restore_at_exit_once, chardev_register_restore_at_exit);
	saved_termios_valid = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
		int err = -errno;

		saved_termios_valid = 0;
		return err;
	}
	cd->made_raw = true;
	return 0;
}

/* write() to a pipe or FIFO: a vanished reader gives -EPIPE, not a fatal SIGPIPE. */
static ssize_t chardev_write_fifo(int fd, const void *buf, size_t len)
{
	static const struct timespec no_wait;
	sigset_t pipe_set, old_set, pending;
	bool was_pending;
	ssize_t n;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	n = write(fd, buf, len);
	err = errno;
	if (n < 0 && err == EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &no_wait);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	errno = err;
	return n;
}

/* Bytes written, -EAGAIN when the reader takes nothing now, or another negative errno. */
static ssize_t chardev_out_write(struct chardev *cd, const void *buf, size_t len)
{
	ssize_t n;

	do {
		if (cd->out_socket)
			n = send(cd->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else if (cd->out_fifo)
			n = chardev_write_fifo(cd->out_fd, buf, len);
		else
			n = write(cd->out_fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static size_t chardev_ring_push(struct chardev *cd, const uint8_t *data, size_t len)
{
	size_t room = CHARDEV_RING_SIZE - cd->ring_len, done = 0;

	if (len > room)
		len = room;
	while (done < len) {
		size_t tail = (cd->ring_head + cd->ring_len) % CHARDEV_RING_SIZE;
		size_t chunk = CHARDEV_RING_SIZE - tail;

		if (chunk > len - done)
			chunk = len - done;
		memcpy(cd->ring + tail, data + done, chunk);
		cd->ring_len += chunk;
		done += chunk;
	}
	return done;
}

static bool chardev_wants_input(const struct chardev *cd)
{
	return cd->in_fd >= 0 && cd->rx.receive && !cd->in_eof && !cd->in_paused;
}

static bool chardev_wants_output(const struct chardev *cd)
{
	return cd->out_fd >= 0 && cd->out_pollable && cd->ring_len && !cd->out_broken;
}

static void chardev_in_event(void *opaque, uint32_t events);

/* Makes the loop registrations ask for what is wanted now. Lock held. */
static void chardev_update_events(struct chardev *cd)
{
	uint32_t in_ev = chardev_wants_input(cd) ? EPOLLIN : 0;
	uint32_t out_ev = chardev_wants_output(cd) ? EPOLLOUT : 0;

	if (cd->in_fd >= 0 && cd->in_fd == cd->out_fd) {
		in_ev |= out_ev;
		out_ev = 0;
	}
	if (cd->in_detached && in_ev &&
	    !evloop_add_fd(cd->loop, cd->in_fd, in_ev, chardev_in_event, cd)) {
		cd->in_detached = false;
		cd->in_watched = true;
		cd->in_events = in_ev;
	}
	if (cd->in_watched && in_ev != cd->in_events && !evloop_mod_fd(cd->loop, cd->in_fd, in_ev))
		cd->in_events = in_ev;
	if (cd->out_watched && out_ev != cd->out_events &&
	    !evloop_mod_fd(cd->loop, cd->out_fd, out_ev))
		cd->out_events = out_ev;
}

/* Lock held. A unix client's failure is noticed again as a hangup on the loop. */
static void chardev_output_failed(struct chardev *cd, int err)
{
	if (!cd->out_broken && cd->kind != CHARDEV_UNIX)
		log_warn("console output failed (%s); dropping it from now on", strerror(-err));
	cd->out_broken = true;
	cd->ring_head = cd->ring_len = 0;
	chardev_update_events(cd);
}

/* Lock held: writes what the reader takes now from the ring. */
static void chardev_drain(struct chardev *cd)
{
	while (cd->ring_len && !cd->out_broken) {
		size_t chunk = CHARDEV_RING_SIZE - cd->ring_head;
		ssize_t n;

		if (chunk > cd->ring_len)
			chunk = cd->ring_len;
		n = chardev_out_write(cd, cd->ring + cd->ring_head, chunk);
		if (n == -EAGAIN || n == 0)
			break;
		if (n < 0) {
			chardev_output_failed(cd, (int)n);
			break;
		}
		cd->ring_head = (cd->ring_head + n) % CHARDEV_RING_SIZE;
		cd->ring_len -= n;
	}
	if (!cd->ring_len)
		cd->ring_head = 0;
	chardev_update_events(cd);
}

void chardev_write(struct chardev *cd, const void *data, size_t len)
{
	const uint8_t *bytes = data;
	size_t done = 0;

	if (!cd || !len)
		return;
	pthread_mutex_lock(&cd->lock);
	if (cd->out_fd < 0 || cd->out_broken)
		goto out; /* nobody to write to: not a loss the ring could have avoided */
	if (!cd->ring_len) {
		ssize_t n = chardev_out_write(cd, bytes, len);

		if (n < 0 && n != -EAGAIN) {
			chardev_output_failed(cd, (int)n);
			goto out;
		}
		done = n > 0 ? (size_t)n : 0;
	}
	if (done < len && cd->out_pollable) {
		done += chardev_ring_push(cd, bytes + done, len - done);
		chardev_update_events(cd);
	}
	cd->dropped += len - done;
out:
	pthread_mutex_unlock(&cd->lock);
}

/* Lock held, loop thread. */
static void chardev_unix_disconnect(struct chardev *cd)
{
	evloop_del_fd(cd->loop, cd->in_fd);
	close(cd->in_fd);
	cd->in_fd = cd->out_fd = -1;
	cd->in_watched = false;
	cd->in_events = 0;
	cd->ring_head = cd->ring_len = 0;
	evloop_mod_fd(cd->loop, cd->listen_fd, EPOLLIN);
	log_debug("console client left %s", cd->path);
}

/* Loop thread: input reached its end (err 0) or failed. */
static void chardev_input_ended(struct chardev *cd, int err)
{
	pthread_mutex_lock(&cd->lock);
	if (cd->kind == CHARDEV_UNIX && err) {
		chardev_unix_disconnect(cd);
	} else if (cd->kind == CHARDEV_STDIO) {
		log_debug("stdin ended: console input stops, output goes on");
		if (cd->in_watched)
			evloop_del_fd(cd->loop, cd->in_fd);
		close(cd->in_fd);
		cd->in_fd = -1;
		cd->in_watched = cd->in_detached = false;
		cd->in_eof = true;
	} else {
		cd->in_eof = true; /* a unix client half-closed: it may still read */
		chardev_update_events(cd);
	}
	pthread_mutex_unlock(&cd->lock);
}

/* Lock held, loop thread: a hangup nobody will read through, which would fire forever. */
static void chardev_hangup_unread(struct chardev *cd)
{
	switch (cd->kind) {
	case CHARDEV_UNIX:
		chardev_unix_disconnect(cd);
		break;
	case CHARDEV_STDIO:
		/* Keep what stdin still holds for when the receiver has room again. */
		evloop_del_fd(cd->loop, cd->in_fd);
		cd->in_watched = false;
		cd->in_detached = true;
		cd->in_events = 0;
		break;
	default:
		log_warn("console %s hung up", cd->path ? cd->path : "backend");
		evloop_del_fd(cd->loop, cd->in_fd);
		cd->in_watched = false;
		cd->in_eof = cd->out_broken = true;
		cd->ring_head = cd->ring_len = 0;
		break;
	}
}

static void chardev_pause_input(struct chardev *cd)
{
	pthread_mutex_lock(&cd->lock);
	if (!cd->in_kicked) {
		cd->in_paused = true;
		chardev_update_events(cd);
	}
	pthread_mutex_unlock(&cd->lock);
}

static bool chardev_fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Loop thread: one read of at most what the receiver has room for. */
static void chardev_read_input(struct chardev *cd)
{
	uint8_t buf[CHARDEV_READ_CHUNK];
	struct chardev_receiver rx;
	size_t room;
	ssize_t n;
	int fd;

	pthread_mutex_lock(&cd->lock);
	rx = cd->rx;
	fd = cd->in_fd;
	cd->in_kicked = false;
	pthread_mutex_unlock(&cd->lock);
	if (!rx.receive || fd < 0)
		return;
	room = rx.can_receive ? rx.can_receive(rx.opaque) : sizeof(buf);
	if (!room) {
		chardev_pause_input(cd);
		return;
	}
	/* stdin cannot be made non-blocking without changing it for everyone sharing it. */
	if (cd->in_shared_blocking && !chardev_fd_readable(fd))
		return;
	n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n > 0)
		rx.receive(rx.opaque, buf, n);
	else if (n == 0)
		chardev_input_ended(cd, 0);
	else if (errno != EAGAIN && errno != EINTR)
		chardev_input_ended(cd, -errno);
}

static void chardev_in_event(void *opaque, uint32_t events)
{
	struct chardev *cd = opaque;
	bool hangup = events & (EPOLLHUP | EPOLLERR);
	bool reading;

	pthread_mutex_lock(&cd->lock);
	if (events & EPOLLOUT)
		chardev_drain(cd);
	reading = chardev_wants_input(cd);
	if (hangup && !reading && cd->in_watched)
		chardev_hangup_unread(cd);
	pthread_mutex_unlock(&cd->lock);
	if (reading && (events & EPOLLIN || hangup))
		chardev_read_input(cd);
}

/* A stdout or file registered apart from the input. */
static void chardev_out_event(void *opaque, uint32_t events)
{
	struct chardev *cd = opaque;

	pthread_mutex_lock(&cd->lock);
	if (events & EPOLLOUT)
		chardev_drain(cd);
	if (events & (EPOLLHUP | EPOLLERR) && cd->out_watched) {
		evloop_del_fd(cd->loop, cd->out_fd);
		cd->out_watched = false;
		chardev_output_failed(cd, -EPIPE);
	}
	pthread_mutex_unlock(&cd->lock);
}

static void chardev_unix_accept(void *opaque, uint32_t events)
{
	struct chardev *cd = opaque;
	int fd = accept4(cd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		/* Out of fds: the socket would stay readable and spin the loop. */
		log_warn("console socket %s: accept failed (%s); no more clients", cd->path,
			 strerror(errno));
		evloop_mod_fd(cd->loop, cd->listen_fd, 0);
		return;
	}
	pthread_mutex_lock(&cd->lock);
	if (cd->in_fd >= 0 || evloop_add_fd(cd->loop, fd, 0, chardev_in_event, cd) < 0) {
		pthread_mutex_unlock(&cd->lock);
		close(fd);
		return;
	}
	cd->in_fd = cd->out_fd = fd;
	cd->in_watched = true;
	cd->in_events = 0;
	cd->in_eof = cd->in_paused = cd->out_broken = false;
	cd->ring_head = cd->ring_len = 0;
	/* One client at a time: the next waits in the backlog until this one leaves. */
	evloop_mod_fd(cd->loop, cd->listen_fd, 0);
	chardev_update_events(cd);
	pthread_mutex_unlock(&cd->lock);
	log_debug("console client connected to %s", cd->path);
}

/* Registers an output fd of its own; one epoll refuses (a regular file) is written directly. */
static int chardev_watch_output(struct chardev *cd)
{
	int ret;

	if (!cd->loop)
		return 0;
	ret = evloop_add_fd(cd->loop, cd->out_fd, 0, chardev_out_event, cd);
	if (ret == -EPERM)
		return 0;
	if (ret)
		return ret;
	cd->out_watched = cd->out_pollable = true;
	return 0;
}

static int chardev_open_stdout(struct chardev *cd, const char **err_msg)
{
	struct stat st;
	int ret;

	if (fstat(STDOUT_FILENO, &st) < 0) {
		*err_msg = "stdio: stdout is not open";
		return -errno;
	}
	if (S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode)) {
		/* A file keeps its shared offset and never blocks; a socket gets MSG_DONTWAIT. */
		cd->out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		cd->out_socket = S_ISSOCK(st.st_mode);
	} else {
		/* A new open file description: O_NONBLOCK on it leaves the terminal's own alone. */
		cd->out_fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		cd->out_fifo = S_ISFIFO(st.st_mode);
	}
	if (cd->out_fd < 0) {
		*err_msg = "stdio: cannot reopen stdout without blocking";
		return -errno;
	}
	ret = chardev_watch_output(cd);
	if (ret)
		*err_msg = "stdio: cannot watch stdout";
	return ret;
}

static int chardev_open_stdin(struct chardev *cd, const char **err_msg)
{
	int ret;

	if (isatty(STDIN_FILENO)) {
		ret = chardev_make_stdin_raw(cd);
		if (ret) {
			*err_msg = "stdio: cannot put the terminal in raw mode";
			return ret;
		}
	}
	cd->in_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (cd->in_fd < 0)
		return 0; /* stdin closed: no input */
	cd->in_shared_blocking = true;
	ret = evloop_add_fd(cd->loop, cd->in_fd, 0, chardev_in_event, cd);
	if (ret == -EPERM) {
		/* A regular file or /dev/null: nothing to wait for, so no input. */
		close(cd->in_fd);
		cd->in_fd = -1;
		return 0;
	}
	if (ret) {
		*err_msg = "stdio: cannot watch stdin";
		return ret;
	}
	cd->in_watched = true;
	return 0;
}

static int chardev_open_stdio(struct chardev *cd, const char **err_msg)
{
	int ret = chardev_open_stdout(cd, err_msg);

	return ret ? ret : chardev_open_stdin(cd, err_msg);
}

static int chardev_open_file(struct chardev *cd, const char *path, const char **err_msg)
{
	struct stat st;
	int ret;

	if (!*path) {
		*err_msg = "file: needs a path";
		return -EINVAL;
	}
	cd->out_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
			  0600);
	if (cd->out_fd < 0) {
		*err_msg = "file: cannot open the output file";
		return -errno;
	}
	if (!fstat(cd->out_fd, &st) && S_ISFIFO(st.st_mode))
		cd->out_fifo = true;
	ret = chardev_watch_output(cd);
	if (ret)
		*err_msg = "file: cannot watch the output file";
	return ret;
}

static int chardev_open_pty(struct chardev *cd, const char **err_msg)
{
	struct termios raw;
	char name[128];
	int fd, ret;

	fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		*err_msg = "pty: cannot open a pseudo terminal";
		return -errno;
	}
	cd->in_fd = cd->out_fd = fd;
	if (grantpt(fd) < 0 || unlockpt(fd) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		*err_msg = "pty: cannot set up the pseudo terminal";
		return -errno;
	}
	ret = ptsname_r(fd, name, sizeof(name));
	if (ret) {
		*err_msg = "pty: cannot name the pseudo terminal";
		return -ret;
	}
	cd->pty_slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (cd->pty_slave_fd < 0) {
		*err_msg = "pty: cannot open the pseudo terminal's slave side";
		return -errno;
	}
	if (tcgetattr(cd->pty_slave_fd, &raw) < 0) {
		*err_msg = "pty: cannot read the pseudo terminal's settings";
		return -errno;
	}
	cfmakeraw(&raw);
	if (tcsetattr(cd->pty_slave_fd, TCSANOW, &raw) < 0) {
		*err_msg = "pty: cannot put the pseudo terminal in raw mode";
		return -errno;
	}
	cd->path = strdup(name);
	if (!cd->path) {
		*err_msg = "out of memory";
		return -ENOMEM;
	}
	ret = evloop_add_fd(cd->loop, fd, 0, chardev_in_event, cd);
	if (ret) {
		*err_msg = "pty: cannot watch the pseudo terminal";
		return ret;
	}
	cd->in_watched = cd->out_pollable = true;
	log_info("console on %s", name);
	return 0;
}

/* An existing socket nobody listens on is stale; one in use or any other file is kept. */
static int chardev_unix_remove_stale(const struct sockaddr_un *addr, const char **err_msg)
{
	struct stat st;
	int probe, ret, err;

	if (lstat(addr->sun_path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*err_msg = "unix: cannot examine the socket path";
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*err_msg = "unix: the path exists and is not a socket";
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		*err_msg = "unix: cannot create a socket";
		return -errno;
	}
	ret = connect(probe, (const struct sockaddr *)addr, sizeof(*addr));
	err = errno;
	close(probe);
	if (!ret || err == EAGAIN) {
		*err_msg = "unix: another process listens on the socket";
		return -EADDRINUSE;
	}
	if (unlink(addr->sun_path) < 0 && errno != ENOENT) {
		*err_msg = "unix: cannot remove the stale socket";
		return -errno;
	}
	return 0;
}

static int chardev_open_unix(struct chardev *cd, const char *path, const char **err_msg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int ret;

	if (!len) {
		*err_msg = "unix: needs a path";
		return -EINVAL;
	}
	if (len >= sizeof(addr.sun_path)) {
		*err_msg = "unix: socket path too long";
		return -EINVAL;
	}
	memcpy(addr.sun_path, path, len + 1);
	ret = chardev_unix_remove_stale(&addr, err_msg);
	if (ret)
		return ret;
	cd->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cd->listen_fd < 0) {
		*err_msg = "unix: cannot create a socket";
		return -errno;
	}
	if (bind(cd->listen_fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		*err_msg = "unix: cannot bind the socket path";
		return -errno;
	}
	cd->path = strdup(path); /* from here on, closing removes the socket */
	if (!cd->path) {
		unlink(path);
		*err_msg = "out of memory";
		return -ENOMEM;
	}
	if (listen(cd->listen_fd, 1) < 0) {
		*err_msg = "unix: cannot listen on the socket";
		return -errno;
	}
	ret = evloop_add_fd(cd->loop, cd->listen_fd, EPOLLIN, chardev_unix_accept, cd);
	if (ret) {
		close(cd->listen_fd);
		cd->listen_fd = -1;
		*err_msg = "unix: cannot watch the socket";
		return ret;
	}
	cd->out_pollable = cd->out_socket = true;
	log_info("console on unix socket %s", path);
	return 0;
}

static struct chardev *chardev_alloc(struct evloop *loop)
{
	struct chardev *cd = calloc(1, sizeof(*cd));

	if (!cd)
		return NULL;
	cd->loop = loop;
	cd->in_fd = cd->out_fd = cd->listen_fd = cd->pty_slave_fd = -1;
	pthread_mutex_init(&cd->lock, NULL);
	return cd;
}

static void chardev_free(struct chardev *cd)
{
	if (cd->in_watched)
		evloop_del_fd(cd->loop, cd->in_fd);
	if (cd->out_watched)
		evloop_del_fd(cd->loop, cd->out_fd);
	if (cd->listen_fd >= 0) {
		evloop_del_fd(cd->loop, cd->listen_fd);
		close(cd->listen_fd);
	}
	if (cd->in_fd >= 0)
		close(cd->in_fd);
	if (cd->out_fd >= 0 && cd->out_fd != cd->in_fd)
		close(cd->out_fd);
	if (cd->pty_slave_fd >= 0)
		close(cd->pty_slave_fd);
	if (cd->kind == CHARDEV_UNIX && cd->path)
		unlink(cd->path);
	if (cd->made_raw)
		chardev_restore_terminal();
	free(cd->ring);
	free(cd->path);
	pthread_mutex_destroy(&cd->lock);
	free(cd);
}

static int chardev_parse_kind(const char *spec, enum chardev_kind *kind)
{
	if (!strcmp(spec, "null"))
		*kind = CHARDEV_NULL;
	else if (!strcmp(spec, "stdio"))
		*kind = CHARDEV_STDIO;
	else if (!strcmp(spec, "pty"))
		*kind = CHARDEV_PTY;
	else if (!strncmp(spec, "file:", 5))
		*kind = CHARDEV_FILE;
	else if (!strncmp(spec, "unix:", 5))
		*kind = CHARDEV_UNIX;
	else
		return -EINVAL;
	return 0;
}

static int chardev_open_kind(struct chardev *cd, const char *spec, const char **err_msg)
{
	static const char *const needs_loop[] = {
		[CHARDEV_STDIO] = "stdio: needs an event loop",
		[CHARDEV_UNIX] = "unix: needs an event loop",
		[CHARDEV_PTY] = "pty: needs an event loop",
	};

	if (chardev_parse_kind(spec, &cd->kind)) {
		*err_msg = "unknown console backend (use stdio, file:PATH, unix:PATH, pty or null)";
		return -EINVAL;
	}
	if (!cd->loop && cd->kind != CHARDEV_NULL && cd->kind != CHARDEV_FILE) {
		*err_msg = needs_loop[cd->kind];
		return -EINVAL;
	}
	switch (cd->kind) {
	case CHARDEV_STDIO:
		return chardev_open_stdio(cd, err_msg);
	case CHARDEV_FILE:
		return chardev_open_file(cd, spec + 5, err_msg);
	case CHARDEV_UNIX:
		return chardev_open_unix(cd, spec + 5, err_msg);
	case CHARDEV_PTY:
		return chardev_open_pty(cd, err_msg);
	default:
		return 0;
	}
}

int chardev_open(const char *spec, struct evloop *loop, struct chardev **out, const char **err_msg)
{
	const char *ignored;
	struct chardev *cd;
	int ret;

	if (!err_msg)
		err_msg = &ignored;
	*err_msg = NULL;
	*out = NULL;
	if (!spec) {
		*err_msg = "no console backend given";
		return -EINVAL;
	}
	cd = chardev_alloc(loop);
	if (!cd) {
		*err_msg = "out of memory";
		return -ENOMEM;
	}
	ret = chardev_open_kind(cd, spec, err_msg);
	if (!ret && cd->out_pollable) {
		cd->ring = malloc(CHARDEV_RING_SIZE);
		if (!cd->ring) {
			*err_msg = "out of memory";
			ret = -ENOMEM;
		}
	}
	if (ret) {
		chardev_free(cd);
		return ret;
	}
	*out = cd;
	return 0;
}

void chardev_close(struct chardev *cd)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->lock);
	chardev_drain(cd);
	pthread_mutex_unlock(&cd->lock);
	chardev_free(cd);
}

void chardev_set_receiver(struct chardev *cd, const struct chardev_receiver *rx)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->lock);
	if (rx)
		cd->rx = *rx;
	else
		memset(&cd->rx, 0, sizeof(cd->rx));
	cd->in_paused = false;
	chardev_update_events(cd);
	pthread_mutex_unlock(&cd->lock);
}

void chardev_input_ready(struct chardev *cd)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->lock);
	cd->in_kicked = true;
	if (cd->in_paused) {
		cd->in_paused = false;
		chardev_update_events(cd);
	}
	pthread_mutex_unlock(&cd->lock);
}

const char *chardev_path(const struct chardev *cd)
{
	return cd ? cd->path : NULL;
}

uint64_t chardev_output_dropped(struct chardev *cd)
{
	uint64_t dropped;

	pthread_mutex_lock(&cd->lock);
	dropped = cd->dropped;
	pthread_mutex_unlock(&cd->lock);
	return dropped;
}
