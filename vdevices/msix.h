/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSI-X for a PCI function: the capability, the vector table and the pending bit array in
 * one of the function's memory BARs (the device forwards those ranges of its BAR here).
 * Vectors are delivered through eventfds bound in the accelerator (irqfd) where it offers
 * them, so a device's worker thread interrupts the guest without stopping a vCPU; else by
 * signalling the MSI directly. A masked vector becomes pending and fires on unmask.
 * All functions may be called from any thread.
 */
#ifndef KEEL_VDEVICES_MSIX_H
#define KEEL_VDEVICES_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "vdevices/irq.h"
#include "vdevices/pci.h"

#define MSIX_MAX_VECTORS 64
#define MSIX_ENTRY_SIZE 16

struct msix;

/* Adds the capability: nvec vectors, table and PBA at the given offsets of BAR bar. */
int msix_create(struct pci_dev *pdev, unsigned nvec, unsigned bar, uint32_t table_offset,
		uint32_t pba_offset, const struct msi_target *msi, struct msix **out);
void msix_destroy(struct msix *msix);
/* Back to power-on: disabled, every vector masked, nothing pending, eventfds unbound. */
void msix_reset(struct msix *msix);

uint64_t msix_table_read(struct msix *msix, uint64_t offset, unsigned size);
void msix_table_write(struct msix *msix, uint64_t offset, unsigned size, uint64_t value);
uint64_t msix_pba_read(struct msix *msix, uint64_t offset, unsigned size);
/* The guest wrote config space: picks up the Enable and Function Mask bits. */
void msix_config_written(struct msix *msix, unsigned offset, unsigned size);

bool msix_enabled(struct msix *msix);
/*
 * Fires a vector. Returns false if MSI-X is disabled (the caller uses INTx); a vector number
 * out of range is ignored (true).
 */
bool msix_notify(struct msix *msix, unsigned vector);

#endif
