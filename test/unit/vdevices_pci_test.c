// SPDX-License-Identifier: GPL-2.0
#include "vdevices/pci.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <string.h>

struct pci_machine {
	struct io_bus pio;
	struct pci_host *host;
};

static bool pci_machine_init(struct pci_machine *m)
{
	io_bus_init(&m->pio, "pio");
	m->host = pci_host_create(&m->pio, NULL, 0, 0);
	return m->host != NULL;
}

static void pci_machine_free(struct pci_machine *m)
{
	pci_host_vdev_ops.destroy(m->host);
	io_bus_free(&m->pio);
}

static uint64_t in(struct pci_machine *m, uint16_t port, unsigned size)
{
	uint64_t v;

	io_bus_read(&m->pio, port, size, &v);
	return v;
}

static void out(struct pci_machine *m, uint16_t port, unsigned size, uint64_t value)
{
	io_bus_write(&m->pio, port, size, value);
}

static uint32_t cfg_address(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint64_t cfg_read(struct pci_machine *m, unsigned dev, unsigned reg, unsigned size)
{
	out(m, 0xcf8, 4, cfg_address(0, dev, 0, reg));
	return in(m, 0xcfc + (reg & 3), size);
}

static void cfg_write(struct pci_machine *m, unsigned dev, unsigned reg, unsigned size,
		      uint32_t value)
{
	out(m, 0xcf8, 4, cfg_address(0, dev, 0, reg));
	out(m, 0xcfc + (reg & 3), size, value);
}

TEST(pci_host_bridge_identifies_as_i440fx)
{
	struct pci_machine m;

	CHECK(pci_machine_init(&m));
	CHECK_EQ(cfg_read(&m, 0, 0x00, 4), 0x12378086);
	CHECK_EQ(cfg_read(&m, 0, 0x00, 2), 0x8086);
	CHECK_EQ(cfg_read(&m, 0, 0x02, 2), 0x1237);
	CHECK_EQ(cfg_read(&m, 0, 0x03, 1), 0x12);
	CHECK_EQ(cfg_read(&m, 0, 0x01, 2), 0x3780); /* unaligned word inside the dword */
	CHECK_EQ(cfg_read(&m, 0, 0x08, 4) >> 8, 0x060000);
	CHECK_EQ(cfg_read(&m, 0, 0x0e, 1), 0x00);
	CHECK_EQ(cfg_read(&m, 0, 0x10, 4), 0);
	pci_machine_free(&m);
}

TEST(pci_absent_functions_read_all_ones)
{
	struct pci_machine m;

	CHECK(pci_machine_init(&m));
	CHECK_EQ(cfg_read(&m, 1, 0, 4), 0xffffffff);
	CHECK_EQ(cfg_read(&m, 31, 0, 2), 0xffff);
	out(&m, 0xcf8, 4, cfg_address(0, 0, 1, 0)); /* function 1 of the bridge */
	CHECK_EQ(in(&m, 0xcfc, 4), 0xffffffff);
	out(&m, 0xcf8, 4, cfg_address(1, 0, 0, 0)); /* bus 1 */
	CHECK_EQ(in(&m, 0xcfc, 4), 0xffffffff);
	out(&m, 0xcf8, 4, 0x00000000); /* enable bit clear */
	CHECK_EQ(in(&m, 0xcfc, 4), 0xffffffff);
	out(&m, 0xcfc, 4, 0);
	CHECK_EQ(cfg_read(&m, 0, 0, 4), 0x12378086);
	pci_machine_free(&m);
}

TEST(pci_config_address_register)
{
	struct pci_machine m;

	CHECK(pci_machine_init(&m));
	/* Linux's pci_check_type1(). */
	out(&m, 0xcfb, 1, 0x01);
	out(&m, 0xcf8, 4, 0x80000000);
	CHECK_EQ(in(&m, 0xcf8, 4), 0x80000000);
	/* ... and its type 2 probe must fail. */
	out(&m, 0xcfb, 1, 0x00);
	out(&m, 0xcf8, 1, 0x00);
	out(&m, 0xcfa, 1, 0x00);
	CHECK_EQ(in(&m, 0xcf8, 1), 0xff);
	CHECK_EQ(in(&m, 0xcf8, 4), 0x80000000);
	out(&m, 0xcf8, 4, 0xffffffff);
	CHECK_EQ(in(&m, 0xcf8, 4), 0x80fffffc);
	out(&m, 0xcf9, 1, 0x06); /* reset control: not modelled, ignored */
	CHECK_EQ(in(&m, 0xcf8, 4), 0x80fffffc);
	pci_machine_free(&m);
}

TEST(pci_host_bridge_is_read_only_but_for_its_writable_bits)
{
	struct pci_machine m;

	CHECK(pci_machine_init(&m));
	CHECK_EQ(cfg_read(&m, 0, 0x04, 2), 0x0006);
	cfg_write(&m, 0, 0x04, 2, 0xffff);
	CHECK_EQ(cfg_read(&m, 0, 0x04, 2), 0x0146);
	cfg_write(&m, 0, 0x04, 2, 0x0000);
	CHECK_EQ(cfg_read(&m, 0, 0x04, 2), 0x0006);
	cfg_write(&m, 0, 0x00, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&m, 0, 0x00, 4), 0x12378086);
	cfg_write(&m, 0, 0x10, 4, 0xffffffff); /* BAR sizing: no BARs */
	CHECK_EQ(cfg_read(&m, 0, 0x10, 4), 0);
	cfg_write(&m, 0, 0x08, 4, 0);
	CHECK_EQ(cfg_read(&m, 0, 0x08, 4), 0x06000002);
	cfg_write(&m, 0, 0x5a, 1, 0x33); /* PAM1 holds what firmware writes */
	CHECK_EQ(cfg_read(&m, 0, 0x5a, 1), 0x33);
	cfg_write(&m, 0, 0x0d, 1, 0xff);
	CHECK_EQ(cfg_read(&m, 0, 0x0d, 1), 0xf8);
	pci_host_vdev_ops.reset(m.host);
	CHECK_EQ(in(&m, 0xcf8, 4), 0);
	CHECK_EQ(cfg_read(&m, 0, 0x5a, 1), 0);
	pci_machine_free(&m);
}

struct fake_function {
	uint8_t config[256];
	unsigned reads, writes;
	unsigned last_offset, last_size;
	bool misaligned;
};

static void fake_note(struct fake_function *f, unsigned offset, unsigned size)
{
	f->last_offset = offset;
	f->last_size = size;
	if (offset >= 256 || offset + size > 256 || (offset & (size - 1)) ||
	    (size != 1 && size != 2 && size != 4))
		f->misaligned = true;
}

static uint32_t fake_config_read(void *opaque, unsigned offset, unsigned size)
{
	struct fake_function *f = opaque;
	uint32_t v = 0;

	fake_note(f, offset, size);
	f->reads++;
	for (unsigned i = 0; i < size && offset + i < 256; i++)
		v |= (uint32_t)f->config[offset + i] << (8 * i);
	return v;
}

static void fake_config_write(void *opaque, unsigned offset, unsigned size, uint32_t value)
{
	struct fake_function *f = opaque;

	fake_note(f, offset, size);
	f->writes++;
	for (unsigned i = 0; i < size && offset + i < 256; i++)
		f->config[offset + i] = value >> (8 * i);
}

static const struct pci_function_ops fake_function_ops = { fake_config_read, fake_config_write };

TEST(pci_added_function_gets_aligned_accesses)
{
	struct pci_machine m;
	struct fake_function f = { 0 };

	CHECK(pci_machine_init(&m));
	f.config[0] = 0xf4;
	f.config[1] = 0x1a;
	f.config[2] = 0x00;
	f.config[3] = 0x10;
	CHECK_EQ(pci_host_add_function(m.host, 3, &fake_function_ops, &f), 0);
	CHECK_EQ(pci_host_add_function(m.host, 3, &fake_function_ops, &f), -EBUSY);
	CHECK_EQ(pci_host_add_function(m.host, 0, &fake_function_ops, &f), -EBUSY);
	CHECK_EQ(pci_host_add_function(m.host, 32, &fake_function_ops, &f), -EINVAL);
	CHECK_EQ(pci_host_add_function(m.host, 4, NULL, &f), -EINVAL);

	CHECK_EQ(cfg_read(&m, 3, 0x00, 4), 0x10001af4);
	CHECK_EQ(f.reads, 1);
	CHECK_EQ(cfg_read(&m, 3, 0x02, 2), 0x1000);
	CHECK_EQ(f.last_offset, 2);
	CHECK_EQ(f.last_size, 2);
	f.reads = 0;
	CHECK_EQ(cfg_read(&m, 3, 0x01, 2), 0x001a); /* split into two byte reads */
	CHECK_EQ(f.reads, 2);
	cfg_write(&m, 3, 0xfd, 2, 0xbeef);
	CHECK_EQ(f.config[0xfd], 0xef);
	CHECK_EQ(f.config[0xfe], 0xbe);
	cfg_write(&m, 3, 0xfc, 4, 0x11223344);
	CHECK_EQ(f.last_offset, 0xfc);
	CHECK_EQ(f.last_size, 4);
	/* A word at 0xcff straddles the data port: the bus splits it, bytes 0xff and beyond. */
	out(&m, 0xcf8, 4, cfg_address(0, 3, 0, 0xfc));
	out(&m, 0xcff, 2, 0xaabb);
	CHECK_EQ(f.config[0xff], 0xbb);
	CHECK(!f.misaligned);
	pci_machine_free(&m);
}

static uint64_t prng_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

TEST(pci_survives_hostile_guest)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 3 };
	struct pci_machine m;
	struct fake_function f = { 0 };
	uint64_t seed = 0xb7e151628aed2a6bULL, v;

	CHECK(pci_machine_init(&m));
	CHECK_EQ(pci_host_add_function(m.host, 7, &fake_function_ops, &f), 0);
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t r = prng_next(&seed);
		uint16_t port = 0xcf6 + (r & 0xf);
		unsigned size = sizes[(r >> 4) % 5];
		uint64_t value = prng_next(&seed);

		/* Point at the populated slots often enough to reach them. */
		if ((r >> 8) % 4 == 0)
			value = (value & 0x800000ff) | ((r >> 12) & 1 ? 7 << 11 : 0);
		if ((r >> 16) & 1)
			io_bus_write(&m.pio, port, size, value);
		else
			io_bus_read(&m.pio, port, size, &v);
	}
	CHECK(!f.misaligned);
	CHECK_EQ(cfg_read(&m, 0, 0x00, 4), 0x12378086);
	pci_machine_free(&m);
}

static int pci_load_stream(struct pci_host *host, const uint8_t *buf, size_t len)
{
	struct state_reader r, sec;
	int ret;

	state_reader_init(&r, buf, len);
	ret = state_find_section(&r, "pci-host", &sec);
	return ret ? ret : pci_host_vdev_ops.load(host, &sec);
}

/* The offset of the value of field name (type 'u' or 'b') in a saved stream, or 0. */
static size_t state_field_value(const uint8_t *buf, size_t len, char type, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i + 2 + n + 4 <= len; i++)
		if (buf[i] == type && buf[i + 1] == n && !memcmp(buf + i + 2, name, n))
			return i + 2 + n + 4;
	return 0;
}

TEST(pci_save_load_round_trip_and_validation)
{
	struct pci_machine a, b;
	struct state_writer w;
	uint8_t copy[1024];
	size_t at;

	CHECK(pci_machine_init(&a));
	CHECK(pci_machine_init(&b));
	cfg_write(&a, 0, 0x04, 2, 0x0140);
	cfg_write(&a, 0, 0x5f, 1, 0x11);
	out(&a, 0xcf8, 4, cfg_address(0, 5, 0, 0x3c));

	state_writer_init(&w);
	pci_host_vdev_ops.save(a.host, &w);
	CHECK_EQ(w.error, 0);
	CHECK(w.len <= sizeof(copy));
	CHECK_EQ(pci_load_stream(b.host, w.buf, w.len), 0);
	CHECK_EQ(in(&b, 0xcf8, 4), cfg_address(0, 5, 0, 0x3c));
	CHECK_EQ(cfg_read(&b, 0, 0x04, 2), 0x0146);
	CHECK_EQ(cfg_read(&b, 0, 0x5f, 1), 0x11);

	memcpy(copy, w.buf, w.len);
	at = state_field_value(copy, w.len, 'u', "config_address");
	CHECK(at);
	copy[at] |= 0x01;
	CHECK_EQ(pci_load_stream(b.host, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	at = state_field_value(copy, w.len, 'b', "bridge.config");
	CHECK(at);
	copy[at + 2] = 0x38; /* a different device ID */
	CHECK_EQ(pci_load_stream(b.host, copy, w.len), -EINVAL);
	memcpy(copy, w.buf, w.len);
	copy[2 + 8 + 4] = 0; /* the section version */
	CHECK_EQ(pci_load_stream(b.host, copy, w.len), -EINVAL);
	for (size_t cut = 0; cut < w.len; cut += 3)
		CHECK(pci_load_stream(b.host, w.buf, cut) != 0);
	CHECK_EQ(cfg_read(&b, 0, 0x00, 4), 0x12378086);

	state_writer_free(&w);
	pci_machine_free(&a);
	pci_machine_free(&b);
}
