// SPDX-License-Identifier: GPL-2.0
#include "vmm/config.h"
#include "test/unit/harness.h"

#include <string.h>

static enum config_parse_result parse(char **argv, struct vm_config *cfg, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return config_parse(argc, argv, cfg, err, 256);
}

TEST(config_defaults_and_values)
{
	char *argv[] = { "keel-vmm", "--kernel", "k", "--memory", "3584", "--cpus", "4",
			 "--no-reboot", "--console", "pty", NULL };
	struct vm_config cfg;
	char err[256];

	CHECK_EQ(parse(argv, &cfg, err), CONFIG_RUN);
	CHECK(!strcmp(cfg.kernel, "k"));
	CHECK_EQ(cfg.memory, 3584ULL << 20);
	CHECK_EQ(cfg.cpus, 4);
	CHECK(cfg.no_reboot);
	CHECK(!strcmp(cfg.console, "pty"));
	CHECK(!strcmp(cfg.append, "console=ttyS0"));
	CHECK_EQ(cfg.accel, ACCEL_AUTO);
}

TEST(config_memory_suffix)
{
	char *argv[] = { "keel-vmm", "--kernel", "k", "--memory", "1G", NULL };
	struct vm_config cfg;
	char err[256];

	CHECK_EQ(parse(argv, &cfg, err), CONFIG_RUN);
	CHECK_EQ(cfg.memory, 1ULL << 30);
}

TEST(config_bad_values_name_the_option)
{
	static const char *const cases[][3] = {
		{ "--memory", "0", "--memory '0'" },
		{ "--memory", "lots", "--memory 'lots'" },
		{ "--cpus", "0", "--cpus '0'" },
		{ "--cpus", "-2", "--cpus '-2'" },
		{ "--cpus", "100000", "--cpus '100000'" },
		{ "--accel", "xen", "--accel 'xen'" },
	};
	struct vm_config cfg;
	char err[256];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "keel-vmm", "--kernel", "k", (char *)cases[i][0],
				 (char *)cases[i][1], NULL };

		err[0] = 0;
		CHECK_EQ(parse(argv, &cfg, err), CONFIG_ERROR);
		CHECK(strstr(err, cases[i][2]) != NULL);
	}
}

TEST(config_missing_kernel_and_unknown_option)
{
	char *no_kernel[] = { "keel-vmm", "--cpus", "2", NULL };
	char *unknown[] = { "keel-vmm", "--kernel", "k", "--frobnicate", NULL };
	char *stray[] = { "keel-vmm", "--kernel", "k", "extra", NULL };
	struct vm_config cfg;
	char err[256];

	CHECK_EQ(parse(no_kernel, &cfg, err), CONFIG_ERROR);
	CHECK(strstr(err, "--kernel") != NULL);
	CHECK_EQ(parse(unknown, &cfg, err), CONFIG_ERROR);
	CHECK(strstr(err, "--frobnicate") != NULL);
	CHECK_EQ(parse(stray, &cfg, err), CONFIG_ERROR);
	CHECK(strstr(err, "extra") != NULL);
}
