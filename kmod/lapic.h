/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC of each vCPU, in the kernel: registers (xAPIC MMIO and x2APIC MSRs),
 * interrupt acceptance and priority, EOI, the timer on a host hrtimer, and MSI delivery.
 *
 * IRR and TMR bits are set with atomic bit operations from any context (other vCPUs,
 * irqfds, the timer); everything else is touched by the vCPU's own thread only.
 */
#ifndef KEEL_LAPIC_H
#define KEEL_LAPIC_H

#include <linux/types.h>

struct keel_vcpu;
struct keel_vm;
struct keel_lapic_state;

#define KEEL_APIC_DEFAULT_BASE	0xfee00000ULL
#define KEEL_APIC_BASE_BSP	BIT_ULL(8)
#define KEEL_APIC_BASE_EXTD	BIT_ULL(10)
#define KEEL_APIC_BASE_ENABLE	BIT_ULL(11)

int keel_lapic_create(struct keel_vcpu *vcpu);
void keel_lapic_free(struct keel_vcpu *vcpu);
void keel_lapic_reset(struct keel_vcpu *vcpu);

/* IA32_APIC_BASE: -EINVAL for a transition the architecture forbids (the caller #GPs). */
int keel_lapic_set_base(struct keel_vcpu *vcpu, u64 value);

/* An access to the xAPIC page: true if it was the APIC's (and is then done). */
bool keel_lapic_mmio_read(struct keel_vcpu *vcpu, u64 gpa, void *val, unsigned int len);
bool keel_lapic_mmio_write(struct keel_vcpu *vcpu, u64 gpa, const void *val, unsigned int len);
/* x2APIC MSRs 0x800-0x8ff and IA32_TSC_DEADLINE: 1 if not the APIC's, -EINVAL to #GP. */
int keel_lapic_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *value);
int keel_lapic_set_msr(struct keel_vcpu *vcpu, u32 index, u64 value);

/* The vector to inject now, or -1: the highest requested above the processor priority. */
int keel_lapic_pending_vector(struct keel_vcpu *vcpu);
/* The vector was injected: it moves from IRR to ISR. */
void keel_lapic_ack(struct keel_vcpu *vcpu, int vector);
/* LINT0 takes the PIC's ExtINT (or the APIC is off and the PIC is wired to the CPU). */
bool keel_lapic_accepts_extint(struct keel_vcpu *vcpu);
/* The guest's CR8 (V_TPR) and the TPR register, kept as one. */
void keel_lapic_sync_tpr(struct keel_vcpu *vcpu);

int keel_lapic_get_state(struct keel_vcpu *vcpu, struct keel_lapic_state *state);
int keel_lapic_set_state(struct keel_vcpu *vcpu, const struct keel_lapic_state *state);

/* Delivers an MSI message to the vCPUs it names; returns how many took it. */
int keel_deliver_msi(struct keel_vm *vm, u64 address, u32 data);

#endif /* KEEL_LAPIC_H */
