// SPDX-License-Identifier: GPL-2.0
/* keel-vmm: one process per VM. */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.0.0"
#endif

int main(int argc, char **argv)
{
	log_init("keel-vmm", LOG_INFO);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("keel-vmm %s\n", KEEL_VERSION);
		return 0;
	}
	log_error("booting guests is not built yet (see issue 3)");
	return 1;
}
