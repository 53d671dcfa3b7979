// SPDX-License-Identifier: GPL-2.0
#include "vmm/acpi.h"
#include "vmm/boot_linux.h"
#include "vmm/cpuid.h"
#include "vmm/layout.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A minimal bzImage: a setup header (protocol 2.15, 64-bit entry) and a payload. */
static uint8_t *fake_bzimage(size_t size)
{
	uint8_t *k = calloc(1, size);

	k[0x1f1] = 1; /* setup_sects: 2 sectors in all */
	k[0x1fe] = 0x55;
	k[0x1ff] = 0xaa;
	k[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f;
	k[0x207] = 0x02;
	k[0x211] = 0x01;             /* LOADED_HIGH */
	k[0x236] = 0x01;             /* XLF_KERNEL_64 */
	k[0x22c] = 0xff;             /* initrd_addr_max 0x7fffffff */
	k[0x22d] = 0xff;
	k[0x22e] = 0xff;
	k[0x22f] = 0x7f;
	k[0x238] = 0xff;             /* cmdline_size 255 */
	k[0x25a] = 0x00;             /* pref_address 0x1000000 */
	k[0x25b] = 0x01;
	k[0x262] = 0x10;             /* init_size 0x100000 */
	return k;
}

TEST(bzimage_accepts_a_64bit_bzimage)
{
	uint8_t *k = fake_bzimage(0x4000);
	struct bzimage_info info;
	const char *why = NULL;

	CHECK_EQ(bzimage_parse(k, 0x4000, &info, &why), 0);
	CHECK_EQ(info.protocol, 0x020f);
	CHECK_EQ(info.setup_size, 0x400);
	CHECK_EQ(info.load_addr, 0x1000000);
	CHECK_EQ(info.init_size, 0x100000);
	CHECK_EQ(info.cmdline_max, 255);
	free(k);
}

TEST(bzimage_refuses_what_is_not_one)
{
	uint8_t *k = fake_bzimage(0x4000);
	struct bzimage_info info;
	const char *why = NULL;

	CHECK_EQ(bzimage_parse(k, 0x800, &info, &why), -EINVAL);
	k[0x202] = 'X';
	CHECK_EQ(bzimage_parse(k, 0x4000, &info, &why), -EINVAL);
	CHECK(strstr(why, "not a bzImage") != NULL);
	k[0x202] = 'H';
	k[0x236] = 0;
	CHECK_EQ(bzimage_parse(k, 0x4000, &info, &why), -EINVAL);
	CHECK(strstr(why, "64-bit") != NULL);
	k[0x236] = 1;
	k[0x1f1] = 200; /* more setup sectors than the file has */
	CHECK_EQ(bzimage_parse(k, 0x4000, &info, &why), -EINVAL);
	free(k);
}

TEST(linux_boot_places_initrd_and_refuses_what_does_not_fit)
{
	uint64_t size = 64ULL << 20;
	uint8_t *ram = calloc(1, size);
	uint8_t *k = fake_bzimage(0x4000);
	uint8_t initrd[4096] = { 0x1f, 0x8b };
	struct guest_mem mem = { .ranges = { { 0, size, ram } }, .count = 1 };
	struct e820_entry e820[] = { { 0, 0x9fc00, E820_RAM }, { 0x100000, size - 0x100000, 1 } };
	struct linux_boot boot = { k, 0x4000, initrd, sizeof(initrd), "console=ttyS0", e820, 2, 0xe0000,
				   size };
	struct x86_regs regs;
	struct x86_sregs sregs;
	const char *why = NULL;
	uint32_t image;

	CHECK_EQ(linux_boot_load(&mem, &boot, &regs, &sregs, &why), 0);
	CHECK_EQ(regs.rip, 0x1000200);
	CHECK_EQ(regs.rsi, LAYOUT_ZERO_PAGE);
	memcpy(&image, ram + LAYOUT_ZERO_PAGE + 0x218, 4);
	CHECK(image >= 0x1100000 && image + sizeof(initrd) <= size);
	CHECK(!memcmp(ram + image, initrd, 2));
	CHECK_EQ(ram[LAYOUT_ZERO_PAGE + 0x1e8], 2);
	CHECK(!strcmp((char *)ram + LAYOUT_CMDLINE, "console=ttyS0"));

	boot.initrd_size = size; /* an initrd larger than memory */
	boot.initrd = ram;
	CHECK_EQ(linux_boot_load(&mem, &boot, &regs, &sregs, &why), -E2BIG);
	CHECK(strstr(why, "initrd") != NULL);
	boot.initrd_size = 0;
	boot.lowmem_end = 0x1000000; /* no room for the kernel */
	CHECK_EQ(linux_boot_load(&mem, &boot, &regs, &sregs, &why), -E2BIG);
	CHECK(strstr(why, "kernel") != NULL);
	free(k);
	free(ram);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static const uint8_t *find_table(const uint8_t *area, const char *sig)
{
	for (size_t off = 0; off + 36 <= LAYOUT_ACPI_SIZE; off += 16)
		if (!memcmp(area + off, sig, 4))
			return area + off;
	return NULL;
}

TEST(acpi_tables_checksum_and_list_every_cpu)
{
	uint8_t *area = calloc(1, LAYOUT_ACPI_SIZE);
	struct acpi_config cfg = { .ncpus = 4, .ioapic_addr = 0xfec00000, .ioapic_id = 4,
				   .pm_base = 0x600 };
	const uint8_t *madt, *fadt, *dsdt;
	uint64_t rsdp;
	unsigned lapics = 0;
	uint32_t len;

	CHECK_EQ(acpi_build(area, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &cfg, &rsdp), 0);
	CHECK_EQ(rsdp, LAYOUT_ACPI);
	CHECK(!memcmp(area, "RSD PTR ", 8));
	CHECK_EQ(sum(area, 20), 0);
	CHECK_EQ(sum(area, 36), 0);
	madt = find_table(area, "APIC");
	fadt = find_table(area, "FACP");
	dsdt = find_table(area, "DSDT");
	CHECK(madt && fadt && dsdt);
	memcpy(&len, madt + 4, 4);
	CHECK_EQ(sum(madt, len), 0);
	for (uint32_t off = 44; off < len; off += madt[off + 1])
		lapics += madt[off] == 0;
	CHECK_EQ(lapics, 4);
	memcpy(&len, fadt + 4, 4);
	CHECK_EQ(len, 276);
	CHECK_EQ(sum(fadt, len), 0);
	memcpy(&len, dsdt + 4, 4);
	CHECK_EQ(sum(dsdt, len), 0);
	CHECK(!memcmp(dsdt + 36, "\x08_S5_", 5));
	cfg.ncpus = 0;
	CHECK_EQ(acpi_build(area, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &cfg, &rsdp), -EINVAL);
	CHECK_EQ(acpi_build(area, LAYOUT_ACPI, 64, &(struct acpi_config){ .ncpus = 1 }, &rsdp),
		 -E2BIG);
	free(area);
}

TEST(cpuid_topology_for_four_vcpus)
{
	struct cpuid_entry in[] = {
		{ .function = 1, .ebx = 0xff00ffff },
		{ .function = 0xb, .index = 0 },
		{ .function = 0xb, .index = 1 },
		{ .function = 0x80000008, .ecx = 0xffff },
	};
	struct cpuid_entry out[CPUID_MAX_ENTRIES];
	int n = cpuid_for_vcpu(in, 4, 3, 4, out);

	CHECK_EQ(n, 4);
	CHECK_EQ(out[0].ebx >> 24, 3);
	CHECK_EQ((out[0].ebx >> 16) & 0xff, 4);
	CHECK(out[0].ecx & (1u << 31));
	CHECK_EQ(out[1].edx, 3);
	CHECK_EQ(out[2].ebx, 4);
	CHECK_EQ(out[2].eax, 2);
	CHECK_EQ(out[3].ecx & 0xff, 3);
	CHECK_EQ((out[3].ecx >> 12) & 0xf, 2);
}
