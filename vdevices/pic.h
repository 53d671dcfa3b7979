/* SPDX-License-Identifier: GPL-2.0 */
/* The 8259A PIC pair (master at 0x20, slave at 0xa0 cascaded on IRQ2) and the ELCR (0x4d0). */
#ifndef KEEL_VDEVICES_PIC_H
#define KEEL_VDEVICES_PIC_H

#include <stdbool.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

struct pic;

/*
 * Registers the ports; calls sink->ops->pic_output_changed when the INT output changes,
 * without the PIC's lock and one call at a time (it may call back into the PIC).
 */
struct pic *pic_create(struct io_bus *pio, const struct irq_sink *sink);
/* ISA IRQ 0-15 input level (edge or level sensitive as the guest/ELCR programmed). */
void pic_set_irq(struct pic *pic, unsigned irq, bool level);
/* The INT output: an unmasked interrupt is pending for the CPU. */
bool pic_has_interrupt(struct pic *pic);
/* The interrupt acknowledge cycle: the vector to inject (a spurious IRQ7/15 if none). */
uint8_t pic_acknowledge(struct pic *pic);

extern const struct vdev_ops pic_vdev_ops;

#endif
