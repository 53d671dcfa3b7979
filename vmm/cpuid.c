// SPDX-License-Identifier: GPL-2.0
#include "vmm/cpuid.h"

#include <errno.h>
#include <string.h>

/* The number of APIC ID bits that hold the core number. */
static unsigned cpuid_core_bits(unsigned ncpus)
{
	unsigned bits = 0;

	while ((1u << bits) < ncpus)
		bits++;
	return bits;
}

static void cpuid_topology_leaf(struct cpuid_entry *e, unsigned vcpu_id, unsigned ncpus)
{
	unsigned core_bits = cpuid_core_bits(ncpus);

	e->flags |= CPUID_FLAG_SIGNIFICANT_INDEX;
	e->edx = vcpu_id;
	switch (e->index) {
	case 0: /* SMT level: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = 1u << 8 | e->index;
		break;
	case 1: /* core level */
		e->eax = core_bits;
		e->ebx = ncpus;
		e->ecx = 2u << 8 | e->index;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
}

int cpuid_for_vcpu(const struct cpuid_entry *supported, unsigned n, unsigned vcpu_id,
		   unsigned ncpus, struct cpuid_entry *out)
{
	unsigned core_bits = cpuid_core_bits(ncpus);
	unsigned count = 0;

	if (n > CPUID_MAX_ENTRIES)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++) {
		struct cpuid_entry e = supported[i];

		switch (e.function) {
		case 0x1:
			e.ebx = (e.ebx & 0xffff) | vcpu_id << 24 | (1u << core_bits) << 16;
			e.edx |= 1u << 28; /* HTT: EBX[23:16] is valid */
			e.ecx |= 1u << 31; /* running under a hypervisor */
			break;
		case 0x4: /* Intel deterministic cache parameters */
			e.eax &= 0x3fff;
			e.eax |= ((1u << core_bits) - 1) << 26;
			if (((e.eax >> 5) & 7) == 3) /* L3: shared by the package */
				e.eax |= (ncpus - 1) << 14;
			break;
		case 0xb:
		case 0x1f:
			cpuid_topology_leaf(&e, vcpu_id, ncpus);
			break;
		case 0x80000001:
			if (ncpus > 1)
				e.ecx |= 1u << 1; /* CmpLegacy: cores, not threads */
			break;
		case 0x80000008:
			e.ecx = (e.ecx & ~0xf0ffu) | core_bits << 12 | (ncpus - 1);
			break;
		case 0x8000001e: /* AMD extended APIC ID, compute unit, node */
			e.eax = vcpu_id;
			e.ebx = vcpu_id & 0xff;
			e.ecx = 0;
			break;
		}
		out[count++] = e;
	}
	return (int)count;
}
