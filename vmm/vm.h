/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One VM: guest memory, the buses and chipset, the vCPU threads and the lifecycle.
 * Threads: the main thread runs the event loop (control socket, console, timers) and does
 * every lifecycle change; each vCPU has its own thread running vcpu_thread_main().
 */
#ifndef KEEL_VMM_VM_H
#define KEEL_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/evloop.h"
#include "vdevices/bus.h"
#include "vdevices/device.h"
#include "vdevices/guest_mem.h"
#include "vdevices/irq.h"
#include "vmm/accel.h"
#include "vmm/boot_linux.h"
#include "vmm/config.h"

struct chardev;
struct control;
struct pci_host;
struct virtio_dev;
struct vm_binding;

#define VM_MAX_VIRTIO 16

/* Lifecycle requests, raised from any thread and acted on by the main thread. */
enum vm_event {
	VM_EVENT_NONE,
	VM_EVENT_POWEROFF,
	VM_EVENT_RESET,
	VM_EVENT_CRASH,
	VM_EVENT_FATAL,
	VM_EVENT_QUIT,
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	struct accel_vcpu *accel;
	pthread_t thread;
	uint64_t exits[VCPU_EXIT_COUNT];
};

struct vm {
	const struct vm_config *cfg;
	const struct accel_ops *accel_ops;
	struct accel *accel;
	struct guest_mem mem;
	uint64_t lowmem_size, highmem_size;
	struct io_bus pio, mmio;
	struct evloop *loop;
	struct vdev_list devices;
	struct irq_sink irq_sink;

	struct pic *pic;
	struct ioapic *ioapic;
	struct acpi_pm *pm;
	struct pci_host *pci;
	struct virtio_dev *virtio[VM_MAX_VIRTIO];
	unsigned nvirtio;
	pthread_mutex_t intx_lock;
	uint32_t intx_asserted[2]; /* slots asserting INTA# on IRQ 10 and IRQ 11 */
	struct chardev *console;
	struct chardev *serial; /* COM1's when the console is on hvc0 */
	struct chardev *channels[VMM_MAX_CHANNELS];
	struct control *control;

	unsigned ncpus;
	struct vcpu *vcpus;
	struct cpuid_entry *cpuid;
	unsigned cpuid_count;

	/* Boot files, mapped only while they are loaded into the guest (start, reset). */
	uint8_t *kernel, *initrd;
	size_t kernel_size, initrd_size;
	char *cmdline;
	struct x86_regs boot_regs;
	struct x86_sregs boot_sregs;

	/* Parking: the main thread stops and restarts all vCPUs. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool park_request, quit, paused;
	unsigned parked;

	/*
	 * The accelerator's VM can be replaced while the vCPUs are parked (vm_reload_accel):
	 * other threads use vm->accel and vcpus[].accel under the read side of accel_lock.
	 * The eventfd bindings are kept (under bindings_lock) to be made again in a new VM.
	 */
	pthread_rwlock_t accel_lock;
	pthread_mutex_t bindings_lock;
	struct vm_binding *bindings;
	unsigned nbindings;

	/* The first lifecycle event wins; event_fd wakes the main loop. */
	int event_fd;
	int signal_fd;
	enum vm_event event;
	char event_message[160];
	int exit_code;
	unsigned resets;
	unsigned accel_reloads;	/* times moved to a new accelerator VM */
};

/* Builds the VM from cfg; 0, or 1 with a one-line error already printed. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
/* Starts the vCPUs and runs the event loop until the VM ends; returns the exit code. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* From any thread. The message (printf-style) names the cause for crash/fatal events. */
void vm_raise_event(struct vm *vm, enum vm_event event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Main thread only: stop all vCPUs outside guest mode / let them run again. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
void vm_power_button(struct vm *vm);

/* ISA IRQ n to PIC input n and IOAPIC pin n (IRQ 0 to pin 2) (vm.c). */
void vm_isa_irq_set(void *opaque, unsigned irq, bool level);

/* The PCI host and virtio devices from the configuration (vm_pci.c). */
int vm_create_pci_devices(struct vm *vm);

/*
 * Eventfd bindings made through the accelerator, recorded to be made again (vm_reload.c):
 * an irqfd (fd delivers the MSI address/data) or a doorbell (a write to addr signals fd).
 */
int vm_irqfd_bind(struct vm *vm, int fd, uint64_t address, uint32_t data, int *handle);
void vm_irqfd_unbind(struct vm *vm, int fd, int handle);
int vm_doorbell_assign(struct vm *vm, uint64_t addr, int fd);
void vm_doorbell_deassign(struct vm *vm, uint64_t addr, int fd);
/*
 * Main thread, VM paused: saves every vCPU's state and the clock, restores them into a new
 * VM of the same accelerator over the same memory, and binds the eventfds again there. On
 * failure the VM stays on its old accelerator VM; err names the step.
 */
int vm_reload_accel(struct vm *vm, char *err, size_t errlen);

/* The vCPU thread (vcpu.c). */
void *vcpu_thread_main(void *arg);
void vcpu_kick(struct vcpu *vcpu);

#endif
