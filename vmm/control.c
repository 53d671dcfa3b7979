// SPDX-License-Identifier: GPL-2.0
#include "vmm/control.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "vdevices/chardev.h"
#include "vdevices/virtio.h"
#include "vmm/vm.h"

#define CONTROL_LINE_MAX 65536
#define CONTROL_MAX_CLIENTS 16

struct control_client {
	struct control *ctl;
	int fd;
	char buf[CONTROL_LINE_MAX];
	size_t len;
};

struct control {
	struct vm *vm;
	int listen_fd;
	char *path;
	struct control_client *clients[CONTROL_MAX_CLIENTS];
};

static json_object *control_error(const char *class, const char *desc)
{
	json_object *err = json_object_new_object(), *reply = json_object_new_object();

	json_object_object_add(err, "class", json_object_new_string(class));
	json_object_object_add(err, "desc", json_object_new_string(desc));
	json_object_object_add(reply, "error", err);
	return reply;
}

static json_object *control_return(json_object *value)
{
	json_object *reply = json_object_new_object();

	json_object_object_add(reply, "return", value ? value : json_object_new_object());
	return reply;
}

static json_object *control_query_status(struct vm *vm)
{
	json_object *r = json_object_new_object(), *exits = json_object_new_object();
	static const char *const names[VCPU_EXIT_COUNT] = {
		"io", "mmio", "hlt", "shutdown", "intr", "irq-window", "ioapic-eoi",
		"system-event", "internal-error", "fail-entry", "unknown",
	};
	uint64_t total = 0;

	json_object_object_add(r, "status", json_object_new_string(vm->paused ? "paused" : "running"));
	json_object_object_add(r, "running", json_object_new_boolean(!vm->paused));
	json_object_object_add(r, "vcpus", json_object_new_int((int)vm->ncpus));
	json_object_object_add(r, "memory-mib", json_object_new_int64((int64_t)(vm->cfg->memory >> 20)));
	json_object_object_add(r, "accelerator", json_object_new_string(vm->accel_ops->name));
	json_object_object_add(r, "resets", json_object_new_int((int)vm->resets));
	json_object_object_add(r, "accel-reloads", json_object_new_int((int)vm->accel_reloads));
	/* Where a console client connects: the pty's or the socket's path (virtkeeld asks). */
	if (vm->console && chardev_path(vm->console))
		json_object_object_add(r, "console", json_object_new_string(chardev_path(vm->console)));
	for (unsigned e = 0; e < VCPU_EXIT_COUNT; e++) {
		uint64_t n = 0;

		for (unsigned i = 0; i < vm->ncpus; i++)
			n += __atomic_load_n(&vm->vcpus[i].exits[e], __ATOMIC_RELAXED);
		json_object_object_add(exits, names[e], json_object_new_int64((int64_t)n));
		total += n;
	}
	json_object_object_add(exits, "total", json_object_new_int64((int64_t)total));
	json_object_object_add(r, "exits", exits);
	return r;
}

/* Per virtio device: doorbells seen, how many came as vCPU exits, interrupts sent. */
static json_object *control_query_virtio(struct vm *vm)
{
	json_object *list = json_object_new_array();

	for (unsigned i = 0; i < vm->nvirtio; i++) {
		json_object *d = json_object_new_object();
		struct virtio_stats st;

		virtio_get_stats(vm->virtio[i], &st);
		json_object_object_add(d, "device", json_object_new_string(virtio_name(vm->virtio[i])));
		json_object_object_add(d, "kicks", json_object_new_int64((int64_t)st.kicks));
		json_object_object_add(d, "kick-exits", json_object_new_int64((int64_t)st.kick_exits));
		json_object_object_add(d, "interrupts", json_object_new_int64((int64_t)st.interrupts));
		json_object_array_add(list, d);
	}
	return list;
}

static json_object *control_execute(struct vm *vm, const char *name)
{
	if (!strcmp(name, "query-status"))
		return control_return(control_query_status(vm));
	if (!strcmp(name, "query-virtio"))
		return control_return(control_query_virtio(vm));
	if (!strcmp(name, "pause")) {
		if (!vm->paused)
			vm_pause(vm);
		return control_return(NULL);
	}
	if (!strcmp(name, "resume")) {
		if (vm->paused)
			vm_resume(vm);
		return control_return(NULL);
	}
	if (!strcmp(name, "powerdown")) {
		vm_power_button(vm);
		return control_return(NULL);
	}
	if (!strcmp(name, "reset")) {
		vm_raise_event(vm, VM_EVENT_RESET, "reset requested on the control socket");
		return control_return(NULL);
	}
	if (!strcmp(name, "reload-accel")) {
		/* Save and restore every vCPU into a new accelerator VM (the guest carries on). */
		char err[160];
		bool was_paused = vm->paused;

		if (!was_paused)
			vm_pause(vm);
		if (vm_reload_accel(vm, err, sizeof(err))) {
			if (!was_paused)
				vm_resume(vm);
			return control_error("GenericError", err);
		}
		if (!was_paused)
			vm_resume(vm);
		return control_return(NULL);
	}
	if (!strcmp(name, "quit")) {
		vm_raise_event(vm, VM_EVENT_QUIT, "quit requested on the control socket");
		return control_return(NULL);
	}
	return NULL;
}

char *control_handle_line(struct vm *vm, const char *line)
{
	json_object *req, *reply, *execute, *id = NULL;
	enum json_tokener_error jerr;
	char *out;

	req = json_tokener_parse_verbose(line, &jerr);
	if (!req) {
		reply = control_error("GenericError", "the request is not valid JSON");
	} else if (!json_object_is_type(req, json_type_object)) {
		reply = control_error("GenericError", "the request must be a JSON object");
	} else if (!json_object_object_get_ex(req, "execute", &execute) ||
		   !json_object_is_type(execute, json_type_string)) {
		reply = control_error("GenericError", "the request has no \"execute\" string");
	} else {
		reply = control_execute(vm, json_object_get_string(execute));
		if (!reply) {
			char desc[128];

			snprintf(desc, sizeof(desc), "unknown command '%.64s'",
				 json_object_get_string(execute));
			reply = control_error("CommandNotFound", desc);
		}
	}
	if (req && json_object_is_type(req, json_type_object) &&
	    json_object_object_get_ex(req, "id", &id))
		json_object_object_add(reply, "id", json_object_get(id));
	out = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	json_object_put(req);
	return out;
}

static void control_client_close(struct control_client *c)
{
	struct control *ctl = c->ctl;

	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->clients[i] == c)
			ctl->clients[i] = NULL;
	evloop_del_fd(ctl->vm->loop, c->fd);
	close(c->fd);
	free(c);
}

/* Replies are small; a client that does not read them is dropped, never waited for. */
static bool control_send(struct control_client *c, const char *reply)
{
	size_t len = strlen(reply);

	return send(c->fd, reply, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len &&
	       send(c->fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1;
}

static void control_client_readable(void *opaque, uint32_t events)
{
	struct control_client *c = opaque;
	ssize_t n;
	char *nl;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		control_client_close(c);
		return;
	}
	c->len += n;
	c->buf[c->len] = 0;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t line_len = nl - c->buf + 1;
		char *reply;

		*nl = 0;
		if (nl > c->buf && nl[-1] == '\r')
			nl[-1] = 0;
		reply = c->buf[0] ? control_handle_line(c->ctl->vm, c->buf) : NULL;
		memmove(c->buf, c->buf + line_len, c->len - line_len);
		c->len -= line_len;
		c->buf[c->len] = 0;
		if (reply) {
			bool sent = control_send(c, reply);

			free(reply);
			if (!sent) {
				control_client_close(c);
				return;
			}
		}
	}
	if (c->len == sizeof(c->buf) - 1) {
		char *reply = strdup("{\"error\":{\"class\":\"GenericError\",\"desc\":"
				     "\"request line too long\"}}");

		if (reply)
			control_send(c, reply);
		free(reply);
		control_client_close(c);
	}
}

static void control_accept(void *opaque, uint32_t events)
{
	struct control *ctl = opaque;
	struct control_client *c;
	unsigned slot;
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (slot = 0; slot < CONTROL_MAX_CLIENTS && ctl->clients[slot]; slot++)
		;
	c = slot < CONTROL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	if (evloop_add_fd(ctl->vm->loop, fd, EPOLLIN, control_client_readable, c)) {
		close(fd);
		free(c);
		return;
	}
	ctl->clients[slot] = c;
}

int control_create(struct vm *vm, const char *path, struct control **out, const char **why)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct control *ctl;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		*why = "socket path too long";
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		*why = "out of memory";
		return -ENOMEM;
	}
	ctl->vm = vm;
	ctl->path = strdup(path);
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	if (ctl->listen_fd < 0 || bind(ctl->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(ctl->listen_fd, 8) ||
	    evloop_add_fd(vm->loop, ctl->listen_fd, EPOLLIN, control_accept, ctl)) {
		*why = strerror(errno);
		if (ctl->listen_fd >= 0)
			close(ctl->listen_fd);
		free(ctl->path);
		free(ctl);
		return -EIO;
	}
	*out = ctl;
	return 0;
}

void control_destroy(struct control *ctl)
{
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->clients[i])
			control_client_close(ctl->clients[i]);
	evloop_del_fd(ctl->vm->loop, ctl->listen_fd);
	close(ctl->listen_fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
