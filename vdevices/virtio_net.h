/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net on a TAP backend: checksum and TSO offloads both ways, the MAC in config space,
 * link status.
 */
#ifndef KEEL_VDEVICES_VIRTIO_NET_H
#define KEEL_VDEVICES_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "vdevices/virtio.h"

/*
 * tap_name: the TAP to create or attach; else tap_fd, an inherited TAP. 0, or a negative
 * errno with err naming the TAP and the reason.
 */
int virtio_net_create(const struct virtio_env *env, const char *tap_name, int tap_fd,
		      const uint8_t mac[6], struct virtio_dev **out, char *err, size_t errlen);

#endif
