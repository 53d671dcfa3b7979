/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI fixed-hardware PM block: PM1a event (status/enable, 4 bytes), PM1a control
 * (2 bytes), the 32-bit 3.579545 MHz PM timer (4 bytes: the FADT sets TMR_VAL_EXT), GPE0
 * (status/enable, 4 bytes) and a reset register (1 byte). SCI is ISA IRQ 9, level-triggered.
 * SCI_EN is set from reset (no SMI_CMD: ACPI mode always on). The layout is fixed so the FADT
 * can describe it.
 */
#ifndef KEEL_VDEVICES_ACPI_PM_H
#define KEEL_VDEVICES_ACPI_PM_H

#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

#define ACPI_PM_BASE 0x600
#define ACPI_PM1_EVT_OFF 0x00 /* PM1a_STS (2 bytes) + PM1a_EN (2 bytes) */
#define ACPI_PM1_CNT_OFF 0x04
#define ACPI_PM_TMR_OFF 0x08
#define ACPI_GPE0_OFF 0x0c    /* GPE0_STS (2 bytes) + GPE0_EN (2 bytes) */
#define ACPI_RESET_OFF 0x10   /* write ACPI_RESET_VALUE to reset the machine */
#define ACPI_PM_LEN 0x20
#define ACPI_RESET_VALUE 0x01
#define ACPI_SCI_IRQ 9
/* SLP_TYP values the DSDT's \_S5 package names. */
#define ACPI_SLP_TYP_S5 0

struct acpi_pm;
struct evloop;

struct acpi_pm_events {
	/* The guest set SLP_EN with SLP_TYP slp_typ (ACPI_SLP_TYP_S5: power off). */
	void (*sleep)(void *opaque, unsigned slp_typ);
	/* The guest wrote ACPI_RESET_VALUE to the reset register. */
	void (*reset)(void *opaque);
	void *opaque;
};

struct acpi_pm *acpi_pm_create(struct io_bus *pio, uint16_t base, struct irq_line sci,
			       const struct acpi_pm_events *events);
/* Sets PWRBTN_STS and raises SCI when enabled (any thread). */
void acpi_pm_press_power_button(struct acpi_pm *pm);
/*
 * Optional: raise SCI on time for PM timer carries (TMR_STS with TMR_EN), with a timer on
 * loop armed only while TMR_EN is set. Without it, TMR_STS is noticed when the guest next
 * touches the block. Call before the guest runs.
 */
int acpi_pm_use_evloop(struct acpi_pm *pm, struct evloop *loop);

extern const struct vdev_ops acpi_pm_vdev_ops;

#endif
