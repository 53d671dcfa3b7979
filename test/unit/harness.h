/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small unit-test harness: TEST(name) { ... CHECK(...); } registers a test; the runner
 * (harness.c) prints "PASS unit/name" or "FAIL unit/name: file:line: expression".
 */
#ifndef KEEL_TEST_HARNESS_H
#define KEEL_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
/* Records the first failure of the running test; the test returns right after. */
void unit_fail(const char *file, int line, const char *what);

#define TEST(name)                                                                   \
	static void test_##name(void);                                               \
	static struct unit_test unit_test_##name = { #name, test_##name, 0 };        \
	__attribute__((constructor)) static void unit_register_##name(void)          \
	{                                                                            \
		unit_register(&unit_test_##name);                                    \
	}                                                                            \
	static void test_##name(void)

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			unit_fail(__FILE__, __LINE__, #cond);                        \
			return;                                                      \
		}                                                                    \
	} while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b))

#endif
