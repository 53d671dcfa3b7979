// SPDX-License-Identifier: GPL-2.0
#include "test/unit/harness.h"

#include <stdio.h>
#include <string.h>

static struct unit_test *unit_tests;
static struct unit_test **unit_tests_tail = &unit_tests;
static const char *unit_failure_file;
static int unit_failure_line;
static const char *unit_failure_what;

void unit_register(struct unit_test *t)
{
	*unit_tests_tail = t;
	unit_tests_tail = &t->next;
}

void unit_fail(const char *file, int line, const char *what)
{
	if (unit_failure_file)
		return;
	unit_failure_file = file;
	unit_failure_line = line;
	unit_failure_what = what;
}

/* Usage: unit-tests [NAME-SUBSTRING]; exit status is 1 when a test failed. */
int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (struct unit_test *t = unit_tests; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		unit_failure_file = NULL;
		t->fn();
		if (unit_failure_file) {
			printf("FAIL unit/%s: %s:%d: %s\n", t->name, unit_failure_file,
			       unit_failure_line, unit_failure_what);
			failed++;
		} else {
			printf("PASS unit/%s\n", t->name);
			passed++;
		}
		fflush(stdout);
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
