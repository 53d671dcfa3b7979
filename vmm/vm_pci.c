// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI side of the machine: the host bridge and its window, INTA# to IOAPIC pins 16-23,
 * and the virtio devices from the configuration, with their MSIs and doorbells bridged to
 * the accelerator's eventfd paths.
 */
#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "vdevices/ioapic.h"
#include "vdevices/pci.h"
#include "vdevices/chardev.h"
#include "vdevices/virtio_blk.h"
#include "vdevices/virtio_console.h"
#include "vdevices/virtio_net.h"
#include "vdevices/virtio_rng.h"
#include "vmm/layout.h"
#include "vmm/vm.h"

static int vm_msi_signal(void *opaque, uint64_t address, uint32_t data)
{
	struct vm *vm = opaque;
	int ret;

	pthread_rwlock_rdlock(&vm->accel_lock);
	ret = vm->accel_ops->signal_msi(vm->accel, address, data);
	pthread_rwlock_unlock(&vm->accel_lock);
	return ret;
}

static int vm_msi_irqfd_bind(void *opaque, int fd, uint64_t address, uint32_t data, int *handle)
{
	return vm_irqfd_bind(opaque, fd, address, data, handle);
}

static void vm_msi_irqfd_unbind(void *opaque, int fd, int handle)
{
	vm_irqfd_unbind(opaque, fd, handle);
}

static const struct msi_ops vm_msi_ops = {
	.signal = vm_msi_signal,
	.irqfd_bind = vm_msi_irqfd_bind,
	.irqfd_unbind = vm_msi_irqfd_unbind,
};

static int vm_pci_doorbell_assign(void *opaque, uint64_t addr, int fd)
{
	return vm_doorbell_assign(opaque, addr, fd);
}

static void vm_pci_doorbell_deassign(void *opaque, uint64_t addr, int fd)
{
	vm_doorbell_deassign(opaque, addr, fd);
}

static const struct doorbell_ops vm_doorbell_ops = {
	.assign = vm_pci_doorbell_assign,
	.deassign = vm_pci_doorbell_deassign,
};

/* Slots share the two INTx lines: a line is high while any slot on it asserts (wired OR). */
static void vm_pci_intx_set(void *opaque, unsigned slot, bool level)
{
	struct vm *vm = opaque;
	unsigned irq = pci_intx_gsi(slot);
	uint32_t bit = 1u << slot, asserted;

	pthread_mutex_lock(&vm->intx_lock);
	if (level)
		vm->intx_asserted[irq & 1] |= bit;
	else
		vm->intx_asserted[irq & 1] &= ~bit;
	asserted = vm->intx_asserted[irq & 1];
	vm_isa_irq_set(vm, irq, asserted != 0);
	pthread_mutex_unlock(&vm->intx_lock);
}

static struct irq_line vm_pci_intx_route(void *opaque, unsigned slot)
{
	return (struct irq_line){ vm_pci_intx_set, opaque, slot };
}

static int vm_add_virtio(struct vm *vm, struct virtio_dev *vdev)
{
	if (vm->nvirtio == VM_MAX_VIRTIO)
		return -ENOSPC;
	vm->virtio[vm->nvirtio++] = vdev;
	return vdev_list_add(&vm->devices, &virtio_pci_vdev_ops, vdev);
}

/* Port 0 is the console (hvc0, or an idle one); the channels follow as named ports. */
static int vm_create_virtio_console(struct vm *vm, const struct virtio_env *env)
{
	struct virtio_console_port_config ports[1 + VMM_MAX_CHANNELS] = {
		{ .console = true, .chardev = vm->cfg->console_hvc ? vm->console : NULL },
	};
	struct virtio_dev *vdev;
	const char *why = "unknown";
	char err[256];
	int ret;

	for (unsigned i = 0; i < vm->cfg->nchannels; i++) {
		ret = chardev_open(vm->cfg->channels[i].chardev, vm->loop, &vm->channels[i], &why);
		if (ret) {
			log_error("--channel %s: '%s': %s", vm->cfg->channels[i].name,
				  vm->cfg->channels[i].chardev, why);
			return ret;
		}
		ports[1 + i].name = vm->cfg->channels[i].name;
		ports[1 + i].chardev = vm->channels[i];
	}
	ret = virtio_console_create(env, vm->loop, ports, 1 + vm->cfg->nchannels, &vdev, err,
				    sizeof(err));
	if (ret) {
		log_error("virtio-console: %s", err);
		return ret;
	}
	return vm_add_virtio(vm, vdev);
}

int vm_create_pci_devices(struct vm *vm)
{
	struct virtio_env env;
	struct virtio_dev *vdev;
	int ret;

	vm->pci = pci_host_create(&vm->pio, &vm->mmio, LAYOUT_PCI_MMIO_START,
				  LAYOUT_PCI_MMIO_END + 1 - LAYOUT_PCI_MMIO_START);
	if (!vm->pci) {
		log_error("cannot create the PCI host bridge");
		return -ENOMEM;
	}
	ret = vdev_list_add(&vm->devices, &pci_host_vdev_ops, vm->pci);
	if (ret)
		return ret;
	pthread_mutex_init(&vm->intx_lock, NULL);
	pci_host_set_intx_router(vm->pci, vm_pci_intx_route, vm);

	env = (struct virtio_env){
		.pci = vm->pci,
		.mem = &vm->mem,
		.msi = { &vm_msi_ops, vm },
		.doorbells = { &vm_doorbell_ops, vm },
	};
	for (unsigned i = 0; i < vm->cfg->ndisks; i++) {
		const struct disk_config *disk = &vm->cfg->disks[i];
		char err[256];

		ret = virtio_blk_create(&env, disk->path, disk->readonly,
					disk->serial[0] ? disk->serial : NULL, &vdev, err,
					sizeof(err));
		if (ret) {
			log_error("--disk: %s", err);
			return ret;
		}
		ret = vm_add_virtio(vm, vdev);
		if (ret)
			return ret;
	}
	for (unsigned i = 0; i < vm->cfg->nnics; i++) {
		const struct nic_config *nic = &vm->cfg->nics[i];
		/* Like other VMMs: a locally administered default, one per NIC. */
		uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 + i };
		char err[256];

		if (nic->mac_set)
			memcpy(mac, nic->mac, sizeof(mac));
		ret = virtio_net_create(&env, nic->tap[0] ? nic->tap : NULL, nic->fd, mac, &vdev,
					err, sizeof(err));
		if (ret) {
			log_error("--net: %s", err);
			return ret;
		}
		ret = vm_add_virtio(vm, vdev);
		if (ret)
			return ret;
	}
	if (vm->cfg->console_hvc || vm->cfg->nchannels) {
		ret = vm_create_virtio_console(vm, &env);
		if (ret)
			return ret;
	}
	if (vm->cfg->rng) {
		ret = virtio_rng_create(&env, &vdev);
		if (ret) {
			log_error("cannot create virtio-rng: %s", strerror(-ret));
			return ret;
		}
		ret = vm_add_virtio(vm, vdev);
		if (ret)
			return ret;
	}
	return 0;
}
