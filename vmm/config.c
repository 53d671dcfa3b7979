// SPDX-License-Identifier: GPL-2.0
#include "vmm/config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.0.0"
#endif

const char config_usage[] =
	"usage: keel-vmm --kernel BZIMAGE [options]\n"
	"  --kernel PATH      the guest kernel (an x86-64 bzImage)\n"
	"  --initrd PATH      an initial ramdisk\n"
	"  --append STRING    the kernel command line (default: console=ttyS0)\n"
	"  --memory SIZE      guest memory in MiB, or with a K/M/G suffix (default: 256)\n"
	"  --cpus N           vCPUs (default: 1)\n"
	"  --console [hvc0:]SPEC\n"
	"                     the console: stdio, file:PATH, unix:PATH, pty or null (default:\n"
	"                     stdio), on COM1 or, with hvc0:, on virtio-console (console=hvc0)\n"
	"  --channel name=NAME,SPEC\n"
	"                     a named virtio-serial port (/dev/virtio-ports/NAME in the guest)\n"
	"                     on a console backend SPEC, e.g. name=org.keel.agent.0,unix:PATH\n"
	"  --control PATH     a JSON-lines control socket at PATH\n"
	"  --disk PATH[,readonly][,serial=ID]\n"
	"                     a virtio-blk disk: raw image file or block device (up to 8)\n"
	"  --net tap=NAME[,mac=MAC] | fd=N[,mac=MAC]\n"
	"                     a virtio-net NIC on a TAP (created if missing) or inherited fd\n"
	"  --rng              a virtio-rng device fed by the host's getrandom()\n"
	"  --accel NAME       auto, kvm or keel (default: auto)\n"
	"  --no-reboot        exit (code 2) when the guest reboots, instead of resetting it\n"
	"  --help, --version\n"
	"exit codes: 0 the guest powered off, 1 bad arguments or start-up failure,\n"
	"            2 reboot under --no-reboot, 3 guest triple fault, 4 unrecoverable exit\n";

enum {
	OPT_KERNEL = 256,
	OPT_INITRD,
	OPT_APPEND,
	OPT_MEMORY,
	OPT_CPUS,
	OPT_CONSOLE,
	OPT_CONTROL,
	OPT_ACCEL,
	OPT_NO_REBOOT,
	OPT_DISK,
	OPT_NET,
	OPT_RNG,
	OPT_CHANNEL,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option config_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Copies the next comma-separated field of *spec into field; false if it does not fit. */
static bool next_field(const char **spec, char *field, size_t size)
{
	size_t len = strcspn(*spec, ",");

	if (len >= size)
		return false;
	memcpy(field, *spec, len);
	field[len] = 0;
	*spec += (*spec)[len] == ',' ? len + 1 : len;
	return true;
}

static enum config_parse_result parse_disk(struct vm_config *cfg, const char *arg, char *err,
					   size_t errlen)
{
	struct disk_config *disk = &cfg->disks[cfg->ndisks];
	const char *spec = arg;
	char field[4096];

	if (cfg->ndisks == VMM_MAX_DISKS) {
		snprintf(err, errlen, "--disk '%s': at most %d disks", arg, VMM_MAX_DISKS);
		return CONFIG_ERROR;
	}
	*disk = (struct disk_config){ 0 };
	if (!next_field(&spec, disk->path, sizeof(disk->path)) || !disk->path[0]) {
		snprintf(err, errlen, "--disk '%s': no image path (or one too long)", arg);
		return CONFIG_ERROR;
	}
	while (*spec) {
		if (!next_field(&spec, field, sizeof(field)))
			field[0] = 0;
		if (!strcmp(field, "readonly") || !strcmp(field, "ro")) {
			disk->readonly = true;
		} else if (!strncmp(field, "serial=", 7)) {
			if (strlen(field + 7) > VMM_DISK_SERIAL_MAX) {
				snprintf(err, errlen, "--disk '%s': serial longer than %d bytes",
					 arg, VMM_DISK_SERIAL_MAX);
				return CONFIG_ERROR;
			}
			strcpy(disk->serial, field + 7);
		} else {
			snprintf(err, errlen, "--disk '%s': unknown option '%s'", arg, field);
			return CONFIG_ERROR;
		}
	}
	cfg->ndisks++;
	return CONFIG_RUN;
}

static bool parse_mac(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(text) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	/* A NIC's address must be unicast. */
	return !(mac[0] & 1);
}

static enum config_parse_result parse_net(struct vm_config *cfg, const char *arg, char *err,
					  size_t errlen)
{
	struct nic_config *nic = &cfg->nics[cfg->nnics];
	const char *spec = arg;
	char field[64];
	uint64_t fd;

	if (cfg->nnics == VMM_MAX_NICS) {
		snprintf(err, errlen, "--net '%s': at most %d NICs", arg, VMM_MAX_NICS);
		return CONFIG_ERROR;
	}
	*nic = (struct nic_config){ .fd = -1 };
	while (*spec) {
		if (!next_field(&spec, field, sizeof(field))) {
			snprintf(err, errlen, "--net '%s': option too long", arg);
			return CONFIG_ERROR;
		}
		if (!strncmp(field, "tap=", 4)) {
			if (!field[4] || strlen(field + 4) >= sizeof(nic->tap)) {
				snprintf(err, errlen, "--net '%s': a TAP name has 1 to %zu characters",
					 arg, sizeof(nic->tap) - 1);
				return CONFIG_ERROR;
			}
			strcpy(nic->tap, field + 4);
		} else if (!strncmp(field, "fd=", 3)) {
			if (parse_u64(field + 3, INT32_MAX, &fd)) {
				snprintf(err, errlen, "--net '%s': fd must be a number", arg);
				return CONFIG_ERROR;
			}
			nic->fd = fd;
		} else if (!strncmp(field, "mac=", 4)) {
			if (!parse_mac(field + 4, nic->mac)) {
				snprintf(err, errlen,
					 "--net '%s': mac must be a unicast xx:xx:xx:xx:xx:xx", arg);
				return CONFIG_ERROR;
			}
			nic->mac_set = true;
		} else {
			snprintf(err, errlen, "--net '%s': unknown option '%s'", arg, field);
			return CONFIG_ERROR;
		}
	}
	if (!nic->tap[0] == (nic->fd < 0)) {
		snprintf(err, errlen, "--net '%s': give exactly one of tap=NAME or fd=N", arg);
		return CONFIG_ERROR;
	}
	cfg->nnics++;
	return CONFIG_RUN;
}

static enum config_parse_result parse_channel(struct vm_config *cfg, const char *arg, char *err,
					      size_t errlen)
{
	const char *spec = arg;
	char field[sizeof(cfg->channels[0].name) + 5];

	if (cfg->nchannels == VMM_MAX_CHANNELS) {
		snprintf(err, errlen, "--channel '%s': at most %d channels", arg, VMM_MAX_CHANNELS);
		return CONFIG_ERROR;
	}
	if (!next_field(&spec, field, sizeof(field)) || strncmp(field, "name=", 5) || !field[5]) {
		snprintf(err, errlen, "--channel '%s': must start with name=NAME (at most %zu bytes)",
			 arg, sizeof(cfg->channels[0].name) - 1);
		return CONFIG_ERROR;
	}
	if (!*spec) {
		snprintf(err, errlen, "--channel '%s': no backend after the name (e.g. unix:PATH)",
			 arg);
		return CONFIG_ERROR;
	}
	strcpy(cfg->channels[cfg->nchannels].name, field + 5);
	cfg->channels[cfg->nchannels].chardev = spec;
	cfg->nchannels++;
	return CONFIG_RUN;
}

static enum config_parse_result config_option(struct vm_config *cfg, int opt, const char *arg,
					      char *err, size_t errlen)
{
	uint64_t v;

	switch (opt) {
	case OPT_KERNEL:
		cfg->kernel = arg;
		break;
	case OPT_INITRD:
		cfg->initrd = arg;
		break;
	case OPT_APPEND:
		cfg->append = arg;
		break;
	case OPT_MEMORY:
		if (parse_size(arg, 1ULL << 20, &v) || v == 0) {
			snprintf(err, errlen, "--memory '%s': not a size (MiB, or with K/M/G)", arg);
			return CONFIG_ERROR;
		}
		cfg->memory = v;
		break;
	case OPT_CPUS:
		if (parse_u64(arg, UINT32_MAX, &v) || v == 0) {
			snprintf(err, errlen, "--cpus '%s': not a vCPU count of 1 or more", arg);
			return CONFIG_ERROR;
		}
		if (v > VMM_MAX_CPUS) {
			snprintf(err, errlen, "--cpus '%s': at most %d vCPUs", arg, VMM_MAX_CPUS);
			return CONFIG_ERROR;
		}
		cfg->cpus = (unsigned)v;
		break;
	case OPT_CONSOLE:
		cfg->console_hvc = !strncmp(arg, "hvc0:", 5);
		cfg->console = cfg->console_hvc ? arg + 5 : arg;
		break;
	case OPT_CONTROL:
		if (!*arg) {
			snprintf(err, errlen, "--control: empty socket path");
			return CONFIG_ERROR;
		}
		cfg->control = arg;
		break;
	case OPT_ACCEL:
		if (!strcmp(arg, "auto"))
			cfg->accel = ACCEL_AUTO;
		else if (!strcmp(arg, "kvm"))
			cfg->accel = ACCEL_KVM;
		else if (!strcmp(arg, "keel"))
			cfg->accel = ACCEL_KEEL;
		else {
			snprintf(err, errlen, "--accel '%s': must be auto, kvm or keel", arg);
			return CONFIG_ERROR;
		}
		break;
	case OPT_NO_REBOOT:
		cfg->no_reboot = true;
		break;
	case OPT_DISK:
		return parse_disk(cfg, arg, err, errlen);
	case OPT_NET:
		return parse_net(cfg, arg, err, errlen);
	case OPT_RNG:
		cfg->rng = true;
		break;
	case OPT_CHANNEL:
		return parse_channel(cfg, arg, err, errlen);
	}
	return CONFIG_RUN;
}

enum config_parse_result config_parse(int argc, char **argv, struct vm_config *cfg, char *err,
				      size_t errlen)
{
	int opt;

	*cfg = (struct vm_config){
		.append = "console=ttyS0",
		.memory = 256ULL << 20,
		.cpus = 1,
		.console = "stdio",
		.accel = ACCEL_AUTO,
	};
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", config_options, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			fputs(config_usage, stdout);
			return CONFIG_EXIT_OK;
		case OPT_VERSION:
			printf("keel-vmm %s\n", KEEL_VERSION);
			return CONFIG_EXIT_OK;
		case '?':
			if (optopt)
				snprintf(err, errlen, "option '%s' needs a value (see --help)",
					 argv[optind - 1]);
			else
				snprintf(err, errlen, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return CONFIG_ERROR;
		default:
			if (config_option(cfg, opt, optarg, err, errlen) != CONFIG_RUN)
				return CONFIG_ERROR;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return CONFIG_ERROR;
	}
	if (!cfg->kernel) {
		snprintf(err, errlen, "no --kernel given (see --help)");
		return CONFIG_ERROR;
	}
	return CONFIG_RUN;
}
