/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI: the host bridge (i440FX-compatible IDs at 00:00.0) with configuration mechanism #1
 * (0xcf8 address, 0xcfc-0xcff data) on bus 0, and the MMIO window in which devices' memory
 * BARs are decoded. A device either serves its own config space (pci_host_add_function) or,
 * usually, is a struct pci_dev: a type 0 header with BARs, a capability list and INTx,
 * emulated here, with the device supplying only its registers.
 */
#ifndef KEEL_VDEVICES_PCI_H
#define KEEL_VDEVICES_PCI_H

#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/irq.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_MAX_DEVICES 32
#define PCI_HOST_BRIDGE_SLOT 0

struct pci_host;

/*
 * A function on bus 0: its config space is served by these callbacks (offset < 256), always
 * naturally aligned accesses of size 1, 2 or 4 (the host splits others into bytes), called
 * without the host's lock from vCPU threads.
 */
struct pci_function_ops {
	uint32_t (*config_read)(void *opaque, unsigned offset, unsigned size);
	void (*config_write)(void *opaque, unsigned offset, unsigned size, uint32_t value);
};

/*
 * The host claims [mmio_base, mmio_base + mmio_size) on the MMIO bus and hands each access
 * to the memory BAR that decodes it (none: reads all ones, writes dropped).
 */
struct pci_host *pci_host_create(struct io_bus *pio, struct io_bus *mmio, uint64_t mmio_base,
				 uint64_t mmio_size);
/* Places a function at 00:slot.0; -EBUSY if taken, -EINVAL if slot is out of range. */
int pci_host_add_function(struct pci_host *host, unsigned slot, const struct pci_function_ops *ops,
			  void *opaque);

extern const struct vdev_ops pci_host_vdev_ops;

/* ---- Type 0 functions emulated by the host ---- */

#define PCI_NUM_BARS 6
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAPS_START 0x40

struct pci_dev;

struct pci_dev_ids {
	uint16_t vendor, device, subsystem_vendor, subsystem;
	uint8_t revision;
	uint32_t class_code; /* base class, sub-class, programming interface */
	bool intx;           /* uses INTA# */
};

struct pci_dev_ops {
	/* After the guest wrote config bytes [offset, offset + size) (capabilities). */
	void (*config_written)(void *opaque, unsigned offset, unsigned size);
	/*
	 * A memory BAR starts or stops decoding at gpa (0 when it stops), e.g. to move the
	 * device's doorbells. Called without any PCI lock held.
	 */
	void (*bar_moved)(void *opaque, unsigned bar, uint64_t gpa);
};

/*
 * Creates a function at 00:slot.0 (slot 0: the first free one). intx is where INTA# goes.
 * -EBUSY/-ENOSPC/-EINVAL/-ENOMEM.
 */
int pci_dev_create(struct pci_host *host, unsigned slot, const struct pci_dev_ids *ids,
		   const struct pci_dev_ops *ops, void *opaque, struct pci_dev **out);
unsigned pci_dev_slot(const struct pci_dev *dev);
/*
 * A 32-bit memory BAR of size bytes (a power of two, 4 KiB..1 GiB), placed by the host in
 * the window; accesses reach ops with offsets relative to the BAR. Before the guest runs.
 */
int pci_dev_add_mem_bar(struct pci_dev *dev, unsigned bar, uint32_t size,
			const struct io_region_ops *ops, void *opaque);
/*
 * Appends a capability: body[0] is its ID, body[1] (next) is filled in; write_mask says which
 * bits of each byte the guest may change. Returns its config offset, or a negative errno.
 */
int pci_dev_add_cap(struct pci_dev *dev, const uint8_t *body, const uint8_t *write_mask,
		    unsigned len);
/* Config bytes as the guest sees them (device-side reads/updates of capability fields). */
uint32_t pci_dev_config_get(struct pci_dev *dev, unsigned offset, unsigned size);
void pci_dev_config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t value);
/* The current address of a memory BAR while it decodes, else 0. */
uint64_t pci_dev_bar_gpa(struct pci_dev *dev, unsigned bar);
/* Drives INTA# (ignored while the guest set Interrupt Disable); reflected in Status. */
void pci_dev_set_intx(struct pci_dev *dev, bool level);
bool pci_dev_bus_master(struct pci_dev *dev);
/* Back to the power-on config space (BARs at their placed addresses, decoding on). */
void pci_dev_reset(struct pci_dev *dev);
/*
 * Where a slot's INTA# goes: set once by the machine (its IOAPIC pin and the _PRT in ACPI
 * must agree: pci_intx_gsi()).
 */
void pci_host_set_intx_router(struct pci_host *host,
			      struct irq_line (*route)(void *opaque, unsigned slot), void *opaque);
/*
 * The interrupt for INTA# of a slot: ISA IRQ 10 or 11 (level, active low, shared), which
 * both the PIC and the IOAPIC receive, so PCI interrupts work in PIC mode (nolapic) too.
 */
static inline unsigned pci_intx_gsi(unsigned slot)
{
	return 10 + slot % 2;
}

#endif
