// SPDX-License-Identifier: GPL-2.0
/* Building the PC machine, starting its vCPUs, and its lifecycle (power off, reset, crash). */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "vdevices/acpi_pm.h"
#include "vdevices/chardev.h"
#include "vdevices/i8042.h"
#include "vdevices/ioapic.h"
#include "vdevices/pci.h"
#include "vdevices/pic.h"
#include "vdevices/pit.h"
#include "vdevices/rtc.h"
#include "vdevices/uart.h"
#include "vmm/acpi.h"
#include "vmm/control.h"
#include "vmm/cpuid.h"
#include "vmm/layout.h"

#define KEEL_DEV_PATH "/dev/keel"

/*
 * Maps a whole file read-only; 0 or a negative errno (-EINVAL: not a regular file). Boot
 * files are mapped only while they are copied into the guest, so they cost no memory after.
 */
static int map_file(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*size = st.st_size;
	*data = NULL;
	if (st.st_size) {
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			int err = -errno;

			close(fd);
			return err;
		}
		*data = p;
	}
	close(fd);
	return 0;
}

static void vm_unmap_boot_files(struct vm *vm)
{
	if (vm->kernel)
		munmap(vm->kernel, vm->kernel_size);
	if (vm->initrd)
		munmap(vm->initrd, vm->initrd_size);
	vm->kernel = vm->initrd = NULL;
	vm->kernel_size = vm->initrd_size = 0;
}

void vm_raise_event(struct vm *vm, enum vm_event event, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (vm->event == VM_EVENT_NONE) {
		vm->event = event;
		va_start(ap, fmt);
		vsnprintf(vm->event_message, sizeof(vm->event_message), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&vm->lock);
	if (write(vm->event_fd, &one, sizeof(one)) < 0)
		log_warn("cannot wake the main loop: %s", strerror(errno));
}

/* Interrupt routing: ISA IRQ n goes to PIC input n and IOAPIC pin n (IRQ 0 to pin 2). */
void vm_isa_irq_set(void *opaque, unsigned irq, bool level)
{
	struct vm *vm = opaque;

	pic_set_irq(vm->pic, irq, level);
	ioapic_set_irq(vm->ioapic, irq == 0 ? 2 : irq, level);
}

static struct irq_line vm_isa_irq(struct vm *vm, unsigned irq)
{
	return (struct irq_line){ vm_isa_irq_set, vm, irq };
}

static int vm_sink_signal_msi(void *opaque, uint64_t address, uint32_t data)
{
	struct vm *vm = opaque;

	int ret;

	pthread_rwlock_rdlock(&vm->accel_lock);
	ret = vm->accel_ops->signal_msi(vm->accel, address, data);
	pthread_rwlock_unlock(&vm->accel_lock);
	return ret;
}

static int vm_sink_set_ioapic_route(void *opaque, unsigned pin, uint64_t address, uint32_t data,
				    bool masked)
{
	struct vm *vm = opaque;
	int ret;

	pthread_rwlock_rdlock(&vm->accel_lock);
	ret = vm->accel_ops->set_ioapic_route(vm->accel, pin, address, data, masked);
	pthread_rwlock_unlock(&vm->accel_lock);
	return ret;
}

static void vm_sink_pic_output_changed(void *opaque, bool level)
{
	struct vm *vm = opaque;

	if (level && vm->vcpus) {
		pthread_rwlock_rdlock(&vm->accel_lock);
		vcpu_kick(&vm->vcpus[0]);
		pthread_rwlock_unlock(&vm->accel_lock);
	}
}

static const struct irq_sink_ops vm_irq_sink_ops = {
	.signal_msi = vm_sink_signal_msi,
	.set_ioapic_route = vm_sink_set_ioapic_route,
	.pic_output_changed = vm_sink_pic_output_changed,
};

static void vm_guest_sleep(void *opaque, unsigned slp_typ)
{
	struct vm *vm = opaque;

	if (slp_typ == ACPI_SLP_TYP_S5)
		vm_raise_event(vm, VM_EVENT_POWEROFF, "the guest powered off (ACPI S5)");
}

static void vm_guest_reset(void *opaque)
{
	vm_raise_event(opaque, VM_EVENT_RESET, "the guest reset the machine");
}

static int vm_open_accel(struct vm *vm)
{
	const char *why = "unknown";
	int ret;

	/* auto: keel.ko where it is loaded, else KVM. */
	if (vm->cfg->accel == ACCEL_KEEL ||
	    (vm->cfg->accel == ACCEL_AUTO && access(KEEL_DEV_PATH, F_OK) == 0)) {
		vm->accel_ops = &accel_keel_ops;
		ret = vm->accel_ops->open(&vm->accel, &why);
		if (!ret || vm->cfg->accel == ACCEL_KEEL)
			goto opened;
		log_info("keel.ko: %s (%s); using KVM", why, strerror(-ret));
	}
	vm->accel_ops = &accel_kvm_ops;
	ret = vm->accel_ops->open(&vm->accel, &why);
opened:
	if (ret) {
		log_error("accelerator %s: %s (%s)", vm->accel_ops->name, why, strerror(-ret));
		return ret;
	}
	return 0;
}

#define VM_HUGE_PAGE (2ULL << 20)

/*
 * Guest RAM, 2 MiB aligned so transparent huge pages can back it (and the accelerator can
 * map it with 2 MiB nested pages).
 */
static void *vm_alloc_ram(uint64_t size)
{
	uint8_t *raw = mmap(NULL, size + VM_HUGE_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *aligned;

	if (raw == MAP_FAILED)
		return NULL;
	aligned = (uint8_t *)(((uintptr_t)raw + VM_HUGE_PAGE - 1) & ~(uintptr_t)(VM_HUGE_PAGE - 1));
	if (aligned > raw)
		munmap(raw, aligned - raw);
	munmap(aligned + size, raw + VM_HUGE_PAGE - aligned);
	madvise(aligned, size, MADV_HUGEPAGE);
	return aligned;
}

static int vm_map_ram(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size)
{
	void *hva = vm_alloc_ram(size);
	int ret;

	if (!hva)
		return -errno;
	ret = vm->accel_ops->set_memory(vm->accel, slot, gpa, size, hva);
	if (ret) {
		munmap(hva, size);
		return ret;
	}
	vm->mem.ranges[vm->mem.count++] = (struct guest_mem_range){ gpa, size, hva };
	return 0;
}

static int vm_create_memory(struct vm *vm)
{
	int ret;

	vm->lowmem_size = vm->cfg->memory < LAYOUT_LOWMEM_MAX ? vm->cfg->memory : LAYOUT_LOWMEM_MAX;
	vm->highmem_size = vm->cfg->memory - vm->lowmem_size;
	ret = vm_map_ram(vm, 0, 0, vm->lowmem_size);
	if (!ret && vm->highmem_size)
		ret = vm_map_ram(vm, 1, LAYOUT_RAM_ABOVE_4G, vm->highmem_size);
	if (ret)
		log_error("cannot give the guest %llu MiB of memory: %s",
			  (unsigned long long)(vm->cfg->memory >> 20), strerror(-ret));
	return ret;
}

static int vm_add_device(struct vm *vm, const struct vdev_ops *ops, void *dev)
{
	if (!dev) {
		log_error("cannot create device %s", ops->name);
		return -ENOMEM;
	}
	return vdev_list_add(&vm->devices, ops, dev);
}

static int vm_create_devices(struct vm *vm)
{
	static const struct acpi_pm_events pm_events_template = {
		.sleep = vm_guest_sleep,
		.reset = vm_guest_reset,
	};
	struct acpi_pm_events pm_events = pm_events_template;
	const char *why = "unknown";
	int ret;

	vm->irq_sink = (struct irq_sink){ &vm_irq_sink_ops, vm };
	pm_events.opaque = vm;

	vm->pic = pic_create(&vm->pio, &vm->irq_sink);
	ret = vm_add_device(vm, &pic_vdev_ops, vm->pic);
	if (ret)
		return ret;
	vm->ioapic = ioapic_create(&vm->mmio, IOAPIC_DEFAULT_BASE, 0,
				   &vm->irq_sink);
	ret = vm_add_device(vm, &ioapic_vdev_ops, vm->ioapic);
	if (ret)
		return ret;
	ret = vm_add_device(vm, &pit_vdev_ops, pit_create(&vm->pio, vm->loop, vm_isa_irq(vm, 0)));
	if (ret)
		return ret;
	ret = vm_add_device(vm, &rtc_vdev_ops, rtc_create(&vm->pio, vm->loop, vm_isa_irq(vm, 8)));
	if (ret)
		return ret;
	ret = chardev_open(vm->cfg->console, vm->loop, &vm->console, &why);
	if (ret) {
		log_error("--console '%s': %s", vm->cfg->console, why);
		return ret;
	}
	if (vm->cfg->console_hvc) {
		ret = chardev_open("null", vm->loop, &vm->serial, &why);
		if (ret)
			return ret;
	}
	ret = vm_add_device(vm, &uart_vdev_ops,
			    uart_create(&vm->pio, UART_COM1_BASE, vm_isa_irq(vm, UART_COM1_IRQ),
					vm->serial ? vm->serial : vm->console));
	if (ret)
		return ret;
	ret = vm_add_device(vm, &i8042_vdev_ops,
			    i8042_create(&vm->pio, vm_isa_irq(vm, 1), vm_isa_irq(vm, 12),
					 vm_guest_reset, vm));
	if (ret)
		return ret;
	vm->pm = acpi_pm_create(&vm->pio, ACPI_PM_BASE, vm_isa_irq(vm, ACPI_SCI_IRQ), &pm_events);
	ret = vm_add_device(vm, &acpi_pm_vdev_ops, vm->pm);
	if (!ret)
		ret = acpi_pm_use_evloop(vm->pm, vm->loop);
	if (ret)
		return ret;
	return vm_create_pci_devices(vm);
}

static unsigned vm_build_e820(const struct vm *vm, struct e820_entry *e820)
{
	unsigned n = 0;

	e820[n++] = (struct e820_entry){ 0, LAYOUT_EBDA, E820_RAM };
	e820[n++] = (struct e820_entry){ LAYOUT_EBDA, 0xa0000 - LAYOUT_EBDA, E820_RESERVED };
	e820[n++] = (struct e820_entry){ LAYOUT_ACPI, LAYOUT_ACPI_SIZE, E820_RESERVED };
	e820[n++] = (struct e820_entry){ LAYOUT_HIGH_MEMORY, vm->lowmem_size - LAYOUT_HIGH_MEMORY,
					 E820_RAM };
	if (vm->highmem_size)
		e820[n++] = (struct e820_entry){ LAYOUT_RAM_ABOVE_4G, vm->highmem_size, E820_RAM };
	return n;
}

/* Writes everything the guest needs into (cleared) memory and sets the BSP's registers. */
static int vm_load_guest(struct vm *vm)
{
	struct acpi_config acpi = {
		.ncpus = vm->ncpus,
		.ioapic_addr = IOAPIC_DEFAULT_BASE,
		.ioapic_id = 0,
		.pm_base = ACPI_PM_BASE,
		.pci_slots = PCI_MAX_DEVICES,
		.pci_mmio_base = LAYOUT_PCI_MMIO_START,
		.pci_mmio_size = LAYOUT_PCI_MMIO_END + 1 - LAYOUT_PCI_MMIO_START,
		.pci_intx_gsi = pci_intx_gsi,
	};
	struct e820_entry e820[E820_MAX];
	struct linux_boot boot = {
		.kernel = vm->kernel,
		.kernel_size = vm->kernel_size,
		.initrd = vm->initrd,
		.initrd_size = vm->initrd_size,
		.cmdline = vm->cmdline,
		.e820 = e820,
		.lowmem_end = vm->lowmem_size,
	};
	uint8_t *acpi_area = guest_mem_ptr(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_SIZE);
	const char *why = "unknown";
	int ret;

	boot.e820_count = vm_build_e820(vm, e820);
	if (!acpi_area || acpi_build(acpi_area, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &acpi, &boot.rsdp_addr)) {
		log_error("cannot build the ACPI tables");
		return -E2BIG;
	}
	ret = linux_boot_load(&vm->mem, &boot, &vm->boot_regs, &vm->boot_sregs, &why);
	if (ret) {
		log_error("--kernel '%s': %s", vm->cfg->kernel, why);
		return ret;
	}
	return 0;
}

static int vm_setup_vcpu(struct vm *vm, struct vcpu *vcpu)
{
	struct cpuid_entry cpuid[CPUID_MAX_ENTRIES];
	int n, ret;

	n = cpuid_for_vcpu(vm->cpuid, vm->cpuid_count, vcpu->id, vm->ncpus, cpuid);
	if (n < 0)
		return n;
	ret = vm->accel_ops->vcpu_set_cpuid(vcpu->accel, cpuid, (unsigned)n);
	if (ret)
		return ret;
	if (vcpu->id != 0)
		return 0; /* APs wait for INIT/SIPI from the BSP */
	ret = vm->accel_ops->vcpu_set_sregs(vcpu->accel, &vm->boot_sregs);
	if (!ret)
		ret = vm->accel_ops->vcpu_set_regs(vcpu->accel, &vm->boot_regs);
	return ret;
}

static int vm_create_vcpus(struct vm *vm)
{
	int ret;

	if (vm->ncpus > vm->accel_ops->max_vcpus(vm->accel)) {
		log_error("--cpus %u: the %s accelerator allows at most %u vCPUs", vm->ncpus,
			  vm->accel_ops->name, vm->accel_ops->max_vcpus(vm->accel));
		return -EINVAL;
	}
	vm->cpuid = calloc(CPUID_MAX_ENTRIES, sizeof(*vm->cpuid));
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->cpuid || !vm->vcpus)
		return -ENOMEM;
	ret = vm->accel_ops->supported_cpuid(vm->accel, vm->cpuid, &vm->cpuid_count);
	if (ret) {
		log_error("cannot read the supported CPUID: %s", strerror(-ret));
		return ret;
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		ret = vm->accel_ops->vcpu_create(vm->accel, i, &vcpu->accel);
		if (!ret)
			ret = vm_setup_vcpu(vm, vcpu);
		if (ret) {
			log_error("cannot create vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int vm_map_boot_files(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct bzimage_info info;
	const char *why = "unknown";
	int ret;

	ret = map_file(cfg->kernel, &vm->kernel, &vm->kernel_size);
	if (ret) {
		log_error("--kernel '%s': %s", cfg->kernel,
			  ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return ret;
	}
	if (!vm->kernel || bzimage_parse(vm->kernel, vm->kernel_size, &info, &why)) {
		if (!vm->kernel)
			why = "an empty file";
		log_error("--kernel '%s': %s", cfg->kernel, why);
		return -EINVAL;
	}
	if (cfg->initrd) {
		ret = map_file(cfg->initrd, &vm->initrd, &vm->initrd_size);
		if (ret) {
			log_error("--initrd '%s': %s", cfg->initrd,
				  ret == -EINVAL ? "not a regular file" : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int vm_check_memory(const struct vm_config *cfg)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t host = pages > 0 && page > 0 ? (uint64_t)pages * page : VMM_MAX_MEMORY;

	if (cfg->memory < LAYOUT_MIN_MEMORY) {
		log_error("--memory %llu MiB: at least %llu MiB is needed",
			  (unsigned long long)(cfg->memory >> 20),
			  (unsigned long long)(LAYOUT_MIN_MEMORY >> 20));
		return -EINVAL;
	}
	if (cfg->memory > host || cfg->memory > VMM_MAX_MEMORY) {
		log_error("--memory %llu MiB: more than this host's %llu MiB of RAM",
			  (unsigned long long)(cfg->memory >> 20), (unsigned long long)(host >> 20));
		return -EINVAL;
	}
	if (cfg->memory & 0xfff) {
		log_error("--memory: must be a multiple of 4 KiB");
		return -EINVAL;
	}
	return 0;
}

static void vm_event_ready(void *opaque, uint32_t events);

/* SIGTERM, SIGINT and SIGHUP end the VM like quit; they arrive on the event loop. */
static void vm_signal_ready(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(vm->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	vm_raise_event(vm, VM_EVENT_QUIT, "terminated by signal %u (%s)", si.ssi_signo,
		       strsignal((int)si.ssi_signo));
}

static int vm_watch_signals(struct vm *vm)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any vCPU thread exists, so every thread inherits the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	vm->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->signal_fd < 0)
		return -errno;
	return evloop_add_fd(vm->loop, vm->signal_fd, EPOLLIN, vm_signal_ready, vm);
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->ncpus = cfg->cpus;
	vm->event_fd = -1;
	vm->signal_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	pthread_rwlock_init(&vm->accel_lock, NULL);
	pthread_mutex_init(&vm->bindings_lock, NULL);
	io_bus_init(&vm->pio, "pio");
	io_bus_init(&vm->mmio, "mmio");

	/* Everything a person can get wrong is checked before the accelerator is touched. */
	vm->cmdline = strdup(cfg->append);
	if (!vm->cmdline || vm_check_memory(cfg) || vm_map_boot_files(vm))
		return 1;
	vm->loop = evloop_create();
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!vm->loop || vm->event_fd < 0 ||
	    evloop_add_fd(vm->loop, vm->event_fd, EPOLLIN, vm_event_ready, vm) ||
	    vm_watch_signals(vm)) {
		log_error("cannot create the event loop");
		return 1;
	}
	if (vm_open_accel(vm) || vm_create_memory(vm))
		return 1;
	if (vm_load_guest(vm))
		return 1;
	vm_unmap_boot_files(vm);
	if (vm_create_devices(vm) || vm_create_vcpus(vm))
		return 1;
	if (cfg->control) {
		const char *why = "unknown";

		if (control_create(vm, cfg->control, &vm->control, &why)) {
			log_error("--control '%s': %s", cfg->control, why);
			return 1;
		}
	}
	return 0;
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->park_request, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->lock);
	while (vm->parked < vm->ncpus)
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->paused = true;
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->park_request, false, __ATOMIC_RELEASE);
	vm->paused = false;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vm_power_button(struct vm *vm)
{
	acpi_pm_press_power_button(vm->pm);
}

/* Power-on state again: devices, memory contents, vCPUs. Called with all vCPUs parked. */
static int vm_reset(struct vm *vm)
{
	int ret;

	vm->resets++;
	vdev_list_reset(&vm->devices);
	for (unsigned i = 0; i < vm->mem.count; i++) {
		if (vm->accel_ops->pins_guest_memory)
			memset(vm->mem.ranges[i].hva, 0, vm->mem.ranges[i].size);
		else
			madvise(vm->mem.ranges[i].hva, vm->mem.ranges[i].size, MADV_DONTNEED);
	}
	ret = vm_map_boot_files(vm);
	if (!ret)
		ret = vm_load_guest(vm);
	vm_unmap_boot_files(vm);
	for (unsigned i = 0; !ret && i < vm->ncpus; i++) {
		ret = vm->accel_ops->vcpu_reset(vm->vcpus[i].accel);
		if (!ret)
			ret = vm_setup_vcpu(vm, &vm->vcpus[i]);
	}
	return ret;
}

static void vm_finish(struct vm *vm, int code)
{
	vm->exit_code = code;
	evloop_stop(vm->loop);
}

static void vm_event_ready(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	enum vm_event event;
	uint64_t count;
	char message[sizeof(vm->event_message)];
	bool was_paused = vm->paused;

	if (read(vm->event_fd, &count, sizeof(count)) < 0)
		return;
	pthread_mutex_lock(&vm->lock);
	event = vm->event;
	memcpy(message, vm->event_message, sizeof(message));
	vm->event = VM_EVENT_NONE;
	pthread_mutex_unlock(&vm->lock);

	switch (event) {
	case VM_EVENT_NONE:
		break;
	case VM_EVENT_POWEROFF:
		log_info("%s", message);
		vm_finish(vm, VMM_EXIT_POWEROFF);
		break;
	case VM_EVENT_QUIT:
		log_info("%s", message);
		vm_finish(vm, VMM_EXIT_POWEROFF);
		break;
	case VM_EVENT_RESET:
		if (vm->cfg->no_reboot) {
			log_info("%s; exiting (--no-reboot)", message);
			vm_finish(vm, VMM_EXIT_REBOOT);
			break;
		}
		log_info("%s; resetting", message);
		if (!was_paused)
			vm_pause(vm);
		if (vm_reset(vm)) {
			log_error("the reset failed; stopping");
			vm_finish(vm, VMM_EXIT_FATAL);
			break;
		}
		if (!was_paused)
			vm_resume(vm);
		break;
	case VM_EVENT_CRASH:
		log_error("%s", message);
		vm_finish(vm, VMM_EXIT_CRASH);
		break;
	case VM_EVENT_FATAL:
		log_error("%s", message);
		vm_finish(vm, VMM_EXIT_FATAL);
		break;
	}
}

int vm_run(struct vm *vm)
{
	unsigned started = 0;
	int ret;

	for (; started < vm->ncpus; started++) {
		ret = pthread_create(&vm->vcpus[started].thread, NULL, vcpu_thread_main,
				     &vm->vcpus[started]);
		if (ret) {
			log_error("cannot start vCPU %u: %s", started, strerror(ret));
			vm->exit_code = VMM_EXIT_ERROR;
			break;
		}
	}
	if (started == vm->ncpus)
		evloop_run(vm->loop);

	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	__atomic_store_n(&vm->park_request, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < started; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
	return vm->exit_code;
}

void vm_destroy(struct vm *vm)
{
	if (vm->control)
		control_destroy(vm->control);
	vdev_list_destroy(&vm->devices);
	if (vm->console)
		chardev_close(vm->console);
	if (vm->serial)
		chardev_close(vm->serial);
	for (unsigned i = 0; i < VMM_MAX_CHANNELS; i++)
		if (vm->channels[i])
			chardev_close(vm->channels[i]);
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++)
		if (vm->vcpus[i].accel)
			vm->accel_ops->vcpu_destroy(vm->vcpus[i].accel);
	if (vm->accel)
		vm->accel_ops->close(vm->accel);
	for (unsigned i = 0; i < vm->mem.count; i++)
		munmap(vm->mem.ranges[i].hva, vm->mem.ranges[i].size);
	if (vm->loop)
		evloop_destroy(vm->loop);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	if (vm->signal_fd >= 0)
		close(vm->signal_fd);
	io_bus_free(&vm->pio);
	io_bus_free(&vm->mmio);
	free(vm->vcpus);
	free(vm->cpuid);
	free(vm->bindings);
	vm_unmap_boot_files(vm);
	free(vm->cmdline);
}
