/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-console (virtio spec 5.3) with multiple ports (VIRTIO_CONSOLE_F_MULTIPORT) and
 * emergency write (VIRTIO_CONSOLE_F_EMERG_WRITE), each port backed by a chardev.
 *
 * Port 0 is normally the console port (hvc0 in a Linux guest); ports 1.. are named
 * virtio-serial ports (/dev/virtio-ports/<name> in a Linux guest). A driver without
 * MULTIPORT sees port 0 only, as a plain console.
 *
 * Queues: port 0 receive/transmit 0/1, control receive/transmit 2/3, port n >= 1 2n+2/2n+3;
 * with VIRTIO_MAX_QUEUES (16) that makes at most VIRTIO_CONSOLE_MAX_PORTS (7) ports.
 *
 * Host input for a port is kept in a 4 KiB buffer until the guest has the port open; while
 * that buffer is full the chardev stops reading (nothing is lost, the peer waits). Output
 * from the guest goes to chardev_write() (which drops what a slow peer does not take).
 */
#ifndef KEEL_VDEVICES_VIRTIO_CONSOLE_H
#define KEEL_VDEVICES_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "vdevices/virtio.h"

struct chardev;
struct evloop;

#define VIRTIO_CONSOLE_MAX_PORTS 7
/* Longest port name, without the NUL. */
#define VIRTIO_CONSOLE_NAME_MAX 127

struct virtio_console_port_config {
	/*
	 * NULL for the console port; else 1..VIRTIO_CONSOLE_NAME_MAX bytes of [A-Za-z0-9._-],
	 * unique in the device ("org.qemu.guest_agent.0"). Copied.
	 */
	const char *name;
	/*
	 * The port's backend, opened by the caller on the event loop the VMM runs. NULL: output
	 * dropped, no input. The device does not own it: it sets itself as the chardev's
	 * receiver (replacing any other: a chardev feeds one device) and clears that in its
	 * destroy; the caller closes the chardev after the device is destroyed.
	 */
	struct chardev *chardev;
	/* The console port (hvc): only port 0 may be one, and it has no name. */
	bool console;
};

/*
 * Creates the PCI function with nports (1..VIRTIO_CONSOLE_MAX_PORTS) ports. loop is the
 * event loop the chardevs were opened on (their input callbacks run on its thread).
 * 0, or a negative errno with err saying why (a bad port table is -EINVAL).
 */
int virtio_console_create(const struct virtio_env *env, struct evloop *loop,
			  const struct virtio_console_port_config *ports, unsigned nports,
			  struct virtio_dev **out, char *err, size_t errlen);

#endif
