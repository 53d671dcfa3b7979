/* SPDX-License-Identifier: GPL-2.0 */
/* A 16550A UART (16-byte FIFOs, interrupts) on a chardev backend. COM1 is 0x3f8, IRQ 4. */
#ifndef KEEL_VDEVICES_UART_H
#define KEEL_VDEVICES_UART_H

#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/chardev.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4

struct uart;

/*
 * backend (NULL: output dropped, no input) stays the caller's: the UART becomes its receiver
 * and lets go in destroy, which runs while the event loop is stopped. NULL if the ports are
 * taken.
 */
struct uart *uart_create(struct io_bus *pio, uint16_t base, struct irq_line irq,
			 struct chardev *backend);

extern const struct vdev_ops uart_vdev_ops;

#endif
