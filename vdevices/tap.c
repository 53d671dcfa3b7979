// SPDX-License-Identifier: GPL-2.0
/* TAP backend: set-up only; the device does the packet I/O on the descriptor itself. */
#include "vdevices/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

struct tap {
	int fd;
	char name[IFNAMSIZ];
};

/* The header size and offloads off; then a struct tap around fd. */
static int tap_setup(int fd, const char *name, struct tap **out, char *err, size_t errlen)
{
	int hdr_len = TAP_VNET_HDR_LEN;
	struct tap *tap;
	int ret;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP %s: cannot set the virtio-net header size: %s", name,
			strerror(-ret));
		return ret;
	}
	/* A descriptor used before may still have the previous guest's offloads. */
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP %s: cannot turn offloads off: %s", name, strerror(-ret));
		return ret;
	}
	tap = calloc(1, sizeof(*tap));
	if (!tap) {
		snprintf(err, errlen, "TAP %s: out of memory", name);
		return -ENOMEM;
	}
	tap->fd = fd;
	snprintf(tap->name, sizeof(tap->name), "%s", name);
	*out = tap;
	return 0;
}

static int tap_link_up(const char *name)
{
	struct ifreq ifr;
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

int tap_open(const char *name, struct tap **out, char *err, size_t errlen)
{
	struct ifreq ifr;
	size_t len;
	int fd, ret;

	*out = NULL;
	snprintf(err, errlen, "%s", "");
	if (!name || !*name)
		name = "tap%d";
	len = strlen(name);
	if (len >= IFNAMSIZ) {
		snprintf(err, errlen, "TAP name '%s' is too long (at most %d characters)", name,
			IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(-ret));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create or attach TAP '%s': %s%s", name, strerror(-ret),
			ret == -EPERM ? " (creating one needs CAP_NET_ADMIN)" : "");
		close(fd);
		return ret;
	}
	ifr.ifr_name[IFNAMSIZ - 1] = 0;
	ret = tap_setup(fd, ifr.ifr_name, out, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = tap_link_up(ifr.ifr_name);
	if (ret)
		log_warn("TAP %s: cannot bring the link up (%s); no network until it is up",
			 ifr.ifr_name, strerror(-ret));
	return 0;
}

int tap_adopt_fd(int fd, struct tap **out, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fl, ret;

	*out = NULL;
	snprintf(err, errlen, "%s", "");
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fd %d is not an attached TAP device: %s", fd, strerror(-ret));
		return ret;
	}
	ifr.ifr_name[IFNAMSIZ - 1] = 0;
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP) {
		snprintf(err, errlen, "fd %d is %s, a TUN device, not a TAP", fd, ifr.ifr_name);
		return -EINVAL;
	}
	/* The flags are fixed by whoever attached the descriptor: only they can fix them. */
	if ((ifr.ifr_flags & (IFF_NO_PI | IFF_VNET_HDR)) != (IFF_NO_PI | IFF_VNET_HDR)) {
		snprintf(err, errlen, "TAP %s (fd %d) was attached without %s (virtio-net needs it)",
			ifr.ifr_name, fd, ifr.ifr_flags & IFF_NO_PI ? "IFF_VNET_HDR" : "IFF_NO_PI");
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP %s (fd %d): cannot make it non-blocking: %s",
			ifr.ifr_name, fd, strerror(-ret));
		return ret;
	}
	return tap_setup(fd, ifr.ifr_name, out, err, errlen);
}

void tap_close(struct tap *tap)
{
	if (!tap)
		return;
	close(tap->fd);
	free(tap);
}

int tap_fd(const struct tap *tap)
{
	return tap->fd;
}

const char *tap_name(const struct tap *tap)
{
	return tap->name;
}

int tap_set_offloads(struct tap *tap, bool csum, bool tso4, bool tso6, bool ecn, bool ufo)
{
	unsigned long flags = 0;

	if (((tso4 || tso6 || ufo) && !csum) || (ecn && !tso4 && !tso6))
		return -EINVAL;
	if (csum)
		flags |= TUN_F_CSUM;
	if (tso4)
		flags |= TUN_F_TSO4;
	if (tso6)
		flags |= TUN_F_TSO6;
	if (ecn)
		flags |= TUN_F_TSO_ECN;
	if (ufo)
		flags |= TUN_F_UFO;
	if (ioctl(tap->fd, TUNSETOFFLOAD, flags) < 0)
		return -errno;
	return 0;
}
