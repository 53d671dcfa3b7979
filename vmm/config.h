/* SPDX-License-Identifier: GPL-2.0 */
/* keel-vmm's configuration, from the command line (people, tests) or, later, JSON. */
#ifndef KEEL_VMM_CONFIG_H
#define KEEL_VMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum accel_kind { ACCEL_AUTO, ACCEL_KVM, ACCEL_KEEL };

#define VMM_MAX_DISKS 8
#define VMM_MAX_NICS 4
#define VMM_DISK_SERIAL_MAX 20 /* virtio-blk's ID string */
#define VMM_MAX_CHANNELS 6      /* virtio-console ports besides the console */

struct disk_config {
	char path[4096];
	char serial[VMM_DISK_SERIAL_MAX + 1];
	bool readonly;
};

struct nic_config {
	char tap[16]; /* IFNAMSIZ: the TAP to create or attach */
	int fd;       /* an inherited TAP fd, or -1 */
	uint8_t mac[6];
	bool mac_set;
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *append;
	uint64_t memory; /* bytes */
	unsigned cpus;
	const char *console; /* a chardev spec (vdevices/chardev.h), for COM1 or hvc0 */
	const char *control; /* control socket path, or NULL */
	enum accel_kind accel;
	bool no_reboot;
	struct disk_config disks[VMM_MAX_DISKS];
	unsigned ndisks;
	struct nic_config nics[VMM_MAX_NICS];
	unsigned nnics;
	bool rng;
	bool console_hvc; /* the console is virtio-console's hvc0, not COM1 */
	struct {
		char name[128];
		const char *chardev;
	} channels[VMM_MAX_CHANNELS];
	unsigned nchannels;
};

/* keel-vmm's exit codes. */
enum vmm_exit_code {
	VMM_EXIT_POWEROFF = 0, /* the guest powered off, or quit was asked */
	VMM_EXIT_ERROR = 1,    /* bad arguments, or the VM could not start */
	VMM_EXIT_REBOOT = 2,   /* the guest rebooted under --no-reboot */
	VMM_EXIT_CRASH = 3,    /* the guest triple-faulted */
	VMM_EXIT_FATAL = 4,    /* the accelerator reported an unrecoverable exit */
};

#define VMM_MAX_MEMORY (1ULL << 40)
#define VMM_MAX_CPUS 255

enum config_parse_result { CONFIG_RUN, CONFIG_EXIT_OK, CONFIG_ERROR };

/*
 * Parses argv. CONFIG_RUN: cfg is ready. CONFIG_EXIT_OK: --help or --version was printed.
 * CONFIG_ERROR: err holds a one-line message naming the bad option and value.
 */
enum config_parse_result config_parse(int argc, char **argv, struct vm_config *cfg, char *err,
				      size_t errlen);

extern const char config_usage[];

#endif
