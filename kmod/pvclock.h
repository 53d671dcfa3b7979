/* SPDX-License-Identifier: GPL-2.0 */
/* Guest time: one TSC per VM from 0, and the KVM paravirtual clock for Linux guests. */
#ifndef KEEL_PVCLOCK_H
#define KEEL_PVCLOCK_H

#include <linux/types.h>

struct keel_vm;
struct keel_vcpu;
struct keel_cpuid_entry;

#define KEEL_CPUID_HV_SIGNATURE	0x40000000
#define KEEL_CPUID_HV_FEATURES	0x40000001

void keel_pvclock_vm_init(struct keel_vm *vm);
void keel_pvclock_get_clock(struct keel_vm *vm, struct keel_clock *clock);
int keel_pvclock_set_clock(struct keel_vm *vm, const struct keel_clock *clock);
/* MSRs 0x4b564d00/01: 1 if not one of them, -EINVAL to #GP. */
int keel_pvclock_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *value);
int keel_pvclock_set_msr(struct keel_vcpu *vcpu, u32 index, u64 value);
/* The hypervisor leaves 0x40000000 (signature) and 0x40000001 (features). */
void keel_pvclock_cpuid(u32 function, struct keel_cpuid_entry *e);

#endif /* KEEL_PVCLOCK_H */
