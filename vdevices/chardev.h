/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Character backends for consoles (a UART now, virtio-console later):
 *   "stdio"       this process's stdin/stdout; a terminal is put in raw mode and restored
 *   "file:PATH"   output appended to PATH, no input
 *   "unix:PATH"   a listening UNIX socket at PATH; one client at a time gets the console
 *   "pty"         a new pseudo terminal; its path is logged and available from chardev_path()
 *   "null"        output dropped, no input
 * Output never blocks the caller: bytes a slow peer does not take wait in a 64 KiB ring
 * drained by the event loop, and are dropped (and counted) when the ring is full.
 * Input is read on the event loop and handed to the receiver as it has room.
 * A reader that went away never raises SIGPIPE: that output is dropped from then on.
 */
#ifndef KEEL_VDEVICES_CHARDEV_H
#define KEEL_VDEVICES_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct evloop;
struct chardev;

/* 0 or a negative errno; *err_msg (static string) says what was wrong with spec. */
int chardev_open(const char *spec, struct evloop *loop, struct chardev **out, const char **err_msg);
/* Call when the event loop is not running (or from its thread); tries one last drain. */
void chardev_close(struct chardev *cd);

/* Writes len bytes (drops what cannot be written now). Callable from any thread. */
void chardev_write(struct chardev *cd, const void *data, size_t len);

/*
 * Input: receive() is called on the event loop thread with at most can_receive() bytes.
 * When can_receive() returned 0, the device calls chardev_input_ready() once it has room.
 */
struct chardev_receiver {
	size_t (*can_receive)(void *opaque);
	void (*receive)(void *opaque, const uint8_t *data, size_t len);
	void *opaque;
};
void chardev_set_receiver(struct chardev *cd, const struct chardev_receiver *rx);
void chardev_input_ready(struct chardev *cd);

/* The pty's path or the socket's path; NULL for the others. */
const char *chardev_path(const struct chardev *cd);

/* Output bytes dropped because the ring was full (a peer not reading fast enough). */
uint64_t chardev_output_dropped(struct chardev *cd);

/*
 * Puts back the terminal settings a "stdio" backend replaced with raw mode. Registered with
 * atexit(); async-signal-safe, so the VMM's fatal-signal handlers call it too.
 */
void chardev_restore_terminal(void);

#endif
