// SPDX-License-Identifier: GPL-2.0
/* keel.ko's guest page-table walker (kmod/x86/walk.c) on page tables in a fake guest memory. */
#include "kmod/x86/walk.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define PMEM_SIZE (2u << 20)

#define P 0x1ULL
#define RW 0x2ULL
#define US 0x4ULL
#define PS 0x80ULL
#define NX (1ULL << 63)

static struct {
	uint8_t mem[PMEM_SIZE];
	unsigned int reads;
	bool bad_access; /* a read that broke read_phys's contract */
} pmem;

static int pmem_read(void *ctx, u64 gpa, void *val, unsigned int size)
{
	pmem.reads++;
	if (!size || size > 4096 || (gpa & 4095) + size > 4096)
		pmem.bad_access = true;
	if (gpa >= PMEM_SIZE || size > PMEM_SIZE - gpa)
		return -EFAULT;
	memcpy(val, pmem.mem + gpa, size);
	return 0;
}

static void pmem_reset(void)
{
	memset(&pmem, 0, sizeof(pmem));
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(pmem.mem + gpa, &v, 4);
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(pmem.mem + gpa, &v, 8);
}

static int walk(const struct x86_walk_regs *r, uint64_t la, u64 *gpa)
{
	return x86_walk(r, la, false, false, false, pmem_read, NULL, gpa);
}

TEST(kmod_x86_walk_no_paging)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE };
	u64 gpa = 0;

	pmem_reset();
	CHECK_EQ(walk(&r, 0x12345678, &gpa), 0);
	CHECK_EQ(gpa, 0x12345678u);
	CHECK_EQ(walk(&r, 0x100000000ULL | 0xfee00000, &gpa), 0);
	CHECK_EQ(gpa, 0xfee00000u);
	CHECK_EQ(pmem.reads, 0u);
}

TEST(kmod_x86_walk_32bit)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE | WALK_CR0_PG, .cr3 = 0x1000 };
	u64 gpa = 0;

	pmem_reset();
	/* la 0x00403123: PDE 1 -> table 0x2000, PTE 3 -> 0x5000 */
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US);
	put32(0x2000 + 3 * 4, 0x5000 | P | RW | US);
	CHECK_EQ(walk(&r, 0x00403123, &gpa), 0);
	CHECK_EQ(gpa, 0x5123u);
	CHECK_EQ(pmem.reads, 2u);
	/* bits 63:32 of la do not exist in 32-bit paging */
	CHECK_EQ(walk(&r, 0xabcd00000000ULL | 0x00403fff, &gpa), 0);
	CHECK_EQ(gpa, 0x5fffu);
	/* not present PTE and PDE */
	CHECK_EQ(walk(&r, 0x00404000, &gpa), -EFAULT);
	CHECK_EQ(walk(&r, 0x00800000, &gpa), -EFAULT);
	/* 4M page: only with CR4.PSE; without it PS is ignored and the PDE is a table */
	put32(0x1000 + 2 * 4, 0x00c00000 | PS | P | RW);
	put32(0x1000 + 3 * 4, 0x00003000 | PS | P | RW);
	put32(0x3000 + 5 * 4, 0x7000 | P);
	CHECK_EQ(walk(&r, 0x00c05abc, &gpa), 0);
	CHECK_EQ(gpa, 0x7abcu);
	r.cr4 = WALK_CR4_PSE;
	CHECK_EQ(walk(&r, 0x00812345, &gpa), 0);
	CHECK_EQ(gpa, 0x00c12345u);
	/* PSE-36: PDE bits 20:13 are physical bits 39:32 */
	put32(0x1000 + 4 * 4, 0x01000000 | (0x3 << 13) | PS | P);
	r.maxphyaddr = 40;
	CHECK_EQ(walk(&r, 0x01000010, &gpa), 0);
	CHECK_EQ(gpa, 0x301000010ULL);
	/* ... above MAXPHYADDR they are reserved, as is bit 21 */
	put32(0x1000 + 4 * 4, 0x01000000 | (0x10 << 13) | PS | P);
	r.maxphyaddr = 36;
	CHECK_EQ(walk(&r, 0x01000010, &gpa), -EFAULT);
	r.maxphyaddr = 37;
	CHECK_EQ(walk(&r, 0x01000010, &gpa), 0);
	CHECK_EQ(gpa, 0x1001000010ULL);
	put32(0x1000 + 4 * 4, 0x01000000 | (1 << 21) | PS | P);
	CHECK_EQ(walk(&r, 0x01000010, &gpa), -EFAULT);
	/* a table outside guest memory */
	put32(0x1000 + 5 * 4, 0x7ffff000 | P);
	CHECK_EQ(walk(&r, 0x01400000, &gpa), -EFAULT);
}

TEST(kmod_x86_walk_permissions)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE | WALK_CR0_PG, .cr3 = 0x1000 };
	u64 gpa = 0;

	pmem_reset();
	put32(0x1000, 0x2000 | P | RW | US);
	put32(0x2000 + 0 * 4, 0x5000 | P);		/* supervisor, read-only */
	put32(0x2000 + 1 * 4, 0x6000 | P | US);		/* user, read-only */
	put32(0x2000 + 2 * 4, 0x7000 | P | RW | US);	/* user, writable */
	CHECK_EQ(x86_walk(&r, 0x0000, false, false, false, pmem_read, NULL, &gpa), 0);
	CHECK_EQ(x86_walk(&r, 0x0000, false, true, false, pmem_read, NULL, &gpa), -EACCES);
	/* supervisor writes to read-only pages: allowed unless CR0.WP */
	CHECK_EQ(x86_walk(&r, 0x0000, true, false, false, pmem_read, NULL, &gpa), 0);
	r.cr0 |= WALK_CR0_WP;
	CHECK_EQ(x86_walk(&r, 0x0000, true, false, false, pmem_read, NULL, &gpa), -EACCES);
	CHECK_EQ(x86_walk(&r, 0x1000, false, true, false, pmem_read, NULL, &gpa), 0);
	CHECK_EQ(x86_walk(&r, 0x1000, true, true, false, pmem_read, NULL, &gpa), -EACCES);
	CHECK_EQ(x86_walk(&r, 0x2000, true, true, false, pmem_read, NULL, &gpa), 0);
	CHECK_EQ(gpa, 0x7000u);
	/* a read-only PDE makes the whole range read-only */
	put32(0x1000, 0x2000 | P | US);
	CHECK_EQ(x86_walk(&r, 0x2000, true, true, false, pmem_read, NULL, &gpa), -EACCES);
	CHECK_EQ(x86_walk(&r, 0x2000, false, true, true, pmem_read, NULL, &gpa), 0);
}

TEST(kmod_x86_walk_pae)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE | WALK_CR0_PG, .cr3 = 0x1020,
				   .cr4 = WALK_CR4_PAE, .maxphyaddr = 36 };
	u64 gpa = 0;

	pmem_reset();
	/* PDPTEs at 0x1020 (32-byte aligned); la 0xc0201234: PDPTE 3, PDE 1, PTE 1 */
	put64(0x1020 + 3 * 8, 0x2000 | P);
	put64(0x2000 + 1 * 8, 0x3000 | P | RW);
	put64(0x3000 + 1 * 8, 0x89abc000ULL | P | RW);
	CHECK_EQ(walk(&r, 0xc0201234, &gpa), 0);
	CHECK_EQ(gpa, 0x89abc234u);
	CHECK_EQ(pmem.reads, 3u);
	/* a 2M page, regardless of CR4.PSE, physical address above 4G */
	put64(0x2000 + 2 * 8, 0x812400000ULL | PS | P);
	CHECK_EQ(walk(&r, 0xc04abcde, &gpa), 0);
	CHECK_EQ(gpa, 0x8124abcdeULL);
	/* reserved bits: 20:13 in a 2M PDE, above MAXPHYADDR, 2:1 in a PDPTE */
	put64(0x2000 + 3 * 8, 0x800000ULL | (1 << 13) | PS | P);
	CHECK_EQ(walk(&r, 0xc0600000, &gpa), -EFAULT);
	put64(0x2000 + 3 * 8, 0x1000000000ULL | PS | P);
	CHECK_EQ(walk(&r, 0xc0600000, &gpa), -EFAULT);
	put64(0x1020 + 2 * 8, 0x2000 | P | RW);
	CHECK_EQ(walk(&r, 0x80201234, &gpa), -EFAULT);
	put64(0x1020 + 2 * 8, 0x2000 | P);
	CHECK_EQ(walk(&r, 0x80201234, &gpa), 0);
	/* not present PDPTE */
	CHECK_EQ(walk(&r, 0x00201234, &gpa), -EFAULT);
	/* NX: reserved without EFER.NXE, a fetch fault with it */
	put64(0x3000 + 1 * 8, 0x89abc000ULL | NX | P | RW);
	CHECK_EQ(walk(&r, 0xc0201234, &gpa), -EFAULT);
	r.efer = WALK_EFER_NXE;
	CHECK_EQ(walk(&r, 0xc0201234, &gpa), 0);
	CHECK_EQ(x86_walk(&r, 0xc0201234, false, false, true, pmem_read, NULL, &gpa), -EACCES);
	/* la bits above 31 are not used */
	CHECK_EQ(walk(&r, 0x1c0201234ULL, &gpa), 0);
	CHECK_EQ(gpa, 0x89abc234u);
}

/* 4-level tables: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void long_tables(void)
{
	pmem_reset();
	put64(0x1000 + 0 * 8, 0x2000 | P | RW | US);
	put64(0x2000 + 0 * 8, 0x3000 | P | RW | US);
	put64(0x3000 + 1 * 8, 0x4000 | P | RW | US);
	put64(0x4000 + 5 * 8, 0xabcde000ULL | P | RW | US);
}

TEST(kmod_x86_walk_long4)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE | WALK_CR0_PG, .cr3 = 0x1000,
				   .cr4 = WALK_CR4_PAE, .efer = WALK_EFER_LME | WALK_EFER_LMA };
	u64 gpa = 0;

	long_tables();
	CHECK_EQ(walk(&r, 0x205678, &gpa), 0);
	CHECK_EQ(gpa, 0xabcde678u);
	CHECK_EQ(pmem.reads, 4u);
	/* CR3's low bits (PCID) do not move the table */
	r.cr3 = 0x1000 | 0x123;
	CHECK_EQ(walk(&r, 0x205678, &gpa), 0);
	/* 2M page with the PAT bit (12) set */
	put64(0x3000 + 2 * 8, 0x40000000ULL | (1 << 12) | PS | P | RW);
	CHECK_EQ(walk(&r, 0x412345, &gpa), 0);
	CHECK_EQ(gpa, 0x40012345u);
	/* 1G page; its reserved bits 29:13 */
	put64(0x2000 + 1 * 8, 0x3c0000000ULL | PS | P);
	CHECK_EQ(walk(&r, 0x7fedcba9, &gpa), 0);
	CHECK_EQ(gpa, 0x3ffedcba9ULL);
	put64(0x2000 + 1 * 8, 0x3c0000000ULL | (1 << 20) | PS | P);
	CHECK_EQ(walk(&r, 0x7fedcba9, &gpa), -EFAULT);
	/* PS in a PML4E is reserved */
	put64(0x1000 + 1 * 8, 0x2000 | PS | P);
	CHECK_EQ(walk(&r, 0x8000000000ULL, &gpa), -EFAULT);
	/* the kernel half: PML4E 256 */
	put64(0x1000 + 256 * 8, 0x2000 | P | RW);
	CHECK_EQ(walk(&r, 0xffff800000205678ULL, &gpa), 0);
	CHECK_EQ(gpa, 0xabcde678u);
	/* non-canonical */
	CHECK_EQ(walk(&r, 0x0000800000205678ULL, &gpa), -EFAULT);
	CHECK_EQ(walk(&r, 0xfff0800000205678ULL, &gpa), -EFAULT);
	/* bits above MAXPHYADDR are reserved; below 52 by default they are not */
	put64(0x4000 + 6 * 8, 0x8000000000000ULL | P);
	CHECK_EQ(walk(&r, 0x206000, &gpa), 0);
	CHECK_EQ(gpa, 0x8000000000000ULL);
	r.maxphyaddr = 48;
	CHECK_EQ(walk(&r, 0x206000, &gpa), -EFAULT);
	/* NX bit: reserved without EFER.NXE; with it, an NX upper level stops fetches */
	put64(0x2000 + 0 * 8, 0x3000 | NX | P | RW | US);
	CHECK_EQ(walk(&r, 0x205678, &gpa), -EFAULT);
	r.efer |= WALK_EFER_NXE;
	CHECK_EQ(x86_walk(&r, 0x205678, true, true, false, pmem_read, NULL, &gpa), 0);
	CHECK_EQ(x86_walk(&r, 0x205678, false, false, true, pmem_read, NULL, &gpa), -EACCES);
	/* not present at each level */
	CHECK_EQ(walk(&r, 0x204000, &gpa), -EFAULT);
	CHECK_EQ(walk(&r, 0x600000, &gpa), -EFAULT);
	CHECK_EQ(walk(&r, 0x80000000, &gpa), -EFAULT);
	CHECK_EQ(walk(&r, 0x10000000000ULL, &gpa), -EFAULT);
	CHECK(!pmem.bad_access);
}

TEST(kmod_x86_walk_long5)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE | WALK_CR0_PG, .cr3 = 0x5000,
				   .cr4 = WALK_CR4_PAE | WALK_CR4_LA57,
				   .efer = WALK_EFER_LME | WALK_EFER_LMA };
	u64 gpa = 0;

	long_tables();
	/* PML5 0x5000: entry 1 (la bit 48) and entry 256 (the kernel half) */
	put64(0x5000 + 1 * 8, 0x1000 | P | RW);
	put64(0x5000 + 256 * 8, 0x1000 | P | RW);
	CHECK_EQ(walk(&r, 0x1000000205678ULL, &gpa), 0);
	CHECK_EQ(gpa, 0xabcde678u);
	CHECK_EQ(pmem.reads, 5u);
	CHECK_EQ(walk(&r, 0xff00000000205678ULL, &gpa), 0);
	CHECK_EQ(walk(&r, 0x205678, &gpa), -EFAULT);
	/* canonical at 57 bits */
	CHECK_EQ(walk(&r, 0x0100000000205678ULL, &gpa), -EFAULT);
	/* PS in a PML5E is reserved */
	put64(0x5000 + 1 * 8, 0x1000 | PS | P | RW);
	CHECK_EQ(walk(&r, 0x1000000205678ULL, &gpa), -EFAULT);
}

TEST(kmod_x86_fetch_insn)
{
	struct x86_walk_regs r = { .cr0 = WALK_CR0_PE | WALK_CR0_PG, .cr3 = 0x1000,
				   .cr4 = WALK_CR4_PAE, .efer = WALK_EFER_LME | WALK_EFER_LMA };
	uint8_t buf[16];

	long_tables();
	/* la 0x205000 -> 0x10000 (in memory), 0x206000 -> 0x30000, 0x207000 unmapped */
	put64(0x4000 + 5 * 8, 0x10000 | P);
	put64(0x4000 + 6 * 8, 0x30000 | P);
	for (int i = 0; i < 16; i++) {
		pmem.mem[0x10ffb + i] = (uint8_t)(0xa0 + i);
		pmem.mem[0x30000 + i] = (uint8_t)(0xb0 + i);
	}
	/* within one page */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(x86_fetch_insn(&r, 0x205ffb, buf, 4, pmem_read, NULL), 4);
	CHECK_EQ(buf[0], 0xa0);
	CHECK_EQ(buf[3], 0xa3);
	/* across the boundary: 5 bytes of one page, 10 of the next */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(x86_fetch_insn(&r, 0x205ffb, buf, 15, pmem_read, NULL), 15);
	CHECK_EQ(buf[4], 0xa4);
	CHECK_EQ(buf[5], 0xb0);
	CHECK_EQ(buf[14], 0xb9);
	/* the next page unmapped: what the first page has */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(x86_fetch_insn(&r, 0x206ff8, buf, 15, pmem_read, NULL), 8);
	CHECK_EQ(buf[7], 0);
	/* the first page unmapped */
	CHECK_EQ(x86_fetch_insn(&r, 0x207000, buf, 15, pmem_read, NULL), -EFAULT);
	/* NX page: the fetch is refused */
	r.efer |= WALK_EFER_NXE;
	put64(0x4000 + 6 * 8, 0x30000 | NX | P);
	CHECK_EQ(x86_fetch_insn(&r, 0x205ffb, buf, 15, pmem_read, NULL), 5);
	CHECK_EQ(x86_fetch_insn(&r, 0x206000, buf, 15, pmem_read, NULL), -EACCES);
	/* no paging: 32-bit linear addresses wrap */
	r = (struct x86_walk_regs){ .cr0 = WALK_CR0_PE };
	pmem.mem[0] = 0x90;
	CHECK_EQ(x86_fetch_insn(&r, 0xffffffff, buf, 2, pmem_read, NULL), -EFAULT);
	CHECK_EQ(x86_fetch_insn(&r, 0x100000000ULL, buf, 2, pmem_read, NULL), 2);
	CHECK_EQ(buf[0], 0x90);
	CHECK(!pmem.bad_access);
}
