/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The domains virtkeeld knows: persistent definitions under the state directory (written
 * to a temporary file, fsync-ed, renamed), one keel-vmm per running domain with its control
 * socket and console pty under the run directory, states and reasons as libvirt reports
 * them, the on_poweroff/on_reboot/on_crash actions, and rediscovery of running domains
 * when virtkeeld starts again. Every operation is safe from any thread.
 */
#ifndef KEEL_DAEMON_REGISTRY_H
#define KEEL_DAEMON_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct registry;

/* What a failed operation tells the client: a libvirt error code and its message. */
struct reg_error {
	int code;
	char msg[512];
};

/* A domain as the procedures report it. */
struct dom_info {
	char name[256];
	uint8_t uuid[16];
	int id;			/* -1 when not running */
	int state, reason;	/* virDomainState and its reason */
	bool persistent, autostart;
	uint64_t max_kib, cur_kib;
	unsigned vcpus;
	uint64_t cpu_time_ns;
};

struct registry_config {
	const char *state_dir;	/* definitions, autostart marks */
	const char *run_dir;	/* control sockets, ptys, running domains' records */
	const char *log_dir;	/* one keel-vmm log per domain */
	const char *vmm_path;	/* the keel-vmm binary */
	struct evloop *loop;	/* the main thread's loop: keel-vmm exits are watched there */
	/* Called (with no lock held) for each lifecycle event. */
	void (*event)(void *opaque, const char *name, const uint8_t uuid[16], int id, int event,
		      int detail);
	void *event_opaque;
};

struct registry *registry_create(const struct registry_config *cfg, struct reg_error *err);
/* Loads the definitions, finds running domains again, starts autostart ones. */
int registry_load(struct registry *reg, struct reg_error *err);
/* Forgets everything; running keel-vmm processes keep running. */
void registry_destroy(struct registry *reg);

/* Lookups: 0, or -1 with VIR_ERR_NO_DOMAIN. */
int registry_by_name(struct registry *reg, const char *name, struct dom_info *out,
		     struct reg_error *err);
int registry_by_uuid(struct registry *reg, const uint8_t uuid[16], struct dom_info *out,
		     struct reg_error *err);
int registry_by_id(struct registry *reg, int id, struct dom_info *out, struct reg_error *err);

/* Every domain (malloc-ed array). */
int registry_list(struct registry *reg, struct dom_info **out, size_t *count);

int registry_define(struct registry *reg, const char *xml, struct dom_info *out,
		    struct reg_error *err);
int registry_undefine(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);
/* A transient domain from XML, started at once. */
int registry_create_xml(struct registry *reg, const char *xml, bool paused, struct dom_info *out,
			struct reg_error *err);
int registry_start(struct registry *reg, const uint8_t uuid[16], bool paused,
		   struct reg_error *err);
int registry_destroy_domain(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);
int registry_shutdown(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);
int registry_reboot(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);
int registry_suspend(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);
int registry_resume(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);
int registry_set_autostart(struct registry *reg, const uint8_t uuid[16], bool on,
			   struct reg_error *err);
/* The domain's XML (malloc-ed): the live one while running unless inactive is asked. */
char *registry_xml(struct registry *reg, const uint8_t uuid[16], bool inactive,
		   struct reg_error *err);
/* The running domain's console, opened for reading and writing (the caller owns fd). */
int registry_console(struct registry *reg, const uint8_t uuid[16], int *fd, struct reg_error *err);

#endif
