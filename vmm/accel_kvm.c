// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM backend: split irqchip (local APICs in KVM; PIC, IOAPIC and PIT in keel-vmm).
 * IOAPIC pins are mirrored as MSI routes 0-23 so KVM exits on EOI of level vectors; GSIs
 * from 24 are the MSI routes of eventfd interrupts (irqfd). Doorbells are KVM ioeventfds.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "vmm/accel.h"

#define KVM_IOAPIC_PINS 24
#define KVM_MAX_IRQFDS 512
#define KVM_MAX_ROUTES (KVM_IOAPIC_PINS + KVM_MAX_IRQFDS)
#define KVM_TSS_ADDR 0xfeffd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL

struct accel {
	int kvm_fd, vm_fd;
	int run_size;
	unsigned max_vcpus;
	bool have_irqfd, have_ioeventfd, ioeventfd_any_length;
	pthread_mutex_t routes_lock;
	struct kvm_irq_routing_entry routes[KVM_MAX_ROUTES];
	bool route_valid[KVM_MAX_ROUTES];
	bool route_used[KVM_MAX_ROUTES]; /* irqfd GSIs handed out */
};

struct accel_vcpu {
	struct accel *acc;
	int fd;
	unsigned id;
	struct kvm_run *run;
	pthread_t thread; /* the thread in vcpu_run, for kicks */
	bool thread_known;
	/* Power-on state captured at creation, for reset. */
	struct kvm_regs reset_regs;
	struct kvm_sregs reset_sregs;
	struct kvm_fpu reset_fpu;
	struct kvm_lapic_state reset_lapic;
	struct kvm_vcpu_events reset_events;
	struct kvm_xcrs reset_xcrs;
	bool have_xcrs;
};

/* The kick signal only needs to interrupt the KVM_RUN ioctl. */
static void kvm_kick_signal_handler(int sig)
{
}

static int kvm_open(struct accel **out, const char **why)
{
	struct accel *acc;
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { KVM_IOAPIC_PINS } };
	struct sigaction sa = { .sa_handler = kvm_kick_signal_handler };
	uint64_t identity = KVM_IDENTITY_MAP_ADDR;
	int ret;

	acc = calloc(1, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	acc->vm_fd = -1;
	pthread_mutex_init(&acc->routes_lock, NULL);
	acc->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (acc->kvm_fd < 0) {
		ret = -errno;
		*why = "cannot open /dev/kvm";
		goto fail;
	}
	if (ioctl(acc->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*why = "/dev/kvm has an unknown API version";
		ret = -ENODEV;
		goto fail;
	}
	if (ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP) <= 0 ||
	    ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0 ||
	    ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0) {
		*why = "KVM lacks split irqchip, immediate exit or MSI signalling";
		ret = -ENODEV;
		goto fail;
	}
	acc->have_irqfd = ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0;
	acc->have_ioeventfd = ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0;
	acc->ioeventfd_any_length =
		ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0;
	acc->run_size = ioctl(acc->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	ret = ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (ret <= 0)
		ret = ioctl(acc->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	acc->max_vcpus = ret > 0 ? ret : 1;
	acc->vm_fd = ioctl(acc->kvm_fd, KVM_CREATE_VM, 0);
	if (acc->vm_fd < 0) {
		ret = -errno;
		*why = "KVM_CREATE_VM failed";
		goto fail;
	}
	if (ioctl(acc->vm_fd, KVM_ENABLE_CAP, &split) < 0) {
		ret = -errno;
		*why = "KVM refused the split irqchip";
		goto fail;
	}
	/* Only VMX uses these; harmless elsewhere, and both lie in the reserved hole. */
	ioctl(acc->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
	ioctl(acc->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity);
	sigaction(SIGUSR1, &sa, NULL);
	*out = acc;
	return 0;
fail:
	if (acc->vm_fd >= 0)
		close(acc->vm_fd);
	if (acc->kvm_fd >= 0)
		close(acc->kvm_fd);
	free(acc);
	return ret < 0 ? ret : -ENODEV;
}

static void kvm_close(struct accel *acc)
{
	close(acc->vm_fd);
	close(acc->kvm_fd);
	pthread_mutex_destroy(&acc->routes_lock);
	free(acc);
}

static unsigned kvm_max_vcpus(struct accel *acc)
{
	return acc->max_vcpus;
}

static int kvm_set_memory(struct accel *acc, unsigned slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(acc->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static int kvm_supported_cpuid(struct accel *acc, struct cpuid_entry *entries, unsigned *count)
{
	struct kvm_cpuid2 *c;
	unsigned n = CPUID_MAX_ENTRIES;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	if (ioctl(acc->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int err = -errno;

		free(c);
		return err;
	}
	for (unsigned i = 0; i < c->nent; i++) {
		entries[i] = (struct cpuid_entry){
			.function = c->entries[i].function,
			.index = c->entries[i].index,
			.flags = (c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ?
					 CPUID_FLAG_SIGNIFICANT_INDEX : 0,
			.eax = c->entries[i].eax,
			.ebx = c->entries[i].ebx,
			.ecx = c->entries[i].ecx,
			.edx = c->entries[i].edx,
		};
	}
	*count = c->nent;
	free(c);
	return 0;
}

static int kvm_vcpu_create(struct accel *acc, unsigned id, struct accel_vcpu **out)
{
	struct accel_vcpu *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->acc = acc;
	v->id = id;
	v->fd = ioctl(acc->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
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
	if (ioctl(v->fd, KVM_GET_REGS, &v->reset_regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &v->reset_sregs) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &v->reset_fpu) < 0 ||
	    ioctl(v->fd, KVM_GET_LAPIC, &v->reset_lapic) < 0 ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &v->reset_events) < 0) {
		ret = -errno;
		munmap(v->run, acc->run_size);
		close(v->fd);
		free(v);
		return ret;
	}
	v->have_xcrs = ioctl(v->fd, KVM_GET_XCRS, &v->reset_xcrs) == 0;
	*out = v;
	return 0;
}

static void kvm_vcpu_destroy(struct accel_vcpu *v)
{
	munmap(v->run, v->acc->run_size);
	close(v->fd);
	free(v);
}

static int kvm_vcpu_set_cpuid(struct accel_vcpu *v, const struct cpuid_entry *e, unsigned n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	int ret;

	if (!c)
		return -ENOMEM;
	c->nent = n;
	for (unsigned i = 0; i < n; i++) {
		c->entries[i].function = e[i].function;
		c->entries[i].index = e[i].index;
		c->entries[i].flags =
			(e[i].flags & CPUID_FLAG_SIGNIFICANT_INDEX) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
		c->entries[i].eax = e[i].eax;
		c->entries[i].ebx = e[i].ebx;
		c->entries[i].ecx = e[i].ecx;
		c->entries[i].edx = e[i].edx;
	}
	ret = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return ret;
}

static int kvm_vcpu_set_regs(struct accel_vcpu *v, const struct x86_regs *r)
{
	struct kvm_regs k = {
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rsp = r->rsp, .rbp = r->rbp,
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
		.r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
		.rip = r->rip, .rflags = r->rflags,
	};

	return ioctl(v->fd, KVM_SET_REGS, &k) < 0 ? -errno : 0;
}

static void kvm_segment_from(struct kvm_segment *k, const struct x86_segment *s)
{
	*k = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector, .type = s->type,
		.present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l,
		.g = s->g, .avl = s->avl, .unusable = !s->present,
	};
}

static int kvm_vcpu_set_sregs(struct accel_vcpu *v, const struct x86_sregs *s)
{
	struct kvm_sregs k;

	if (ioctl(v->fd, KVM_GET_SREGS, &k) < 0)
		return -errno;
	kvm_segment_from(&k.cs, &s->cs);
	kvm_segment_from(&k.ds, &s->ds);
	kvm_segment_from(&k.es, &s->es);
	kvm_segment_from(&k.fs, &s->fs);
	kvm_segment_from(&k.gs, &s->gs);
	kvm_segment_from(&k.ss, &s->ss);
	kvm_segment_from(&k.tr, &s->tr);
	kvm_segment_from(&k.ldt, &s->ldt);
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
	return ioctl(v->fd, KVM_SET_SREGS, &k) < 0 ? -errno : 0;
}

static int kvm_vcpu_set_msrs(struct accel_vcpu *v, const struct x86_msr *msrs, unsigned n)
{
	struct kvm_msrs *k = calloc(1, sizeof(*k) + n * sizeof(k->entries[0]));
	int ret;

	if (!k)
		return -ENOMEM;
	k->nmsrs = n;
	for (unsigned i = 0; i < n; i++) {
		k->entries[i].index = msrs[i].index;
		k->entries[i].data = msrs[i].value;
	}
	ret = ioctl(v->fd, KVM_SET_MSRS, k);
	free(k);
	if (ret < 0)
		return -errno;
	return (unsigned)ret == n ? 0 : -EINVAL;
}

/* MSRs a previous boot may have left set that must not survive a reset. */
static const uint32_t kvm_reset_msr_list[] = {
	0x4b564d00, 0x4b564d01, /* kvmclock wall clock / system time (new) */
	0x11, 0x12,             /* kvmclock (old) */
	0x4b564d02,             /* async page fault */
	0x4b564d03,             /* steal time */
	0x4b564d04,             /* PV EOI */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR, LSTAR, CSTAR, SFMASK */
	0xc0000102,             /* KERNEL_GS_BASE */
	0x6e0,                  /* TSC deadline */
};

static int kvm_vcpu_reset(struct accel_vcpu *v)
{
	struct kvm_mp_state mp = {
		.mp_state = v->id == 0 ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED,
	};
	struct kvm_vcpu_events events = v->reset_events;

	for (unsigned i = 0; i < sizeof(kvm_reset_msr_list) / sizeof(kvm_reset_msr_list[0]); i++) {
		struct x86_msr m = { kvm_reset_msr_list[i], 0 };

		kvm_vcpu_set_msrs(v, &m, 1); /* an MSR this KVM lacks is not an error */
	}
	if (ioctl(v->fd, KVM_SET_REGS, &v->reset_regs) < 0 ||
	    ioctl(v->fd, KVM_SET_SREGS, &v->reset_sregs) < 0 ||
	    ioctl(v->fd, KVM_SET_FPU, &v->reset_fpu) < 0 ||
	    ioctl(v->fd, KVM_SET_LAPIC, &v->reset_lapic) < 0)
		return -errno;
	events.flags = 0;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return -errno;
	if (v->have_xcrs)
		ioctl(v->fd, KVM_SET_XCRS, &v->reset_xcrs);
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return -errno;
	return 0;
}

static int kvm_vcpu_run(struct accel_vcpu *v, struct vcpu_exit *exit)
{
	struct kvm_run *run = v->run;

	if (!v->thread_known) {
		v->thread = pthread_self();
		__atomic_store_n(&v->thread_known, true, __ATOMIC_RELEASE);
	}
	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
			exit->reason = VCPU_EXIT_INTR;
			return 0;
		}
		return -errno;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = VCPU_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = VCPU_EXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.len = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		break;
	case KVM_EXIT_HLT:
		exit->reason = VCPU_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = VCPU_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_INTR:
		exit->reason = VCPU_EXIT_INTR;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = VCPU_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_IOAPIC_EOI:
		exit->reason = VCPU_EXIT_IOAPIC_EOI;
		exit->eoi.vector = run->eoi.vector;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		exit->reason = VCPU_EXIT_SYSTEM_EVENT;
		exit->fail.code = run->system_event.type;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->reason = VCPU_EXIT_INTERNAL_ERROR;
		exit->fail.code = run->internal.suberror;
		break;
	case KVM_EXIT_FAIL_ENTRY:
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

static void kvm_vcpu_kick(struct accel_vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&v->thread_known, __ATOMIC_ACQUIRE))
		pthread_kill(v->thread, SIGUSR1);
}

static bool kvm_vcpu_ready_for_extint(struct accel_vcpu *v)
{
	return v->run->ready_for_interrupt_injection && v->run->if_flag;
}

static int kvm_vcpu_inject_extint(struct accel_vcpu *v, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	return ioctl(v->fd, KVM_INTERRUPT, &irq) < 0 ? -errno : 0;
}

static void kvm_vcpu_request_irq_window(struct accel_vcpu *v, bool on)
{
	v->run->request_interrupt_window = on;
}

static int kvm_signal_msi(struct accel *acc, uint64_t address, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)address,
		.address_hi = (uint32_t)(address >> 32),
		.data = data,
	};

	return ioctl(acc->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

/* Hands KVM the whole routing table (routes_lock held). */
static int kvm_commit_routes(struct accel *acc)
{
	struct kvm_irq_routing *table;
	unsigned n = 0;
	int ret;

	table = calloc(1, sizeof(*table) + KVM_MAX_ROUTES * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	for (unsigned i = 0; i < KVM_MAX_ROUTES; i++)
		if (acc->route_valid[i])
			table->entries[n++] = acc->routes[i];
	table->nr = n;
	ret = ioctl(acc->vm_fd, KVM_SET_GSI_ROUTING, table) < 0 ? -errno : 0;
	free(table);
	return ret;
}

static void kvm_set_route(struct accel *acc, unsigned gsi, uint64_t address, uint32_t data)
{
	acc->routes[gsi] = (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)address, .address_hi = (uint32_t)(address >> 32),
			   .data = data },
	};
}

/* Mirrors the IOAPIC's entries as GSI routes so KVM knows the level-triggered vectors. */
static int kvm_set_ioapic_route(struct accel *acc, unsigned pin, uint64_t address, uint32_t data,
				bool masked)
{
	int ret;

	if (pin >= KVM_IOAPIC_PINS)
		return -EINVAL;
	pthread_mutex_lock(&acc->routes_lock);
	acc->route_valid[pin] = !masked;
	kvm_set_route(acc, pin, address, data);
	ret = kvm_commit_routes(acc);
	pthread_mutex_unlock(&acc->routes_lock);
	return ret;
}

static int kvm_irqfd_bind(struct accel *acc, int fd, uint64_t address, uint32_t data, int *handle)
{
	struct kvm_irqfd irqfd = { .fd = fd };
	int gsi = *handle, ret;

	if (!acc->have_irqfd)
		return -ENOSYS;
	pthread_mutex_lock(&acc->routes_lock);
	if (gsi < 0) {
		for (gsi = KVM_IOAPIC_PINS; gsi < KVM_MAX_ROUTES && acc->route_used[gsi]; gsi++)
			;
		if (gsi == KVM_MAX_ROUTES) {
			pthread_mutex_unlock(&acc->routes_lock);
			return -ENOSPC;
		}
	} else if (gsi < KVM_IOAPIC_PINS || gsi >= KVM_MAX_ROUTES || !acc->route_used[gsi]) {
		pthread_mutex_unlock(&acc->routes_lock);
		return -EINVAL;
	}
	kvm_set_route(acc, gsi, address, data);
	acc->route_valid[gsi] = true;
	ret = kvm_commit_routes(acc);
	if (!ret && *handle < 0) {
		irqfd.gsi = gsi;
		ret = ioctl(acc->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
		if (!ret) {
			acc->route_used[gsi] = true;
			*handle = gsi;
		} else {
			acc->route_valid[gsi] = false;
			kvm_commit_routes(acc);
		}
	}
	pthread_mutex_unlock(&acc->routes_lock);
	return ret;
}

static void kvm_irqfd_unbind(struct accel *acc, int fd, int handle)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = handle, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (handle < KVM_IOAPIC_PINS || handle >= KVM_MAX_ROUTES)
		return;
	pthread_mutex_lock(&acc->routes_lock);
	if (acc->route_used[handle]) {
		ioctl(acc->vm_fd, KVM_IRQFD, &irqfd);
		acc->route_used[handle] = false;
		acc->route_valid[handle] = false;
		kvm_commit_routes(acc);
	}
	pthread_mutex_unlock(&acc->routes_lock);
}

/* Any-length doorbells sit on KVM's fast MMIO path; else match the 16-bit notify write. */
static int kvm_ioeventfd(struct accel *acc, uint64_t addr, int fd, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = acc->ioeventfd_any_length ? 0 : 2,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (!acc->have_ioeventfd)
		return -ENOSYS;
	return ioctl(acc->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

const struct accel_ops accel_kvm_ops = {
	.name = "kvm",
	.open = kvm_open,
	.close = kvm_close,
	.max_vcpus = kvm_max_vcpus,
	.set_memory = kvm_set_memory,
	.supported_cpuid = kvm_supported_cpuid,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vcpu_set_cpuid = kvm_vcpu_set_cpuid,
	.vcpu_set_regs = kvm_vcpu_set_regs,
	.vcpu_set_sregs = kvm_vcpu_set_sregs,
	.vcpu_set_msrs = kvm_vcpu_set_msrs,
	.vcpu_reset = kvm_vcpu_reset,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.vcpu_ready_for_extint = kvm_vcpu_ready_for_extint,
	.vcpu_inject_extint = kvm_vcpu_inject_extint,
	.vcpu_request_irq_window = kvm_vcpu_request_irq_window,
	.signal_msi = kvm_signal_msi,
	.set_ioapic_route = kvm_set_ioapic_route,
	.irqfd_bind = kvm_irqfd_bind,
	.irqfd_unbind = kvm_irqfd_unbind,
	.ioeventfd = kvm_ioeventfd,
};
