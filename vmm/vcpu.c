// SPDX-License-Identifier: GPL-2.0
/* The vCPU run loop: run, then dispatch the exit through one table. */
#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "vdevices/ioapic.h"
#include "vdevices/pic.h"
#include "vmm/vm.h"

typedef void (*vcpu_exit_handler)(struct vcpu *vcpu, struct vcpu_exit *exit);

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = v >> (8 * i);
}

static void vcpu_handle_io(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct io_bus *bus = &vcpu->vm->pio;
	unsigned size = exit->io.size;
	uint64_t v;

	if (size != 1 && size != 2 && size != 4)
		return;
	for (uint32_t i = 0; i < exit->io.count; i++) {
		uint8_t *p = exit->io.data + (size_t)i * size;

		if (exit->io.is_write) {
			io_bus_write(bus, exit->io.port, size, load_le(p, size));
		} else {
			io_bus_read(bus, exit->io.port, size, &v);
			store_le(p, size, v);
		}
	}
}

static void vcpu_handle_mmio(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct io_bus *bus = &vcpu->vm->mmio;
	unsigned len = exit->mmio.len;
	uint64_t v;

	if (len == 0 || len > 8)
		return;
	if (len == 1 || len == 2 || len == 4 || len == 8) {
		if (exit->mmio.is_write) {
			io_bus_write(bus, exit->mmio.addr, len, load_le(exit->mmio.data, len));
		} else {
			io_bus_read(bus, exit->mmio.addr, len, &v);
			store_le(exit->mmio.data, len, v);
		}
		return;
	}
	for (unsigned i = 0; i < len; i++) {
		if (exit->mmio.is_write) {
			io_bus_write(bus, exit->mmio.addr + i, 1, exit->mmio.data[i]);
		} else {
			io_bus_read(bus, exit->mmio.addr + i, 1, &v);
			exit->mmio.data[i] = (uint8_t)v;
		}
	}
}

static void vcpu_handle_nothing(struct vcpu *vcpu, struct vcpu_exit *exit)
{
}

static void vcpu_handle_shutdown(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	vm_raise_event(vcpu->vm, VM_EVENT_CRASH, "guest triple fault (CPU shutdown) on vCPU %u",
		       vcpu->id);
}

static void vcpu_handle_eoi(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	ioapic_eoi(vcpu->vm->ioapic, exit->eoi.vector);
}

static void vcpu_handle_system_event(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	switch (exit->fail.code) {
	case 1: /* shutdown */
		vm_raise_event(vcpu->vm, VM_EVENT_POWEROFF, "the accelerator reported shutdown");
		break;
	case 2: /* reset */
		vm_raise_event(vcpu->vm, VM_EVENT_RESET, "the accelerator reported reset");
		break;
	default:
		vm_raise_event(vcpu->vm, VM_EVENT_CRASH, "the accelerator reported a guest crash "
			       "(system event %llu) on vCPU %u",
			       (unsigned long long)exit->fail.code, vcpu->id);
	}
}

static void vcpu_handle_failure(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	static const char *const what[] = {
		[VCPU_EXIT_INTERNAL_ERROR] = "internal error",
		[VCPU_EXIT_FAIL_ENTRY] = "failed VM entry",
		[VCPU_EXIT_UNKNOWN] = "unknown exit",
	};

	vm_raise_event(vcpu->vm, VM_EVENT_FATAL, "unrecoverable exit on vCPU %u: %s (code 0x%llx)",
		       vcpu->id, what[exit->reason], (unsigned long long)exit->fail.code);
}

static const vcpu_exit_handler vcpu_exit_handlers[VCPU_EXIT_COUNT] = {
	[VCPU_EXIT_IO] = vcpu_handle_io,
	[VCPU_EXIT_MMIO] = vcpu_handle_mmio,
	[VCPU_EXIT_HLT] = vcpu_handle_nothing,
	[VCPU_EXIT_SHUTDOWN] = vcpu_handle_shutdown,
	[VCPU_EXIT_INTR] = vcpu_handle_nothing,
	[VCPU_EXIT_IRQ_WINDOW] = vcpu_handle_nothing,
	[VCPU_EXIT_IOAPIC_EOI] = vcpu_handle_eoi,
	[VCPU_EXIT_SYSTEM_EVENT] = vcpu_handle_system_event,
	[VCPU_EXIT_INTERNAL_ERROR] = vcpu_handle_failure,
	[VCPU_EXIT_FAIL_ENTRY] = vcpu_handle_failure,
	[VCPU_EXIT_UNKNOWN] = vcpu_handle_failure,
};

/* The PIC's output reaches the BSP as ExtINT once the guest can take it. */
static void vcpu_service_extint(struct vcpu *vcpu)
{
	const struct accel_ops *ops = vcpu->vm->accel_ops;
	struct pic *pic = vcpu->vm->pic;

	if (!pic_has_interrupt(pic)) {
		ops->vcpu_request_irq_window(vcpu->accel, false);
		return;
	}
	if (ops->vcpu_ready_for_extint(vcpu->accel)) {
		int ret = ops->vcpu_inject_extint(vcpu->accel, pic_acknowledge(pic));

		/* The PIC has the vector in service now: losing it would stall the guest. */
		if (ret < 0)
			vm_raise_event(vcpu->vm, VM_EVENT_FATAL,
				       "vCPU %u: injecting the PIC's interrupt failed: %s", vcpu->id,
				       strerror(-ret));
		ops->vcpu_request_irq_window(vcpu->accel, false);
	} else {
		ops->vcpu_request_irq_window(vcpu->accel, true);
	}
}

/* Parks while the main thread asks; false when the vCPU must end. */
static bool vcpu_park_point(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool run;

	if (!__atomic_load_n(&vm->park_request, __ATOMIC_ACQUIRE))
		return true;
	pthread_mutex_lock(&vm->lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->park_request && !vm->quit)
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->parked--;
	run = !vm->quit;
	pthread_mutex_unlock(&vm->lock);
	return run;
}

/* After a fatal exit: the vCPU must not run again; wait for the main thread to end it. */
static void vcpu_wait_for_end(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->cond);
	while (!vm->quit)
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->lock);
}

static bool vcpu_exit_is_terminal(enum vcpu_exit_reason reason)
{
	return reason == VCPU_EXIT_SHUTDOWN || reason == VCPU_EXIT_INTERNAL_ERROR ||
	       reason == VCPU_EXIT_FAIL_ENTRY || reason == VCPU_EXIT_UNKNOWN;
}

void vcpu_kick(struct vcpu *vcpu)
{
	vcpu->vm->accel_ops->vcpu_kick(vcpu->accel);
}

void *vcpu_thread_main(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	struct vcpu_exit exit;
	/*
	 * Parked only between a kick's exit and the next run: then no exit's I/O is half done
	 * (an IN's data not yet in RAX), so a parked vCPU's state is whole for saving.
	 */
	bool settled = true;
	int ret;

	while (!settled || vcpu_park_point(vcpu)) {
		if (vcpu->id == 0)
			vcpu_service_extint(vcpu);
		ret = vm->accel_ops->vcpu_run(vcpu->accel, &exit);
		if (ret < 0) {
			vm_raise_event(vm, VM_EVENT_FATAL, "vCPU %u: running the guest failed: %s",
				       vcpu->id, strerror(-ret));
			vcpu_wait_for_end(vcpu);
			break;
		}
		if (exit.reason >= VCPU_EXIT_COUNT)
			exit.reason = VCPU_EXIT_UNKNOWN;
		settled = exit.reason == VCPU_EXIT_INTR;
		__atomic_add_fetch(&vcpu->exits[exit.reason], 1, __ATOMIC_RELAXED);
		vcpu_exit_handlers[exit.reason](vcpu, &exit);
		if (vcpu_exit_is_terminal(exit.reason)) {
			vcpu_wait_for_end(vcpu);
			break;
		}
	}
	return NULL;
}
