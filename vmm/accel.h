/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accelerator interface: one ops table per backend (KVM now, keel.ko later). Both are
 * KVM-shaped: a VM with memory slots and vCPUs that run until an exit, the local APICs in
 * the kernel and the other interrupt controllers in keel-vmm (split irqchip).
 */
#ifndef KEEL_VMM_ACCEL_H
#define KEEL_VMM_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/x86.h"

struct accel;
struct accel_vcpu;

enum vcpu_exit_reason {
	VCPU_EXIT_IO,
	VCPU_EXIT_MMIO,
	VCPU_EXIT_HLT,
	VCPU_EXIT_SHUTDOWN,      /* triple fault */
	VCPU_EXIT_INTR,          /* a kick or signal interrupted the run */
	VCPU_EXIT_IRQ_WINDOW,    /* the guest can take an ExtINT now */
	VCPU_EXIT_IOAPIC_EOI,    /* EOI of a level-triggered IOAPIC vector */
	VCPU_EXIT_SYSTEM_EVENT,  /* the accelerator reports shutdown/reset/crash */
	VCPU_EXIT_INTERNAL_ERROR,
	VCPU_EXIT_FAIL_ENTRY,
	VCPU_EXIT_UNKNOWN,
	VCPU_EXIT_COUNT
};

struct vcpu_exit {
	enum vcpu_exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size;     /* 1, 2 or 4 */
			bool is_write;
			uint32_t count;   /* > 1 for string I/O: data holds count * size bytes */
			uint8_t *data;
		} io;
		struct {
			uint64_t addr;
			uint8_t len;      /* 1..8 */
			bool is_write;
			uint8_t *data;
		} mmio;
		struct {
			uint8_t vector;
		} eoi;
		struct {
			uint64_t code;    /* backend-specific reason, for the message */
		} fail;
	};
};

struct accel_ops {
	const char *name;
	/* -ENODEV (with *why set) where this backend is not available on the host. */
	int (*open)(struct accel **out, const char **why);
	void (*close)(struct accel *acc);
	unsigned (*max_vcpus)(struct accel *acc);
	int (*set_memory)(struct accel *acc, unsigned slot, uint64_t gpa, uint64_t size, void *hva);
	/* The CPUID leaves the accelerator can offer; the VMM adjusts and sets them per vCPU. */
	int (*supported_cpuid)(struct accel *acc, struct cpuid_entry *entries, unsigned *count);

	int (*vcpu_create)(struct accel *acc, unsigned id, struct accel_vcpu **out);
	void (*vcpu_destroy)(struct accel_vcpu *vcpu);
	int (*vcpu_set_cpuid)(struct accel_vcpu *vcpu, const struct cpuid_entry *e, unsigned n);
	int (*vcpu_set_regs)(struct accel_vcpu *vcpu, const struct x86_regs *regs);
	int (*vcpu_set_sregs)(struct accel_vcpu *vcpu, const struct x86_sregs *sregs);
	int (*vcpu_set_msrs)(struct accel_vcpu *vcpu, const struct x86_msr *msrs, unsigned n);
	/* Back to the power-on state (APs wait for INIT/SIPI; the BSP runs). */
	int (*vcpu_reset)(struct accel_vcpu *vcpu);
	/* Runs until an exit. Returns 0 with *exit filled, or a negative errno. */
	int (*vcpu_run)(struct accel_vcpu *vcpu, struct vcpu_exit *exit);
	/* Make vcpu_run return soon with VCPU_EXIT_INTR; from any thread. */
	void (*vcpu_kick)(struct accel_vcpu *vcpu);
	/* ExtINT: can the vCPU take one now, inject one, or ask for an exit when it can. */
	bool (*vcpu_ready_for_extint)(struct accel_vcpu *vcpu);
	int (*vcpu_inject_extint)(struct accel_vcpu *vcpu, uint8_t vector);
	void (*vcpu_request_irq_window)(struct accel_vcpu *vcpu, bool on);

	int (*signal_msi)(struct accel *acc, uint64_t address, uint32_t data);
	int (*set_ioapic_route)(struct accel *acc, unsigned pin, uint64_t address, uint32_t data,
				bool masked);
	/*
	 * Eventfd interrupts: writing fd delivers the MSI (address, data) in the kernel.
	 * *handle is -1 to bind, or a previous binding to change its message. -ENOSYS if the
	 * backend has none (the VMM signals MSIs itself then). NULL: not offered.
	 */
	int (*irqfd_bind)(struct accel *acc, int fd, uint64_t address, uint32_t data, int *handle);
	void (*irqfd_unbind)(struct accel *acc, int fd, int handle);
	/* Doorbells: a guest write to MMIO address addr signals fd without an exit. */
	int (*ioeventfd)(struct accel *acc, uint64_t addr, int fd, bool assign);
	/*
	 * Save and restore, for snapshots and for moving a guest to a new VM. A parked vCPU's
	 * whole state (registers, FPU, MSRs, local APIC, events in flight, INIT/SIPI state) and
	 * the VM's clock (the guest's TSC and paravirtual time), as backend-specific blobs
	 * (malloc-ed). The clock is loaded into a VM before its vCPUs are created. NULL: not
	 * offered.
	 */
	int (*vcpu_save)(struct accel_vcpu *vcpu, void **blob, size_t *size);
	int (*vcpu_load)(struct accel_vcpu *vcpu, const void *blob, size_t size);
	int (*clock_save)(struct accel *acc, void **blob, size_t *size);
	int (*clock_load)(struct accel *acc, const void *blob, size_t size);
	/*
	 * The accelerator maps guest RAM by pinning its pages once (keel.ko): RAM must be
	 * cleared in place, never replaced (no MADV_DONTNEED).
	 */
	bool pins_guest_memory;
};

extern const struct accel_ops accel_kvm_ops;
extern const struct accel_ops accel_keel_ops;

#endif
