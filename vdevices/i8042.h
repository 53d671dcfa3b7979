/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i8042 keyboard controller (0x60, 0x64): enough of the controller and a keyboard for
 * Linux's probe, and the CPU reset line (command 0xfe) that reboots the machine.
 */
#ifndef KEEL_VDEVICES_I8042_H
#define KEEL_VDEVICES_I8042_H

#include <stddef.h>
#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

struct i8042;

/*
 * system_reset(opaque) is called on the vCPU thread that pulsed the reset line (command 0xfe
 * or an output port write clearing bit 0), without the device lock held.
 */
struct i8042 *i8042_create(struct io_bus *pio, struct irq_line kbd_irq, struct irq_line aux_irq,
			   void (*system_reset)(void *opaque), void *opaque);

/*
 * Key presses for the guest (a VNC console): bytes as the keyboard sends them in its current
 * scan code set (2 unless the guest chose another, see below). The controller translates
 * them to set 1 when the guest enabled translation, as the hardware does. Dropped while the
 * guest has disabled scanning, and past the keyboard's 16-byte buffer. Any thread.
 */
void i8042_keyboard_input(struct i8042 *kbc, const uint8_t *scancodes, size_t len);
/* The scan code set (1, 2 or 3) the guest selected with command 0xf0. */
unsigned i8042_keyboard_scancode_set(struct i8042 *kbc);

extern const struct vdev_ops i8042_vdev_ops;

#endif
