/* SPDX-License-Identifier: GPL-2.0 */
/* Between the PCI host (pci.c) and the type 0 functions it emulates (pci_dev.c) only. */
#ifndef KEEL_VDEVICES_PCI_INTERNAL_H
#define KEEL_VDEVICES_PCI_INTERNAL_H

#include "vdevices/pci.h"

struct pci_decoded {
	const struct io_region_ops *ops;
	void *opaque;
	uint64_t offset;
};

/* Claims slot (0: the first free) for dev; *slot_out is where it went. */
int pci_host_attach_dev(struct pci_host *host, unsigned slot, struct pci_dev *dev,
			unsigned *slot_out);
/* Window space for a BAR, naturally aligned: -ENOSPC when the window is full. */
int pci_host_alloc_mmio(struct pci_host *host, uint64_t size, uint64_t *gpa);
/* True if [gpa, gpa + size) lies inside the host's MMIO window. */
bool pci_host_in_window(struct pci_host *host, uint64_t gpa, uint64_t size);
struct irq_line pci_host_intx_line(struct pci_host *host, unsigned slot);

extern const struct pci_function_ops pci_dev_function_ops;
/* Which of dev's memory BARs decodes addr, if any. */
bool pci_dev_decode(struct pci_dev *dev, uint64_t addr, struct pci_decoded *out);
void pci_dev_free(struct pci_dev *dev);

#endif
