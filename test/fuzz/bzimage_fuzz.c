// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the bzImage setup-header parser and loader on arbitrary kernel files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot_linux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	const uint64_t ram_size = 48ULL << 20;
	struct guest_mem mem;
	struct bzimage_info info;
	struct e820_entry e820 = { 0x100000, ram_size - 0x100000, E820_RAM };
	struct linux_boot boot = { data, size, data, size / 2, "console=ttyS0", &e820, 1, 0xe0000,
				   ram_size };
	struct x86_regs regs;
	struct x86_sregs sregs;
	const char *why;

	if (!ram)
		ram = calloc(1, ram_size);
	mem = (struct guest_mem){ .ranges = { { 0, ram_size, ram } }, .count = 1 };
	if (bzimage_parse(data, size, &info, &why) == 0)
		linux_boot_load(&mem, &boot, &regs, &sregs, &why);
	return 0;
}
