// SPDX-License-Identifier: GPL-2.0
/*
 * keel-vmm processes for virtkeeld: spawning, the control socket, recognition after a
 * restart, and TAP devices on bridges.
 */
#include "daemon/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/evloop.h"

static bool fd_kept(int fd, const int *keep, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* In the child: only async-signal-safe calls until exec. */
static void vmm_child(char *const argv[], const int *keep, unsigned nkeep, int log_fd,
		      int null_fd, int err_pipe)
{
	int fd;

	setsid();
	dup2(null_fd, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	for (unsigned i = 0; i < nkeep; i++)
		fcntl(keep[i], F_SETFD, 0);
	for (fd = 3; fd < 1024; fd++)
		if (fd != err_pipe && !fd_kept(fd, keep, nkeep))
			close(fd);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	fd = errno;
	if (write(err_pipe, &fd, sizeof(fd)) < 0)
		_exit(127);
	_exit(127);
}

int vmm_spawn(char *const argv[], const int *keep_fds, unsigned nkeep, const char *log_path,
	      pid_t *pid, char *err, size_t errlen)
{
	int log_fd, null_fd, pipefd[2], child_errno = 0, ret = 0;
	ssize_t n;

	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log_fd < 0 || null_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot prepare keel-vmm's log '%s': %s", log_path,
			 strerror(errno));
		goto out;
	}
	*pid = fork();
	if (*pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot start keel-vmm: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		goto out;
	}
	if (*pid == 0)
		vmm_child(argv, keep_fds, nkeep, log_fd, null_fd, pipefd[1]);
	close(pipefd[1]);
	/* The pipe closes on a successful exec, or carries exec's errno. */
	do {
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(child_errno)) {
		ret = -child_errno;
		snprintf(err, errlen, "cannot run '%s': %s", argv[0], strerror(child_errno));
	}
out:
	if (log_fd >= 0)
		close(log_fd);
	if (null_fd >= 0)
		close(null_fd);
	return ret;
}

static int control_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* Reads one line within the deadline (ms of CLOCK_MONOTONIC). */
static int read_line(int fd, char *buf, size_t len, uint64_t deadline_ns)
{
	size_t got = 0;

	while (got + 1 < len) {
		uint64_t now = clock_monotonic_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)((deadline_ns - now) / 1000000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
		buf[got] = '\0';
		if (memchr(buf, '\n', got))
			return 0;
	}
	return -EMSGSIZE;
}

int vmm_command(const char *control_path, const char *command, char *reply, size_t len,
		int timeout_ms)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
	char line[4096], request[256];
	int fd, ret;

	ret = snprintf(request, sizeof(request), "{\"execute\": \"%s\"}\n", command);
	if (ret < 0 || (size_t)ret >= sizeof(request))
		return -EINVAL;
	fd = control_connect(control_path);
	if (fd < 0)
		return fd;
	ret = send(fd, request, strlen(request), MSG_NOSIGNAL) == (ssize_t)strlen(request) ?
		      0 : -EIO;
	if (!ret)
		ret = read_line(fd, line, sizeof(line), deadline);
	close(fd);
	if (ret)
		return ret;
	if (reply)
		snprintf(reply, len, "%s", line);
	return strstr(line, "\"return\"") ? 0 : -EIO;
}

int vmm_wait_ready(const char *control_path, pid_t pid, int timeout_ms)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;

	for (;;) {
		if (!vmm_command(control_path, "query-status", NULL, 0, 2000))
			return 0;
		/* Peek without reaping: the caller collects the exit status. */
		{
			siginfo_t si = { 0 };

			if (!waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid)
				return -ECHILD;
		}
		if (clock_monotonic_ns() >= deadline)
			return -ETIMEDOUT;
		usleep(20000);
	}
}

int vmm_query(const char *control_path, bool *paused, char *console, size_t len)
{
	char line[4096];
	json_object *reply, *ret_obj, *v;
	int ret = vmm_command(control_path, "query-status", line, sizeof(line), 5000);

	if (ret)
		return ret;
	reply = json_tokener_parse(line);
	if (!reply || !json_object_object_get_ex(reply, "return", &ret_obj)) {
		json_object_put(reply);
		return -EPROTO;
	}
	*paused = json_object_object_get_ex(ret_obj, "running", &v) && !json_object_get_boolean(v);
	if (console && len) {
		console[0] = '\0';
		if (json_object_object_get_ex(ret_obj, "console", &v))
			snprintf(console, len, "%s", json_object_get_string(v));
	}
	json_object_put(reply);
	return 0;
}

bool vmm_is_ours(pid_t pid, const char *control_path)
{
	char path[64], cmdline[8192];
	ssize_t n;
	int fd;
	bool found = false;

	if (pid <= 0 || kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmdline[n] = '\0';
	/* Arguments are NUL-separated: look for "--control" followed by our path. */
	for (char *p = cmdline; p < cmdline + n; p += strlen(p) + 1)
		if (!strcmp(p, "--control") && p + strlen(p) + 1 < cmdline + n &&
		    !strcmp(p + strlen(p) + 1, control_path))
			found = true;
	return found && strstr(cmdline, "keel-vmm");
}

static int bridge_add_if(const char *bridge, const char *ifname)
{
	struct ifreq ifr = { 0 };
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	if (ioctl(sock, SIOCBRADDIF, &ifr) < 0)
		ret = -errno;
out:
	close(sock);
	return ret;
}

int tap_create_on_bridge(const char *bridge, char *name, size_t len, int *fd, char *err,
			 size_t errlen)
{
	struct ifreq ifr = { 0 };
	char path[300];
	struct stat st;
	int tap, ret;

	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", bridge);
	if (strlen(bridge) >= IFNAMSIZ || stat(path, &st) < 0) {
		snprintf(err, errlen, "bridge '%s' does not exist", bridge);
		return -ENODEV;
	}
	tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
		return ret;
	}
	/* The kernel picks the number: vnet%d, as libvirt names its TAPs. */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vnet%%d");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(tap, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a TAP device: %s", strerror(errno));
		close(tap);
		return ret;
	}
	ret = bridge_add_if(bridge, ifr.ifr_name);
	if (ret) {
		snprintf(err, errlen, "cannot attach %s to bridge '%s': %s", ifr.ifr_name, bridge,
			 strerror(-ret));
		close(tap);
		return ret;
	}
	snprintf(name, len, "%s", ifr.ifr_name);
	*fd = tap;
	return 0;
}
