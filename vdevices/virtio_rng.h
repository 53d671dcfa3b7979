/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-rng: entropy for the guest from the host's getrandom(). */
#ifndef KEEL_VDEVICES_VIRTIO_RNG_H
#define KEEL_VDEVICES_VIRTIO_RNG_H

#include "vdevices/virtio.h"

int virtio_rng_create(const struct virtio_env *env, struct virtio_dev **out);

#endif
