/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker: guest linear to guest physical addresses for no
 * paging, 32-bit paging (4M pages with CR4.PSE), PAE paging and 4- and
 * 5-level paging, and the instruction fetch built on it. Reads the tables
 * through a callback and never sets accessed or dirty bits.
 */
#ifndef KEEL_X86_WALK_H
#define KEEL_X86_WALK_H

#include "types.h"

#define WALK_CR0_PE	0x00000001ULL
#define WALK_CR0_WP	0x00010000ULL
#define WALK_CR0_PG	0x80000000ULL
#define WALK_CR4_PSE	0x00000010ULL
#define WALK_CR4_PAE	0x00000020ULL
#define WALK_CR4_LA57	0x00001000ULL
#define WALK_EFER_LME	0x00000100ULL
#define WALK_EFER_LMA	0x00000400ULL
#define WALK_EFER_NXE	0x00000800ULL

/*
 * The guest's paging registers. maxphyaddr is the guest's physical address
 * width (CPUID 8000_0008h EAX[7:0]); 0 means 52. Table bits from it up to
 * bit 51 are reserved.
 */
struct x86_walk_regs {
	u64 cr0, cr3, cr4, efer;
	unsigned int maxphyaddr;
};

/*
 * Reads size bytes of guest physical memory at gpa: 4 or 8 for a table
 * entry (naturally aligned), 1..4096 for x86_fetch_insn (never across a 4K
 * page). Returns 0 or a negative errno (-EFAULT: no memory there).
 */
typedef int (*x86_read_phys_fn)(void *ctx, u64 gpa, void *val,
				unsigned int size);

/*
 * Translates the linear address la for an access of the given kind
 * (write, user-mode, instruction fetch) into *gpa. Returns 0, -EFAULT when
 * the walk faults (an entry not present, a reserved bit set, a
 * non-canonical address), -EACCES on a permission violation (R/W, U/S, NX;
 * supervisor writes honour CR0.WP; SMEP/SMAP/PKE are not checked), or the
 * error of read_phys.
 */
int x86_walk(const struct x86_walk_regs *r, u64 la, bool write, bool user,
	     bool fetch, x86_read_phys_fn read_phys, void *ctx, u64 *gpa);

/*
 * Fetches up to max instruction bytes from the linear address la (as a
 * supervisor fetch), crossing pages as needed. Returns how many bytes it
 * got: fewer than max when a later page does not translate or read, or the
 * negative errno of the first page's failure when it got none.
 */
int x86_fetch_insn(const struct x86_walk_regs *r, u64 la, u8 *buf,
		   unsigned int max, x86_read_phys_fn read_phys, void *ctx);

#endif /* KEEL_X86_WALK_H */
