/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk: a raw image file or host block device as a guest disk, with flush, discard,
 * write-zeroes, read-only disks and an ID (serial) string.
 */
#ifndef KEEL_VDEVICES_VIRTIO_BLK_H
#define KEEL_VDEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>

#include "vdevices/virtio.h"

/* 0, or a negative errno with err naming the disk and the reason. */
int virtio_blk_create(const struct virtio_env *env, const char *path, bool readonly,
		      const char *serial, struct virtio_dev **out, char *err, size_t errlen);

#endif
