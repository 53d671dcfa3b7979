/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device and machine state for snapshots and migration: a versioned, self-describing
 * stream of sections, each holding named fields. A reader finds fields by name, so a newer
 * writer may add fields an older section version lacks; a loader checks the version.
 *
 * Encoding (little-endian): a record is [u8 type][u8 name length][name][u32 value length]
 * [value]. Types: 'u' a u64, 'b' bytes, 'S' a section whose value is [u32 version] followed
 * by its records.
 */
#ifndef KEEL_LIB_STATE_H
#define KEEL_LIB_STATE_H

#include <stddef.h>
#include <stdint.h>

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t open_sections[8]; /* offsets of the open sections' length fields */
	unsigned depth;
	int error; /* first error (-ENOMEM, -EINVAL), sticky */
};

void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);
void state_begin(struct state_writer *w, const char *section, uint32_t version);
void state_end(struct state_writer *w);
void state_put_u64(struct state_writer *w, const char *name, uint64_t value);
void state_put_bytes(struct state_writer *w, const char *name, const void *data, size_t len);

/* A view of a byte range: the whole stream, or one section's records. */
struct state_reader {
	const uint8_t *buf;
	size_t len;
	uint32_t version; /* of the section this reader covers */
};

void state_reader_init(struct state_reader *r, const void *buf, size_t len);
/* The first section named so at this level: 0, -ENOENT, or -EINVAL if the stream is malformed. */
int state_find_section(const struct state_reader *r, const char *section, struct state_reader *out);
int state_get_u64(const struct state_reader *r, const char *name, uint64_t *value);
/* Copies exactly len bytes: -EINVAL if the stored field has another length. */
int state_get_bytes(const struct state_reader *r, const char *name, void *data, size_t len);

#endif
