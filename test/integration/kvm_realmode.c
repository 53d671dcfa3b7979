// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a real-mode guest on /dev/kvm that writes one byte to an I/O port and halts,
 * and checks both exits and the byte. Exit 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM_SIZE 0x10000
#define GUEST_CODE_ADDR 0x1000
#define TEST_PORT 0x3f8
#define TEST_BYTE 0x4b

static int fail(const char *what)
{
	fprintf(stderr, "kvm-realmode: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	static const uint8_t code[] = {
		0xba, TEST_PORT & 0xff, TEST_PORT >> 8, /* mov $TEST_PORT, %dx */
		0xb0, TEST_BYTE,                        /* mov $TEST_BYTE, %al */
		0xee,                                   /* out %al, (%dx) */
		0xf4,                                   /* hlt */
	};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, mmap_size;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fail("KVM_GET_API_VERSION is not 12");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem + GUEST_CODE_ADDR, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE_ADDR;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN (first)");
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != TEST_PORT || run->io.size != 1 || run->io.count != 1) {
		fprintf(stderr, "kvm-realmode: first exit is reason %u (port 0x%x), want an 8-bit OUT to 0x%x\n",
			run->exit_reason, run->io.port, TEST_PORT);
		return 1;
	}
	uint8_t byte = *((uint8_t *)run + run->io.data_offset);
	if (byte != TEST_BYTE) {
		fprintf(stderr, "kvm-realmode: guest wrote 0x%02x, want 0x%02x\n", byte, TEST_BYTE);
		return 1;
	}
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN (second)");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm-realmode: second exit is reason %u, want KVM_EXIT_HLT\n",
			run->exit_reason);
		return 1;
	}
	printf("kvm-realmode: OUT 0x%02x to port 0x%x, then HLT\n", byte, TEST_PORT);
	return 0;
}
