/* SPDX-License-Identifier: GPL-2.0 */
/* CPUID for one vCPU: what the accelerator supports, with its APIC ID and the topology. */
#ifndef KEEL_VMM_CPUID_H
#define KEEL_VMM_CPUID_H

#include "vmm/x86.h"

/*
 * Copies the supported leaves into out (room for CPUID_MAX_ENTRIES) adjusted for vCPU
 * vcpu_id of ncpus: one package of ncpus cores, one thread each, APIC ID = vcpu_id, and
 * the hypervisor bit. Returns the number of entries, or -E2BIG.
 */
int cpuid_for_vcpu(const struct cpuid_entry *supported, unsigned n, unsigned vcpu_id,
		   unsigned ncpus, struct cpuid_entry *out);

#endif
