/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every device model offers the machine: reset, save and load of its state (versioned,
 * for snapshots and migration), and destruction. A device is one file with one of these
 * tables; the machine keeps a list of (ops, device) pairs.
 */
#ifndef KEEL_VDEVICES_DEVICE_H
#define KEEL_VDEVICES_DEVICE_H

#include "lib/state.h"

struct vdev_ops {
	const char *name;
	void (*reset)(void *dev);
	/* Writes one section named after the device (state_begin(w, name, version) ...). */
	void (*save)(void *dev, struct state_writer *w);
	/* Reads from the device's own section; -EINVAL for a version or field it cannot take. */
	int (*load)(void *dev, const struct state_reader *section);
	void (*destroy)(void *dev);
};

#define VDEV_MAX 64

struct vdev_list {
	struct {
		const struct vdev_ops *ops;
		void *dev;
		char instance[32]; /* section name: ops->name, or "name.N" for several */
	} items[VDEV_MAX];
	unsigned count;
};

int vdev_list_add(struct vdev_list *list, const struct vdev_ops *ops, void *dev);
void vdev_list_reset(struct vdev_list *list);
void vdev_list_save(struct vdev_list *list, struct state_writer *w);
/* Loads every device from its section; a missing section is -ENOENT naming the device. */
int vdev_list_load(struct vdev_list *list, const struct state_reader *r);
void vdev_list_destroy(struct vdev_list *list);

#endif
