// SPDX-License-Identifier: GPL-2.0
#include "vdevices/bus.h"
#include "test/unit/harness.h"

#include <errno.h>

struct fake_dev {
	uint64_t last_offset, last_value;
	unsigned last_size, writes;
};

static uint64_t fake_read(void *opaque, uint64_t offset, unsigned size)
{
	return 0x1000 + offset;
}

static void fake_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct fake_dev *d = opaque;

	d->last_offset = offset;
	d->last_size = size;
	d->last_value = value;
	d->writes++;
}

static const struct io_region_ops fake_ops = { fake_read, fake_write };

TEST(bus_dispatches_by_range_and_refuses_overlap)
{
	struct io_bus bus;
	struct fake_dev a = { 0 }, b = { 0 };
	uint64_t v;

	io_bus_init(&bus, "pio");
	CHECK_EQ(io_bus_register(&bus, 0x3f8, 8, &fake_ops, &a, "a"), 0);
	CHECK_EQ(io_bus_register(&bus, 0x20, 2, &fake_ops, &b, "b"), 0);
	CHECK_EQ(io_bus_register(&bus, 0x3ff, 1, &fake_ops, &b, "c"), -EEXIST);
	CHECK_EQ(io_bus_register(&bus, 0x1f, 2, &fake_ops, &b, "d"), -EEXIST);
	CHECK_EQ(io_bus_register(&bus, 0x10, 0, &fake_ops, &b, "e"), -EINVAL);
	CHECK_EQ(io_bus_register(&bus, UINT64_MAX, 2, &fake_ops, &b, "f"), -EINVAL);
	CHECK(io_bus_write(&bus, 0x3fb, 1, 0x83));
	CHECK_EQ(a.last_offset, 3);
	CHECK_EQ(a.last_value, 0x83);
	CHECK(io_bus_read(&bus, 0x21, 1, &v));
	CHECK_EQ(v, 0x01);
	CHECK(!io_bus_read(&bus, 0x80, 2, &v));
	CHECK_EQ(v, 0xffff);
	CHECK_EQ(io_bus_unregister(&bus, 0x20), 0);
	CHECK(!io_bus_read(&bus, 0x20, 1, &v));
	io_bus_free(&bus);
}

TEST(bus_splits_straddling_access_and_masks_values)
{
	struct io_bus bus;
	struct fake_dev a = { 0 };
	uint64_t v;

	io_bus_init(&bus, "mmio");
	CHECK_EQ(io_bus_register(&bus, 0x1000, 2, &fake_ops, &a, "a"), 0);
	/* Bytes 0x1001 (claimed) and 0x1002..0x1004 (unclaimed). */
	CHECK(io_bus_read(&bus, 0x1001, 4, &v));
	CHECK_EQ(v, 0xffffff01);
	CHECK(io_bus_write(&bus, 0x1000, 2, 0xabcdef));
	CHECK_EQ(a.last_value, 0xcdef);
	CHECK(!io_bus_read(&bus, 0x1000, 3, &v));
	CHECK(!io_bus_read(&bus, UINT64_MAX, 8, &v));
	io_bus_free(&bus);
}
