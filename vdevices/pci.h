/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI: the host bridge (i440FX-compatible IDs at 00:00.0) with configuration mechanism #1
 * (0xcf8 address, 0xcfc-0xcff data) on bus 0. Devices are added as config-space providers.
 */
#ifndef KEEL_VDEVICES_PCI_H
#define KEEL_VDEVICES_PCI_H

#include <stdint.h>
#include "vdevices/bus.h"
#include "vdevices/device.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_MAX_DEVICES 32
#define PCI_HOST_BRIDGE_SLOT 0

struct pci_host;

/*
 * A function on bus 0: its config space is served by these callbacks (offset < 256), always
 * naturally aligned accesses of size 1, 2 or 4 (the host splits others into bytes), called
 * without the host's lock from vCPU threads.
 */
struct pci_function_ops {
	uint32_t (*config_read)(void *opaque, unsigned offset, unsigned size);
	void (*config_write)(void *opaque, unsigned offset, unsigned size, uint32_t value);
};

struct pci_host *pci_host_create(struct io_bus *pio);
/* Places a function at 00:slot.0; -EBUSY if taken, -EINVAL if slot is out of range. */
int pci_host_add_function(struct pci_host *host, unsigned slot, const struct pci_function_ops *ops,
			  void *opaque);

extern const struct vdev_ops pci_host_vdev_ops;

#endif
