// SPDX-License-Identifier: GPL-2.0
/*
 * The keel.ko backend: /dev/keel, shaped like KVM, on the same run loop. Each vCPU's local
 * APIC is in the kernel; the PIC's ExtINT goes in with KEEL_INTERRUPT, the IOAPIC's and
 * MSI-X's messages with KEEL_SIGNAL_MSI, and EOIs of level vectors come back as exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmod/uapi/keel.h"
#include "lib/log.h"
#include "vmm/accel.h"

struct accel {
	int dev_fd, vm_fd;
	int run_size;
	unsigned max_vcpus;
};

struct accel_vcpu {
	struct accel *acc;
	int fd;
	unsigned id;
	struct keel_run *run;
	pthread_t thread;
	bool thread_known;
	struct keel_xsave reset_xsave;
};

static void keel_kick_signal_handler(int sig)
{
}

static int keel_open(struct accel **out, const char **why)
{
	struct sigaction sa = { .sa_handler = keel_kick_signal_handler };
	struct accel *acc = calloc(1, sizeof(*acc));
	int ret;

	if (!acc)
		return -ENOMEM;
	acc->vm_fd = -1;
	acc->dev_fd = open("/dev/keel", O_RDWR | O_CLOEXEC);
	if (acc->dev_fd < 0) {
		ret = -errno;
		*why = "cannot open /dev/keel (is keel.ko loaded?)";
		goto fail;
	}
	if (ioctl(acc->dev_fd, KEEL_GET_API_VERSION, 0) != KEEL_API_VERSION) {
		*why = "/dev/keel speaks another API version than this keel-vmm";
		ret = -ENODEV;
		goto fail;
	}
	if (ioctl(acc->dev_fd, KEEL_CHECK_CAP, KEEL_CAP_LAPIC) != 1 ||
	    ioctl(acc->dev_fd, KEEL_CHECK_CAP, KEEL_CAP_EVENTFD) != 1) {
		*why = "this keel.ko has no local APIC or eventfds in the kernel";
		ret = -ENODEV;
		goto fail;
	}
	ret = ioctl(acc->dev_fd, KEEL_CHECK_CAP, KEEL_CAP_MAX_VCPUS);
	acc->max_vcpus = ret > 0 ? ret : 1;
	acc->run_size = ioctl(acc->dev_fd, KEEL_GET_VCPU_MMAP_SIZE, 0);
	acc->vm_fd = ioctl(acc->dev_fd, KEEL_CREATE_VM, 0);
	if (acc->vm_fd < 0 || acc->run_size < (int)sizeof(struct keel_run)) {
		ret = -errno;
		*why = errno == EBUSY ? "SVM is in use by another hypervisor" : "KEEL_CREATE_VM failed";
		goto fail;
	}
	sigaction(SIGUSR1, &sa, NULL);
	*out = acc;
	return 0;
fail:
	if (acc->vm_fd >= 0)
		close(acc->vm_fd);
	if (acc->dev_fd >= 0)
		close(acc->dev_fd);
	free(acc);
	return ret < 0 ? ret : -ENODEV;
}

static void keel_close(struct accel *acc)
{
	close(acc->vm_fd);
	close(acc->dev_fd);
	free(acc);
}

static unsigned keel_max_vcpus(struct accel *acc)
{
	return acc->max_vcpus;
}

static int keel_set_memory(struct accel *acc, unsigned slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct keel_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(acc->vm_fd, KEEL_SET_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static int keel_supported_cpuid(struct accel *acc, struct cpuid_entry *entries, unsigned *count)
{
	struct keel_cpuid *c = calloc(1, sizeof(*c) + KEEL_MAX_CPUID_ENTRIES * sizeof(c->entries[0]));

	if (!c)
		return -ENOMEM;
	c->nent = KEEL_MAX_CPUID_ENTRIES;
	if (ioctl(acc->dev_fd, KEEL_GET_SUPPORTED_CPUID, c) < 0) {
		int err = -errno;

		free(c);
		return err;
	}
	for (unsigned i = 0; i < c->nent && i < CPUID_MAX_ENTRIES; i++)
		entries[i] = (struct cpuid_entry){
			.function = c->entries[i].function,
			.index = c->entries[i].index,
			.flags = (c->entries[i].flags & KEEL_CPUID_FLAG_SIGNIFICANT_INDEX) ?
					 CPUID_FLAG_SIGNIFICANT_INDEX : 0,
			.eax = c->entries[i].eax,
			.ebx = c->entries[i].ebx,
			.ecx = c->entries[i].ecx,
			.edx = c->entries[i].edx,
		};
	*count = c->nent < CPUID_MAX_ENTRIES ? c->nent : CPUID_MAX_ENTRIES;
	free(c);
	return 0;
}

static int keel_vcpu_create(struct accel *acc, unsigned id, struct accel_vcpu **out)
{
	struct accel_vcpu *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->acc = acc;
	v->id = id;
	v->fd = ioctl(acc->vm_fd, KEEL_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		ret = -errno;
		free(v);
		return ret;
	}
	v->run = mmap(NULL, acc->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		ret = -errno;
		close(v->fd);
		free(v);
		return ret;
	}
	if (ioctl(v->fd, KEEL_GET_XSAVE, &v->reset_xsave) < 0) {
		ret = -errno;
		munmap(v->run, acc->run_size);
		close(v->fd);
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

static void keel_vcpu_destroy(struct accel_vcpu *v)
{
	munmap(v->run, v->acc->run_size);
	close(v->fd);
	free(v);
}

static int keel_vcpu_set_cpuid(struct accel_vcpu *v, const struct cpuid_entry *e, unsigned n)
{
	struct keel_cpuid *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	int ret;

	if (!c)
		return -ENOMEM;
	c->nent = n;
	for (unsigned i = 0; i < n; i++)
		c->entries[i] = (struct keel_cpuid_entry){
			.function = e[i].function,
			.index = e[i].index,
			.flags = (e[i].flags & CPUID_FLAG_SIGNIFICANT_INDEX) ?
					 KEEL_CPUID_FLAG_SIGNIFICANT_INDEX : 0,
			.eax = e[i].eax,
			.ebx = e[i].ebx,
			.ecx = e[i].ecx,
			.edx = e[i].edx,
		};
	ret = ioctl(v->fd, KEEL_SET_CPUID, c) < 0 ? -errno : 0;
	free(c);
	return ret;
}

static int keel_vcpu_set_regs(struct accel_vcpu *v, const struct x86_regs *r)
{
	struct keel_regs k = {
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rsp = r->rsp, .rbp = r->rbp,
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
		.r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
		.rip = r->rip, .rflags = r->rflags,
	};

	return ioctl(v->fd, KEEL_SET_REGS, &k) < 0 ? -errno : 0;
}

static void keel_segment_from(struct keel_segment *k, const struct x86_segment *s)
{
	*k = (struct keel_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector, .type = s->type,
		.present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l,
		.g = s->g, .avl = s->avl, .unusable = !s->present,
	};
}

static int keel_vcpu_set_sregs(struct accel_vcpu *v, const struct x86_sregs *s)
{
	struct keel_sregs k;

	if (ioctl(v->fd, KEEL_GET_SREGS, &k) < 0)
		return -errno;
	keel_segment_from(&k.cs, &s->cs);
	keel_segment_from(&k.ds, &s->ds);
	keel_segment_from(&k.es, &s->es);
	keel_segment_from(&k.fs, &s->fs);
	keel_segment_from(&k.gs, &s->gs);
	keel_segment_from(&k.ss, &s->ss);
	keel_segment_from(&k.tr, &s->tr);
	keel_segment_from(&k.ldt, &s->ldt);
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	return ioctl(v->fd, KEEL_SET_SREGS, &k) < 0 ? -errno : 0;
}

static int keel_msrs_io(struct accel_vcpu *v, const struct x86_msr *msrs, unsigned n,
			struct x86_msr *read_into);

static int keel_vcpu_set_msrs(struct accel_vcpu *v, const struct x86_msr *msrs, unsigned n)
{
	return keel_msrs_io(v, msrs, n, NULL);
}

static int keel_vcpu_reset(struct accel_vcpu *v)
{
	static const uint32_t reset_msrs[] = {
		0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR, LSTAR, CSTAR, SFMASK */
		0xc0000102,                                     /* KERNEL_GS_BASE */
	};

	for (unsigned i = 0; i < sizeof(reset_msrs) / sizeof(reset_msrs[0]); i++) {
		struct x86_msr m = { reset_msrs[i], 0 };

		keel_vcpu_set_msrs(v, &m, 1);
	}
	/* Registers, local APIC, pending events and the AP's wait for INIT: keel.ko's RESET. */
	if (ioctl(v->fd, KEEL_RESET_VCPU, 0) < 0 ||
	    ioctl(v->fd, KEEL_SET_XSAVE, &v->reset_xsave) < 0)
		return -errno;
	return 0;
}

static int keel_vcpu_run(struct accel_vcpu *v, struct vcpu_exit *exit)
{
	struct keel_run *run = v->run;

	if (!v->thread_known) {
		v->thread = pthread_self();
		__atomic_store_n(&v->thread_known, true, __ATOMIC_RELEASE);
	}
	if (ioctl(v->fd, KEEL_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
			exit->reason = VCPU_EXIT_INTR;
			return 0;
		}
		return -errno;
	}
	switch (run->exit_reason) {
	case KEEL_EXIT_IO:
		exit->reason = VCPU_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.is_write = run->io.direction == KEEL_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KEEL_EXIT_MMIO:
		exit->reason = VCPU_EXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.len = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		break;
	case KEEL_EXIT_HLT:
		exit->reason = VCPU_EXIT_HLT;
		break;
	case KEEL_EXIT_SHUTDOWN:
		exit->reason = VCPU_EXIT_SHUTDOWN;
		break;
	case KEEL_EXIT_INTR:
		exit->reason = VCPU_EXIT_INTR;
		break;
	case KEEL_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = VCPU_EXIT_IRQ_WINDOW;
		break;
	case KEEL_EXIT_IOAPIC_EOI:
		exit->reason = VCPU_EXIT_IOAPIC_EOI;
		exit->eoi.vector = run->eoi.vector;
		break;
	case KEEL_EXIT_INTERNAL_ERROR:
		exit->reason = VCPU_EXIT_INTERNAL_ERROR;
		exit->fail.code = run->internal.suberror;
		break;
	case KEEL_EXIT_FAIL_ENTRY:
		exit->reason = VCPU_EXIT_FAIL_ENTRY;
		exit->fail.code = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		exit->reason = VCPU_EXIT_UNKNOWN;
		exit->fail.code = run->exit_reason;
		break;
	}
	return 0;
}

/*
 * A vCPU's state, in the order it is restored: MSRs before the local APIC (the APIC base
 * decides xAPIC or x2APIC), the TSC deadline after it (the timer mode decides whether it
 * arms), the events and the INIT/SIPI state last. The TSC is the VM's (keel_clock_save).
 */
static const uint32_t keel_saved_msrs[] = {
	0x1b,                                           /* APIC base */
	0x174, 0x175, 0x176,                            /* SYSENTER CS, ESP, EIP */
	0x277,                                          /* PAT */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR, LSTAR, CSTAR, SFMASK */
	0xc0000102,                                     /* KERNEL_GS_BASE */
	0x4b564d00, 0x4b564d01,                         /* kvm-clock wall clock, system time */
};
#define KEEL_MSR_TSC_DEADLINE 0x6e0
#define KEEL_SAVED_MSRS (sizeof(keel_saved_msrs) / sizeof(keel_saved_msrs[0]))
#define KEEL_VCPU_BLOB_MAGIC 0x6b76637055ULL /* "Upcvk" */

struct keel_vcpu_blob {
	uint64_t magic;
	struct keel_regs regs;
	struct keel_sregs sregs;
	struct keel_xsave xsave;
	struct keel_xcrs xcrs;
	struct keel_lapic_state lapic;
	struct keel_mp_state mp_state;
	struct keel_vcpu_events events;
	struct x86_msr msrs[KEEL_SAVED_MSRS];
	struct x86_msr tsc_deadline;
};

/* Writes n MSRs, or reads them into read_into (msrs giving the indices). */
static int keel_msrs_io(struct accel_vcpu *v, const struct x86_msr *msrs, unsigned n,
			struct x86_msr *read_into)
{
	bool set = !read_into;
	struct keel_msrs *k = calloc(1, sizeof(*k) + n * sizeof(k->entries[0]));
	int ret;

	if (!k)
		return -ENOMEM;
	k->nmsrs = n;
	for (unsigned i = 0; i < n; i++) {
		k->entries[i].index = msrs[i].index;
		k->entries[i].data = msrs[i].value;
	}
	ret = ioctl(v->fd, set ? KEEL_SET_MSRS : KEEL_GET_MSRS, k);
	if (ret == (int)n && !set)
		for (unsigned i = 0; i < n; i++)
			read_into[i] = (struct x86_msr){ msrs[i].index, k->entries[i].data };
	free(k);
	if (ret < 0)
		return -errno;
	return ret == (int)n ? 0 : -EINVAL;
}

/* Called with the vCPU parked after a kick: no exit's I/O is pending. */
static int keel_vcpu_save(struct accel_vcpu *v, void **blob, size_t *size)
{
	struct keel_vcpu_blob *b = calloc(1, sizeof(*b));
	struct x86_msr which[KEEL_SAVED_MSRS];
	struct x86_msr deadline = { KEEL_MSR_TSC_DEADLINE, 0 };
	int ret = 0;

	if (!b)
		return -ENOMEM;
	b->magic = KEEL_VCPU_BLOB_MAGIC;
	for (unsigned i = 0; i < KEEL_SAVED_MSRS; i++)
		which[i] = (struct x86_msr){ keel_saved_msrs[i], 0 };
	if (ioctl(v->fd, KEEL_GET_REGS, &b->regs) < 0 ||
	    ioctl(v->fd, KEEL_GET_SREGS, &b->sregs) < 0 ||
	    ioctl(v->fd, KEEL_GET_XSAVE, &b->xsave) < 0 ||
	    ioctl(v->fd, KEEL_GET_XCRS, &b->xcrs) < 0 ||
	    ioctl(v->fd, KEEL_GET_LAPIC, &b->lapic) < 0 ||
	    ioctl(v->fd, KEEL_GET_MP_STATE, &b->mp_state) < 0 ||
	    ioctl(v->fd, KEEL_GET_VCPU_EVENTS, &b->events) < 0)
		ret = -errno;
	if (!ret)
		ret = keel_msrs_io(v, which, KEEL_SAVED_MSRS, b->msrs);
	if (!ret)
		ret = keel_msrs_io(v, &deadline, 1, &b->tsc_deadline);
	if (ret) {
		free(b);
		return ret;
	}
	*blob = b;
	*size = sizeof(*b);
	return 0;
}

static int keel_load_step(struct accel_vcpu *v, const char *what, unsigned long request,
			  const void *arg)
{
	if (ioctl(v->fd, request, arg) < 0) {
		int ret = -errno;

		log_error("vCPU %u: restoring the %s: %s", v->id, what, strerror(errno));
		return ret;
	}
	return 0;
}

static int keel_vcpu_load(struct accel_vcpu *v, const void *blob, size_t size)
{
	struct keel_vcpu_blob b;
	int ret;

	if (size != sizeof(b))
		return -EINVAL;
	memcpy(&b, blob, sizeof(b));
	if (b.magic != KEEL_VCPU_BLOB_MAGIC)
		return -EINVAL;
	ret = keel_load_step(v, "special registers", KEEL_SET_SREGS, &b.sregs);
	if (ret)
		log_error("vCPU %u: CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx APIC base %#llx", v->id,
			  (unsigned long long)b.sregs.cr0, (unsigned long long)b.sregs.cr3,
			  (unsigned long long)b.sregs.cr4, (unsigned long long)b.sregs.efer,
			  (unsigned long long)b.sregs.apic_base);
	if (!ret)
		ret = keel_load_step(v, "registers", KEEL_SET_REGS, &b.regs);
	if (!ret)
		ret = keel_load_step(v, "XSAVE features (XCR0)", KEEL_SET_XCRS, &b.xcrs);
	if (!ret)
		ret = keel_load_step(v, "XSAVE state", KEEL_SET_XSAVE, &b.xsave);
	for (unsigned i = 0; !ret && i < KEEL_SAVED_MSRS; i++) {
		/* Writing the wall-clock MSR publishes at its address: only where the guest set one. */
		if (b.msrs[i].index == 0x4b564d00 && !b.msrs[i].value)
			continue;
		ret = keel_msrs_io(v, &b.msrs[i], 1, NULL);
		if (ret)
			log_error("vCPU %u: restoring MSR %#x = %#llx: %s", v->id, b.msrs[i].index,
				  (unsigned long long)b.msrs[i].value, strerror(-ret));
	}
	if (!ret)
		ret = keel_load_step(v, "local APIC", KEEL_SET_LAPIC, &b.lapic);
	if (!ret) {
		ret = keel_msrs_io(v, &b.tsc_deadline, 1, NULL);
		if (ret)
			log_error("vCPU %u: restoring the TSC deadline: %s", v->id, strerror(-ret));
	}
	if (!ret)
		ret = keel_load_step(v, "pending events", KEEL_SET_VCPU_EVENTS, &b.events);
	if (!ret)
		ret = keel_load_step(v, "INIT/SIPI state", KEEL_SET_MP_STATE, &b.mp_state);
	return ret;
}

static int keel_clock_save(struct accel *acc, void **blob, size_t *size)
{
	struct keel_clock *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (ioctl(acc->vm_fd, KEEL_GET_CLOCK, c) < 0) {
		int ret = -errno;

		free(c);
		return ret;
	}
	*blob = c;
	*size = sizeof(*c);
	return 0;
}

/* The time between save and load passes for the guest too, as across a pause. */
static int keel_clock_load(struct accel *acc, const void *blob, size_t size)
{
	struct keel_clock c;

	if (size != sizeof(c))
		return -EINVAL;
	memcpy(&c, blob, sizeof(c));
	c.flags = KEEL_CLOCK_REALTIME;
	return ioctl(acc->vm_fd, KEEL_SET_CLOCK, &c) < 0 ? -errno : 0;
}

static void keel_vcpu_kick(struct accel_vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&v->thread_known, __ATOMIC_ACQUIRE))
		pthread_kill(v->thread, SIGUSR1);
}

static bool keel_vcpu_ready_for_extint(struct accel_vcpu *v)
{
	return v->run->ready_for_interrupt_injection && v->run->if_flag;
}

static int keel_vcpu_inject_extint(struct accel_vcpu *v, uint8_t vector)
{
	struct keel_interrupt irq = { .irq = vector };

	return ioctl(v->fd, KEEL_INTERRUPT, &irq) < 0 ? -errno : 0;
}

static void keel_vcpu_request_irq_window(struct accel_vcpu *v, bool on)
{
	v->run->request_interrupt_window = on;
}

static int keel_signal_msi(struct accel *acc, uint64_t address, uint32_t data)
{
	struct keel_msi msi = { .address = address, .data = data };

	return ioctl(acc->vm_fd, KEEL_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

/* The handle is the eventfd itself: keel.ko binds by eventfd and re-binding updates. */
static int keel_irqfd_bind(struct accel *acc, int fd, uint64_t address, uint32_t data, int *handle)
{
	struct keel_irqfd req = { .fd = fd, .address = address, .data = data };

	if (ioctl(acc->vm_fd, KEEL_IRQFD, &req) < 0)
		return -errno;
	*handle = fd;
	return 0;
}

static void keel_irqfd_unbind(struct accel *acc, int fd, int handle)
{
	struct keel_irqfd req = { .fd = fd, .flags = KEEL_IRQFD_FLAG_DEASSIGN };

	if (handle >= 0)
		ioctl(acc->vm_fd, KEEL_IRQFD, &req);
}

/* Doorbells of any length (virtio notifications are 16 or 32 bits). */
static int keel_ioeventfd(struct accel *acc, uint64_t addr, int fd, bool assign)
{
	struct keel_ioeventfd req = {
		.addr = addr,
		.fd = fd,
		.flags = assign ? 0 : KEEL_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(acc->vm_fd, KEEL_IOEVENTFD, &req) < 0 ? -errno : 0;
}

static int keel_set_ioapic_route(struct accel *acc, unsigned pin, uint64_t address, uint32_t data,
				 bool masked)
{
	return 0;
}

const struct accel_ops accel_keel_ops = {
	.name = "keel",
	.open = keel_open,
	.close = keel_close,
	.max_vcpus = keel_max_vcpus,
	.set_memory = keel_set_memory,
	.supported_cpuid = keel_supported_cpuid,
	.vcpu_create = keel_vcpu_create,
	.vcpu_destroy = keel_vcpu_destroy,
	.vcpu_set_cpuid = keel_vcpu_set_cpuid,
	.vcpu_set_regs = keel_vcpu_set_regs,
	.vcpu_set_sregs = keel_vcpu_set_sregs,
	.vcpu_set_msrs = keel_vcpu_set_msrs,
	.vcpu_reset = keel_vcpu_reset,
	.vcpu_run = keel_vcpu_run,
	.vcpu_kick = keel_vcpu_kick,
	.vcpu_ready_for_extint = keel_vcpu_ready_for_extint,
	.vcpu_inject_extint = keel_vcpu_inject_extint,
	.vcpu_request_irq_window = keel_vcpu_request_irq_window,
	.signal_msi = keel_signal_msi,
	.set_ioapic_route = keel_set_ioapic_route,
	.irqfd_bind = keel_irqfd_bind,
	.irqfd_unbind = keel_irqfd_unbind,
	.ioeventfd = keel_ioeventfd,
	.vcpu_save = keel_vcpu_save,
	.vcpu_load = keel_vcpu_load,
	.clock_save = keel_clock_save,
	.clock_load = keel_clock_load,
	.pins_guest_memory = true,
};
