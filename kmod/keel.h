/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel.ko internals: VMs, vCPUs, memory slots and nested page tables.
 *
 * Locking: vm->lock serialises slot changes, vCPU creation and nested page table
 * changes; vcpu->lock serialises the ioctls of one vCPU (RUN included). A vCPU holds a
 * reference on its VM's file, so a VM outlives its vCPUs.
 */
#ifndef KEEL_KEEL_H
#define KEEL_KEEL_H

#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "svm.h"
#include "uapi/keel.h"

#define KEEL_MAX_SLOTS		32
#define KEEL_MAX_VCPUS		32
#define KEEL_RUN_PAGES		2	/* struct keel_run, then the I/O data page */
#define KEEL_IO_DATA_OFFSET	PAGE_SIZE

struct keel_slot {
	bool used;
	u32 flags;
	u64 gpa, size, hva;
	unsigned long *dirty;	/* while logging: a bit per page written */
};

/* Nested page tables: the host's format and depth, 4 KiB leaves over pinned user pages. */
struct keel_npt {
	u64 *root;
	u64 root_pa;
	unsigned long pinned;	/* leaf pages pinned, for the count in messages */
};

struct keel_lapic;

struct keel_vm {
	struct mutex lock;	/* slots, vCPU table, nested page tables */
	struct mm_struct *mm;	/* the creator's: slots are its addresses */
	struct keel_slot slots[KEEL_MAX_SLOTS];
	struct keel_npt npt;
	u32 asid;
	unsigned int npt_generation;
	u64 tsc_offset;		/* guest TSC = host TSC + this, 0 at creation */
	u64 clock_base_ns;	/* host boot time at creation: the guest's time 0 */
	u64 wall_clock_msr;	/* bumped when mappings go away: flush TLBs */
	/* irqfds and ioeventfds (eventfd.c); the ioevents list is read under RCU. */
	struct mutex eventfd_lock;
	struct list_head irqfds, ioevents;
	/* Written under lock; read under RCU by MSI and IPI delivery. */
	struct keel_vcpu __rcu *vcpus[KEEL_MAX_VCPUS];
};

/* vcpu->requests: bits other contexts set for the vCPU's thread. */
#define KEEL_REQ_EVENT		0	/* look at interrupts again before entering */
#define KEEL_REQ_INIT		1	/* an INIT IPI arrived */
#define KEEL_REQ_SIPI		2	/* a startup IPI arrived, with sipi_vector */

enum keel_pending {
	KEEL_PENDING_NONE,
	KEEL_PENDING_IO_IN,	/* userspace fills run->io data; then RAX, RIP */
	KEEL_PENDING_MMIO_READ,	/* userspace fills run->mmio.data; then re-emulate */
	KEEL_PENDING_INS,	/* userspace fills run->io data; then ES:rDI, rDI, rCX, RIP */
};

struct keel_vcpu {
	struct keel_vm *vm;
	struct file *vm_file;
	u32 id;
	struct mutex lock;	/* one ioctl of this vCPU at a time */

	struct keel_vmcb *vmcb;
	u64 vmcb_pa;
	u64 gprs[16];		/* by encoding; RAX and RSP live in the VMCB */
	struct keel_run *run;	/* KEEL_RUN_PAGES pages, mmap-ed by userspace */
	struct fpu_guest fpu;

	u64 efer;		/* the guest's view (the VMCB's has SVME set) */
	u64 xcr0;
	u64 apic_base;
	u64 dr[4];		/* DR0-3, DR6 and DR7 as the guest wrote them */
	u64 dr6, dr7;
	int last_cpu;
	unsigned int npt_generation;

	bool extint_pending;
	u8 extint_vector;
	bool nmi_pending;	/* set from any context */
	bool nmi_masked;	/* an NMI handler runs until its IRET */
	int eoi_exit_vector;	/* a level vector's EOI for userspace, or -1 */

	struct keel_lapic *lapic;
	unsigned long requests;
	u32 mp_state;		/* KEEL_MP_STATE_* */
	u8 sipi_vector;
	wait_queue_head_t wq;	/* HLT sleeps here */
	int guest_cpu;		/* the CPU while in guest mode, else -1: kicks IPI it */
	u64 pvclock_msr;	/* MSR_KVM_SYSTEM_TIME_NEW as the guest wrote it */
	u32 pvclock_version;

	enum keel_pending pending;
	u64 pending_rip;	/* RIP after the instruction whose I/O is pending */
	u8 io_size;
	u8 io_addr_bytes;	/* INS: the address size of rDI and rCX */
	bool io_rep;
	/* A read satisfied by userspace, for the re-run of the MMIO instruction. */
	bool mmio_cached;
	u64 mmio_fault_gpa;	/* the nested page fault being emulated */
	u64 mmio_gpa;
	u32 mmio_len;
	u8 mmio_data[8];

	struct keel_cpuid_entry *cpuid;
	u32 ncpuid;
};

/* svm_cpu.c: SVM on every CPU while any VM exists. */
int keel_svm_get(void);
void keel_svm_put(void);
u64 keel_host_save_pa(int cpu);
int keel_svm_init(void);
void keel_svm_exit(void);

/* vm.c */
int keel_create_vm(void);
const struct keel_slot *keel_find_slot(struct keel_vm *vm, u64 gpa);
int keel_npt_map(struct keel_vm *vm, u64 gpa, bool write, bool *mmio);
int keel_read_guest(struct keel_vm *vm, u64 gpa, void *buf, unsigned int len);
int keel_write_guest(struct keel_vm *vm, u64 gpa, const void *buf, unsigned int len);

/* vcpu.c */
int keel_create_vcpu(struct keel_vm *vm, struct file *vm_file, unsigned long id);
/* RESET and INIT: the power-on state of registers and local APIC, no pending event. */
void keel_vcpu_reset_state(struct keel_vcpu *vcpu);

/* run.c: from any context, the vCPU must look at its events (wake from HLT, leave guest). */
void keel_vcpu_kick(struct keel_vcpu *vcpu);

/* The guest's CR8 lives in the VMCB's V_TPR. */
static inline u32 keel_vcpu_get_vtpr(struct keel_vcpu *vcpu)
{
	return vcpu->vmcb->control.int_ctl & KEEL_V_TPR_MASK;
}

static inline void keel_vcpu_set_vtpr(struct keel_vcpu *vcpu, u32 tpr)
{
	vcpu->vmcb->control.int_ctl = (vcpu->vmcb->control.int_ctl & ~KEEL_V_TPR_MASK) |
				      (tpr & KEEL_V_TPR_MASK);
}

#endif /* KEEL_KEEL_H */
