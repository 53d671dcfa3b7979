// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A PIC pair as a PIIX wires it: master at 0x20, slave at 0xa0 on the master's IR2,
 * and the edge/level control registers (ELCR) at 0x4d0/0x4d1, which replace ICW1's LTIM bit.
 */
#include "vdevices/pic.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xa0
#define PIC_ELCR_PORT 0x4d0
#define PIC_CASCADE_IRQ 2
#define PIC_SPURIOUS_IRQ 7
#define PIC_STATE_VERSION 1

#define PIC_ICW1 0x10
#define PIC_ICW1_IC4 0x01
#define PIC_ICW1_SNGL 0x02
#define PIC_ICW4_AEOI 0x02
#define PIC_ICW4_SFNM 0x10
#define PIC_OCW3 0x08
#define PIC_OCW3_RIS 0x01
#define PIC_OCW3_RR 0x02
#define PIC_OCW3_POLL 0x04
#define PIC_OCW3_SMM 0x20
#define PIC_OCW3_ESMM 0x40
#define PIC_POLL_PENDING 0x80

enum pic_chip_index { PIC_MASTER, PIC_SLAVE };

/* OCW2 bits 7:5 (R, SL, EOI). */
enum pic_ocw2_command {
	PIC_OCW2_CLEAR_ROTATE_AEOI = 0,
	PIC_OCW2_EOI = 1,
	PIC_OCW2_NOP = 2,
	PIC_OCW2_SPECIFIC_EOI = 3,
	PIC_OCW2_SET_ROTATE_AEOI = 4,
	PIC_OCW2_ROTATE_EOI = 5,
	PIC_OCW2_SET_PRIORITY = 6,
	PIC_OCW2_ROTATE_SPECIFIC_EOI = 7,
};

enum pic_init_step { PIC_READY, PIC_WANT_ICW2, PIC_WANT_ICW3, PIC_WANT_ICW4, PIC_INIT_STEPS };

/* IRQ 0, 1, 2 on the master and 8, 13 on the slave are always edge-triggered on a PC. */
static const uint8_t pic_elcr_writable[2] = { 0xf8, 0xde };

struct pic_chip {
	uint8_t irr;		 /* latched edges, and the level of level-triggered inputs */
	uint8_t isr;
	uint8_t imr;
	uint8_t input;		 /* the level of each IR pin */
	uint8_t elcr;		 /* 1: level-triggered */
	uint8_t vector_base;	 /* ICW2 bits 7:3 */
	uint8_t icw3;
	uint8_t lowest_priority; /* the IR at the bottom of the rotating priority order */
	uint8_t init_step;
	bool icw4_expected;
	bool single;
	bool auto_eoi;
	bool rotate_on_auto_eoi;
	bool special_mask;
	bool special_fully_nested;
	bool poll;
	bool read_isr;
};

struct pic {
	pthread_mutex_t lock;
	struct pic_chip chips[2];
	struct io_bus *pio;
	struct irq_sink sink;
	bool output;	/* INT as last computed */
	bool notified;	/* INT as last passed to the sink */
	bool notifying; /* a thread is inside pic_output_changed and rechecks when back */
};

/* 0 for the IR with the highest priority, 7 for the lowest. */
static unsigned pic_rank(const struct pic_chip *c, unsigned irq)
{
	return (irq - c->lowest_priority - 1) & 7;
}

/* The IR of highest priority among mask, or -1. */
static int pic_highest(const struct pic_chip *c, uint8_t mask)
{
	for (unsigned rank = 0; rank < 8; rank++) {
		unsigned irq = (c->lowest_priority + 1 + rank) & 7;

		if (mask & (1u << irq))
			return irq;
	}
	return -1;
}

/* The IR this chip would raise INT for given its requests, or -1. */
static int pic_chip_pending(const struct pic_chip *c, uint8_t requests, bool master)
{
	uint8_t in_service = c->isr;
	int irq, busy;

	/* Special mask mode: a masked level in service no longer blocks lower levels. */
	if (c->special_mask)
		in_service &= ~c->imr;
	irq = pic_highest(c, requests & ~c->imr);
	if (irq < 0)
		return -1;
	busy = pic_highest(c, in_service);
	if (busy < 0 || pic_rank(c, irq) < pic_rank(c, busy))
		return irq;
	/* Special fully nested mode: the slave may interrupt while its own level is in service. */
	if (master && c->special_fully_nested && irq == PIC_CASCADE_IRQ && busy == PIC_CASCADE_IRQ)
		return irq;
	return -1;
}

static bool pic_slave_output(const struct pic *pic)
{
	const struct pic_chip *slave = &pic->chips[PIC_SLAVE];

	return pic_chip_pending(slave, slave->irr, false) >= 0;
}

/* The requests a chip sees: on the master, IR2 is the slave's INT output. */
static uint8_t pic_requests(const struct pic *pic, enum pic_chip_index idx)
{
	uint8_t irr = pic->chips[idx].irr;

	if (idx == PIC_SLAVE)
		return irr;
	irr &= ~(1u << PIC_CASCADE_IRQ);
	if (pic_slave_output(pic))
		irr |= 1u << PIC_CASCADE_IRQ;
	return irr;
}

static int pic_pending(const struct pic *pic, enum pic_chip_index idx)
{
	return pic_chip_pending(&pic->chips[idx], pic_requests(pic, idx), idx == PIC_MASTER);
}

static void pic_notify(struct pic *pic, bool level)
{
	if (pic->sink.ops && pic->sink.ops->pic_output_changed)
		pic->sink.ops->pic_output_changed(pic->sink.opaque, level);
}

/*
 * Recomputes INT and drops the lock. The sink is called without the lock, by one thread at a
 * time; a thread that changes INT while another is notifying leaves the news to that thread,
 * which rechecks on return, so the last level the sink hears is the current one.
 */
static void pic_unlock_and_notify(struct pic *pic)
{
	pic->output = pic_pending(pic, PIC_MASTER) >= 0;
	while (!pic->notifying && pic->notified != pic->output) {
		bool level = pic->output;

		pic->notifying = true;
		pic->notified = level;
		pthread_mutex_unlock(&pic->lock);
		pic_notify(pic, level);
		pthread_mutex_lock(&pic->lock);
		pic->notifying = false;
	}
	pthread_mutex_unlock(&pic->lock);
}

static void pic_chip_set_input(struct pic_chip *c, unsigned pin, bool level)
{
	uint8_t bit = 1u << pin;
	bool was_high = c->input & bit;

	if (level)
		c->input |= bit;
	else
		c->input &= ~bit;
	if (c->elcr & bit) {
		c->irr = (c->irr & ~bit) | (c->input & bit);
	} else if (level && !was_high) {
		c->irr |= bit;
	}
}

/* INTA (or a poll read) for irq: an edge request is consumed, the level goes in service. */
static void pic_chip_acknowledge(struct pic_chip *c, unsigned irq)
{
	uint8_t bit = 1u << irq;

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_auto_eoi)
		c->lowest_priority = irq;
}

static void pic_chip_set_elcr(struct pic_chip *c, enum pic_chip_index idx, uint8_t value)
{
	uint8_t changed;

	value &= pic_elcr_writable[idx];
	changed = c->elcr ^ value;
	c->elcr = value;
	/* Inputs turned level now request while high; inputs turned edge wait for an edge. */
	c->irr = (c->irr & ~changed) | (c->input & value & changed);
}

static void pic_icw1(struct pic_chip *c, uint8_t value)
{
	/* The edge sense latches reset: an edge input must go low and high again. */
	c->irr = c->input & c->elcr;
	c->isr = 0;
	c->imr = 0;
	c->lowest_priority = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->special_fully_nested = false;
	c->rotate_on_auto_eoi = false;
	c->icw4_expected = value & PIC_ICW1_IC4;
	c->single = value & PIC_ICW1_SNGL;
	c->init_step = PIC_WANT_ICW2;
}

static void pic_ocw2(struct pic_chip *c, uint8_t value)
{
	unsigned level = value & 7;
	int irq;

	switch (value >> 5) {
	case PIC_OCW2_CLEAR_ROTATE_AEOI:
		c->rotate_on_auto_eoi = false;
		break;
	case PIC_OCW2_SET_ROTATE_AEOI:
		c->rotate_on_auto_eoi = true;
		break;
	case PIC_OCW2_EOI:
	case PIC_OCW2_ROTATE_EOI:
		irq = pic_highest(c, c->isr);
		if (irq < 0)
			break;
		c->isr &= ~(1u << irq);
		if (value >> 5 == PIC_OCW2_ROTATE_EOI)
			c->lowest_priority = irq;
		break;
	case PIC_OCW2_SPECIFIC_EOI:
		c->isr &= ~(1u << level);
		break;
	case PIC_OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~(1u << level);
		c->lowest_priority = level;
		break;
	case PIC_OCW2_SET_PRIORITY:
		c->lowest_priority = level;
		break;
	case PIC_OCW2_NOP:
		break;
	}
}

static void pic_ocw3(struct pic_chip *c, uint8_t value)
{
	if (value & PIC_OCW3_ESMM)
		c->special_mask = value & PIC_OCW3_SMM;
	if (value & PIC_OCW3_POLL)
		c->poll = true;
	if (value & PIC_OCW3_RR)
		c->read_isr = value & PIC_OCW3_RIS;
}

static void pic_write_command(struct pic_chip *c, uint8_t value)
{
	if (value & PIC_ICW1)
		pic_icw1(c, value);
	else if (value & PIC_OCW3)
		pic_ocw3(c, value);
	else
		pic_ocw2(c, value);
}

static void pic_write_data(struct pic_chip *c, uint8_t value)
{
	switch (c->init_step) {
	case PIC_WANT_ICW2:
		c->vector_base = value & 0xf8;
		if (!c->single)
			c->init_step = PIC_WANT_ICW3;
		else
			c->init_step = c->icw4_expected ? PIC_WANT_ICW4 : PIC_READY;
		break;
	case PIC_WANT_ICW3:
		c->icw3 = value;
		c->init_step = c->icw4_expected ? PIC_WANT_ICW4 : PIC_READY;
		break;
	case PIC_WANT_ICW4:
		c->auto_eoi = value & PIC_ICW4_AEOI;
		c->special_fully_nested = value & PIC_ICW4_SFNM;
		c->init_step = PIC_READY;
		break;
	default:
		c->imr = value;
		break;
	}
}

/* A poll command makes the next read an acknowledge that returns the level. */
static uint8_t pic_poll(struct pic *pic, enum pic_chip_index idx)
{
	int irq = pic_pending(pic, idx);

	pic->chips[idx].poll = false;
	if (irq < 0)
		return 0;
	pic_chip_acknowledge(&pic->chips[idx], irq);
	return PIC_POLL_PENDING | irq;
}

static uint8_t pic_read_chip(struct pic *pic, enum pic_chip_index idx, unsigned port)
{
	const struct pic_chip *c = &pic->chips[idx];

	if (c->poll)
		return pic_poll(pic, idx);
	if (port == 1)
		return c->imr;
	return c->read_isr ? c->isr : pic_requests(pic, idx);
}

static void pic_write_chip(struct pic *pic, enum pic_chip_index idx, unsigned port, uint8_t value)
{
	if (port == 0)
		pic_write_command(&pic->chips[idx], value);
	else
		pic_write_data(&pic->chips[idx], value);
}

/* The three port blocks; each is two bytes wide. */
enum pic_block { PIC_BLOCK_MASTER, PIC_BLOCK_SLAVE, PIC_BLOCK_ELCR };

static uint8_t pic_read_byte(struct pic *pic, enum pic_block block, uint64_t offset)
{
	if (offset >= 2)
		return 0xff;
	if (block == PIC_BLOCK_ELCR)
		return pic->chips[offset].elcr;
	return pic_read_chip(pic, block == PIC_BLOCK_MASTER ? PIC_MASTER : PIC_SLAVE, offset);
}

static void pic_write_byte(struct pic *pic, enum pic_block block, uint64_t offset, uint8_t value)
{
	if (offset >= 2)
		return;
	if (block == PIC_BLOCK_ELCR)
		pic_chip_set_elcr(&pic->chips[offset], offset, value);
	else
		pic_write_chip(pic, block == PIC_BLOCK_MASTER ? PIC_MASTER : PIC_SLAVE, offset,
			       value);
}

/* A wide access is a sequence of byte accesses to consecutive ports. */
static uint64_t pic_block_read(struct pic *pic, enum pic_block block, uint64_t offset,
			       unsigned size)
{
	uint64_t value = 0;

	pthread_mutex_lock(&pic->lock);
	for (unsigned i = 0; i < size && i < 8; i++)
		value |= (uint64_t)pic_read_byte(pic, block, offset + i) << (8 * i);
	pic_unlock_and_notify(pic);
	return value;
}

static void pic_block_write(struct pic *pic, enum pic_block block, uint64_t offset, unsigned size,
			    uint64_t value)
{
	pthread_mutex_lock(&pic->lock);
	for (unsigned i = 0; i < size && i < 8; i++)
		pic_write_byte(pic, block, offset + i, value >> (8 * i));
	pic_unlock_and_notify(pic);
}

static uint64_t pic_master_read(void *opaque, uint64_t offset, unsigned size)
{
	return pic_block_read(opaque, PIC_BLOCK_MASTER, offset, size);
}

static void pic_master_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	pic_block_write(opaque, PIC_BLOCK_MASTER, offset, size, value);
}

static uint64_t pic_slave_read(void *opaque, uint64_t offset, unsigned size)
{
	return pic_block_read(opaque, PIC_BLOCK_SLAVE, offset, size);
}

static void pic_slave_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	pic_block_write(opaque, PIC_BLOCK_SLAVE, offset, size, value);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
	return pic_block_read(opaque, PIC_BLOCK_ELCR, offset, size);
}

static void pic_elcr_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	pic_block_write(opaque, PIC_BLOCK_ELCR, offset, size, value);
}

static const struct io_region_ops pic_master_ops = { pic_master_read, pic_master_write };
static const struct io_region_ops pic_slave_ops = { pic_slave_read, pic_slave_write };
static const struct io_region_ops pic_elcr_ops = { pic_elcr_read, pic_elcr_write };

static const struct {
	uint16_t port;
	const struct io_region_ops *ops;
	const char *name;
} pic_port_blocks[] = {
	{ PIC_MASTER_PORT, &pic_master_ops, "pic-master" },
	{ PIC_SLAVE_PORT, &pic_slave_ops, "pic-slave" },
	{ PIC_ELCR_PORT, &pic_elcr_ops, "pic-elcr" },
};

#define PIC_PORT_BLOCKS (sizeof(pic_port_blocks) / sizeof(pic_port_blocks[0]))

void pic_set_irq(struct pic *pic, unsigned irq, bool level)
{
	/* IR2 of the master is the cascade: there is no ISA IRQ 2 input on a PC. */
	if (irq >= 16 || irq == PIC_CASCADE_IRQ)
		return;
	pthread_mutex_lock(&pic->lock);
	pic_chip_set_input(&pic->chips[irq / 8], irq % 8, level);
	pic_unlock_and_notify(pic);
}

bool pic_has_interrupt(struct pic *pic)
{
	bool pending;

	pthread_mutex_lock(&pic->lock);
	pending = pic_pending(pic, PIC_MASTER) >= 0;
	pthread_mutex_unlock(&pic->lock);
	return pending;
}

uint8_t pic_acknowledge(struct pic *pic)
{
	struct pic_chip *master = &pic->chips[PIC_MASTER], *slave = &pic->chips[PIC_SLAVE];
	uint8_t vector;
	int irq;

	pthread_mutex_lock(&pic->lock);
	irq = pic_pending(pic, PIC_MASTER);
	if (irq < 0) {
		vector = master->vector_base + PIC_SPURIOUS_IRQ;
	} else if (irq != PIC_CASCADE_IRQ) {
		pic_chip_acknowledge(master, irq);
		vector = master->vector_base + irq;
	} else {
		int slave_irq = pic_pending(pic, PIC_SLAVE);

		pic_chip_acknowledge(master, irq);
		if (slave_irq < 0) {
			vector = slave->vector_base + PIC_SPURIOUS_IRQ;
		} else {
			pic_chip_acknowledge(slave, slave_irq);
			vector = slave->vector_base + slave_irq;
		}
	}
	pic_unlock_and_notify(pic);
	return vector;
}

static void pic_chip_reset(struct pic_chip *c)
{
	uint8_t input = c->input;

	memset(c, 0, sizeof(*c));
	c->input = input; /* the wires keep their levels */
	c->imr = 0xff;
	c->lowest_priority = 7;
}

static void pic_reset(void *dev)
{
	struct pic *pic = dev;

	pthread_mutex_lock(&pic->lock);
	pic_chip_reset(&pic->chips[PIC_MASTER]);
	pic_chip_reset(&pic->chips[PIC_SLAVE]);
	pic_unlock_and_notify(pic);
}

/* The saved fields of one chip: the stored value must not exceed max. */
static const struct {
	const char *name;
	size_t offset;
	bool is_bool;
	uint8_t max;
} pic_chip_fields[] = {
#define PIC_U8(f, m) { #f, offsetof(struct pic_chip, f), false, m }
#define PIC_BOOL(f) { #f, offsetof(struct pic_chip, f), true, 1 }
	PIC_U8(irr, 0xff),
	PIC_U8(isr, 0xff),
	PIC_U8(imr, 0xff),
	PIC_U8(input, 0xff),
	PIC_U8(elcr, 0xff),
	PIC_U8(vector_base, 0xff),
	PIC_U8(icw3, 0xff),
	PIC_U8(lowest_priority, 7),
	PIC_U8(init_step, PIC_INIT_STEPS - 1),
	PIC_BOOL(icw4_expected),
	PIC_BOOL(single),
	PIC_BOOL(auto_eoi),
	PIC_BOOL(rotate_on_auto_eoi),
	PIC_BOOL(special_mask),
	PIC_BOOL(special_fully_nested),
	PIC_BOOL(poll),
	PIC_BOOL(read_isr),
#undef PIC_U8
#undef PIC_BOOL
};

#define PIC_CHIP_FIELDS (sizeof(pic_chip_fields) / sizeof(pic_chip_fields[0]))

static const char *const pic_chip_names[2] = { "master", "slave" };

static void pic_field_name(char *buf, size_t len, enum pic_chip_index idx, unsigned field)
{
	snprintf(buf, len, "%s.%s", pic_chip_names[idx], pic_chip_fields[field].name);
}

static uint64_t pic_chip_get(const struct pic_chip *c, unsigned field)
{
	const char *p = (const char *)c + pic_chip_fields[field].offset;

	return pic_chip_fields[field].is_bool ? *(const bool *)p : *(const uint8_t *)p;
}

static void pic_chip_put(struct pic_chip *c, unsigned field, uint64_t value)
{
	char *p = (char *)c + pic_chip_fields[field].offset;

	if (pic_chip_fields[field].is_bool)
		*(bool *)p = value;
	else
		*(uint8_t *)p = value;
}

static void pic_save(void *dev, struct state_writer *w)
{
	struct pic *pic = dev;
	char name[64];

	pthread_mutex_lock(&pic->lock);
	state_begin(w, pic_vdev_ops.name, PIC_STATE_VERSION);
	for (unsigned idx = 0; idx < 2; idx++) {
		for (unsigned f = 0; f < PIC_CHIP_FIELDS; f++) {
			pic_field_name(name, sizeof(name), idx, f);
			state_put_u64(w, name, pic_chip_get(&pic->chips[idx], f));
		}
	}
	state_end(w);
	pthread_mutex_unlock(&pic->lock);
}

/* Relations between fields that the device itself never breaks. */
static bool pic_chip_consistent(const struct pic_chip *c, enum pic_chip_index idx)
{
	if (c->elcr & ~pic_elcr_writable[idx])
		return false;
	if (c->vector_base & 7)
		return false;
	if ((c->irr ^ c->input) & c->elcr)
		return false;
	if (idx == PIC_MASTER && ((c->irr | c->input) & (1u << PIC_CASCADE_IRQ)))
		return false;
	return true;
}

static int pic_load_chip(const struct state_reader *r, enum pic_chip_index idx,
			 struct pic_chip *c)
{
	char name[64];
	uint64_t value;
	int ret;

	memset(c, 0, sizeof(*c));
	for (unsigned f = 0; f < PIC_CHIP_FIELDS; f++) {
		pic_field_name(name, sizeof(name), idx, f);
		ret = state_get_u64(r, name, &value);
		if (ret)
			return ret;
		if (value > pic_chip_fields[f].max)
			return -EINVAL;
		pic_chip_put(c, f, value);
	}
	return pic_chip_consistent(c, idx) ? 0 : -EINVAL;
}

static int pic_load(void *dev, const struct state_reader *section)
{
	struct pic *pic = dev;
	struct pic_chip chips[2];
	int ret;

	if (section->version != PIC_STATE_VERSION)
		return -EINVAL;
	for (unsigned idx = 0; idx < 2; idx++) {
		ret = pic_load_chip(section, idx, &chips[idx]);
		if (ret)
			return ret;
	}
	pthread_mutex_lock(&pic->lock);
	memcpy(pic->chips, chips, sizeof(chips));
	pic_unlock_and_notify(pic);
	return 0;
}

static void pic_unregister(struct pic *pic, unsigned blocks)
{
	for (unsigned i = 0; i < blocks; i++)
		io_bus_unregister(pic->pio, pic_port_blocks[i].port);
}

static void pic_destroy(void *dev)
{
	struct pic *pic = dev;

	if (!pic)
		return;
	pic_unregister(pic, PIC_PORT_BLOCKS);
	pthread_mutex_destroy(&pic->lock);
	free(pic);
}

struct pic *pic_create(struct io_bus *pio, const struct irq_sink *sink)
{
	struct pic *pic = calloc(1, sizeof(*pic));

	if (!pic)
		return NULL;
	if (pthread_mutex_init(&pic->lock, NULL)) {
		free(pic);
		return NULL;
	}
	pic->pio = pio;
	if (sink)
		pic->sink = *sink;
	pic_chip_reset(&pic->chips[PIC_MASTER]);
	pic_chip_reset(&pic->chips[PIC_SLAVE]);
	for (unsigned i = 0; i < PIC_PORT_BLOCKS; i++) {
		if (io_bus_register(pio, pic_port_blocks[i].port, 2, pic_port_blocks[i].ops, pic,
				    pic_port_blocks[i].name)) {
			pic_unregister(pic, i);
			pthread_mutex_destroy(&pic->lock);
			free(pic);
			return NULL;
		}
	}
	return pic;
}

const struct vdev_ops pic_vdev_ops = {
	.name = "pic",
	.reset = pic_reset,
	.save = pic_save,
	.load = pic_load,
	.destroy = pic_destroy,
};
