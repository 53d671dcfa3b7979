/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_svm_vmrun(vmcb_pa, gprs, host_save_pa): one AMD SVM world switch.
 *
 * Called with interrupts off and GIF clear; IF is set only across VMRUN itself. The host's FS/GS/TR/LDTR and syscall MSRs go
 * to host_save_pa by VMSAVE and the guest's come from its VMCB by VMLOAD; VMRUN and
 * #VMEXIT switch the rest. gprs[] holds the guest's general registers by encoding
 * (RAX and RSP are in the VMCB). Nothing here touches per-CPU data while the guest's GS
 * base is loaded.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

#define GPR(n)	(8 * (n))

.section .text, "ax"

SYM_FUNC_START(keel_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi		/* 16(%rsp): gprs */
	push	%rdi		/*  8(%rsp): guest VMCB */
	push	%rdx		/*  0(%rsp): host save area */

	mov	%rdx, %rax
	vmsave	%rax
	mov	8(%rsp), %rax
	vmload	%rax

	mov	16(%rsp), %rax
	mov	GPR(1)(%rax), %rcx
	mov	GPR(2)(%rax), %rdx
	mov	GPR(3)(%rax), %rbx
	mov	GPR(5)(%rax), %rbp
	mov	GPR(6)(%rax), %rsi
	mov	GPR(7)(%rax), %rdi
	mov	GPR(8)(%rax), %r8
	mov	GPR(9)(%rax), %r9
	mov	GPR(10)(%rax), %r10
	mov	GPR(11)(%rax), %r11
	mov	GPR(12)(%rax), %r12
	mov	GPR(13)(%rax), %r13
	mov	GPR(14)(%rax), %r14
	mov	GPR(15)(%rax), %r15
	mov	8(%rsp), %rax

	/*
	 * VMRUN saves the host's RFLAGS.IF; with it set, a physical interrupt in guest mode
	 * is a #VMEXIT. GIF is still clear, so the host takes nothing before STGI.
	 */
	sti
	vmrun	%rax
	cli

	/* #VMEXIT: RSP and RAX are the host's again, the rest still the guest's. */
	push	%rax
	mov	24(%rsp), %rax
	mov	%rcx, GPR(1)(%rax)
	mov	%rdx, GPR(2)(%rax)
	mov	%rbx, GPR(3)(%rax)
	mov	%rbp, GPR(5)(%rax)
	mov	%rsi, GPR(6)(%rax)
	mov	%rdi, GPR(7)(%rax)
	mov	%r8, GPR(8)(%rax)
	mov	%r9, GPR(9)(%rax)
	mov	%r10, GPR(10)(%rax)
	mov	%r11, GPR(11)(%rax)
	mov	%r12, GPR(12)(%rax)
	mov	%r13, GPR(13)(%rax)
	mov	%r14, GPR(14)(%rax)
	mov	%r15, GPR(15)(%rax)
	pop	%rax

	/* No guest value stays in a register the host might speculate on. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	mov	8(%rsp), %rax
	vmsave	%rax
	mov	0(%rsp), %rax
	vmload	%rax

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(keel_svm_vmrun)
