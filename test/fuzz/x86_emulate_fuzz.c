// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: keel.ko's x86 decoder and MMIO emulator (kmod/x86/emulate.c) on arbitrary
 * instruction bytes, register state and memory. Input: an options byte (CPU mode, which
 * callbacks fail or defer, which MOVS operand faulted), the registers (4 bytes each,
 * sign-extended), how many instruction bytes are available, 15 instruction bytes, then the
 * values MMIO reads return and the RAM behind read_linear/write_linear. Besides memory
 * safety it checks the contract: lengths, determinism, no change on error, restartability.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/x86/emulate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM 256

struct fuzz_in {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t in_byte(struct fuzz_in *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint64_t in_sext32(struct fuzz_in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)in_byte(in) << (8 * i);
	return (uint64_t)(int64_t)(int32_t)v;
}

struct fuzz_ctx {
	struct fuzz_in *mmio_data;
	bool defer, fail_read_linear, fail_write_linear, fail_mmio_write;
	unsigned int mmio_reads, mmio_writes, linear_reads, linear_writes;
	uint8_t ram[FUZZ_RAM];
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_size(unsigned int size)
{
	check(size == 1 || size == 2 || size == 4 || size == 8);
}

static int fz_mmio_read(void *opaque, u64 gpa, void *val, unsigned int size)
{
	struct fuzz_ctx *c = opaque;
	uint8_t *v = val;

	check_size(size);
	c->mmio_reads++;
	if (c->defer)
		return -EAGAIN;
	for (unsigned int i = 0; i < size; i++)
		v[i] = in_byte(c->mmio_data);
	return 0;
}

static int fz_mmio_write(void *opaque, u64 gpa, const void *val, unsigned int size)
{
	struct fuzz_ctx *c = opaque;
	volatile uint8_t sink = 0;

	check_size(size);
	c->mmio_writes++;
	for (unsigned int i = 0; i < size; i++)
		sink ^= ((const uint8_t *)val)[i];
	(void)sink;
	return c->fail_mmio_write ? -EIO : 0;
}

static int fz_read_linear(void *opaque, u64 la, void *val, unsigned int size)
{
	struct fuzz_ctx *c = opaque;

	check_size(size);
	c->linear_reads++;
	if (c->fail_read_linear)
		return -EFAULT;
	memcpy(val, c->ram + la % (FUZZ_RAM - 8), size);
	return 0;
}

static int fz_write_linear(void *opaque, u64 la, const void *val, unsigned int size)
{
	struct fuzz_ctx *c = opaque;

	check_size(size);
	c->linear_writes++;
	if (c->fail_write_linear)
		return -EFAULT;
	memcpy(c->ram + la % (FUZZ_RAM - 8), val, size);
	return 0;
}

static const struct x86_emu_ops fz_ops = {
	fz_mmio_read, fz_mmio_write, fz_read_linear, fz_write_linear,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct x86_emu_regs regs, before;
	struct x86_insn insn, again;
	struct fuzz_ctx ctx;
	enum x86_cpu_mode mode;
	uint8_t code[X86_MAX_INSN_LEN], opt, la_choice;
	unsigned int avail;
	u64 la, src_la, dst_la, rip_next;
	int len, ret;

	memset(&ctx, 0, sizeof(ctx));
	opt = in_byte(&in);
	mode = (enum x86_cpu_mode)(opt & 3);
	ctx.defer = opt & 0x04;
	ctx.fail_read_linear = opt & 0x08;
	ctx.fail_write_linear = opt & 0x10;
	ctx.fail_mmio_write = (opt & 0xe0) == 0xe0;
	la_choice = (opt >> 5) & 3;
	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < 16; i++)
		regs.gpr[i] = in_sext32(&in);
	regs.rip = in_sext32(&in);
	regs.rflags = (in_byte(&in) | (uint64_t)in_byte(&in) << 8) | 2;
	for (int i = 0; i < 6; i++)
		regs.seg_base[i] = in_sext32(&in);
	avail = in_byte(&in) % (X86_MAX_INSN_LEN + 2);
	for (int i = 0; i < X86_MAX_INSN_LEN; i++)
		code[i] = in_byte(&in);
	for (int i = 0; i < FUZZ_RAM; i++)
		ctx.ram[i] = in_byte(&in);
	ctx.mmio_data = &in;
	if (avail > X86_MAX_INSN_LEN)
		avail = X86_MAX_INSN_LEN;

	/* The decoder: a length within what it had, the same answer with exactly that. */
	len = x86_decode(code, avail, mode, &insn);
	check(len == -EINVAL || len == -EFAULT || (len >= 1 && (unsigned int)len <= avail));
	if (len == -EFAULT)
		check(avail < X86_MAX_INSN_LEN);
	if (len < 0)
		return 0;
	check(insn.len == len);
	check(x86_decode(code, len, mode, &again) == len);
	check(memcmp(&insn, &again, sizeof(insn)) == 0);
	check(x86_decode(code, len - 1, mode, &again) == -EFAULT);

	/* The faulting operand's linear address: for MOVS one of the two, or neither. */
	la = 0x1000;
	if (x86_string_addrs(&insn, &regs, &src_la, &dst_la) == 0)
		la = la_choice == 0 ? src_la : la_choice == 1 ? dst_la : la_choice == 2 ? 0 : la;
	else
		check(x86_mem_addr(&insn, &regs, &la) == 0);

	rip_next = regs.rip + len;
	if (mode != X86_MODE_LONG64)
		rip_next &= 0xffffffff;
	before = regs;
	ret = x86_emulate(&insn, &regs, 0xfee00000, la, &fz_ops, &ctx);
	check(ctx.mmio_reads + ctx.linear_reads <= 1);
	check(ctx.mmio_writes + ctx.linear_writes <= 1);
	if (ret) {
		check(memcmp(&regs, &before, sizeof(regs)) == 0);
		check(ret == -EAGAIN || ret == -EINVAL || ret == -EFAULT || ret == -EIO);
		if (ret == -EAGAIN) {
			check(ctx.defer && ctx.mmio_writes + ctx.linear_writes == 0);
			/* restart: the value is there now */
			ctx.defer = false;
			ctx.mmio_reads = ctx.mmio_writes = ctx.linear_reads = ctx.linear_writes = 0;
			check(x86_decode(code, avail, mode, &again) == len);
			ret = x86_emulate(&again, &regs, 0xfee00000, la, &fz_ops, &ctx);
			check(ret != -EAGAIN);
			if (ret)
				check(memcmp(&regs, &before, sizeof(regs)) == 0);
		}
	}
	if (ret == 0) {
		check(regs.rip == rip_next ||
		      (regs.rip == before.rip && (insn.flags & X86_INSN_REP)));
		check((regs.rflags & ~X86_FLAGS_ARITH) == (before.rflags & ~X86_FLAGS_ARITH));
		check(ctx.mmio_reads + ctx.mmio_writes >= 1 || (insn.flags & X86_INSN_REP));
	}
	return 0;
}
