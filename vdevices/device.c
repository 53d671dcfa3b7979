// SPDX-License-Identifier: GPL-2.0
#include "vdevices/device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

int vdev_list_add(struct vdev_list *list, const struct vdev_ops *ops, void *dev)
{
	unsigned same = 0;

	if (list->count == VDEV_MAX)
		return -ENOSPC;
	for (unsigned i = 0; i < list->count; i++)
		same += list->items[i].ops == ops;
	list->items[list->count].ops = ops;
	list->items[list->count].dev = dev;
	if (same)
		snprintf(list->items[list->count].instance, sizeof(list->items[0].instance), "%s.%u",
			 ops->name, same);
	else
		snprintf(list->items[list->count].instance, sizeof(list->items[0].instance), "%s",
			 ops->name);
	list->count++;
	return 0;
}

void vdev_list_reset(struct vdev_list *list)
{
	for (unsigned i = 0; i < list->count; i++)
		if (list->items[i].ops->reset)
			list->items[i].ops->reset(list->items[i].dev);
}

void vdev_list_save(struct vdev_list *list, struct state_writer *w)
{
	for (unsigned i = 0; i < list->count; i++) {
		if (!list->items[i].ops->save)
			continue;
		state_begin(w, list->items[i].instance, 0);
		list->items[i].ops->save(list->items[i].dev, w);
		state_end(w);
	}
}

int vdev_list_load(struct vdev_list *list, const struct state_reader *r)
{
	for (unsigned i = 0; i < list->count; i++) {
		struct state_reader outer, sec;
		int ret;

		if (!list->items[i].ops->load)
			continue;
		ret = state_find_section(r, list->items[i].instance, &outer);
		if (!ret)
			ret = state_find_section(&outer, list->items[i].ops->name, &sec);
		if (ret) {
			log_error("state has no section for device %s", list->items[i].instance);
			return ret;
		}
		ret = list->items[i].ops->load(list->items[i].dev, &sec);
		if (ret) {
			log_error("device %s refused its saved state (%s)", list->items[i].instance,
				  strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void vdev_list_destroy(struct vdev_list *list)
{
	for (unsigned i = list->count; i-- > 0;)
		if (list->items[i].ops->destroy)
			list->items[i].ops->destroy(list->items[i].dev);
	list->count = 0;
}
