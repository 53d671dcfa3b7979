// SPDX-License-Identifier: GPL-2.0
/*
 * Moving a paused guest to a new accelerator VM: every vCPU's state and the clock are saved,
 * a new VM is built over the same guest memory, the state restored and the eventfd bindings
 * made again. It is the save/restore path of snapshots and migration, run in one process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cpuid.h"
#include "vmm/vm.h"

struct vm_binding {
	bool doorbell;
	int fd;
	uint64_t addr;	/* the MSI address, or the doorbell's */
	uint32_t data;
	int handle;
};

static struct vm_binding *binding_find(struct vm *vm, bool doorbell, int fd, uint64_t addr)
{
	for (unsigned i = 0; i < vm->nbindings; i++) {
		struct vm_binding *b = &vm->bindings[i];

		if (b->doorbell == doorbell && b->fd == fd && (!doorbell || b->addr == addr))
			return b;
	}
	return NULL;
}

static int binding_record(struct vm *vm, const struct vm_binding *nb)
{
	struct vm_binding *b = binding_find(vm, nb->doorbell, nb->fd, nb->addr), *grown;

	if (!b) {
		grown = realloc(vm->bindings, (vm->nbindings + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		vm->bindings = grown;
		b = &vm->bindings[vm->nbindings++];
	}
	*b = *nb;
	return 0;
}

static void binding_forget(struct vm *vm, bool doorbell, int fd, uint64_t addr)
{
	struct vm_binding *b = binding_find(vm, doorbell, fd, addr);

	if (b)
		*b = vm->bindings[--vm->nbindings];
}

int vm_irqfd_bind(struct vm *vm, int fd, uint64_t address, uint32_t data, int *handle)
{
	struct vm_binding b = { .fd = fd, .addr = address, .data = data };
	int ret;

	if (!vm->accel_ops->irqfd_bind)
		return -ENOSYS;
	pthread_rwlock_rdlock(&vm->accel_lock);
	pthread_mutex_lock(&vm->bindings_lock);
	ret = vm->accel_ops->irqfd_bind(vm->accel, fd, address, data, handle);
	if (!ret) {
		b.handle = *handle;
		ret = binding_record(vm, &b);
	}
	pthread_mutex_unlock(&vm->bindings_lock);
	pthread_rwlock_unlock(&vm->accel_lock);
	return ret;
}

void vm_irqfd_unbind(struct vm *vm, int fd, int handle)
{
	if (!vm->accel_ops->irqfd_unbind)
		return;
	pthread_rwlock_rdlock(&vm->accel_lock);
	pthread_mutex_lock(&vm->bindings_lock);
	vm->accel_ops->irqfd_unbind(vm->accel, fd, handle);
	binding_forget(vm, false, fd, 0);
	pthread_mutex_unlock(&vm->bindings_lock);
	pthread_rwlock_unlock(&vm->accel_lock);
}

int vm_doorbell_assign(struct vm *vm, uint64_t addr, int fd)
{
	struct vm_binding b = { .doorbell = true, .fd = fd, .addr = addr };
	int ret;

	if (!vm->accel_ops->ioeventfd)
		return -ENOSYS;
	pthread_rwlock_rdlock(&vm->accel_lock);
	pthread_mutex_lock(&vm->bindings_lock);
	ret = vm->accel_ops->ioeventfd(vm->accel, addr, fd, true);
	if (!ret)
		ret = binding_record(vm, &b);
	pthread_mutex_unlock(&vm->bindings_lock);
	pthread_rwlock_unlock(&vm->accel_lock);
	return ret;
}

void vm_doorbell_deassign(struct vm *vm, uint64_t addr, int fd)
{
	if (!vm->accel_ops->ioeventfd)
		return;
	pthread_rwlock_rdlock(&vm->accel_lock);
	pthread_mutex_lock(&vm->bindings_lock);
	vm->accel_ops->ioeventfd(vm->accel, addr, fd, false);
	binding_forget(vm, true, fd, addr);
	pthread_mutex_unlock(&vm->bindings_lock);
	pthread_rwlock_unlock(&vm->accel_lock);
}

/* Binds the recorded eventfds in acc; irqfds must get the handles the devices hold. */
static int bindings_apply(struct vm *vm, struct accel *acc, bool irqfds_only, const char **step)
{
	for (unsigned i = 0; i < vm->nbindings; i++) {
		struct vm_binding *b = &vm->bindings[i];
		int handle = -1, ret;

		if (b->doorbell && irqfds_only)
			continue;
		if (b->doorbell) {
			*step = "binding a doorbell";
			ret = vm->accel_ops->ioeventfd(acc, b->addr, b->fd, true);
		} else {
			*step = "binding an interrupt eventfd";
			ret = vm->accel_ops->irqfd_bind(acc, b->fd, b->addr, b->data, &handle);
			if (!ret && handle != b->handle)
				ret = -EXDEV;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void irqfds_unbind(struct vm *vm, struct accel *acc)
{
	for (unsigned i = 0; i < vm->nbindings; i++)
		if (!vm->bindings[i].doorbell)
			vm->accel_ops->irqfd_unbind(acc, vm->bindings[i].fd, vm->bindings[i].handle);
}

struct saved_state {
	void *clock;
	size_t clock_size;
	void **vcpu;
	size_t *vcpu_size;
};

static void saved_state_free(struct saved_state *s, unsigned ncpus)
{
	for (unsigned i = 0; s->vcpu && i < ncpus; i++)
		free(s->vcpu[i]);
	free(s->vcpu);
	free(s->vcpu_size);
	free(s->clock);
}

static int save_all(struct vm *vm, struct saved_state *s, const char **step)
{
	const struct accel_ops *ops = vm->accel_ops;

	s->vcpu = calloc(vm->ncpus, sizeof(*s->vcpu));
	s->vcpu_size = calloc(vm->ncpus, sizeof(*s->vcpu_size));
	if (!s->vcpu || !s->vcpu_size)
		return -ENOMEM;
	*step = "saving a vCPU";
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int ret = ops->vcpu_save(vm->vcpus[i].accel, &s->vcpu[i], &s->vcpu_size[i]);

		if (ret)
			return ret;
	}
	*step = "saving the clock";
	return ops->clock_save(vm->accel, &s->clock, &s->clock_size);
}

/* A new VM with the old one's memory, clock and vCPUs; *vcpus holds what was created. */
static int build_new(struct vm *vm, const struct saved_state *s, struct accel **out,
		     struct accel_vcpu **vcpus, const char **step)
{
	const struct accel_ops *ops = vm->accel_ops;
	struct cpuid_entry cpuid[CPUID_MAX_ENTRIES];
	const char *why = "unknown";
	int ret, n;

	*step = "creating the new VM";
	ret = ops->open(out, &why);
	if (ret)
		return ret;
	*step = "mapping guest memory";
	for (unsigned i = 0; i < vm->mem.count; i++) {
		ret = ops->set_memory(*out, i, vm->mem.ranges[i].gpa, vm->mem.ranges[i].size,
				      vm->mem.ranges[i].hva);
		if (ret)
			return ret;
	}
	*step = "restoring the clock";
	ret = ops->clock_load(*out, s->clock, s->clock_size);
	if (ret)
		return ret;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		*step = "creating a vCPU";
		ret = ops->vcpu_create(*out, i, &vcpus[i]);
		if (ret)
			return ret;
		n = cpuid_for_vcpu(vm->cpuid, vm->cpuid_count, i, vm->ncpus, cpuid);
		ret = n < 0 ? n : ops->vcpu_set_cpuid(vcpus[i], cpuid, (unsigned)n);
		if (ret)
			return ret;
		*step = "restoring a vCPU";
		ret = ops->vcpu_load(vcpus[i], s->vcpu[i], s->vcpu_size[i]);
		if (ret)
			return ret;
	}
	return bindings_apply(vm, *out, false, step);
}

static void destroy_accel(const struct accel_ops *ops, struct accel *acc, struct accel_vcpu **vcpus,
			  unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (vcpus[i])
			ops->vcpu_destroy(vcpus[i]);
	if (acc)
		ops->close(acc);
}

int vm_reload_accel(struct vm *vm, char *err, size_t errlen)
{
	const struct accel_ops *ops = vm->accel_ops;
	struct saved_state saved = { 0 };
	struct accel_vcpu **vcpus;
	struct accel *fresh = NULL;
	const char *step = "allocating";
	int ret;

	if (!ops->vcpu_save || !ops->vcpu_load || !ops->clock_save || !ops->clock_load) {
		snprintf(err, errlen, "the %s accelerator cannot save and restore vCPUs", ops->name);
		return -ENOTSUP;
	}
	vcpus = calloc(vm->ncpus, sizeof(*vcpus));
	if (!vcpus) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/*
	 * Devices wait for the new VM rather than signal the old one; interrupts already on
	 * their eventfds stay there until the new VM's irqfds take them.
	 */
	pthread_rwlock_wrlock(&vm->accel_lock);
	pthread_mutex_lock(&vm->bindings_lock);
	irqfds_unbind(vm, vm->accel);
	ret = save_all(vm, &saved, &step);
	if (!ret)
		ret = build_new(vm, &saved, &fresh, vcpus, &step);
	if (ret) {
		destroy_accel(ops, fresh, vcpus, vm->ncpus);
		snprintf(err, errlen, "%s: %s", step, strerror(-ret));
		bindings_apply(vm, vm->accel, true, &step);
	} else {
		for (unsigned i = 0; i < vm->ncpus; i++) {
			ops->vcpu_destroy(vm->vcpus[i].accel);
			vm->vcpus[i].accel = vcpus[i];
		}
		ops->close(vm->accel);
		vm->accel = fresh;
		vm->accel_reloads++;
	}
	pthread_mutex_unlock(&vm->bindings_lock);
	pthread_rwlock_unlock(&vm->accel_lock);
	saved_state_free(&saved, vm->ncpus);
	free(vcpus);
	return ret;
}
