// SPDX-License-Identifier: GPL-2.0
/*
 * A PCI type 0 function: the standard header, 32-bit memory BARs (sizing, placement,
 * decoding under the Memory Space bit), a capability list and INTA#. The device behind it
 * supplies IDs, BAR handlers and capability bodies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "vdevices/pci_internal.h"

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_COMMAND_WRITABLE                                                                \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |    \
	 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_BAR_MIN_SIZE 0x1000u
#define PCI_BAR_MAX_SIZE 0x40000000u

struct pci_bar {
	uint32_t size; /* 0: not implemented */
	uint64_t placed;
	const struct io_region_ops *ops;
	void *opaque;
	uint64_t decoding; /* current address while decoding, else 0 */
};

struct pci_dev {
	pthread_mutex_t lock;
	struct pci_host *host;
	unsigned slot;
	const struct pci_dev_ops *ops;
	void *opaque;
	struct irq_line intx;
	bool intx_level;
	uint8_t config[PCI_CONFIG_SPACE_SIZE];
	uint8_t reset_config[PCI_CONFIG_SPACE_SIZE];
	uint8_t write_mask[PCI_CONFIG_SPACE_SIZE];
	unsigned cap_end, last_cap;
	struct pci_bar bars[PCI_NUM_BARS];
};

static uint32_t config_get(const struct pci_dev *dev, unsigned offset, unsigned size)
{
	uint32_t value = 0;

	for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_SPACE_SIZE; i++)
		value |= (uint32_t)dev->config[offset + i] << (8 * i);
	return value;
}

static void config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t value)
{
	for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_SPACE_SIZE; i++)
		dev->config[offset + i] = value >> (8 * i);
}

static bool intx_asserted(const struct pci_dev *dev)
{
	return dev->intx_level &&
	       !(config_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
}

/* The address a BAR decodes at now: Memory Space on and the BAR wholly in the window. */
static uint64_t bar_decode_address(struct pci_dev *dev, unsigned bar)
{
	uint64_t gpa;

	if (!dev->bars[bar].size || !(config_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
		return 0;
	gpa = config_get(dev, PCI_BAR0 + 4 * bar, 4) & ~0xfu;
	if (!gpa || !pci_host_in_window(dev->host, gpa, dev->bars[bar].size))
		return 0;
	return gpa;
}

/*
 * Recomputes decoding after a config change, with the lock held; the BARs that moved are
 * returned so their owner hears of it once the lock is dropped.
 */
static unsigned update_decoding(struct pci_dev *dev)
{
	unsigned moved = 0;

	for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
		uint64_t gpa = bar_decode_address(dev, bar);

		if (gpa != dev->bars[bar].decoding) {
			dev->bars[bar].decoding = gpa;
			moved |= 1u << bar;
		}
	}
	return moved;
}

static void notify_moved(struct pci_dev *dev, unsigned moved)
{
	for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
		uint64_t gpa;

		if (!(moved & (1u << bar)) || !dev->ops || !dev->ops->bar_moved)
			continue;
		pthread_mutex_lock(&dev->lock);
		gpa = dev->bars[bar].decoding;
		pthread_mutex_unlock(&dev->lock);
		dev->ops->bar_moved(dev->opaque, bar, gpa);
	}
}

static void update_intx(struct pci_dev *dev, bool was_asserted)
{
	bool now = intx_asserted(dev);
	uint16_t status = config_get(dev, PCI_STATUS, 2);

	if (dev->intx_level)
		status |= PCI_STATUS_INTERRUPT;
	else
		status &= ~PCI_STATUS_INTERRUPT;
	config_set(dev, PCI_STATUS, 2, status);
	if (now != was_asserted)
		irq_line_set(&dev->intx, now);
}

static uint32_t pci_dev_config_read(void *opaque, unsigned offset, unsigned size)
{
	struct pci_dev *dev = opaque;
	uint32_t value;

	pthread_mutex_lock(&dev->lock);
	value = config_get(dev, offset, size);
	pthread_mutex_unlock(&dev->lock);
	return value;
}

static void pci_dev_config_write(void *opaque, unsigned offset, unsigned size, uint32_t value)
{
	struct pci_dev *dev = opaque;
	unsigned moved;
	bool was_asserted;

	pthread_mutex_lock(&dev->lock);
	was_asserted = intx_asserted(dev);
	for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_SPACE_SIZE; i++) {
		uint8_t mask = dev->write_mask[offset + i];
		uint8_t *byte = &dev->config[offset + i];

		*byte = (*byte & ~mask) | ((value >> (8 * i)) & mask);
	}
	moved = update_decoding(dev);
	update_intx(dev, was_asserted);
	pthread_mutex_unlock(&dev->lock);

	notify_moved(dev, moved);
	if (offset >= PCI_CAPS_START && dev->ops && dev->ops->config_written)
		dev->ops->config_written(dev->opaque, offset, size);
}

const struct pci_function_ops pci_dev_function_ops = {
	.config_read = pci_dev_config_read,
	.config_write = pci_dev_config_write,
};

int pci_dev_create(struct pci_host *host, unsigned slot, const struct pci_dev_ids *ids,
		   const struct pci_dev_ops *ops, void *opaque, struct pci_dev **out)
{
	struct pci_dev *dev = calloc(1, sizeof(*dev));
	int ret;

	if (!dev)
		return -ENOMEM;
	pthread_mutex_init(&dev->lock, NULL);
	dev->host = host;
	dev->ops = ops;
	dev->opaque = opaque;
	put_le16(dev->config + PCI_VENDOR_ID, ids->vendor);
	put_le16(dev->config + PCI_DEVICE_ID, ids->device);
	put_le16(dev->config + PCI_COMMAND, PCI_COMMAND_MEMORY);
	dev->config[PCI_REVISION_ID] = ids->revision;
	dev->config[PCI_CLASS_PROG] = ids->class_code;
	put_le16(dev->config + PCI_CLASS_PROG + 1, ids->class_code >> 8);
	put_le16(dev->config + PCI_SUBSYSTEM_VENDOR_ID, ids->subsystem_vendor);
	put_le16(dev->config + PCI_SUBSYSTEM_ID, ids->subsystem);
	put_le16(dev->write_mask + PCI_COMMAND, PCI_COMMAND_WRITABLE);
	dev->write_mask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->write_mask[PCI_LATENCY_TIMER] = 0xff;
	dev->write_mask[PCI_INTERRUPT_LINE] = 0xff;
	dev->config[PCI_INTERRUPT_PIN] = ids->intx ? 1 : 0;
	dev->cap_end = PCI_CAPS_START;

	ret = pci_host_attach_dev(host, slot, dev, &dev->slot);
	if (ret) {
		pthread_mutex_destroy(&dev->lock);
		free(dev);
		return ret;
	}
	if (ids->intx)
		dev->intx = pci_host_intx_line(host, dev->slot);
	dev->config[PCI_INTERRUPT_LINE] = ids->intx ? pci_intx_gsi(dev->slot) : 0xff;
	memcpy(dev->reset_config, dev->config, sizeof(dev->config));
	*out = dev;
	return 0;
}

unsigned pci_dev_slot(const struct pci_dev *dev)
{
	return dev->slot;
}

int pci_dev_add_mem_bar(struct pci_dev *dev, unsigned bar, uint32_t size,
			const struct io_region_ops *ops, void *opaque)
{
	uint64_t gpa;
	uint32_t mask;
	int ret;

	if (bar >= PCI_NUM_BARS || size < PCI_BAR_MIN_SIZE || size > PCI_BAR_MAX_SIZE ||
	    (size & (size - 1)) || !ops || dev->bars[bar].size)
		return -EINVAL;
	ret = pci_host_alloc_mmio(dev->host, size, &gpa);
	if (ret)
		return ret;
	mask = ~(size - 1);
	pthread_mutex_lock(&dev->lock);
	dev->bars[bar] = (struct pci_bar){ .size = size, .placed = gpa, .ops = ops, .opaque = opaque };
	put_le32(dev->config + PCI_BAR0 + 4 * bar, gpa);
	put_le32(dev->write_mask + PCI_BAR0 + 4 * bar, mask);
	memcpy(dev->reset_config, dev->config, sizeof(dev->config));
	update_decoding(dev);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int pci_dev_add_cap(struct pci_dev *dev, const uint8_t *body, const uint8_t *write_mask,
		    unsigned len)
{
	unsigned offset;

	pthread_mutex_lock(&dev->lock);
	offset = (dev->cap_end + 3) & ~3u;
	if (len < 2 || offset + len > PCI_CONFIG_SPACE_SIZE) {
		pthread_mutex_unlock(&dev->lock);
		return -ENOSPC;
	}
	memcpy(dev->config + offset, body, len);
	dev->config[offset + 1] = 0;
	if (write_mask)
		memcpy(dev->write_mask + offset, write_mask, len);
	dev->write_mask[offset] = dev->write_mask[offset + 1] = 0;
	if (dev->last_cap)
		dev->config[dev->last_cap + 1] = offset;
	else
		dev->config[PCI_CAPABILITY_LIST] = offset;
	put_le16(dev->config + PCI_STATUS,
		 get_le16(dev->config + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	dev->last_cap = offset;
	dev->cap_end = offset + len;
	memcpy(dev->reset_config, dev->config, sizeof(dev->config));
	pthread_mutex_unlock(&dev->lock);
	return offset;
}

uint32_t pci_dev_config_get(struct pci_dev *dev, unsigned offset, unsigned size)
{
	return pci_dev_config_read(dev, offset, size);
}

void pci_dev_config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t value)
{
	pthread_mutex_lock(&dev->lock);
	config_set(dev, offset, size, value);
	pthread_mutex_unlock(&dev->lock);
}

uint64_t pci_dev_bar_gpa(struct pci_dev *dev, unsigned bar)
{
	uint64_t gpa = 0;

	if (bar >= PCI_NUM_BARS)
		return 0;
	pthread_mutex_lock(&dev->lock);
	gpa = dev->bars[bar].decoding;
	pthread_mutex_unlock(&dev->lock);
	return gpa;
}

void pci_dev_set_intx(struct pci_dev *dev, bool level)
{
	bool was_asserted;

	pthread_mutex_lock(&dev->lock);
	was_asserted = intx_asserted(dev);
	dev->intx_level = level;
	update_intx(dev, was_asserted);
	pthread_mutex_unlock(&dev->lock);
}

bool pci_dev_bus_master(struct pci_dev *dev)
{
	return pci_dev_config_read(dev, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
}

void pci_dev_reset(struct pci_dev *dev)
{
	unsigned moved;
	bool was_asserted;

	pthread_mutex_lock(&dev->lock);
	was_asserted = intx_asserted(dev);
	memcpy(dev->config, dev->reset_config, sizeof(dev->config));
	dev->intx_level = false;
	update_intx(dev, was_asserted);
	moved = update_decoding(dev);
	pthread_mutex_unlock(&dev->lock);
	notify_moved(dev, moved);
}

bool pci_dev_decode(struct pci_dev *dev, uint64_t addr, struct pci_decoded *out)
{
	bool found = false;

	pthread_mutex_lock(&dev->lock);
	for (unsigned bar = 0; bar < PCI_NUM_BARS && !found; bar++) {
		const struct pci_bar *b = &dev->bars[bar];

		if (b->decoding && addr >= b->decoding && addr - b->decoding < b->size) {
			*out = (struct pci_decoded){ b->ops, b->opaque, addr - b->decoding };
			found = true;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return found;
}

void pci_dev_free(struct pci_dev *dev)
{
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}
