// SPDX-License-Identifier: GPL-2.0
/*
 * The 8042 keyboard controller with a PS/2 keyboard on its first port and a PS/2 mouse (that
 * never moves) on the aux port. Commands complete at once: the input buffer is never full.
 * Bytes from the devices wait in small queues until the controller's one-byte output buffer
 * is free; controller replies and the 0xd2/0xd3 echoes go first, whatever port is disabled.
 */
#include "vdevices/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64

#define I8042_STR_OBF		0x01
#define I8042_STR_SYSFLAG	0x04
#define I8042_STR_CMD		0x08	/* the last write went to the command port */
#define I8042_STR_UNLOCKED	0x10	/* keyboard not inhibited by the key lock */
#define I8042_STR_AUXDATA	0x20

#define I8042_CTR_KBDINT	0x01
#define I8042_CTR_AUXINT	0x02
#define I8042_CTR_SYSFLAG	0x04
#define I8042_CTR_KBDDIS	0x10
#define I8042_CTR_AUXDIS	0x20
#define I8042_CTR_XLATE		0x40

#define I8042_OUT_RESET		0x01	/* active low: 0 holds the CPU in reset */
#define I8042_OUT_A20		0x02
#define I8042_OUT_KBD_IRQ	0x10
#define I8042_OUT_AUX_IRQ	0x20

#define PS2_ACK			0xfa
#define PS2_RESEND		0xfe
#define PS2_BAT_OK		0xaa
#define PS2_ECHO		0xee

#define I8042_QUEUE_SIZE	16
#define I8042_FROM_AUX		0x100	/* queue entry flag: the byte is aux data */
#define I8042_RAM_SIZE		32	/* ram[0] is the configuration (command) byte */
#define I8042_STATE_VERSION	1

struct i8042_queue {
	uint16_t entries[I8042_QUEUE_SIZE];
	uint8_t head, count;
};

/* What the guest can observe; saved as is. Flags are u8 so one table covers every field. */
struct i8042_regs {
	uint8_t ram[I8042_RAM_SIZE];
	uint8_t output_port;
	uint8_t pending;	/* controller command waiting for its data byte, or 0 */
	uint8_t last_was_cmd;
	uint8_t obf, obf_aux, obuf;	/* the output buffer */
	struct i8042_queue ctl_q, kbd_q, aux_q;

	uint8_t kbd_scanning, kbd_set, kbd_leds, kbd_typematic, kbd_pending, kbd_last;
	uint8_t kbd_xlate_break;	/* translation saw 0xf0: the next code is a release */

	uint8_t mouse_reporting, mouse_remote, mouse_wrap, mouse_scaling21;
	uint8_t mouse_resolution, mouse_rate, mouse_pending, mouse_last;
};

struct i8042 {
	pthread_mutex_t lock;
	struct io_bus *pio;
	struct irq_line kbd_irq, aux_irq;
	void (*system_reset)(void *opaque);
	void *reset_opaque;
	struct i8042_regs r;
	bool kbd_irq_level, aux_irq_level;
};

/*
 * The controller's translation when the configuration byte asks for it: each key's set 2 code
 * becomes its set 1 code. Codes 0x80 and up pass through except F7 (0x83) and SysRq (0x84).
 */
static const uint8_t i8042_set2_to_set1[128] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58,
	0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a,
	0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c,
	0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e,
	0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60,
	0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e,
	0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b,
	0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45,
	0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

static bool i8042_queue_push(struct i8042_queue *q, uint16_t entry)
{
	if (q->count >= I8042_QUEUE_SIZE)
		return false;
	q->entries[(q->head + q->count) % I8042_QUEUE_SIZE] = entry;
	q->count++;
	return true;
}

static uint16_t i8042_queue_pop(struct i8042_queue *q)
{
	uint16_t entry = q->entries[q->head];

	q->head = (q->head + 1) % I8042_QUEUE_SIZE;
	q->count--;
	return entry;
}

static void i8042_queue_clear(struct i8042_queue *q)
{
	q->head = q->count = 0;
}

static uint8_t i8042_ctr(const struct i8042_regs *r)
{
	return r->ram[0];
}

/* Lock held: moves the next waiting byte into a free output buffer. */
static void i8042_refill(struct i8042_regs *r)
{
	uint16_t entry;

	if (r->obf)
		return;
	if (r->ctl_q.count)
		entry = i8042_queue_pop(&r->ctl_q);
	else if (r->kbd_q.count && !(i8042_ctr(r) & I8042_CTR_KBDDIS))
		entry = i8042_queue_pop(&r->kbd_q);
	else if (r->aux_q.count && !(i8042_ctr(r) & I8042_CTR_AUXDIS))
		entry = i8042_queue_pop(&r->aux_q) | I8042_FROM_AUX;
	else
		return;
	r->obf = 1;
	r->obuf = entry & 0xff;
	r->obf_aux = !!(entry & I8042_FROM_AUX);
}

static bool i8042_kbd_irq_wanted(const struct i8042_regs *r)
{
	return r->obf && !r->obf_aux && (i8042_ctr(r) & I8042_CTR_KBDINT);
}

static bool i8042_aux_irq_wanted(const struct i8042_regs *r)
{
	return r->obf && r->obf_aux && (i8042_ctr(r) & I8042_CTR_AUXINT);
}

/* Lock held. Each byte that lands in the output buffer is a new edge on its line. */
static void i8042_update_irqs(struct i8042 *kbc)
{
	bool kbd = i8042_kbd_irq_wanted(&kbc->r), aux = i8042_aux_irq_wanted(&kbc->r);

	if (kbd != kbc->kbd_irq_level) {
		kbc->kbd_irq_level = kbd;
		irq_line_set(&kbc->kbd_irq, kbd);
	}
	if (aux != kbc->aux_irq_level) {
		kbc->aux_irq_level = aux;
		irq_line_set(&kbc->aux_irq, aux);
	}
}

static void i8042_reply(struct i8042_regs *r, uint8_t byte)
{
	i8042_queue_push(&r->ctl_q, byte);
}

/* The keyboard sends a byte; the controller translates it to set 1 when told to. */
static void ps2_kbd_send(struct i8042_regs *r, uint8_t byte)
{
	r->kbd_last = byte;
	if (i8042_ctr(r) & I8042_CTR_XLATE) {
		if (byte == 0xf0) {
			r->kbd_xlate_break = 1;
			return;
		}
		if (byte < 0x80)
			byte = i8042_set2_to_set1[byte];
		else if (byte == 0x83)
			byte = 0x41;
		else if (byte == 0x84)
			byte = 0x54;
		if (r->kbd_xlate_break)
			byte |= 0x80;
		r->kbd_xlate_break = 0;
	}
	i8042_queue_push(&r->kbd_q, byte);
}

static void ps2_kbd_defaults(struct i8042_regs *r)
{
	r->kbd_set = 2;
	r->kbd_typematic = 0x2b; /* 10.9 characters/s after 500 ms */
	r->kbd_leds = 0;
}

static void ps2_kbd_parameter(struct i8042_regs *r, uint8_t cmd, uint8_t value)
{
	switch (cmd) {
	case 0xed:
		r->kbd_leds = value & 0x07;
		ps2_kbd_send(r, PS2_ACK);
		break;
	case 0xf3:
		r->kbd_typematic = value & 0x7f;
		ps2_kbd_send(r, PS2_ACK);
		break;
	case 0xf0:
		if (value > 3) {
			ps2_kbd_send(r, PS2_RESEND);
			break;
		}
		ps2_kbd_send(r, PS2_ACK);
		if (value)
			r->kbd_set = value;
		else
			ps2_kbd_send(r, r->kbd_set);
		break;
	}
}

static void ps2_kbd_command(struct i8042_regs *r, uint8_t cmd)
{
	/* Enable, disable, defaults and reset make the keyboard forget what it had not sent. */
	if (cmd == 0xf4 || cmd == 0xf5 || cmd == 0xf6 || cmd == 0xff) {
		i8042_queue_clear(&r->kbd_q);
		r->kbd_xlate_break = 0;
	}
	switch (cmd) {
	case 0xed: /* set LEDs */
	case 0xf3: /* set typematic rate */
	case 0xf0: /* get/set scan code set */
		ps2_kbd_send(r, PS2_ACK);
		r->kbd_pending = cmd;
		break;
	case PS2_ECHO:
		ps2_kbd_send(r, PS2_ECHO);
		break;
	case 0xf2: /* identify: an MF2 keyboard */
		ps2_kbd_send(r, PS2_ACK);
		ps2_kbd_send(r, 0xab);
		ps2_kbd_send(r, 0x83);
		break;
	case 0xf4:
		r->kbd_scanning = 1;
		ps2_kbd_send(r, PS2_ACK);
		break;
	case 0xf5:
		ps2_kbd_defaults(r);
		r->kbd_scanning = 0;
		ps2_kbd_send(r, PS2_ACK);
		break;
	case 0xf6:
		ps2_kbd_defaults(r);
		ps2_kbd_send(r, PS2_ACK);
		break;
	case 0xf7 ... 0xfd: /* set 3 key types: accepted, no effect */
		ps2_kbd_send(r, PS2_ACK);
		break;
	case PS2_RESEND:
		ps2_kbd_send(r, r->kbd_last);
		break;
	case 0xff: /* reset and self test */
		ps2_kbd_defaults(r);
		r->kbd_scanning = 1;
		ps2_kbd_send(r, PS2_ACK);
		ps2_kbd_send(r, PS2_BAT_OK);
		break;
	default:
		ps2_kbd_send(r, PS2_RESEND);
		break;
	}
}

static void ps2_kbd_write(struct i8042_regs *r, uint8_t value)
{
	uint8_t pending = r->kbd_pending;

	r->kbd_pending = 0;
	/* Parameters are below 0x80; a byte with bit 7 set is a new command instead. */
	if (pending && value < 0x80)
		ps2_kbd_parameter(r, pending, value);
	else
		ps2_kbd_command(r, value);
}

static void ps2_mouse_send(struct i8042_regs *r, uint8_t byte)
{
	r->mouse_last = byte;
	i8042_queue_push(&r->aux_q, byte);
}

static void ps2_mouse_defaults(struct i8042_regs *r)
{
	r->mouse_reporting = 0;
	r->mouse_scaling21 = 0;
	r->mouse_resolution = 2; /* 4 counts/mm */
	r->mouse_rate = 100;
}

static uint8_t ps2_mouse_status(const struct i8042_regs *r)
{
	return (r->mouse_remote ? 0x40 : 0) | (r->mouse_reporting ? 0x20 : 0) |
	       (r->mouse_scaling21 ? 0x10 : 0);
}

static void ps2_mouse_command(struct i8042_regs *r, uint8_t cmd)
{
	if (cmd == 0xf5 || cmd == 0xf6 || cmd == 0xff)
		i8042_queue_clear(&r->aux_q);
	switch (cmd) {
	case 0xe6:
	case 0xe7:
		r->mouse_scaling21 = cmd == 0xe7;
		ps2_mouse_send(r, PS2_ACK);
		break;
	case 0xe8: /* set resolution */
	case 0xf3: /* set sample rate */
		ps2_mouse_send(r, PS2_ACK);
		r->mouse_pending = cmd;
		break;
	case 0xe9: /* status request */
		ps2_mouse_send(r, PS2_ACK);
		ps2_mouse_send(r, ps2_mouse_status(r));
		ps2_mouse_send(r, r->mouse_resolution);
		ps2_mouse_send(r, r->mouse_rate);
		break;
	case 0xea:
	case 0xf0:
		r->mouse_remote = cmd == 0xf0;
		ps2_mouse_send(r, PS2_ACK);
		break;
	case 0xeb: /* read data: no movement, no buttons */
		ps2_mouse_send(r, PS2_ACK);
		ps2_mouse_send(r, 0x08);
		ps2_mouse_send(r, 0x00);
		ps2_mouse_send(r, 0x00);
		break;
	case 0xec:
	case 0xee:
		r->mouse_wrap = cmd == 0xee;
		ps2_mouse_send(r, PS2_ACK);
		break;
	case 0xf2: /* get ID: a standard PS/2 mouse */
		ps2_mouse_send(r, PS2_ACK);
		ps2_mouse_send(r, 0x00);
		break;
	case 0xf4:
	case 0xf5:
		r->mouse_reporting = cmd == 0xf4;
		ps2_mouse_send(r, PS2_ACK);
		break;
	case 0xf6:
		ps2_mouse_defaults(r);
		ps2_mouse_send(r, PS2_ACK);
		break;
	case PS2_RESEND:
		ps2_mouse_send(r, r->mouse_last);
		break;
	case 0xff:
		ps2_mouse_defaults(r);
		r->mouse_remote = r->mouse_wrap = 0;
		ps2_mouse_send(r, PS2_ACK);
		ps2_mouse_send(r, PS2_BAT_OK);
		ps2_mouse_send(r, 0x00);
		break;
	default:
		ps2_mouse_send(r, PS2_RESEND);
		break;
	}
}

static void ps2_mouse_write(struct i8042_regs *r, uint8_t value)
{
	uint8_t pending = r->mouse_pending;

	/* Wrap mode echoes everything but its way out. */
	if (r->mouse_wrap && value != 0xec && value != 0xff) {
		ps2_mouse_send(r, value);
		return;
	}
	r->mouse_pending = 0;
	if (pending == 0xe8) {
		r->mouse_resolution = value & 0x03;
		ps2_mouse_send(r, PS2_ACK);
	} else if (pending == 0xf3) {
		r->mouse_rate = value;
		ps2_mouse_send(r, PS2_ACK);
	} else {
		ps2_mouse_command(r, value);
	}
}

static uint8_t i8042_output_port(const struct i8042 *kbc)
{
	return (kbc->r.output_port & ~(I8042_OUT_KBD_IRQ | I8042_OUT_AUX_IRQ)) |
	       (kbc->kbd_irq_level ? I8042_OUT_KBD_IRQ : 0) |
	       (kbc->aux_irq_level ? I8042_OUT_AUX_IRQ : 0);
}

/* Lock held. Returns true when the command pulsed the CPU reset line. */
static bool i8042_command(struct i8042 *kbc, uint8_t cmd)
{
	struct i8042_regs *r = &kbc->r;

	switch (cmd) {
	case 0x20 ... 0x3f: /* read controller RAM; 0x20 is the configuration byte */
		i8042_reply(r, r->ram[cmd & 0x1f]);
		break;
	case 0x60 ... 0x7f: /* write controller RAM */
	case 0xd1: /* write output port */
	case 0xd2: /* write the keyboard output buffer */
	case 0xd3: /* write the aux output buffer */
	case 0xd4: /* write to the aux device */
		r->pending = cmd;
		break;
	case 0xa4: /* password installed? */
		i8042_reply(r, 0xf1);
		break;
	case 0xa7:
		r->ram[0] |= I8042_CTR_AUXDIS;
		break;
	case 0xa8:
		r->ram[0] &= ~I8042_CTR_AUXDIS;
		break;
	case 0xa9: /* test the aux port: no error */
	case 0xab: /* test the keyboard port: no error */
		i8042_reply(r, 0x00);
		break;
	case 0xaa: /* self test */
		r->ram[0] |= I8042_CTR_SYSFLAG;
		i8042_reply(r, 0x55);
		break;
	case 0xad:
		r->ram[0] |= I8042_CTR_KBDDIS;
		break;
	case 0xae:
		r->ram[0] &= ~I8042_CTR_KBDDIS;
		break;
	case 0xc0: /* input port: keyboard not inhibited */
		i8042_reply(r, 0x80);
		break;
	case 0xd0:
		i8042_reply(r, i8042_output_port(kbc));
		break;
	case 0xe0: /* test inputs: clock and data low */
		i8042_reply(r, 0x00);
		break;
	case 0xf0 ... 0xff: /* pulse output lines whose bit is clear; bit 0 is reset */
		return !(cmd & 0x01);
	default:
		break;
	}
	return false;
}

/* Lock held: the data byte of a controller command. Returns true on a CPU reset. */
static bool i8042_command_data(struct i8042 *kbc, uint8_t cmd, uint8_t value)
{
	struct i8042_regs *r = &kbc->r;

	switch (cmd) {
	case 0x60 ... 0x7f:
		r->ram[cmd & 0x1f] = value;
		if (cmd == 0x60 && !(value & I8042_CTR_XLATE))
			r->kbd_xlate_break = 0;
		break;
	case 0xd1:
		/* A20 is not modelled: the guest's memory is always fully addressable. */
		r->output_port = value;
		return !(value & I8042_OUT_RESET);
	case 0xd2:
		i8042_queue_push(&r->ctl_q, value);
		break;
	case 0xd3:
		i8042_queue_push(&r->ctl_q, value | I8042_FROM_AUX);
		break;
	case 0xd4:
		ps2_mouse_write(r, value);
		break;
	}
	return false;
}

static uint8_t i8042_status(const struct i8042_regs *r)
{
	uint8_t status = I8042_STR_UNLOCKED | (i8042_ctr(r) & I8042_STR_SYSFLAG);

	if (r->obf)
		status |= I8042_STR_OBF | (r->obf_aux ? I8042_STR_AUXDATA : 0);
	if (r->last_was_cmd)
		status |= I8042_STR_CMD;
	return status;
}

static uint8_t i8042_read_data(struct i8042 *kbc)
{
	uint8_t value = kbc->r.obuf;

	if (kbc->r.obf) {
		kbc->r.obf = 0;
		/* Lower the line before the next byte raises it: edge-triggered inputs see both. */
		i8042_update_irqs(kbc);
		i8042_refill(&kbc->r);
	}
	return value;
}

/* Each port is one byte wide: the bus splits wider accesses. */
static uint64_t i8042_data_read(void *opaque, uint64_t offset, unsigned size)
{
	struct i8042 *kbc = opaque;
	uint8_t value;

	pthread_mutex_lock(&kbc->lock);
	value = i8042_read_data(kbc);
	i8042_update_irqs(kbc);
	pthread_mutex_unlock(&kbc->lock);
	return value;
}

static uint64_t i8042_status_read(void *opaque, uint64_t offset, unsigned size)
{
	struct i8042 *kbc = opaque;
	uint8_t value;

	pthread_mutex_lock(&kbc->lock);
	value = i8042_status(&kbc->r);
	pthread_mutex_unlock(&kbc->lock);
	return value;
}

static void i8042_write(struct i8042 *kbc, bool command_port, uint8_t value)
{
	struct i8042_regs *r = &kbc->r;
	bool reset;

	pthread_mutex_lock(&kbc->lock);
	r->last_was_cmd = command_port;
	if (command_port) {
		r->pending = 0; /* a new command abandons one still waiting for data */
		reset = i8042_command(kbc, value);
	} else if (r->pending) {
		uint8_t cmd = r->pending;

		r->pending = 0;
		reset = i8042_command_data(kbc, cmd, value);
	} else {
		ps2_kbd_write(r, value);
		reset = false;
	}
	i8042_refill(r);
	i8042_update_irqs(kbc);
	pthread_mutex_unlock(&kbc->lock);
	if (reset && kbc->system_reset)
		kbc->system_reset(kbc->reset_opaque);
}

static void i8042_data_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	i8042_write(opaque, false, value);
}

static void i8042_cmd_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	i8042_write(opaque, true, value);
}

static const struct io_region_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct io_region_ops i8042_cmd_ops = {
	.read = i8042_status_read,
	.write = i8042_cmd_write,
};

static void i8042_reset_regs(struct i8042_regs *r)
{
	memset(r, 0, sizeof(*r));
	/* What firmware leaves: keyboard interrupt and translation on, aux port enabled. */
	r->ram[0] = I8042_CTR_KBDINT | I8042_CTR_XLATE;
	r->output_port = I8042_OUT_RESET | I8042_OUT_A20;
	ps2_kbd_defaults(r);
	r->kbd_scanning = 1;
	ps2_mouse_defaults(r);
}

struct i8042 *i8042_create(struct io_bus *pio, struct irq_line kbd_irq, struct irq_line aux_irq,
			   void (*system_reset)(void *opaque), void *opaque)
{
	struct i8042 *kbc = calloc(1, sizeof(*kbc));

	if (!kbc)
		return NULL;
	pthread_mutex_init(&kbc->lock, NULL);
	kbc->pio = pio;
	kbc->kbd_irq = kbd_irq;
	kbc->aux_irq = aux_irq;
	kbc->system_reset = system_reset;
	kbc->reset_opaque = opaque;
	i8042_reset_regs(&kbc->r);
	if (io_bus_register(pio, I8042_DATA_PORT, 1, &i8042_data_ops, kbc, "i8042-data") < 0)
		goto fail;
	if (io_bus_register(pio, I8042_CMD_PORT, 1, &i8042_cmd_ops, kbc, "i8042-cmd") < 0) {
		io_bus_unregister(pio, I8042_DATA_PORT);
		goto fail;
	}
	return kbc;
fail:
	pthread_mutex_destroy(&kbc->lock);
	free(kbc);
	return NULL;
}

void i8042_keyboard_input(struct i8042 *kbc, const uint8_t *scancodes, size_t len)
{
	pthread_mutex_lock(&kbc->lock);
	for (size_t i = 0; i < len && kbc->r.kbd_scanning; i++)
		ps2_kbd_send(&kbc->r, scancodes[i]);
	i8042_refill(&kbc->r);
	i8042_update_irqs(kbc);
	pthread_mutex_unlock(&kbc->lock);
}

unsigned i8042_keyboard_scancode_set(struct i8042 *kbc)
{
	unsigned set;

	pthread_mutex_lock(&kbc->lock);
	set = kbc->r.kbd_set;
	pthread_mutex_unlock(&kbc->lock);
	return set;
}

static void i8042_reset(void *dev)
{
	struct i8042 *kbc = dev;

	pthread_mutex_lock(&kbc->lock);
	i8042_reset_regs(&kbc->r);
	i8042_update_irqs(kbc);
	pthread_mutex_unlock(&kbc->lock);
}

static const struct i8042_field {
	const char *name;
	size_t offset;
	uint8_t max;
} i8042_fields[] = {
	{ "output_port", offsetof(struct i8042_regs, output_port), 0xff },
	{ "pending", offsetof(struct i8042_regs, pending), 0xff },
	{ "last_was_cmd", offsetof(struct i8042_regs, last_was_cmd), 1 },
	{ "obf", offsetof(struct i8042_regs, obf), 1 },
	{ "obf_aux", offsetof(struct i8042_regs, obf_aux), 1 },
	{ "obuf", offsetof(struct i8042_regs, obuf), 0xff },
	{ "kbd_scanning", offsetof(struct i8042_regs, kbd_scanning), 1 },
	{ "kbd_set", offsetof(struct i8042_regs, kbd_set), 3 },
	{ "kbd_leds", offsetof(struct i8042_regs, kbd_leds), 0x07 },
	{ "kbd_typematic", offsetof(struct i8042_regs, kbd_typematic), 0x7f },
	{ "kbd_pending", offsetof(struct i8042_regs, kbd_pending), 0xff },
	{ "kbd_last", offsetof(struct i8042_regs, kbd_last), 0xff },
	{ "kbd_xlate_break", offsetof(struct i8042_regs, kbd_xlate_break), 1 },
	{ "mouse_reporting", offsetof(struct i8042_regs, mouse_reporting), 1 },
	{ "mouse_remote", offsetof(struct i8042_regs, mouse_remote), 1 },
	{ "mouse_wrap", offsetof(struct i8042_regs, mouse_wrap), 1 },
	{ "mouse_scaling21", offsetof(struct i8042_regs, mouse_scaling21), 1 },
	{ "mouse_resolution", offsetof(struct i8042_regs, mouse_resolution), 3 },
	{ "mouse_rate", offsetof(struct i8042_regs, mouse_rate), 0xff },
	{ "mouse_pending", offsetof(struct i8042_regs, mouse_pending), 0xff },
	{ "mouse_last", offsetof(struct i8042_regs, mouse_last), 0xff },
};

static const struct i8042_queue_field {
	const char *name, *len_name;
	size_t offset;
	uint16_t allowed; /* bits an entry may have */
} i8042_queue_fields[] = {
	{ "ctl_q", "ctl_q_len", offsetof(struct i8042_regs, ctl_q), 0xff | I8042_FROM_AUX },
	{ "kbd_q", "kbd_q_len", offsetof(struct i8042_regs, kbd_q), 0xff },
	{ "aux_q", "aux_q_len", offsetof(struct i8042_regs, aux_q), 0xff },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A queue is saved oldest first as little-endian u16 entries, as many as it holds. */
static void i8042_save_queue(struct state_writer *w, const char *name, const struct i8042_queue *q)
{
	uint8_t bytes[2 * I8042_QUEUE_SIZE];

	for (unsigned i = 0; i < q->count; i++) {
		uint16_t entry = q->entries[(q->head + i) % I8042_QUEUE_SIZE];

		bytes[2 * i] = entry & 0xff;
		bytes[2 * i + 1] = entry >> 8;
	}
	state_put_bytes(w, name, bytes, 2 * q->count);
}

static void i8042_save(void *dev, struct state_writer *w)
{
	struct i8042 *kbc = dev;
	const uint8_t *regs = (const uint8_t *)&kbc->r;

	pthread_mutex_lock(&kbc->lock);
	state_begin(w, "i8042", I8042_STATE_VERSION);
	state_put_bytes(w, "ram", kbc->r.ram, sizeof(kbc->r.ram));
	for (size_t i = 0; i < ARRAY_LEN(i8042_fields); i++)
		state_put_u64(w, i8042_fields[i].name, regs[i8042_fields[i].offset]);
	for (size_t i = 0; i < ARRAY_LEN(i8042_queue_fields); i++) {
		const struct i8042_queue *q = (const void *)(regs + i8042_queue_fields[i].offset);

		state_put_u64(w, i8042_queue_fields[i].len_name, q->count);
		i8042_save_queue(w, i8042_queue_fields[i].name, q);
	}
	state_end(w);
	pthread_mutex_unlock(&kbc->lock);
}

static int i8042_load_queue(const struct state_reader *section,
			    const struct i8042_queue_field *field, struct i8042_queue *q)
{
	uint8_t bytes[2 * I8042_QUEUE_SIZE];
	uint64_t count;

	if (state_get_u64(section, field->len_name, &count) || count > I8042_QUEUE_SIZE ||
	    state_get_bytes(section, field->name, bytes, 2 * count))
		return -EINVAL;
	for (unsigned i = 0; i < count; i++) {
		uint16_t entry = bytes[2 * i] | bytes[2 * i + 1] << 8;

		if (entry & ~field->allowed)
			return -EINVAL;
		q->entries[i] = entry;
	}
	q->head = 0;
	q->count = count;
	return 0;
}

static bool i8042_pending_valid(const struct i8042_regs *r)
{
	bool ctl = !r->pending || (r->pending >= 0x60 && r->pending <= 0x7f) ||
		   (r->pending >= 0xd1 && r->pending <= 0xd4);
	bool kbd = !r->kbd_pending || r->kbd_pending == 0xed || r->kbd_pending == 0xf3 ||
		   r->kbd_pending == 0xf0;
	bool mouse = !r->mouse_pending || r->mouse_pending == 0xe8 || r->mouse_pending == 0xf3;

	return ctl && kbd && mouse && r->kbd_set >= 1;
}

static int i8042_load_regs(const struct state_reader *section, struct i8042_regs *r)
{
	uint8_t *regs = (uint8_t *)r;

	memset(r, 0, sizeof(*r));
	if (section->version != I8042_STATE_VERSION)
		return -EINVAL;
	if (state_get_bytes(section, "ram", r->ram, sizeof(r->ram)))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(i8042_fields); i++) {
		uint64_t value;

		if (state_get_u64(section, i8042_fields[i].name, &value) ||
		    value > i8042_fields[i].max)
			return -EINVAL;
		regs[i8042_fields[i].offset] = value;
	}
	for (size_t i = 0; i < ARRAY_LEN(i8042_queue_fields); i++) {
		struct i8042_queue *q = (void *)(regs + i8042_queue_fields[i].offset);

		if (i8042_load_queue(section, &i8042_queue_fields[i], q))
			return -EINVAL;
	}
	return i8042_pending_valid(r) ? 0 : -EINVAL;
}

static int i8042_load(void *dev, const struct state_reader *section)
{
	struct i8042 *kbc = dev;
	struct i8042_regs r;
	int ret = i8042_load_regs(section, &r);

	if (ret)
		return ret;
	pthread_mutex_lock(&kbc->lock);
	kbc->r = r;
	kbc->kbd_irq_level = i8042_kbd_irq_wanted(&r);
	kbc->aux_irq_level = i8042_aux_irq_wanted(&r);
	irq_line_set(&kbc->kbd_irq, kbc->kbd_irq_level);
	irq_line_set(&kbc->aux_irq, kbc->aux_irq_level);
	pthread_mutex_unlock(&kbc->lock);
	return 0;
}

static void i8042_destroy(void *dev)
{
	struct i8042 *kbc = dev;

	if (!kbc)
		return;
	io_bus_unregister(kbc->pio, I8042_DATA_PORT);
	io_bus_unregister(kbc->pio, I8042_CMD_PORT);
	pthread_mutex_destroy(&kbc->lock);
	free(kbc);
}

const struct vdev_ops i8042_vdev_ops = {
	.name = "i8042",
	.reset = i8042_reset,
	.save = i8042_save,
	.load = i8042_load,
	.destroy = i8042_destroy,
};
