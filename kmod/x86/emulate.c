// SPDX-License-Identifier: GPL-2.0
/*
 * x86 decoder and emulator for the instructions that fault on MMIO, written
 * from the Intel SDM volume 2 and the AMD APM volume 3. The decoder reads
 * only what it is given, at most 15 bytes; the emulator does every read
 * before its one write and changes the registers last, so that a pass which
 * stops for userspace (-EAGAIN) can simply be run again.
 */
#include "emulate.h"

struct x86_dec {
	const u8 *bytes;
	unsigned int avail;
	unsigned int pos;
};

static int dec_byte(struct x86_dec *d, u8 *b)
{
	if (d->pos >= X86_MAX_INSN_LEN)
		return -EINVAL;
	if (d->pos >= d->avail)
		return -EFAULT;
	*b = d->bytes[d->pos++];
	return 0;
}

/* Reads an n-byte little-endian field. */
static int dec_le(struct x86_dec *d, unsigned int n, u64 *val)
{
	unsigned int i;
	u64 v = 0;
	u8 b;
	int ret;

	for (i = 0; i < n; i++) {
		ret = dec_byte(d, &b);
		if (ret)
			return ret;
		v |= (u64)b << (8 * i);
	}
	*val = v;
	return 0;
}

static u64 size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static u64 sign_extend(u64 v, unsigned int bytes)
{
	u64 sign;

	if (bytes >= 8)
		return v;
	sign = 1ULL << (8 * bytes - 1);
	v &= size_mask(bytes);
	return (v ^ sign) - sign;
}

/* ModRM with 16-bit addressing: the base and index of each r/m encoding. */
static const u8 dec_rm16_base[8] = {
	X86_RBX, X86_RBX, X86_RBP, X86_RBP,
	X86_REG_NONE, X86_REG_NONE, X86_RBP, X86_RBX,
};

static const u8 dec_rm16_index[8] = {
	X86_RSI, X86_RDI, X86_RSI, X86_RDI,
	X86_RSI, X86_RDI, X86_REG_NONE, X86_REG_NONE,
};

static int dec_modrm16(struct x86_dec *d, struct x86_insn *insn, u8 mod,
		       u8 rm)
{
	u64 v;
	int ret;

	insn->rm_base = dec_rm16_base[rm];
	insn->rm_index = dec_rm16_index[rm];
	if (mod == 0 && rm == 6) {
		insn->rm_base = X86_REG_NONE;
		ret = dec_le(d, 2, &v);
		if (ret)
			return ret;
		insn->disp = (s32)sign_extend(v, 2);
	} else if (mod != 0) {
		ret = dec_le(d, mod == 1 ? 1 : 2, &v);
		if (ret)
			return ret;
		insn->disp = (s32)sign_extend(v, mod == 1 ? 1 : 2);
	}
	if (insn->rm_base == X86_RBP && !(insn->prefixes & X86_PFX_SEG))
		insn->seg = X86_SEG_SS;
	return 0;
}

static int dec_modrm32(struct x86_dec *d, struct x86_insn *insn, u8 mod,
		       u8 rm)
{
	u8 rex_b = insn->rex & 1 ? 8 : 0;
	u8 base = rm;
	u64 v;
	int ret;

	if (rm == 4) {
		ret = dec_byte(d, &insn->sib);
		if (ret)
			return ret;
		insn->flags |= X86_INSN_SIB;
		base = insn->sib & 7;
		insn->rm_index = ((insn->sib >> 3) & 7) | (insn->rex & 2 ? 8 : 0);
		if (insn->rm_index == X86_RSP)
			insn->rm_index = X86_REG_NONE;
	}
	if (mod == 0 && base == 5) {
		/* disp32 alone, or RIP-relative in 64-bit mode without SIB */
		if (rm == 5 && insn->mode == X86_MODE_LONG64)
			insn->rm_base = X86_REG_RIP;
		ret = dec_le(d, 4, &v);
		if (ret)
			return ret;
		insn->disp = (s32)sign_extend(v, 4);
	} else {
		insn->rm_base = base | rex_b;
		if (mod != 0) {
			ret = dec_le(d, mod == 1 ? 1 : 4, &v);
			if (ret)
				return ret;
			insn->disp = (s32)sign_extend(v, mod == 1 ? 1 : 4);
		}
	}
	if ((insn->rm_base == X86_RSP || insn->rm_base == X86_RBP) &&
	    !(insn->prefixes & X86_PFX_SEG))
		insn->seg = X86_SEG_SS;
	return 0;
}

/* ModRM (and SIB, displacement); only memory operands are accepted. */
static int dec_modrm(struct x86_dec *d, struct x86_insn *insn)
{
	u8 mod, rm;
	int ret;

	ret = dec_byte(d, &insn->modrm);
	if (ret)
		return ret;
	insn->flags |= X86_INSN_MODRM;
	mod = insn->modrm >> 6;
	rm = insn->modrm & 7;
	insn->reg = ((insn->modrm >> 3) & 7) | (insn->rex & 4 ? 8 : 0);
	if (mod == 3)
		return -EINVAL;
	if (insn->addr_bytes == 2)
		return dec_modrm16(d, insn, mod, rm);
	return dec_modrm32(d, insn, mod, rm);
}

/* An immediate of n bytes, sign-extended to the operand size. */
static int dec_imm(struct x86_dec *d, struct x86_insn *insn, unsigned int n)
{
	u64 v;
	int ret;

	ret = dec_le(d, n, &v);
	if (ret)
		return ret;
	insn->imm = sign_extend(v, n) & size_mask(insn->op_bytes);
	insn->flags |= X86_INSN_IMM;
	return 0;
}

/* The legacy and REX prefixes; leaves the first opcode byte in *b. */
static int dec_prefixes(struct x86_dec *d, struct x86_insn *insn, u8 *b)
{
	int ret;

	for (;;) {
		ret = dec_byte(d, b);
		if (ret)
			return ret;
		switch (*b) {
		case 0x66:
			insn->prefixes |= X86_PFX_OPSIZE;
			break;
		case 0x67:
			insn->prefixes |= X86_PFX_ADSIZE;
			break;
		case 0xf0:
			insn->prefixes |= X86_PFX_LOCK;
			break;
		case 0xf2:
			insn->prefixes &= ~X86_PFX_REP;
			insn->prefixes |= X86_PFX_REPNE;
			break;
		case 0xf3:
			insn->prefixes &= ~X86_PFX_REPNE;
			insn->prefixes |= X86_PFX_REP;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			insn->prefixes |= X86_PFX_SEG;
			insn->seg = (*b >> 3) & 3;
			break;
		case 0x64:
		case 0x65:
			insn->prefixes |= X86_PFX_SEG;
			insn->seg = X86_SEG_FS + (*b & 1);
			break;
		default:
			if (insn->mode != X86_MODE_LONG64 || (*b & 0xf0) != 0x40)
				return 0;
			/* REX counts only right before the opcode */
			insn->rex = *b;
			continue;
		}
		insn->rex = 0;
	}
}

static void dec_sizes(struct x86_insn *insn)
{
	bool pfx66 = insn->prefixes & X86_PFX_OPSIZE;
	bool pfx67 = insn->prefixes & X86_PFX_ADSIZE;

	switch (insn->mode) {
	case X86_MODE_LONG64:
		insn->op_bytes = pfx66 ? 2 : 4;
		insn->addr_bytes = pfx67 ? 4 : 8;
		if (insn->rex & 8)
			insn->op_bytes = 8;
		break;
	case X86_MODE_PROT32:
		insn->op_bytes = pfx66 ? 2 : 4;
		insn->addr_bytes = pfx67 ? 2 : 4;
		break;
	default:
		insn->op_bytes = pfx66 ? 4 : 2;
		insn->addr_bytes = pfx67 ? 4 : 2;
		break;
	}
}

/* The one-byte opcode map; b is the opcode, d positioned after it. */
static int dec_onebyte(struct x86_dec *d, struct x86_insn *insn, u8 b)
{
	bool long64 = insn->mode == X86_MODE_LONG64;
	unsigned int imm_full = insn->op_bytes == 2 ? 2 : 4;
	int ret;

	if (!(b & 1))
		insn->op_bytes = 1;
	if (b < 0x40) {
		/* 00-3B: ALU r/m,r (bit 1 clear) and r,r/m (bit 1 set) */
		if ((b & 7) > 3)
			return -EINVAL;
		insn->op = X86_OP_ALU;
		insn->alu = b >> 3;
		if (!(b & 2))
			insn->flags |= X86_INSN_MEM_DST;
		return dec_modrm(d, insn);
	}
	switch (b) {
	case 0x63:
		/* MOVSXD in 64-bit mode, ARPL elsewhere */
		if (!long64)
			return -EINVAL;
		insn->op = X86_OP_MOVSX;
		insn->mem_bytes = insn->op_bytes == 8 ? 4 : insn->op_bytes;
		return dec_modrm(d, insn);
	case 0x80:
	case 0x81:
	case 0x82:
	case 0x83:
		/* 82 is 80 outside 64-bit mode */
		if (b == 0x82 && long64)
			return -EINVAL;
		insn->op = X86_OP_ALU;
		insn->flags |= X86_INSN_MEM_DST;
		ret = dec_modrm(d, insn);
		if (ret)
			return ret;
		insn->alu = insn->reg & 7;
		return dec_imm(d, insn, b == 0x81 ? imm_full : 1);
	case 0x84:
	case 0x85:
		insn->op = X86_OP_TEST;
		return dec_modrm(d, insn);
	case 0x86:
	case 0x87:
		insn->op = X86_OP_XCHG;
		return dec_modrm(d, insn);
	case 0x88:
	case 0x89:
	case 0x8a:
	case 0x8b:
		insn->op = X86_OP_MOV;
		if (!(b & 2))
			insn->flags |= X86_INSN_MEM_DST;
		return dec_modrm(d, insn);
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		insn->op = X86_OP_MOV;
		insn->flags |= X86_INSN_MOFFS;
		if (b & 2)
			insn->flags |= X86_INSN_MEM_DST;
		insn->reg = X86_RAX;
		return dec_le(d, insn->addr_bytes, &insn->moffs);
	case 0xa4:
	case 0xa5:
		insn->op = X86_OP_MOVS;
		return 0;
	case 0xaa:
	case 0xab:
		insn->op = X86_OP_STOS;
		return 0;
	case 0xac:
	case 0xad:
		insn->op = X86_OP_LODS;
		return 0;
	case 0xc6:
	case 0xc7:
		insn->op = X86_OP_MOV;
		insn->flags |= X86_INSN_MEM_DST;
		ret = dec_modrm(d, insn);
		if (ret)
			return ret;
		if (insn->reg & 7)
			return -EINVAL;
		return dec_imm(d, insn, b == 0xc7 ? imm_full : 1);
	case 0xf6:
	case 0xf7:
		insn->op = X86_OP_TEST;
		ret = dec_modrm(d, insn);
		if (ret)
			return ret;
		if (insn->reg & 7)
			return -EINVAL;
		return dec_imm(d, insn, b == 0xf7 ? imm_full : 1);
	default:
		return -EINVAL;
	}
}

/* The 0F map: MOVZX and MOVSX. */
static int dec_twobyte(struct x86_dec *d, struct x86_insn *insn, u8 b)
{
	switch (b) {
	case 0xb6:
	case 0xb7:
		insn->op = X86_OP_MOVZX;
		break;
	case 0xbe:
	case 0xbf:
		insn->op = X86_OP_MOVSX;
		break;
	default:
		return -EINVAL;
	}
	insn->mem_bytes = b & 1 ? 2 : 1;
	return dec_modrm(d, insn);
}

/* LOCK is allowed only on read-modify-write instructions to memory. */
static bool dec_lock_ok(const struct x86_insn *insn)
{
	if (insn->op == X86_OP_XCHG)
		return true;
	return insn->op == X86_OP_ALU && insn->alu != X86_ALU_CMP &&
	       (insn->flags & X86_INSN_MEM_DST);
}

int x86_decode(const u8 *bytes, unsigned int avail, enum x86_cpu_mode mode,
	       struct x86_insn *insn)
{
	struct x86_dec d = { bytes, avail, 0 };
	u8 b;
	int ret;

	memset(insn, 0, sizeof(*insn));
	if (mode > X86_MODE_LONG64)
		return -EINVAL;
	insn->mode = mode;
	insn->seg = X86_SEG_DS;
	insn->rm_base = X86_REG_NONE;
	insn->rm_index = X86_REG_NONE;
	ret = dec_prefixes(&d, insn, &b);
	if (ret)
		return ret;
	dec_sizes(insn);
	if (b == 0x0f) {
		insn->two_byte = true;
		ret = dec_byte(&d, &b);
		if (ret)
			return ret;
		insn->opcode = b;
		ret = dec_twobyte(&d, insn, b);
	} else {
		insn->opcode = b;
		ret = dec_onebyte(&d, insn, b);
	}
	if (ret)
		return ret;
	if (!insn->mem_bytes)
		insn->mem_bytes = insn->op_bytes;
	if ((insn->prefixes & X86_PFX_LOCK) && !dec_lock_ok(insn))
		return -EINVAL;
	if (insn->op >= X86_OP_STOS &&
	    (insn->prefixes & (X86_PFX_REP | X86_PFX_REPNE)))
		insn->flags |= X86_INSN_REP;
	insn->len = d.pos;
	return d.pos;
}

/* Segment bases count in 64-bit mode only for FS and GS. */
static u64 seg_base(const struct x86_insn *insn,
		    const struct x86_emu_regs *regs, unsigned int seg)
{
	if (seg > X86_SEG_GS)
		return 0;
	if (insn->mode == X86_MODE_LONG64 && seg < X86_SEG_FS)
		return 0;
	return regs->seg_base[seg];
}

static u64 linear(const struct x86_insn *insn, u64 base, u64 ea)
{
	u64 la = base + (ea & size_mask(insn->addr_bytes));

	return insn->mode == X86_MODE_LONG64 ? la : la & 0xffffffffULL;
}

static u64 next_rip(const struct x86_insn *insn,
		    const struct x86_emu_regs *regs)
{
	u64 rip = regs->rip + insn->len;

	return insn->mode == X86_MODE_LONG64 ? rip : rip & 0xffffffffULL;
}

/* Fields an x86_insn not made by x86_decode could break the emulator with. */
static bool insn_sane(const struct x86_insn *insn)
{
	u8 n = insn->op_bytes;

	if (!insn->len || insn->len > X86_MAX_INSN_LEN ||
	    insn->mode > X86_MODE_LONG64 || insn->reg > 15)
		return false;
	if (n != 1 && n != 2 && n != 4 && n != 8)
		return false;
	if (!insn->mem_bytes || insn->mem_bytes > n)
		return false;
	n = insn->addr_bytes;
	if (n != 2 && n != 4 && n != 8)
		return false;
	if (insn->rm_base != X86_REG_NONE && insn->rm_base != X86_REG_RIP &&
	    insn->rm_base > 15)
		return false;
	return insn->rm_index == X86_REG_NONE || insn->rm_index <= 15;
}

int x86_mem_addr(const struct x86_insn *insn, const struct x86_emu_regs *regs,
		 u64 *la)
{
	u64 ea;

	if (!insn_sane(insn) || insn->op == X86_OP_NONE ||
	    insn->op >= X86_OP_STOS)
		return -EINVAL;
	if (insn->flags & X86_INSN_MOFFS) {
		ea = insn->moffs;
	} else {
		ea = (u64)(s64)insn->disp;
		if (insn->rm_base == X86_REG_RIP)
			ea += next_rip(insn, regs);
		else if (insn->rm_base != X86_REG_NONE)
			ea += regs->gpr[insn->rm_base];
		if (insn->rm_index != X86_REG_NONE)
			ea += regs->gpr[insn->rm_index] << (insn->sib >> 6);
	}
	*la = linear(insn, seg_base(insn, regs, insn->seg), ea);
	return 0;
}

int x86_string_addrs(const struct x86_insn *insn,
		     const struct x86_emu_regs *regs, u64 *src_la, u64 *dst_la)
{
	if (!insn_sane(insn) || insn->op < X86_OP_STOS)
		return -EINVAL;
	*src_la = linear(insn, seg_base(insn, regs, insn->seg),
			 regs->gpr[X86_RSI]);
	*dst_la = linear(insn, seg_base(insn, regs, X86_SEG_ES),
			 regs->gpr[X86_RDI]);
	return 0;
}

/* Registers by operand size: AH/CH/DH/BH for 4-7 in byte form without REX. */
static u64 reg_get(const struct x86_insn *insn, const struct x86_emu_regs *r,
		   unsigned int reg, unsigned int bytes)
{
	if (bytes == 1 && !insn->rex && reg >= 4 && reg < 8)
		return (r->gpr[reg - 4] >> 8) & 0xff;
	return r->gpr[reg & 15] & size_mask(bytes);
}

/* 8 and 16-bit writes merge; 32-bit writes zero-extend to 64 bits. */
static void reg_set(const struct x86_insn *insn, struct x86_emu_regs *r,
		    unsigned int reg, unsigned int bytes, u64 val)
{
	u64 *g;

	if (bytes == 1 && !insn->rex && reg >= 4 && reg < 8) {
		g = &r->gpr[reg - 4];
		*g = (*g & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	g = &r->gpr[reg & 15];
	if (bytes >= 4)
		*g = val & size_mask(bytes);
	else
		*g = (*g & ~size_mask(bytes)) | (val & size_mask(bytes));
}

/* rSI, rDI and rCX at the address size, as the string instructions use them. */
static void addr_reg_set(const struct x86_insn *insn, struct x86_emu_regs *r,
			 unsigned int reg, u64 val)
{
	reg_set(insn, r, reg, insn->addr_bytes, val);
}

static void val_to_bytes(u64 v, u8 *buf, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		buf[i] = v >> (8 * i);
}

static u64 bytes_to_val(const u8 *buf, unsigned int n)
{
	unsigned int i;
	u64 v = 0;

	for (i = 0; i < n; i++)
		v |= (u64)buf[i] << (8 * i);
	return v;
}

static int mmio_get(const struct x86_emu_ops *ops, void *ctx, u64 gpa,
		    unsigned int n, u64 *val)
{
	u8 buf[8] = { 0 };
	int ret;

	ret = ops->mmio_read(ctx, gpa, buf, n);
	if (ret)
		return ret;
	*val = bytes_to_val(buf, n);
	return 0;
}

static int mmio_put(const struct x86_emu_ops *ops, void *ctx, u64 gpa,
		    unsigned int n, u64 val)
{
	u8 buf[8];

	val_to_bytes(val, buf, n);
	return ops->mmio_write(ctx, gpa, buf, n);
}

static bool parity_even(u8 v)
{
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/* dst op src at n bytes; updates the six arithmetic flags in *rflags. */
static u64 alu_exec(unsigned int op, u64 dst, u64 src, unsigned int n,
		    u64 *rflags)
{
	u64 mask = size_mask(n);
	u64 sign = 1ULL << (8 * n - 1);
	u64 carry_in = *rflags & X86_FLAG_CF ? 1 : 0;
	u64 res, f = 0;

	dst &= mask;
	src &= mask;
	switch (op) {
	case X86_ALU_ADD:
	case X86_ALU_ADC:
		res = dst + src + (op == X86_ALU_ADC ? carry_in : 0);
		if (((dst & src) | ((dst | src) & ~res)) & sign)
			f |= X86_FLAG_CF;
		if ((dst ^ res) & (src ^ res) & sign)
			f |= X86_FLAG_OF;
		f |= (dst ^ src ^ res) & X86_FLAG_AF;
		break;
	case X86_ALU_SUB:
	case X86_ALU_SBB:
	case X86_ALU_CMP:
		res = dst - src - (op == X86_ALU_SBB ? carry_in : 0);
		if (((~dst & src) | ((~dst | src) & res)) & sign)
			f |= X86_FLAG_CF;
		if ((dst ^ src) & (dst ^ res) & sign)
			f |= X86_FLAG_OF;
		f |= (dst ^ src ^ res) & X86_FLAG_AF;
		break;
	case X86_ALU_OR:
		res = dst | src;
		break;
	case X86_ALU_XOR:
		res = dst ^ src;
		break;
	default:
		res = dst & src;
		break;
	}
	res &= mask;
	if (!res)
		f |= X86_FLAG_ZF;
	if (res & sign)
		f |= X86_FLAG_SF;
	if (parity_even(res))
		f |= X86_FLAG_PF;
	*rflags = (*rflags & ~X86_FLAGS_ARITH) | f;
	return res;
}

static int emulate_string(const struct x86_insn *insn, struct x86_emu_regs *r,
			  u64 gpa, u64 la, const struct x86_emu_ops *ops,
			  void *ctx)
{
	unsigned int n = insn->op_bytes;
	u64 amask = size_mask(insn->addr_bytes);
	u64 step = r->rflags & X86_FLAG_DF ? -(u64)n : n;
	bool rep = insn->flags & X86_INSN_REP;
	u64 count = r->gpr[X86_RCX] & amask;
	u64 src_la, dst_la, val = 0;
	bool src_mmio, dst_mmio;
	u8 buf[8] = { 0 };
	int ret;

	if (rep && !count) {
		r->rip = next_rip(insn, r);
		return 0;
	}
	x86_string_addrs(insn, r, &src_la, &dst_la);
	switch (insn->op) {
	case X86_OP_STOS:
		ret = mmio_put(ops, ctx, gpa, n, reg_get(insn, r, X86_RAX, n));
		if (ret)
			return ret;
		addr_reg_set(insn, r, X86_RDI, r->gpr[X86_RDI] + step);
		break;
	case X86_OP_LODS:
		ret = mmio_get(ops, ctx, gpa, n, &val);
		if (ret)
			return ret;
		reg_set(insn, r, X86_RAX, n, val);
		addr_reg_set(insn, r, X86_RSI, r->gpr[X86_RSI] + step);
		break;
	case X86_OP_MOVS:
		src_mmio = la == src_la;
		dst_mmio = la == dst_la;
		if (!src_mmio && !dst_mmio)
			return -EINVAL;
		if (src_mmio) {
			ret = mmio_get(ops, ctx, gpa, n, &val);
		} else {
			ret = ops->read_linear(ctx, src_la, buf, n);
			val = bytes_to_val(buf, n);
		}
		if (ret)
			return ret;
		if (dst_mmio) {
			ret = mmio_put(ops, ctx, gpa, n, val);
		} else {
			val_to_bytes(val, buf, n);
			ret = ops->write_linear(ctx, dst_la, buf, n);
		}
		if (ret)
			return ret;
		addr_reg_set(insn, r, X86_RSI, r->gpr[X86_RSI] + step);
		addr_reg_set(insn, r, X86_RDI, r->gpr[X86_RDI] + step);
		break;
	default:
		return -EINVAL;
	}
	if (rep) {
		addr_reg_set(insn, r, X86_RCX, count - 1);
		if (count - 1)
			return 0;
	}
	r->rip = next_rip(insn, r);
	return 0;
}

int x86_emulate(const struct x86_insn *insn, struct x86_emu_regs *regs,
		u64 gpa, u64 la, const struct x86_emu_ops *ops, void *ctx)
{
	struct x86_emu_regs r = *regs;
	unsigned int n, m;
	u64 mem = 0, src, res;
	int ret;

	if (!insn_sane(insn))
		return -EINVAL;
	n = insn->op_bytes;
	m = insn->mem_bytes;
	if (insn->flags & X86_INSN_IMM)
		src = insn->imm;
	else
		src = reg_get(insn, &r, insn->reg, n);

	switch (insn->op) {
	case X86_OP_MOV:
		if (insn->flags & X86_INSN_MEM_DST) {
			ret = mmio_put(ops, ctx, gpa, n, src);
			if (ret)
				return ret;
		} else {
			ret = mmio_get(ops, ctx, gpa, n, &mem);
			if (ret)
				return ret;
			reg_set(insn, &r, insn->reg, n, mem);
		}
		break;
	case X86_OP_MOVZX:
	case X86_OP_MOVSX:
		ret = mmio_get(ops, ctx, gpa, m, &mem);
		if (ret)
			return ret;
		if (insn->op == X86_OP_MOVSX)
			mem = sign_extend(mem, m);
		reg_set(insn, &r, insn->reg, n, mem);
		break;
	case X86_OP_ALU:
		ret = mmio_get(ops, ctx, gpa, n, &mem);
		if (ret)
			return ret;
		if (insn->flags & X86_INSN_MEM_DST) {
			res = alu_exec(insn->alu, mem, src, n, &r.rflags);
			if (insn->alu != X86_ALU_CMP) {
				ret = mmio_put(ops, ctx, gpa, n, res);
				if (ret)
					return ret;
			}
		} else {
			res = alu_exec(insn->alu, src, mem, n, &r.rflags);
			if (insn->alu != X86_ALU_CMP)
				reg_set(insn, &r, insn->reg, n, res);
		}
		break;
	case X86_OP_TEST:
		ret = mmio_get(ops, ctx, gpa, n, &mem);
		if (ret)
			return ret;
		alu_exec(X86_ALU_AND, mem, src, n, &r.rflags);
		break;
	case X86_OP_XCHG:
		ret = mmio_get(ops, ctx, gpa, n, &mem);
		if (ret)
			return ret;
		ret = mmio_put(ops, ctx, gpa, n, src);
		if (ret)
			return ret;
		reg_set(insn, &r, insn->reg, n, mem);
		break;
	case X86_OP_STOS:
	case X86_OP_LODS:
	case X86_OP_MOVS:
		ret = emulate_string(insn, &r, gpa, la, ops, ctx);
		if (ret)
			return ret;
		*regs = r;
		return 0;
	default:
		return -EINVAL;
	}
	r.rip = next_rip(insn, &r);
	*regs = r;
	return 0;
}
