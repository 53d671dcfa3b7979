// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest may see and change: the I/O and MSR permission bitmaps (every port and
 * most MSRs exit), the MSRs keel.ko emulates, and CPUID from the table userspace set.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "exits.h"
#include "lapic.h"
#include "pvclock.h"

#define IOPM_ORDER	2	/* 12 KiB used */
#define MSRPM_ORDER	1	/* 8 KiB */

#define EFER_ALLOWED	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)

static struct page *keel_iopm, *keel_msrpm;

/* Guest-owned MSRs that VMLOAD/VMSAVE switch: no exit for them. */
static const u32 keel_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	MSR_SYSCALL_MASK, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/* Two bits per MSR (read, write) in three 2 KiB ranges. */
static void msrpm_clear(u8 *pm, u32 msr)
{
	u32 base, offset;

	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = 0x800;
	else if (msr >= 0xc0010000 && msr <= 0xc0011fff)
		base = 0x1000;
	else
		return;
	offset = (msr & 0x1fff) * 2;
	pm[base + offset / 8] &= ~(3 << (offset % 8));
}

int keel_bitmaps_init(void)
{
	keel_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	keel_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!keel_iopm || !keel_msrpm) {
		keel_bitmaps_exit();
		return -ENOMEM;
	}
	memset(page_address(keel_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(keel_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (int i = 0; i < ARRAY_SIZE(keel_passthrough_msrs); i++)
		msrpm_clear(page_address(keel_msrpm), keel_passthrough_msrs[i]);
	return 0;
}

void keel_bitmaps_exit(void)
{
	if (keel_iopm)
		__free_pages(keel_iopm, IOPM_ORDER);
	if (keel_msrpm)
		__free_pages(keel_msrpm, MSRPM_ORDER);
	keel_iopm = NULL;
	keel_msrpm = NULL;
}

u64 keel_iopm_pa(void)
{
	return page_to_phys(keel_iopm);
}

u64 keel_msrpm_pa(void)
{
	return page_to_phys(keel_msrpm);
}

bool keel_efer_valid(u64 efer)
{
	return !(efer & ~EFER_ALLOWED);
}

u64 keel_cr4_allowed(void)
{
	return X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE |
	       X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR |
	       X86_CR4_OSXMMEXCPT | X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_OSXSAVE |
	       X86_CR4_SMEP | X86_CR4_SMAP |
	       /* CR4 writes do not exit: a guest can set what the CPU has, so may a restore. */
	       (boot_cpu_has(X86_FEATURE_PCID) ? X86_CR4_PCIDE : 0) |
	       (boot_cpu_has(X86_FEATURE_LA57) ? X86_CR4_LA57 : 0);
}

int keel_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *value)
{
	struct keel_vmcb_save *save = &vcpu->vmcb->save;
	int ret = keel_lapic_get_msr(vcpu, index, value);

	if (ret <= 0)
		return ret;
	ret = keel_pvclock_get_msr(vcpu, index, value);
	if (ret <= 0)
		return ret;
	switch (index) {
	case MSR_EFER:
		*value = save->efer & ~KEEL_EFER_SVME;
		return 0;
	case MSR_IA32_APICBASE:
		*value = vcpu->apic_base;
		return 0;
	case MSR_IA32_CR_PAT:
		*value = save->g_pat;
		return 0;
	case MSR_IA32_TSC:
		*value = rdtsc() + vcpu->vmcb->control.tsc_offset;
		return 0;
	case MSR_STAR:
		*value = save->star;
		return 0;
	case MSR_LSTAR:
		*value = save->lstar;
		return 0;
	case MSR_CSTAR:
		*value = save->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*value = save->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*value = save->kernel_gs_base;
		return 0;
	case MSR_FS_BASE:
		*value = save->fs.base;
		return 0;
	case MSR_GS_BASE:
		*value = save->gs.base;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*value = save->sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*value = save->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*value = save->sysenter_eip;
		return 0;
	/* Present but inert: what a guest without those features still probes. */
	case MSR_IA32_MISC_ENABLE:
	case MSR_MTRRcap:
	case MSR_MTRRdefType:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
	case MSR_AMD64_PATCH_LEVEL:
	case MSR_IA32_TSC_ADJUST:
	case MSR_TSC_AUX:
	case MSR_K8_INT_PENDING_MSG:	/* read by Linux on family 0xf CPUs (C1E, erratum 400) */
		*value = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

int keel_set_msr(struct keel_vcpu *vcpu, u32 index, u64 value)
{
	struct keel_vmcb_save *save = &vcpu->vmcb->save;
	int ret = keel_lapic_set_msr(vcpu, index, value);

	if (ret <= 0)
		return ret;
	ret = keel_pvclock_set_msr(vcpu, index, value);
	if (ret <= 0)
		return ret;
	switch (index) {
	case MSR_EFER:
		if (!keel_efer_valid(value))
			return -EINVAL;
		/* LMA follows CR0.PG and LME: the CPU keeps it, the guest cannot set it. */
		save->efer = (value & ~EFER_LMA) | (save->efer & EFER_LMA) | KEEL_EFER_SVME;
		return 0;
	case MSR_IA32_APICBASE:
		return keel_lapic_set_base(vcpu, value);
	case MSR_IA32_CR_PAT:
		save->g_pat = value;
		return 0;
	case MSR_IA32_TSC:
		vcpu->vmcb->control.tsc_offset = value - rdtsc();
		return 0;
	case MSR_STAR:
		save->star = value;
		return 0;
	case MSR_LSTAR:
		save->lstar = value;
		return 0;
	case MSR_CSTAR:
		save->cstar = value;
		return 0;
	case MSR_SYSCALL_MASK:
		save->sfmask = value;
		return 0;
	case MSR_KERNEL_GS_BASE:
		save->kernel_gs_base = value;
		return 0;
	case MSR_FS_BASE:
		save->fs.base = value;
		return 0;
	case MSR_GS_BASE:
		save->gs.base = value;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		save->sysenter_cs = value;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		save->sysenter_esp = value;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		save->sysenter_eip = value;
		return 0;
	case MSR_IA32_MISC_ENABLE:
	case MSR_MTRRdefType:
	case MSR_IA32_MCG_STATUS:
	case MSR_IA32_TSC_ADJUST:
	case MSR_TSC_AUX:
	case MSR_K8_INT_PENDING_MSG:
		return 0;
	default:
		return -EINVAL;
	}
}

#define KEEL_MAX_MSRS_PER_CALL	256

int keel_msrs_ioctl(struct keel_vcpu *vcpu, void __user *argp, bool set)
{
	struct keel_msrs head;
	struct keel_msr_entry *e;
	u32 done = 0;

	if (copy_from_user(&head, argp, sizeof(head)))
		return -EFAULT;
	if (head.nmsrs > KEEL_MAX_MSRS_PER_CALL || head.pad)
		return -EINVAL;
	e = memdup_user(argp + sizeof(head), head.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (; done < head.nmsrs; done++) {
		if (set ? keel_set_msr(vcpu, e[done].index, e[done].data)
			: keel_get_msr(vcpu, e[done].index, &e[done].data))
			break;
	}
	if (!set && copy_to_user(argp + sizeof(head), e, done * sizeof(*e)))
		done = -EFAULT;
	kfree(e);
	return done;
}

int keel_set_cpuid(struct keel_vcpu *vcpu, void __user *argp)
{
	struct keel_cpuid head;
	struct keel_cpuid_entry *e;

	if (copy_from_user(&head, argp, sizeof(head)))
		return -EFAULT;
	if (head.nent > KEEL_MAX_CPUID_ENTRIES || head.padding)
		return -EINVAL;
	e = memdup_user(argp + sizeof(head), head.nent * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	kfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->ncpuid = head.nent;
	return 0;
}

/* Leaves the table does not name read as zeros, as above the maximum leaf. */
static void cpuid_lookup(struct keel_vcpu *vcpu, u32 function, u32 index, u32 out[4])
{
	memset(out, 0, 4 * sizeof(u32));
	for (u32 i = 0; i < vcpu->ncpuid; i++) {
		const struct keel_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function != function)
			continue;
		if ((e->flags & KEEL_CPUID_FLAG_SIGNIFICANT_INDEX) && e->index != index)
			continue;
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		return;
	}
}

/* The XSAVE area for the components the guest enabled: the end of the last one. */
static u32 xsave_size(struct keel_vcpu *vcpu)
{
	u32 size = 512 + 64, sub[4];
	int i;

	for (i = 2; i < 63; i++) {
		if (!(vcpu->xcr0 & BIT_ULL(i)))
			continue;
		cpuid_lookup(vcpu, 0xd, i, sub);
		size = max(size, sub[1] + sub[0]);
	}
	return size;
}

/* The table's leaves, with the bits the CPU computes from the guest's state. */
void keel_cpuid(struct keel_vcpu *vcpu, u32 function, u32 index, u32 out[4])
{
	cpuid_lookup(vcpu, function, index, out);
	switch (function) {
	case 1:
		out[2] &= ~BIT(27);
		if (vcpu->vmcb->save.cr4 & X86_CR4_OSXSAVE)
			out[2] |= BIT(27);
		out[3] &= ~BIT(9);
		if (vcpu->apic_base & KEEL_APIC_BASE_ENABLE)
			out[3] |= BIT(9);
		break;
	case 0xd:
		if (index == 0)
			out[1] = xsave_size(vcpu);
		break;
	}
}

/* The host's leaves, less what keel.ko does not virtualise. */
static void supported_leaf(u32 function, u32 index, struct keel_cpuid_entry *e)
{
	u32 eax, ebx, ecx, edx;

	cpuid_count(function, index, &eax, &ebx, &ecx, &edx);
	e->function = function;
	e->index = index;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
	switch (function) {
	case 1:
		/* No VMX/SVM, MONITOR, x2APIC (not yet), PCID or OSXSAVE set by us. */
		e->ecx &= ~(BIT(3) | BIT(5) | BIT(17) | BIT(21) | BIT(27));
		/* The local APIC's TSC-deadline timer is ours; running under a hypervisor. */
		e->ecx |= BIT(24) | BIT(31);
		break;
	case 7:
		if (index == 0) {
			e->ebx &= ~(BIT(10) | BIT(14));	/* INVPCID, MPX */
			e->ecx &= ~(BIT(3) | BIT(4));	/* PKU, OSPKE */
		}
		break;
	case 0x80000001:
		e->ecx &= ~(BIT(2) | BIT(10) | BIT(13) | BIT(23));	/* SVM, IBS, WDT, PERFCTR */
		break;
	case 0xd:
		/* No MPX or PKRU state (their CPUID bits are off too). */
		if (index == 0)
			e->eax &= ~(XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR |
				    XFEATURE_MASK_PKRU);
		/* No XSAVES/XSAVEC: keel.ko manages no IA32_XSS state (compacted sizes). */
		if (index == 1) {
			e->eax &= ~(BIT(1) | BIT(3));
			e->ebx = 0;
			e->ecx = 0;
			e->edx = 0;
		}
		break;
	case 0x8000000a:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	}
}

int keel_get_supported_cpuid(void __user *argp)
{
	static const u32 indexed[] = { 4, 7, 0xb, 0xd, 0x8000001d };
	struct keel_cpuid head;
	struct keel_cpuid_entry *e;
	u32 n = 0, max, maxext;
	int ret = 0;

	if (copy_from_user(&head, argp, sizeof(head)))
		return -EFAULT;
	if (head.nent > KEEL_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = kcalloc(KEEL_MAX_CPUID_ENTRIES, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	max = min_t(u32, cpuid_eax(0), 0x1f);
	maxext = min_t(u32, cpuid_eax(0x80000000), 0x80000021);
	for (u32 f = 0; f <= maxext && n < KEEL_MAX_CPUID_ENTRIES; f++) {
		bool has_index = false;

		if (f > max && f < 0x80000000) {
			f = 0x7fffffff;
			continue;
		}
		for (int i = 0; i < ARRAY_SIZE(indexed); i++)
			has_index |= indexed[i] == f;
		for (u32 idx = 0; idx < (has_index ? 8 : 1) && n < KEEL_MAX_CPUID_ENTRIES; idx++) {
			supported_leaf(f, idx, &e[n]);
			if (has_index)
				e[n].flags = KEEL_CPUID_FLAG_SIGNIFICANT_INDEX;
			n++;
		}
	}
	for (u32 f = KEEL_CPUID_HV_SIGNATURE; f <= KEEL_CPUID_HV_FEATURES; f++)
		if (n < KEEL_MAX_CPUID_ENTRIES)
			keel_pvclock_cpuid(f, &e[n++]);
	if (n > head.nent) {
		ret = -E2BIG;
	} else {
		head.nent = n;
		if (copy_to_user(argp, &head, sizeof(head)) ||
		    copy_to_user(argp + sizeof(head), e, n * sizeof(*e)))
			ret = -EFAULT;
	}
	kfree(e);
	return ret;
}
