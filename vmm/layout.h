/* SPDX-License-Identifier: GPL-2.0 */
/* The guest physical memory map of Keel's PC machine. */
#ifndef KEEL_VMM_LAYOUT_H
#define KEEL_VMM_LAYOUT_H

#define LAYOUT_GDT 0x500ULL
#define LAYOUT_ZERO_PAGE 0x7000ULL
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL /* four page directories: 4 GiB identity-mapped with 2 MiB pages */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 0x10000ULL
#define LAYOUT_EBDA 0x9fc00ULL
#define LAYOUT_ACPI 0xe0000ULL /* RSDP first (found by the legacy search too), then tables */
#define LAYOUT_ACPI_SIZE 0x20000ULL
#define LAYOUT_HIGH_MEMORY 0x100000ULL
#define LAYOUT_KERNEL_DEFAULT 0x1000000ULL

/* Below 4 GiB, RAM stops here; the rest is the hole for PCI, the IOAPIC and LAPIC. */
#define LAYOUT_LOWMEM_MAX 0xc0000000ULL
#define LAYOUT_PCI_MMIO_START 0xc0000000ULL
#define LAYOUT_PCI_MMIO_END 0xfebfffffULL
#define LAYOUT_RAM_ABOVE_4G 0x100000000ULL

#define LAYOUT_MIN_MEMORY (32ULL << 20)

#endif
