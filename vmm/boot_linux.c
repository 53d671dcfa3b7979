// SPDX-License-Identifier: GPL-2.0
#include "vmm/boot_linux.h"

#include <errno.h>
#include <string.h>

#include "lib/bytes.h"
#include "vmm/layout.h"

/* Offsets in the boot sector / zero page (Documentation/arch/x86/boot.rst). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

int bzimage_parse(const uint8_t *image, size_t size, struct bzimage_info *info, const char **why)
{
	unsigned setup_sects;

	if (size < 0x1000) {
		*why = "too small to be a bzImage";
		return -EINVAL;
	}
	if (get_le16(image + HDR_BOOT_FLAG) != 0xaa55 || memcmp(image + HDR_MAGIC, "HdrS", 4)) {
		*why = "no Linux boot setup header (not a bzImage)";
		return -EINVAL;
	}
	info->protocol = get_le16(image + HDR_VERSION);
	if (info->protocol < 0x020c) {
		*why = "boot protocol older than 2.12 (no 64-bit entry)";
		return -EINVAL;
	}
	if (!(image[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH)) {
		*why = "a zImage, not a bzImage";
		return -EINVAL;
	}
	if (!(get_le16(image + HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
		*why = "no 64-bit entry point (not an x86-64 kernel)";
		return -EINVAL;
	}
	setup_sects = image[HDR_SETUP_SECTS] ? image[HDR_SETUP_SECTS] : 4;
	info->setup_size = (size_t)(setup_sects + 1) * 512;
	if (info->setup_size >= size) {
		*why = "setup header claims more setup sectors than the file has";
		return -EINVAL;
	}
	info->load_addr = get_le64(image + HDR_PREF_ADDRESS);
	if (info->load_addr < LAYOUT_HIGH_MEMORY || info->load_addr > LAYOUT_LOWMEM_MAX ||
	    (info->load_addr & 0xfff))
		info->load_addr = LAYOUT_KERNEL_DEFAULT;
	info->init_size = get_le32(image + HDR_INIT_SIZE);
	if (info->init_size < size - info->setup_size)
		info->init_size = size - info->setup_size;
	info->initrd_addr_max = get_le32(image + HDR_INITRD_ADDR_MAX);
	info->cmdline_max = get_le32(image + HDR_CMDLINE_SIZE);
	if (!info->cmdline_max || info->cmdline_max >= LAYOUT_CMDLINE_MAX)
		info->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}

/* Identity-maps the first 4 GiB with 2 MiB pages: the 64-bit entry needs paging on. */
static int boot_page_tables(struct guest_mem *mem)
{
	uint64_t *pml4 = guest_mem_ptr(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guest_mem_ptr(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = guest_mem_ptr(mem, LAYOUT_PD, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | 0x3; /* present, writable */
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | 0x3;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* present, writable, 2 MiB */
	return 0;
}

static int boot_gdt(struct guest_mem *mem)
{
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffULL, /* 0x10: 64-bit code */
		0x00cf93000000ffffULL, /* 0x18: data */
	};

	return guest_mem_write(mem, LAYOUT_GDT, gdt, sizeof(gdt));
}

static void boot_registers(const struct linux_boot *boot, uint64_t entry, struct x86_regs *regs,
			   struct x86_sregs *sregs)
{
	struct x86_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0xb,
				    .present = 1, .s = 1, .l = 1, .g = 1 };
	struct x86_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x18, .type = 0x3,
				    .present = 1, .s = 1, .db = 1, .g = 1 };
	struct x86_segment tss = { .base = 0, .limit = 0xffff, .selector = 0, .type = 0xb,
				   .present = 1 };
	struct x86_segment ldt = { .type = 0x2, .present = 1, .limit = 0xffff };

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsi = LAYOUT_ZERO_PAGE;
	regs->rflags = 0x2;
	memset(sregs, 0, sizeof(*sregs));
	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = tss;
	sregs->ldt = ldt;
	sregs->gdt.base = LAYOUT_GDT;
	sregs->gdt.limit = 4 * 8 - 1;
	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sregs->cr3 = LAYOUT_PML4;
	sregs->cr4 = X86_CR4_PAE;
	sregs->efer = X86_EFER_LME | X86_EFER_LMA;
}

int linux_boot_load(struct guest_mem *mem, const struct linux_boot *boot, struct x86_regs *regs,
		    struct x86_sregs *sregs, const char **why)
{
	struct bzimage_info info;
	uint8_t *zp;
	size_t hdr_end, cmdlen = strlen(boot->cmdline);
	uint64_t initrd_addr = 0, initrd_top;
	int ret;

	ret = bzimage_parse(boot->kernel, boot->kernel_size, &info, why);
	if (ret)
		return ret;
	if (info.load_addr + info.init_size > boot->lowmem_end) {
		*why = "the kernel does not fit in guest memory (give the guest more memory)";
		return -E2BIG;
	}
	if (cmdlen > info.cmdline_max) {
		*why = "the kernel command line is longer than the kernel accepts";
		return -E2BIG;
	}
	if (guest_mem_write(mem, info.load_addr, boot->kernel + info.setup_size,
			    boot->kernel_size - info.setup_size)) {
		*why = "the kernel does not fit in guest memory";
		return -E2BIG;
	}
	if (boot->initrd_size) {
		/* As high as allowed, below the hole, clear of the kernel, 2 MiB aligned. */
		initrd_top = boot->lowmem_end;
		if (info.initrd_addr_max && (uint64_t)info.initrd_addr_max + 1 < initrd_top)
			initrd_top = (uint64_t)info.initrd_addr_max + 1;
		if (boot->initrd_size > initrd_top) {
			*why = "the initrd does not fit in guest memory";
			return -E2BIG;
		}
		initrd_addr = (initrd_top - boot->initrd_size) & ~((2ULL << 20) - 1);
		if (initrd_addr < info.load_addr + info.init_size) {
			*why = "the initrd does not fit in guest memory beside the kernel";
			return -E2BIG;
		}
		if (guest_mem_write(mem, initrd_addr, boot->initrd, boot->initrd_size)) {
			*why = "the initrd does not fit in guest memory";
			return -E2BIG;
		}
	}
	if (guest_mem_write(mem, LAYOUT_CMDLINE, boot->cmdline, cmdlen + 1)) {
		*why = "no guest memory for the command line";
		return -E2BIG;
	}

	zp = guest_mem_ptr(mem, LAYOUT_ZERO_PAGE, 4096);
	if (!zp || boot_page_tables(mem) || boot_gdt(mem)) {
		*why = "no guest memory for the boot structures";
		return -E2BIG;
	}
	memset(zp, 0, 4096);
	hdr_end = HDR_JUMP + 2 + boot->kernel[HDR_JUMP + 1];
	if (hdr_end > 0x290 || hdr_end > boot->kernel_size)
		hdr_end = 0x290;
	memcpy(zp + HDR_SETUP_SECTS, boot->kernel + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	put_le16(zp + HDR_VID_MODE, 0xffff);
	zp[HDR_TYPE_OF_LOADER] = 0xff;
	zp[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	put_le16(zp + HDR_HEAP_END_PTR, 0xfe00);
	put_le32(zp + HDR_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
	put_le32(zp + BP_EXT_CMD_LINE_PTR, 0);
	put_le32(zp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
	put_le32(zp + HDR_RAMDISK_SIZE, (uint32_t)boot->initrd_size);
	put_le32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_addr >> 32));
	put_le32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)boot->initrd_size >> 32));
	put_le64(zp + BP_ACPI_RSDP_ADDR, boot->rsdp_addr);
	if (boot->e820_count > E820_MAX) {
		*why = "too many e820 entries";
		return -E2BIG;
	}
	zp[BP_E820_ENTRIES] = (uint8_t)boot->e820_count;
	for (unsigned i = 0; i < boot->e820_count; i++) {
		uint8_t *e = zp + BP_E820_TABLE + i * 20;

		put_le64(e, boot->e820[i].addr);
		put_le64(e + 8, boot->e820[i].size);
		put_le32(e + 16, boot->e820[i].type);
	}
	boot_registers(boot, info.load_addr + 0x200, regs, sregs);
	return 0;
}
