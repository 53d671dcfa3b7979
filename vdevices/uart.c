// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART. Transmission is instant: a byte written to THR goes to the backend at once,
 * so THR is empty again and THRE/TEMT always read as set. The receiver has the 16-byte FIFO
 * and its trigger levels. The character timeout needs no timer: the chardev hands input over
 * in bursts and the line is idle after each, so data below the trigger level is reported as
 * a timeout right away (and again after each read that leaves some, as the hardware would).
 */
#include "vdevices/uart.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum uart_reg {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
	UART_NR_REGS = 8,
};

#define UART_IER_RDI		0x01	/* received data available (and timeout) */
#define UART_IER_THRI		0x02	/* THR empty */
#define UART_IER_RLSI		0x04	/* receiver line status */
#define UART_IER_MSI		0x08	/* modem status */
#define UART_IER_MASK		0x0f

#define UART_IIR_NONE		0x01
#define UART_IIR_MSI		0x00
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_RLSI		0x06
#define UART_IIR_TIMEOUT	0x0c
#define UART_IIR_FIFOS_ON	0xc0

#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLEAR_RX	0x02
#define UART_FCR_TRIGGER	0xc0
#define UART_FCR_KEPT		(UART_FCR_ENABLE | UART_FCR_TRIGGER)

#define UART_LCR_DLAB		0x80

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08	/* gates the ISA interrupt line on a PC */
#define UART_MCR_LOOP		0x10
#define UART_MCR_MASK		0x1f

#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_PE		0x04
#define UART_LSR_FE		0x08
#define UART_LSR_BI		0x10
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_LSR_ERRORS		(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS		0x01
#define UART_MSR_DDSR		0x02
#define UART_MSR_TERI		0x04
#define UART_MSR_DDCD		0x08
#define UART_MSR_DELTAS		0x0f
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80
/* Outside loopback the other end is always there, ready and carrying. */
#define UART_MSR_CONNECTED	(UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

#define UART_FIFO_SIZE		16
#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))
#define UART_STATE_VERSION	1

/* What the guest can observe; saved as is. Flags are u8 so one table covers every field. */
struct uart_regs {
	uint8_t dll, dlm, ier, lcr, mcr, scr;
	uint8_t fcr;		/* FIFO enable and trigger level as programmed */
	uint8_t lsr_errors;	/* OE/PE/FE/BI until LSR is read */
	uint8_t msr;		/* modem lines (high nibble) and their deltas (low nibble) */
	uint8_t rbr;		/* the last byte read: what an empty RBR returns */
	uint8_t thr_pending;	/* THRE interrupt pending */
	uint8_t rx_count;
	uint8_t rx_head;
	uint8_t rx_fifo[UART_FIFO_SIZE];
};

struct uart {
	pthread_mutex_t lock;
	struct io_bus *pio;
	uint16_t base;
	struct irq_line irq;
	struct chardev *backend;
	struct uart_regs r;
	bool irq_level;
	bool input_blocked; /* told the backend "no room": owes it chardev_input_ready() */
};

static const uint8_t uart_rx_trigger_levels[4] = { 1, 4, 8, 14 };

static bool uart_fifo_enabled(const struct uart_regs *r)
{
	return r->fcr & UART_FCR_ENABLE;
}

/* Without FIFOs the receiver holds one byte. */
static unsigned uart_rx_capacity(const struct uart_regs *r)
{
	return uart_fifo_enabled(r) ? UART_FIFO_SIZE : 1;
}

static unsigned uart_rx_room(const struct uart_regs *r)
{
	unsigned cap = uart_rx_capacity(r);

	return r->rx_count < cap ? cap - r->rx_count : 0;
}

static bool uart_loopback(const struct uart_regs *r)
{
	return r->mcr & UART_MCR_LOOP;
}

static uint8_t uart_interrupt_id(const struct uart_regs *r)
{
	if ((r->ier & UART_IER_RLSI) && r->lsr_errors)
		return UART_IIR_RLSI;
	if ((r->ier & UART_IER_RDI) && r->rx_count) {
		if (!uart_fifo_enabled(r))
			return UART_IIR_RDI;
		if (r->rx_count >= uart_rx_trigger_levels[r->fcr >> 6])
			return UART_IIR_RDI;
		return UART_IIR_TIMEOUT;
	}
	if ((r->ier & UART_IER_THRI) && r->thr_pending)
		return UART_IIR_THRI;
	if ((r->ier & UART_IER_MSI) && (r->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NONE;
}

/* Lock held. On a PC, OUT2 gates the UART's interrupt onto the ISA line. */
static void uart_update_irq(struct uart *u)
{
	bool level = uart_interrupt_id(&u->r) != UART_IIR_NONE && (u->r.mcr & UART_MCR_OUT2);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_line_set(&u->irq, level);
}

/* In loopback the modem inputs follow the modem outputs. */
static uint8_t uart_modem_lines(const struct uart_regs *r)
{
	uint8_t lines = 0;

	if (!uart_loopback(r))
		return UART_MSR_CONNECTED;
	if (r->mcr & UART_MCR_RTS)
		lines |= UART_MSR_CTS;
	if (r->mcr & UART_MCR_DTR)
		lines |= UART_MSR_DSR;
	if (r->mcr & UART_MCR_OUT1)
		lines |= UART_MSR_RI;
	if (r->mcr & UART_MCR_OUT2)
		lines |= UART_MSR_DCD;
	return lines;
}

static void uart_update_msr(struct uart_regs *r)
{
	uint8_t lines = uart_modem_lines(r);
	uint8_t changed = (r->msr ^ lines) & ~UART_MSR_DELTAS;
	uint8_t deltas = r->msr & UART_MSR_DELTAS;

	/* CTS, DSR and DCD report any change; RI only its trailing edge. */
	deltas |= (changed >> 4) & (UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	if ((r->msr & UART_MSR_RI) && !(lines & UART_MSR_RI))
		deltas |= UART_MSR_TERI;
	r->msr = lines | deltas;
}

static void uart_rx_clear(struct uart_regs *r)
{
	r->rx_count = 0;
	r->rx_head = 0;
}

static void uart_rx_push(struct uart_regs *r, uint8_t byte)
{
	if (!uart_rx_room(r)) {
		/* Overrun: the FIFO keeps its bytes; a lone holding register is overwritten. */
		r->lsr_errors |= UART_LSR_OE;
		if (!uart_fifo_enabled(r) && r->rx_count)
			r->rx_fifo[r->rx_head] = byte;
		return;
	}
	r->rx_fifo[(r->rx_head + r->rx_count) % UART_FIFO_SIZE] = byte;
	r->rx_count++;
}

static uint8_t uart_rx_pop(struct uart_regs *r)
{
	if (!r->rx_count)
		return r->rbr;
	r->rbr = r->rx_fifo[r->rx_head];
	r->rx_head = (r->rx_head + 1) % UART_FIFO_SIZE;
	r->rx_count--;
	return r->rbr;
}

/* Lock held: whether to tell a backend we refused that there is room again. */
static bool uart_take_input_kick(struct uart *u)
{
	if (!u->input_blocked || uart_loopback(&u->r) ||
	    u->r.rx_count > uart_rx_capacity(&u->r) / 2)
		return false;
	u->input_blocked = false;
	return true;
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (uart_loopback(&u->r))
		uart_rx_push(&u->r, byte);
	else if (u->backend)
		chardev_write(u->backend, &byte, 1);
	/* Writing THR cleared THRE; the byte left at once, so THR is empty again. */
	u->r.thr_pending = 1;
}

static void uart_write_ier(struct uart_regs *r, uint8_t value)
{
	value &= UART_IER_MASK;
	/* Enabling the THRE interrupt while THR is empty (it always is) raises it. */
	if ((value & UART_IER_THRI) && !(r->ier & UART_IER_THRI))
		r->thr_pending = 1;
	r->ier = value;
}

static void uart_write_fcr(struct uart_regs *r, uint8_t value)
{
	/* FIFO enable changes clear the FIFOs; other bits only take effect with bit 0 set. */
	if (!(value & UART_FCR_ENABLE)) {
		if (uart_fifo_enabled(r))
			uart_rx_clear(r);
		r->fcr &= ~UART_FCR_ENABLE;
		return;
	}
	if (!uart_fifo_enabled(r) || (value & UART_FCR_CLEAR_RX))
		uart_rx_clear(r);
	r->fcr = value & UART_FCR_KEPT;
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
	struct uart_regs *r = &u->r;
	uint8_t value;

	switch (reg) {
	case UART_RBR_THR_DLL:
		return (r->lcr & UART_LCR_DLAB) ? r->dll : uart_rx_pop(r);
	case UART_IER_DLM:
		return (r->lcr & UART_LCR_DLAB) ? r->dlm : r->ier;
	case UART_IIR_FCR:
		value = uart_interrupt_id(r);
		if (value == UART_IIR_THRI)
			r->thr_pending = 0; /* reading IIR acknowledges THRE it reports */
		return value | (uart_fifo_enabled(r) ? UART_IIR_FIFOS_ON : 0);
	case UART_LCR:
		return r->lcr;
	case UART_MCR:
		return r->mcr;
	case UART_LSR:
		value = r->lsr_errors | UART_LSR_THRE | UART_LSR_TEMT;
		if (r->rx_count)
			value |= UART_LSR_DR;
		r->lsr_errors = 0;
		return value;
	case UART_MSR:
		value = r->msr;
		r->msr &= ~UART_MSR_DELTAS;
		return value;
	case UART_SCR:
		return r->scr;
	default:
		return 0xff;
	}
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t value)
{
	struct uart_regs *r = &u->r;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (r->lcr & UART_LCR_DLAB)
			r->dll = value;
		else
			uart_transmit(u, value);
		break;
	case UART_IER_DLM:
		if (r->lcr & UART_LCR_DLAB)
			r->dlm = value;
		else
			uart_write_ier(r, value);
		break;
	case UART_IIR_FCR:
		uart_write_fcr(r, value);
		break;
	case UART_LCR:
		r->lcr = value;
		break;
	case UART_MCR:
		r->mcr = value & UART_MCR_MASK;
		uart_update_msr(r);
		break;
	case UART_SCR:
		r->scr = value;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
}

static void uart_kick_backend(struct uart *u, bool kick)
{
	if (kick && u->backend)
		chardev_input_ready(u->backend);
}

/* A wider access reaches consecutive registers, as the ISA bus splits it into bytes. */
static uint64_t uart_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct uart *u = opaque;
	uint64_t value = 0;
	bool kick;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t reg = offset + i;
		uint8_t byte = reg < UART_NR_REGS ? uart_read_reg(u, reg) : 0xff;

		value |= (uint64_t)byte << (8 * i);
	}
	uart_update_irq(u);
	kick = uart_take_input_kick(u);
	pthread_mutex_unlock(&u->lock);
	uart_kick_backend(u, kick);
	return value;
}

static void uart_io_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct uart *u = opaque;
	bool kick;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t reg = offset + i;

		if (reg < UART_NR_REGS)
			uart_write_reg(u, reg, value >> (8 * i));
	}
	uart_update_irq(u);
	kick = uart_take_input_kick(u);
	pthread_mutex_unlock(&u->lock);
	uart_kick_backend(u, kick);
}

static const struct io_region_ops uart_io_ops = {
	.read = uart_io_read,
	.write = uart_io_write,
};

/* Event loop thread: the backend asks how much it may hand over. */
static size_t uart_can_receive(void *opaque)
{
	struct uart *u = opaque;
	size_t room;

	pthread_mutex_lock(&u->lock);
	/* In loopback the receiver hears only the transmitter: input waits. */
	room = uart_loopback(&u->r) ? 0 : uart_rx_room(&u->r);
	if (!room)
		u->input_blocked = true;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static void uart_receive(void *opaque, const uint8_t *data, size_t len)
{
	struct uart *u = opaque;

	pthread_mutex_lock(&u->lock);
	/* More than can_receive() allowed only if the guest shrank the FIFO meanwhile: overrun. */
	for (size_t i = 0; i < len && !uart_loopback(&u->r); i++)
		uart_rx_push(&u->r, data[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_reset_regs(struct uart_regs *r)
{
	/* The divisor latches keep their value across a reset, as on the chip. */
	uint8_t dll = r->dll, dlm = r->dlm;

	memset(r, 0, sizeof(*r));
	r->dll = dll;
	r->dlm = dlm;
	r->msr = uart_modem_lines(r);
}

struct uart *uart_create(struct io_bus *pio, uint16_t base, struct irq_line irq,
			 struct chardev *backend)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->pio = pio;
	u->base = base;
	u->irq = irq;
	u->backend = backend;
	u->r.dll = 12; /* 9600 baud until someone programs it */
	uart_reset_regs(&u->r);
	if (io_bus_register(pio, base, UART_NR_REGS, &uart_io_ops, u, "uart") < 0) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return NULL;
	}
	if (backend) {
		struct chardev_receiver rx = {
			.can_receive = uart_can_receive,
			.receive = uart_receive,
			.opaque = u,
		};

		chardev_set_receiver(backend, &rx);
	}
	return u;
}

static void uart_reset(void *dev)
{
	struct uart *u = dev;

	pthread_mutex_lock(&u->lock);
	uart_reset_regs(&u->r);
	uart_update_irq(u);
	u->input_blocked = false;
	pthread_mutex_unlock(&u->lock);
	uart_kick_backend(u, true);
}

static const struct uart_field {
	const char *name;
	size_t offset;
	uint8_t allowed; /* bits a saved value may have */
} uart_fields[] = {
	{ "dll", offsetof(struct uart_regs, dll), 0xff },
	{ "dlm", offsetof(struct uart_regs, dlm), 0xff },
	{ "ier", offsetof(struct uart_regs, ier), UART_IER_MASK },
	{ "lcr", offsetof(struct uart_regs, lcr), 0xff },
	{ "mcr", offsetof(struct uart_regs, mcr), UART_MCR_MASK },
	{ "scr", offsetof(struct uart_regs, scr), 0xff },
	{ "fcr", offsetof(struct uart_regs, fcr), UART_FCR_KEPT },
	{ "lsr_errors", offsetof(struct uart_regs, lsr_errors), UART_LSR_ERRORS },
	{ "msr", offsetof(struct uart_regs, msr), 0xff },
	{ "rbr", offsetof(struct uart_regs, rbr), 0xff },
	{ "thr_pending", offsetof(struct uart_regs, thr_pending), 0x01 },
	{ "rx_count", offsetof(struct uart_regs, rx_count), 0x1f },
};

static void uart_save(void *dev, struct state_writer *w)
{
	struct uart *u = dev;
	uint8_t fifo[UART_FIFO_SIZE] = { 0 };

	pthread_mutex_lock(&u->lock);
	state_begin(w, "uart", UART_STATE_VERSION);
	for (size_t i = 0; i < ARRAY_LEN(uart_fields); i++)
		state_put_u64(w, uart_fields[i].name, *((uint8_t *)&u->r + uart_fields[i].offset));
	for (unsigned i = 0; i < u->r.rx_count; i++)
		fifo[i] = u->r.rx_fifo[(u->r.rx_head + i) % UART_FIFO_SIZE];
	state_put_bytes(w, "rx_fifo", fifo, sizeof(fifo)); /* oldest first */
	state_end(w);
	pthread_mutex_unlock(&u->lock);
}

static int uart_load_regs(const struct state_reader *section, struct uart_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (section->version != UART_STATE_VERSION)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(uart_fields); i++) {
		uint64_t value;

		if (state_get_u64(section, uart_fields[i].name, &value) ||
		    value & ~(uint64_t)uart_fields[i].allowed)
			return -EINVAL;
		*((uint8_t *)r + uart_fields[i].offset) = value;
	}
	if (state_get_bytes(section, "rx_fifo", r->rx_fifo, sizeof(r->rx_fifo)))
		return -EINVAL;
	if (r->rx_count > uart_rx_capacity(r))
		return -EINVAL;
	return 0;
}

static int uart_load(void *dev, const struct state_reader *section)
{
	struct uart *u = dev;
	struct uart_regs r;
	int ret = uart_load_regs(section, &r);

	if (ret)
		return ret;
	pthread_mutex_lock(&u->lock);
	u->r = r;
	u->irq_level = uart_interrupt_id(&r) != UART_IIR_NONE && (r.mcr & UART_MCR_OUT2);
	irq_line_set(&u->irq, u->irq_level);
	u->input_blocked = false;
	pthread_mutex_unlock(&u->lock);
	uart_kick_backend(u, true);
	return 0;
}

static void uart_destroy(void *dev)
{
	struct uart *u = dev;

	if (!u)
		return;
	if (u->backend)
		chardev_set_receiver(u->backend, NULL);
	io_bus_unregister(u->pio, u->base);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

const struct vdev_ops uart_vdev_ops = {
	.name = "uart",
	.reset = uart_reset,
	.save = uart_save,
	.load = uart_load,
	.destroy = uart_destroy,
};
