/* SPDX-License-Identifier: GPL-2.0 */
/* The I/O APIC (82093AA-style, version 0x11, 24 pins) at 0xfec00000. */
#ifndef KEEL_VDEVICES_IOAPIC_H
#define KEEL_VDEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ULL
#define IOAPIC_MMIO_SIZE 0x1000
#define IOAPIC_NUM_PINS 24

struct ioapic;

/*
 * id: 0-15 (the ID register's field is 4 bits); NULL if larger. Delivers through
 * sink->ops->signal_msi, called without the IOAPIC's lock; mirrors every entry write (and
 * create, reset, load) with set_ioapic_route, called with the lock held so the route is in
 * place before a message can use it: that callback must not call back into the IOAPIC.
 */
struct ioapic *ioapic_create(struct io_bus *mmio, uint64_t base, uint8_t id,
			     const struct irq_sink *sink);
void ioapic_set_irq(struct ioapic *ioapic, unsigned pin, bool level);
/* The local APIC signalled EOI for vector: clear Remote IRR, re-deliver a held level. */
void ioapic_eoi(struct ioapic *ioapic, uint8_t vector);

extern const struct vdev_ops ioapic_vdev_ops;

#endif
