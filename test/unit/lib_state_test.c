// SPDX-License-Identifier: GPL-2.0
#include "lib/state.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <string.h>

TEST(state_round_trip_sections_and_fields)
{
	struct state_writer w;
	struct state_reader r, pic, nested;
	uint8_t regs[4] = { 1, 2, 3, 4 }, back[4];
	uint64_t v;

	state_writer_init(&w);
	state_begin(&w, "uart", 1);
	state_put_u64(&w, "lcr", 3);
	state_end(&w);
	state_begin(&w, "pic", 2);
	state_put_u64(&w, "imr", 0xfb);
	state_put_bytes(&w, "regs", regs, sizeof(regs));
	state_begin(&w, "inner", 7);
	state_end(&w);
	state_end(&w);
	CHECK_EQ(w.error, 0);

	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(state_find_section(&r, "pic", &pic), 0);
	CHECK_EQ(pic.version, 2);
	CHECK_EQ(state_get_u64(&pic, "imr", &v), 0);
	CHECK_EQ(v, 0xfb);
	CHECK_EQ(state_get_bytes(&pic, "regs", back, sizeof(back)), 0);
	CHECK(!memcmp(regs, back, 4));
	CHECK_EQ(state_get_bytes(&pic, "regs", back, 3), -EINVAL);
	CHECK_EQ(state_get_u64(&pic, "lcr", &v), -ENOENT);
	CHECK_EQ(state_find_section(&pic, "inner", &nested), 0);
	CHECK_EQ(nested.version, 7);
	CHECK_EQ(state_find_section(&r, "rtc", &nested), -ENOENT);
	state_writer_free(&w);
}

TEST(state_rejects_truncated_streams)
{
	struct state_writer w;
	struct state_reader r, sec;
	uint64_t v;

	state_writer_init(&w);
	state_begin(&w, "pit", 1);
	state_put_u64(&w, "count", 5);
	state_end(&w);
	for (size_t cut = 1; cut < w.len; cut++) {
		state_reader_init(&r, w.buf, cut);
		int ret = state_find_section(&r, "pit", &sec);

		if (ret == 0)
			CHECK(state_get_u64(&sec, "count", &v) != 0 || v == 5);
		else
			CHECK(ret == -EINVAL || ret == -ENOENT);
	}
	state_writer_free(&w);
}
