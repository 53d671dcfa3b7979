// SPDX-License-Identifier: GPL-2.0
#include "vdevices/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

void io_bus_free(struct io_bus *bus)
{
	free(bus->regions);
	bus->regions = NULL;
	bus->count = bus->cap = 0;
}

/* Index of the first region whose end is above addr. */
static unsigned io_bus_lower_bound(const struct io_bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct io_region *r = &bus->regions[mid];

		if (r->base + r->len - 1 < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct io_region *io_bus_find(const struct io_bus *bus, uint64_t addr)
{
	unsigned i = io_bus_lower_bound(bus, addr);

	if (i < bus->count && bus->regions[i].base <= addr)
		return &bus->regions[i];
	return NULL;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, const struct io_region_ops *ops,
		    void *opaque, const char *name)
{
	unsigned i;

	if (!len || base + len - 1 < base || !ops)
		return -EINVAL;
	i = io_bus_lower_bound(bus, base);
	if (i < bus->count && bus->regions[i].base <= base + len - 1)
		return -EEXIST;
	if (bus->count == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct io_region *r = realloc(bus->regions, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		bus->regions = r;
		bus->cap = cap;
	}
	memmove(&bus->regions[i + 1], &bus->regions[i], (bus->count - i) * sizeof(bus->regions[0]));
	bus->regions[i] = (struct io_region){ base, len, ops, opaque, name };
	bus->count++;
	return 0;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base)
{
	unsigned i = io_bus_lower_bound(bus, base);

	if (i >= bus->count || bus->regions[i].base != base)
		return -ENOENT;
	memmove(&bus->regions[i], &bus->regions[i + 1],
		(bus->count - i - 1) * sizeof(bus->regions[0]));
	bus->count--;
	return 0;
}

static bool io_bus_size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

bool io_bus_read(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t *value)
{
	const struct io_region *r;
	uint64_t v = 0;
	bool claimed = false;

	if (!io_bus_size_ok(size)) {
		*value = 0;
		return false;
	}
	r = io_bus_find(bus, addr);
	if (r && addr + size - 1 <= r->base + r->len - 1 && addr + size - 1 >= addr) {
		*value = r->ops->read ? r->ops->read(r->opaque, addr - r->base, size) : 0;
		if (size < 8)
			*value &= (1ULL << (size * 8)) - 1;
		return true;
	}
	/* Unclaimed or straddling: byte by byte, unclaimed bytes read as 0xff. */
	for (unsigned i = 0; i < size; i++) {
		uint64_t b = 0xff;

		r = io_bus_find(bus, addr + i);
		if (r) {
			b = r->ops->read ? r->ops->read(r->opaque, addr + i - r->base, 1) & 0xff : 0;
			claimed = true;
		}
		v |= b << (i * 8);
	}
	*value = v;
	return claimed;
}

bool io_bus_write(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	const struct io_region *r;
	bool claimed = false;

	if (!io_bus_size_ok(size))
		return false;
	r = io_bus_find(bus, addr);
	if (r && addr + size - 1 <= r->base + r->len - 1 && addr + size - 1 >= addr) {
		if (size < 8)
			value &= (1ULL << (size * 8)) - 1;
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, size, value);
		return true;
	}
	for (unsigned i = 0; i < size; i++) {
		r = io_bus_find(bus, addr + i);
		if (!r)
			continue;
		claimed = true;
		if (r->ops->write)
			r->ops->write(r->opaque, addr + i - r->base, 1, (value >> (i * 8)) & 0xff);
	}
	return claimed;
}
