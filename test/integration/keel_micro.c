// SPDX-License-Identifier: GPL-2.0
/*
 * Micro guests on /dev/keel: one in real mode and one in 64-bit mode run to their exits
 * with the expected register values. Real mode: OUT, IN (completed by us), OUT of the
 * value read. 64-bit mode (identity-mapped with 2 MiB pages): CPUID from the table we set,
 * an MMIO write and an MMIO read (decoded by keel.ko from the guest's page tables), a
 * RDMSR/WRMSR round trip, and an OUT that ends the test. keel.ko only: dirty logging, a
 * real-mode guest writing known sets of pages, the bitmap compared page by page.
 * Prints one line per step.
 * Usage: keel-micro [bench N]: with bench, N port writes and N CPUIDs are timed instead.
 * Built a second time as kvm-micro, the same on /dev/kvm, for comparison.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifdef USE_KVM
/* The same guests on KVM (build with -DUSE_KVM): the ABIs have the same shape. */
#include <linux/kvm.h>
#define DEVICE "/dev/kvm"
#define keel_run kvm_run
#define keel_regs kvm_regs
#define keel_sregs kvm_sregs
#define keel_segment kvm_segment
#define keel_memory_region kvm_userspace_memory_region
#define keel_cpuid kvm_cpuid2
#define keel_cpuid_entry kvm_cpuid_entry2
#define KEEL_CREATE_VM KVM_CREATE_VM
#define KEEL_SET_MEMORY_REGION KVM_SET_USER_MEMORY_REGION
#define KEEL_CREATE_VCPU KVM_CREATE_VCPU
#define KEEL_GET_VCPU_MMAP_SIZE KVM_GET_VCPU_MMAP_SIZE
#define KEEL_RUN KVM_RUN
#define KEEL_GET_REGS KVM_GET_REGS
#define KEEL_SET_REGS KVM_SET_REGS
#define KEEL_GET_SREGS KVM_GET_SREGS
#define KEEL_SET_SREGS KVM_SET_SREGS
#define KEEL_SET_CPUID KVM_SET_CPUID2
#define KEEL_EXIT_IO KVM_EXIT_IO
#define KEEL_EXIT_MMIO KVM_EXIT_MMIO
#define KEEL_EXIT_IO_IN KVM_EXIT_IO_IN
#define KEEL_EXIT_IO_OUT KVM_EXIT_IO_OUT
#else
#include "kmod/uapi/keel.h"
#define DEVICE "/dev/keel"
#endif

#define MEM_SIZE 0x400000
#define CODE 0x1000
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define GDT 0x13000
#define MMIO_BASE 0xd0000000u
#define PORT_DONE 0x501

struct machine {
	int dev, vm, vcpu;
	uint8_t *mem;
	struct keel_run *run;
};

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	failures += !ok;
}

static void die(const char *what)
{
	fprintf(stderr, "keel-micro: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void machine_open(struct machine *m)
{
	struct keel_memory_region region;
	int size;

	m->dev = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (m->dev < 0)
		die("open " DEVICE);
	m->vm = ioctl(m->dev, KEEL_CREATE_VM, 0);
	if (m->vm < 0)
		die("KEEL_CREATE_VM");
	m->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED)
		die("mmap guest memory");
	region = (struct keel_memory_region){ .slot = 0, .memory_size = MEM_SIZE,
					      .userspace_addr = (uintptr_t)m->mem };
	if (ioctl(m->vm, KEEL_SET_MEMORY_REGION, &region) < 0)
		die("KEEL_SET_MEMORY_REGION");
	m->vcpu = ioctl(m->vm, KEEL_CREATE_VCPU, 0);
	if (m->vcpu < 0)
		die("KEEL_CREATE_VCPU");
	size = ioctl(m->dev, KEEL_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct keel_run))
		die("KEEL_GET_VCPU_MMAP_SIZE");
	m->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->vcpu, 0);
	if (m->run == MAP_FAILED)
		die("mmap the run structure");
}

static void machine_close(struct machine *m)
{
	munmap(m->mem, MEM_SIZE);
	close(m->vcpu);
	close(m->vm);
	close(m->dev);
}

static void run(struct machine *m)
{
	if (ioctl(m->vcpu, KEEL_RUN, 0) < 0)
		die("KEEL_RUN");
}

static uint8_t *io_data(struct machine *m)
{
	return (uint8_t *)m->run + m->run->io.data_offset;
}

static int is_io(struct machine *m, int out, uint16_t port, uint8_t size)
{
	return m->run->exit_reason == KEEL_EXIT_IO && m->run->io.direction == out &&
	       m->run->io.port == port && m->run->io.size == size && m->run->io.count == 1;
}

/*
 * After an OUT exit keel.ko has completed the instruction (RIP past it); KVM completes it
 * on the next KVM_RUN (RIP still on it).
 */
static int rip_at_out(uint64_t rip, uint64_t out_insn)
{
#ifdef USE_KVM
	return rip == out_insn;
#else
	return rip == out_insn + 1;
#endif
}

/* Real mode with CS 0, at CODE: sregs as read from the vCPU. */
static void start_real_mode(struct machine *m, struct keel_sregs *sregs)
{
	struct keel_regs regs;

	sregs->cs.selector = 0;
	sregs->cs.base = 0;
	if (ioctl(m->vcpu, KEEL_SET_SREGS, sregs) < 0)
		die("KEEL_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	if (ioctl(m->vcpu, KEEL_SET_REGS, &regs) < 0)
		die("KEEL_SET_REGS");
}

static void real_mode(void)
{
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03, /* mov $0x3f8, %dx */
		0xb0, 0x4b,       /* mov $0x4b, %al */
		0xee,             /* out %al, (%dx) */
		0x42,             /* inc %dx */
		0xec,             /* in (%dx), %al */
		0xba, 0x01, 0x05, /* mov $0x501, %dx */
		0xee,             /* out %al, (%dx) */
		0xf4,             /* hlt (not reached: the test stops at the OUT) */
	};
	struct machine m;
	struct keel_sregs sregs;
	struct keel_regs regs;

	machine_open(&m);
	memcpy(m.mem + CODE, code, sizeof(code));
	if (ioctl(m.vcpu, KEEL_GET_SREGS, &sregs) < 0)
		die("KEEL_GET_SREGS");
	check(sregs.cs.selector == 0xf000 && sregs.cs.base == 0xffff0000 && sregs.cr0 == 0x60000010,
	      "real mode: the vCPU starts at the reset state (CS F000, base FFFF0000)");
	start_real_mode(&m, &sregs);
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_OUT, 0x3f8, 1) && io_data(&m)[0] == 0x4b,
	      "real mode: OUT 0x4b to port 0x3f8");
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_IN, 0x3f9, 1), "real mode: IN from port 0x3f9");
	io_data(&m)[0] = 0xa5;
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_OUT, PORT_DONE, 1) && io_data(&m)[0] == 0xa5,
	      "real mode: the value read comes back out (0xa5 to port 0x501)");
	if (ioctl(m.vcpu, KEEL_GET_REGS, &regs) < 0)
		die("KEEL_GET_REGS");
	check(rip_at_out(regs.rip, CODE + 11) && (regs.rax & 0xff) == 0xa5 && regs.rdx == PORT_DONE,
	      "real mode: RIP at the last OUT, AL 0xa5, DX 0x501");
	machine_close(&m);
}

static void set_seg64(struct keel_segment *s, uint16_t sel, int code)
{
	*s = (struct keel_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				    .type = code ? 0xb : 0x3, .present = 1, .s = 1,
				    .l = code, .db = !code, .g = 1 };
}

/* Identity map of the first 4 GiB with 2 MiB pages, a flat GDT, long mode on. */
static void long_mode_setup(struct machine *m)
{
	uint64_t *pml4 = (uint64_t *)(m->mem + PML4), *pdpt = (uint64_t *)(m->mem + PDPT);
	uint64_t *pd = (uint64_t *)(m->mem + PD);
	struct keel_sregs sregs;

	pml4[0] = PDPT | 3;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (PD + 0x1000 * i) | 3;
	for (int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	if (ioctl(m->vcpu, KEEL_GET_SREGS, &sregs) < 0)
		die("KEEL_GET_SREGS");
	set_seg64(&sregs.cs, 0x8, 1);
	set_seg64(&sregs.ds, 0x10, 0);
	set_seg64(&sregs.es, 0x10, 0);
	set_seg64(&sregs.ss, 0x10, 0);
	set_seg64(&sregs.fs, 0x10, 0);
	set_seg64(&sregs.gs, 0x10, 0);
	sregs.gdt.base = GDT;
	sregs.gdt.limit = 23;
	sregs.cr0 = 0x80050033; /* PG, AM, WP, NE, ET, MP, PE */
	sregs.cr3 = PML4;
	sregs.cr4 = 0x20; /* PAE */
	sregs.efer = 0x500; /* LME, LMA */
	if (ioctl(m->vcpu, KEEL_SET_SREGS, &sregs) < 0)
		die("KEEL_SET_SREGS (long mode)");
}

static void long_mode(void)
{
	static const uint8_t code[] = {
		0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* mov $0x1122..88, %rax */
		0xe6, 0x80,                         /* out %al, $0x80 */
		0x31, 0xc0,                         /* xor %eax, %eax */
		0x0f, 0xa2,                         /* cpuid */
		0xbe, 0x00, 0x00, 0x00, 0xd0,       /* mov $0xd0000000, %esi */
		0xc7, 0x46, 0x08, 0xef, 0xbe, 0xad, 0xde, /* movl $0xdeadbeef, 8(%rsi) */
		0x44, 0x8b, 0x46, 0x10,             /* mov 0x10(%rsi), %r8d */
		0xb9, 0x77, 0x02, 0x00, 0x00,       /* mov $0x277, %ecx (PAT) */
		0x0f, 0x32,                         /* rdmsr */
		0x66, 0xba, 0x01, 0x05,             /* mov $0x501, %dx */
		0xee,                               /* out %al, (%dx) */
		0xf4,
	};
	struct keel_cpuid_entry leaf0 = { .function = 0, .eax = 0xd, .ebx = 0x6c65654b,
					  .ecx = 0x2e2e2e2e, .edx = 0x2e2e2e2e };
	struct {
		struct keel_cpuid head;
		struct keel_cpuid_entry e[1];
	} cpuid = { .head = { .nent = 1 }, .e = { leaf0 } };
	struct machine m;
	struct keel_regs regs;

	machine_open(&m);
	memcpy(m.mem + CODE, code, sizeof(code));
	long_mode_setup(&m);
	if (ioctl(m.vcpu, KEEL_SET_CPUID, &cpuid) < 0)
		die("KEEL_SET_CPUID");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	regs.rsp = 0x200000;
	if (ioctl(m.vcpu, KEEL_SET_REGS, &regs) < 0)
		die("KEEL_SET_REGS");
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_OUT, 0x80, 1) && io_data(&m)[0] == 0x88,
	      "64-bit: OUT %al (0x88) to port 0x80");
	run(&m);
	check(m.run->exit_reason == KEEL_EXIT_MMIO && m.run->mmio.is_write &&
	      m.run->mmio.phys_addr == MMIO_BASE + 8 && m.run->mmio.len == 4 &&
	      !memcmp(m.run->mmio.data, "\xef\xbe\xad\xde", 4),
	      "64-bit: MMIO write of 0xdeadbeef, 4 bytes at 0xd0000008");
	run(&m);
	check(m.run->exit_reason == KEEL_EXIT_MMIO && !m.run->mmio.is_write &&
	      m.run->mmio.phys_addr == MMIO_BASE + 0x10 && m.run->mmio.len == 4,
	      "64-bit: MMIO read, 4 bytes at 0xd0000010");
	memcpy(m.run->mmio.data, "\x78\x56\x34\x12", 4);
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_OUT, PORT_DONE, 1), "64-bit: the guest reaches its last OUT");
	if (ioctl(m.vcpu, KEEL_GET_REGS, &regs) < 0)
		die("KEEL_GET_REGS");
	check(regs.rbx == 0x6c65654b && regs.rcx == 0x277 /* RDMSR keeps ECX */,
	      "64-bit: CPUID leaf 0 answered from our table (EBX 'Keel')");
	check(regs.r8 == 0x12345678, "64-bit: the MMIO read landed in %r8d (0x12345678)");
	check(regs.rax == 0x00070406 && (regs.rdx >> 16) == 0x0007 /* DX was set after */,
	      "64-bit: RDMSR of PAT gives the power-on value 0x0007040600070406");
	check(rip_at_out(regs.rip, CODE + sizeof(code) - 2), "64-bit: RIP at the last OUT");
	machine_close(&m);
}

/* REP OUTSB of "abc" and REP INSB of two bytes, however many elements each exit carries. */
static void string_io(void)
{
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc6, 0x00, 0x30, 0x00, 0x00, /* mov $0x3000, %rsi */
		0x48, 0xc7, 0xc7, 0x00, 0x31, 0x00, 0x00, /* mov $0x3100, %rdi */
		0x48, 0xc7, 0xc1, 0x03, 0x00, 0x00, 0x00, /* mov $3, %rcx */
		0x66, 0xba, 0xf8, 0x03,                   /* mov $0x3f8, %dx */
		0xf3, 0x6e,                               /* rep outsb */
		0x48, 0xc7, 0xc1, 0x02, 0x00, 0x00, 0x00, /* mov $2, %rcx */
		0xf3, 0x6c,                               /* rep insb */
		0x66, 0xba, 0x01, 0x05,                   /* mov $0x501, %dx */
		0xee,                                     /* out %al, (%dx) */
		0xf4,
	};
	struct machine m;
	struct keel_regs regs;
	char out[8] = "";
	unsigned int nout = 0, nin = 0;

	machine_open(&m);
	memcpy(m.mem + CODE, code, sizeof(code));
	memcpy(m.mem + 0x3000, "abc", 3);
	long_mode_setup(&m);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	regs.rsp = 0x200000;
	if (ioctl(m.vcpu, KEEL_SET_REGS, &regs) < 0)
		die("KEEL_SET_REGS");
	for (int exits = 0; exits < 16; exits++) {
		run(&m);
		if (m.run->exit_reason != KEEL_EXIT_IO || m.run->io.port == PORT_DONE)
			break;
		if (m.run->io.direction == KEEL_EXIT_IO_OUT) {
			for (unsigned int i = 0; i < m.run->io.count && nout < 7; i++)
				out[nout++] = io_data(&m)[i];
		} else {
			for (unsigned int i = 0; i < m.run->io.count; i++, nin++)
				io_data(&m)[i] = 'x' + nin;
		}
	}
	check(!strcmp(out, "abc"), "string I/O: REP OUTSB sends \"abc\" to port 0x3f8");
	check(nin == 2 && !memcmp(m.mem + 0x3100, "xy", 2),
	      "string I/O: REP INSB stores two bytes read from the port");
	if (ioctl(m.vcpu, KEEL_GET_REGS, &regs) < 0)
		die("KEEL_GET_REGS");
	check(regs.rsi == 0x3003 && regs.rdi == 0x3102 && regs.rcx == 0,
	      "string I/O: RSI, RDI and RCX after both");
	machine_close(&m);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* N port writes to userspace, then N CPUIDs in the kernel; ns per exit for each. */
static void bench(long n)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xd9,       /* 1000: mov %rbx, %rcx */
		0xe6, 0x80,             /* 1003: out %al, $0x80 */
		0x48, 0xff, 0xc9,       /* dec %rcx */
		0x75, 0xf9,             /* jnz 1003 */
		0xe6, 0x81,             /* out %al, $0x81: phase marker */
		0x48, 0x89, 0xd9,       /* mov %rbx, %rcx */
		0x51,                   /* 100f: push %rcx */
		0x31, 0xc0,             /* xor %eax, %eax */
		0x0f, 0xa2,             /* cpuid */
		0x59,                   /* pop %rcx */
		0x48, 0xff, 0xc9,       /* dec %rcx */
		0x75, 0xf5,             /* jnz 100f */
		0xe6, 0x82,             /* out %al, $0x82: done */
		0xf4,
	};
	struct machine m;
	struct keel_regs regs;
	double t0, t1, t2;
	long outs = 0;

	machine_open(&m);
	memcpy(m.mem + CODE, code, sizeof(code));
	long_mode_setup(&m);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	regs.rsp = 0x200000;
	regs.rbx = n;
	if (ioctl(m.vcpu, KEEL_SET_REGS, &regs) < 0)
		die("KEEL_SET_REGS");
	t0 = now();
	for (;;) {
		run(&m);
		if (m.run->exit_reason != KEEL_EXIT_IO)
			die("bench: unexpected exit");
		if (m.run->io.port == 0x80)
			outs++;
		else
			break;
	}
	t1 = now();
	run(&m);
	t2 = now();
	if (m.run->exit_reason != KEEL_EXIT_IO || m.run->io.port != 0x82 || outs != n) {
		fprintf(stderr, "keel-micro: bench ended wrongly (%ld port writes)\n", outs);
		exit(1);
	}
	printf("BENCH port_write_ns=%.0f cpuid_ns=%.0f n=%ld\n", (t1 - t0) * 1e9 / n,
	       (t2 - t1) * 1e9 / n, n);
	machine_close(&m);
}

#ifndef USE_KVM
/* Real-mode code writing one byte to each page of pages[], then OUT to PORT_DONE. */
static size_t emit_page_writes(uint8_t *code, const uint16_t *pages, int n)
{
	size_t at = 0;

	for (int i = 0; i < n; i++) {
		uint16_t seg = pages[i] << 8;
		const uint8_t insn[] = {
			0xb8, seg & 0xff, seg >> 8,               /* mov $seg, %ax */
			0x8e, 0xc0,                               /* mov %ax, %es */
			0x26, 0xc6, 0x06, 0x00, 0x00, 0x01,       /* movb $1, %es:0 */
		};

		memcpy(code + at, insn, sizeof(insn));
		at += sizeof(insn);
	}
	memcpy(code + at, (const uint8_t[]){ 0xba, 0x01, 0x05, 0xee }, 4); /* out to 0x501 */
	return at + 4;
}

/* Compares the slot's dirty bitmap with want[]: misses fail, extra pages are counted. */
static void expect_dirty(struct machine *m, const uint16_t *want, int n, const char *what)
{
	static uint64_t bitmap[MEM_SIZE / 4096 / 64];
	struct keel_dirty_log log = { .slot = 0, .bitmap = (uintptr_t)bitmap };
	int missed = 0, extra = 0, total = 0;
	char line[160];

	memset(bitmap, 0xff, sizeof(bitmap));
	if (ioctl(m->vm, KEEL_GET_DIRTY_LOG, &log) < 0)
		die("KEEL_GET_DIRTY_LOG");
	for (int p = 0; p < MEM_SIZE / 4096; p++) {
		int set = (bitmap[p / 64] >> (p % 64)) & 1, wanted = 0;

		for (int i = 0; i < n; i++)
			wanted |= want[i] == p;
		missed += wanted && !set;
		extra += set && !wanted;
		total += set;
	}
	snprintf(line, sizeof(line), "dirty log: %s: %d pages logged, %d written, %d missed, "
		 "%d false positives", what, total, n, missed, extra);
	check(!missed && !extra, line);
}

static void dirty_log(void)
{
	/* Real mode reaches the first MiB: pages below 0x100. */
	static const uint16_t before[] = { 0x22, 0x60, 0xc0, 0xf1 };
	static const uint16_t round1[] = { 0x20, 0x21, 0x25, 0x40, 0x60, 0x7f, 0x80, 0xc0, 0xff };
	static const uint16_t round2[] = { 0x21, 0x30, 0x31, 0x50, 0xf1 };
	struct keel_memory_region region = { .slot = 0, .memory_size = MEM_SIZE };
	struct keel_dirty_log log = { .slot = 0 };
	struct keel_sregs sregs;
	struct machine m;
	size_t at = CODE;
	uint64_t bitmap[MEM_SIZE / 4096 / 64];

	machine_open(&m);
	region.userspace_addr = (uintptr_t)m.mem;
	at += emit_page_writes(m.mem + at, before, 4);
	at += emit_page_writes(m.mem + at, round1, 9);
	emit_page_writes(m.mem + at, round2, 5);
	if (ioctl(m.vcpu, KEEL_GET_SREGS, &sregs) < 0)
		die("KEEL_GET_SREGS");
	start_real_mode(&m, &sregs);
	log.bitmap = (uintptr_t)bitmap;
	check(ioctl(m.vm, KEEL_GET_DIRTY_LOG, &log) < 0 && errno == ENOENT,
	      "dirty log: GET_DIRTY_LOG without logging is refused (ENOENT)");
	run(&m);	/* pages mapped before logging, 2 MiB leaves where THP backs them */
	check(is_io(&m, KEEL_EXIT_IO_OUT, PORT_DONE, 1), "dirty log: the guest wrote 4 pages");
	region.flags = KEEL_MEM_LOG_DIRTY_PAGES;
	check(ioctl(m.vm, KEEL_SET_MEMORY_REGION, &region) == 0,
	      "dirty log: logging turned on with the vCPU there");
	expect_dirty(&m, NULL, 0, "right after turning it on");
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_OUT, PORT_DONE, 1), "dirty log: the guest wrote 9 pages");
	expect_dirty(&m, round1, 9, "round 1");
	run(&m);
	check(is_io(&m, KEEL_EXIT_IO_OUT, PORT_DONE, 1), "dirty log: the guest wrote 5 pages");
	expect_dirty(&m, round2, 5, "round 2 (pages of round 1 write-protected again)");
	expect_dirty(&m, NULL, 0, "again with no guest run");
	region.flags = 0;
	check(ioctl(m.vm, KEEL_SET_MEMORY_REGION, &region) == 0, "dirty log: logging turned off");
	check(ioctl(m.vm, KEEL_GET_DIRTY_LOG, &log) < 0 && errno == ENOENT,
	      "dirty log: GET_DIRTY_LOG after logging is refused (ENOENT)");
	machine_close(&m);
}

/* ---- Dirty logging while two vCPUs write all the time ---- */

#define SPIN_VCPUS	2
#define SPIN_PAGES	16	/* per vCPU, from page 0x20 + 0x20 * vCPU */
#define SPIN_ROUNDS	100

struct spinner {
	int fd;
	struct keel_run *run;
	pthread_t thread;
	volatile int stop;
};

static void spin_signal(int sig)
{
}

static void *spin_vcpu(void *arg)
{
	struct spinner *s = arg;

	while (!s->stop) {
		ioctl(s->fd, KEEL_RUN, 0);	/* no exits but signals: the guest only loops */
		s->run->immediate_exit = 0;
	}
	return NULL;
}

/* Real mode at code: increment the first byte of each of n pages from first, forever. */
static void emit_spin_loop(uint8_t *code, uint16_t first, int n)
{
	size_t at = 0;

	for (int i = 0; i < n; i++) {
		uint16_t seg = (first + i) << 8;
		const uint8_t insn[] = {
			0xb8, seg & 0xff, seg >> 8,               /* mov $seg, %ax */
			0x8e, 0xc0,                               /* mov %ax, %es */
			0x26, 0xfe, 0x06, 0x00, 0x00,             /* incb %es:0 */
		};

		memcpy(code + at, insn, sizeof(insn));
		at += sizeof(insn);
	}
	code[at] = 0xe9;                                          /* jmp to the start */
	code[at + 1] = (uint8_t)(-(int)(at + 3));
	code[at + 2] = (uint8_t)((-(int)(at + 3)) >> 8);
}

static void snapshot(const struct machine *m, uint8_t *out)
{
	for (int v = 0; v < SPIN_VCPUS; v++)
		for (int i = 0; i < SPIN_PAGES; i++)
			out[v * SPIN_PAGES + i] = __atomic_load_n(&m->mem[(0x20 + 0x20 * v + i) * 4096],
								  __ATOMIC_RELAXED);
}

/*
 * A page whose byte changed between the snapshot after one GET_DIRTY_LOG and the snapshot
 * before the next was written in between: the next bitmap must name it.
 */
static void dirty_log_concurrent(void)
{
	struct keel_memory_region region = { .slot = 0, .memory_size = MEM_SIZE,
					     .flags = KEEL_MEM_LOG_DIRTY_PAGES };
	static uint64_t bitmap[MEM_SIZE / 4096 / 64];
	struct keel_dirty_log log = { .slot = 0, .bitmap = (uintptr_t)bitmap };
	uint8_t after[SPIN_VCPUS * SPIN_PAGES], before[SPIN_VCPUS * SPIN_PAGES];
	struct sigaction sa = { .sa_handler = spin_signal };
	struct spinner spin[SPIN_VCPUS];
	struct keel_mp_state runnable = { KEEL_MP_STATE_RUNNABLE };
	long changed = 0, missed = 0, extra = 0;
	struct keel_sregs sregs;
	struct keel_regs regs;
	struct machine m;
	char line[200];

	sigaction(SIGUSR1, &sa, NULL);
	machine_open(&m);
	region.userspace_addr = (uintptr_t)m.mem;
	if (ioctl(m.vm, KEEL_SET_MEMORY_REGION, &region) < 0)
		die("KEEL_SET_MEMORY_REGION with dirty logging");
	for (int v = 0; v < SPIN_VCPUS; v++) {
		spin[v].fd = v ? ioctl(m.vm, KEEL_CREATE_VCPU, v) : m.vcpu;
		if (spin[v].fd < 0)
			die("KEEL_CREATE_VCPU");
		spin[v].run = v ? mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				       spin[v].fd, 0) : m.run;
		if (spin[v].run == MAP_FAILED)
			die("mmap the run structure");
		spin[v].stop = 0;
		emit_spin_loop(m.mem + CODE + 0x200 * v, 0x20 + 0x20 * v, SPIN_PAGES);
		if (ioctl(spin[v].fd, KEEL_SET_MP_STATE, &runnable) < 0 ||
		    ioctl(spin[v].fd, KEEL_GET_SREGS, &sregs) < 0)
			die("vCPU setup");
		sregs.cs.selector = 0;
		sregs.cs.base = 0;
		memset(&regs, 0, sizeof(regs));
		regs.rip = CODE + 0x200 * v;
		regs.rflags = 2;
		if (ioctl(spin[v].fd, KEEL_SET_SREGS, &sregs) < 0 ||
		    ioctl(spin[v].fd, KEEL_SET_REGS, &regs) < 0)
			die("vCPU registers");
		pthread_create(&spin[v].thread, NULL, spin_vcpu, &spin[v]);
	}
	if (ioctl(m.vm, KEEL_GET_DIRTY_LOG, &log) < 0)
		die("KEEL_GET_DIRTY_LOG");
	for (int round = 0; round < SPIN_ROUNDS; round++) {
		snapshot(&m, after);
		usleep(2000);
		snapshot(&m, before);
		if (ioctl(m.vm, KEEL_GET_DIRTY_LOG, &log) < 0)
			die("KEEL_GET_DIRTY_LOG");
		for (int v = 0; v < SPIN_VCPUS; v++) {
			for (int i = 0; i < SPIN_PAGES; i++) {
				int page = 0x20 + 0x20 * v + i, k = v * SPIN_PAGES + i;
				int logged = (bitmap[page / 64] >> (page % 64)) & 1;

				changed += before[k] != after[k];
				missed += before[k] != after[k] && !logged;
				extra += before[k] == after[k] && logged;
			}
		}
	}
	for (int v = 0; v < SPIN_VCPUS; v++) {
		spin[v].stop = 1;
		spin[v].run->immediate_exit = 1;
		pthread_kill(spin[v].thread, SIGUSR1);
		pthread_join(spin[v].thread, NULL);
		if (v)
			close(spin[v].fd);
	}
	snprintf(line, sizeof(line), "dirty log, %d vCPUs writing all the time, %d rounds: "
		 "%ld page changes seen, %ld missed, %ld logged without a change seen",
		 SPIN_VCPUS, SPIN_ROUNDS, changed, missed, extra);
	check(changed > 0 && !missed, line);
	machine_close(&m);
}
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "bench")) {
		bench(atol(argv[2]));
		return 0;
	}
	real_mode();
	long_mode();
	string_io();
#ifndef USE_KVM
	dirty_log();
	dirty_log_concurrent();
#endif
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
