// SPDX-License-Identifier: GPL-2.0
#include "lib/parse.h"
#include "test/unit/harness.h"

#include <errno.h>

TEST(parse_u64_accepts_decimal_and_hex)
{
	uint64_t v;

	CHECK_EQ(parse_u64("42", 100, &v), 0);
	CHECK_EQ(v, 42);
	CHECK_EQ(parse_u64("0x10", 100, &v), 0);
	CHECK_EQ(v, 16);
}

TEST(parse_u64_rejects_junk_sign_and_range)
{
	uint64_t v;

	CHECK_EQ(parse_u64("", 100, &v), -EINVAL);
	CHECK_EQ(parse_u64("-1", 100, &v), -EINVAL);
	CHECK_EQ(parse_u64("12x", 100, &v), -EINVAL);
	CHECK_EQ(parse_u64(" 1", 100, &v), -EINVAL);
	CHECK_EQ(parse_u64("101", 100, &v), -ERANGE);
	CHECK_EQ(parse_u64("99999999999999999999999", UINT64_MAX, &v), -ERANGE);
}

TEST(parse_size_units)
{
	uint64_t v;

	CHECK_EQ(parse_size("256", 1 << 20, &v), 0);
	CHECK_EQ(v, 256ULL << 20);
	CHECK_EQ(parse_size("4G", 1, &v), 0);
	CHECK_EQ(v, 4ULL << 30);
	CHECK_EQ(parse_size("512MiB", 1, &v), 0);
	CHECK_EQ(v, 512ULL << 20);
	CHECK_EQ(parse_size("3k", 1, &v), 0);
	CHECK_EQ(v, 3072);
}

TEST(parse_size_rejects_bad_suffix_and_overflow)
{
	uint64_t v;

	CHECK_EQ(parse_size("4X", 1, &v), -EINVAL);
	CHECK_EQ(parse_size("4Gz", 1, &v), -EINVAL);
	CHECK_EQ(parse_size("M", 1, &v), -EINVAL);
	CHECK_EQ(parse_size("20000000000T", 1, &v), -ERANGE);
}
