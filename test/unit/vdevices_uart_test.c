// SPDX-License-Identifier: GPL-2.0
#include "vdevices/uart.h"
#include "lib/evloop.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COM1 UART_COM1_BASE
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1)
#define DLM (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fake_irq {
	bool level;
	unsigned rises;
};

static void fake_irq_set(void *opaque, unsigned pin, bool level)
{
	struct fake_irq *irq = opaque;

	if (level && !irq->level)
		irq->rises++;
	irq->level = level;
}

struct uart_rig {
	struct io_bus bus;
	struct fake_irq irq;
	struct uart *uart;
};

static bool rig_init(struct uart_rig *rig, struct chardev *backend)
{
	struct irq_line line = { fake_irq_set, &rig->irq, UART_COM1_IRQ };

	memset(&rig->irq, 0, sizeof(rig->irq));
	io_bus_init(&rig->bus, "pio");
	rig->uart = uart_create(&rig->bus, COM1, line, backend);
	return rig->uart;
}

static void rig_fini(struct uart_rig *rig)
{
	uart_vdev_ops.destroy(rig->uart);
	io_bus_free(&rig->bus);
}

static uint8_t in8(struct uart_rig *rig, uint16_t port)
{
	uint64_t v = 0;

	io_bus_read(&rig->bus, port, 1, &v);
	return v;
}

static void out8(struct uart_rig *rig, uint16_t port, uint8_t v)
{
	io_bus_write(&rig->bus, port, 1, v);
}

TEST(uart_passes_linux_8250_probe)
{
	struct uart_rig rig;
	unsigned count;

	CHECK(rig_init(&rig, NULL));
	/* IER: the low nibble is writable, the high one reads as zero (not an XScale). */
	out8(&rig, IER, 0);
	CHECK_EQ(in8(&rig, IER), 0);
	out8(&rig, IER, 0x0f);
	CHECK_EQ(in8(&rig, IER), 0x0f);
	out8(&rig, IER, 0xff);
	CHECK_EQ(in8(&rig, IER), 0x0f);
	out8(&rig, IER, 0);
	/* Scratch register. */
	out8(&rig, SCR, 0xa5);
	CHECK_EQ(in8(&rig, SCR), 0xa5);
	out8(&rig, SCR, 0x5a);
	CHECK_EQ(in8(&rig, SCR), 0x5a);
	/* Loopback: RTS->CTS, OUT2->DCD. */
	CHECK_EQ(in8(&rig, MSR) & 0xf0, 0xb0);
	out8(&rig, MCR, 0x10 | 0x0a);
	CHECK_EQ(in8(&rig, MSR) & 0xf0, 0x90);
	out8(&rig, MCR, 0x10 | 0x05);
	CHECK_EQ(in8(&rig, MSR), 0x60 | 0x0b); /* DSR, RI; CTS, DSR and DCD changed */
	out8(&rig, MCR, 0x10);
	CHECK_EQ(in8(&rig, MSR), 0x00 | 0x06); /* DSR changed, RI trailing edge */
	CHECK_EQ(in8(&rig, MSR), 0x00);
	out8(&rig, MCR, 0);
	/* FIFOs: IIR bits 7:6 say 16550A; bit 5 (64-byte FIFO) stays clear. */
	CHECK_EQ(in8(&rig, IIR), 0x01);
	out8(&rig, FCR, 0x01);
	CHECK_EQ(in8(&rig, IIR), 0xc1);
	out8(&rig, FCR, 0x21);
	CHECK_EQ(in8(&rig, IIR) & 0xe0, 0xc0);
	out8(&rig, LCR, 0x80); /* IIR reads the same with DLAB set */
	CHECK_EQ(in8(&rig, IIR), 0xc1);
	/* Divisor latch. */
	out8(&rig, DLL, 0x01);
	out8(&rig, DLM, 0x00);
	CHECK_EQ(in8(&rig, DLL), 0x01);
	CHECK_EQ(in8(&rig, DLM), 0x00);
	out8(&rig, LCR, 0x03);
	CHECK_EQ(in8(&rig, LCR), 0x03);
	CHECK_EQ(in8(&rig, IER), 0);
	/* size_fifo(): 256 bytes in loopback, count what comes back. */
	out8(&rig, FCR, 0x07);
	out8(&rig, MCR, 0x10);
	for (unsigned i = 0; i < 256; i++)
		out8(&rig, THR, i);
	CHECK(in8(&rig, LSR) & 0x02); /* overrun */
	for (count = 0; (in8(&rig, LSR) & 0x01) && count < 256; count++)
		CHECK_EQ(in8(&rig, RBR), count);
	CHECK_EQ(count, 16);
	out8(&rig, MCR, 0);
	/* Startup: clear and disable the FIFOs, LSR must not read 0xff. */
	out8(&rig, FCR, 0x01);
	out8(&rig, FCR, 0x07);
	out8(&rig, FCR, 0x00);
	CHECK_EQ(in8(&rig, LSR), 0x60);
	CHECK_EQ(in8(&rig, IIR), 0x01);
	CHECK(!rig.irq.level);
	CHECK_EQ(rig.irq.rises, 0);
	rig_fini(&rig);
}

TEST(uart_thre_interrupt_like_a_16550)
{
	struct uart_rig rig;

	CHECK(rig_init(&rig, NULL));
	out8(&rig, MCR, 0x08); /* OUT2: the ISA line follows the interrupt */
	/* Linux's UART_BUG_THRE test: enable, read IIR, disable, enable, read IIR. */
	out8(&rig, IER, 0x02);
	CHECK(rig.irq.level);
	CHECK_EQ(in8(&rig, IIR), 0x02);
	CHECK(!rig.irq.level);
	CHECK_EQ(in8(&rig, IIR), 0x01); /* reading IIR acknowledged it */
	out8(&rig, IER, 0x00);
	out8(&rig, IER, 0x02);
	CHECK_EQ(in8(&rig, IIR), 0x02);
	CHECK_EQ(rig.irq.rises, 2);
	/* Rewriting IER with THRI already set does not raise it again. */
	out8(&rig, IER, 0x02);
	CHECK_EQ(in8(&rig, IIR), 0x01);
	/* A transmitted byte empties THR again: the next THRE interrupt. */
	out8(&rig, THR, 'x');
	CHECK(rig.irq.level);
	CHECK_EQ(in8(&rig, LSR), 0x60);
	/* Without OUT2 the interrupt is pending but the line stays low. */
	out8(&rig, MCR, 0x00);
	CHECK(!rig.irq.level);
	CHECK_EQ(in8(&rig, IIR), 0x02);
	out8(&rig, MCR, 0x08);
	CHECK(!rig.irq.level);
	rig_fini(&rig);
}

TEST(uart_receive_fifo_trigger_timeout_and_errors)
{
	struct uart_rig rig;

	CHECK(rig_init(&rig, NULL));
	out8(&rig, FCR, 0x81); /* FIFO on, trigger at 8 */
	out8(&rig, IER, 0x01);
	out8(&rig, MCR, 0x18); /* loopback, OUT2 */
	for (unsigned i = 0; i < 4; i++)
		out8(&rig, THR, 'a' + i);
	CHECK_EQ(in8(&rig, IIR), 0xcc); /* below the trigger: character timeout */
	CHECK(rig.irq.level);
	for (unsigned i = 4; i < 8; i++)
		out8(&rig, THR, 'a' + i);
	CHECK_EQ(in8(&rig, IIR), 0xc4); /* trigger level reached */
	CHECK_EQ(in8(&rig, RBR), 'a');
	CHECK_EQ(in8(&rig, IIR), 0xcc);
	for (unsigned i = 1; i < 8; i++)
		CHECK_EQ(in8(&rig, RBR), 'a' + i);
	CHECK_EQ(in8(&rig, IIR), 0xc1);
	CHECK(!rig.irq.level);
	CHECK_EQ(in8(&rig, LSR), 0x60);
	CHECK_EQ(in8(&rig, RBR), 'h'); /* an empty RBR repeats the last byte */
	/* Overrun outranks received data; reading LSR clears it. */
	out8(&rig, IER, 0x05);
	for (unsigned i = 0; i < 17; i++)
		out8(&rig, THR, i);
	CHECK_EQ(in8(&rig, IIR), 0xc6);
	CHECK_EQ(in8(&rig, LSR), 0x63);
	CHECK_EQ(in8(&rig, IIR), 0xc4);
	out8(&rig, FCR, 0x83); /* clear the receive FIFO */
	CHECK_EQ(in8(&rig, LSR), 0x60);
	CHECK_EQ(in8(&rig, IIR), 0xc1);
	/* Without FIFOs one byte is held; the next overwrites it. */
	out8(&rig, FCR, 0x00);
	out8(&rig, THR, 'p');
	CHECK_EQ(in8(&rig, IIR), 0x04);
	out8(&rig, THR, 'q');
	CHECK_EQ(in8(&rig, LSR), 0x63);
	CHECK_EQ(in8(&rig, RBR), 'q');
	CHECK_EQ(in8(&rig, IIR), 0x01);
	/* Modem status interrupt from loopback line changes. */
	out8(&rig, IER, 0x08);
	in8(&rig, MSR);
	out8(&rig, MCR, 0x1a);
	CHECK_EQ(in8(&rig, IIR), 0x00);
	CHECK(rig.irq.level);
	CHECK_EQ(in8(&rig, MSR) & 0xf0, 0x90);
	CHECK_EQ(in8(&rig, IIR), 0x01);
	rig_fini(&rig);
}

static char *read_whole_file(const char *path, size_t *len)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	*len = n;
	return buf;
}

TEST(uart_transmits_to_backend_not_in_loopback)
{
	char path[64], spec[80];
	struct uart_rig rig;
	struct chardev *cd;
	const char *msg;
	size_t len;
	char *got;

	snprintf(path, sizeof(path), "/tmp/keel-uart-test-%d.log", getpid());
	snprintf(spec, sizeof(spec), "file:%s", path);
	unlink(path);
	CHECK_EQ(chardev_open(spec, NULL, &cd, &msg), 0);
	CHECK(rig_init(&rig, cd));
	for (const char *p = "hi\r\n"; *p; p++) {
		CHECK(in8(&rig, LSR) & 0x20);
		out8(&rig, THR, *p);
	}
	out8(&rig, MCR, 0x10);
	out8(&rig, THR, 'L'); /* loopback: stays inside */
	CHECK_EQ(in8(&rig, RBR), 'L');
	/* A 16-bit write reaches THR then IER, as the ISA bus would split it. */
	out8(&rig, MCR, 0x00);
	io_bus_write(&rig.bus, THR, 2, 0x0021);
	CHECK_EQ(in8(&rig, IER), 0);
	rig_fini(&rig);
	chardev_close(cd);
	got = read_whole_file(path, &len);
	unlink(path);
	CHECK(got);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(got, "hi\r\n!", 5));
}


TEST(uart_receives_from_pty_with_flow_control)
{
	static const char text[] = "The quick brown fox jumps over the lazy dog, twice!";
	size_t want = sizeof(text) - 1, got = 0;
	char received[sizeof(text)] = { 0 };
	uint64_t deadline = clock_monotonic_ns() + 2000000000ULL;
	struct test_loop lt;
	struct uart_rig rig;
	struct chardev *cd;
	struct pollfd pfd;
	const char *msg;
	char echo[4];
	int slave;

	CHECK(test_loop_start(&lt));
	CHECK_EQ(chardev_open("pty", lt.loop, &cd, &msg), 0);
	CHECK(rig_init(&rig, cd));
	out8(&rig, FCR, 0xc7); /* FIFO on, trigger at 14 */
	out8(&rig, IER, 0x01);
	out8(&rig, MCR, 0x0b);
	slave = open(chardev_path(cd), O_RDWR | O_NOCTTY);
	CHECK(slave >= 0);
	CHECK_EQ(write(slave, text, want), (ssize_t)want);
	/* More than the FIFO holds: the backend must wait for room, then resume. */
	while (got < want && clock_monotonic_ns() < deadline) {
		if (in8(&rig, LSR) & 0x01)
			received[got++] = in8(&rig, RBR);
		else
			usleep(500);
	}
	CHECK_EQ(got, want);
	CHECK(!memcmp(received, text, want));
	CHECK_EQ(in8(&rig, IIR), 0xc1);
	out8(&rig, THR, 'o');
	out8(&rig, THR, 'k');
	/* The two bytes may come out in two writes: read until both arrived. */
	for (got = 0; got < 2;) {
		ssize_t n;

		pfd = (struct pollfd){ .fd = slave, .events = POLLIN };
		CHECK_EQ(poll(&pfd, 1, 1000), 1);
		n = read(slave, echo + got, sizeof(echo) - got);
		CHECK(n > 0);
		got += (size_t)n;
	}
	CHECK_EQ(got, 2);
	CHECK(!memcmp(echo, "ok", 2));
	test_loop_stop(&lt);
	close(slave);
	rig_fini(&rig);
	chardev_close(cd);
	evloop_destroy(lt.loop);
}

TEST(uart_survives_hostile_register_traffic)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	uint32_t seed = 12345;
	struct uart_rig rig;
	struct chardev *cd;
	const char *msg;

	CHECK_EQ(chardev_open("null", NULL, &cd, &msg), 0);
	CHECK(rig_init(&rig, cd));
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t v;
		unsigned port, size;

		seed = seed * 1103515245 + 12345;
		port = COM1 + ((seed >> 8) % 10) - 1; /* one port either side too */
		size = sizes[(seed >> 4) & 3];
		v = (uint64_t)seed * 0x9e3779b97f4a7c15ULL;
		if (seed & 0x10000)
			io_bus_write(&rig.bus, port, size, v);
		else
			io_bus_read(&rig.bus, port, size, &v);
	}
	/* Still a sane UART: the FIFO drains within its size and the line follows IIR. */
	out8(&rig, LCR, 0x03);
	for (unsigned i = 0; i < 17 && (in8(&rig, LSR) & 0x01); i++)
		in8(&rig, RBR);
	CHECK(!(in8(&rig, LSR) & 0x01));
	CHECK_EQ(in8(&rig, LSR) & 0x60, 0x60);
	out8(&rig, IER, 0);
	CHECK_EQ(in8(&rig, IIR) & 0x0f, 0x01);
	CHECK(!rig.irq.level);
	rig_fini(&rig);
	chardev_close(cd);
}

static const char *const uart_state_names[] = {
	"dll", "dlm", "ier", "lcr", "mcr", "scr", "fcr", "lsr_errors", "msr", "rbr",
	"thr_pending", "rx_count",
};

/* A hand-made section: every field 0 but the one overridden. */
static void write_uart_state(struct state_writer *w, uint32_t version, const char *field,
			     uint64_t value)
{
	uint8_t fifo[16] = { 0 };

	state_begin(w, "uart", version);
	for (size_t i = 0; i < ARRAY_LEN(uart_state_names); i++)
		state_put_u64(w, uart_state_names[i],
			      !strcmp(uart_state_names[i], field) ? value : 0);
	state_put_bytes(w, "rx_fifo", fifo, sizeof(fifo));
	state_end(w);
}

static int load_uart_state(struct uart *uart, uint32_t version, const char *field, uint64_t value)
{
	struct state_reader r, sec;
	struct state_writer w;
	int ret;

	state_writer_init(&w);
	write_uart_state(&w, version, field, value);
	state_reader_init(&r, w.buf, w.len);
	ret = state_find_section(&r, "uart", &sec);
	if (!ret)
		ret = uart_vdev_ops.load(uart, &sec);
	state_writer_free(&w);
	return ret;
}

TEST(uart_saves_and_loads_state)
{
	struct uart_rig a, b;
	struct state_reader r, sec;
	struct state_writer w;

	CHECK(rig_init(&a, NULL));
	CHECK(rig_init(&b, NULL));
	out8(&a, LCR, 0x83);
	out8(&a, DLL, 0x0c);
	out8(&a, DLM, 0x01);
	out8(&a, LCR, 0x03);
	out8(&a, FCR, 0x41);
	out8(&a, SCR, 0x77);
	out8(&a, MCR, 0x18);
	out8(&a, THR, 'x');
	out8(&a, THR, 'y');
	in8(&a, RBR); /* the FIFO wraps from a non-zero head */
	out8(&a, THR, 'z');
	out8(&a, IER, 0x01);
	CHECK(a.irq.level);

	state_writer_init(&w);
	uart_vdev_ops.save(a.uart, &w);
	CHECK_EQ(w.error, 0);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(state_find_section(&r, "uart", &sec), 0);
	CHECK_EQ(uart_vdev_ops.load(b.uart, &sec), 0);
	state_writer_free(&w);

	CHECK(b.irq.level);
	CHECK_EQ(in8(&b, IIR), 0xcc);
	CHECK_EQ(in8(&b, LCR), 0x03);
	CHECK_EQ(in8(&b, SCR), 0x77);
	CHECK_EQ(in8(&b, MCR), 0x18);
	CHECK_EQ(in8(&b, RBR), 'y');
	CHECK_EQ(in8(&b, RBR), 'z');
	CHECK(!b.irq.level);
	out8(&b, LCR, 0x83);
	CHECK_EQ(in8(&b, DLL), 0x0c);
	CHECK_EQ(in8(&b, DLM), 0x01);

	/* Loads check what they read and leave the device alone when they refuse. */
	CHECK_EQ(load_uart_state(b.uart, 1, "ier", 0x0f), 0);
	CHECK_EQ(load_uart_state(b.uart, 2, "ier", 0), -EINVAL);
	CHECK_EQ(load_uart_state(b.uart, 1, "ier", 0x10), -EINVAL);
	CHECK_EQ(load_uart_state(b.uart, 1, "dll", 0x100), -EINVAL);
	CHECK_EQ(load_uart_state(b.uart, 1, "rx_count", 2), -EINVAL); /* FIFO off: one byte */
	CHECK_EQ(load_uart_state(b.uart, 1, "fcr", 0x02), -EINVAL);
	CHECK_EQ(load_uart_state(b.uart, 1, "thr_pending", 2), -EINVAL);
	out8(&b, LCR, 0x03);
	CHECK_EQ(in8(&b, IER), 0x0f);

	uart_vdev_ops.reset(b.uart);
	CHECK_EQ(in8(&b, IER), 0);
	CHECK_EQ(in8(&b, IIR), 0x01);
	CHECK_EQ(in8(&b, LSR), 0x60);
	CHECK_EQ(in8(&b, MSR), 0xb0);
	rig_fini(&a);
	rig_fini(&b);
}
