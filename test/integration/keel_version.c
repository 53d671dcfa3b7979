// SPDX-License-Identifier: GPL-2.0
/* Opens /dev/keel and checks the version ioctl of kmod/uapi/keel.h. Exit 0 on success. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kmod/uapi/keel.h"

int main(void)
{
	int fd = open("/dev/keel", O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0) {
		fprintf(stderr, "keel-version: open /dev/keel: %s\n", strerror(errno));
		return 1;
	}
	version = ioctl(fd, KEEL_GET_API_VERSION, 0);
	if (version != KEEL_API_VERSION) {
		fprintf(stderr, "keel-version: KEEL_GET_API_VERSION returned %d (%s), want %d\n",
			version, version < 0 ? strerror(errno) : "wrong version", KEEL_API_VERSION);
		return 1;
	}
	if (ioctl(fd, KEEL_GET_API_VERSION, 1) != -1 || errno != EINVAL) {
		fprintf(stderr, "keel-version: a non-zero argument was not refused with EINVAL\n");
		return 1;
	}
	if (ioctl(fd, _IO(KEEL_IOCTL_TYPE, 0x7f), 0) != -1 || errno != ENOTTY) {
		fprintf(stderr, "keel-version: an unknown ioctl was not refused with ENOTTY\n");
		return 1;
	}
	printf("keel-version: /dev/keel API %d\n", version);
	close(fd);
	return 0;
}
