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

TEST(config_disks_nics_channels)
{
	char *argv[] = { "keel-vmm", "--kernel", "k",
			 "--disk", "/img/a.raw",
			 "--disk", "/dev/sdb,readonly,serial=DISK-B",
			 "--net", "tap=keel0,mac=52:54:00:aa:bb:cc",
			 "--net", "fd=7",
			 "--rng",
			 "--console", "hvc0:unix:/run/c.sock",
			 "--channel", "name=org.keel.agent.0,unix:/run/a.sock",
			 NULL };
	struct vm_config cfg;
	char err[256];

	CHECK_EQ(parse(argv, &cfg, err), CONFIG_RUN);
	CHECK_EQ(cfg.ndisks, 2u);
	CHECK(!strcmp(cfg.disks[0].path, "/img/a.raw"));
	CHECK(!cfg.disks[0].readonly && !cfg.disks[0].serial[0]);
	CHECK(!strcmp(cfg.disks[1].path, "/dev/sdb"));
	CHECK(cfg.disks[1].readonly);
	CHECK(!strcmp(cfg.disks[1].serial, "DISK-B"));
	CHECK_EQ(cfg.nnics, 2u);
	CHECK(!strcmp(cfg.nics[0].tap, "keel0"));
	CHECK(cfg.nics[0].mac_set && cfg.nics[0].mac[5] == 0xcc && cfg.nics[0].fd == -1);
	CHECK_EQ(cfg.nics[1].fd, 7);
	CHECK(!cfg.nics[1].mac_set);
	CHECK(cfg.rng);
	CHECK(cfg.console_hvc);
	CHECK(!strcmp(cfg.console, "unix:/run/c.sock"));
	CHECK_EQ(cfg.nchannels, 1u);
	CHECK(!strcmp(cfg.channels[0].name, "org.keel.agent.0"));
	CHECK(!strcmp(cfg.channels[0].chardev, "unix:/run/a.sock"));
}

static bool refused(char *opt, char *value, const char *needle)
{
	char *argv[] = { "keel-vmm", "--kernel", "k", opt, value, NULL };
	struct vm_config cfg;
	char err[256] = "";

	return parse(argv, &cfg, err) == CONFIG_ERROR && strstr(err, needle);
}

TEST(config_bad_disks_nics_channels)
{
	CHECK(refused("--disk", "", "no image path"));
	CHECK(refused("--disk", "a.img,rw", "unknown option 'rw'"));
	CHECK(refused("--disk", "a.img,serial=123456789012345678901", "longer than 20"));
	CHECK(refused("--net", "mac=52:54:00:00:00:01", "exactly one of"));
	CHECK(refused("--net", "tap=a,fd=3", "exactly one of"));
	CHECK(refused("--net", "tap=a,mac=01:00:5e:00:00:01", "unicast"));
	CHECK(refused("--net", "tap=a,mac=52:54:00:00:00", "unicast"));
	CHECK(refused("--net", "tap=waytoolongforanifname", "1 to 15"));
	CHECK(refused("--net", "fd=x", "fd must be a number"));
	CHECK(refused("--net", "bridge=br0", "unknown option 'bridge=br0'"));
	CHECK(refused("--channel", "org.keel.agent.0,unix:/x", "name=NAME"));
	CHECK(refused("--channel", "name=org.keel.agent.0", "no backend"));
}
