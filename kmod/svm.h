/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AMD SVM: the VMCB layout, intercept bits and #VMEXIT codes (AMD64 APM vol. 2,
 * chapter 15 and appendix B), as keel.ko uses them.
 */
#ifndef KEEL_SVM_H
#define KEEL_SVM_H

#include <linux/types.h>
#include <linux/build_bug.h>

#define KEEL_MSR_VM_CR		0xc0010114
#define KEEL_VM_CR_SVMDIS	BIT(4)
#define KEEL_MSR_VM_HSAVE_PA	0xc0010117
#define KEEL_EFER_SVME		BIT_ULL(12)
#define KEEL_DR6_FIXED		0xffff0ff0ULL
#define KEEL_DR7_FIXED		0x400ULL

/* CPUID 0x8000000a: SVM revision and features. */
#define KEEL_CPUID_SVM		0x8000000a
#define KEEL_SVM_F_NPT		BIT(0)
#define KEEL_SVM_F_NRIPS	BIT(3)
#define KEEL_SVM_F_DECODE	BIT(7)

/* Intercept vector 3 (control offset 0x00c). */
#define KEEL_INTERCEPT_INTR	BIT(0)
#define KEEL_INTERCEPT_NMI	BIT(1)
#define KEEL_INTERCEPT_SMI	BIT(2)
#define KEEL_INTERCEPT_INIT	BIT(3)
#define KEEL_INTERCEPT_VINTR	BIT(4)
#define KEEL_INTERCEPT_IRET	BIT(20)
#define KEEL_INTERCEPT_CPUID	BIT(18)
#define KEEL_INTERCEPT_INVD	BIT(22)
#define KEEL_INTERCEPT_HLT	BIT(24)
#define KEEL_INTERCEPT_INVLPGA	BIT(26)
#define KEEL_INTERCEPT_IOIO	BIT(27)
#define KEEL_INTERCEPT_MSR	BIT(28)
#define KEEL_INTERCEPT_TASKSW	BIT(29)
#define KEEL_INTERCEPT_SHUTDOWN	BIT(31)
/* Intercept vector 4 (control offset 0x010). */
#define KEEL_INTERCEPT_VMRUN	BIT(0)
#define KEEL_INTERCEPT_VMMCALL	BIT(1)
#define KEEL_INTERCEPT_VMLOAD	BIT(2)
#define KEEL_INTERCEPT_VMSAVE	BIT(3)
#define KEEL_INTERCEPT_STGI	BIT(4)
#define KEEL_INTERCEPT_CLGI	BIT(5)
#define KEEL_INTERCEPT_SKINIT	BIT(6)
#define KEEL_INTERCEPT_RDTSCP	BIT(7)
#define KEEL_INTERCEPT_MONITOR	BIT(10)
#define KEEL_INTERCEPT_MWAIT	BIT(11)
#define KEEL_INTERCEPT_XSETBV	BIT(13)

/* int_ctl (control offset 0x060). */
#define KEEL_V_TPR_MASK		0xf
#define KEEL_V_IRQ		BIT(8)
#define KEEL_V_INTR_PRIO_SHIFT	16
#define KEEL_V_IGN_TPR		BIT(20)
#define KEEL_V_INTR_MASKING	BIT(24)

/* event_inj and exit_int_info. */
#define KEEL_EVTINJ_VEC_MASK	0xff
#define KEEL_EVTINJ_TYPE_SHIFT	8
#define KEEL_EVTINJ_TYPE_INTR	(0u << 8)
#define KEEL_EVTINJ_TYPE_NMI	(2u << 8)
#define KEEL_EVTINJ_TYPE_EXEPT	(3u << 8)
#define KEEL_EVTINJ_TYPE_SOFT	(4u << 8)
#define KEEL_EVTINJ_VALID_ERR	BIT(11)
#define KEEL_EVTINJ_VALID	BIT(31)

#define KEEL_TLB_CONTROL_NONE	0
#define KEEL_TLB_CONTROL_ASID	3

/* #VMEXIT codes. */
#define KEEL_VMEXIT_READ_CR0	0x000
#define KEEL_VMEXIT_WRITE_CR0	0x010
#define KEEL_VMEXIT_READ_DR0	0x020
#define KEEL_VMEXIT_WRITE_DR0	0x030
#define KEEL_VMEXIT_WRITE_DR7	0x037
#define KEEL_VMEXIT_EXCP_BASE	0x040
#define KEEL_VMEXIT_INTR		0x060
#define KEEL_VMEXIT_NMI		0x061
#define KEEL_VMEXIT_SMI		0x062
#define KEEL_VMEXIT_INIT		0x063
#define KEEL_VMEXIT_VINTR		0x064
#define KEEL_VMEXIT_CPUID		0x072
#define KEEL_VMEXIT_IRET		0x074
#define KEEL_VMEXIT_INVD		0x076
#define KEEL_VMEXIT_HLT		0x078
#define KEEL_VMEXIT_INVLPGA	0x07a
#define KEEL_VMEXIT_IOIO		0x07b
#define KEEL_VMEXIT_MSR		0x07c
#define KEEL_VMEXIT_TASK_SWITCH	0x07d
#define KEEL_VMEXIT_SHUTDOWN	0x07f
#define KEEL_VMEXIT_VMRUN		0x080
#define KEEL_VMEXIT_VMMCALL	0x081
#define KEEL_VMEXIT_VMLOAD	0x082
#define KEEL_VMEXIT_VMSAVE	0x083
#define KEEL_VMEXIT_STGI		0x084
#define KEEL_VMEXIT_CLGI		0x085
#define KEEL_VMEXIT_SKINIT	0x086
#define KEEL_VMEXIT_RDTSCP	0x087
#define KEEL_VMEXIT_MONITOR	0x08a
#define KEEL_VMEXIT_MWAIT		0x08b
#define KEEL_VMEXIT_XSETBV	0x08d
#define KEEL_VMEXIT_NPF		0x400
#define KEEL_VMEXIT_INVALID	((u64)-1)

/* IOIO exit_info_1. */
#define KEEL_IOIO_IN		BIT(0)
#define KEEL_IOIO_STR		BIT(2)
#define KEEL_IOIO_REP		BIT(3)
#define KEEL_IOIO_SIZE_SHIFT	4
#define KEEL_IOIO_SIZE_MASK	(7u << 4)
#define KEEL_IOIO_A16		BIT(7)
#define KEEL_IOIO_A32		BIT(8)
#define KEEL_IOIO_A64		BIT(9)
#define KEEL_IOIO_PORT_SHIFT	16

/* NPF exit_info_1 (a #PF error code). */
#define KEEL_NPF_PRESENT	BIT_ULL(0)
#define KEEL_NPF_WRITE		BIT_ULL(1)
#define KEEL_NPF_RSVD		BIT_ULL(3)

struct keel_vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

struct keel_vmcb_control {
	u32 intercept_cr;		/* 0x000: reads in 15:0, writes in 31:16 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept_misc3;		/* 0x00c */
	u32 intercept_misc4;		/* 0x010 */
	u32 intercept_misc5;		/* 0x014 */
	u8 reserved_1[0x3c - 0x18];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_ctl;			/* 0x05c */
	u8 reserved_2[3];
	u32 int_ctl;			/* 0x060 */
	u32 int_vector;			/* 0x064 */
	u32 int_state;			/* 0x068: bit 0 interrupt shadow */
	u8 reserved_3[4];
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u32 exit_int_info;		/* 0x088 */
	u32 exit_int_info_err;		/* 0x08c */
	u64 nested_ctl;			/* 0x090: bit 0 NP_ENABLE */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u32 event_inj;			/* 0x0a8 */
	u32 event_inj_err;		/* 0x0ac */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 reserved_5;
	u64 next_rip;			/* 0x0c8 */
	u8 insn_len;			/* 0x0d0 */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_6[0x400 - 0x0e0];
} __packed;

struct keel_vmcb_save {
	struct keel_vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x400 */
	struct keel_vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x460 */
	u8 reserved_1[0x4cb - 0x4a0];
	u8 cpl;				/* 0x4cb */
	u8 reserved_2[4];
	u64 efer;			/* 0x4d0 */
	u8 reserved_3[0x548 - 0x4d8];
	u64 cr4;			/* 0x548 */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;			/* 0x578 */
	u8 reserved_4[0x5d8 - 0x580];
	u64 rsp;			/* 0x5d8 */
	u8 reserved_5[0x5f8 - 0x5e0];
	u64 rax;			/* 0x5f8 */
	u64 star;
	u64 lstar;
	u64 cstar;
	u64 sfmask;
	u64 kernel_gs_base;
	u64 sysenter_cs;
	u64 sysenter_esp;
	u64 sysenter_eip;
	u64 cr2;			/* 0x640 */
	u8 reserved_6[0x668 - 0x648];
	u64 g_pat;			/* 0x668 */
	u64 dbgctl;
} __packed;

struct keel_vmcb {
	struct keel_vmcb_control control;
	struct keel_vmcb_save save;
} __packed;

static inline void keel_svm_layout_checks(void)
{
	BUILD_BUG_ON(offsetof(struct keel_vmcb_control, exit_code) != 0x070);
	BUILD_BUG_ON(offsetof(struct keel_vmcb_control, event_inj) != 0x0a8);
	BUILD_BUG_ON(offsetof(struct keel_vmcb_control, nested_cr3) != 0x0b0);
	BUILD_BUG_ON(offsetof(struct keel_vmcb_control, insn_bytes) != 0x0d1);
	BUILD_BUG_ON(sizeof(struct keel_vmcb_control) != 0x400);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.efer) != 0x4d0);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.cr4) != 0x548);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.rip) != 0x578);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.rsp) != 0x5d8);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.rax) != 0x5f8);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.cr2) != 0x640);
	BUILD_BUG_ON(offsetof(struct keel_vmcb, save.g_pat) != 0x668);
}

/* vmrun.S: one world switch; gprs holds RCX..R15 by encoding (RAX, RSP live in the VMCB). */
void keel_svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_save_pa);

#endif /* KEEL_SVM_H */
