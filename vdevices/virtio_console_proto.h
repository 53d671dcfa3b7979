/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-console's control protocol without the transport (for virtio_console.c and its
 * unit test): control message encoding and parsing, and the per-port state machine.
 *
 * Device side of the handshake (virtio spec 5.3.6.2):
 *   driver DEVICE_READY(1)  -> DEVICE_ADD(id) for every port
 *   driver PORT_READY(id,1) -> console port: CONSOLE_PORT(id,1), PORT_OPEN(id,1)
 *                              named port:   PORT_NAME(id) + name, PORT_OPEN(id,1)
 *   driver PORT_OPEN(id,v)  -> the guest has the port open (v=1) or closed (v=0)
 * Messages for the driver wait in a bounded queue until it posts control receive buffers.
 * Whatever is malformed, out of range or out of order is ignored (-EINVAL) and changes
 * nothing.
 */
#ifndef KEEL_VDEVICES_VIRTIO_CONSOLE_PROTO_H
#define KEEL_VDEVICES_VIRTIO_CONSOLE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdevices/virtio_console.h"

#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Control events. */
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

/* struct virtio_console_control: le32 id, le16 event, le16 value. */
#define VCON_CTRL_SIZE 8
/* The most messages waiting for control receive buffers (3 per port are needed). */
#define VCON_PENDING_MAX 32

struct vcon_ctrl {
	uint32_t id;
	uint16_t event, value;
};

/* 0 with *m filled, or -EINVAL if len is shorter than a message (extra bytes ignored). */
int vcon_ctrl_parse(const uint8_t *buf, size_t len, struct vcon_ctrl *m);
/*
 * Writes m, followed by name (no NUL) for PORT_NAME, into buf: the bytes written, at most
 * cap (a name that does not fit is cut), 0 if cap cannot hold the header.
 */
size_t vcon_ctrl_encode(const struct vcon_ctrl *m, const char *name, uint8_t *buf, size_t cap);

/* 0, or -EINVAL with err saying what is wrong with the port table. */
int vcon_check_ports(const struct virtio_console_port_config *ports, unsigned nports, char *err,
		     size_t errlen);

struct vcon_port_state {
	bool console;
	bool ready;	 /* the driver sent PORT_READY(1) after our DEVICE_ADD */
	bool guest_open; /* the driver sent PORT_OPEN(1) */
};

struct vcon_proto {
	unsigned nports;
	bool multiport;	   /* negotiated */
	bool driver_ready; /* DEVICE_READY(1) seen */
	struct vcon_port_state port[VIRTIO_CONSOLE_MAX_PORTS];
	struct vcon_ctrl pending[VCON_PENDING_MAX];
	unsigned pending_head, pending_count;
	uint64_t pending_dropped; /* messages lost to a full queue */
};

void vcon_proto_init(struct vcon_proto *p, unsigned nports, bool port0_console);
/* Driver reset or (re)start: forgets the guest side, drops waiting messages. */
void vcon_proto_reset(struct vcon_proto *p, bool multiport);
/* A message from the driver: 0, or -EINVAL if it was ignored. */
int vcon_proto_handle(struct vcon_proto *p, const struct vcon_ctrl *m);
/* The oldest message for the driver, NULL if none; vcon_proto_pop() once it is sent. */
const struct vcon_ctrl *vcon_proto_peek(const struct vcon_proto *p);
void vcon_proto_pop(struct vcon_proto *p);
/* May host input be given to the guest on this port now? */
bool vcon_proto_port_rx_open(const struct vcon_proto *p, unsigned port);

#endif
