// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 behind configuration mechanism #1, and the host bridge at 00:00.0 with the IDs
 * of an i440FX PMC so firmware recognises the platform.
 */
#include "vdevices/pci_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PCI_STATE_VERSION 1

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_CONFIG_ENABLE (1u << 31)
/* Enable, bus, device, function, register; bits 30:24 and 1:0 read as zero. */
#define PCI_CONFIG_ADDRESS_WRITABLE 0x80fffffcu
#define PCI_CONFIG_ADDRESS_SPACE 4
#define PCI_CONFIG_DATA_SPACE 4

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e

#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100

#define I440FX_VENDOR_ID 0x8086
#define I440FX_DEVICE_ID 0x1237
#define I440FX_REVISION 0x02
#define I440FX_STATUS 0x0280 /* medium DEVSEL timing, fast back-to-back capable */
#define PCI_CLASS_BRIDGE_HOST 0x0600
/* PAM0-PAM6 (0x59-0x5f) select shadow RAM for 0xc0000-0xfffff; stored, no effect yet. */
#define I440FX_PAM0 0x59
#define I440FX_PAM6 0x5f

struct pci_slot {
	const struct pci_function_ops *ops;
	void *opaque;
};

struct pci_host {
	pthread_mutex_t lock;
	struct io_bus *pio, *mmio;
	uint64_t mmio_base, mmio_size, mmio_next;
	uint32_t config_address;
	struct pci_slot slots[PCI_MAX_DEVICES];
	struct pci_dev *devs[PCI_MAX_DEVICES];
	struct irq_line (*intx_route)(void *opaque, unsigned slot);
	void *intx_route_opaque;
	uint8_t bridge_config[PCI_CONFIG_SPACE_SIZE];
};

/* Which bits of the host bridge's config space the guest may change. */
static const uint8_t i440fx_write_mask[PCI_CONFIG_SPACE_SIZE] = {
	[PCI_COMMAND] = PCI_COMMAND_PARITY,
	[PCI_COMMAND + 1] = PCI_COMMAND_SERR >> 8,
	[PCI_LATENCY_TIMER] = 0xf8,
	[I440FX_PAM0 ... I440FX_PAM6] = 0xff,
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void i440fx_reset_config(uint8_t *config)
{
	memset(config, 0, PCI_CONFIG_SPACE_SIZE);
	put_le16(config + PCI_VENDOR_ID, I440FX_VENDOR_ID);
	put_le16(config + PCI_DEVICE_ID, I440FX_DEVICE_ID);
	put_le16(config + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put_le16(config + PCI_STATUS, I440FX_STATUS);
	config[PCI_REVISION_ID] = I440FX_REVISION;
	config[PCI_CLASS_PROG] = 0;
	put_le16(config + PCI_CLASS_DEVICE, PCI_CLASS_BRIDGE_HOST);
	config[PCI_HEADER_TYPE] = 0;
}

static uint32_t i440fx_config_read(void *opaque, unsigned offset, unsigned size)
{
	struct pci_host *host = opaque;
	uint32_t value = 0;

	pthread_mutex_lock(&host->lock);
	for (unsigned i = 0; i < size && i < 4 && offset + i < PCI_CONFIG_SPACE_SIZE; i++)
		value |= (uint32_t)host->bridge_config[offset + i] << (8 * i);
	pthread_mutex_unlock(&host->lock);
	return value;
}

static void i440fx_config_write(void *opaque, unsigned offset, unsigned size, uint32_t value)
{
	struct pci_host *host = opaque;

	pthread_mutex_lock(&host->lock);
	for (unsigned i = 0; i < size && i < 4 && offset + i < PCI_CONFIG_SPACE_SIZE; i++) {
		uint8_t mask = i440fx_write_mask[offset + i];
		uint8_t *byte = &host->bridge_config[offset + i];

		*byte = (*byte & ~mask) | ((value >> (8 * i)) & mask);
	}
	pthread_mutex_unlock(&host->lock);
}

static const struct pci_function_ops i440fx_function_ops = {
	.config_read = i440fx_config_read,
	.config_write = i440fx_config_write,
};

/* The function CONFIG_ADDRESS selects and the register a data port access reaches. */
struct pci_config_target {
	struct pci_slot slot;
	unsigned reg;
};

static bool pci_host_select(struct pci_host *host, uint64_t data_offset,
			    struct pci_config_target *target)
{
	uint32_t address;
	unsigned bus, device, function;

	pthread_mutex_lock(&host->lock);
	address = host->config_address;
	bus = (address >> 16) & 0xff;
	device = (address >> 11) & 0x1f;
	function = (address >> 8) & 0x7;
	target->slot = host->slots[device];
	pthread_mutex_unlock(&host->lock);

	if (!(address & PCI_CONFIG_ENABLE) || bus || function || !target->slot.ops)
		return false;
	target->reg = (address & 0xfc) + data_offset;
	return true;
}

static bool pci_access_fits(uint64_t offset, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && offset < PCI_CONFIG_DATA_SPACE &&
	       offset + size <= PCI_CONFIG_DATA_SPACE;
}

/* Functions only ever see naturally aligned accesses: others are split into bytes. */
static uint32_t pci_function_read(const struct pci_config_target *t, unsigned size)
{
	const struct pci_function_ops *ops = t->slot.ops;
	uint32_t value = 0;

	if (!ops->config_read)
		return 0xffffffffu;
	if (!(t->reg & (size - 1)))
		return ops->config_read(t->slot.opaque, t->reg, size);
	for (unsigned i = 0; i < size; i++)
		value |= (ops->config_read(t->slot.opaque, t->reg + i, 1) & 0xff) << (8 * i);
	return value;
}

static void pci_function_write(const struct pci_config_target *t, unsigned size, uint32_t value)
{
	const struct pci_function_ops *ops = t->slot.ops;

	if (!ops->config_write)
		return;
	if (!(t->reg & (size - 1))) {
		ops->config_write(t->slot.opaque, t->reg, size, value);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		ops->config_write(t->slot.opaque, t->reg + i, 1, (value >> (8 * i)) & 0xff);
}

static uint64_t pci_config_data_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pci_config_target target;

	if (!pci_access_fits(offset, size) || !pci_host_select(opaque, offset, &target))
		return UINT64_MAX;
	return pci_function_read(&target, size);
}

static void pci_config_data_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_config_target target;

	if (!pci_access_fits(offset, size) || !pci_host_select(opaque, offset, &target))
		return;
	pci_function_write(&target, size, value);
}

/*
 * Only a dword access at 0xcf8 reaches CONFIG_ADDRESS; narrower ones belong to other
 * registers on a PIIX (0xcf9 is the reset control register, not modelled here).
 */
static uint64_t pci_config_address_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pci_host *host = opaque;
	uint32_t value;

	if (offset || size != 4)
		return UINT64_MAX;
	pthread_mutex_lock(&host->lock);
	value = host->config_address;
	pthread_mutex_unlock(&host->lock);
	return value;
}

static void pci_config_address_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_host *host = opaque;

	if (offset || size != 4)
		return;
	pthread_mutex_lock(&host->lock);
	host->config_address = value & PCI_CONFIG_ADDRESS_WRITABLE;
	pthread_mutex_unlock(&host->lock);
}

static const struct io_region_ops pci_config_address_ops = {
	pci_config_address_read, pci_config_address_write,
};
static const struct io_region_ops pci_config_data_ops = {
	pci_config_data_read, pci_config_data_write,
};

int pci_host_add_function(struct pci_host *host, unsigned slot, const struct pci_function_ops *ops,
			  void *opaque)
{
	int ret = 0;

	if (slot >= PCI_MAX_DEVICES || !ops)
		return -EINVAL;
	pthread_mutex_lock(&host->lock);
	if (host->slots[slot].ops)
		ret = -EBUSY;
	else
		host->slots[slot] = (struct pci_slot){ ops, opaque };
	pthread_mutex_unlock(&host->lock);
	return ret;
}

int pci_host_attach_dev(struct pci_host *host, unsigned slot, struct pci_dev *dev,
			unsigned *slot_out)
{
	int ret = 0;

	if (slot >= PCI_MAX_DEVICES)
		return -EINVAL;
	pthread_mutex_lock(&host->lock);
	if (!slot) {
		for (slot = 1; slot < PCI_MAX_DEVICES && host->slots[slot].ops; slot++)
			;
		if (slot == PCI_MAX_DEVICES)
			ret = -ENOSPC;
	} else if (host->slots[slot].ops) {
		ret = -EBUSY;
	}
	if (!ret) {
		host->slots[slot] = (struct pci_slot){ &pci_dev_function_ops, dev };
		host->devs[slot] = dev;
		*slot_out = slot;
	}
	pthread_mutex_unlock(&host->lock);
	return ret;
}

int pci_host_alloc_mmio(struct pci_host *host, uint64_t size, uint64_t *gpa)
{
	uint64_t at;
	int ret = 0;

	pthread_mutex_lock(&host->lock);
	at = (host->mmio_next + size - 1) & ~(size - 1);
	if (at < host->mmio_next || at + size > host->mmio_base + host->mmio_size) {
		ret = -ENOSPC;
	} else {
		*gpa = at;
		host->mmio_next = at + size;
	}
	pthread_mutex_unlock(&host->lock);
	return ret;
}

bool pci_host_in_window(struct pci_host *host, uint64_t gpa, uint64_t size)
{
	return gpa >= host->mmio_base && size <= host->mmio_size &&
	       gpa - host->mmio_base <= host->mmio_size - size;
}

void pci_host_set_intx_router(struct pci_host *host,
			      struct irq_line (*route)(void *opaque, unsigned slot), void *opaque)
{
	host->intx_route = route;
	host->intx_route_opaque = opaque;
}

struct irq_line pci_host_intx_line(struct pci_host *host, unsigned slot)
{
	if (!host->intx_route)
		return (struct irq_line){ 0 };
	return host->intx_route(host->intx_route_opaque, slot);
}

/* The memory BAR that decodes a window address; devices never go away while running. */
static bool pci_window_decode(struct pci_host *host, uint64_t offset, struct pci_decoded *out)
{
	uint64_t addr = host->mmio_base + offset;

	for (unsigned slot = 0; slot < PCI_MAX_DEVICES; slot++) {
		struct pci_dev *dev;

		pthread_mutex_lock(&host->lock);
		dev = host->devs[slot];
		pthread_mutex_unlock(&host->lock);
		if (dev && pci_dev_decode(dev, addr, out))
			return true;
	}
	return false;
}

static uint64_t pci_window_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pci_decoded bar;

	if (!pci_window_decode(opaque, offset, &bar))
		return UINT64_MAX;
	return bar.ops->read(bar.opaque, bar.offset, size);
}

static void pci_window_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_decoded bar;

	if (pci_window_decode(opaque, offset, &bar))
		bar.ops->write(bar.opaque, bar.offset, size, value);
}

static const struct io_region_ops pci_window_ops = { pci_window_read, pci_window_write };

static void pci_host_reset(void *dev)
{
	struct pci_host *host = dev;

	pthread_mutex_lock(&host->lock);
	host->config_address = 0;
	i440fx_reset_config(host->bridge_config);
	pthread_mutex_unlock(&host->lock);
}

static void pci_host_save(void *dev, struct state_writer *w)
{
	struct pci_host *host = dev;

	pthread_mutex_lock(&host->lock);
	state_begin(w, pci_host_vdev_ops.name, PCI_STATE_VERSION);
	state_put_u64(w, "config_address", host->config_address);
	state_put_bytes(w, "bridge.config", host->bridge_config, sizeof(host->bridge_config));
	state_end(w);
	pthread_mutex_unlock(&host->lock);
}

/* A saved config space may differ from the reset one only in writable bits. */
static bool i440fx_config_valid(const uint8_t *config)
{
	uint8_t reset[PCI_CONFIG_SPACE_SIZE];

	i440fx_reset_config(reset);
	for (unsigned i = 0; i < PCI_CONFIG_SPACE_SIZE; i++)
		if ((config[i] ^ reset[i]) & ~i440fx_write_mask[i])
			return false;
	return true;
}

static int pci_host_load(void *dev, const struct state_reader *section)
{
	struct pci_host *host = dev;
	uint8_t config[PCI_CONFIG_SPACE_SIZE];
	uint64_t address;
	int ret;

	if (section->version != PCI_STATE_VERSION)
		return -EINVAL;
	ret = state_get_u64(section, "config_address", &address);
	if (ret)
		return ret;
	if (address & ~(uint64_t)PCI_CONFIG_ADDRESS_WRITABLE)
		return -EINVAL;
	ret = state_get_bytes(section, "bridge.config", config, sizeof(config));
	if (ret)
		return ret;
	if (!i440fx_config_valid(config))
		return -EINVAL;
	pthread_mutex_lock(&host->lock);
	host->config_address = address;
	memcpy(host->bridge_config, config, sizeof(config));
	pthread_mutex_unlock(&host->lock);
	return 0;
}

static void pci_host_destroy(void *dev)
{
	struct pci_host *host = dev;

	if (!host)
		return;
	io_bus_unregister(host->pio, PCI_CONFIG_ADDRESS_PORT);
	io_bus_unregister(host->pio, PCI_CONFIG_DATA_PORT);
	if (host->mmio_size)
		io_bus_unregister(host->mmio, host->mmio_base);
	for (unsigned slot = 0; slot < PCI_MAX_DEVICES; slot++)
		if (host->devs[slot])
			pci_dev_free(host->devs[slot]);
	pthread_mutex_destroy(&host->lock);
	free(host);
}

struct pci_host *pci_host_create(struct io_bus *pio, struct io_bus *mmio, uint64_t mmio_base,
				 uint64_t mmio_size)
{
	struct pci_host *host = calloc(1, sizeof(*host));

	if (!host)
		return NULL;
	if (pthread_mutex_init(&host->lock, NULL)) {
		free(host);
		return NULL;
	}
	host->pio = pio;
	host->mmio = mmio;
	host->mmio_base = host->mmio_next = mmio_base;
	host->mmio_size = mmio_size;
	i440fx_reset_config(host->bridge_config);
	host->slots[PCI_HOST_BRIDGE_SLOT] = (struct pci_slot){ &i440fx_function_ops, host };
	if (io_bus_register(pio, PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_ADDRESS_SPACE,
			    &pci_config_address_ops, host, "pci-config-address"))
		goto fail;
	if (io_bus_register(pio, PCI_CONFIG_DATA_PORT, PCI_CONFIG_DATA_SPACE, &pci_config_data_ops,
			    host, "pci-config-data")) {
		io_bus_unregister(pio, PCI_CONFIG_ADDRESS_PORT);
		goto fail;
	}
	if (mmio_size && io_bus_register(mmio, mmio_base, mmio_size, &pci_window_ops, host,
					 "pci-window")) {
		io_bus_unregister(pio, PCI_CONFIG_ADDRESS_PORT);
		io_bus_unregister(pio, PCI_CONFIG_DATA_PORT);
		goto fail;
	}
	return host;
fail:
	pthread_mutex_destroy(&host->lock);
	free(host);
	return NULL;
}

const struct vdev_ops pci_host_vdev_ops = {
	.name = "pci-host",
	.reset = pci_host_reset,
	.save = pci_host_save,
	.load = pci_host_load,
	.destroy = pci_host_destroy,
};
