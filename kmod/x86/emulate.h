/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder and emulator for the x86 instructions that touch MMIO: MOV in all
 * its memory forms, MOVZX/MOVSX/MOVSXD, the ALU group with a memory operand,
 * TEST, XCHG and the string moves STOS/LODS/MOVS (with REP, one iteration per
 * call). Plain C without kernel dependencies: built into keel.ko and into the
 * userspace unit tests and fuzzers.
 */
#ifndef KEEL_X86_EMULATE_H
#define KEEL_X86_EMULATE_H

#include "types.h"

/* The longest legal x86 instruction. */
#define X86_MAX_INSN_LEN	15

/*
 * The default operand and address size of the code being executed, decided
 * by the caller from CR0.PE, EFER.LMA, CS.L and CS.D: REAL and PROT16 are
 * 16-bit code, PROT32 is 32-bit code (legacy or compatibility mode), LONG64
 * is 64-bit code.
 */
enum x86_cpu_mode {
	X86_MODE_REAL,
	X86_MODE_PROT16,
	X86_MODE_PROT32,
	X86_MODE_LONG64,
};

/* Indexes of x86_emu_regs.gpr. */
enum x86_gpr {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Indexes of x86_emu_regs.seg_base, in the order of the segment encoding. */
enum x86_seg {
	X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
};

/* RFLAGS bits the emulator reads or writes. */
#define X86_FLAG_CF	0x001ULL
#define X86_FLAG_PF	0x004ULL
#define X86_FLAG_AF	0x010ULL
#define X86_FLAG_ZF	0x040ULL
#define X86_FLAG_SF	0x080ULL
#define X86_FLAG_DF	0x400ULL
#define X86_FLAG_OF	0x800ULL
#define X86_FLAGS_ARITH	(X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | \
			 X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

/*
 * The guest state the emulator needs. seg_base are the segment bases, used
 * only for the linear addresses of the string instructions' operands (in
 * 64-bit mode only the FS and GS bases count, as on hardware).
 */
struct x86_emu_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	u64 seg_base[6];
};

/* What a decoded instruction does. */
enum x86_op {
	X86_OP_NONE,
	X86_OP_MOV,	/* MOV to or from memory, also the moffs and imm forms */
	X86_OP_MOVZX,	/* reg <- zero-extended memory */
	X86_OP_MOVSX,	/* reg <- sign-extended memory, also MOVSXD */
	X86_OP_ALU,	/* ADD OR ADC SBB AND SUB XOR CMP, see alu */
	X86_OP_TEST,	/* AND for the flags only */
	X86_OP_XCHG,	/* swaps memory and a register */
	X86_OP_STOS,	/* ES:rDI <- rAX */
	X86_OP_LODS,	/* rAX <- seg:rSI */
	X86_OP_MOVS,	/* ES:rDI <- seg:rSI */
};

/* The ALU operations in the order of their opcode rows and ModRM.reg. */
enum x86_alu {
	X86_ALU_ADD, X86_ALU_OR, X86_ALU_ADC, X86_ALU_SBB,
	X86_ALU_AND, X86_ALU_SUB, X86_ALU_XOR, X86_ALU_CMP,
};

/* x86_insn.prefixes */
#define X86_PFX_OPSIZE	0x01	/* 66 */
#define X86_PFX_ADSIZE	0x02	/* 67 */
#define X86_PFX_LOCK	0x04	/* F0 */
#define X86_PFX_REPNE	0x08	/* F2 */
#define X86_PFX_REP	0x10	/* F3 */
#define X86_PFX_SEG	0x20	/* a segment override; see seg */

/* x86_insn.rm_base and rm_index beside the register numbers */
#define X86_REG_RIP	0x10
#define X86_REG_NONE	0xff

/* x86_insn.flags */
#define X86_INSN_MEM_DST	0x01	/* memory is the destination */
#define X86_INSN_IMM		0x02	/* the source is imm, not reg */
#define X86_INSN_MODRM		0x04	/* modrm (and perhaps sib) present */
#define X86_INSN_SIB		0x08
#define X86_INSN_MOFFS		0x10	/* A0-A3: the address is moffs */
#define X86_INSN_REP		0x20	/* a string op repeated by rCX */

struct x86_insn {
	u8 len;		/* total length, 1..15 */
	u8 mode;	/* enum x86_cpu_mode it was decoded for */
	u8 op;		/* enum x86_op */
	u8 alu;		/* enum x86_alu, for X86_OP_ALU */
	u8 flags;	/* X86_INSN_* */
	u8 prefixes;	/* X86_PFX_* */
	u8 rex;		/* the REX prefix in effect (0x40-0x4f) or 0 */
	u8 seg;		/* enum x86_seg of the memory operand (DS/SS default) */
	u8 opcode;	/* the opcode byte (after 0F when two_byte) */
	bool two_byte;	/* 0F escape */
	u8 op_bytes;	/* operand size: 1, 2, 4 or 8 */
	u8 mem_bytes;	/* size of the memory access (MOVZX/MOVSX: the source) */
	u8 addr_bytes;	/* address size: 2, 4 or 8 */
	u8 modrm;
	u8 sib;
	u8 reg;		/* register operand, 0..15 (ModRM.reg + REX.R or rAX) */
	u8 rm_base;	/* base of the memory operand: 0..15, RIP or NONE */
	u8 rm_index;	/* index register: 0..15 or NONE, scaled by sib */
	s32 disp;	/* displacement, sign-extended */
	u64 imm;	/* immediate, sign-extended to op_bytes (and masked) */
	u64 moffs;	/* the A0-A3 direct offset */
};

/*
 * Decodes one instruction from the avail bytes at bytes. Returns its length
 * (1..15), -EFAULT when it runs past avail (fetch more and retry), -EINVAL
 * when it is longer than 15 bytes, invalid, or not one this emulator handles
 * (which includes every form without a memory operand).
 */
int x86_decode(const u8 *bytes, unsigned int avail, enum x86_cpu_mode mode,
	       struct x86_insn *insn);

/*
 * The guest's memory as the emulator sees it; every callback returns 0 or a
 * negative errno, which x86_emulate returns as is.
 *
 * mmio_read/mmio_write: the faulting access, at the guest physical address
 * passed to x86_emulate. A read returns 0 with the value, or -EAGAIN when
 * the value must come from userspace first: the caller exits to userspace,
 * later re-runs x86_decode and x86_emulate from the same state, and the
 * callback then returns the value. A write returns 0 once recorded; it is
 * the instruction's last memory access. Sizes are 1, 2, 4 or 8.
 *
 * read_linear/write_linear: ordinary guest memory by linear address, the
 * other operand of MOVS.
 */
struct x86_emu_ops {
	int (*mmio_read)(void *ctx, u64 gpa, void *val, unsigned int size);
	int (*mmio_write)(void *ctx, u64 gpa, const void *val, unsigned int size);
	int (*read_linear)(void *ctx, u64 la, void *val, unsigned int size);
	int (*write_linear)(void *ctx, u64 la, const void *val, unsigned int size);
};

/*
 * The linear address of the ModRM or moffs memory operand (segment base plus
 * effective address at the address size). Returns -EINVAL for string ops.
 */
int x86_mem_addr(const struct x86_insn *insn, const struct x86_emu_regs *regs,
		 u64 *la);

/*
 * The linear addresses of a string instruction's operands: the source
 * seg:rSI (DS unless overridden) and the destination ES:rDI. For MOVS the
 * caller translates dst_la (and src_la) to find which one faulted and
 * passes that one as la to x86_emulate. Returns -EINVAL for other ops.
 */
int x86_string_addrs(const struct x86_insn *insn,
		     const struct x86_emu_regs *regs, u64 *src_la, u64 *dst_la);

/*
 * Executes one decoded instruction whose memory operand faulted at the guest
 * physical address gpa. la is the linear address of the faulting operand; it
 * is only used for MOVS, to tell whether the source (la == src_la), the
 * destination (la == dst_la) or both (both equal) are the MMIO side.
 *
 * Order: all reads first, then the one write, then the registers. Returns 0
 * with regs updated (RIP past the instruction, arithmetic flags, rCX/rSI/rDI
 * for the string ops); a REP string op does one iteration per call and
 * leaves RIP at the instruction while rCX (at the address size) is not 0
 * afterwards; with rCX 0 to begin with it only advances RIP. On any error
 * regs are unchanged and no write succeeded: -EAGAIN from mmio_read is
 * restartable; -EINVAL means not emulatable; other errors come from the ops.
 */
int x86_emulate(const struct x86_insn *insn, struct x86_emu_regs *regs,
		u64 gpa, u64 la, const struct x86_emu_ops *ops, void *ctx);

#endif /* KEEL_X86_EMULATE_H */
