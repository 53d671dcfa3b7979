// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU: its VMCB, registers, FPU state and run structure, the ioctls on its fd, and the
 * run loop: enter the guest, handle the #VMEXIT in the kernel where it can (CPUID, MSRs,
 * HLT, nested page faults on RAM, host interrupts), return to userspace for the rest
 * (port I/O, MMIO, shutdown) like KVM_RUN does.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>

#include "keel.h"
#include "exits.h"
#include "lapic.h"

/* VMCB segment attributes: the descriptor's type..P in 7:0 and AVL, L, D/B, G in 11:8. */
static u16 seg_attrib(const struct keel_segment *s)
{
	return (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 | (s->present & 1) << 7 |
	       (s->avl & 1) << 8 | (s->l & 1) << 9 | (s->db & 1) << 10 | (s->g & 1) << 11;
}

static void seg_to_vmcb(struct keel_vmcb_seg *v, const struct keel_segment *s)
{
	v->selector = s->selector;
	v->base = s->base;
	v->limit = s->limit;
	v->attrib = s->unusable ? 0 : seg_attrib(s);
}

static void seg_from_vmcb(struct keel_segment *s, const struct keel_vmcb_seg *v)
{
	memset(s, 0, sizeof(*s));
	s->selector = v->selector;
	s->base = v->base;
	s->limit = v->limit;
	s->type = v->attrib & 0xf;
	s->s = (v->attrib >> 4) & 1;
	s->dpl = (v->attrib >> 5) & 3;
	s->present = (v->attrib >> 7) & 1;
	s->avl = (v->attrib >> 8) & 1;
	s->l = (v->attrib >> 9) & 1;
	s->db = (v->attrib >> 10) & 1;
	s->g = (v->attrib >> 11) & 1;
	s->unusable = !s->present;
}

static void real_mode_seg(struct keel_vmcb_seg *v, u16 selector, u64 base, u16 attrib)
{
	v->selector = selector;
	v->base = base;
	v->limit = 0xffff;
	v->attrib = attrib;
}

/* The architectural power-on state: real mode at F000:FFF0. */
void keel_vcpu_reset_state(struct keel_vcpu *vcpu)
{
	struct keel_vmcb_save *save = &vcpu->vmcb->save;

	memset(save, 0, sizeof(*save));
	memset(vcpu->gprs, 0, sizeof(vcpu->gprs));
	real_mode_seg(&save->cs, 0xf000, 0xffff0000, 0x9b);
	real_mode_seg(&save->ds, 0, 0, 0x93);
	real_mode_seg(&save->es, 0, 0, 0x93);
	real_mode_seg(&save->ss, 0, 0, 0x93);
	real_mode_seg(&save->fs, 0, 0, 0x93);
	real_mode_seg(&save->gs, 0, 0, 0x93);
	real_mode_seg(&save->ldtr, 0, 0, 0x82);
	real_mode_seg(&save->tr, 0, 0, 0x8b);
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	save->efer = KEEL_EFER_SVME;
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0xfff0;
	save->dr6 = KEEL_DR6_FIXED;
	save->dr7 = KEEL_DR7_FIXED;
	save->g_pat = 0x0007040600070406ULL;
	vcpu->gprs[2] = 0x600;	/* EDX: a family 6 signature, as after RESET */
	vcpu->xcr0 = XFEATURE_MASK_FP;
	memset(vcpu->dr, 0, sizeof(vcpu->dr));
	keel_lapic_reset(vcpu);

	/* Whatever was about to be injected or completed belongs to the old life. */
	vcpu->vmcb->control.event_inj = 0;
	vcpu->vmcb->control.exit_int_info = 0;
	vcpu->vmcb->control.int_state = 0;
	vcpu->extint_pending = false;
	vcpu->nmi_pending = false;
	vcpu->nmi_masked = false;
	vcpu->eoi_exit_vector = -1;
	vcpu->pending = KEEL_PENDING_NONE;
	vcpu->mmio_cached = false;
}

static void keel_vcpu_init_vmcb(struct keel_vcpu *vcpu)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;

	memset(c, 0, sizeof(*c));
	c->intercept_dr = 0x00ff00ff;	/* every DR read and write */
	c->intercept_misc3 = KEEL_INTERCEPT_INTR | KEEL_INTERCEPT_NMI | KEEL_INTERCEPT_SMI |
			     KEEL_INTERCEPT_CPUID | KEEL_INTERCEPT_INVD | KEEL_INTERCEPT_HLT |
			     KEEL_INTERCEPT_INVLPGA | KEEL_INTERCEPT_IOIO | KEEL_INTERCEPT_MSR |
			     KEEL_INTERCEPT_TASKSW | KEEL_INTERCEPT_SHUTDOWN;
	c->intercept_misc4 = KEEL_INTERCEPT_VMRUN | KEEL_INTERCEPT_VMMCALL |
			     KEEL_INTERCEPT_VMLOAD | KEEL_INTERCEPT_VMSAVE | KEEL_INTERCEPT_STGI |
			     KEEL_INTERCEPT_CLGI | KEEL_INTERCEPT_SKINIT | KEEL_INTERCEPT_MONITOR |
			     KEEL_INTERCEPT_MWAIT | KEEL_INTERCEPT_XSETBV;
	c->iopm_base_pa = keel_iopm_pa();
	c->msrpm_base_pa = keel_msrpm_pa();
	c->asid = vcpu->vm->asid;
	c->tlb_ctl = KEEL_TLB_CONTROL_ASID;
	c->int_ctl = KEEL_V_INTR_MASKING;
	c->tsc_offset = vcpu->vm->tsc_offset;
	c->nested_ctl = 1;
	c->nested_cr3 = vcpu->vm->npt.root_pa;
}

/* ---- Registers ---- */

static void keel_get_regs(struct keel_vcpu *vcpu, struct keel_regs *r)
{
	const u64 *g = vcpu->gprs;

	r->rax = vcpu->vmcb->save.rax;
	r->rcx = g[1];
	r->rdx = g[2];
	r->rbx = g[3];
	r->rsp = vcpu->vmcb->save.rsp;
	r->rbp = g[5];
	r->rsi = g[6];
	r->rdi = g[7];
	r->r8 = g[8];
	r->r9 = g[9];
	r->r10 = g[10];
	r->r11 = g[11];
	r->r12 = g[12];
	r->r13 = g[13];
	r->r14 = g[14];
	r->r15 = g[15];
	r->rip = vcpu->vmcb->save.rip;
	r->rflags = vcpu->vmcb->save.rflags;
}

static void keel_set_regs(struct keel_vcpu *vcpu, const struct keel_regs *r)
{
	u64 *g = vcpu->gprs;

	vcpu->vmcb->save.rax = r->rax;
	g[1] = r->rcx;
	g[2] = r->rdx;
	g[3] = r->rbx;
	vcpu->vmcb->save.rsp = r->rsp;
	g[5] = r->rbp;
	g[6] = r->rsi;
	g[7] = r->rdi;
	g[8] = r->r8;
	g[9] = r->r9;
	g[10] = r->r10;
	g[11] = r->r11;
	g[12] = r->r12;
	g[13] = r->r13;
	g[14] = r->r14;
	g[15] = r->r15;
	vcpu->vmcb->save.rip = r->rip;
	/* Bit 1 always reads as one; VM and the reserved bits cannot be set. */
	vcpu->vmcb->save.rflags = (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED;
	vcpu->pending = KEEL_PENDING_NONE;
}

static void keel_get_sregs(struct keel_vcpu *vcpu, struct keel_sregs *s)
{
	const struct keel_vmcb_save *v = &vcpu->vmcb->save;

	memset(s, 0, sizeof(*s));
	seg_from_vmcb(&s->cs, &v->cs);
	seg_from_vmcb(&s->ds, &v->ds);
	seg_from_vmcb(&s->es, &v->es);
	seg_from_vmcb(&s->fs, &v->fs);
	seg_from_vmcb(&s->gs, &v->gs);
	seg_from_vmcb(&s->ss, &v->ss);
	seg_from_vmcb(&s->tr, &v->tr);
	seg_from_vmcb(&s->ldt, &v->ldtr);
	s->gdt.base = v->gdtr.base;
	s->gdt.limit = v->gdtr.limit;
	s->idt.base = v->idtr.base;
	s->idt.limit = v->idtr.limit;
	s->cr0 = v->cr0;
	s->cr2 = v->cr2;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	s->cr8 = keel_vcpu_get_vtpr(vcpu);
	s->efer = v->efer & ~KEEL_EFER_SVME;
	s->apic_base = vcpu->apic_base;
}

static int keel_set_sregs(struct keel_vcpu *vcpu, const struct keel_sregs *s)
{
	struct keel_vmcb_save *v = &vcpu->vmcb->save;

	if (!keel_efer_valid(s->efer) || (s->cr0 >> 32) || (s->cr4 & ~keel_cr4_allowed()) ||
	    (s->cr3 >> 52) || s->cr8 > 15)
		return -EINVAL;
	if (s->apic_base != vcpu->apic_base && keel_lapic_set_base(vcpu, s->apic_base))
		return -EINVAL;
	seg_to_vmcb(&v->cs, &s->cs);
	seg_to_vmcb(&v->ds, &s->ds);
	seg_to_vmcb(&v->es, &s->es);
	seg_to_vmcb(&v->fs, &s->fs);
	seg_to_vmcb(&v->gs, &s->gs);
	seg_to_vmcb(&v->ss, &s->ss);
	seg_to_vmcb(&v->tr, &s->tr);
	seg_to_vmcb(&v->ldtr, &s->ldt);
	v->cpl = (s->cs.selector & 3) && (s->cr0 & X86_CR0_PE) ? s->cs.dpl & 3 : 0;
	v->gdtr.base = s->gdt.base;
	v->gdtr.limit = s->gdt.limit;
	v->idtr.base = s->idt.base;
	v->idtr.limit = s->idt.limit;
	v->cr0 = s->cr0;
	v->cr2 = s->cr2;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->efer = s->efer | KEEL_EFER_SVME;
	keel_vcpu_set_vtpr(vcpu, s->cr8);
	keel_lapic_sync_tpr(vcpu);
	return 0;
}

/* ---- Events in flight ---- */

static void keel_get_events(struct keel_vcpu *vcpu, struct keel_vcpu_events *ev)
{
	const struct keel_vmcb_control *c = &vcpu->vmcb->control;
	bool interrupted = c->exit_int_info & KEEL_EVTINJ_VALID;

	memset(ev, 0, sizeof(*ev));
	ev->event = interrupted ? c->exit_int_info : c->event_inj;
	ev->event_error = interrupted ? c->exit_int_info_err : c->event_inj_err;
	ev->extint_pending = vcpu->extint_pending;
	ev->extint_vector = vcpu->extint_vector;
	ev->nmi_pending = READ_ONCE(vcpu->nmi_pending);
	ev->nmi_masked = vcpu->nmi_masked;
	ev->interrupt_shadow = c->int_state & 1;
}

static int keel_set_events(struct keel_vcpu *vcpu, const struct keel_vcpu_events *ev)
{
	struct keel_vmcb_control *c = &vcpu->vmcb->control;
	u32 type = ev->event & (7u << KEEL_EVTINJ_TYPE_SHIFT);
	bool valid = ev->event & KEEL_EVENT_VALID;

	if (memchr_inv(ev->pad, 0, sizeof(ev->pad)) || ev->extint_pending > 1 ||
	    ev->nmi_pending > 1 || ev->nmi_masked > 1 || ev->interrupt_shadow > 1)
		return -EINVAL;
	if (valid && ((ev->event & ~(KEEL_EVENT_VALID | KEEL_EVTINJ_VALID_ERR |
				     (7u << KEEL_EVTINJ_TYPE_SHIFT) | 0xff)) ||
		      (type != KEEL_EVTINJ_TYPE_INTR && type != KEEL_EVTINJ_TYPE_NMI &&
		       type != KEEL_EVTINJ_TYPE_EXEPT && type != KEEL_EVTINJ_TYPE_SOFT)))
		return -EINVAL;
	c->event_inj = valid ? ev->event : 0;
	c->event_inj_err = valid ? ev->event_error : 0;
	c->exit_int_info = 0;
	vcpu->extint_pending = ev->extint_pending;
	vcpu->extint_vector = ev->extint_vector;
	WRITE_ONCE(vcpu->nmi_pending, ev->nmi_pending);
	vcpu->nmi_masked = ev->nmi_masked;
	if (ev->nmi_masked)
		c->intercept_misc3 |= KEEL_INTERCEPT_IRET;
	c->int_state = (c->int_state & ~1u) | ev->interrupt_shadow;
	keel_vcpu_kick(vcpu);
	return 0;
}

/* ---- The vCPU file ---- */

static long keel_vcpu_ioctl_locked(struct keel_vcpu *vcpu, unsigned int cmd, void __user *argp,
				   unsigned long arg)
{
	union {
		struct keel_regs regs;
		struct keel_sregs sregs;
		struct keel_interrupt irq;
		struct keel_mp_state mp;
		struct keel_vcpu_events events;
		struct keel_xcrs xcrs;
	} u;
	struct keel_lapic_state *lapic;
	struct keel_xsave *xsave;
	u32 pkru = 0;
	int ret;

	switch (cmd) {
	case KEEL_RUN:
		if (arg)
			return -EINVAL;
		return keel_vcpu_run(vcpu);
	case KEEL_GET_REGS:
		keel_get_regs(vcpu, &u.regs);
		return copy_to_user(argp, &u.regs, sizeof(u.regs)) ? -EFAULT : 0;
	case KEEL_SET_REGS:
		if (copy_from_user(&u.regs, argp, sizeof(u.regs)))
			return -EFAULT;
		keel_set_regs(vcpu, &u.regs);
		return 0;
	case KEEL_GET_SREGS:
		keel_get_sregs(vcpu, &u.sregs);
		return copy_to_user(argp, &u.sregs, sizeof(u.sregs)) ? -EFAULT : 0;
	case KEEL_SET_SREGS:
		if (copy_from_user(&u.sregs, argp, sizeof(u.sregs)))
			return -EFAULT;
		return keel_set_sregs(vcpu, &u.sregs);
	case KEEL_GET_XSAVE:
		xsave = kzalloc(sizeof(*xsave), GFP_KERNEL);
		if (!xsave)
			return -ENOMEM;
		fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, xsave->region, sizeof(xsave->region),
					       vcpu->fpu.fpstate->user_xfeatures, 0);
		ret = copy_to_user(argp, xsave, sizeof(*xsave)) ? -EFAULT : 0;
		kfree(xsave);
		return ret;
	case KEEL_SET_XSAVE:
		xsave = memdup_user(argp, sizeof(*xsave));
		if (IS_ERR(xsave))
			return PTR_ERR(xsave);
		/*
		 * Guests have no protection keys (not in CPUID), but the host's XSAVE format may
		 * carry PKRU: the kernel writes it through this pointer, never NULL.
		 */
		ret = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, xsave->region,
						     vcpu->fpu.fpstate->user_xfeatures, &pkru);
		kfree(xsave);
		return ret;
	case KEEL_GET_XCRS:
		memset(&u.xcrs, 0, sizeof(u.xcrs));
		u.xcrs.xcr0 = vcpu->xcr0;
		return copy_to_user(argp, &u.xcrs, sizeof(u.xcrs)) ? -EFAULT : 0;
	case KEEL_SET_XCRS:
		if (copy_from_user(&u.xcrs, argp, sizeof(u.xcrs)))
			return -EFAULT;
		if (memchr_inv(u.xcrs.reserved, 0, sizeof(u.xcrs.reserved)) ||
		    !keel_xcr0_valid(vcpu, u.xcrs.xcr0))
			return -EINVAL;
		vcpu->xcr0 = u.xcrs.xcr0;
		return 0;
	case KEEL_GET_MSRS:
	case KEEL_SET_MSRS:
		return keel_msrs_ioctl(vcpu, argp, cmd == KEEL_SET_MSRS);
	case KEEL_SET_CPUID:
		return keel_set_cpuid(vcpu, argp);
	case KEEL_GET_LAPIC:
		lapic = kzalloc(sizeof(*lapic), GFP_KERNEL);
		if (!lapic)
			return -ENOMEM;
		ret = keel_lapic_get_state(vcpu, lapic);
		if (!ret && copy_to_user(argp, lapic, sizeof(*lapic)))
			ret = -EFAULT;
		kfree(lapic);
		return ret;
	case KEEL_SET_LAPIC:
		lapic = memdup_user(argp, sizeof(*lapic));
		if (IS_ERR(lapic))
			return PTR_ERR(lapic);
		ret = keel_lapic_set_state(vcpu, lapic);
		kfree(lapic);
		return ret;
	case KEEL_GET_VCPU_EVENTS:
		keel_get_events(vcpu, &u.events);
		return copy_to_user(argp, &u.events, sizeof(u.events)) ? -EFAULT : 0;
	case KEEL_SET_VCPU_EVENTS:
		if (copy_from_user(&u.events, argp, sizeof(u.events)))
			return -EFAULT;
		return keel_set_events(vcpu, &u.events);
	case KEEL_RESET_VCPU:
		if (arg)
			return -EINVAL;
		keel_vcpu_reset_state(vcpu);
		clear_bit(KEEL_REQ_INIT, &vcpu->requests);
		clear_bit(KEEL_REQ_SIPI, &vcpu->requests);
		vcpu->mp_state = vcpu->id ? KEEL_MP_STATE_UNINITIALIZED : KEEL_MP_STATE_RUNNABLE;
		return 0;
	case KEEL_GET_MP_STATE:
		return put_user(vcpu->mp_state, (u32 __user *)argp);
	case KEEL_SET_MP_STATE:
		if (get_user(u.mp.mp_state, (u32 __user *)argp))
			return -EFAULT;
		if (u.mp.mp_state > KEEL_MP_STATE_INIT_RECEIVED)
			return -EINVAL;
		vcpu->mp_state = u.mp.mp_state;
		clear_bit(KEEL_REQ_INIT, &vcpu->requests);
		clear_bit(KEEL_REQ_SIPI, &vcpu->requests);
		return 0;
	case KEEL_INTERRUPT:
		if (copy_from_user(&u.irq, argp, sizeof(u.irq)))
			return -EFAULT;
		if (u.irq.irq > 255)
			return -EINVAL;
		if (vcpu->extint_pending || !keel_lapic_accepts_extint(vcpu))
			return -EBUSY;
		vcpu->extint_pending = true;
		vcpu->extint_vector = u.irq.irq;
		/* Until the next RUN reports again, one ExtINT is all the vCPU can hold. */
		vcpu->run->ready_for_interrupt_injection = 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

static long keel_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct keel_vcpu *vcpu = filp->private_data;
	long ret;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	if (mutex_lock_interruptible(&vcpu->lock))
		return -EINTR;
	ret = keel_vcpu_ioctl_locked(vcpu, cmd, (void __user *)arg, arg);
	mutex_unlock(&vcpu->lock);
	return ret;
}

/* The run structure and the I/O data page: vmalloc_user memory, mapped as a whole. */
static int keel_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct keel_vcpu *vcpu = filp->private_data;

	if (vma->vm_pgoff || vma_pages(vma) > KEEL_RUN_PAGES)
		return -EINVAL;
	return remap_vmalloc_range(vma, vcpu->run, 0);
}

static void keel_vcpu_free(struct keel_vcpu *vcpu)
{
	keel_lapic_free(vcpu);
	if (vcpu->fpu.fpstate)
		fpu_free_guest_fpstate(&vcpu->fpu);
	vfree(vcpu->run);
	if (vcpu->vmcb)
		free_page((unsigned long)vcpu->vmcb);
	kfree(vcpu->cpuid);
	kfree(vcpu);
}

static int keel_vcpu_release(struct inode *inode, struct file *filp)
{
	struct keel_vcpu *vcpu = filp->private_data;
	struct keel_vm *vm = vcpu->vm;
	struct file *vm_file = vcpu->vm_file;

	mutex_lock(&vm->lock);
	RCU_INIT_POINTER(vm->vcpus[vcpu->id], NULL);
	mutex_unlock(&vm->lock);
	synchronize_rcu();	/* no MSI or IPI delivery still looks at it */
	keel_vcpu_free(vcpu);
	fput(vm_file);
	return 0;
}

static const struct file_operations keel_vcpu_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = keel_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = keel_vcpu_mmap,
	.release = keel_vcpu_release,
	.llseek = noop_llseek,
};

int keel_create_vcpu(struct keel_vm *vm, struct file *vm_file, unsigned long id)
{
	struct keel_vcpu *vcpu;
	int fd;

	if (id >= KEEL_MAX_VCPUS)
		return -EINVAL;
	if (current->mm != vm->mm)
		return -EIO;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->last_cpu = -1;
	vcpu->guest_cpu = -1;
	vcpu->mp_state = id ? KEEL_MP_STATE_UNINITIALIZED : KEEL_MP_STATE_RUNNABLE;
	vcpu->eoi_exit_vector = -1;
	mutex_init(&vcpu->lock);
	init_waitqueue_head(&vcpu->wq);
	vcpu->vmcb = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->run = vmalloc_user(KEEL_RUN_PAGES * PAGE_SIZE);
	if (!vcpu->vmcb || !vcpu->run || !fpu_alloc_guest_fpstate(&vcpu->fpu) ||
	    keel_lapic_create(vcpu)) {
		keel_vcpu_free(vcpu);
		return -ENOMEM;
	}
	vcpu->vmcb_pa = __pa(vcpu->vmcb);
	keel_vcpu_init_vmcb(vcpu);
	keel_vcpu_reset_state(vcpu);

	mutex_lock(&vm->lock);
	if (rcu_access_pointer(vm->vcpus[id])) {
		mutex_unlock(&vm->lock);
		keel_vcpu_free(vcpu);
		return -EEXIST;
	}
	rcu_assign_pointer(vm->vcpus[id], vcpu);
	mutex_unlock(&vm->lock);

	vcpu->vm_file = get_file(vm_file);
	fd = anon_inode_getfd("keel-vcpu", &keel_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mutex_lock(&vm->lock);
		RCU_INIT_POINTER(vm->vcpus[id], NULL);
		mutex_unlock(&vm->lock);
		synchronize_rcu();
		fput(vm_file);
		keel_vcpu_free(vcpu);
	}
	return fd;
}
