/* SPDX-License-Identifier: GPL-2.0 */
/* The 8254 PIT (0x40-0x43) and port 0x61 (speaker gate / channel 2 output, NMI status). */
#ifndef KEEL_VDEVICES_PIT_H
#define KEEL_VDEVICES_PIT_H

#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

struct evloop;
struct pit;

/* Channel 0's output drives irq0 (ISA IRQ 0); timers run on loop. */
struct pit *pit_create(struct io_bus *pio, struct evloop *loop, struct irq_line irq0);

extern const struct vdev_ops pit_vdev_ops;

#endif
