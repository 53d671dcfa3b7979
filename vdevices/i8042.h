/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i8042 keyboard controller (0x60, 0x64): enough of the controller and a keyboard for
 * Linux's probe, and the CPU reset line (command 0xfe) that reboots the machine.
 */
#ifndef KEEL_VDEVICES_I8042_H
#define KEEL_VDEVICES_I8042_H

#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

struct i8042;

/* system_reset(opaque) is called on the vCPU thread that pulsed the reset line. */
struct i8042 *i8042_create(struct io_bus *pio, struct irq_line kbd_irq, struct irq_line aux_irq,
			   void (*system_reset)(void *opaque), void *opaque);

extern const struct vdev_ops i8042_vdev_ops;

#endif
