// SPDX-License-Identifier: GPL-2.0
#include "vdevices/ioapic.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <string.h>

#define BASE IOAPIC_DEFAULT_BASE

struct fake_lapic {
	struct {
		uint64_t address;
		uint32_t data;
	} msi[64];
	unsigned msi_count;
	struct {
		uint64_t address;
		uint32_t data;
		bool masked;
		unsigned writes;
	} routes[IOAPIC_NUM_PINS];
	unsigned route_writes;
};

static int fake_signal_msi(void *opaque, uint64_t address, uint32_t data)
{
	struct fake_lapic *l = opaque;

	if (l->msi_count < 64) {
		l->msi[l->msi_count].address = address;
		l->msi[l->msi_count].data = data;
	}
	l->msi_count++;
	return 0;
}

static int fake_set_ioapic_route(void *opaque, unsigned pin, uint64_t address, uint32_t data,
				 bool masked)
{
	struct fake_lapic *l = opaque;

	if (pin >= IOAPIC_NUM_PINS)
		return -EINVAL;
	l->routes[pin].address = address;
	l->routes[pin].data = data;
	l->routes[pin].masked = masked;
	l->routes[pin].writes++;
	l->route_writes++;
	return 0;
}

static const struct irq_sink_ops fake_sink_ops = {
	.signal_msi = fake_signal_msi,
	.set_ioapic_route = fake_set_ioapic_route,
};

struct ioapic_machine {
	struct io_bus mmio;
	struct fake_lapic lapic;
	struct irq_sink sink;
	struct ioapic *io;
};

static bool ioapic_machine_init(struct ioapic_machine *m, uint8_t id)
{
	memset(m, 0, sizeof(*m));
	io_bus_init(&m->mmio, "mmio");
	m->sink = (struct irq_sink){ &fake_sink_ops, &m->lapic };
	m->io = ioapic_create(&m->mmio, BASE, id, &m->sink);
	return m->io != NULL;
}

static void ioapic_machine_free(struct ioapic_machine *m)
{
	ioapic_vdev_ops.destroy(m->io);
	io_bus_free(&m->mmio);
}

static uint32_t reg_read(struct ioapic_machine *m, uint32_t reg)
{
	uint64_t v;

	io_bus_write(&m->mmio, BASE, 4, reg);
	io_bus_read(&m->mmio, BASE + 0x10, 4, &v);
	return v;
}

static void reg_write(struct ioapic_machine *m, uint32_t reg, uint32_t value)
{
	io_bus_write(&m->mmio, BASE, 4, reg);
	io_bus_write(&m->mmio, BASE + 0x10, 4, value);
}

/* As Linux's ioapic_write_entry(): the high half first. */
static void write_entry(struct ioapic_machine *m, unsigned pin, uint64_t entry)
{
	reg_write(m, 0x11 + 2 * pin, entry >> 32);
	reg_write(m, 0x10 + 2 * pin, (uint32_t)entry);
}

static uint64_t read_entry(struct ioapic_machine *m, unsigned pin)
{
	return (uint64_t)reg_read(m, 0x11 + 2 * pin) << 32 | reg_read(m, 0x10 + 2 * pin);
}

#define ENTRY_LOWEST_PRIORITY (1ULL << 8)
#define ENTRY_LOGICAL (1ULL << 11)
#define ENTRY_REMOTE_IRR (1ULL << 14)
#define ENTRY_LEVEL (1ULL << 15)
#define ENTRY_MASKED (1ULL << 16)
#define ENTRY_DEST(d) ((uint64_t)(d) << 56)

TEST(ioapic_identification_registers)
{
	struct ioapic_machine m;

	CHECK(ioapic_machine_init(&m, 2));
	CHECK_EQ(reg_read(&m, 0x01), 0x00170011);
	CHECK_EQ(reg_read(&m, 0x00), 0x02000000);
	CHECK_EQ(reg_read(&m, 0x02), 0x02000000);
	reg_write(&m, 0x00, 0xffffffff);
	CHECK_EQ(reg_read(&m, 0x00), 0x0f000000);
	reg_write(&m, 0x01, 0);
	CHECK_EQ(reg_read(&m, 0x01), 0x00170011);
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		CHECK_EQ(read_entry(&m, pin), ENTRY_MASKED);
	/* Every entry reached the accelerator at create, masked. */
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		CHECK(m.lapic.routes[pin].writes == 1 && m.lapic.routes[pin].masked);
	ioapic_vdev_ops.reset(m.io);
	CHECK_EQ(reg_read(&m, 0x00), 0x02000000);
	ioapic_machine_free(&m);

	CHECK(!ioapic_create(&m.mmio, BASE, 16, NULL));
}

TEST(ioapic_edge_pin_delivers_msi_on_rising_edge)
{
	struct ioapic_machine m;

	CHECK(ioapic_machine_init(&m, 0));
	write_entry(&m, 4, ENTRY_DEST(1) | 0x31);
	CHECK_EQ(read_entry(&m, 4), ENTRY_DEST(1) | 0x31);
	CHECK(!m.lapic.routes[4].masked);
	CHECK_EQ(m.lapic.routes[4].address, 0xfee01000);
	CHECK_EQ(m.lapic.routes[4].data, 0x31);

	ioapic_set_irq(m.io, 4, true);
	CHECK_EQ(m.lapic.msi_count, 1);
	CHECK_EQ(m.lapic.msi[0].address, 0xfee01000);
	CHECK_EQ(m.lapic.msi[0].data, 0x31);
	ioapic_set_irq(m.io, 4, true); /* no edge */
	CHECK_EQ(m.lapic.msi_count, 1);
	ioapic_set_irq(m.io, 4, false);
	ioapic_set_irq(m.io, 4, true);
	CHECK_EQ(m.lapic.msi_count, 2);

	/* A masked edge is lost, even if the pin is still high at unmask. */
	ioapic_set_irq(m.io, 4, false);
	write_entry(&m, 4, ENTRY_DEST(1) | ENTRY_MASKED | 0x31);
	ioapic_set_irq(m.io, 4, true);
	write_entry(&m, 4, ENTRY_DEST(1) | 0x31);
	CHECK_EQ(m.lapic.msi_count, 2);
	ioapic_machine_free(&m);
}

TEST(ioapic_level_pin_waits_for_eoi)
{
	struct ioapic_machine m;
	uint64_t entry = ENTRY_DEST(0x03) | ENTRY_LOGICAL | ENTRY_LOWEST_PRIORITY | ENTRY_LEVEL |
			 0x41;

	CHECK(ioapic_machine_init(&m, 0));
	write_entry(&m, 9, entry);
	CHECK_EQ(m.lapic.routes[9].data, 0xc141);
	CHECK_EQ(m.lapic.routes[9].address, 0xfee03004);

	ioapic_set_irq(m.io, 9, true);
	CHECK_EQ(m.lapic.msi_count, 1);
	CHECK_EQ(m.lapic.msi[0].address, 0xfee03004);
	CHECK_EQ(m.lapic.msi[0].data, 0xc141);
	CHECK_EQ(read_entry(&m, 9), entry | ENTRY_REMOTE_IRR);
	ioapic_set_irq(m.io, 9, true);
	ioapic_set_irq(m.io, 9, false);
	ioapic_set_irq(m.io, 9, true);
	CHECK_EQ(m.lapic.msi_count, 1); /* held by Remote IRR */

	ioapic_eoi(m.io, 0x42); /* another vector: nothing */
	CHECK_EQ(m.lapic.msi_count, 1);
	ioapic_eoi(m.io, 0x41); /* still high: delivered again */
	CHECK_EQ(m.lapic.msi_count, 2);
	CHECK(read_entry(&m, 9) & ENTRY_REMOTE_IRR);
	ioapic_set_irq(m.io, 9, false);
	ioapic_eoi(m.io, 0x41);
	CHECK_EQ(m.lapic.msi_count, 2);
	CHECK_EQ(read_entry(&m, 9), entry);
	ioapic_machine_free(&m);
}

TEST(ioapic_masked_level_delivers_at_unmask)
{
	struct ioapic_machine m;

	CHECK(ioapic_machine_init(&m, 0));
	write_entry(&m, 11, ENTRY_LEVEL | ENTRY_MASKED | 0x51);
	CHECK(m.lapic.routes[11].masked);
	CHECK_EQ(m.lapic.routes[11].data & 0x8000, 0x8000);
	ioapic_set_irq(m.io, 11, true);
	CHECK_EQ(m.lapic.msi_count, 0);
	write_entry(&m, 11, ENTRY_LEVEL | 0x51);
	CHECK_EQ(m.lapic.msi_count, 1);
	CHECK_EQ(m.lapic.msi[0].address, 0xfee00000);
	CHECK_EQ(m.lapic.msi[0].data, 0xc051);

	/* A masked level that drops before the unmask delivers nothing. */
	write_entry(&m, 12, ENTRY_LEVEL | ENTRY_MASKED | 0x52);
	ioapic_set_irq(m.io, 12, true);
	ioapic_set_irq(m.io, 12, false);
	write_entry(&m, 12, ENTRY_LEVEL | 0x52);
	CHECK_EQ(m.lapic.msi_count, 1);
	ioapic_machine_free(&m);
}

TEST(ioapic_read_only_bits_and_linux_remote_irr_clear)
{
	struct ioapic_machine m;
	uint64_t entry = ENTRY_LEVEL | 0x61;

	CHECK(ioapic_machine_init(&m, 0));
	write_entry(&m, 3, entry | ENTRY_REMOTE_IRR | (1ULL << 12));
	CHECK_EQ(read_entry(&m, 3), entry); /* the guest cannot set them */
	ioapic_set_irq(m.io, 3, true);
	CHECK_EQ(read_entry(&m, 3), entry | ENTRY_REMOTE_IRR);
	write_entry(&m, 3, entry | 0x0000fffe00000000ULL);
	CHECK_EQ(read_entry(&m, 3), entry | ENTRY_REMOTE_IRR); /* reserved bits read zero */
	ioapic_set_irq(m.io, 3, false);

	/* Linux's EOI for a version 0x11 IOAPIC: mask and flip to edge, then restore. */
	write_entry(&m, 3, ENTRY_MASKED | 0x61);
	CHECK_EQ(read_entry(&m, 3), ENTRY_MASKED | 0x61);
	write_entry(&m, 3, entry);
	CHECK_EQ(read_entry(&m, 3), entry);
	ioapic_machine_free(&m);
}

static uint64_t prng_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

TEST(ioapic_survives_hostile_guest)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 3 };
	struct ioapic_machine m;
	uint64_t seed = 0x243f6a8885a308d3ULL, v;

	CHECK(ioapic_machine_init(&m, 1));
	/* Out-of-range selectors read zero and take no writes. */
	for (uint32_t reg = 0x40; reg <= 0xff; reg++) {
		reg_write(&m, reg, 0xffffffff);
		CHECK_EQ(reg_read(&m, reg), 0);
	}
	/* IOREGSEL is 8 bits wide: 0x101 selects the version register. */
	CHECK_EQ(reg_read(&m, 0x101), 0x00170011);
	io_bus_write(&m.mmio, BASE, 4, 0x3f);
	io_bus_read(&m.mmio, BASE, 4, &v);
	CHECK_EQ(v, 0x3f);
	/* Narrow IOWIN writes are dropped; narrow reads see part of the register. */
	io_bus_write(&m.mmio, BASE, 1, 0x01);
	io_bus_write(&m.mmio, BASE + 0x10, 2, 0);
	io_bus_read(&m.mmio, BASE + 0x12, 1, &v);
	CHECK_EQ(v, 0x17);
	CHECK_EQ(reg_read(&m, 0x01), 0x00170011);

	for (unsigned i = 0; i < 200000; i++) {
		uint64_t r = prng_next(&seed);
		uint64_t offset = (r & 1) ? (r >> 8) % IOAPIC_MMIO_SIZE : ((r >> 8) & 1) * 0x10;
		unsigned size = sizes[(r >> 20) % 5];

		switch ((r >> 24) % 5) {
		case 0:
		case 1:
			io_bus_write(&m.mmio, BASE + offset, size, prng_next(&seed));
			break;
		case 2:
			io_bus_read(&m.mmio, BASE + offset, size, &v);
			break;
		case 3:
			ioapic_set_irq(m.io, (r >> 32) % 40, (r >> 40) & 1);
			break;
		default:
			ioapic_eoi(m.io, r >> 32);
			break;
		}
	}
	CHECK_EQ(reg_read(&m, 0x01), 0x00170011);
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		CHECK_EQ(read_entry(&m, pin) & 0x00fffffffffe1000ULL, 0);
	ioapic_machine_free(&m);
}

static int ioapic_load_stream(struct ioapic *io, const uint8_t *buf, size_t len)
{
	struct state_reader r, sec;
	int ret;

	state_reader_init(&r, buf, len);
	ret = state_find_section(&r, "ioapic", &sec);
	return ret ? ret : ioapic_vdev_ops.load(io, &sec);
}

TEST(ioapic_save_load_round_trip_and_validation)
{
	struct ioapic_machine a, b;
	struct state_writer w;
	uint8_t copy[4096];

	CHECK(ioapic_machine_init(&a, 3));
	CHECK(ioapic_machine_init(&b, 0));
	write_entry(&a, 2, ENTRY_DEST(5) | 0x30);
	write_entry(&a, 10, ENTRY_LEVEL | ENTRY_DEST(1) | 0x45);
	write_entry(&a, 23, ENTRY_LEVEL | ENTRY_MASKED | 0x46);
	ioapic_set_irq(a.io, 10, true);
	ioapic_set_irq(a.io, 23, true);
	CHECK_EQ(a.lapic.msi_count, 1);
	io_bus_write(&a.mmio, BASE, 4, 0x15);

	state_writer_init(&w);
	ioapic_vdev_ops.save(a.io, &w);
	CHECK_EQ(w.error, 0);
	CHECK(w.len <= sizeof(copy));
	b.lapic.route_writes = 0;
	CHECK_EQ(ioapic_load_stream(b.io, w.buf, w.len), 0);
	CHECK_EQ(b.lapic.route_writes, IOAPIC_NUM_PINS);
	CHECK_EQ(b.lapic.routes[10].data, 0xc045);
	CHECK_EQ(b.lapic.msi_count, 0); /* Remote IRR was saved: no duplicate */
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		CHECK_EQ(read_entry(&a, pin), read_entry(&b, pin));
	CHECK_EQ(reg_read(&b, 0), 0x03000000);
	/* Both continue alike: EOI re-delivers the held level, unmask delivers pin 23. */
	ioapic_eoi(b.io, 0x45);
	CHECK_EQ(b.lapic.msi_count, 1);
	write_entry(&b, 23, ENTRY_LEVEL | 0x46);
	CHECK_EQ(b.lapic.msi_count, 2);
	CHECK_EQ(b.lapic.msi[1].data, 0xc046);

	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "redir.4", ENTRY_MASKED | (1ULL << 20)));
	CHECK_EQ(ioapic_load_stream(b.io, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "redir.4", ENTRY_REMOTE_IRR | 0x30));
	CHECK_EQ(ioapic_load_stream(b.io, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "pins", 1ULL << 24));
	CHECK_EQ(ioapic_load_stream(b.io, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "id", 16));
	CHECK_EQ(ioapic_load_stream(b.io, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	CHECK(state_patch_u64(copy, w.len, "select", 0x100));
	CHECK_EQ(ioapic_load_stream(b.io, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	copy[2 + 6 + 4] = 2; /* the section version */
	CHECK_EQ(ioapic_load_stream(b.io, copy, w.len), -EINVAL);
	for (size_t cut = 0; cut < w.len; cut += 5)
		CHECK(ioapic_load_stream(b.io, w.buf, cut) != 0);
	/* A refused state leaves the device as it was. */
	CHECK_EQ(read_entry(&b, 23), ENTRY_LEVEL | ENTRY_REMOTE_IRR | 0x46);

	state_writer_free(&w);
	ioapic_machine_free(&a);
	ioapic_machine_free(&b);
}
