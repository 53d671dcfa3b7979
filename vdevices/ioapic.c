// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC: 24 pins whose redirection entries turn input levels into MSI messages.
 * The guest reaches the registers through IOREGSEL (base + 0x00) and IOWIN (base + 0x10).
 */
#include "vdevices/ioapic.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IOAPIC_STATE_VERSION 1

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10

#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARBITRATION 0x02
#define IOAPIC_REG_REDIR 0x10
#define IOAPIC_REG_REDIR_END (IOAPIC_REG_REDIR + 2 * IOAPIC_NUM_PINS)

#define IOAPIC_VERSION 0x11
#define IOAPIC_VERSION_VALUE ((uint32_t)(IOAPIC_NUM_PINS - 1) << 16 | IOAPIC_VERSION)
#define IOAPIC_ID_SHIFT 24
#define IOAPIC_ID_MAX 0x0f

#define REDIR_VECTOR 0xffULL
#define REDIR_DELIVERY_MODE_SHIFT 8
#define REDIR_DELIVERY_MODE (7ULL << REDIR_DELIVERY_MODE_SHIFT)
#define REDIR_DEST_LOGICAL (1ULL << 11)
#define REDIR_DELIVERY_STATUS (1ULL << 12)
#define REDIR_POLARITY_LOW (1ULL << 13)
#define REDIR_REMOTE_IRR (1ULL << 14)
#define REDIR_LEVEL (1ULL << 15)
#define REDIR_MASKED (1ULL << 16)
#define REDIR_DEST_SHIFT 56
#define REDIR_DEST (0xffULL << REDIR_DEST_SHIFT)
#define REDIR_WRITABLE (REDIR_VECTOR | REDIR_DELIVERY_MODE | REDIR_DEST_LOGICAL |           \
			REDIR_POLARITY_LOW | REDIR_LEVEL | REDIR_MASKED | REDIR_DEST)
#define REDIR_READ_ONLY (REDIR_DELIVERY_STATUS | REDIR_REMOTE_IRR)

#define MSI_ADDRESS_BASE 0xfee00000ULL
#define MSI_ADDRESS_DEST_SHIFT 12
#define MSI_ADDRESS_DEST_LOGICAL (1ULL << 2)
#define MSI_DATA_DELIVERY_MODE_SHIFT 8
#define MSI_DATA_LEVEL_ASSERT (1u << 14)
#define MSI_DATA_TRIGGER_LEVEL (1u << 15)

struct ioapic {
	pthread_mutex_t lock;
	struct io_bus *mmio;
	uint64_t base;
	struct irq_sink sink;
	uint8_t reset_id;
	uint8_t id;
	uint8_t select; /* IOREGSEL */
	uint32_t pins;	/* input levels, one bit per pin */
	uint64_t redir[IOAPIC_NUM_PINS];
};

struct ioapic_msi {
	uint64_t address;
	uint32_t data;
};

/* Messages collected under the lock and sent after it is dropped: at most one per pin. */
struct ioapic_outbox {
	struct ioapic_msi msi[IOAPIC_NUM_PINS];
	unsigned count;
};

static struct ioapic_msi ioapic_entry_message(uint64_t entry)
{
	struct ioapic_msi msi;
	uint64_t dest = (entry & REDIR_DEST) >> REDIR_DEST_SHIFT;
	uint32_t mode = (entry & REDIR_DELIVERY_MODE) >> REDIR_DELIVERY_MODE_SHIFT;

	msi.address = MSI_ADDRESS_BASE | dest << MSI_ADDRESS_DEST_SHIFT;
	if (entry & REDIR_DEST_LOGICAL)
		msi.address |= MSI_ADDRESS_DEST_LOGICAL;
	msi.data = (entry & REDIR_VECTOR) | mode << MSI_DATA_DELIVERY_MODE_SHIFT;
	if (entry & REDIR_LEVEL)
		msi.data |= MSI_DATA_TRIGGER_LEVEL | MSI_DATA_LEVEL_ASSERT;
	return msi;
}

/*
 * Called with the lock held, so the accelerator learns of a level-triggered vector before
 * any message using the entry can leave.
 */
static void ioapic_push_route(struct ioapic *io, unsigned pin)
{
	struct ioapic_msi msi = ioapic_entry_message(io->redir[pin]);

	if (io->sink.ops && io->sink.ops->set_ioapic_route)
		io->sink.ops->set_ioapic_route(io->sink.opaque, pin, msi.address, msi.data,
					       io->redir[pin] & REDIR_MASKED);
}

static void ioapic_queue(struct ioapic *io, unsigned pin, struct ioapic_outbox *out)
{
	if (out->count < IOAPIC_NUM_PINS)
		out->msi[out->count++] = ioapic_entry_message(io->redir[pin]);
}

static void ioapic_unlock_and_send(struct ioapic *io, struct ioapic_outbox *out)
{
	pthread_mutex_unlock(&io->lock);
	if (!io->sink.ops || !io->sink.ops->signal_msi)
		return;
	for (unsigned i = 0; i < out->count; i++)
		io->sink.ops->signal_msi(io->sink.opaque, out->msi[i].address, out->msi[i].data);
}

static bool ioapic_pin_high(const struct ioapic *io, unsigned pin)
{
	return io->pins & (1u << pin);
}

/* A level-triggered pin delivers while high, unmasked and not awaiting its EOI. */
static void ioapic_service_level(struct ioapic *io, unsigned pin, struct ioapic_outbox *out)
{
	uint64_t entry = io->redir[pin];

	if (!(entry & REDIR_LEVEL) || (entry & (REDIR_MASKED | REDIR_REMOTE_IRR)))
		return;
	if (!ioapic_pin_high(io, pin))
		return;
	io->redir[pin] |= REDIR_REMOTE_IRR;
	ioapic_queue(io, pin, out);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	struct ioapic_outbox out = { .count = 0 };
	bool was_high;

	if (pin >= IOAPIC_NUM_PINS)
		return;
	pthread_mutex_lock(&io->lock);
	was_high = ioapic_pin_high(io, pin);
	if (level)
		io->pins |= 1u << pin;
	else
		io->pins &= ~(1u << pin);
	if (io->redir[pin] & REDIR_LEVEL)
		ioapic_service_level(io, pin, &out);
	else if (level && !was_high && !(io->redir[pin] & REDIR_MASKED))
		ioapic_queue(io, pin, &out); /* a masked edge is lost, as on the 82093AA */
	ioapic_unlock_and_send(io, &out);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	struct ioapic_outbox out = { .count = 0 };

	pthread_mutex_lock(&io->lock);
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint64_t entry = io->redir[pin];

		if ((entry & REDIR_VECTOR) != vector || !(entry & REDIR_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~REDIR_REMOTE_IRR;
		ioapic_service_level(io, pin, &out);
	}
	ioapic_unlock_and_send(io, &out);
}

static void ioapic_write_redir(struct ioapic *io, unsigned reg, uint32_t value,
			       struct ioapic_outbox *out)
{
	unsigned pin = (reg - IOAPIC_REG_REDIR) / 2;
	uint64_t old = io->redir[pin], entry;

	if (reg & 1)
		entry = (old & 0xffffffffULL) | (uint64_t)value << 32;
	else
		entry = (old & ~0xffffffffULL) | value;
	entry = (entry & REDIR_WRITABLE) | (old & REDIR_READ_ONLY);
	/* Remote IRR means nothing for an edge entry; Linux flips to edge to clear it. */
	if (!(entry & REDIR_LEVEL))
		entry &= ~REDIR_REMOTE_IRR;
	io->redir[pin] = entry;
	ioapic_push_route(io, pin);
	ioapic_service_level(io, pin, out);
}

static void ioapic_write_register(struct ioapic *io, uint32_t value, struct ioapic_outbox *out)
{
	unsigned reg = io->select;

	if (reg == IOAPIC_REG_ID)
		io->id = (value >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MAX;
	else if (reg >= IOAPIC_REG_REDIR && reg < IOAPIC_REG_REDIR_END)
		ioapic_write_redir(io, reg, value, out);
}

static uint32_t ioapic_read_register(const struct ioapic *io)
{
	unsigned reg = io->select;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARBITRATION:
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION_VALUE;
	}
	if (reg >= IOAPIC_REG_REDIR && reg < IOAPIC_REG_REDIR_END) {
		uint64_t entry = io->redir[(reg - IOAPIC_REG_REDIR) / 2];

		return reg & 1 ? entry >> 32 : (uint32_t)entry;
	}
	return 0;
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
	struct ioapic *io = opaque;
	uint64_t value = 0;

	pthread_mutex_lock(&io->lock);
	if (offset == IOAPIC_IOREGSEL)
		value = io->select;
	else if (offset >= IOAPIC_IOWIN && offset < IOAPIC_IOWIN + 4)
		value = ioapic_read_register(io) >> (8 * (offset - IOAPIC_IOWIN));
	pthread_mutex_unlock(&io->lock);
	return value;
}

/* Registers are written with 32-bit accesses to IOWIN; narrower ones are dropped. */
static void ioapic_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct ioapic *io = opaque;
	struct ioapic_outbox out = { .count = 0 };

	pthread_mutex_lock(&io->lock);
	if (offset == IOAPIC_IOREGSEL)
		io->select = value & 0xff;
	else if (offset == IOAPIC_IOWIN && size >= 4)
		ioapic_write_register(io, (uint32_t)value, &out);
	ioapic_unlock_and_send(io, &out);
}

static const struct io_region_ops ioapic_mmio_ops = { ioapic_mmio_read, ioapic_mmio_write };

static void ioapic_reset_locked(struct ioapic *io)
{
	io->id = io->reset_id;
	io->select = 0;
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		io->redir[pin] = REDIR_MASKED;
		ioapic_push_route(io, pin);
	}
}

static void ioapic_reset(void *dev)
{
	struct ioapic *io = dev;

	pthread_mutex_lock(&io->lock);
	ioapic_reset_locked(io);
	pthread_mutex_unlock(&io->lock);
}

static void ioapic_redir_name(char *buf, size_t len, unsigned pin)
{
	snprintf(buf, len, "redir.%u", pin);
}

static void ioapic_save(void *dev, struct state_writer *w)
{
	struct ioapic *io = dev;
	char name[16];

	pthread_mutex_lock(&io->lock);
	state_begin(w, ioapic_vdev_ops.name, IOAPIC_STATE_VERSION);
	state_put_u64(w, "id", io->id);
	state_put_u64(w, "select", io->select);
	state_put_u64(w, "pins", io->pins);
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		ioapic_redir_name(name, sizeof(name), pin);
		state_put_u64(w, name, io->redir[pin]);
	}
	state_end(w);
	pthread_mutex_unlock(&io->lock);
}

static int ioapic_get_bounded(const struct state_reader *r, const char *name, uint64_t max,
			      uint64_t *value)
{
	int ret = state_get_u64(r, name, value);

	if (ret)
		return ret;
	return *value <= max ? 0 : -EINVAL;
}

/* An entry the device could have produced: no reserved bits, Remote IRR only when level. */
static bool ioapic_entry_valid(uint64_t entry)
{
	if (entry & ~(REDIR_WRITABLE | REDIR_READ_ONLY) || entry & REDIR_DELIVERY_STATUS)
		return false;
	return !(entry & REDIR_REMOTE_IRR) || (entry & REDIR_LEVEL);
}

static int ioapic_load(void *dev, const struct state_reader *section)
{
	struct ioapic *io = dev;
	struct ioapic_outbox out = { .count = 0 };
	uint64_t id, select, pins, redir[IOAPIC_NUM_PINS];
	char name[16];
	int ret;

	if (section->version != IOAPIC_STATE_VERSION)
		return -EINVAL;
	ret = ioapic_get_bounded(section, "id", IOAPIC_ID_MAX, &id);
	if (!ret)
		ret = ioapic_get_bounded(section, "select", 0xff, &select);
	if (!ret)
		ret = ioapic_get_bounded(section, "pins", (1u << IOAPIC_NUM_PINS) - 1, &pins);
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS && !ret; pin++) {
		ioapic_redir_name(name, sizeof(name), pin);
		ret = state_get_u64(section, name, &redir[pin]);
		if (!ret && !ioapic_entry_valid(redir[pin]))
			ret = -EINVAL;
	}
	if (ret)
		return ret;

	pthread_mutex_lock(&io->lock);
	io->id = id;
	io->select = select;
	io->pins = pins;
	memcpy(io->redir, redir, sizeof(redir));
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		ioapic_push_route(io, pin);
		ioapic_service_level(io, pin, &out);
	}
	ioapic_unlock_and_send(io, &out);
	return 0;
}

static void ioapic_destroy(void *dev)
{
	struct ioapic *io = dev;

	if (!io)
		return;
	io_bus_unregister(io->mmio, io->base);
	pthread_mutex_destroy(&io->lock);
	free(io);
}

struct ioapic *ioapic_create(struct io_bus *mmio, uint64_t base, uint8_t id,
			     const struct irq_sink *sink)
{
	struct ioapic *io;

	if (id > IOAPIC_ID_MAX)
		return NULL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	if (pthread_mutex_init(&io->lock, NULL)) {
		free(io);
		return NULL;
	}
	io->mmio = mmio;
	io->base = base;
	io->reset_id = id;
	if (sink)
		io->sink = *sink;
	if (io_bus_register(mmio, base, IOAPIC_MMIO_SIZE, &ioapic_mmio_ops, io, "ioapic")) {
		pthread_mutex_destroy(&io->lock);
		free(io);
		return NULL;
	}
	ioapic_reset(io);
	return io;
}

const struct vdev_ops ioapic_vdev_ops = {
	.name = "ioapic",
	.reset = ioapic_reset,
	.save = ioapic_save,
	.load = ioapic_load,
	.destroy = ioapic_destroy,
};
