// SPDX-License-Identifier: GPL-2.0
/*
 * TAP tests. They need /dev/net/tun and CAP_NET_ADMIN; where either is missing they pass
 * without checking anything.
 */
#include "vdevices/tap.h"
#include "test/unit/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define TEST_ETHERTYPE 0x88b5 /* IEEE "local experimental" */

/* No TUN driver, or not allowed to create interfaces here. */
static bool tap_unavailable(int ret)
{
	return ret == -ENOENT || ret == -ENODEV || ret == -ENXIO || ret == -EACCES ||
	       ret == -EPERM;
}

/* A TAP set up by hand, as a management daemon would; -errno on failure. */
static int attach_raw(short flags, char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "keeltest%%d");
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

/* Sends one frame out of the interface through a packet socket: it arrives on the TAP. */
static int send_frame(const char *ifname, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (s < 0)
		return -errno;
	sll.sll_ifindex = if_nametoindex(ifname);
	sll.sll_protocol = htons(TEST_ETHERTYPE);
	memcpy(sll.sll_addr, frame, 6);
	n = sendto(s, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	close(s);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Reads packets until ours comes (the host may send its own, IPv6 ones); its length. */
static ssize_t read_frame(int fd, uint8_t *hdr, uint8_t *buf, size_t len)
{
	for (int tries = 0; tries < 50; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct iovec iov[2] = { { hdr, TAP_VNET_HDR_LEN }, { buf, len } };
		ssize_t n;

		if (poll(&p, 1, 1000) != 1)
			return -ETIMEDOUT;
		n = readv(fd, iov, 2);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < TAP_VNET_HDR_LEN + 14)
			return -EIO;
		if (buf[12] == TEST_ETHERTYPE >> 8 && buf[13] == (TEST_ETHERTYPE & 0xff))
			return n - TAP_VNET_HDR_LEN;
	}
	return -ETIMEDOUT;
}

TEST(tap_open_offloads_packets_and_close)
{
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
			      TEST_ETHERTYPE >> 8, TEST_ETHERTYPE & 0xff, 'k', 'e', 'e', 'l' };
	uint8_t hdr[TAP_VNET_HDR_LEN] = { 0 }, back[2048], back_hdr[TAP_VNET_HDR_LEN];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { frame, sizeof(frame) } };
	char name[IFNAMSIZ], err[256];
	struct tap *tap;
	ssize_t n;
	int ret, fd;

	ret = tap_open("keeltest%d", &tap, err, sizeof(err));
	if (tap_unavailable(ret))
		return;
	CHECK_EQ(ret, 0);
	fd = tap_fd(tap);
	snprintf(name, sizeof(name), "%s", tap_name(tap));
	CHECK(!strncmp(name, "keeltest", 8) && strcmp(name, "keeltest%d"));
	CHECK(if_nametoindex(name) > 0);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	CHECK_EQ(tap_set_offloads(tap, true, true, true, true, true), 0);
	CHECK_EQ(tap_set_offloads(tap, true, false, false, false, false), 0);
	CHECK_EQ(tap_set_offloads(tap, false, true, false, false, false), -EINVAL);
	CHECK_EQ(tap_set_offloads(tap, false, false, false, false, true), -EINVAL);
	CHECK_EQ(tap_set_offloads(tap, true, false, false, true, false), -EINVAL);
	CHECK_EQ(tap_set_offloads(tap, false, false, false, false, false), 0);

	/* Guest to host: the link is up, so the kernel takes it. */
	n = writev(fd, iov, 2);
	CHECK(n == (ssize_t)(sizeof(hdr) + sizeof(frame)) || (n < 0 && errno == EIO));
	/* Host to guest: a frame sent out of the interface, behind a 12-byte header. */
	ret = send_frame(name, frame, sizeof(frame));
	if (ret != -EPERM && ret != -EACCES) {
		CHECK_EQ(ret, 0);
		memset(back_hdr, 0xff, sizeof(back_hdr));
		CHECK_EQ(read_frame(fd, back_hdr, back, sizeof(back)), (ssize_t)sizeof(frame));
		CHECK(!memcmp(back, frame, sizeof(frame)));
		CHECK(!memcmp(back_hdr, hdr, sizeof(hdr))); /* no offloads: an all-zero header */
	}

	/* The interface was made for us: it goes with the descriptor. */
	tap_close(tap);
	CHECK_EQ(if_nametoindex(name), 0);
}

TEST(tap_open_errors)
{
	struct tap *tap, *again;
	char err[256], want[128];
	int ret;

	CHECK_EQ(tap_open("keel-name-far-too-long", &tap, err, sizeof(err)), -EINVAL);
	CHECK(!tap && strstr(err, "too long"));
	ret = tap_open("keeltest%d", &tap, err, sizeof(err));
	if (tap_unavailable(ret))
		return;
	CHECK_EQ(ret, 0);
	/* Someone else's interface; then ours, already attached. */
	CHECK(tap_open("lo", &again, err, sizeof(err)) < 0);
	CHECK(!again && strstr(err, "cannot create or attach TAP 'lo': "));
	CHECK_EQ(tap_open(tap_name(tap), &again, err, sizeof(err)), -EBUSY);
	snprintf(want, sizeof(want), "cannot create or attach TAP '%s': %s", tap_name(tap),
		 strerror(EBUSY));
	CHECK(!strcmp(err, want));
	tap_close(tap);
}

TEST(tap_adopts_an_inherited_fd)
{
	char name[IFNAMSIZ], err[256];
	struct tap *tap;
	int fd, pipe_fd[2];

	fd = attach_raw(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, name);
	if (tap_unavailable(fd))
		return;
	CHECK(fd >= 0);
	CHECK_EQ(tap_adopt_fd(fd, &tap, err, sizeof(err)), 0);
	CHECK_EQ(tap_fd(tap), fd);
	CHECK(!strcmp(tap_name(tap), name));
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(tap_set_offloads(tap, true, true, false, false, false), 0);
	tap_close(tap);
	CHECK_EQ(if_nametoindex(name), 0);

	/* Refused, and the caller keeps the descriptor. */
	fd = attach_raw(IFF_TAP | IFF_NO_PI, name);
	CHECK(fd >= 0);
	CHECK_EQ(tap_adopt_fd(fd, &tap, err, sizeof(err)), -EINVAL);
	CHECK(!tap && strstr(err, name) && strstr(err, "without IFF_VNET_HDR"));
	CHECK_EQ(close(fd), 0);
	fd = attach_raw(IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, name);
	CHECK(fd >= 0);
	CHECK_EQ(tap_adopt_fd(fd, &tap, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "TUN device, not a TAP"));
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(pipe(pipe_fd), 0);
	CHECK(tap_adopt_fd(pipe_fd[0], &tap, err, sizeof(err)) < 0);
	CHECK(strstr(err, "is not an attached TAP device"));
	close(pipe_fd[0]);
	close(pipe_fd[1]);
}
