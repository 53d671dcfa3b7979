// SPDX-License-Identifier: GPL-2.0
/*
 * virtkeeld: Keel's libvirt driver daemon. Stock libvirt clients reach it as
 * keel:///system on /run/libvirt/virtkeeld-sock (read-write, 0600) and
 * /run/libvirt/virtkeeld-sock-ro (read-only, 0666). Runs in the foreground, logs to stderr
 * (the journal under systemd), stops on SIGTERM/SIGINT leaving running VMs running.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/registry.h"
#include "daemon/server.h"
#include "lib/evloop.h"
#include "lib/log.h"

struct options {
	const char *listen_dir, *state_dir, *run_dir, *log_dir, *vmm_path;
	unsigned workers;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: virtkeeld [options]\n"
		"  --listen DIR   the sockets virtkeeld-sock and virtkeeld-sock-ro in DIR\n"
		"                 (default /run/libvirt)\n"
		"  --state DIR    domain definitions (default /var/lib/keel/domains)\n"
		"  --run DIR      running domains: control sockets, consoles (default /run/keel)\n"
		"  --log-dir DIR  keel-vmm's log of each domain (default /var/log/keel)\n"
		"  --vmm PATH     the keel-vmm binary (default: next to virtkeeld)\n"
		"  --workers N    threads answering calls (default 4)\n"
		"  --verbose      log debugging messages\n"
		"  --help, --version\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 's' },
		{ "run", required_argument, NULL, 'r' },
		{ "log-dir", required_argument, NULL, 'L' },
		{ "vmm", required_argument, NULL, 'm' },
		{ "workers", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (opt) {
		case 'l': o->listen_dir = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'r': o->run_dir = optarg; break;
		case 'L': o->log_dir = optarg; break;
		case 'm': o->vmm_path = optarg; break;
		case 'w':
			o->workers = (unsigned)atoi(optarg);
			if (o->workers < 1 || o->workers > 64) {
				fprintf(stderr, "virtkeeld: --workers must be 1 to 64\n");
				return 1;
			}
			break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("virtkeeld %s\n", KEEL_VERSION); exit(0);
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "virtkeeld: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 1;
	}
	return 0;
}

/* keel-vmm next to this binary (build/ or the install prefix), else on the libexec path. */
static const char *default_vmm(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 16);
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash) {
			strcpy(slash + 1, "keel-vmm");
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "/usr/local/libexec/keel/keel-vmm";
}

static void on_signal(void *opaque, uint32_t events)
{
	struct evloop *loop = opaque;

	log_info("stopping (running domains keep running)");
	evloop_stop(loop);
}

static void on_event(void *opaque, const char *name, const uint8_t uuid[16], int id, int event,
		     int detail)
{
	struct server **srv = opaque;

	if (*srv)
		server_lifecycle_event(*srv, name, uuid, id, event, detail);
}

/* systemd socket activation: LISTEN_FDS from fd 3, the one named "virtkeeld-ro" read-only. */
static int adopt_activated(struct server *srv)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	int n = fds ? atoi(fds) : 0;

	if (!pid || atoi(pid) != getpid() || n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		char name[64] = "";
		const char *p = names;

		for (int k = 0; p && k < i; k++) {
			p = strchr(p, ':');
			p = p ? p + 1 : NULL;
		}
		if (p)
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, ":"), p);
		if (server_adopt_listener(srv, 3 + i, strstr(name, "-ro") != NULL))
			return -1;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct options o = {
		.listen_dir = "/run/libvirt", .state_dir = "/var/lib/keel/domains",
		.run_dir = "/run/keel", .log_dir = "/var/log/keel", .workers = 4,
	};
	char vmm_buf[PATH_MAX], rw[PATH_MAX], ro[PATH_MAX];
	struct server *srv = NULL;
	struct registry_config rc = { 0 };
	struct registry *reg;
	struct reg_error err;
	struct evloop *loop;
	sigset_t mask;
	int sfd, activated;

	if (parse_options(argc, argv, &o))
		return 1;
	log_init("virtkeeld", o.verbose ? LOG_DEBUG : LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	if (!o.vmm_path)
		o.vmm_path = default_vmm(vmm_buf, sizeof(vmm_buf));
	loop = evloop_create();
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!loop || sfd < 0 || evloop_add_fd(loop, sfd, EPOLLIN, on_signal, loop)) {
		log_error("cannot set up the event loop");
		return 1;
	}
	rc.state_dir = o.state_dir;
	rc.run_dir = o.run_dir;
	rc.log_dir = o.log_dir;
	rc.vmm_path = o.vmm_path;
	rc.loop = loop;
	rc.event = on_event;
	rc.event_opaque = &srv;
	reg = registry_create(&rc, &err);
	if (!reg) {
		log_error("%s", err.msg);
		return 1;
	}
	srv = server_create(loop, reg, o.workers);
	if (!srv) {
		log_error("cannot start the server");
		return 1;
	}
	activated = adopt_activated(srv);
	if (activated < 0) {
		log_error("cannot use the sockets systemd passed");
		return 1;
	}
	if (!activated) {
		mkdir(o.listen_dir, 0755);
		snprintf(rw, sizeof(rw), "%s/virtkeeld-sock", o.listen_dir);
		snprintf(ro, sizeof(ro), "%s/virtkeeld-sock-ro", o.listen_dir);
		if (server_listen(srv, rw, 0600, false) || server_listen(srv, ro, 0666, true)) {
			log_error("cannot listen on %s and %s: %s", rw, ro, strerror(errno));
			return 1;
		}
	}
	if (registry_load(reg, &err))
		log_error("%s", err.msg);
	log_info("listening on %s (keel-vmm: %s)", activated ? "systemd's sockets" : rw, o.vmm_path);
	evloop_run(loop);
	server_destroy(srv);
	srv = NULL;
	registry_destroy(reg);
	evloop_destroy(loop);
	return 0;
}
