// SPDX-License-Identifier: GPL-2.0
/*
 * Feeds bad arguments to every /dev/keel ioctl and checks the errors: nothing a caller
 * passes may do more than fail. Prints one line per check; exit 0 when all hold.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod/uapi/keel.h"

#define BAD_PTR ((void *)16)

static int failures;

/* The ioctl must fail with want. */
static void expect_err(int ret, int want, const char *what)
{
	int ok = ret < 0 && errno == want;

	printf("%s: %s (%s)\n", ok ? "ok" : "FAILED", what,
	       ret < 0 ? strerror(errno) : "succeeded");
	failures += !ok;
}

static void expect_ok(int ret, const char *what)
{
	printf("%s: %s%s%s\n", ret >= 0 ? "ok" : "FAILED", what, ret < 0 ? ": " : "",
	       ret < 0 ? strerror(errno) : "");
	failures += ret < 0;
}

static int region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	struct keel_memory_region r = { slot, flags, gpa, size, (uintptr_t)hva };

	return ioctl(vm, KEEL_SET_MEMORY_REGION, &r);
}

/* XSAVE images a restore may bring: any component the host has, never an oops. */
static void xsave_checks(int vcpu)
{
	static struct keel_xsave x;
	uint64_t *bv = (uint64_t *)((uint8_t *)x.region + 512);

	unsigned a, b, c, d;

	expect_ok(ioctl(vcpu, KEEL_GET_XSAVE, &x), "GET_XSAVE");
	/* Where the host uses protection keys its XSAVE images carry PKRU; guests have none. */
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 4))) {
		bv[0] |= 3 | 1ull << 9;
		expect_ok(ioctl(vcpu, KEEL_SET_XSAVE, &x), "SET_XSAVE with the PKRU component");
	}
	bv[0] = ~0ull;
	expect_err(ioctl(vcpu, KEEL_SET_XSAVE, &x), EINVAL, "SET_XSAVE with every component");
	bv[0] = 3;
	bv[1] = 1ull << 63 | 3; /* the compacted format */
	expect_err(ioctl(vcpu, KEEL_SET_XSAVE, &x), EINVAL, "SET_XSAVE in the compacted format");
}

static int msr_io(int vcpu, uint32_t index, uint64_t *value, bool set)
{
	struct {
		struct keel_msrs head;
		struct keel_msr_entry e;
	} m = { { 1, 0 }, { .index = index, .data = *value } };
	int ret = ioctl(vcpu, set ? KEEL_SET_MSRS : KEEL_GET_MSRS, &m);

	*value = m.e.data;
	return ret == 1 ? 0 : -1;
}

/* x2APIC through the MSRs (as a guest's RDMSR/WRMSR reach them): mode switch, ID, LDR, TPR. */
static void x2apic_checks(int vcpu)
{
	uint64_t v = 0;

	expect_err(msr_io(vcpu, 0x808, &v, false) ? (errno = EINVAL, -1) : 0, EINVAL,
		   "x2APIC TPR MSR while in xAPIC mode");
	v = 0xfee00000 | 1u << 10;
	expect_err(msr_io(vcpu, 0x1b, &v, true) ? (errno = EINVAL, -1) : 0, EINVAL,
		   "APIC base: x2APIC without the APIC enabled");
	v = 0xfee00000 | 1u << 11 | 1u << 10;
	expect_ok(msr_io(vcpu, 0x1b, &v, true), "APIC base: enable x2APIC");
	v = 0;
	expect_ok(msr_io(vcpu, 0x802, &v, false) || v != 1 ? -1 : 0, "x2APIC ID MSR reads vCPU 1");
	v = 0;
	expect_ok(msr_io(vcpu, 0x80d, &v, false) || v != 2 ? -1 : 0,
		  "x2APIC LDR: cluster 0, bit 1");
	v = 0x20;
	expect_ok(msr_io(vcpu, 0x808, &v, true), "x2APIC TPR write");
	v = 0;
	expect_ok(msr_io(vcpu, 0x808, &v, false) || v != 0x20 ? -1 : 0, "x2APIC TPR reads back");
	v = 1ull << 32;
	expect_err(msr_io(vcpu, 0x808, &v, true) ? (errno = EINVAL, -1) : 0, EINVAL,
		   "x2APIC TPR write with high bits");
	v = 0xfee00000 | 1u << 11;
	expect_err(msr_io(vcpu, 0x1b, &v, true) ? (errno = EINVAL, -1) : 0, EINVAL,
		   "APIC base: x2APIC back to xAPIC without disabling");
}

/* XCR0: x87 always, AVX only with SSE, nothing the FPU state lacks, reserved words zero. */
static void xcr_checks(int vcpu)
{
	struct keel_xcrs x;

	expect_ok(ioctl(vcpu, KEEL_GET_XCRS, &x), "GET_XCRS");
	expect_ok(x.xcr0 == 1 ? 0 : -1, "XCR0 is x87 only after creation");
	x.xcr0 = 0;
	expect_err(ioctl(vcpu, KEEL_SET_XCRS, &x), EINVAL, "SET_XCRS without x87");
	x.xcr0 = 1 | 4;
	expect_err(ioctl(vcpu, KEEL_SET_XCRS, &x), EINVAL, "SET_XCRS with AVX but no SSE");
	x.xcr0 = 1ull << 62 | 1;
	expect_err(ioctl(vcpu, KEEL_SET_XCRS, &x), EINVAL, "SET_XCRS with an unknown feature");
	x.xcr0 = 3;
	x.reserved[1] = 1;
	expect_err(ioctl(vcpu, KEEL_SET_XCRS, &x), EINVAL, "SET_XCRS with a reserved word set");
	x.reserved[1] = 0;
	expect_ok(ioctl(vcpu, KEEL_SET_XCRS, &x), "SET_XCRS x87 and SSE");
	expect_ok(ioctl(vcpu, KEEL_GET_XCRS, &x) || x.xcr0 != 3 ? -1 : 0, "XCR0 reads back");
	x.xcr0 = 1;
	ioctl(vcpu, KEEL_SET_XCRS, &x);
}

/* The VM clock: read any time; set only before the first vCPU; flags checked. */
static void clock_checks(int dev, int vm_with_vcpu)
{
	struct keel_clock c, back;
	int vm;

	expect_ok(ioctl(vm_with_vcpu, KEEL_GET_CLOCK, &c), "GET_CLOCK");
	expect_err(ioctl(vm_with_vcpu, KEEL_SET_CLOCK, &c), EBUSY, "SET_CLOCK with a vCPU");
	expect_err(ioctl(vm_with_vcpu, KEEL_GET_CLOCK, BAD_PTR), EFAULT, "GET_CLOCK to a bad pointer");
	vm = ioctl(dev, KEEL_CREATE_VM, 0);
	expect_ok(vm, "create a second VM");
	c.flags = 2;
	expect_err(ioctl(vm, KEEL_SET_CLOCK, &c), EINVAL, "SET_CLOCK with an unknown flag");
	c.flags = 0;
	c.pad = 1;
	expect_err(ioctl(vm, KEEL_SET_CLOCK, &c), EINVAL, "SET_CLOCK with padding set");
	c.pad = 0;
	c.flags = KEEL_CLOCK_REALTIME;
	c.realtime_ns -= 20ull * 365 * 24 * 3600 * 1000000000ull;
	expect_err(ioctl(vm, KEEL_SET_CLOCK, &c), EINVAL, "SET_CLOCK saved 20 years ago");
	c.flags = 0;
	c.tsc = 1ull << 40;
	c.ns = 1ull << 50;
	expect_ok(ioctl(vm, KEEL_SET_CLOCK, &c), "SET_CLOCK on a new VM");
	expect_ok(ioctl(vm, KEEL_GET_CLOCK, &back), "GET_CLOCK after SET_CLOCK");
	expect_ok(back.tsc >= c.tsc && back.tsc - c.tsc < (1ull << 36) &&
		  back.ns >= c.ns && back.ns - c.ns < 10000000000ull ? 0 : -1,
		  "the clock carries on from the set TSC and time");
	close(vm);
}

int main(void)
{
	struct {
		struct keel_cpuid head;
		struct keel_cpuid_entry e[2];
	} cpuid = { .head = { .nent = 1 } };
	struct keel_msrs msrs = { .nmsrs = 100000 };
	struct keel_interrupt irq = { .irq = 256 };
	struct {
		struct keel_msrs head;
		struct keel_msr_entry e;
	} apic_msr;
	struct keel_lapic_state lapic;
	struct keel_msi msi = { 0 };
	struct keel_mp_state mp;
	struct keel_vcpu_events events;
	struct keel_irqfd irqfd = { 0 };
	struct keel_ioeventfd ioev = { 0 };
	int efd;
	struct keel_sregs sregs;
	struct keel_regs regs;
	int dev, vm, vcpu, ap, status;
	uint8_t *mem;
	void *run;
	pid_t child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/keel", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("keel-ioctl: open /dev/keel");
		return 1;
	}
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	expect_err(ioctl(dev, KEEL_GET_API_VERSION, 1), EINVAL, "/dev/keel: version with an argument");
	expect_err(ioctl(dev, KEEL_CREATE_VM, 1), EINVAL, "/dev/keel: CREATE_VM with an argument");
	expect_err(ioctl(dev, _IO(KEEL_IOCTL_TYPE, 0x7f), 0), ENOTTY, "/dev/keel: unknown ioctl");
	expect_err(ioctl(dev, KEEL_GET_SUPPORTED_CPUID, &cpuid), E2BIG,
		   "/dev/keel: supported CPUID into one entry");
	expect_err(ioctl(dev, KEEL_GET_SUPPORTED_CPUID, BAD_PTR), EFAULT,
		   "/dev/keel: supported CPUID at a bad pointer");
	expect_ok(ioctl(dev, KEEL_CHECK_CAP, 999), "/dev/keel: an unknown capability reads 0");

	vm = ioctl(dev, KEEL_CREATE_VM, 0);
	expect_ok(vm, "create a VM");
	expect_err(region(vm, 1000, 0, 0, 4096, mem), EINVAL, "slot out of range");
	expect_err(region(vm, 0, 0x80, 0, 4096, mem), EINVAL, "unknown slot flag");
	expect_err(region(vm, 0, 0, 0x800, 4096, mem), EINVAL, "unaligned guest address");
	expect_err(region(vm, 0, 0, 0, 4095, mem), EINVAL, "unaligned size");
	expect_err(region(vm, 0, 0, 0, 4096, mem + 1), EINVAL, "unaligned user address");
	expect_err(region(vm, 0, 0, (1ull << 48) - 4096, 8192, mem), EINVAL,
		   "slot past the guest address limit");
	expect_err(region(vm, 0, 0, 0, 1ull << 62, mem), EINVAL, "size that overflows");
	expect_err(region(vm, 0, 0, 0, 4096, (void *)-4096L), EINVAL, "kernel user address");
	expect_err(ioctl(vm, KEEL_SET_MEMORY_REGION, BAD_PTR), EFAULT, "region at a bad pointer");
	expect_ok(region(vm, 0, 0, 0, 1 << 20, mem), "a good slot");
	expect_err(region(vm, 1, 0, 0x80000, 1 << 20, mem), EEXIST, "an overlapping slot");
	expect_err(ioctl(vm, KEEL_CREATE_VCPU, 1000), EINVAL, "vCPU id out of range");
	vcpu = ioctl(vm, KEEL_CREATE_VCPU, 0);
	expect_ok(vcpu, "create vCPU 0");
	expect_err(ioctl(vm, KEEL_CREATE_VCPU, 0), EEXIST, "vCPU 0 again");
	expect_err(region(vm, 0, 0, 0, 0, NULL), EBUSY, "delete a slot under a vCPU");
	expect_err(ioctl(vm, _IO(KEEL_IOCTL_TYPE, 0x7f), 0), ENOTTY, "VM: unknown ioctl");

	expect_err(ioctl(vcpu, KEEL_RUN, 1), EINVAL, "RUN with an argument");
	expect_err(ioctl(vcpu, KEEL_GET_REGS, BAD_PTR), EFAULT, "GET_REGS to a bad pointer");
	expect_err(ioctl(vcpu, KEEL_SET_REGS, BAD_PTR), EFAULT, "SET_REGS from a bad pointer");
	expect_err(ioctl(vcpu, KEEL_SET_SREGS, BAD_PTR), EFAULT, "SET_SREGS from a bad pointer");
	ioctl(vcpu, KEEL_GET_SREGS, &sregs);
	sregs.efer = 1ull << 12; /* SVME: nested SVM is not offered */
	expect_err(ioctl(vcpu, KEEL_SET_SREGS, &sregs), EINVAL, "SET_SREGS with EFER.SVME");
	sregs.efer = 0;
	sregs.cr4 = 1ull << 13; /* VMXE */
	expect_err(ioctl(vcpu, KEEL_SET_SREGS, &sregs), EINVAL, "SET_SREGS with CR4.VMXE");
	expect_err(ioctl(vcpu, KEEL_SET_MSRS, &msrs), EINVAL, "SET_MSRS with 100000 entries");
	expect_err(ioctl(vcpu, KEEL_GET_MSRS, BAD_PTR), EFAULT, "GET_MSRS at a bad pointer");
	cpuid.head.nent = 100000;
	expect_err(ioctl(vcpu, KEEL_SET_CPUID, &cpuid), EINVAL, "SET_CPUID with 100000 entries");
	expect_err(ioctl(vcpu, KEEL_SET_XSAVE, BAD_PTR), EFAULT, "SET_XSAVE from a bad pointer");
	xcr_checks(vcpu);
	xsave_checks(vcpu);
	clock_checks(dev, vm);
	expect_err(ioctl(vcpu, KEEL_INTERRUPT, &irq), EINVAL, "INTERRUPT vector 256");
	irq.irq = 32;
	expect_ok(ioctl(vcpu, KEEL_INTERRUPT, &irq), "INTERRUPT vector 32");
	expect_err(ioctl(vcpu, KEEL_INTERRUPT, &irq), EBUSY, "a second INTERRUPT before the first");
	expect_err(ioctl(vcpu, _IO(KEEL_IOCTL_TYPE, 0x7f), 0), ENOTTY, "vCPU: unknown ioctl");

	/* Events in flight: the ExtINT just queued is there; bad events are refused. */
	expect_ok(ioctl(vcpu, KEEL_GET_VCPU_EVENTS, &events), "GET_VCPU_EVENTS");
	expect_ok(events.extint_pending == 1 && events.extint_vector == 32 &&
		  !(events.event & KEEL_EVENT_VALID) ? 0 : -1,
		  "GET_VCPU_EVENTS shows the ExtINT 32 queued by INTERRUPT");
	expect_err(ioctl(vcpu, KEEL_GET_VCPU_EVENTS, BAD_PTR), EFAULT,
		   "GET_VCPU_EVENTS to a bad pointer");
	events.pad[3] = 1;
	expect_err(ioctl(vcpu, KEEL_SET_VCPU_EVENTS, &events), EINVAL, "SET_VCPU_EVENTS with padding");
	events.pad[3] = 0;
	events.event = KEEL_EVENT_VALID | (1u << 8) | 0x20; /* type 1 is reserved */
	expect_err(ioctl(vcpu, KEEL_SET_VCPU_EVENTS, &events), EINVAL,
		   "SET_VCPU_EVENTS with a reserved event type");
	events.event = KEEL_EVENT_VALID | 0x31; /* an external interrupt, vector 0x31 */
	events.extint_pending = 0;
	events.nmi_pending = 1;
	expect_ok(ioctl(vcpu, KEEL_SET_VCPU_EVENTS, &events), "SET_VCPU_EVENTS");
	memset(&events, 0, sizeof(events));
	ioctl(vcpu, KEEL_GET_VCPU_EVENTS, &events);
	expect_ok(events.event == (KEEL_EVENT_VALID | 0x31) && events.nmi_pending == 1 &&
		  !events.extint_pending ? 0 : -1, "GET_VCPU_EVENTS gives back what was set");
	memset(&events, 0, sizeof(events));
	expect_ok(ioctl(vcpu, KEEL_SET_VCPU_EVENTS, &events), "SET_VCPU_EVENTS: nothing in flight");

	/* The local APIC: its state, MSIs, the APIC base MSR. */
	expect_err(ioctl(vcpu, KEEL_GET_LAPIC, BAD_PTR), EFAULT, "GET_LAPIC to a bad pointer");
	expect_err(ioctl(vcpu, KEEL_SET_LAPIC, BAD_PTR), EFAULT, "SET_LAPIC from a bad pointer");
	expect_ok(ioctl(vcpu, KEEL_GET_LAPIC, &lapic), "GET_LAPIC");
	expect_ok((lapic.regs[0x30] == 0x14 && lapic.regs[0x23] == 0) ? 0 : -1,
		  "APIC version 0x14, ID 0 after reset");
	expect_ok(ioctl(vcpu, KEEL_SET_LAPIC, &lapic), "SET_LAPIC of what GET_LAPIC gave");
	mp.mp_state = 7;
	expect_err(ioctl(vcpu, KEEL_SET_MP_STATE, &mp), EINVAL, "SET_MP_STATE 7");
	expect_err(ioctl(vcpu, KEEL_GET_MP_STATE, BAD_PTR), EFAULT, "GET_MP_STATE to a bad pointer");
	expect_ok(ioctl(vcpu, KEEL_GET_MP_STATE, &mp), "GET_MP_STATE");
	expect_ok(mp.mp_state == KEEL_MP_STATE_RUNNABLE ? 0 : -1, "vCPU 0 is runnable");
	ap = ioctl(vm, KEEL_CREATE_VCPU, 1);
	expect_ok(ap, "create vCPU 1");
	expect_ok(ioctl(ap, KEEL_GET_MP_STATE, &mp) == 0 && mp.mp_state ==
		  KEEL_MP_STATE_UNINITIALIZED ? 0 : -1, "vCPU 1 waits for INIT");
	x2apic_checks(ap);
	close(ap);
	msi.flags = 1;
	expect_err(ioctl(vm, KEEL_SIGNAL_MSI, &msi), EINVAL, "SIGNAL_MSI with unknown flags");
	expect_err(ioctl(vm, KEEL_SIGNAL_MSI, BAD_PTR), EFAULT, "SIGNAL_MSI from a bad pointer");
	msi.flags = 0;
	msi.address = 0xfee00000;
	msi.data = 0x41;
	expect_ok(ioctl(vm, KEEL_SIGNAL_MSI, &msi) == 1 ? 0 : -1, "SIGNAL_MSI to APIC 0 reaches 1");
	msi.address = 0xfee05000;
	expect_ok(ioctl(vm, KEEL_SIGNAL_MSI, &msi) == 0 ? 0 : -1, "SIGNAL_MSI to APIC 5 reaches 0");
	msi.address = 0x12345000;
	expect_ok(ioctl(vm, KEEL_SIGNAL_MSI, &msi) == 0 ? 0 : -1, "SIGNAL_MSI outside 0xfeexxxxx");
	/* irqfds and ioeventfds. */
	efd = eventfd(0, EFD_CLOEXEC);
	irqfd.fd = 1000;
	irqfd.address = 0xfee00000;
	expect_err(ioctl(vm, KEEL_IRQFD, &irqfd), EBADF, "IRQFD with a closed fd");
	irqfd.fd = dev;
	expect_err(ioctl(vm, KEEL_IRQFD, &irqfd), EINVAL, "IRQFD with a non-eventfd");
	irqfd.fd = efd;
	irqfd.address = 0x1000;
	expect_err(ioctl(vm, KEEL_IRQFD, &irqfd), EINVAL, "IRQFD with a non-MSI address");
	irqfd.address = 0xfee00000;
	irqfd.flags = 2;
	expect_err(ioctl(vm, KEEL_IRQFD, &irqfd), EINVAL, "IRQFD with unknown flags");
	irqfd.flags = KEEL_IRQFD_FLAG_DEASSIGN;
	expect_err(ioctl(vm, KEEL_IRQFD, &irqfd), ENOENT, "IRQFD deassign of an unbound fd");
	irqfd.flags = 0;
	irqfd.data = 0x42;
	expect_ok(ioctl(vm, KEEL_IRQFD, &irqfd), "IRQFD bind");
	expect_ok(ioctl(vm, KEEL_IRQFD, &irqfd), "IRQFD bind again (a new message)");
	expect_err(ioctl(vm, KEEL_IRQFD, BAD_PTR), EFAULT, "IRQFD from a bad pointer");
	ioev.fd = efd;
	ioev.addr = 0xc0003000;
	ioev.len = 3;
	expect_err(ioctl(vm, KEEL_IOEVENTFD, &ioev), EINVAL, "IOEVENTFD of length 3");
	ioev.len = 0;
	ioev.flags = KEEL_IOEVENTFD_FLAG_DATAMATCH;
	expect_err(ioctl(vm, KEEL_IOEVENTFD, &ioev), EINVAL, "IOEVENTFD matching any length");
	ioev.flags = KEEL_IOEVENTFD_FLAG_PIO;
	ioev.addr = 0x10000;
	expect_err(ioctl(vm, KEEL_IOEVENTFD, &ioev), EINVAL, "IOEVENTFD on port 0x10000");
	ioev.flags = 0;
	ioev.addr = 0xc0003000;
	expect_ok(ioctl(vm, KEEL_IOEVENTFD, &ioev), "IOEVENTFD assign");
	expect_err(ioctl(vm, KEEL_IOEVENTFD, &ioev), EEXIST, "IOEVENTFD assign twice");
	ioev.flags = KEEL_IOEVENTFD_FLAG_DEASSIGN;
	expect_ok(ioctl(vm, KEEL_IOEVENTFD, &ioev), "IOEVENTFD deassign");
	expect_err(ioctl(vm, KEEL_IOEVENTFD, &ioev), ENOENT, "IOEVENTFD deassign twice");
	ioev.flags = 0;
	expect_ok(ioctl(vm, KEEL_IOEVENTFD, &ioev), "IOEVENTFD left assigned for VM release");

	apic_msr.head.nmsrs = 1;
	apic_msr.e.index = 0x1b;
	apic_msr.e.data = 0xfee00000ull | (1 << 10); /* x2APIC without the enable bit */
	expect_ok(ioctl(vcpu, KEEL_SET_MSRS, &apic_msr) == 0 ? 0 : -1,
		  "APIC base: x2APIC without enable is refused");
	apic_msr.e.data = 0xfee00000ull | (1ull << 40); /* reserved bit */
	expect_ok(ioctl(vcpu, KEEL_SET_MSRS, &apic_msr) == 0 ? 0 : -1,
		  "APIC base: a reserved bit is refused");
	run = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	expect_err(run == MAP_FAILED ? -1 : 0, EINVAL, "mmap of more than the run pages");
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 4096 * 5);
	expect_err(run == MAP_FAILED ? -1 : 0, EINVAL, "mmap at an offset");

	/* Another process's address space is not the VM's: its calls are refused. */
	child = fork();
	if (child == 0)
		_exit(ioctl(vcpu, KEEL_RUN, 0) < 0 && errno == EIO ? 0 : 1);
	waitpid(child, &status, 0);
	expect_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1,
		  "RUN from a forked child is refused (EIO)");

	/* Guest memory the process unmapped: RUN fails, the host does not. */
	ioctl(vcpu, KEEL_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ioctl(vcpu, KEEL_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ioctl(vcpu, KEEL_SET_REGS, &regs);
	munmap(mem, 1 << 20);
	errno = 0;
	expect_err(ioctl(vcpu, KEEL_RUN, 0), EFAULT, "RUN over unmapped guest memory");
	close(vcpu);
	close(vm);
	close(dev);
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
