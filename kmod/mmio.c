// SPDX-License-Identifier: GPL-2.0
/*
 * Instructions keel.ko emulates for the guest. The CPU here saves no instruction bytes
 * (no decode assists): they are fetched by walking the guest's page tables, decoded by
 * x86/emulate.c and executed against MMIO, whose accesses go to userspace as
 * KEEL_EXIT_MMIO. A read is restartable: the exit asks userspace for the value and the
 * next KEEL_RUN emulates the instruction again with it.
 */
#include <linux/string.h>

#include "exits.h"
#include "eventfd.h"
#include "lapic.h"
#include "mmio.h"
#include "x86/emulate.h"
#include "x86/walk.h"

#define VMCB_ATTR_L	BIT(9)
#define VMCB_ATTR_DB	BIT(10)

struct mmio_ctx {
	struct keel_vcpu *vcpu;
	struct x86_walk_regs walk;
	bool need_read, wrote;
	u64 gpa;
	u32 len;
	u8 data[8];
};

static int guest_read_phys(void *opaque, u64 gpa, void *val, unsigned int size)
{
	struct mmio_ctx *ctx = opaque;

	return keel_read_guest(ctx->vcpu->vm, gpa, val, size);
}

static int mmio_read(void *opaque, u64 gpa, void *val, unsigned int size)
{
	struct mmio_ctx *ctx = opaque;
	struct keel_vcpu *vcpu = ctx->vcpu;

	if (keel_lapic_mmio_read(vcpu, gpa, val, size))
		return 0;
	if (vcpu->mmio_cached && vcpu->mmio_gpa == gpa && vcpu->mmio_len == size) {
		memcpy(val, vcpu->mmio_data, size);
		return 0;
	}
	ctx->need_read = true;
	ctx->gpa = gpa;
	ctx->len = size;
	return -EAGAIN;
}

static int mmio_write(void *opaque, u64 gpa, const void *val, unsigned int size)
{
	struct mmio_ctx *ctx = opaque;

	if (keel_lapic_mmio_write(ctx->vcpu, gpa, val, size) ||
	    keel_ioeventfd_signal(ctx->vcpu->vm, false, gpa, val, size))
		return 0;
	if (size > sizeof(ctx->data))
		return -EINVAL;
	ctx->wrote = true;
	ctx->gpa = gpa;
	ctx->len = size;
	memcpy(ctx->data, val, size);
	return 0;
}

/* The RAM side of a string move: one access never crosses a page here. */
static int linear_to_gpa(struct mmio_ctx *ctx, u64 la, unsigned int size, bool write, u64 *gpa)
{
	if ((la & ~PAGE_MASK) + size > PAGE_SIZE)
		return -EINVAL;
	return x86_walk(&ctx->walk, la, write, false, false, guest_read_phys, ctx, gpa);
}

static int read_linear(void *opaque, u64 la, void *val, unsigned int size)
{
	struct mmio_ctx *ctx = opaque;
	u64 gpa;
	int ret = linear_to_gpa(ctx, la, size, false, &gpa);

	return ret ? ret : keel_read_guest(ctx->vcpu->vm, gpa, val, size);
}

static int write_linear(void *opaque, u64 la, const void *val, unsigned int size)
{
	struct mmio_ctx *ctx = opaque;
	u64 gpa;
	int ret = linear_to_gpa(ctx, la, size, true, &gpa);

	return ret ? ret : keel_write_guest(ctx->vcpu->vm, gpa, val, size);
}

static const struct x86_emu_ops keel_emu_ops = {
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.read_linear = read_linear,
	.write_linear = write_linear,
};

static enum x86_cpu_mode guest_mode(const struct keel_vmcb_save *s)
{
	if (!(s->cr0 & X86_CR0_PE) || (s->rflags & X86_EFLAGS_VM))
		return X86_MODE_REAL;
	if ((s->efer & EFER_LMA) && (s->cs.attrib & VMCB_ATTR_L))
		return X86_MODE_LONG64;
	return (s->cs.attrib & VMCB_ATTR_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

/* A segment's base for a data access: in 64-bit code only FS and GS have one. */
static u64 vmcb_seg_base(const struct keel_vmcb *vmcb, int seg)
{
	const struct keel_vmcb_save *s = &vmcb->save;
	const struct keel_vmcb_seg *segs[] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs };

	if (guest_mode(s) == X86_MODE_LONG64 && seg != X86_SEG_FS && seg != X86_SEG_GS)
		return 0;
	return segs[seg]->base;
}

static void regs_from_vcpu(struct keel_vcpu *vcpu, struct x86_emu_regs *r)
{
	const struct keel_vmcb_save *s = &vcpu->vmcb->save;

	memcpy(r->gpr, vcpu->gprs, sizeof(r->gpr));
	r->gpr[X86_RAX] = s->rax;
	r->gpr[X86_RSP] = s->rsp;
	r->rip = s->rip;
	r->rflags = s->rflags;
	r->seg_base[X86_SEG_ES] = s->es.base;
	r->seg_base[X86_SEG_CS] = s->cs.base;
	r->seg_base[X86_SEG_SS] = s->ss.base;
	r->seg_base[X86_SEG_DS] = s->ds.base;
	r->seg_base[X86_SEG_FS] = s->fs.base;
	r->seg_base[X86_SEG_GS] = s->gs.base;
}

static void regs_to_vcpu(struct keel_vcpu *vcpu, const struct x86_emu_regs *r)
{
	struct keel_vmcb_save *s = &vcpu->vmcb->save;

	memcpy(vcpu->gprs, r->gpr, sizeof(vcpu->gprs));
	s->rax = r->gpr[X86_RAX];
	s->rsp = r->gpr[X86_RSP];
	s->rip = r->rip;
	s->rflags = r->rflags;
}

static void walk_regs(struct keel_vcpu *vcpu, struct x86_walk_regs *w)
{
	const struct keel_vmcb_save *s = &vcpu->vmcb->save;

	w->cr0 = s->cr0;
	w->cr3 = s->cr3;
	w->cr4 = s->cr4;
	w->efer = s->efer;
	w->maxphyaddr = 0;
}

/* Fetches and decodes the instruction at CS:RIP. */
static int fetch_decode(struct mmio_ctx *ctx, enum x86_cpu_mode mode, struct x86_insn *insn,
			u8 *bytes, int *got)
{
	const struct keel_vmcb_save *s = &ctx->vcpu->vmcb->save;
	u64 la = mode == X86_MODE_LONG64 ? s->rip : (u32)(s->cs.base + s->rip);

	*got = x86_fetch_insn(&ctx->walk, la, bytes, X86_MAX_INSN_LEN, guest_read_phys, ctx);
	if (*got <= 0)
		return -EFAULT;
	return x86_decode(bytes, *got, mode, insn) < 0 ? -EINVAL : 0;
}

static int emulation_failed(struct keel_vcpu *vcpu, const u8 *bytes, int got, int err)
{
	struct keel_run *run = vcpu->run;

	run->internal.suberror = KEEL_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 4;
	run->internal.data[0] = vcpu->vmcb->save.rip;
	run->internal.data[1] = vcpu->mmio_fault_gpa;
	run->internal.data[2] = (u64)-err;
	run->internal.data[3] = 0;
	if (got > 0)
		memcpy(&run->internal.data[3], bytes, min(got, 8));
	run->exit_reason = KEEL_EXIT_INTERNAL_ERROR;
	vcpu->mmio_cached = false;
	return 0;
}

/* Which operand of a string instruction is the MMIO one: its linear address. */
static u64 faulting_la(struct mmio_ctx *ctx, const struct x86_insn *insn,
		       const struct x86_emu_regs *regs, u64 gpa)
{
	u64 src, dst, dst_gpa;

	if (x86_string_addrs(insn, regs, &src, &dst))
		return 0;
	if (insn->op == X86_OP_STOS)
		return dst;
	if (insn->op == X86_OP_LODS)
		return src;
	if (!x86_walk(&ctx->walk, dst, true, false, false, guest_read_phys, ctx, &dst_gpa) &&
	    (dst_gpa >> PAGE_SHIFT) == (gpa >> PAGE_SHIFT))
		return dst;
	return src;
}

int keel_emulate_mmio(struct keel_vcpu *vcpu, u64 gpa)
{
	struct mmio_ctx ctx = { .vcpu = vcpu };
	struct keel_run *run = vcpu->run;
	struct x86_emu_regs regs;
	struct x86_insn insn;
	u8 bytes[X86_MAX_INSN_LEN];
	int got = 0, ret;

	vcpu->mmio_fault_gpa = gpa;
	walk_regs(vcpu, &ctx.walk);
	ret = fetch_decode(&ctx, guest_mode(&vcpu->vmcb->save), &insn, bytes, &got);
	if (ret)
		return emulation_failed(vcpu, bytes, got, ret);
	regs_from_vcpu(vcpu, &regs);
	ret = x86_emulate(&insn, &regs, gpa, faulting_la(&ctx, &insn, &regs, gpa), &keel_emu_ops,
			  &ctx);
	if (ret == -EAGAIN && ctx.need_read) {
		vcpu->pending = KEEL_PENDING_MMIO_READ;
		vcpu->mmio_gpa = ctx.gpa;
		vcpu->mmio_len = ctx.len;
		vcpu->mmio_cached = false;
		run->mmio.phys_addr = ctx.gpa;
		run->mmio.len = ctx.len;
		run->mmio.is_write = 0;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		run->exit_reason = KEEL_EXIT_MMIO;
		return 0;
	}
	if (ret)
		return emulation_failed(vcpu, bytes, got, ret);
	regs_to_vcpu(vcpu, &regs);
	vcpu->vmcb->control.int_state &= ~1u;
	vcpu->mmio_cached = false;
	if (!ctx.wrote)
		return 1;
	run->mmio.phys_addr = ctx.gpa;
	run->mmio.len = ctx.len;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, ctx.data, ctx.len);
	run->exit_reason = KEEL_EXIT_MMIO;
	return 0;
}

int keel_complete_mmio_read(struct keel_vcpu *vcpu)
{
	memcpy(vcpu->mmio_data, vcpu->run->mmio.data, sizeof(vcpu->mmio_data));
	vcpu->mmio_cached = true;
	return keel_emulate_mmio(vcpu, vcpu->mmio_fault_gpa);
}

/* The segment of an OUTS source: DS unless a prefix overrides it. */
static int outs_segment(struct mmio_ctx *ctx, enum x86_cpu_mode mode)
{
	static const u8 overrides[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	const struct keel_vmcb_save *s = &ctx->vcpu->vmcb->save;
	u64 la = mode == X86_MODE_LONG64 ? s->rip : (u32)(s->cs.base + s->rip);
	int seg = X86_SEG_DS;
	u8 bytes[X86_MAX_INSN_LEN];
	int got = x86_fetch_insn(&ctx->walk, la, bytes, X86_MAX_INSN_LEN, guest_read_phys, ctx);

	for (int i = 0; i < got; i++) {
		int k;

		for (k = 0; k < ARRAY_SIZE(overrides) && overrides[k] != bytes[i]; k++)
			;
		if (k < ARRAY_SIZE(overrides))
			seg = k;
		else if (bytes[i] != 0x66 && bytes[i] != 0x67 && bytes[i] != 0xf2 &&
			 bytes[i] != 0xf3 && (mode != X86_MODE_LONG64 || (bytes[i] & 0xf0) != 0x40))
			break;
	}
	return seg;
}

static u64 addr_mask(unsigned int bytes)
{
	return bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/* Steps rSI or rDI by one element at the address size, up or down by DF. */
static void string_step(u64 *reg, unsigned int size, unsigned int addr_bytes, bool down)
{
	u64 mask = addr_mask(addr_bytes);
	u64 next = (*reg + (down ? -(u64)size : size)) & mask;

	*reg = addr_bytes == 4 ? next : (*reg & ~mask) | next;
}

/* One element's guest physical address, wholly inside one page. */
static int string_gpa(struct mmio_ctx *ctx, u64 base, u64 reg, unsigned int addr_bytes,
		      unsigned int size, bool write, u64 *gpa)
{
	u64 la = base + (reg & addr_mask(addr_bytes));

	if (addr_bytes != 8)
		la = (u32)la;	/* outside 64-bit code, linear addresses wrap at 4 GiB */
	if ((la & ~PAGE_MASK) + size > PAGE_SIZE)
		return -EINVAL;
	return x86_walk(&ctx->walk, la, write, false, false, guest_read_phys, ctx, gpa);
}

int keel_string_io(struct keel_vcpu *vcpu, u64 info, unsigned int size)
{
	struct mmio_ctx ctx = { .vcpu = vcpu };
	struct keel_vmcb *vmcb = vcpu->vmcb;
	struct keel_run *run = vcpu->run;
	unsigned int addr_bytes = (info & KEEL_IOIO_A64) ? 8 : (info & KEEL_IOIO_A32) ? 4 : 2;
	bool rep = info & KEEL_IOIO_REP, down = vmcb->save.rflags & X86_EFLAGS_DF;
	u64 *rcx = &vcpu->gprs[X86_RCX], gpa;
	u8 *data = (u8 *)run + KEEL_IO_DATA_OFFSET;
	int ret;

	if (rep && !(*rcx & addr_mask(addr_bytes))) {
		vmcb->save.rip = vmcb->control.exit_info_2;
		return 1;
	}
	walk_regs(vcpu, &ctx.walk);
	keel_prepare_io_exit(vcpu, info, size);
	if (info & KEEL_IOIO_IN) {
		vcpu->pending = KEEL_PENDING_INS;
		vcpu->io_addr_bytes = addr_bytes;
		vcpu->io_rep = rep;
		return 0;
	}
	ret = string_gpa(&ctx, vmcb_seg_base(vmcb, outs_segment(&ctx, guest_mode(&vmcb->save))),
			 vcpu->gprs[X86_RSI], addr_bytes, size, false, &gpa);
	if (!ret)
		ret = keel_read_guest(vcpu->vm, gpa, data, size);
	if (ret)
		return emulation_failed(vcpu, NULL, 0, ret);
	string_step(&vcpu->gprs[X86_RSI], size, addr_bytes, down);
	if (rep)
		string_step(rcx, 1, addr_bytes, true);
	/* REP: the guest executes the instruction again for the next element. */
	if (!rep || !(*rcx & addr_mask(addr_bytes)))
		vmcb->save.rip = vmcb->control.exit_info_2;
	return 0;
}

int keel_complete_ins(struct keel_vcpu *vcpu)
{
	struct mmio_ctx ctx = { .vcpu = vcpu };
	struct keel_vmcb *vmcb = vcpu->vmcb;
	bool down = vmcb->save.rflags & X86_EFLAGS_DF;
	unsigned int addr_bytes = vcpu->io_addr_bytes;
	u64 *rcx = &vcpu->gprs[X86_RCX], gpa;
	int ret;

	walk_regs(vcpu, &ctx.walk);
	ret = string_gpa(&ctx, vmcb_seg_base(vmcb, X86_SEG_ES), vcpu->gprs[X86_RDI], addr_bytes,
			 vcpu->io_size,
			 true, &gpa);
	if (!ret)
		ret = keel_write_guest(vcpu->vm, gpa, (u8 *)vcpu->run + KEEL_IO_DATA_OFFSET,
				       vcpu->io_size);
	if (ret)
		return emulation_failed(vcpu, NULL, 0, ret);
	string_step(&vcpu->gprs[X86_RDI], vcpu->io_size, addr_bytes, down);
	if (vcpu->io_rep)
		string_step(rcx, 1, addr_bytes, true);
	if (!vcpu->io_rep || !(*rcx & addr_mask(addr_bytes)))
		vmcb->save.rip = vcpu->pending_rip;
	return 1;
}

/* MOV DRn, reg / MOV reg, DRn (0F 23 / 0F 21) with the CPU's exit naming which. */
int keel_emulate_mov_dr(struct keel_vcpu *vcpu)
{
	struct mmio_ctx ctx = { .vcpu = vcpu };
	struct keel_vmcb_save *s = &vcpu->vmcb->save;
	enum x86_cpu_mode mode = guest_mode(s);
	u64 code = vcpu->vmcb->control.exit_code;
	bool write = code >= KEEL_VMEXIT_WRITE_DR0;
	unsigned int dr = code & 0xf, i = 0, gpr;
	u8 bytes[X86_MAX_INSN_LEN], rex = 0;
	u64 la = mode == X86_MODE_LONG64 ? s->rip : (u32)(s->cs.base + s->rip);
	u64 value, *reg;
	int got;

	walk_regs(vcpu, &ctx.walk);
	got = x86_fetch_insn(&ctx.walk, la, bytes, X86_MAX_INSN_LEN, guest_read_phys, &ctx);
	if (got <= 0)
		return -EINVAL;
	while (i < (unsigned int)got && (bytes[i] == 0x66 || bytes[i] == 0x67 ||
					 (mode == X86_MODE_LONG64 && (bytes[i] & 0xf0) == 0x40)))
		rex = (bytes[i++] & 0xf0) == 0x40 ? bytes[i - 1] : rex;
	if (i + 3 > (unsigned int)got || bytes[i] != 0x0f ||
	    bytes[i + 1] != (write ? 0x23 : 0x21) || (bytes[i + 2] >> 6) != 3 || dr > 7)
		return -EINVAL;
	gpr = (bytes[i + 2] & 7) | ((rex & 1) << 3);
	reg = gpr == X86_RAX ? &s->rax : gpr == X86_RSP ? &s->rsp : &vcpu->gprs[gpr];
	if (dr == 4 || dr == 5)
		dr += 2;
	if (write) {
		value = mode == X86_MODE_LONG64 ? *reg : (u32)*reg;
		if (dr < 4)
			vcpu->dr[dr] = value;
		else if (dr == 6)
			vcpu->dr6 = value;
		else
			vcpu->dr7 = value;
	} else {
		value = dr < 4 ? vcpu->dr[dr] : dr == 6 ? vcpu->dr6 | KEEL_DR6_FIXED :
				 vcpu->dr7 | KEEL_DR7_FIXED;
		*reg = mode == X86_MODE_LONG64 ? value : (u32)value;
	}
	s->rip += i + 3;
	return 0;
}
