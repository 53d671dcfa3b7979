// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: keel.ko's guest page-table walker (kmod/x86/walk.c) and instruction fetch on
 * arbitrary paging registers, linear addresses and page tables. Input: the mode byte (PG,
 * PSE, PAE, LMA, LA57, NXE, WP), the access byte, maxphyaddr, CR3 (8 bytes), the linear
 * address (8 bytes), then guest physical memory, which every address wraps into so that
 * every table pointer lands on fuzzer data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/x86/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct phys {
	const uint8_t *mem;
	size_t size;
	unsigned int reads;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static int fz_read_phys(void *opaque, u64 gpa, void *val, unsigned int size)
{
	struct phys *p = opaque;
	uint8_t *v = val;

	check(size >= 1 && size <= 4096 && (gpa & 4095) + size <= 4096);
	check(++p->reads <= 64);
	if (!p->size || (gpa >> 40) == 0xff)
		return -EFAULT;
	for (unsigned int i = 0; i < size; i++)
		v[i] = p->mem[(gpa + i) % p->size];
	return 0;
}

static uint64_t le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x86_walk_regs r = { 0 };
	struct phys p;
	uint8_t mode, access, buf[16];
	u64 la, gpa = 0;
	int ret;

	if (size < 19)
		return 0;
	mode = data[0];
	access = data[1];
	r.maxphyaddr = data[2] % 64;
	r.cr3 = le64(data + 3);
	la = le64(data + 11);
	r.cr0 = WALK_CR0_PE | (mode & 1 ? WALK_CR0_PG : 0) | (mode & 0x40 ? WALK_CR0_WP : 0);
	r.cr4 = (mode & 2 ? WALK_CR4_PSE : 0) | (mode & 4 ? WALK_CR4_PAE : 0) |
		(mode & 0x10 ? WALK_CR4_LA57 : 0);
	r.efer = (mode & 8 ? WALK_EFER_LME | WALK_EFER_LMA : 0) | (mode & 0x20 ? WALK_EFER_NXE : 0);
	p = (struct phys){ data + 19, size - 19, 0 };

	ret = x86_walk(&r, la, access & 1, access & 2, access & 4, fz_read_phys, &p, &gpa);
	check(ret == 0 || ret == -EFAULT || ret == -EACCES);
	check(p.reads <= 5);
	if (ret == 0) {
		check((gpa & 0xfff) == (la & 0xfff));
		if (r.maxphyaddr >= 32 && r.maxphyaddr <= 52 && (mode & 1))
			check(gpa >> r.maxphyaddr == 0);
	}

	p.reads = 0;
	memset(buf, 0, sizeof(buf));
	ret = x86_fetch_insn(&r, la, buf, access >> 4, fz_read_phys, &p);
	check(ret <= (int)(access >> 4));
	check(ret > 0 || ret == -EFAULT || ret == -EACCES || (ret == 0 && !(access >> 4)));
	return 0;
}
