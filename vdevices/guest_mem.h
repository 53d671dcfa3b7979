/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest physical memory as the VMM and devices see it: a few RAM ranges backed by host
 * mappings. Every translation checks that the whole range lies inside one RAM range, so a
 * guest-supplied address or length can never reach outside guest memory.
 */
#ifndef KEEL_VDEVICES_GUEST_MEM_H
#define KEEL_VDEVICES_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_RANGES 4

struct guest_mem_range {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct guest_mem {
	struct guest_mem_range ranges[GUEST_MEM_MAX_RANGES];
	unsigned count;
};

/* The host address of [gpa, gpa + len), or NULL if any byte of it is not guest RAM. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* Copies; -EFAULT if the range is not all guest RAM. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len);

#endif
