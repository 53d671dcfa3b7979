// SPDX-License-Identifier: GPL-2.0
#include "lib/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"

void state_writer_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void state_append(struct state_writer *w, const void *data, size_t len)
{
	if (w->error)
		return;
	if (w->len + len > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *buf;

		while (cap < w->len + len)
			cap *= 2;
		buf = realloc(w->buf, cap);
		if (!buf) {
			w->error = -ENOMEM;
			return;
		}
		w->buf = buf;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

static void state_put_le32(struct state_writer *w, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	state_append(w, b, 4);
}

static void state_put_header(struct state_writer *w, char type, const char *name, uint32_t len)
{
	size_t n = strlen(name);
	uint8_t hdr[2] = { (uint8_t)type, (uint8_t)n };

	if (n == 0 || n > 255) {
		w->error = w->error ? w->error : -EINVAL;
		return;
	}
	state_append(w, hdr, 2);
	state_append(w, name, n);
	state_put_le32(w, len);
}

void state_begin(struct state_writer *w, const char *section, uint32_t version)
{
	if (w->depth == sizeof(w->open_sections) / sizeof(w->open_sections[0])) {
		w->error = w->error ? w->error : -EINVAL;
		return;
	}
	state_put_header(w, 'S', section, 0);
	w->open_sections[w->depth++] = w->len - 4;
	state_put_le32(w, version);
}

void state_end(struct state_writer *w)
{
	size_t at;
	uint32_t len;

	if (!w->depth) {
		w->error = w->error ? w->error : -EINVAL;
		return;
	}
	at = w->open_sections[--w->depth];
	if (w->error)
		return;
	len = (uint32_t)(w->len - at - 4);
	put_le32(w->buf + at, len);
}

void state_put_u64(struct state_writer *w, const char *name, uint64_t value)
{
	uint8_t b[8];

	put_le64(b, value);
	state_put_header(w, 'u', name, 8);
	state_append(w, b, 8);
}

void state_put_bytes(struct state_writer *w, const char *name, const void *data, size_t len)
{
	if (len > UINT32_MAX) {
		w->error = w->error ? w->error : -EINVAL;
		return;
	}
	state_put_header(w, 'b', name, (uint32_t)len);
	state_append(w, data, len);
}

void state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->version = 0;
}

/* Finds a record of type and name at this level: 0 with the value and its length, -ENOENT or -EINVAL. */
static int state_find(const struct state_reader *r, char type, const char *name,
		      const uint8_t **value, size_t *len)
{
	size_t n = strlen(name), pos = 0;

	while (pos < r->len) {
		size_t nlen, vlen;

		if (r->len - pos < 2)
			return -EINVAL;
		nlen = r->buf[pos + 1];
		if (r->len - pos - 2 < nlen + 4)
			return -EINVAL;
		vlen = get_le32(r->buf + pos + 2 + nlen);
		if (r->len - pos - 2 - nlen - 4 < vlen)
			return -EINVAL;
		if (r->buf[pos] == (uint8_t)type && nlen == n && !memcmp(r->buf + pos + 2, name, n)) {
			*value = r->buf + pos + 2 + nlen + 4;
			*len = vlen;
			return 0;
		}
		pos += 2 + nlen + 4 + vlen;
	}
	return -ENOENT;
}

int state_find_section(const struct state_reader *r, const char *section, struct state_reader *out)
{
	const uint8_t *v;
	size_t len;
	int ret = state_find(r, 'S', section, &v, &len);

	if (ret)
		return ret;
	if (len < 4)
		return -EINVAL;
	out->version = get_le32(v);
	out->buf = v + 4;
	out->len = len - 4;
	return 0;
}

int state_get_u64(const struct state_reader *r, const char *name, uint64_t *value)
{
	const uint8_t *v;
	size_t len;
	int ret = state_find(r, 'u', name, &v, &len);

	if (ret)
		return ret;
	if (len != 8)
		return -EINVAL;
	*value = get_le64(v);
	return 0;
}

int state_get_bytes(const struct state_reader *r, const char *name, void *data, size_t len)
{
	const uint8_t *v;
	size_t vlen;
	int ret = state_find(r, 'b', name, &v, &vlen);

	if (ret)
		return ret;
	if (vlen != len)
		return -EINVAL;
	memcpy(data, v, len);
	return 0;
}
