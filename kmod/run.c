// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_RUN: the loop around one world switch. Exits are dispatched through one table;
 * a handler returns 1 to enter the guest again, 0 to return to userspace with
 * run->exit_reason filled, or a negative errno.
 */
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/pkru.h>
#include <asm/trapnr.h>

#include "exits.h"
#include "eventfd.h"
#include "lapic.h"
#include "mmio.h"

/* The vCPU that last ran on each CPU: another one (same ASID) must not see its TLB. */
static DEFINE_PER_CPU(struct keel_vcpu *, last_vcpu);

static unsigned int trace_exits;
module_param(trace_exits, uint, 0644);
MODULE_PARM_DESC(trace_exits, "log this many #VMEXITs (code, info, RIP), for debugging");

/* Instruction lengths where the CPU saves no next RIP (no NRIP save here). */
#define LEN_CPUID	2
#define LEN_MSR		2
#define LEN_HLT		1
#define LEN_XSETBV	3
#define LEN_INVD	2

static void skip_insn(struct keel_vcpu *vcpu, unsigned int len)
{
	struct keel_vmcb *vmcb = vcpu->vmcb;

	vmcb->save.rip = vmcb->control.next_rip ? vmcb->control.next_rip : vmcb->save.rip + len;
	vmcb->control.int_state &= ~1u;	/* an emulated instruction ends an STI/MOV SS shadow */
}

void keel_inject_exception(struct keel_vcpu *vcpu, u8 vector, bool has_error, u32 error)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;

	c->event_inj = vector | KEEL_EVTINJ_TYPE_EXEPT | KEEL_EVTINJ_VALID |
		       (has_error ? KEEL_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = error;
}

static int exit_to_user(struct keel_vcpu *vcpu, u32 reason)
{
	vcpu->run->exit_reason = reason;
	return 0;
}

static int internal_error(struct keel_vcpu *vcpu, u32 suberror)
{
	struct keel_run *run = vcpu->run;

	run->internal.suberror = suberror;
	run->internal.ndata = 3;
	run->internal.data[0] = vcpu->vmcb->control.exit_code;
	run->internal.data[1] = vcpu->vmcb->control.exit_info_1;
	run->internal.data[2] = vcpu->vmcb->save.rip;
	return exit_to_user(vcpu, KEEL_EXIT_INTERNAL_ERROR);
}

static int handle_host_interrupt(struct keel_vcpu *vcpu)
{
	return 1;	/* taken by the host once interrupts are on again */
}

static int handle_cpuid(struct keel_vcpu *vcpu)
{
	u32 out[4];

	keel_cpuid(vcpu, vcpu->vmcb->save.rax, vcpu->gprs[1], out);
	/* OSXSAVE reflects the guest's CR4, as on hardware. */
	if ((u32)vcpu->vmcb->save.rax == 1 && (vcpu->vmcb->save.cr4 & X86_CR4_OSXSAVE))
		out[2] |= BIT(27);
	vcpu->vmcb->save.rax = out[0];
	vcpu->gprs[3] = out[1];
	vcpu->gprs[1] = out[2];
	vcpu->gprs[2] = out[3];
	skip_insn(vcpu, LEN_CPUID);
	return 1;
}

static int handle_msr(struct keel_vcpu *vcpu)
{
	u32 index = vcpu->gprs[1];
	u64 value;

	if (vcpu->vmcb->control.exit_info_1) {
		value = (vcpu->gprs[2] << 32) | (u32)vcpu->vmcb->save.rax;
		if (keel_set_msr(vcpu, index, value)) {
			keel_inject_exception(vcpu, X86_TRAP_GP, true, 0);
			return 1;
		}
	} else {
		if (keel_get_msr(vcpu, index, &value)) {
			keel_inject_exception(vcpu, X86_TRAP_GP, true, 0);
			return 1;
		}
		vcpu->vmcb->save.rax = (u32)value;
		vcpu->gprs[2] = value >> 32;
	}
	skip_insn(vcpu, LEN_MSR);
	return 1;
}

static bool interrupt_deliverable(struct keel_vcpu *vcpu)
{
	return (vcpu->vmcb->save.rflags & X86_EFLAGS_IF) && !(vcpu->vmcb->control.int_state & 1);
}

/* Userspace waits for the guest to take the PIC's interrupt, and it can now. */
static bool window_open_for_user(struct keel_vcpu *vcpu)
{
	return vcpu->run->request_interrupt_window && !vcpu->extint_pending &&
	       keel_lapic_accepts_extint(vcpu) && interrupt_deliverable(vcpu) &&
	       !(vcpu->vmcb->control.event_inj & KEEL_EVTINJ_VALID);
}

static bool nmi_injectable(struct keel_vcpu *vcpu)
{
	return READ_ONCE(vcpu->nmi_pending) && !vcpu->nmi_masked &&
	       !(vcpu->vmcb->control.int_state & 1);
}

/* What ends a HLT: an NMI, or an interrupt the guest takes now. */
static bool hlt_ends(struct keel_vcpu *vcpu)
{
	if (nmi_injectable(vcpu))
		return true;
	return interrupt_deliverable(vcpu) &&
	       (vcpu->extint_pending || keel_lapic_pending_vector(vcpu) >= 0);
}

/* HLT sleeps here until an event ends it; a signal returns to userspace. */
static int handle_hlt(struct keel_vcpu *vcpu)
{
	DEFINE_WAIT(wait);

	skip_insn(vcpu, LEN_HLT);
	for (;;) {
		if (hlt_ends(vcpu))
			return 1;
		/* STI; HLT with an ExtINT waiting in userspace: the window is open, go get it. */
		if (window_open_for_user(vcpu))
			return exit_to_user(vcpu, KEEL_EXIT_IRQ_WINDOW_OPEN);
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (!test_and_clear_bit(KEEL_REQ_EVENT, &vcpu->requests) &&
		    !signal_pending(current))
			schedule();
		finish_wait(&vcpu->wq, &wait);
		if (signal_pending(current)) {
			vcpu->run->exit_reason = KEEL_EXIT_INTR;
			return -EINTR;
		}
	}
}

/* The NMI handler returns: NMIs are unblocked (one instruction early: IRET is intercepted). */
static int handle_iret(struct keel_vcpu *vcpu)
{
	vcpu->nmi_masked = false;
	vcpu->vmcb->control.intercept_misc3 &= ~KEEL_INTERCEPT_IRET;
	return 1;
}

/* What XSETBV accepts: x87 always, features the guest's FPU state has, AVX with SSE. */
bool keel_xcr0_valid(struct keel_vcpu *vcpu, u64 value)
{
	return (value & XFEATURE_MASK_FP) && !(value & ~vcpu->fpu.fpstate->user_xfeatures) &&
	       (!(value & XFEATURE_MASK_YMM) || (value & XFEATURE_MASK_SSE));
}

static int handle_xsetbv(struct keel_vcpu *vcpu)
{
	u64 value = (vcpu->gprs[2] << 32) | (u32)vcpu->vmcb->save.rax;

	if (vcpu->gprs[1] || !keel_xcr0_valid(vcpu, value)) {
		keel_inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	vcpu->xcr0 = value;
	skip_insn(vcpu, LEN_XSETBV);
	return 1;
}

static int handle_ud(struct keel_vcpu *vcpu)
{
	keel_inject_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

static int handle_invd(struct keel_vcpu *vcpu)
{
	skip_insn(vcpu, LEN_INVD);
	return 1;
}

static int handle_shutdown(struct keel_vcpu *vcpu)
{
	return exit_to_user(vcpu, KEEL_EXIT_SHUTDOWN);
}

/* The guest may now take an interrupt: inject a queued one, or tell userspace. */
static int handle_vintr(struct keel_vcpu *vcpu)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;

	c->int_ctl &= ~(KEEL_V_IRQ | KEEL_V_IGN_TPR | (0xf << KEEL_V_INTR_PRIO_SHIFT));
	c->intercept_misc3 &= ~KEEL_INTERCEPT_VINTR;
	return window_open_for_user(vcpu) ? exit_to_user(vcpu, KEEL_EXIT_IRQ_WINDOW_OPEN) : 1;
}

void keel_prepare_io_exit(struct keel_vcpu *vcpu, u64 info, unsigned int size)
{
	struct keel_run *run = vcpu->run;

	run->exit_reason = KEEL_EXIT_IO;
	run->io.direction = (info & KEEL_IOIO_IN) ? KEEL_EXIT_IO_IN : KEEL_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = info >> KEEL_IOIO_PORT_SHIFT;
	run->io.count = 1;
	run->io.data_offset = KEEL_IO_DATA_OFFSET;
	vcpu->pending_rip = vcpu->vmcb->control.exit_info_2;
	vcpu->io_size = size;
}

static int handle_ioio(struct keel_vcpu *vcpu)
{
	struct keel_vmcb *vmcb = vcpu->vmcb;
	u64 info = vmcb->control.exit_info_1;
	struct keel_run *run = vcpu->run;
	u8 *data = (u8 *)run + KEEL_IO_DATA_OFFSET;
	unsigned int size = (info & KEEL_IOIO_SIZE_MASK) >> KEEL_IOIO_SIZE_SHIFT;

	size = size == 1 ? 1 : size == 2 ? 2 : 4;
	if (info & KEEL_IOIO_STR)
		return keel_string_io(vcpu, info, size);
	if (!(info & KEEL_IOIO_IN) &&
	    keel_ioeventfd_signal(vcpu->vm, true, info >> KEEL_IOIO_PORT_SHIFT, &vmcb->save.rax,
				  size)) {
		vmcb->save.rip = vmcb->control.exit_info_2;
		return 1;
	}
	keel_prepare_io_exit(vcpu, info, size);
	if (info & KEEL_IOIO_IN) {
		vcpu->pending = KEEL_PENDING_IO_IN;
	} else {
		memcpy(data, &vmcb->save.rax, size);
		vmcb->save.rip = vmcb->control.exit_info_2;
	}
	return 0;
}

static int handle_npf(struct keel_vcpu *vcpu)
{
	u64 gpa = vcpu->vmcb->control.exit_info_2;
	u64 error = vcpu->vmcb->control.exit_info_1;
	bool mmio;
	int ret;

	if (error & KEEL_NPF_RSVD)
		return internal_error(vcpu, KEEL_INTERNAL_ERROR_UNEXPECTED);
	ret = keel_npt_map(vcpu->vm, gpa, error & KEEL_NPF_WRITE, &mmio);
	if (ret)
		return ret;
	if (!mmio)
		return 1;
	return keel_emulate_mmio(vcpu, gpa);
}

static int handle_dr(struct keel_vcpu *vcpu)
{
	return keel_emulate_mov_dr(vcpu) ? internal_error(vcpu, KEEL_INTERNAL_ERROR_EMULATION) : 1;
}

static int handle_unexpected(struct keel_vcpu *vcpu)
{
	return internal_error(vcpu, KEEL_INTERNAL_ERROR_UNEXPECTED);
}

typedef int (*keel_exit_handler)(struct keel_vcpu *vcpu);

static keel_exit_handler keel_exit_handler_for(u64 code)
{
	if (code >= KEEL_VMEXIT_READ_DR0 && code < KEEL_VMEXIT_READ_DR0 + 0x20)
		return handle_dr;
	switch (code) {
	case KEEL_VMEXIT_INTR:
	case KEEL_VMEXIT_NMI:
	case KEEL_VMEXIT_SMI:
		return handle_host_interrupt;
	case KEEL_VMEXIT_VINTR:
		return handle_vintr;
	case KEEL_VMEXIT_CPUID:
		return handle_cpuid;
	case KEEL_VMEXIT_IRET:
		return handle_iret;
	case KEEL_VMEXIT_INVD:
		return handle_invd;
	case KEEL_VMEXIT_HLT:
		return handle_hlt;
	case KEEL_VMEXIT_IOIO:
		return handle_ioio;
	case KEEL_VMEXIT_MSR:
		return handle_msr;
	case KEEL_VMEXIT_SHUTDOWN:
		return handle_shutdown;
	case KEEL_VMEXIT_XSETBV:
		return handle_xsetbv;
	case KEEL_VMEXIT_VMRUN:
	case KEEL_VMEXIT_VMMCALL:
	case KEEL_VMEXIT_VMLOAD:
	case KEEL_VMEXIT_VMSAVE:
	case KEEL_VMEXIT_STGI:
	case KEEL_VMEXIT_CLGI:
	case KEEL_VMEXIT_SKINIT:
	case KEEL_VMEXIT_INVLPGA:
	case KEEL_VMEXIT_MONITOR:
	case KEEL_VMEXIT_MWAIT:
		return handle_ud;
	case KEEL_VMEXIT_NPF:
		return handle_npf;
	default:
		return handle_unexpected;
	}
}

/* Completes what the last exit left to userspace (an IN's data, an MMIO read). */
static int complete_userspace_io(struct keel_vcpu *vcpu)
{
	struct keel_vmcb *vmcb = vcpu->vmcb;
	enum keel_pending pending = vcpu->pending;
	u64 value = 0;

	vcpu->pending = KEEL_PENDING_NONE;
	switch (pending) {
	case KEEL_PENDING_IO_IN:
		memcpy(&value, (u8 *)vcpu->run + KEEL_IO_DATA_OFFSET, vcpu->io_size);
		if (vcpu->io_size == 4)
			vmcb->save.rax = value;	/* a 32-bit result clears bits 63:32 */
		else
			vmcb->save.rax = (vmcb->save.rax & ~((1ull << (8 * vcpu->io_size)) - 1)) |
					 value;
		vmcb->save.rip = vcpu->pending_rip;
		return 1;
	case KEEL_PENDING_MMIO_READ:
		return keel_complete_mmio_read(vcpu);
	case KEEL_PENDING_INS:
		return keel_complete_ins(vcpu);
	default:
		return 1;
	}
}

/*
 * Picks the one event to inject at this entry: an interrupted one first, then NMI, then
 * the PIC's ExtINT, then the local APIC's highest vector.
 */
static void inject_event(struct keel_vcpu *vcpu)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;
	int vector;

	if (c->event_inj & KEEL_EVTINJ_VALID)
		return;
	if (c->exit_int_info & KEEL_EVTINJ_VALID) {
		c->event_inj = c->exit_int_info;
		c->event_inj_err = c->exit_int_info_err;
		c->exit_int_info = 0;
		return;
	}
	if (nmi_injectable(vcpu)) {
		WRITE_ONCE(vcpu->nmi_pending, false);
		vcpu->nmi_masked = true;
		c->intercept_misc3 |= KEEL_INTERCEPT_IRET;
		c->event_inj = NMI_VECTOR | KEEL_EVTINJ_TYPE_NMI | KEEL_EVTINJ_VALID;
		return;
	}
	if (!interrupt_deliverable(vcpu))
		return;
	if (vcpu->extint_pending) {
		c->event_inj = vcpu->extint_vector | KEEL_EVTINJ_TYPE_INTR | KEEL_EVTINJ_VALID;
		vcpu->extint_pending = false;
		return;
	}
	vector = keel_lapic_pending_vector(vcpu);
	if (vector >= 0) {
		keel_lapic_ack(vcpu, vector);
		c->event_inj = vector | KEEL_EVTINJ_TYPE_INTR | KEEL_EVTINJ_VALID;
	}
}

/* Before entry: inject what can go in now, and ask for a window for what must wait. */
static void prepare_events(struct keel_vcpu *vcpu)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;

	clear_bit(KEEL_REQ_EVENT, &vcpu->requests);
	keel_lapic_sync_tpr(vcpu);
	inject_event(vcpu);
	c->int_ctl &= ~(KEEL_V_IRQ | KEEL_V_IGN_TPR | (0xf << KEEL_V_INTR_PRIO_SHIFT));
	c->intercept_misc3 &= ~KEEL_INTERCEPT_VINTR;
	if (vcpu->extint_pending || keel_lapic_pending_vector(vcpu) >= 0 ||
	    (vcpu->run->request_interrupt_window && keel_lapic_accepts_extint(vcpu))) {
		c->int_ctl |= KEEL_V_IRQ | KEEL_V_IGN_TPR | (0xf << KEEL_V_INTR_PRIO_SHIFT);
		c->intercept_misc3 |= KEEL_INTERCEPT_VINTR;
	}
}

/* Real mode at vector:0000, as a startup IPI leaves an AP. */
static void start_at_sipi_vector(struct keel_vcpu *vcpu, u8 vector)
{
	struct keel_vmcb_seg *cs = &vcpu->vmcb->save.cs;

	cs->selector = vector << 8;
	cs->base = (u64)vector << 12;
	vcpu->vmcb->save.rip = 0;
}

/* INIT resets the vCPU; an AP then waits here for its SIPI (a signal returns to userspace). */
static int accept_init_sipi(struct keel_vcpu *vcpu)
{
	const unsigned long wake = BIT(KEEL_REQ_INIT) | BIT(KEEL_REQ_SIPI);
	DEFINE_WAIT(wait);

	for (;;) {
		if (test_and_clear_bit(KEEL_REQ_INIT, &vcpu->requests)) {
			keel_vcpu_reset_state(vcpu);
			vcpu->mp_state = vcpu->id ? KEEL_MP_STATE_INIT_RECEIVED :
						    KEEL_MP_STATE_RUNNABLE;
		}
		if (test_and_clear_bit(KEEL_REQ_SIPI, &vcpu->requests) &&
		    vcpu->mp_state == KEEL_MP_STATE_INIT_RECEIVED) {
			/* test_and_clear_bit is ordered: the vector written before it is seen */
			start_at_sipi_vector(vcpu, READ_ONCE(vcpu->sipi_vector));
			vcpu->mp_state = KEEL_MP_STATE_RUNNABLE;
		}
		if (vcpu->mp_state == KEEL_MP_STATE_RUNNABLE)
			return 1;
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (!(READ_ONCE(vcpu->requests) & wake) && !signal_pending(current))
			schedule();
		finish_wait(&vcpu->wq, &wait);
		if (signal_pending(current)) {
			vcpu->run->exit_reason = KEEL_EXIT_INTR;
			return -EINTR;
		}
	}
}

void keel_vcpu_kick(struct keel_vcpu *vcpu)
{
	int cpu;

	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	/* Pairs with the barrier between guest_cpu and the request check before entry. */
	smp_mb__after_atomic();
	if (wq_has_sleeper(&vcpu->wq))
		wake_up_interruptible(&vcpu->wq);
	cpu = READ_ONCE(vcpu->guest_cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);	/* any interrupt makes the guest exit */
}

static void report_state(struct keel_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;
	bool deliverable = interrupt_deliverable(vcpu);

	run->if_flag = !!(vcpu->vmcb->save.rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = deliverable && !vcpu->extint_pending &&
					     !(vcpu->vmcb->control.event_inj & KEEL_EVTINJ_VALID) &&
					     keel_lapic_accepts_extint(vcpu);
	run->cr8 = keel_vcpu_get_vtpr(vcpu);
	run->apic_base = vcpu->apic_base;
}

/* One world switch, with interrupts off and GIF clear around it. */
static void enter_guest(struct keel_vcpu *vcpu, u64 host_xcr0)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;
	int cpu = smp_processor_id();
	u32 host_pkru = 0;
	u64 guest_xcr0;
	bool pku = boot_cpu_has(X86_FEATURE_OSPKE);

	if (cpu != vcpu->last_cpu || vcpu->npt_generation != vcpu->vm->npt_generation ||
	    this_cpu_read(last_vcpu) != vcpu) {
		c->tlb_ctl = KEEL_TLB_CONTROL_ASID;
		vcpu->last_cpu = cpu;
		this_cpu_write(last_vcpu, vcpu);
		vcpu->npt_generation = vcpu->vm->npt_generation;
	}
	c->clean = 0;	/* the whole VMCB is reloaded: simple, and correct on any CPU */

	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (pku)
		host_pkru = read_pkru();
	if (vcpu->xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);

	/* Guest mode is an RCU quiescent state, like user mode (nohz_full CPUs rely on it). */
	guest_timing_enter_irqoff();
	asm volatile("clgi" ::: "memory");
	guest_state_enter_irqoff();
	keel_svm_vmrun(vcpu->vmcb_pa, vcpu->gprs, keel_host_save_pa(cpu));
	guest_state_exit_irqoff();
	asm volatile("stgi" ::: "memory");
	guest_timing_exit_irqoff();

	/*
	 * QEMU's SVM (the test host) does not intercept XSETBV: the guest's own write is in
	 * XCR0 now. Take it as if intercepted; real SVM leaves vcpu->xcr0 there anyway.
	 */
	guest_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (guest_xcr0 != vcpu->xcr0 && (guest_xcr0 & XFEATURE_MASK_FP) &&
	    !(guest_xcr0 & ~vcpu->fpu.fpstate->user_xfeatures))
		vcpu->xcr0 = guest_xcr0;
	if (guest_xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	if (pku && read_pkru() != host_pkru)
		write_pkru(host_pkru);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	c->tlb_ctl = KEEL_TLB_CONTROL_NONE;
}

/* Enters the guest again and again until an exit needs userspace or a signal comes. */
static int run_guest(struct keel_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;
	u64 host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	keel_exit_handler handler;
	int ret;

	fpu_swap_kvm_fpstate(&vcpu->fpu, true);
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KEEL_EXIT_INTR;
			ret = -EINTR;
			break;
		}
		cond_resched();
		if (vcpu->mp_state != KEEL_MP_STATE_RUNNABLE ||
		    test_bit(KEEL_REQ_INIT, &vcpu->requests)) {
			ret = accept_init_sipi(vcpu);
			if (ret <= 0)
				break;
		}
		prepare_events(vcpu);

		preempt_disable();
		local_irq_disable();
		WRITE_ONCE(vcpu->guest_cpu, smp_processor_id());
		smp_mb();	/* a kick either sees guest_cpu or we see its request */
		if (READ_ONCE(vcpu->requests) & (BIT(KEEL_REQ_EVENT) | BIT(KEEL_REQ_INIT))) {
			WRITE_ONCE(vcpu->guest_cpu, -1);
			local_irq_enable();
			preempt_enable();
			continue;
		}
		enter_guest(vcpu, host_xcr0);
		WRITE_ONCE(vcpu->guest_cpu, -1);
		local_irq_enable();
		preempt_enable();

		if (vcpu->vmcb->control.exit_code == KEEL_VMEXIT_INVALID) {
			run->fail_entry.hardware_entry_failure_reason = KEEL_VMEXIT_INVALID;
			run->exit_reason = KEEL_EXIT_FAIL_ENTRY;
			ret = 0;
			break;
		}
		vcpu->vmcb->control.event_inj = 0;
		if (trace_exits) {
			trace_exits--;
			pr_info("keel: exit %#llx info1 %#llx info2 %#llx rip %#llx\n",
				vcpu->vmcb->control.exit_code, vcpu->vmcb->control.exit_info_1,
				vcpu->vmcb->control.exit_info_2, vcpu->vmcb->save.rip);
		}
		handler = keel_exit_handler_for(vcpu->vmcb->control.exit_code);
		ret = handler(vcpu);
		if (ret > 0 && vcpu->eoi_exit_vector >= 0) {
			run->exit_reason = KEEL_EXIT_IOAPIC_EOI;
			run->eoi.vector = vcpu->eoi_exit_vector;
			vcpu->eoi_exit_vector = -1;
			ret = 0;
		}
		if (ret <= 0)
			break;
	}
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
	return ret;
}

int keel_vcpu_run(struct keel_vcpu *vcpu)
{
	int ret;

	/* Like KVM: finish the last exit's I/O first, so an immediate exit loses nothing. */
	ret = complete_userspace_io(vcpu);
	if (ret > 0 && vcpu->run->immediate_exit) {
		vcpu->run->exit_reason = KEEL_EXIT_INTR;
		ret = -EINTR;
	}
	if (ret > 0)
		ret = run_guest(vcpu);
	/* On every path: userspace decides on injecting an ExtINT from these flags. */
	report_state(vcpu);
	return ret;
}
