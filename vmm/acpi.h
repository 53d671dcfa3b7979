/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables built at start: RSDP, RSDT, XSDT, FADT, FACS, DSDT (\_S5, the PCI root
 * bridge with its windows and INTA# routing) and MADT (every local APIC, the IOAPIC, ISA
 * overrides), so Linux finds all vCPUs, the IOAPIC and PCI, and powers off through the PM
 * block. The power button is the FADT's fixed-feature button.
 */
#ifndef KEEL_VMM_ACPI_H
#define KEEL_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct acpi_config {
	unsigned ncpus;
	uint64_t ioapic_addr;
	uint8_t ioapic_id;
	uint16_t pm_base; /* the ACPI PM block (vdevices/acpi_pm.h layout) */
	/* PCI root bridge in the DSDT: slots 1..pci_slots-1 and their INTA# GSIs (0: none). */
	unsigned pci_slots;
	uint64_t pci_mmio_base, pci_mmio_size;
	unsigned (*pci_intx_gsi)(unsigned slot);
};

/*
 * Writes the tables into buf (the guest bytes at guest address base, size bytes) and
 * returns the RSDP's guest address in *rsdp. -E2BIG when they do not fit.
 */
int acpi_build(uint8_t *buf, uint64_t base, size_t size, const struct acpi_config *cfg,
	       uint64_t *rsdp);

#endif
