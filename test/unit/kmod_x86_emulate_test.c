// SPDX-License-Identifier: GPL-2.0
/* keel.ko's x86 decoder and MMIO emulator (kmod/x86/emulate.c), in userspace. */
#include "kmod/x86/emulate.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define RAM_SIZE 0x10000

/* One MMIO device and a little RAM (linear address = offset), with a log. */
struct emu_fake {
	uint8_t mmio[8];	/* what an MMIO read returns */
	bool defer;		/* the first MMIO read asks for userspace */
	unsigned int reads, writes, linear_reads, linear_writes;
	uint64_t read_gpa, write_gpa, write_la, read_la;
	unsigned int read_size, write_size;
	uint8_t written[8];
	uint8_t ram[RAM_SIZE];
	struct x86_insn insn;
	int len;
};

static int fake_mmio_read(void *ctx, u64 gpa, void *val, unsigned int size)
{
	struct emu_fake *f = ctx;

	f->reads++;
	f->read_gpa = gpa;
	f->read_size = size;
	if (f->defer) {
		f->defer = false;
		return -EAGAIN;
	}
	memcpy(val, f->mmio, size);
	return 0;
}

static int fake_mmio_write(void *ctx, u64 gpa, const void *val, unsigned int size)
{
	struct emu_fake *f = ctx;

	f->writes++;
	f->write_gpa = gpa;
	f->write_size = size;
	memset(f->written, 0, sizeof(f->written));
	memcpy(f->written, val, size);
	return 0;
}

static int fake_read_linear(void *ctx, u64 la, void *val, unsigned int size)
{
	struct emu_fake *f = ctx;

	f->linear_reads++;
	f->read_la = la;
	if (la >= RAM_SIZE || size > RAM_SIZE - la)
		return -EFAULT;
	memcpy(val, f->ram + la, size);
	return 0;
}

static int fake_write_linear(void *ctx, u64 la, const void *val, unsigned int size)
{
	struct emu_fake *f = ctx;

	f->linear_writes++;
	f->write_la = la;
	if (la >= RAM_SIZE || size > RAM_SIZE - la)
		return -EFAULT;
	memcpy(f->ram + la, val, size);
	return 0;
}

static const struct x86_emu_ops fake_ops = {
	fake_mmio_read, fake_mmio_write, fake_read_linear, fake_write_linear,
};

static struct emu_fake fake;

static struct emu_fake *fake_reset(uint64_t mmio_value)
{
	memset(&fake, 0, sizeof(fake));
	for (int i = 0; i < 8; i++)
		fake.mmio[i] = mmio_value >> (8 * i);
	return &fake;
}

static uint64_t written(const struct emu_fake *f)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)f->written[i] << (8 * i);
	return v;
}

/* Decodes (all n bytes available) and emulates with the fault at gpa/la. */
static int emu(struct emu_fake *f, enum x86_cpu_mode mode, struct x86_emu_regs *r,
	       const uint8_t *bytes, unsigned int n, uint64_t gpa, uint64_t la)
{
	f->len = x86_decode(bytes, n, mode, &f->insn);
	if (f->len < 0)
		return f->len;
	return x86_emulate(&f->insn, r, gpa, la, &fake_ops, f);
}

#define EMU(f, mode, r, gpa, ...)                                                          \
	emu(f, mode, r, (const uint8_t[]){ __VA_ARGS__ },                                  \
	    sizeof((const uint8_t[]){ __VA_ARGS__ }), gpa, 0)

static struct x86_emu_regs regs_init(void)
{
	struct x86_emu_regs r;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 16; i++)
		r.gpr[i] = 0x1111111111111111ULL * (uint64_t)(i + 1);
	r.rip = 0x1000;
	r.rflags = 0x2;
	return r;
}

TEST(kmod_x86_mov_store_forms)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init();

	r.gpr[X86_RCX] = 0x1122334455667788ULL;
	/* mov [rax], cl */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0xfee00000, 0x88, 0x08), 0);
	CHECK_EQ(f->len, 2);
	CHECK_EQ(f->writes, 1u);
	CHECK_EQ(f->reads, 0u);
	CHECK_EQ(f->write_gpa, 0xfee00000u);
	CHECK_EQ(f->write_size, 1u);
	CHECK_EQ(written(f), 0x88u);
	CHECK_EQ(r.rip, 0x1002u);
	/* mov [rax], ecx; mov [rax], cx; mov [rax], rcx */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x89, 0x08), 0);
	CHECK_EQ(f->write_size, 4u);
	CHECK_EQ(written(f), 0x55667788u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x66, 0x89, 0x08), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(f->write_size, 2u);
	CHECK_EQ(written(f), 0x7788u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x48, 0x89, 0x08), 0);
	CHECK_EQ(f->write_size, 8u);
	CHECK_EQ(written(f), 0x1122334455667788ULL);
	CHECK_EQ(r.rip, 0x1002u + 2 + 3 + 3);
	/* 16-bit code: 89 is a word store, 66 makes it a dword */
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x10, 0x89, 0x0f), 0);
	CHECK_EQ(f->write_size, 2u);
	CHECK_EQ(EMU(f, X86_MODE_PROT16, &r, 0x10, 0x66, 0x89, 0x0f), 0);
	CHECK_EQ(f->write_size, 4u);
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x10, 0x66, 0x89, 0x0f), 0);
	CHECK_EQ(f->write_size, 2u);
	CHECK_EQ(f->writes, 7u);
	CHECK_EQ(f->reads, 0u);
}

TEST(kmod_x86_mov_load_forms)
{
	struct emu_fake *f = fake_reset(0xa1a2a3a4a5a6a7a8ULL);
	struct x86_emu_regs r = regs_init();
	uint64_t rdx = r.gpr[X86_RDX];

	/* mov dl, [rax]: merges */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x8a, 0x10), 0);
	CHECK_EQ(f->read_gpa, 0x20u);
	CHECK_EQ(f->read_size, 1u);
	CHECK_EQ(r.gpr[X86_RDX], (rdx & ~0xffULL) | 0xa8);
	/* mov dx, [rax]: merges */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x66, 0x8b, 0x10), 0);
	CHECK_EQ(r.gpr[X86_RDX], (rdx & ~0xffffULL) | 0xa7a8);
	/* mov edx, [rax]: zero-extends */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x8b, 0x10), 0);
	CHECK_EQ(r.gpr[X86_RDX], 0xa5a6a7a8u);
	/* mov rdx, [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x48, 0x8b, 0x10), 0);
	CHECK_EQ(r.gpr[X86_RDX], 0xa1a2a3a4a5a6a7a8ULL);
	CHECK_EQ(f->writes, 0u);
	CHECK_EQ(r.rip, 0x1000u + 2 + 3 + 2 + 3);
	/* mov r9, [rax] (REX.WR); mov eax, [r9] (REX.B) */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x4c, 0x8b, 0x08), 0);
	CHECK_EQ(r.gpr[X86_R9], 0xa1a2a3a4a5a6a7a8ULL);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x41, 0x8b, 0x01), 0);
	CHECK_EQ(f->insn.rm_base, X86_R9);
	CHECK_EQ(r.gpr[X86_RAX], 0xa5a6a7a8u);
}

TEST(kmod_x86_high_byte_registers)
{
	struct emu_fake *f = fake_reset(0x5a);
	struct x86_emu_regs r = regs_init();
	uint64_t rbx = r.gpr[X86_RBX], rsp = r.gpr[X86_RSP];

	/* mov bh, [rax] (reg 7 without REX) */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x8a, 0x38), 0);
	CHECK_EQ(r.gpr[X86_RBX], (rbx & ~0xff00ULL) | 0x5a00);
	CHECK_EQ(r.gpr[X86_RDI], 0x8888888888888888ULL);
	/* mov [rax], ah (reg 4 without REX) in 32-bit and real mode */
	r.gpr[X86_RAX] = 0x1234;
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x20, 0x88, 0x20), 0);
	CHECK_EQ(written(f), 0x12u);
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x20, 0x88, 0x27), 0);
	CHECK_EQ(written(f), 0x12u);
	/* with any REX, reg 4 is SPL */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x40, 0x8a, 0x20), 0);
	CHECK_EQ(r.gpr[X86_RSP], (rsp & ~0xffULL) | 0x5a);
	CHECK_EQ(r.gpr[X86_RAX], 0x1234u);
	/* mov [rax], dil */
	r.gpr[X86_RDI] = 0x77;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x40, 0x88, 0x38), 0);
	CHECK_EQ(written(f), 0x77u);
	/* mov [rax], r12b */
	r.gpr[X86_R12] = 0x3c;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x20, 0x44, 0x88, 0x20), 0);
	CHECK_EQ(written(f), 0x3cu);
}

TEST(kmod_x86_mov_immediate)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init();

	/* mov byte [rax], 0xab */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x30, 0xc6, 0x00, 0xab), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(f->write_size, 1u);
	CHECK_EQ(written(f), 0xabu);
	/* mov word [rax], 0x1234 */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x30, 0x66, 0xc7, 0x00, 0x34, 0x12), 0);
	CHECK_EQ(f->len, 5);
	CHECK_EQ(written(f), 0x1234u);
	/* mov dword [rax+8], 0x89abcdef */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x30, 0xc7, 0x40, 0x08, 0xef, 0xcd, 0xab, 0x89), 0);
	CHECK_EQ(f->len, 7);
	CHECK_EQ(f->write_size, 4u);
	CHECK_EQ(written(f), 0x89abcdefu);
	/* mov qword [rax], -2: imm32 sign-extended */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x30, 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff), 0);
	CHECK_EQ(f->len, 7);
	CHECK_EQ(f->write_size, 8u);
	CHECK_EQ(written(f), 0xfffffffffffffffeULL);
	/* mov qword [rax], 0x7fffffff: positive stays positive */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x30, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f), 0);
	CHECK_EQ(written(f), 0x7fffffffu);
	/* real mode: mov word [0x1234], 0x5678 */
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x30, 0xc7, 0x06, 0x34, 0x12, 0x78, 0x56), 0);
	CHECK_EQ(f->len, 6);
	CHECK_EQ(f->insn.disp, 0x1234);
	CHECK_EQ(written(f), 0x5678u);
	/* C7 /1 is not a MOV */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x30, 0xc7, 0x08, 0, 0, 0, 0), -EINVAL);
}

TEST(kmod_x86_mov_moffs)
{
	struct emu_fake *f = fake_reset(0x8877665544332211ULL);
	struct x86_emu_regs r = regs_init();
	u64 la;

	/* 64-bit: movabs al, [0x1122334455667788] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x40, 0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
		     0x22, 0x11),
		 0);
	CHECK_EQ(f->len, 9);
	CHECK_EQ(f->insn.moffs, 0x1122334455667788ULL);
	CHECK_EQ(r.gpr[X86_RAX] & 0xff, 0x11u);
	/* movabs [moffs], rax */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x40, 0x48, 0xa3, 1, 2, 3, 4, 5, 6, 7, 8), 0);
	CHECK_EQ(f->len, 10);
	CHECK_EQ(f->write_size, 8u);
	CHECK_EQ(written(f), r.gpr[X86_RAX]);
	/* 67: a 4-byte moffs in 64-bit mode; mov eax, [0x100] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x40, 0x67, 0xa1, 0x00, 0x01, 0x00, 0x00), 0);
	CHECK_EQ(f->len, 6);
	CHECK_EQ(r.gpr[X86_RAX], 0x44332211u);
	/* 32-bit: mov [0x12345678], ax with an FS override */
	r.seg_base[X86_SEG_FS] = 0x100000;
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x40, 0x64, 0x66, 0xa3, 0x78, 0x56, 0x34, 0x12), 0);
	CHECK_EQ(f->len, 7);
	CHECK_EQ(f->write_size, 2u);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x12445678u);
	/* real mode: mov al, [0x1234]; 67 makes it 4 bytes */
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x40, 0xa0, 0x34, 0x12), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x40, 0x67, 0xa0, 0x34, 0x12, 0, 0), 0);
	CHECK_EQ(f->len, 6);
}

TEST(kmod_x86_movzx_movsx)
{
	struct emu_fake *f = fake_reset(0x80f1);
	struct x86_emu_regs r = regs_init();

	/* movzx ecx, byte [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50, 0x0f, 0xb6, 0x08), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(f->read_size, 1u);
	CHECK_EQ(r.gpr[X86_RCX], 0xf1u);
	/* movzx rcx, word [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50, 0x48, 0x0f, 0xb7, 0x08), 0);
	CHECK_EQ(f->read_size, 2u);
	CHECK_EQ(r.gpr[X86_RCX], 0x80f1u);
	/* movzx cx, byte [rax]: merges into cx */
	r.gpr[X86_RCX] = 0xffffffffffffffffULL;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50, 0x66, 0x0f, 0xb6, 0x08), 0);
	CHECK_EQ(r.gpr[X86_RCX], 0xffffffffffff00f1ULL);
	/* movsx ecx, byte [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50, 0x0f, 0xbe, 0x08), 0);
	CHECK_EQ(r.gpr[X86_RCX], 0xfffffff1u);
	/* movsx rcx, word [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50, 0x48, 0x0f, 0xbf, 0x08), 0);
	CHECK_EQ(r.gpr[X86_RCX], 0xffffffffffff80f1ULL);
	/* movsx r10d, word [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50, 0x44, 0x0f, 0xbf, 0x10), 0);
	CHECK_EQ(r.gpr[X86_R10], 0xffff80f1u);
	/* real mode: movzx ax, byte [bx] */
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x50, 0x0f, 0xb6, 0x07), 0);
	CHECK_EQ(r.gpr[X86_RAX] & 0xffff, 0xf1u);
}

TEST(kmod_x86_movsxd)
{
	struct emu_fake *f = fake_reset(0x87654321);
	struct x86_emu_regs r = regs_init();

	/* movsxd rdx, dword [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x60, 0x48, 0x63, 0x10), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(f->read_size, 4u);
	CHECK_EQ(r.gpr[X86_RDX], 0xffffffff87654321ULL);
	/* without REX.W: a 32-bit load */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x60, 0x63, 0x10), 0);
	CHECK_EQ(r.gpr[X86_RDX], 0x87654321u);
	/* movsxd r15, dword [r8+4] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x60, 0x4d, 0x63, 0x78, 0x04), 0);
	CHECK_EQ(r.gpr[X86_R15], 0xffffffff87654321ULL);
	/* ARPL outside 64-bit mode */
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x60, 0x63, 0x10), -EINVAL);
}

TEST(kmod_x86_modrm_addressing)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init();
	u64 la;

	/* real mode: mov [bx+si+4], ax */
	r.gpr[X86_RBX] = 0x1000;
	r.gpr[X86_RSI] = 0x0234;
	r.seg_base[X86_SEG_DS] = 0x20000;
	r.seg_base[X86_SEG_SS] = 0x30000;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x70, 0x89, 0x40, 0x04), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(f->insn.addr_bytes, 2);
	CHECK_EQ(f->write_size, 2u);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x21238u);
	/* [bp+di-2] defaults to SS; the effective address wraps at 64K */
	r.gpr[X86_RBP] = 0xffff;
	r.gpr[X86_RDI] = 0x0001;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x70, 0x89, 0x43, 0xfe), 0);
	CHECK_EQ(f->insn.seg, X86_SEG_SS);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x30000u + 0xfffe);
	/* [bp+disp16] with an ES override */
	r.seg_base[X86_SEG_ES] = 0x50000;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x70, 0x26, 0x89, 0x86, 0x00, 0x01), 0);
	CHECK_EQ(f->len, 5);
	CHECK_EQ(f->insn.seg, X86_SEG_ES);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x50000u + 0x100 + 0xffff - 0x10000);
	/* 67 in real mode: 32-bit addressing, mov [ebx+esi*2+0x10], ax */
	r.gpr[X86_RBX] = 0x00100000;
	r.gpr[X86_RSI] = 0x10;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x70, 0x67, 0x89, 0x44, 0x73, 0x10), 0);
	CHECK_EQ(f->len, 5);
	CHECK_EQ(f->insn.addr_bytes, 4);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x20000u + 0x00100030);
	/* 32-bit: mov [rsp+8], eax; mov [eax+ecx*4+0x100], eax; mov [disp32], eax */
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x70, 0x89, 0x44, 0x24, 0x08), 0);
	CHECK_EQ(f->len, 4);
	CHECK_EQ(f->insn.seg, X86_SEG_SS);
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x70, 0x89, 0x84, 0x88, 0x00, 0x01, 0x00, 0x00), 0);
	CHECK_EQ(f->len, 7);
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x70, 0x89, 0x05, 0x00, 0x00, 0xe0, 0xfe), 0);
	CHECK_EQ(f->len, 6);
	CHECK_EQ(f->insn.rm_base, X86_REG_NONE);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, (0x20000u + 0xfee00000u) & 0xffffffffu);
	/* SIB without base: mov [ecx*8+0x1000], eax */
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x70, 0x89, 0x04, 0xcd, 0x00, 0x10, 0x00, 0x00), 0);
	CHECK_EQ(f->len, 7);
	CHECK_EQ(f->insn.rm_base, X86_REG_NONE);
	CHECK_EQ(f->insn.rm_index, X86_RCX);
	/* 64-bit RIP-relative: mov [rip+0x10], eax */
	r.rip = 0x400000;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x70, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00), 0);
	CHECK_EQ(f->insn.rm_base, X86_REG_RIP);
	r.rip = 0x400000;
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x400016u);
	/* REX.X and REX.B: mov [r13+r12*2], eax; disp8 needed for r13 base */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x70, 0x43, 0x89, 0x44, 0x65, 0x00), 0);
	CHECK_EQ(f->len, 5);
	CHECK_EQ(f->insn.rm_base, X86_R13);
	CHECK_EQ(f->insn.rm_index, X86_R12);
	/* REX.X makes index 4 into r12, which is an index */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x70, 0x42, 0x89, 0x04, 0x20), 0);
	CHECK_EQ(f->insn.rm_index, X86_R12);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x70, 0x89, 0x04, 0x20), 0);
	CHECK_EQ(f->insn.rm_index, X86_REG_NONE);
	/* GS override in 64-bit mode counts, DS does not */
	r.gpr[X86_RAX] = 0x10;
	r.seg_base[X86_SEG_GS] = 0xffff888000000000ULL;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x70, 0x65, 0x89, 0x08), 0);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0xffff888000000010ULL);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x70, 0x3e, 0x89, 0x08), 0);
	CHECK_EQ(x86_mem_addr(&f->insn, &r, &la), 0);
	CHECK_EQ(la, 0x10u);
	/* the faulting operand is always at gpa, whatever the override */
	CHECK_EQ(f->write_gpa, 0x70u);
}

TEST(kmod_x86_stos)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init();

	/* stosb, stosw, stosd, stosq */
	r.gpr[X86_RAX] = 0x0123456789abcdefULL;
	r.gpr[X86_RDI] = 0x1000;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x80, 0xaa), 0);
	CHECK_EQ(f->write_size, 1u);
	CHECK_EQ(written(f), 0xefu);
	CHECK_EQ(r.gpr[X86_RDI], 0x1001u);
	CHECK_EQ(r.rip, 0x1001u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x80, 0x66, 0xab), 0);
	CHECK_EQ(written(f), 0xcdefu);
	CHECK_EQ(r.gpr[X86_RDI], 0x1003u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x80, 0xab), 0);
	CHECK_EQ(written(f), 0x89abcdefu);
	CHECK_EQ(r.gpr[X86_RDI], 0x1007u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x80, 0x48, 0xab), 0);
	CHECK_EQ(written(f), 0x0123456789abcdefULL);
	CHECK_EQ(r.gpr[X86_RDI], 0x100fu);
	/* DF=1 walks down */
	r.rflags |= X86_FLAG_DF;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x80, 0xab), 0);
	CHECK_EQ(r.gpr[X86_RDI], 0x100bu);
	/* 16-bit addressing wraps DI and keeps the upper bits */
	r.rflags &= ~X86_FLAG_DF;
	r.gpr[X86_RDI] = 0xabcd0000fffeULL;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x80, 0x66, 0xab), 0);
	CHECK_EQ(f->write_size, 4u);
	CHECK_EQ(r.gpr[X86_RDI], 0xabcd00000002ULL);
	/* 67 in 64-bit mode: EDI, zero-extended */
	r.gpr[X86_RDI] = 0x12ffffffffULL;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x80, 0x67, 0xaa), 0);
	CHECK_EQ(r.gpr[X86_RDI], 0u);
	CHECK_EQ(f->reads, 0u);
}

TEST(kmod_x86_rep_stos_one_iteration)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init();

	r.rip = 0x2000;
	r.gpr[X86_RAX] = 0xaabbccdd;
	r.gpr[X86_RDI] = 0x500;
	r.gpr[X86_RCX] = 3;
	/* rep stosd: one iteration per call, RIP stays until RCX is 0 */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x500, 0xf3, 0xab), 0);
	CHECK_EQ(f->len, 2);
	CHECK(f->insn.flags & X86_INSN_REP);
	CHECK_EQ(r.gpr[X86_RCX], 2u);
	CHECK_EQ(r.gpr[X86_RDI], 0x504u);
	CHECK_EQ(r.rip, 0x2000u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x504, 0xf3, 0xab), 0);
	CHECK_EQ(f->write_gpa, 0x504u);
	CHECK_EQ(r.gpr[X86_RCX], 1u);
	CHECK_EQ(r.rip, 0x2000u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x508, 0xf3, 0xab), 0);
	CHECK_EQ(r.gpr[X86_RCX], 0u);
	CHECK_EQ(r.gpr[X86_RDI], 0x50cu);
	CHECK_EQ(r.rip, 0x2002u);
	CHECK_EQ(f->writes, 3u);
	/* RCX 0 to begin with: no access, RIP advances */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50c, 0xf3, 0xab), 0);
	CHECK_EQ(f->writes, 3u);
	CHECK_EQ(r.gpr[X86_RDI], 0x50cu);
	CHECK_EQ(r.rip, 0x2004u);
	/* 16-bit count: only CX counts, the upper bits stay */
	r.gpr[X86_RCX] = 0x50000;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x50c, 0xf3, 0xaa), 0);
	CHECK_EQ(f->writes, 3u);
	CHECK_EQ(r.rip, 0x2006u);
	r.gpr[X86_RCX] = 0x50001;
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x50c, 0xf3, 0xaa), 0);
	CHECK_EQ(r.gpr[X86_RCX], 0x50000u);
	CHECK_EQ(r.rip, 0x2008u);
	/* F2 repeats STOS just as F3 does */
	r.gpr[X86_RCX] = 2;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x50c, 0xf2, 0xaa), 0);
	CHECK_EQ(r.gpr[X86_RCX], 1u);
	CHECK_EQ(r.rip, 0x2008u);
}

TEST(kmod_x86_movs)
{
	struct emu_fake *f = fake_reset(0xdeadbeef);
	struct x86_emu_regs r = regs_init();
	u64 src, dst;

	/* movsd from MMIO (source faulted) to RAM */
	r.gpr[X86_RSI] = 0xf000;
	r.gpr[X86_RDI] = 0x100;
	/* la 0 (EMU's) is neither operand's */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x0, 0xa5), -EINVAL);
	CHECK_EQ(f->reads, 0u);
	r = regs_init();
	r.gpr[X86_RSI] = 0xf000;
	r.gpr[X86_RDI] = 0x100;
	CHECK_EQ(x86_decode((const uint8_t[]){ 0xa5 }, 1, X86_MODE_LONG64, &f->insn), 1);
	CHECK_EQ(x86_string_addrs(&f->insn, &r, &src, &dst), 0);
	CHECK_EQ(src, 0xf000u);
	CHECK_EQ(dst, 0x100u);
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xfed00000, src, &fake_ops, f), 0);
	CHECK_EQ(f->read_gpa, 0xfed00000u);
	CHECK_EQ(f->read_size, 4u);
	CHECK_EQ(f->linear_writes, 1u);
	CHECK_EQ(f->write_la, 0x100u);
	CHECK_EQ(f->ram[0x100], 0xef);
	CHECK_EQ(f->ram[0x103], 0xde);
	CHECK_EQ(r.gpr[X86_RSI], 0xf004u);
	CHECK_EQ(r.gpr[X86_RDI], 0x104u);
	CHECK_EQ(r.rip, 0x1001u);
	/* movsb from RAM to MMIO (destination faulted), DF=1 */
	f->ram[0x200] = 0x42;
	r.gpr[X86_RSI] = 0x200;
	r.gpr[X86_RDI] = 0x9000;
	r.rflags |= X86_FLAG_DF;
	CHECK_EQ(x86_decode((const uint8_t[]){ 0xa4 }, 1, X86_MODE_LONG64, &f->insn), 1);
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xfed00010, 0x9000, &fake_ops, f), 0);
	CHECK_EQ(f->linear_reads, 1u);
	CHECK_EQ(f->read_la, 0x200u);
	CHECK_EQ(f->writes, 1u);
	CHECK_EQ(f->write_gpa, 0xfed00010u);
	CHECK_EQ(written(f), 0x42u);
	CHECK_EQ(r.gpr[X86_RSI], 0x1ffu);
	CHECK_EQ(r.gpr[X86_RDI], 0x8fffu);
	/* source and destination the same MMIO address: both go to the device */
	r.gpr[X86_RSI] = 0x300;
	r.gpr[X86_RDI] = 0x300;
	f->reads = f->writes = f->linear_reads = f->linear_writes = 0;
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xfed00020, 0x300, &fake_ops, f), 0);
	CHECK_EQ(f->reads, 1u);
	CHECK_EQ(f->writes, 1u);
	CHECK_EQ(f->linear_reads + f->linear_writes, 0u);
	/* RAM side out of reach: the error, nothing changed */
	r = regs_init();
	r.gpr[X86_RSI] = 0xfff000;
	r.gpr[X86_RDI] = 0x9000;
	struct x86_emu_regs before = r;
	CHECK_EQ(x86_decode((const uint8_t[]){ 0xa4 }, 1, X86_MODE_LONG64, &f->insn), 1);
	f->writes = 0;
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xfed00010, 0x9000, &fake_ops, f), -EFAULT);
	CHECK_EQ(f->writes, 0u);
	CHECK(memcmp(&r, &before, sizeof(r)) == 0);
}

TEST(kmod_x86_rep_movs_segments)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init();
	u64 src, dst;

	/* 32-bit: rep movsw with an FS source; ES is never overridden */
	r.seg_base[X86_SEG_DS] = 0x1000;
	r.seg_base[X86_SEG_ES] = 0x2000;
	r.seg_base[X86_SEG_FS] = 0x3000;
	r.gpr[X86_RSI] = 0x10;
	r.gpr[X86_RDI] = 0x20;
	r.gpr[X86_RCX] = 2;
	f->ram[0x3010] = 0x11;
	f->ram[0x3011] = 0x22;
	CHECK_EQ(x86_decode((const uint8_t[]){ 0x64, 0xf3, 0x66, 0xa5 }, 4, X86_MODE_PROT32,
			    &f->insn),
		 4);
	CHECK_EQ(x86_string_addrs(&f->insn, &r, &src, &dst), 0);
	CHECK_EQ(src, 0x3010u);
	CHECK_EQ(dst, 0x2020u);
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xfeb00000, dst, &fake_ops, f), 0);
	CHECK_EQ(written(f), 0x2211u);
	CHECK_EQ(f->write_size, 2u);
	CHECK_EQ(r.gpr[X86_RCX], 1u);
	CHECK_EQ(r.gpr[X86_RSI], 0x12u);
	CHECK_EQ(r.gpr[X86_RDI], 0x22u);
	CHECK_EQ(r.rip, 0x1000u);
	CHECK_EQ(x86_string_addrs(&f->insn, &r, &src, &dst), 0);
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xfeb00002, dst, &fake_ops, f), 0);
	CHECK_EQ(r.gpr[X86_RCX], 0u);
	CHECK_EQ(r.rip, 0x1004u);
	/* 64-bit mode ignores the DS and ES bases */
	CHECK_EQ(x86_decode((const uint8_t[]){ 0x48, 0xa5 }, 2, X86_MODE_LONG64, &f->insn), 2);
	CHECK_EQ(x86_string_addrs(&f->insn, &r, &src, &dst), 0);
	CHECK_EQ(src, 0x14u);
	CHECK_EQ(dst, 0x24u);
	/* 16-bit addressing: SI/DI wrap, the linear address is base + 16 bits */
	r.seg_base[X86_SEG_DS] = 0xf0000;
	r.gpr[X86_RSI] = 0x1234ffff;
	CHECK_EQ(x86_decode((const uint8_t[]){ 0xa4 }, 1, X86_MODE_REAL, &f->insn), 1);
	CHECK_EQ(x86_string_addrs(&f->insn, &r, &src, &dst), 0);
	CHECK_EQ(src, 0xfffffu);
	CHECK_EQ(x86_emulate(&f->insn, &r, 0xa0000, dst, &fake_ops, f), -EFAULT);
}

TEST(kmod_x86_lods)
{
	struct emu_fake *f = fake_reset(0x99);
	struct x86_emu_regs r = regs_init();

	r.gpr[X86_RSI] = 0x40;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x40, 0xac), 0);
	CHECK_EQ(r.gpr[X86_RAX], 0x1111111111111199ULL);
	CHECK_EQ(r.gpr[X86_RSI], 0x41u);
	CHECK_EQ(f->writes, 0u);
}

/* One ALU case: the memory-destination form at the given size. */
struct alu_case {
	unsigned int alu, bytes;
	uint64_t dst, src;
	bool cf_in;
	uint64_t result, flags;
};

#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF

static const struct alu_case alu_cases[] = {
	{ X86_ALU_ADD, 1, 0xff, 0x01, false, 0x00, CF | ZF | AF | PF },
	{ X86_ALU_ADD, 1, 0x7f, 0x01, false, 0x80, OF | SF | AF },
	{ X86_ALU_ADD, 2, 0x1234, 0x4321, true, 0x5555, PF },
	{ X86_ALU_ADD, 8, 1ULL << 63, 1ULL << 63, false, 0, CF | OF | ZF | PF },
	{ X86_ALU_ADC, 1, 0xfe, 0x01, true, 0x00, CF | ZF | AF | PF },
	{ X86_ALU_ADC, 4, 0x7fffffff, 0, true, 0x80000000, OF | SF | AF | PF },
	{ X86_ALU_SUB, 1, 0x00, 0x01, false, 0xff, CF | SF | AF | PF },
	{ X86_ALU_SUB, 1, 0x80, 0x01, false, 0x7f, OF | AF },
	{ X86_ALU_SUB, 2, 0x1000, 0x0001, false, 0x0fff, AF | PF },
	{ X86_ALU_SUB, 4, 5, 7, false, 0xfffffffe, CF | SF | AF },
	{ X86_ALU_SBB, 1, 0x00, 0x00, true, 0xff, CF | SF | AF | PF },
	{ X86_ALU_SBB, 8, 10, 3, true, 6, PF },
	{ X86_ALU_CMP, 4, 5, 5, false, 5, ZF | PF },
	{ X86_ALU_CMP, 8, 1, 2, false, 1, CF | SF | AF | PF },
	{ X86_ALU_AND, 4, 0xf0f0f0f0, 0x0ff00ff0, true, 0x00f000f0, PF },
	{ X86_ALU_AND, 1, 0x80, 0x80, false, 0x80, SF },
	{ X86_ALU_OR, 2, 0x8000, 0x0001, true, 0x8001, SF },
	{ X86_ALU_OR, 8, 0, 0, false, 0, ZF | PF },
	{ X86_ALU_XOR, 8, 0x123456789ULL, 0x123456789ULL, false, 0, ZF | PF },
	{ X86_ALU_XOR, 4, 0xffffffff, 0x7fffffff, false, 0x80000000, SF | PF },
};

TEST(kmod_x86_alu_flags)
{
	for (unsigned int i = 0; i < sizeof(alu_cases) / sizeof(alu_cases[0]); i++) {
		const struct alu_case *c = &alu_cases[i];
		struct emu_fake *f = fake_reset(c->dst);
		struct x86_emu_regs r = regs_init();
		uint8_t code[3];
		unsigned int n = 0;

		/* op [rax], cl/cx/ecx/rcx, then op cl.., [rax] */
		if (c->bytes == 2)
			code[n++] = 0x66;
		else if (c->bytes == 8)
			code[n++] = 0x48;
		code[n++] = (uint8_t)(c->alu << 3 | (c->bytes > 1));
		code[n++] = 0x08;
		r.gpr[X86_RCX] = c->src;
		r.rflags = 0x202 | X86_FLAG_DF | X86_FLAGS_ARITH;
		if (!c->cf_in)
			r.rflags &= ~X86_FLAG_CF;
		CHECK_EQ(emu(f, X86_MODE_LONG64, &r, code, n, 0x1000, 0), 0);
		CHECK_EQ(f->reads, 1u);
		CHECK_EQ(f->writes, c->alu == X86_ALU_CMP ? 0u : 1u);
		if (c->alu != X86_ALU_CMP)
			CHECK_EQ(written(f), c->result);
		CHECK_EQ(r.rflags, 0x202 | X86_FLAG_DF | c->flags);
		CHECK_EQ(r.gpr[X86_RCX], c->src);

		/* the register-destination form: op cl, [rax] with the operands swapped */
		f = fake_reset(c->src);
		r = regs_init();
		r.gpr[X86_RCX] = c->dst;
		r.rflags = c->cf_in ? 0x203 : 0x202;
		code[n - 2] |= 2;
		CHECK_EQ(emu(f, X86_MODE_LONG64, &r, code, n, 0x1000, 0), 0);
		CHECK_EQ(f->writes, 0u);
		CHECK_EQ(r.rflags, 0x202 | c->flags);
		if (c->bytes == 4 && c->alu != X86_ALU_CMP)
			CHECK_EQ(r.gpr[X86_RCX], c->result);
		else if (c->bytes == 8 || c->alu == X86_ALU_CMP)
			CHECK_EQ(r.gpr[X86_RCX], c->alu == X86_ALU_CMP ? c->dst : c->result);
		else
			CHECK_EQ(r.gpr[X86_RCX] & ((1ULL << (8 * c->bytes)) - 1), c->result);
	}
}

TEST(kmod_x86_alu_immediates)
{
	struct emu_fake *f = fake_reset(0x10);
	struct x86_emu_regs r = regs_init();

	/* add byte [rax], 0xf0 (80 /0 ib) */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x80, 0x00, 0xf0), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(written(f), 0x00u);
	CHECK(r.rflags & X86_FLAG_CF);
	CHECK(r.rflags & X86_FLAG_ZF);
	/* or dword [rax], 0x80000000 (81 /1 id) */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x81, 0x08, 0x00, 0x00, 0x00, 0x80), 0);
	CHECK_EQ(f->len, 6);
	CHECK_EQ(written(f), 0x80000010u);
	/* sub qword [rax], -1 (48 83 /5 ib): imm8 sign-extended to 64 */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x48, 0x83, 0x28, 0xff), 0);
	CHECK_EQ(f->len, 4);
	CHECK_EQ(f->insn.imm, 0xffffffffffffffffULL);
	CHECK_EQ(written(f), 0x11u);
	CHECK(r.rflags & X86_FLAG_CF);
	/* and word [rax], 0xff00 (66 81 /4 iw) */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x66, 0x81, 0x20, 0x00, 0xff), 0);
	CHECK_EQ(f->len, 5);
	CHECK_EQ(written(f), 0u);
	CHECK(r.rflags & X86_FLAG_ZF);
	/* and qword [rax], imm32 0x80000000 sign-extends */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x48, 0x81, 0x20, 0x00, 0x00, 0x00, 0x80), 0);
	CHECK_EQ(f->insn.imm, 0xffffffff80000000ULL);
	/* cmp word [bx], 0x10 (83 /7 ib) in real mode: flags only */
	CHECK_EQ(EMU(f, X86_MODE_REAL, &r, 0x10, 0x83, 0x3f, 0x10), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(f->writes, 5u);
	CHECK(r.rflags & X86_FLAG_ZF);
	/* 82 is 80 outside 64-bit mode only */
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0x10, 0x82, 0x00, 0x01), 0);
	CHECK_EQ(written(f), 0x11u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x82, 0x00, 0x01), -EINVAL);
	/* lock add [rax], ecx is fine, lock cmp is not */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf0, 0x01, 0x08), 0);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf0, 0x39, 0x08), -EINVAL);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf0, 0x03, 0x08), -EINVAL);
}

TEST(kmod_x86_test_and_xchg)
{
	struct emu_fake *f = fake_reset(0x80);
	struct x86_emu_regs r = regs_init();

	/* test byte [rax], 0x80 */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf6, 0x00, 0x80), 0);
	CHECK_EQ(f->len, 3);
	CHECK_EQ(r.rflags & X86_FLAGS_ARITH, SF);
	/* test dword [rax], 0x7f */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf7, 0x00, 0x7f, 0, 0, 0), 0);
	CHECK_EQ(f->len, 6);
	CHECK_EQ(r.rflags & X86_FLAGS_ARITH, ZF | PF);
	/* test [rax], ecx (85) and test [rax], cl (84) */
	r.gpr[X86_RCX] = 0x180;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x85, 0x08), 0);
	CHECK_EQ(r.rflags & X86_FLAGS_ARITH, 0u);
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x84, 0x08), 0);
	CHECK_EQ(r.rflags & X86_FLAGS_ARITH, SF);
	CHECK_EQ(f->writes, 0u);
	/* F6 /2 (NOT) is not supported */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf6, 0x10), -EINVAL);

	/* xchg [rax], edx */
	f = fake_reset(0x11223344);
	r.gpr[X86_RDX] = 0xffffffffaabbccddULL;
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0x87, 0x10), 0);
	CHECK_EQ(f->reads, 1u);
	CHECK_EQ(f->writes, 1u);
	CHECK_EQ(written(f), 0xaabbccddu);
	CHECK_EQ(r.gpr[X86_RDX], 0x11223344u);
	/* lock xchg [rax], dh */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0x10, 0xf0, 0x86, 0x30), 0);
	CHECK_EQ(written(f), 0x33u);
	CHECK_EQ(r.gpr[X86_RDX], 0x11224444u);
}

TEST(kmod_x86_restartable)
{
	static const uint8_t insns[][8] = {
		{ 2, 0x8b, 0x08 },		/* mov ecx, [rax] */
		{ 2, 0x01, 0x08 },		/* add [rax], ecx */
		{ 2, 0x87, 0x08 },		/* xchg [rax], ecx */
		{ 3, 0x0f, 0xbe, 0x08 },	/* movsx ecx, byte [rax] */
		{ 2, 0x85, 0x08 },		/* test [rax], ecx */
		{ 2, 0xf3, 0xac },		/* rep lodsb */
		{ 2, 0xf3, 0xa5 },		/* rep movsd, MMIO source */
	};

	for (unsigned int i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		struct emu_fake *f = fake_reset(0x12345678);
		struct x86_emu_regs r = regs_init(), before;

		r.gpr[X86_RCX] = 5;
		r.gpr[X86_RSI] = 0x40;
		r.gpr[X86_RDI] = 0x80;
		before = r;
		f->defer = true;
		CHECK_EQ(emu(f, X86_MODE_LONG64, &r, insns[i] + 1, insns[i][0], 0x40, 0x40),
			 -EAGAIN);
		CHECK(memcmp(&r, &before, sizeof(r)) == 0);
		CHECK_EQ(f->writes + f->linear_writes, 0u);
		/* the re-run from the same state gets the value and completes */
		CHECK_EQ(emu(f, X86_MODE_LONG64, &r, insns[i] + 1, insns[i][0], 0x40, 0x40), 0);
		CHECK_EQ(f->reads, 2u);
		CHECK(memcmp(&r, &before, sizeof(r)) != 0);
	}
}

TEST(kmod_x86_unsupported)
{
	struct emu_fake *f = fake_reset(0);
	struct x86_emu_regs r = regs_init(), before = r;

	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0x0f, 0x05), -EINVAL);	/* syscall */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0x89, 0xc8), -EINVAL);	/* mov eax, ecx */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0x01, 0xc8), -EINVAL);	/* add eax, ecx */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0x05, 1, 0, 0, 0), -EINVAL); /* add eax, imm */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0xff, 0x00), -EINVAL);	/* inc [rax] */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0xa6), -EINVAL);	/* cmpsb */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0xf0, 0x89, 0x08), -EINVAL); /* lock mov */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0xc5, 0xf9, 0x7e, 0x00), -EINVAL); /* vmovd */
	CHECK_EQ(EMU(f, X86_MODE_PROT32, &r, 0, 0x40), -EINVAL);	/* inc eax */
	CHECK_EQ(EMU(f, X86_MODE_LONG64, &r, 0, 0x48), -EFAULT);	/* REX alone */
	CHECK_EQ(f->reads + f->writes, 0u);
	CHECK(memcmp(&r, &before, sizeof(r)) == 0);
	/* an x86_insn not from x86_decode */
	memset(&f->insn, 0, sizeof(f->insn));
	CHECK_EQ(x86_emulate(&f->insn, &r, 0, 0, &fake_ops, f), -EINVAL);
}

TEST(kmod_x86_truncated_and_too_long)
{
	static const uint8_t mov_imm[] = { 0x48, 0xc7, 0x84, 0x88, 0x00, 0x01, 0x00, 0x00,
					   0x78, 0x56, 0x34, 0x12 };
	uint8_t code[20];
	struct x86_insn insn;

	CHECK_EQ(x86_decode(mov_imm, sizeof(mov_imm), X86_MODE_LONG64, &insn), 12);
	for (unsigned int n = 0; n < sizeof(mov_imm); n++)
		CHECK_EQ(x86_decode(mov_imm, n, X86_MODE_LONG64, &insn), -EFAULT);
	/* 13 prefixes + 89 00 is 15 bytes: fine; one more is too long */
	memset(code, 0x66, sizeof(code));
	code[13] = 0x89;
	code[14] = 0x00;
	CHECK_EQ(x86_decode(code, sizeof(code), X86_MODE_PROT32, &insn), 15);
	CHECK_EQ(insn.op_bytes, 2);
	code[13] = 0x66;
	code[14] = 0x89;
	code[15] = 0x00;
	CHECK_EQ(x86_decode(code, sizeof(code), X86_MODE_PROT32, &insn), -EINVAL);
	CHECK_EQ(x86_decode(code, 15, X86_MODE_PROT32, &insn), -EINVAL);
	CHECK_EQ(x86_decode(code, 12, X86_MODE_PROT32, &insn), -EFAULT);
	/* REX before a legacy prefix is ignored; the last REX counts */
	CHECK_EQ(x86_decode((const uint8_t[]){ 0x48, 0x66, 0x89, 0x00 }, 4, X86_MODE_LONG64,
			    &insn),
		 4);
	CHECK_EQ(insn.op_bytes, 2);
	CHECK_EQ(x86_decode((const uint8_t[]){ 0x41, 0x48, 0x89, 0x00 }, 4, X86_MODE_LONG64,
			    &insn),
		 4);
	CHECK_EQ(insn.op_bytes, 8);
	CHECK_EQ(insn.rm_base, X86_RAX);
	/* an unknown mode */
	CHECK_EQ(x86_decode(code, 15, (enum x86_cpu_mode)7, &insn), -EINVAL);
}
