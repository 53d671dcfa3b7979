/* SPDX-License-Identifier: GPL-2.0 */
/* Between the vCPU file (vcpu.c), the run loop (run.c) and the MSR/CPUID policy (msr.c). */
#ifndef KEEL_EXITS_H
#define KEEL_EXITS_H

#include "keel.h"

/* run.c */
int keel_vcpu_run(struct keel_vcpu *vcpu);
void keel_inject_exception(struct keel_vcpu *vcpu, u8 vector, bool has_error, u32 error);
bool keel_xcr0_valid(struct keel_vcpu *vcpu, u64 value);
/* Fills run->io for one element of size bytes; an IN completes at pending_rip. */
void keel_prepare_io_exit(struct keel_vcpu *vcpu, u64 info, unsigned int size);

/* msr.c: the permission bitmaps, shared by every VMCB */
int keel_bitmaps_init(void);
void keel_bitmaps_exit(void);
u64 keel_iopm_pa(void);
u64 keel_msrpm_pa(void);
bool keel_efer_valid(u64 efer);
u64 keel_cr4_allowed(void);
/* 0, or -EINVAL for an MSR the guest may not access (the caller injects #GP). */
int keel_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *value);
int keel_set_msr(struct keel_vcpu *vcpu, u32 index, u64 value);
int keel_msrs_ioctl(struct keel_vcpu *vcpu, void __user *argp, bool set);
int keel_set_cpuid(struct keel_vcpu *vcpu, void __user *argp);
void keel_cpuid(struct keel_vcpu *vcpu, u32 function, u32 index, u32 out[4]);
int keel_get_supported_cpuid(void __user *argp);

#endif /* KEEL_EXITS_H */
