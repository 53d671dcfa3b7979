/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: JSON lines on a UNIX stream socket. A request is one line,
 * {"execute": "NAME"} with optional "arguments" and "id"; the reply is one line,
 * {"return": {...}} or {"error": {"class": "...", "desc": "..."}}, with the same "id".
 * Commands: query-status, pause, resume, powerdown, reset, quit.
 */
#ifndef KEEL_VMM_CONTROL_H
#define KEEL_VMM_CONTROL_H

struct vm;
struct control;

int control_create(struct vm *vm, const char *path, struct control **out, const char **why);
void control_destroy(struct control *ctl);

/* Handles one request line; returns the reply line (malloc'ed, no newline). For tests too. */
char *control_handle_line(struct vm *vm, const char *line);

#endif
