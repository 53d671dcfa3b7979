/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtkeeld's side of keel-vmm: start one detached process per running domain, talk to its
 * JSON-lines control socket, recognise it again after virtkeeld restarts, and give domains
 * their TAP devices on a bridge.
 */
#ifndef KEEL_DAEMON_VMM_H
#define KEEL_DAEMON_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Starts argv[0] in its own session (it outlives virtkeeld), stdin from /dev/null, stdout
 * and stderr appended to log_path, with keep_fds (nkeep of them) inherited at the same
 * numbers and every other fd closed. 0 with *pid, or a negative errno with err set.
 */
int vmm_spawn(char *const argv[], const int *keep_fds, unsigned nkeep, const char *log_path,
	      pid_t *pid, char *err, size_t errlen);

/*
 * Sends {"execute": command} to the control socket and waits up to timeout_ms for the
 * reply line (copied to reply when given). 0 when it returned, -EIO when it answered an
 * error (its text in reply), another negative errno when the socket did not answer.
 */
int vmm_command(const char *control_path, const char *command, char *reply, size_t len,
		int timeout_ms);

/*
 * Waits up to timeout_ms for the control socket to answer query-status; -ECHILD as soon as
 * the process pid (a child) has exited instead, -ETIMEDOUT at the deadline.
 */
int vmm_wait_ready(const char *control_path, pid_t pid, int timeout_ms);

/*
 * query-status: *paused, and the console's path (pty) into console when it has one.
 * 0 or a negative errno.
 */
int vmm_query(const char *control_path, bool *paused, char *console, size_t len);

/* Whether pid is a live keel-vmm started with this control socket (after a restart). */
bool vmm_is_ours(pid_t pid, const char *control_path);

/*
 * A new TAP device (vnetN style name into name) with vnet headers, up, attached to
 * bridge; *fd is its open queue for keel-vmm's --net fd=N. 0 or a negative errno with
 * err set ("bridge 'br0' does not exist").
 */
int tap_create_on_bridge(const char *bridge, char *name, size_t len, int *fd, char *err,
			 size_t errlen);

#endif
