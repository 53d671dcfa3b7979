// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker, written from the Intel SDM volume 3 chapter 4
 * and the AMD APM volume 2 chapter 5. Read-only: accessed and dirty bits are
 * left alone, and the PAE PDPTEs are read from memory at CR3 rather than
 * from the registers a CPU loads them into.
 */
#include "walk.h"

#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_US		0x004ULL
#define PTE_PS		0x080ULL
#define PTE_NX		0x8000000000000000ULL
#define PAGE_4K		4096ULL

struct walker {
	const struct x86_walk_regs *r;
	x86_read_phys_fn read_phys;
	void *ctx;
	u64 phys_mask;	/* bits below maxphyaddr */
	bool rw, us, nx;
};

/* Bits lo..hi inclusive. */
static u64 bits(unsigned int lo, unsigned int hi)
{
	u64 upto = hi >= 63 ? ~0ULL : (1ULL << (hi + 1)) - 1;

	return upto & ~((1ULL << lo) - 1);
}

static int read_entry(struct walker *w, u64 gpa, unsigned int size, u64 *pte)
{
	u8 buf[8];
	unsigned int i;
	int ret;

	ret = w->read_phys(w->ctx, gpa, buf, size);
	if (ret)
		return ret;
	*pte = 0;
	for (i = 0; i < size; i++)
		*pte |= (u64)buf[i] << (8 * i);
	return 0;
}

static void accumulate(struct walker *w, u64 pte)
{
	w->rw = w->rw && (pte & PTE_RW);
	w->us = w->us && (pte & PTE_US);
	if ((w->r->efer & WALK_EFER_NXE) && (pte & PTE_NX))
		w->nx = true;
}

/* 4-level or 5-level paging (EFER.LMA). */
static int walk_long(struct walker *w, u64 la, u64 *pa)
{
	unsigned int levels = w->r->cr4 & WALK_CR4_LA57 ? 5 : 4;
	unsigned int width = levels == 5 ? 57 : 48;
	u64 addr_mask = w->phys_mask & ~(PAGE_4K - 1);
	u64 rsvd_base = bits(0, 51) & ~w->phys_mask;
	u64 table = w->r->cr3 & addr_mask;
	unsigned int level, shift;
	u64 pte, rsvd, sign, size;
	int ret;

	sign = 1ULL << (width - 1);
	if ((((la & bits(0, width - 1)) ^ sign) - sign) != la)
		return -EFAULT;
	if (!(w->r->efer & WALK_EFER_NXE))
		rsvd_base |= PTE_NX;
	for (level = levels; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		ret = read_entry(w, table + ((la >> shift) & 511) * 8, 8, &pte);
		if (ret)
			return ret;
		if (!(pte & PTE_P))
			return -EFAULT;
		rsvd = rsvd_base;
		if (level >= 4)
			rsvd |= PTE_PS;
		else if (level >= 2 && (pte & PTE_PS))
			rsvd |= bits(13, shift - 1);	/* bit 12 is PAT */
		if (pte & rsvd)
			return -EFAULT;
		accumulate(w, pte);
		if (level == 1 || (pte & PTE_PS)) {
			size = 1ULL << shift;
			*pa = (pte & addr_mask & ~(size - 1)) | (la & (size - 1));
			return 0;
		}
		table = pte & addr_mask;
	}
	return -EFAULT;
}

/* PAE paging: four PDPTEs at CR3, then 2M pages or 4K tables. */
static int walk_pae(struct walker *w, u64 la, u64 *pa)
{
	u64 addr_mask = w->phys_mask & ~(PAGE_4K - 1);
	u64 rsvd = bits(0, 63) & ~w->phys_mask;
	u64 pte;
	int ret;

	la &= 0xffffffffULL;
	ret = read_entry(w, (w->r->cr3 & 0xffffffe0ULL) + (la >> 30) * 8, 8,
			 &pte);
	if (ret)
		return ret;
	if (!(pte & PTE_P))
		return -EFAULT;
	if (pte & (rsvd | bits(1, 2) | bits(5, 8)))
		return -EFAULT;

	if (!(w->r->efer & WALK_EFER_NXE))
		rsvd |= PTE_NX;
	else
		rsvd &= ~PTE_NX;
	ret = read_entry(w, (pte & addr_mask) + ((la >> 21) & 511) * 8, 8,
			 &pte);
	if (ret)
		return ret;
	if (!(pte & PTE_P))
		return -EFAULT;
	if (pte & (rsvd | (pte & PTE_PS ? bits(13, 20) : 0)))
		return -EFAULT;
	accumulate(w, pte);
	if (pte & PTE_PS) {
		*pa = (pte & addr_mask & ~bits(0, 20)) | (la & bits(0, 20));
		return 0;
	}

	ret = read_entry(w, (pte & addr_mask) + ((la >> 12) & 511) * 8, 8,
			 &pte);
	if (ret)
		return ret;
	if (!(pte & PTE_P))
		return -EFAULT;
	if (pte & rsvd)
		return -EFAULT;
	accumulate(w, pte);
	*pa = (pte & addr_mask) | (la & 0xfff);
	return 0;
}

/* 32-bit paging: 4-byte entries, 4M pages (PSE-36) when CR4.PSE is set. */
static int walk_32(struct walker *w, u64 la, u64 *pa)
{
	unsigned int maxphy = w->r->maxphyaddr;
	u64 pte, high;
	int ret;

	la &= 0xffffffffULL;
	if (!maxphy || maxphy > 40)
		maxphy = 40;
	ret = read_entry(w, (w->r->cr3 & 0xfffff000ULL) + (la >> 22) * 4, 4,
			 &pte);
	if (ret)
		return ret;
	if (!(pte & PTE_P))
		return -EFAULT;
	if ((pte & PTE_PS) && (w->r->cr4 & WALK_CR4_PSE)) {
		/* bits 20:13 are physical address bits 39:32 */
		if (pte & bits(maxphy > 32 ? 13 + maxphy - 32 : 13, 21))
			return -EFAULT;
		accumulate(w, pte);
		high = (pte >> 13) & 0xff;
		*pa = (high << 32) | (pte & 0xffc00000ULL) | (la & 0x3fffff);
		return 0;
	}
	accumulate(w, pte);
	ret = read_entry(w, (pte & 0xfffff000ULL) + ((la >> 12) & 1023) * 4,
			 4, &pte);
	if (ret)
		return ret;
	if (!(pte & PTE_P))
		return -EFAULT;
	accumulate(w, pte);
	*pa = (pte & 0xfffff000ULL) | (la & 0xfff);
	return 0;
}

int x86_walk(const struct x86_walk_regs *r, u64 la, bool write, bool user,
	     bool fetch, x86_read_phys_fn read_phys, void *ctx, u64 *gpa)
{
	unsigned int maxphy = r->maxphyaddr;
	struct walker w = { r, read_phys, ctx, 0, true, true, false };
	u64 pa;
	int ret;

	if (!(r->cr0 & WALK_CR0_PG)) {
		*gpa = la & 0xffffffffULL;
		return 0;
	}
	if (!maxphy || maxphy > 52)
		maxphy = 52;
	w.phys_mask = (1ULL << maxphy) - 1;
	if (r->efer & WALK_EFER_LMA)
		ret = walk_long(&w, la, &pa);
	else if (r->cr4 & WALK_CR4_PAE)
		ret = walk_pae(&w, la, &pa);
	else
		ret = walk_32(&w, la, &pa);
	if (ret)
		return ret;
	if (user && !w.us)
		return -EACCES;
	if (write && !w.rw && (user || (r->cr0 & WALK_CR0_WP)))
		return -EACCES;
	if (fetch && w.nx)
		return -EACCES;
	*gpa = pa;
	return 0;
}

int x86_fetch_insn(const struct x86_walk_regs *r, u64 la, u8 *buf,
		   unsigned int max, x86_read_phys_fn read_phys, void *ctx)
{
	unsigned int n = 0, chunk;
	u64 gpa;
	int ret;

	while (n < max) {
		if (!(r->efer & WALK_EFER_LMA))
			la &= 0xffffffffULL;
		chunk = PAGE_4K - (la & (PAGE_4K - 1));
		if (chunk > max - n)
			chunk = max - n;
		ret = x86_walk(r, la, false, false, true, read_phys, ctx, &gpa);
		if (!ret)
			ret = read_phys(ctx, gpa, buf + n, chunk);
		if (ret)
			return n ? (int)n : ret;
		n += chunk;
		la += chunk;
	}
	return n;
}
