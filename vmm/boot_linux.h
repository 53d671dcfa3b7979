/* SPDX-License-Identifier: GPL-2.0 */
/* The Linux x86 boot protocol: a bzImage entered at its 64-bit entry point. */
#ifndef KEEL_VMM_BOOT_LINUX_H
#define KEEL_VMM_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "vdevices/guest_mem.h"
#include "vmm/x86.h"

struct bzimage_info {
	uint16_t protocol;        /* e.g. 0x020f */
	size_t setup_size;        /* bytes of the real-mode part, boot sector included */
	uint64_t load_addr;       /* where the protected-mode kernel goes */
	uint64_t init_size;       /* memory the kernel needs from load_addr while it starts */
	uint32_t initrd_addr_max; /* the highest byte address an initrd may use */
	uint32_t cmdline_max;     /* the longest command line, without its NUL */
};

/* Checks the setup header: 0, or -EINVAL with *why naming what makes it no 64-bit bzImage. */
int bzimage_parse(const uint8_t *image, size_t size, struct bzimage_info *info, const char **why);

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_MAX 32

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

struct linux_boot {
	const uint8_t *kernel;
	size_t kernel_size;
	const uint8_t *initrd;
	size_t initrd_size;
	const char *cmdline;
	const struct e820_entry *e820;
	unsigned e820_count;
	uint64_t rsdp_addr;
	uint64_t lowmem_end; /* end of RAM below 4 GiB */
};

/*
 * Loads the kernel, initrd, command line, zero page, GDT and page tables into guest memory
 * and fills the BSP's registers for the 64-bit entry. -E2BIG with *why when something does
 * not fit.
 */
int linux_boot_load(struct guest_mem *mem, const struct linux_boot *boot, struct x86_regs *regs,
		    struct x86_sregs *sregs, const char **why);

#endif
