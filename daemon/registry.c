// SPDX-License-Identifier: GPL-2.0
/*
 * The domain registry. One mutex guards the list; slow steps (starting keel-vmm, waiting
 * for it to stop) run with it held only where the state must not change meanwhile, and
 * keel-vmm's exit is seen on the main loop through a pidfd.
 */
#include "daemon/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/domxml.h"
#include "daemon/proto.h"
#include "daemon/vmm.h"
#include "lib/evloop.h"
#include "lib/log.h"

#define MAX_TAPS 8

struct domain {
	struct domain *next;
	struct registry *reg;
	struct domain_def *def;		/* the persistent definition; NULL when transient */
	struct domain_def *live;	/* what runs; NULL when shut off */
	char name[256];
	uint8_t uuid[16];
	bool autostart;
	int state, reason, id;
	pid_t pid;
	int pidfd;
	bool is_child, destroying, watched;
	bool starting;			/* keel-vmm being started, the lock dropped */
	char control[300], console[128];
	char taps[MAX_TAPS][16];
	unsigned ntaps;
};

struct registry {
	struct registry_config cfg;
	pthread_mutex_t lock;
	struct domain *domains;
	int next_id;
};

struct pending_event {
	char name[256];
	uint8_t uuid[16];
	int id, event, detail;
};

static int reg_fail(struct reg_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reg_fail(struct reg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void emit(struct registry *reg, const struct pending_event *e)
{
	if (reg->cfg.event)
		reg->cfg.event(reg->cfg.event_opaque, e->name, e->uuid, e->id, e->event, e->detail);
}

static struct pending_event event_of(const struct domain *d, int event, int detail)
{
	struct pending_event e = { .id = d->id, .event = event, .detail = detail };

	snprintf(e.name, sizeof(e.name), "%s", d->name);
	memcpy(e.uuid, d->uuid, 16);
	return e;
}

/* ---- files ---- */

static int write_file_atomic(const char *path, const char *data, size_t len)
{
	char tmp[600];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		ret = errno ? -errno : -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void dom_path(const struct registry *reg, const struct domain *d, bool run,
		     const char *suffix, char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s", run ? reg->cfg.run_dir : reg->cfg.state_dir, d->name, suffix);
}

static int save_definition(struct registry *reg, struct domain *d)
{
	char path[600], *xml = domxml_format(d->def, NULL);
	int ret;

	if (!xml)
		return -ENOMEM;
	dom_path(reg, d, false, ".xml", path, sizeof(path));
	ret = write_file_atomic(path, xml, strlen(xml));
	free(xml);
	return ret;
}

/* The running domain's record: enough to find it again after a restart. */
static void save_runtime(struct registry *reg, struct domain *d)
{
	char path[600], rec[1024], *xml = domxml_format(d->live, NULL);
	int n;

	if (xml) {
		dom_path(reg, d, true, ".xml", path, sizeof(path));
		write_file_atomic(path, xml, strlen(xml));
		free(xml);
	}
	n = snprintf(rec, sizeof(rec), "pid=%d\nid=%d\nstate=%d\nreason=%d\ncontrol=%s\n",
		     (int)d->pid, d->id, d->state, d->reason, d->control);
	for (unsigned i = 0; i < d->ntaps && n < (int)sizeof(rec); i++)
		n += snprintf(rec + n, sizeof(rec) - (size_t)n, "tap=%s\n", d->taps[i]);
	dom_path(reg, d, true, ".state", path, sizeof(path));
	write_file_atomic(path, rec, strlen(rec));
}

static void remove_runtime(struct registry *reg, struct domain *d)
{
	static const char *const suffixes[] = { ".xml", ".state", ".pty" };
	char path[600];

	for (unsigned i = 0; i < 3; i++) {
		dom_path(reg, d, true, suffixes[i], path, sizeof(path));
		unlink(path);
	}
}

/* ---- lookups ---- */

static struct domain *find_uuid(struct registry *reg, const uint8_t uuid[16])
{
	for (struct domain *d = reg->domains; d; d = d->next)
		if (!memcmp(d->uuid, uuid, 16))
			return d;
	return NULL;
}

static struct domain *find_name(struct registry *reg, const char *name)
{
	for (struct domain *d = reg->domains; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

static bool active(const struct domain *d)
{
	return d->state != KP_DOMAIN_SHUTOFF || d->starting;
}

static uint64_t cpu_time_ns(pid_t pid)
{
	char path[64], *buf, *p;
	unsigned long long ut = 0, st = 0;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	buf = read_file(path, 4096);
	if (!buf)
		return 0;
	/* After the command name in parentheses: fields 3.., utime is 14, stime 15. */
	p = strrchr(buf, ')');
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			&st) != 2)
		ut = st = 0;
	free(buf);
	return hz > 0 ? (ut + st) * (1000000000ULL / (unsigned long long)hz) : 0;
}

static void info_of(const struct domain *d, struct dom_info *out)
{
	const struct domain_def *def = d->live ? d->live : d->def;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", d->name);
	memcpy(out->uuid, d->uuid, 16);
	out->id = active(d) ? d->id : -1;
	out->state = d->state;
	out->reason = d->reason;
	out->persistent = d->def != NULL;
	out->autostart = d->autostart;
	out->max_kib = def->memory_kib;
	out->cur_kib = def->current_memory_kib;
	out->vcpus = def->vcpus;
	out->cpu_time_ns = active(d) ? cpu_time_ns(d->pid) : 0;
}

static int lookup(struct registry *reg, struct domain *d, struct dom_info *out,
		  struct reg_error *err, const char *what)
{
	if (!d) {
		pthread_mutex_unlock(&reg->lock);
		return reg_fail(err, KP_ERR_NO_DOMAIN, "Domain not found: no domain with matching %s",
				what);
	}
	if (out)
		info_of(d, out);
	pthread_mutex_unlock(&reg->lock);
	return 0;
}

int registry_by_name(struct registry *reg, const char *name, struct dom_info *out,
		     struct reg_error *err)
{
	char what[300];

	snprintf(what, sizeof(what), "name '%s'", name);
	pthread_mutex_lock(&reg->lock);
	return lookup(reg, find_name(reg, name), out, err, what);
}

int registry_by_uuid(struct registry *reg, const uint8_t uuid[16], struct dom_info *out,
		     struct reg_error *err)
{
	char s[37], what[64];

	domxml_uuid_format(uuid, s);
	snprintf(what, sizeof(what), "uuid '%s'", s);
	pthread_mutex_lock(&reg->lock);
	return lookup(reg, find_uuid(reg, uuid), out, err, what);
}

int registry_by_id(struct registry *reg, int id, struct dom_info *out, struct reg_error *err)
{
	struct domain *d;
	char what[32];

	snprintf(what, sizeof(what), "id %d", id);
	pthread_mutex_lock(&reg->lock);
	for (d = reg->domains; d; d = d->next)
		if (active(d) && d->id == id)
			break;
	return lookup(reg, d, out, err, what);
}

int registry_list(struct registry *reg, struct dom_info **out, size_t *count)
{
	size_t n = 0, i = 0;
	struct domain *d;

	pthread_mutex_lock(&reg->lock);
	for (d = reg->domains; d; d = d->next)
		n++;
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out) {
		pthread_mutex_unlock(&reg->lock);
		return -ENOMEM;
	}
	for (d = reg->domains; d; d = d->next)
		info_of(d, &(*out)[i++]);
	*count = n;
	pthread_mutex_unlock(&reg->lock);
	return 0;
}

/* ---- definitions ---- */

/* A name becomes file names and lines of the run records: no '/', no leading '.', no
 * control characters. */
static bool name_ok(const char *name)
{
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 200;
}

static int parse_xml(const char *xml, struct domain_def **def, struct reg_error *err)
{
	char msg[400];

	if (domxml_parse(xml, strlen(xml), def, msg, sizeof(msg)))
		return reg_fail(err, KP_ERR_XML_ERROR, "%s", msg);
	if (!name_ok((*def)->name)) {
		reg_fail(err, KP_ERR_XML_ERROR, "invalid domain name '%s'", (*def)->name);
		domain_def_free(*def);
		return -1;
	}
	if (domxml_fill_defaults(*def)) {
		domain_def_free(*def);
		return reg_fail(err, KP_ERR_INTERNAL_ERROR, "cannot fill in the domain's defaults");
	}
	return 0;
}

static struct domain *domain_new(struct registry *reg, const struct domain_def *def)
{
	struct domain *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->reg = reg;
	snprintf(d->name, sizeof(d->name), "%s", def->name);
	memcpy(d->uuid, def->uuid, 16);
	d->state = KP_DOMAIN_SHUTOFF;
	d->reason = KP_SHUTOFF_UNKNOWN;
	d->id = -1;
	d->pidfd = -1;
	d->next = reg->domains;
	reg->domains = d;
	return d;
}

static void domain_unlink(struct registry *reg, struct domain *d)
{
	struct domain **pp;

	for (pp = &reg->domains; *pp && *pp != d; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = d->next;
	domain_def_free(d->def);
	domain_def_free(d->live);
	free(d);
}

/* The same name with another uuid, or the same uuid with another name, is a conflict. */
static int check_conflict(struct registry *reg, const struct domain_def *def,
			  struct domain **existing, struct reg_error *err)
{
	struct domain *by_name = find_name(reg, def->name), *by_uuid = find_uuid(reg, def->uuid);
	char s[37];

	if (by_name && by_name != by_uuid) {
		domxml_uuid_format(by_name->uuid, s);
		return reg_fail(err, KP_ERR_OPERATION_FAILED,
				"domain '%s' already exists with uuid %s", def->name, s);
	}
	if (by_uuid && by_uuid != by_name)
		return reg_fail(err, KP_ERR_OPERATION_FAILED,
				"domain '%s' is already defined with the same uuid", by_uuid->name);
	*existing = by_uuid;
	return 0;
}

int registry_define(struct registry *reg, const char *xml, struct dom_info *out,
		    struct reg_error *err)
{
	struct domain_def *def, *old;
	struct domain *d;
	int ret;

	if (parse_xml(xml, &def, err))
		return -1;
	pthread_mutex_lock(&reg->lock);
	if (check_conflict(reg, def, &d, err)) {
		pthread_mutex_unlock(&reg->lock);
		domain_def_free(def);
		return -1;
	}
	if (!d)
		d = domain_new(reg, def);
	if (!d) {
		pthread_mutex_unlock(&reg->lock);
		domain_def_free(def);
		return reg_fail(err, KP_ERR_INTERNAL_ERROR, "out of memory");
	}
	old = d->def;
	d->def = def;
	ret = save_definition(reg, d);
	if (ret) {
		d->def = old;
		if (!old && !active(d))
			domain_unlink(reg, d);
		pthread_mutex_unlock(&reg->lock);
		domain_def_free(def);
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "cannot save the definition: %s",
				strerror(-ret));
	}
	domain_def_free(old);
	info_of(d, out);
	{
		struct pending_event e = event_of(d, KP_EVENT_DEFINED,
						  old ? KP_EVENT_DEFINED_UPDATED : KP_EVENT_DEFINED_ADDED);

		pthread_mutex_unlock(&reg->lock);
		emit(reg, &e);
	}
	return 0;
}

/* The persistent domain with uuid, locked; NULL (unlocked, err set) otherwise. */
static struct domain *lock_persistent(struct registry *reg, const uint8_t uuid[16],
				      const char *what, struct reg_error *err)
{
	struct domain *d;

	pthread_mutex_lock(&reg->lock);
	d = find_uuid(reg, uuid);
	if (d && d->def)
		return d;
	pthread_mutex_unlock(&reg->lock);
	if (d)
		reg_fail(err, KP_ERR_OPERATION_INVALID, "cannot %s a transient domain", what);
	else
		reg_fail(err, KP_ERR_NO_DOMAIN, "Domain not found");
	return NULL;
}

int registry_undefine(struct registry *reg, const uint8_t uuid[16], struct reg_error *err)
{
	struct pending_event e;
	struct domain *d;
	char path[600];

	d = lock_persistent(reg, uuid, "undefine", err);
	if (!d)
		return -1;
	dom_path(reg, d, false, ".xml", path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT) {
		pthread_mutex_unlock(&reg->lock);
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "cannot remove %s: %s", path,
				strerror(errno));
	}
	dom_path(reg, d, false, ".autostart", path, sizeof(path));
	unlink(path);
	e = event_of(d, KP_EVENT_UNDEFINED, KP_EVENT_UNDEFINED_REMOVED);
	domain_def_free(d->def);
	d->def = NULL;
	d->autostart = false;
	/* A running domain stays, transient, until it stops. */
	if (!active(d))
		domain_unlink(reg, d);
	pthread_mutex_unlock(&reg->lock);
	emit(reg, &e);
	return 0;
}

/* ---- running ---- */

static void vmm_exited(void *opaque, uint32_t events);

static void watch(struct domain *d)
{
	d->pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	if (d->pidfd < 0)
		return;
	fcntl(d->pidfd, F_SETFD, FD_CLOEXEC);
	d->watched = !evloop_add_fd(d->reg->cfg.loop, d->pidfd, EPOLLIN, vmm_exited, d);
}

/* The last lines of keel-vmm's log: why it did not start. */
static void log_tail(const char *path, char *out, size_t len)
{
	char *buf = read_file(path, 1 << 16), *p, *line;

	out[0] = '\0';
	if (!buf)
		return;
	for (p = buf + strlen(buf); p > buf && (p[-1] == '\n' || p[-1] == ' '); p--)
		p[-1] = '\0';
	line = strrchr(buf, '\n');
	snprintf(out, len, "%s", line ? line + 1 : buf);
	free(buf);
}

static int next_id(struct registry *reg)
{
	char path[600], buf[32];
	int id = reg->next_id++;

	snprintf(path, sizeof(path), "%s/next-id", reg->cfg.run_dir);
	snprintf(buf, sizeof(buf), "%d\n", reg->next_id);
	write_file_atomic(path, buf, strlen(buf));
	return id;
}

static int make_taps(struct domain *d, struct vmm_launch *launch, int *fds, unsigned *nfds,
		     struct reg_error *err)
{
	const struct domain_def *def = d->live;
	char msg[256];

	d->ntaps = 0;
	for (unsigned i = 0; i < def->ninterfaces && i < MAX_TAPS; i++) {
		const struct domain_iface *nic = &def->interfaces[i];
		int fd;

		if (nic->type != DOMAIN_IFACE_BRIDGE)
			continue;
		if (tap_create_on_bridge(nic->bridge, d->taps[i], sizeof(d->taps[i]), &fd, msg,
					 sizeof(msg)))
			return reg_fail(err, KP_ERR_OPERATION_FAILED, "interface %u: %s", i, msg);
		launch->tap_fds[i] = fd;
		fds[(*nfds)++] = fd;
		d->ntaps = i + 1;
	}
	return 0;
}

/* Starts keel-vmm for d->live; lock held. */
static int spawn(struct registry *reg, struct domain *d, bool paused, struct reg_error *err)
{
	struct vmm_launch launch = { .vmm_path = reg->cfg.vmm_path };
	char log_path[600], why[512], **argv = NULL, console_link[600];
	int fds[MAX_TAPS], ret;
	unsigned nfds = 0;
	bool is_paused = false;

	for (unsigned i = 0; i < MAX_TAPS; i++)
		launch.tap_fds[i] = -1;
	snprintf(d->control, sizeof(d->control), "%s/%s.ctl", reg->cfg.run_dir, d->name);
	launch.control_path = d->control;
	snprintf(log_path, sizeof(log_path), "%s/%s.log", reg->cfg.log_dir, d->name);
	ret = make_taps(d, &launch, fds, &nfds, err);
	if (!ret && domain_def_vmm_args(d->live, &launch, &argv))
		ret = reg_fail(err, KP_ERR_INTERNAL_ERROR, "cannot build keel-vmm's arguments");
	if (ret) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return ret;
	}
	/*
	 * keel-vmm may take seconds to answer: the registry is free meanwhile, and d stays
	 * (every operation refuses a starting domain; see lock_running, undefine).
	 */
	d->starting = true;
	pthread_mutex_unlock(&reg->lock);
	ret = vmm_spawn(argv, fds, nfds, log_path, &d->pid, why, sizeof(why));
	domain_vmm_args_free(argv);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	if (!ret && vmm_wait_ready(d->control, d->pid, 15000)) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		log_tail(log_path, why, sizeof(why));
		ret = -ETIMEDOUT;
	}
	if (!ret && paused)
		vmm_command(d->control, "pause", NULL, 0, 10000);
	if (!ret)
		vmm_query(d->control, &is_paused, d->console, sizeof(d->console));
	pthread_mutex_lock(&reg->lock);
	d->starting = false;
	if (ret == -ETIMEDOUT)
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "keel-vmm did not start: %s",
				why[0] ? why : "no answer on its control socket");
	if (ret)
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "%s", why);
	d->is_child = true;
	if (d->console[0]) {
		snprintf(console_link, sizeof(console_link), "%s/%s.pty", reg->cfg.run_dir, d->name);
		unlink(console_link);
		if (symlink(d->console, console_link) < 0)
			log_warn("%s: cannot link %s: %s", d->name, console_link, strerror(errno));
	}
	d->id = next_id(reg);
	d->state = is_paused ? KP_DOMAIN_PAUSED : KP_DOMAIN_RUNNING;
	d->reason = is_paused ? KP_PAUSED_USER : KP_RUNNING_BOOTED;
	d->destroying = false;
	watch(d);
	save_runtime(reg, d);
	log_info("%s: started, keel-vmm pid %d, id %d", d->name, (int)d->pid, d->id);
	return 0;
}

static int start_locked(struct registry *reg, struct domain *d, bool paused, struct reg_error *err)
{
	if (active(d))
		return reg_fail(err, KP_ERR_OPERATION_INVALID, "domain is already running");
	d->live = domxml_copy(d->def);
	if (!d->live)
		return reg_fail(err, KP_ERR_INTERNAL_ERROR, "out of memory");
	if (spawn(reg, d, paused, err)) {
		domain_def_free(d->live);
		d->live = NULL;
		return -1;
	}
	return 0;
}

static void started_events(struct registry *reg, struct domain *d, struct pending_event *e,
			   unsigned *n)
{
	e[(*n)++] = event_of(d, KP_EVENT_STARTED, KP_EVENT_STARTED_BOOTED);
	if (d->state == KP_DOMAIN_PAUSED)
		e[(*n)++] = event_of(d, KP_EVENT_SUSPENDED, KP_EVENT_SUSPENDED_PAUSED);
}

int registry_start(struct registry *reg, const uint8_t uuid[16], bool paused,
		   struct reg_error *err)
{
	struct pending_event e[2];
	unsigned n = 0;
	struct domain *d;

	pthread_mutex_lock(&reg->lock);
	d = find_uuid(reg, uuid);
	if (!d) {
		pthread_mutex_unlock(&reg->lock);
		return reg_fail(err, KP_ERR_NO_DOMAIN, "Domain not found");
	}
	if (start_locked(reg, d, paused, err)) {
		/* Undefined while it was starting: nothing is left of it. */
		if (!d->def && !active(d))
			domain_unlink(reg, d);
		pthread_mutex_unlock(&reg->lock);
		return -1;
	}
	started_events(reg, d, e, &n);
	pthread_mutex_unlock(&reg->lock);
	for (unsigned i = 0; i < n; i++)
		emit(reg, &e[i]);
	return 0;
}

int registry_create_xml(struct registry *reg, const char *xml, bool paused, struct dom_info *out,
			struct reg_error *err)
{
	struct pending_event e[2];
	struct domain_def *def;
	struct domain *d;
	unsigned n = 0;

	if (parse_xml(xml, &def, err))
		return -1;
	pthread_mutex_lock(&reg->lock);
	if (check_conflict(reg, def, &d, err)) {
		pthread_mutex_unlock(&reg->lock);
		domain_def_free(def);
		return -1;
	}
	if (d && active(d)) {
		pthread_mutex_unlock(&reg->lock);
		domain_def_free(def);
		return reg_fail(err, KP_ERR_OPERATION_INVALID, "domain '%s' is already running",
				d->name);
	}
	if (!d)
		d = domain_new(reg, def);
	if (!d) {
		pthread_mutex_unlock(&reg->lock);
		domain_def_free(def);
		return reg_fail(err, KP_ERR_INTERNAL_ERROR, "out of memory");
	}
	d->live = def;
	if (spawn(reg, d, paused, err)) {
		d->live = NULL;
		domain_def_free(def);
		if (!d->def)
			domain_unlink(reg, d);
		pthread_mutex_unlock(&reg->lock);
		return -1;
	}
	started_events(reg, d, e, &n);
	info_of(d, out);
	pthread_mutex_unlock(&reg->lock);
	for (unsigned i = 0; i < n; i++)
		emit(reg, &e[i]);
	return 0;
}

struct restart_job {
	struct registry *reg;
	uint8_t uuid[16];
	char name[256];
};

static void *restart_main(void *arg)
{
	struct restart_job *j = arg;
	struct reg_error err;

	if (registry_start(j->reg, j->uuid, false, &err))
		log_error("%s: restart failed: %s", j->name, err.msg);
	free(j);
	return NULL;
}

/* on_poweroff/on_crash=restart: started off the main thread, which must keep serving. */
static void restart_later(struct registry *reg, const struct domain *d)
{
	struct restart_job *j = malloc(sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;

	if (!j)
		return;
	j->reg = reg;
	memcpy(j->uuid, d->uuid, 16);
	snprintf(j->name, sizeof(j->name), "%s", d->name);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, restart_main, j)) {
		log_error("%s: cannot restart: no thread", d->name);
		free(j);
	}
	pthread_attr_destroy(&attr);
}

/* keel-vmm ended: state, reason, events and the on_* action. Lock held. */
static unsigned handle_exit(struct registry *reg, struct domain *d, int status, bool known,
			    struct pending_event *e)
{
	unsigned n = 0;
	enum domain_action action = DOMAIN_ACTION_DESTROY;
	int code = known && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	bool restart;

	if (d->watched)
		evloop_del_fd(reg->cfg.loop, d->pidfd);
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
	d->watched = false;
	d->state = KP_DOMAIN_SHUTOFF;
	if (d->destroying) {
		d->reason = KP_SHUTOFF_DESTROYED;
		e[n++] = event_of(d, KP_EVENT_STOPPED, KP_EVENT_STOPPED_DESTROYED);
	} else if (code == 0 || code == 2 || !known) {
		/* Powered off, or rebooted under on_reboot=destroy (--no-reboot). */
		d->reason = KP_SHUTOFF_SHUTDOWN;
		e[n++] = event_of(d, KP_EVENT_SHUTDOWN, KP_EVENT_SHUTDOWN_FINISHED);
		e[n++] = event_of(d, KP_EVENT_STOPPED, KP_EVENT_STOPPED_SHUTDOWN);
		action = code == 2 ? d->live->on_reboot : d->live->on_poweroff;
	} else {
		d->reason = KP_SHUTOFF_CRASHED;
		e[n++] = event_of(d, KP_EVENT_STOPPED, KP_EVENT_STOPPED_CRASHED);
		action = d->live->on_crash;
	}
	log_info("%s: keel-vmm ended (%s)", d->name,
		 d->destroying ? "destroyed" : code == 0 ? "powered off" : code < 0 ? "killed" :
		 "crashed or failed");
	remove_runtime(reg, d);
	restart = !d->destroying && (action == DOMAIN_ACTION_RESTART ||
				     action == DOMAIN_ACTION_RENAME_RESTART);
	domain_def_free(d->live);
	d->live = NULL;
	d->id = -1;
	d->destroying = false;
	if (restart && d->def)
		restart_later(reg, d);
	return n;
}

static void vmm_exited(void *opaque, uint32_t events)
{
	struct domain *d = opaque;
	struct registry *reg = d->reg;
	struct pending_event e[6];
	int status = 0;
	bool known = false;
	unsigned n;

	pthread_mutex_lock(&reg->lock);
	if (d->is_child)
		known = waitpid(d->pid, &status, WNOHANG) == d->pid;
	n = handle_exit(reg, d, status, known, e);
	if (!d->def && !active(d))
		domain_unlink(reg, d);
	pthread_mutex_unlock(&reg->lock);
	for (unsigned i = 0; i < n; i++)
		emit(reg, &e[i]);
}

/* The running domain with uuid, locked; NULL (unlocked, err set) otherwise. */
static struct domain *lock_running(struct registry *reg, const uint8_t uuid[16],
				   struct reg_error *err)
{
	struct domain *d;

	pthread_mutex_lock(&reg->lock);
	d = find_uuid(reg, uuid);
	if (d && active(d) && !d->starting)
		return d;
	pthread_mutex_unlock(&reg->lock);
	if (d && d->starting)
		reg_fail(err, KP_ERR_OPERATION_INVALID, "domain is being started");
	else if (d)
		reg_fail(err, KP_ERR_OPERATION_INVALID, "domain is not running");
	else
		reg_fail(err, KP_ERR_NO_DOMAIN, "Domain not found");
	return NULL;
}

/* Waits (lock dropped) until keel-vmm is gone; then the exit handler has run or will. */
static bool wait_gone(pid_t pid, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 10; i++) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		/* A zombie child counts as gone: the main loop reaps it. */
		{
			char path[64], *st;
			bool zombie;

			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
			st = read_file(path, 512);
			zombie = st && strstr(st, ") Z ");
			free(st);
			if (zombie)
				return true;
		}
		usleep(10000);
	}
	return false;
}

int registry_destroy_domain(struct registry *reg, const uint8_t uuid[16], struct reg_error *err)
{
	struct domain *d;
	pid_t pid;
	char control[300];

	d = lock_running(reg, uuid, err);
	if (!d)
		return -1;
	d->destroying = true;
	pid = d->pid;
	snprintf(control, sizeof(control), "%s", d->control);
	pthread_mutex_unlock(&reg->lock);
	/* The guest stops at once either way: keel-vmm is asked to quit, then killed. */
	if (vmm_command(control, "quit", NULL, 0, 2000) || !wait_gone(pid, 3000)) {
		kill(pid, SIGKILL);
		if (!wait_gone(pid, 5000))
			return reg_fail(err, KP_ERR_OPERATION_FAILED, "keel-vmm (pid %d) did not stop",
					(int)pid);
	}
	/* The main loop's exit handler finishes the state change; wait for it. */
	for (int i = 0; i < 500; i++) {
		bool done;

		pthread_mutex_lock(&reg->lock);
		d = find_uuid(reg, uuid);
		done = !d || !active(d) || d->pid != pid;
		pthread_mutex_unlock(&reg->lock);
		if (done)
			return 0;
		usleep(10000);
	}
	return 0;
}

static int control_op(struct registry *reg, const uint8_t uuid[16], const char *command,
		      int need_state, int new_state, int new_reason, int event, int detail,
		      struct reg_error *err)
{
	struct pending_event e;
	struct domain *d;
	char reply[512];

	d = lock_running(reg, uuid, err);
	if (!d)
		return -1;
	if (need_state >= 0 && d->state != need_state) {
		pthread_mutex_unlock(&reg->lock);
		return reg_fail(err, KP_ERR_OPERATION_INVALID, "domain is not %s",
				need_state == KP_DOMAIN_PAUSED ? "paused" : "running");
	}
	if (vmm_command(d->control, command, reply, sizeof(reply), 10000)) {
		pthread_mutex_unlock(&reg->lock);
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "keel-vmm refused '%s': %s", command,
				reply);
	}
	if (new_state >= 0) {
		d->state = new_state;
		d->reason = new_reason;
		save_runtime(reg, d);
	}
	e = event_of(d, event, detail);
	pthread_mutex_unlock(&reg->lock);
	if (event >= 0)
		emit(reg, &e);
	return 0;
}

int registry_shutdown(struct registry *reg, const uint8_t uuid[16], struct reg_error *err)
{
	return control_op(reg, uuid, "powerdown", -1, -1, 0, -1, 0, err);
}

int registry_reboot(struct registry *reg, const uint8_t uuid[16], struct reg_error *err)
{
	return control_op(reg, uuid, "reset", -1, -1, 0, -1, 0, err);
}

int registry_suspend(struct registry *reg, const uint8_t uuid[16], struct reg_error *err)
{
	return control_op(reg, uuid, "pause", KP_DOMAIN_RUNNING, KP_DOMAIN_PAUSED, KP_PAUSED_USER,
			  KP_EVENT_SUSPENDED, KP_EVENT_SUSPENDED_PAUSED, err);
}

int registry_resume(struct registry *reg, const uint8_t uuid[16], struct reg_error *err)
{
	return control_op(reg, uuid, "resume", KP_DOMAIN_PAUSED, KP_DOMAIN_RUNNING,
			  KP_RUNNING_UNPAUSED, KP_EVENT_RESUMED, KP_EVENT_RESUMED_UNPAUSED, err);
}

int registry_set_autostart(struct registry *reg, const uint8_t uuid[16], bool on,
			   struct reg_error *err)
{
	struct domain *d;
	char path[600];
	int ret = 0;

	d = lock_persistent(reg, uuid, "set autostart for", err);
	if (!d)
		return -1;
	dom_path(reg, d, false, ".autostart", path, sizeof(path));
	if (on)
		ret = write_file_atomic(path, "1\n", 2);
	else if (unlink(path) < 0 && errno != ENOENT)
		ret = -errno;
	if (!ret)
		d->autostart = on;
	pthread_mutex_unlock(&reg->lock);
	if (ret)
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "cannot change autostart: %s",
				strerror(-ret));
	return 0;
}

char *registry_xml(struct registry *reg, const uint8_t uuid[16], bool inactive,
		   struct reg_error *err)
{
	struct domain_live live = { 0 };
	const char *taps[MAX_TAPS + 1] = { 0 };
	struct domain *d;
	char *xml;

	pthread_mutex_lock(&reg->lock);
	d = find_uuid(reg, uuid);
	if (!d) {
		pthread_mutex_unlock(&reg->lock);
		reg_fail(err, KP_ERR_NO_DOMAIN, "Domain not found");
		return NULL;
	}
	if (active(d) && (!inactive || !d->def)) {
		for (unsigned i = 0; i < d->ntaps; i++)
			taps[i] = d->taps[i];
		live.id = d->id;
		live.pty_path = d->console[0] ? d->console : NULL;
		live.tap_names = taps;
		xml = domxml_format(d->live, &live);
	} else {
		xml = domxml_format(d->def, NULL);
	}
	pthread_mutex_unlock(&reg->lock);
	if (!xml)
		reg_fail(err, KP_ERR_INTERNAL_ERROR, "cannot format the domain's XML");
	return xml;
}

int registry_console(struct registry *reg, const uint8_t uuid[16], int *fd, struct reg_error *err)
{
	struct domain *d;
	char path[128];

	d = lock_running(reg, uuid, err);
	if (!d)
		return -1;
	snprintf(path, sizeof(path), "%s", d->console);
	pthread_mutex_unlock(&reg->lock);
	if (!path[0])
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "the domain has no console pty");
	*fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "cannot open console %s: %s", path,
				strerror(errno));
	return 0;
}

/* ---- start-up ---- */

static void load_definition(struct registry *reg, const char *file)
{
	char path[600], *xml;
	struct domain_def *def;
	struct reg_error err;
	struct domain *d;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", reg->cfg.state_dir, file);
	xml = read_file(path, 1 << 20);
	if (!xml)
		return;
	if (parse_xml(xml, &def, &err)) {
		log_error("%s: %s; skipped", path, err.msg);
		free(xml);
		return;
	}
	free(xml);
	if (find_uuid(reg, def->uuid) || find_name(reg, def->name) || !(d = domain_new(reg, def))) {
		log_error("%s: a duplicate definition; skipped", path);
		domain_def_free(def);
		return;
	}
	d->def = def;
	dom_path(reg, d, false, ".autostart", path, sizeof(path));
	d->autostart = stat(path, &st) == 0;
}

static void parse_record(struct domain *d, char *rec)
{
	for (char *line = strtok(rec, "\n"); line; line = strtok(NULL, "\n")) {
		int v;

		if (sscanf(line, "pid=%d", &v) == 1)
			d->pid = v;
		else if (sscanf(line, "id=%d", &v) == 1)
			d->id = v;
		else if (!strncmp(line, "control=", 8))
			snprintf(d->control, sizeof(d->control), "%s", line + 8);
		else if (!strncmp(line, "tap=", 4) && d->ntaps < MAX_TAPS)
			snprintf(d->taps[d->ntaps++], sizeof(d->taps[0]), "%s", line + 4);
	}
}

/* A running domain's record: found again if its keel-vmm lives, else cleaned up. */
static void rediscover(struct registry *reg, const char *file)
{
	char path[600], name[256], *rec, *xml;
	struct domain_def *live = NULL;
	struct domain tmp = { 0 }, *d;
	struct reg_error err;
	bool paused = false;

	snprintf(name, sizeof(name), "%.*s", (int)(strlen(file) - 6), file);
	snprintf(path, sizeof(path), "%s/%s", reg->cfg.run_dir, file);
	rec = read_file(path, 4096);
	snprintf(tmp.name, sizeof(tmp.name), "%s", name);
	if (!rec)
		return;
	parse_record(&tmp, rec);
	free(rec);
	dom_path(reg, &tmp, true, ".xml", path, sizeof(path));
	xml = read_file(path, 1 << 20);
	if (!xml || parse_xml(xml, &live, &err) || !vmm_is_ours(tmp.pid, tmp.control) ||
	    vmm_query(tmp.control, &paused, tmp.console, sizeof(tmp.console))) {
		log_info("%s: its keel-vmm is gone; cleaning up", name);
		free(xml);
		if (live)
			domain_def_free(live);
		remove_runtime(reg, &tmp);
		return;
	}
	free(xml);
	d = find_uuid(reg, live->uuid);
	if (!d)
		d = domain_new(reg, live);
	if (!d) {
		domain_def_free(live);
		return;
	}
	d->live = live;
	d->pid = tmp.pid;
	d->id = tmp.id;
	d->ntaps = tmp.ntaps;
	memcpy(d->taps, tmp.taps, sizeof(d->taps));
	snprintf(d->control, sizeof(d->control), "%s", tmp.control);
	snprintf(d->console, sizeof(d->console), "%s", tmp.console);
	d->state = paused ? KP_DOMAIN_PAUSED : KP_DOMAIN_RUNNING;
	d->reason = paused ? KP_PAUSED_USER : KP_RUNNING_BOOTED;
	d->is_child = false;
	if (d->id >= reg->next_id)
		reg->next_id = d->id + 1;
	watch(d);
	log_info("%s: found running again (keel-vmm pid %d, id %d)", d->name, (int)d->pid, d->id);
}

static int for_each_file(const char *dir, const char *suffix, void (*fn)(struct registry *, const char *),
			 struct registry *reg)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(suffix);

	if (!dh)
		return -errno;
	while ((e = readdir(dh))) {
		size_t l = strlen(e->d_name);

		if (l > sl && !strcmp(e->d_name + l - sl, suffix) && e->d_name[0] != '.')
			fn(reg, e->d_name);
	}
	closedir(dh);
	return 0;
}

int registry_load(struct registry *reg, struct reg_error *err)
{
	struct pending_event e[64];
	unsigned n = 0;
	char path[600], *buf;

	pthread_mutex_lock(&reg->lock);
	snprintf(path, sizeof(path), "%s/next-id", reg->cfg.run_dir);
	buf = read_file(path, 64);
	reg->next_id = buf && atoi(buf) > 0 ? atoi(buf) : 1;
	free(buf);
	if (for_each_file(reg->cfg.state_dir, ".xml", load_definition, reg) ||
	    for_each_file(reg->cfg.run_dir, ".state", rediscover, reg)) {
		pthread_mutex_unlock(&reg->lock);
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "cannot read %s or %s",
				reg->cfg.state_dir, reg->cfg.run_dir);
	}
	for (struct domain *d = reg->domains; d; d = d->next) {
		struct reg_error serr;

		if (!d->autostart || active(d))
			continue;
		if (start_locked(reg, d, false, &serr))
			log_error("%s: autostart failed: %s", d->name, serr.msg);
		else if (n + 2 <= 64)
			started_events(reg, d, e, &n);
	}
	pthread_mutex_unlock(&reg->lock);
	for (unsigned i = 0; i < n; i++)
		emit(reg, &e[i]);
	return 0;
}

static int make_dir(const char *path, struct reg_error *err)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return reg_fail(err, KP_ERR_OPERATION_FAILED, "cannot create %s: %s", path,
				strerror(errno));
	return 0;
}

struct registry *registry_create(const struct registry_config *cfg, struct reg_error *err)
{
	struct registry *reg;

	if (make_dir(cfg->state_dir, err) || make_dir(cfg->run_dir, err) ||
	    make_dir(cfg->log_dir, err))
		return NULL;
	reg = calloc(1, sizeof(*reg));
	if (!reg) {
		reg_fail(err, KP_ERR_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	reg->cfg = *cfg;
	pthread_mutex_init(&reg->lock, NULL);
	return reg;
}

void registry_destroy(struct registry *reg)
{
	while (reg->domains) {
		struct domain *d = reg->domains;

		if (d->watched)
			evloop_del_fd(reg->cfg.loop, d->pidfd);
		if (d->pidfd >= 0)
			close(d->pidfd);
		reg->domains = d->next;
		domain_def_free(d->def);
		domain_def_free(d->live);
		free(d);
	}
	free(reg);
}
