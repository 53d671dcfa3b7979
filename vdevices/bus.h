/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O bus: port I/O and MMIO address ranges, each claimed by one device region.
 * Regions are registered while the machine is built (single-threaded); lookups after that
 * are lock-free. A device protects its own state with its own lock.
 */
#ifndef KEEL_VDEVICES_BUS_H
#define KEEL_VDEVICES_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct io_region_ops {
	/* offset is relative to the region's base; size is 1, 2, 4 or 8. */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

struct io_region {
	uint64_t base, len;
	const struct io_region_ops *ops;
	void *opaque;
	const char *name;
};

struct io_bus {
	struct io_region *regions; /* sorted by base, never overlapping */
	unsigned count, cap;
	const char *name; /* "pio" or "mmio", for messages */
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_free(struct io_bus *bus);
/* -EEXIST if the range overlaps a registered one, -EINVAL if empty or wrapping. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, const struct io_region_ops *ops,
		    void *opaque, const char *name);
int io_bus_unregister(struct io_bus *bus, uint64_t base);
/*
 * Dispatch an access. An access that no region claims reads as all ones and writes are
 * dropped; an access that straddles a region's end is split into bytes. Returns false when
 * no region claimed the address (for a debug count), true otherwise.
 */
bool io_bus_read(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t *value);
bool io_bus_write(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t value);

#endif
