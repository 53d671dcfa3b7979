/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MC146818 CMOS RTC at 0x70-0x71: the wall clock from the host (UTC), 128 bytes of
 * NVRAM, periodic, alarm and update-ended interrupts on ISA IRQ 8.
 */
#ifndef KEEL_VDEVICES_RTC_H
#define KEEL_VDEVICES_RTC_H

#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

struct evloop;
struct rtc;

struct rtc *rtc_create(struct io_bus *pio, struct evloop *loop, struct irq_line irq8);
/* NVRAM the machine fills before boot (memory sizes for firmware, ...); index 14-127. */
void rtc_set_cmos(struct rtc *rtc, unsigned index, uint8_t value);

extern const struct vdev_ops rtc_vdev_ops;

#endif
