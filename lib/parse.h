/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsers for numbers and sizes given by people (command line, config). */
#ifndef KEEL_LIB_PARSE_H
#define KEEL_LIB_PARSE_H

#include <stdint.h>

/* A decimal or 0x-hex unsigned integer, the whole string, at most max. 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * A size: a number with an optional suffix K, M, G or T (binary, case-insensitive, an
 * optional trailing "iB" or "B"). A bare number is in units of default_unit bytes.
 */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
