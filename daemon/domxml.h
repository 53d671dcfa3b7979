/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Domain XML (libvirt's documented format, parsed with libxml2): the subset Keel runs,
 * mapped to keel-vmm's command line. What Keel does not run is refused with an error that
 * names the element, never dropped. Formatting gives back what virsh dumpxml shows: the
 * inactive definition, or the live one with its id, console pty and TAP names.
 */
#ifndef KEEL_DAEMON_DOMXML_H
#define KEEL_DAEMON_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOMXML_MAX_SIZE		(1u << 20)
#define DOMAIN_MAX_DISKS	8
#define DOMAIN_MAX_IFACES	8

enum domain_action {
	DOMAIN_ACTION_DESTROY,
	DOMAIN_ACTION_RESTART,
	DOMAIN_ACTION_PRESERVE,
	DOMAIN_ACTION_RENAME_RESTART,
	DOMAIN_ACTION_COREDUMP_DESTROY,
	DOMAIN_ACTION_COREDUMP_RESTART,
};

struct domain_disk {
	bool block;		/* type='block' (source dev=) rather than 'file' */
	char *source;
	char *target;		/* vda, vdb, ... */
	char *serial;
	bool readonly;
};

enum domain_iface_type {
	DOMAIN_IFACE_BRIDGE,	/* virtkeeld makes a TAP on the bridge */
	DOMAIN_IFACE_ETHERNET,	/* a TAP named by <target dev=> (created if missing) */
};

struct domain_iface {
	enum domain_iface_type type;
	char *bridge;		/* bridge: the bridge's name */
	char *target;		/* ethernet: the TAP's name */
	uint8_t mac[6];
	bool has_mac;
};

struct domain_def {
	char *name;
	uint8_t uuid[16];
	bool has_uuid;
	char *title, *description;
	char *metadata;		/* the <metadata> element, verbatim */
	uint64_t memory_kib, current_memory_kib;
	unsigned vcpus;
	char *machine;		/* <type machine=>, kept */
	char *kernel, *initrd, *cmdline;
	bool acpi, apic;
	enum domain_action on_poweroff, on_reboot, on_crash;
	char *cpu_xml, *clock_xml;	/* <cpu> and <clock>, kept verbatim */
	struct domain_disk disks[DOMAIN_MAX_DISKS];
	unsigned ndisks;
	struct domain_iface interfaces[DOMAIN_MAX_IFACES];
	unsigned ninterfaces;
	bool serial_pty, console_pty;
	bool rng;		/* <rng model='virtio'>: keel-vmm's --rng */
};

/* Live values for the running domain's XML. */
struct domain_live {
	int id;
	const char *pty_path;		/* the console's pty */
	const char *const *tap_names;	/* per interface (NULL entries: none) */
};

/* How virtkeeld starts keel-vmm for a definition. */
struct vmm_launch {
	const char *vmm_path;
	const char *control_path;
	int tap_fds[DOMAIN_MAX_IFACES];	/* bridge interfaces: the TAP fd keel-vmm inherits */
};

/* 0, or a negative errno with err naming what is wrong or unsupported. */
int domxml_parse(const char *xml, size_t len, struct domain_def **out, char *err, size_t errlen);
void domain_def_free(struct domain_def *d);
/* A deep copy (NULL when out of memory). */
struct domain_def *domxml_copy(const struct domain_def *d);
/* A uuid (random) and MACs (52:54:00:...) where absent, currentMemory = memory if absent. */
int domxml_fill_defaults(struct domain_def *d);
/* The XML (malloc-ed): inactive when live is NULL. */
char *domxml_format(const struct domain_def *d, const struct domain_live *live);

/* 0 or -EINVAL; accepts the 36-character form and 32 hex digits. */
int domxml_uuid_parse(const char *s, uint8_t uuid[16]);
void domxml_uuid_format(const uint8_t uuid[16], char out[37]);

/* keel-vmm's argv (NULL-terminated, malloc-ed) for the definition. 0 or -ENOMEM. */
int domain_def_vmm_args(const struct domain_def *d, const struct vmm_launch *launch,
			char ***argv_out);
void domain_vmm_args_free(char **argv);

#endif
