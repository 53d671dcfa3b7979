// SPDX-License-Identifier: GPL-2.0
/*
 * The procedures virtkeeld answers: the connection prologue, host facts, and the domain
 * calls virsh, virt-manager and python3-libvirt make. Everything else is NO_SUPPORT
 * (server.c). Each handler decodes its arguments, asks the registry, encodes the reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "daemon/domxml.h"
#include "daemon/proto.h"
#include "daemon/registry.h"
#include "daemon/server.h"

#define KEEL_DRIVER_TYPE	"KEEL"
#define KEEL_HV_VERSION		1000000ULL	/* 1.0.0 as libvirt encodes versions */
#define KEEL_LIB_VERSION	9000000ULL	/* the protocol of libvirt 9.0.0 */

static struct registry *reg_of(struct call *c)
{
	return server_registry(c->srv);
}

static int fail_reg(struct call *c, const struct reg_error *e)
{
	return call_error(c, e->code, "%s", e->msg);
}

static void put_dom(struct xdr_buf *b, const struct dom_info *d)
{
	struct rpc_domain h = { .name = (char *)d->name, .id = d->id };

	memcpy(h.uuid, d->uuid, 16);
	rpc_put_domain(b, &h);
}

/* Decodes a remote_nonnull_domain argument and finds it (by uuid, as libvirtd does). */
static int get_dom(struct call *c, struct dom_info *out)
{
	struct rpc_domain h = { 0 };
	struct reg_error e;
	int ret;

	if (rpc_get_domain(&c->args, &h))
		return call_bad_args(c);
	ret = registry_by_uuid(reg_of(c), h.uuid, out, &e);
	rpc_domain_free(&h);
	return ret ? fail_reg(c, &e) : 0;
}

static int get_flags(struct call *c, uint32_t *flags)
{
	return xdr_get_u32(&c->args, flags) ? call_bad_args(c) : 0;
}

/* ---- connection ---- */

static int proc_auth_list(struct call *c, struct xdr_buf *r)
{
	xdr_put_u32(r, 1);
	xdr_put_i32(r, KP_AUTH_NONE);
	return 0;
}

static int proc_supports_feature(struct call *c, struct xdr_buf *r)
{
	int32_t feature;

	if (xdr_get_i32(&c->args, &feature))
		return call_bad_args(c);
	xdr_put_i32(r, feature == KP_FEATURE_PROGRAM_KEEPALIVE ||
			       feature == KP_FEATURE_REMOTE_EVENT_CALLBACK);
	return 0;
}

static int proc_connect_open(struct call *c, struct xdr_buf *r)
{
	char *name = NULL;
	uint32_t flags;
	bool ok;

	if (xdr_get_opt_string(&c->args, &name, KP_STRING_MAX) || xdr_get_u32(&c->args, &flags))
		return call_bad_args(c);
	/* keel:///system, keel:///session and keel:/// (the remote driver may strip parts). */
	ok = !name || !strncmp(name, "keel:", 5) || !name[0];
	free(name);
	if (!ok)
		return call_error(c, KP_ERR_NO_CONNECT, "this daemon only serves keel:/// URIs");
	client_set_opened(c->client);
	return 0;
}

static int proc_connect_close(struct call *c, struct xdr_buf *r)
{
	return 0;
}

static int proc_get_type(struct call *c, struct xdr_buf *r)
{
	xdr_put_string(r, KEEL_DRIVER_TYPE);
	return 0;
}

static int proc_get_version(struct call *c, struct xdr_buf *r)
{
	xdr_put_u64(r, KEEL_HV_VERSION);
	return 0;
}

static int proc_get_lib_version(struct call *c, struct xdr_buf *r)
{
	xdr_put_u64(r, KEEL_LIB_VERSION);
	return 0;
}

static int proc_get_hostname(struct call *c, struct xdr_buf *r)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		return call_error(c, KP_ERR_SYSTEM_ERROR, "cannot read the host name");
	host[sizeof(host) - 1] = '\0';
	xdr_put_string(r, host);
	return 0;
}

static int proc_get_uri(struct call *c, struct xdr_buf *r)
{
	xdr_put_string(r, "keel:///system");
	return 0;
}

static int proc_get_max_vcpus(struct call *c, struct xdr_buf *r)
{
	char *type = NULL;

	if (xdr_get_opt_string(&c->args, &type, KP_STRING_MAX))
		return call_bad_args(c);
	free(type);
	xdr_put_i32(r, 32);
	return 0;
}

struct host_facts {
	char model[32];
	uint64_t memory_kib;
	int cpus, mhz, nodes, sockets, cores, threads;
};

static void host_facts(struct host_facts *h)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	double mhz = 0;

	memset(h, 0, sizeof(*h));
	snprintf(h->model, sizeof(h->model), "x86_64");
	if (f) {
		unsigned long long kib;

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
				h->memory_kib = kib;
		fclose(f);
	}
	h->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	f = fopen("/proc/cpuinfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
				break;
		fclose(f);
	}
	h->mhz = (int)mhz;
	h->nodes = 1;
	h->sockets = 1;
	h->cores = h->cpus;
	h->threads = 1;
}

static int proc_node_get_info(struct call *c, struct xdr_buf *r)
{
	struct host_facts h;

	host_facts(&h);
	/* char model[32]: each char takes 4 bytes on the wire. */
	for (unsigned i = 0; i < sizeof(h.model); i++)
		xdr_put_i32(r, (unsigned char)h.model[i]);
	xdr_put_u64(r, h.memory_kib);
	xdr_put_i32(r, h.cpus);
	xdr_put_i32(r, h.mhz);
	xdr_put_i32(r, h.nodes);
	xdr_put_i32(r, h.sockets);
	xdr_put_i32(r, h.cores);
	xdr_put_i32(r, h.threads);
	return 0;
}

static int proc_get_capabilities(struct call *c, struct xdr_buf *r)
{
	struct host_facts h;
	char xml[2048];

	host_facts(&h);
	snprintf(xml, sizeof(xml),
		 "<capabilities>\n"
		 "  <host>\n"
		 "    <cpu>\n"
		 "      <arch>x86_64</arch>\n"
		 "      <topology sockets='1' dies='1' cores='%d' threads='1'/>\n"
		 "    </cpu>\n"
		 "    <power_management/>\n"
		 "    <topology>\n"
		 "      <cells num='1'>\n"
		 "        <cell id='0'>\n"
		 "          <memory unit='KiB'>%llu</memory>\n"
		 "        </cell>\n"
		 "      </cells>\n"
		 "    </topology>\n"
		 "  </host>\n"
		 "  <guest>\n"
		 "    <os_type>hvm</os_type>\n"
		 "    <arch name='x86_64'>\n"
		 "      <wordsize>64</wordsize>\n"
		 "      <emulator>/usr/libexec/keel/keel-vmm</emulator>\n"
		 "      <machine>pc</machine>\n"
		 "      <domain type='keel'/>\n"
		 "    </arch>\n"
		 "    <features>\n"
		 "      <acpi default='on' toggle='no'/>\n"
		 "      <apic default='on' toggle='no'/>\n"
		 "    </features>\n"
		 "  </guest>\n"
		 "</capabilities>\n",
		 h.cpus, (unsigned long long)h.memory_kib);
	xdr_put_string(r, xml);
	return 0;
}

static int proc_get_security_model(struct call *c, struct xdr_buf *r)
{
	/* No security driver: empty model and doi, each a char array with its NUL. */
	xdr_put_u32(r, 1);
	xdr_put_i32(r, 0);
	xdr_put_u32(r, 1);
	xdr_put_i32(r, 0);
	return 0;
}

/* ---- listing and lookups ---- */

static bool list_match(const struct dom_info *d, uint32_t flags)
{
	bool act = d->state != KP_DOMAIN_SHUTOFF;

	if ((flags & (KP_LIST_ACTIVE | KP_LIST_INACTIVE)) &&
	    !((flags & KP_LIST_ACTIVE && act) || (flags & KP_LIST_INACTIVE && !act)))
		return false;
	if ((flags & (KP_LIST_PERSISTENT | KP_LIST_TRANSIENT)) &&
	    !((flags & KP_LIST_PERSISTENT && d->persistent) ||
	      (flags & KP_LIST_TRANSIENT && !d->persistent)))
		return false;
	if ((flags & (KP_LIST_AUTOSTART | KP_LIST_NO_AUTOSTART)) &&
	    !((flags & KP_LIST_AUTOSTART && d->autostart) ||
	      (flags & KP_LIST_NO_AUTOSTART && !d->autostart)))
		return false;
	if ((flags & (KP_LIST_RUNNING | KP_LIST_PAUSED | KP_LIST_SHUTOFF | KP_LIST_OTHER)) &&
	    !((flags & KP_LIST_RUNNING && d->state == KP_DOMAIN_RUNNING) ||
	      (flags & KP_LIST_PAUSED && d->state == KP_DOMAIN_PAUSED) ||
	      (flags & KP_LIST_SHUTOFF && d->state == KP_DOMAIN_SHUTOFF)))
		return false;
	/* No snapshots or managed saves exist: asking for only those matches nothing. */
	if ((flags & KP_LIST_MANAGEDSAVE && !(flags & KP_LIST_NO_MANAGEDSAVE)) ||
	    (flags & KP_LIST_HAS_SNAPSHOT && !(flags & KP_LIST_NO_SNAPSHOT)))
		return false;
	return true;
}

static int proc_list_all_domains(struct call *c, struct xdr_buf *r)
{
	struct dom_info *all;
	int32_t need;
	uint32_t flags, n = 0;
	size_t count;

	if (xdr_get_i32(&c->args, &need) || get_flags(c, &flags))
		return call_bad_args(c);
	if (registry_list(reg_of(c), &all, &count))
		return call_error(c, KP_ERR_INTERNAL_ERROR, "out of memory");
	for (size_t i = 0; i < count; i++)
		n += list_match(&all[i], flags);
	if (need) {
		xdr_put_u32(r, n);
		for (size_t i = 0; i < count; i++)
			if (list_match(&all[i], flags))
				put_dom(r, &all[i]);
	} else {
		xdr_put_u32(r, 0);
	}
	xdr_put_u32(r, n);
	free(all);
	return 0;
}

/* The legacy lists: ids of running domains, names of defined ones, and their counts. */
static int legacy_list(struct call *c, struct xdr_buf *r, bool running, bool count_only)
{
	struct dom_info *all;
	int32_t max = 0;
	size_t count;
	uint32_t n = 0;

	if (!count_only && xdr_get_i32(&c->args, &max))
		return call_bad_args(c);
	if (registry_list(reg_of(c), &all, &count))
		return call_error(c, KP_ERR_INTERNAL_ERROR, "out of memory");
	for (size_t i = 0; i < count; i++)
		n += (all[i].state != KP_DOMAIN_SHUTOFF) == running;
	if (count_only) {
		xdr_put_i32(r, (int32_t)n);
	} else {
		n = n < (uint32_t)max ? n : (uint32_t)(max > 0 ? max : 0);
		xdr_put_u32(r, n);
		for (size_t i = 0, done = 0; i < count && done < n; i++) {
			if ((all[i].state != KP_DOMAIN_SHUTOFF) != running)
				continue;
			if (running)
				xdr_put_i32(r, all[i].id);
			else
				xdr_put_string(r, all[i].name);
			done++;
		}
	}
	free(all);
	return 0;
}

static int proc_num_of_domains(struct call *c, struct xdr_buf *r)
{
	return legacy_list(c, r, true, true);
}

static int proc_list_domains(struct call *c, struct xdr_buf *r)
{
	return legacy_list(c, r, true, false);
}

static int proc_num_of_defined(struct call *c, struct xdr_buf *r)
{
	return legacy_list(c, r, false, true);
}

static int proc_list_defined(struct call *c, struct xdr_buf *r)
{
	return legacy_list(c, r, false, false);
}

static int proc_lookup_by_name(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	char *name;
	int ret;

	if (xdr_get_string(&c->args, &name, KP_STRING_MAX))
		return call_bad_args(c);
	ret = registry_by_name(reg_of(c), name, &d, &e);
	free(name);
	if (ret)
		return fail_reg(c, &e);
	put_dom(r, &d);
	return 0;
}

static int proc_lookup_by_uuid(struct call *c, struct xdr_buf *r)
{
	uint8_t uuid[16];
	struct dom_info d;
	struct reg_error e;

	if (xdr_get_opaque_fixed(&c->args, uuid, 16))
		return call_bad_args(c);
	if (registry_by_uuid(reg_of(c), uuid, &d, &e))
		return fail_reg(c, &e);
	put_dom(r, &d);
	return 0;
}

static int proc_lookup_by_id(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	int32_t id;

	if (xdr_get_i32(&c->args, &id))
		return call_bad_args(c);
	if (registry_by_id(reg_of(c), id, &d, &e))
		return fail_reg(c, &e);
	put_dom(r, &d);
	return 0;
}

/* ---- definitions ---- */

static int define(struct call *c, struct xdr_buf *r, bool with_flags)
{
	struct dom_info d;
	struct reg_error e;
	uint32_t flags = 0;
	char *xml;
	int ret;

	if (xdr_get_string(&c->args, &xml, KP_STRING_MAX) ||
	    (with_flags && xdr_get_u32(&c->args, &flags)))
		return call_bad_args(c);
	ret = registry_define(reg_of(c), xml, &d, &e);
	free(xml);
	if (ret)
		return fail_reg(c, &e);
	put_dom(r, &d);
	return 0;
}

static int proc_define_xml(struct call *c, struct xdr_buf *r)
{
	return define(c, r, false);
}

static int proc_define_xml_flags(struct call *c, struct xdr_buf *r)
{
	return define(c, r, true);
}

static int undefine(struct call *c, bool with_flags)
{
	struct dom_info d;
	struct reg_error e;
	uint32_t flags = 0;

	if (get_dom(c, &d) || (with_flags && get_flags(c, &flags)))
		return -1;
	return registry_undefine(reg_of(c), d.uuid, &e) ? fail_reg(c, &e) : 0;
}

static int proc_undefine(struct call *c, struct xdr_buf *r)
{
	return undefine(c, false);
}

static int proc_undefine_flags(struct call *c, struct xdr_buf *r)
{
	return undefine(c, true);
}

static int proc_create_xml(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	uint32_t flags;
	char *xml;
	int ret;

	if (xdr_get_string(&c->args, &xml, KP_STRING_MAX) || xdr_get_u32(&c->args, &flags))
		return call_bad_args(c);
	ret = registry_create_xml(reg_of(c), xml, flags & KP_START_PAUSED, &d, &e);
	free(xml);
	if (ret)
		return fail_reg(c, &e);
	put_dom(r, &d);
	return 0;
}

/* ---- lifecycle ---- */

static int proc_create(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;

	if (get_dom(c, &d))
		return -1;
	return registry_start(reg_of(c), d.uuid, false, &e) ? fail_reg(c, &e) : 0;
}

static int proc_create_with_flags(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	uint32_t flags;

	if (get_dom(c, &d) || get_flags(c, &flags))
		return -1;
	if (registry_start(reg_of(c), d.uuid, flags & KP_START_PAUSED, &e))
		return fail_reg(c, &e);
	registry_by_uuid(reg_of(c), d.uuid, &d, &e);
	put_dom(r, &d);
	return 0;
}

typedef int (*dom_op)(struct registry *reg, const uint8_t uuid[16], struct reg_error *err);

static int simple_op(struct call *c, dom_op op, bool has_flags)
{
	struct dom_info d;
	struct reg_error e;
	uint32_t flags;

	if (get_dom(c, &d) || (has_flags && get_flags(c, &flags)))
		return -1;
	return op(reg_of(c), d.uuid, &e) ? fail_reg(c, &e) : 0;
}

static int proc_destroy(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_destroy_domain, false);
}

static int proc_destroy_flags(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_destroy_domain, true);
}

static int proc_shutdown(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_shutdown, false);
}

static int proc_shutdown_flags(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_shutdown, true);
}

static int proc_reboot(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_reboot, true);
}

static int proc_suspend(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_suspend, false);
}

static int proc_resume(struct call *c, struct xdr_buf *r)
{
	return simple_op(c, registry_resume, false);
}

/* ---- domain facts ---- */

static int proc_get_state(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	uint32_t flags;

	if (get_dom(c, &d) || get_flags(c, &flags))
		return -1;
	xdr_put_i32(r, d.state);
	xdr_put_i32(r, d.reason);
	return 0;
}

static int proc_get_info(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;

	if (get_dom(c, &d))
		return -1;
	/* u_char state and u_short nrVirtCpu take 4 bytes each on the wire. */
	xdr_put_u32(r, (uint32_t)d.state);
	xdr_put_u64(r, d.max_kib);
	xdr_put_u64(r, d.state == KP_DOMAIN_SHUTOFF ? 0 : d.cur_kib);
	xdr_put_u32(r, d.vcpus);
	xdr_put_u64(r, d.cpu_time_ns);
	return 0;
}

static int proc_get_xml_desc(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	uint32_t flags;
	char *xml;

	if (get_dom(c, &d) || get_flags(c, &flags))
		return -1;
	xml = registry_xml(reg_of(c), d.uuid, flags & KP_XML_INACTIVE, &e);
	if (!xml)
		return fail_reg(c, &e);
	xdr_put_string(r, xml);
	free(xml);
	return 0;
}

/* Procedures that answer one int about a domain, after its handle (and flags). */
static int dom_int(struct call *c, struct xdr_buf *r, bool has_flags,
		   int32_t (*get)(const struct dom_info *))
{
	struct dom_info d;
	uint32_t flags;

	if (get_dom(c, &d) || (has_flags && get_flags(c, &flags)))
		return -1;
	xdr_put_i32(r, get(&d));
	return 0;
}

static int32_t dom_active(const struct dom_info *d)
{
	return d->state != KP_DOMAIN_SHUTOFF;
}

static int32_t dom_persistent(const struct dom_info *d)
{
	return d->persistent;
}

static int32_t dom_autostart(const struct dom_info *d)
{
	return d->autostart;
}

static int32_t dom_zero(const struct dom_info *d)
{
	return 0;
}

static int32_t dom_vcpus(const struct dom_info *d)
{
	return (int32_t)d->vcpus;
}

static int proc_is_active(struct call *c, struct xdr_buf *r)
{
	return dom_int(c, r, false, dom_active);
}

static int proc_is_persistent(struct call *c, struct xdr_buf *r)
{
	return dom_int(c, r, false, dom_persistent);
}

static int proc_get_autostart(struct call *c, struct xdr_buf *r)
{
	return dom_int(c, r, false, dom_autostart);
}

/* No managed save images and no snapshots exist yet. */
static int proc_has_managed_save(struct call *c, struct xdr_buf *r)
{
	return dom_int(c, r, true, dom_zero);
}

static int proc_snapshot_num(struct call *c, struct xdr_buf *r)
{
	return dom_int(c, r, true, dom_zero);
}

static int proc_get_vcpus_flags(struct call *c, struct xdr_buf *r)
{
	return dom_int(c, r, true, dom_vcpus);
}

static int proc_get_os_type(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;

	if (get_dom(c, &d))
		return -1;
	xdr_put_string(r, "hvm");
	return 0;
}

static int proc_get_max_memory(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;

	if (get_dom(c, &d))
		return -1;
	xdr_put_u64(r, d.max_kib);
	return 0;
}

static int proc_set_autostart(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	int32_t on;

	if (get_dom(c, &d))
		return -1;
	if (xdr_get_i32(&c->args, &on))
		return call_bad_args(c);
	return registry_set_autostart(reg_of(c), d.uuid, on != 0, &e) ? fail_reg(c, &e) : 0;
}

/* ---- console and events ---- */

static int proc_open_console(struct call *c, struct xdr_buf *r)
{
	struct dom_info d;
	struct reg_error e;
	char *dev = NULL;
	uint32_t flags;
	int fd, ret;

	if (get_dom(c, &d))
		return -1;
	if (xdr_get_opt_string(&c->args, &dev, KP_STRING_MAX) || get_flags(c, &flags))
		return call_bad_args(c);
	free(dev);
	if (registry_console(reg_of(c), d.uuid, &fd, &e))
		return fail_reg(c, &e);
	ret = call_open_console(c, d.uuid, fd, flags & KP_CONSOLE_FORCE);
	if (ret == -EBUSY)
		return call_error(c, KP_ERR_OPERATION_FAILED,
				  "Active console session exists for this domain");
	return ret ? call_error(c, KP_ERR_INTERNAL_ERROR, "cannot open the console stream") : 0;
}

static int proc_event_register_any(struct call *c, struct xdr_buf *r)
{
	int32_t event_id, id;
	uint32_t has_dom;
	struct rpc_domain h = { 0 };

	if (xdr_get_i32(&c->args, &event_id) || xdr_get_u32(&c->args, &has_dom) || has_dom > 1 ||
	    (has_dom && rpc_get_domain(&c->args, &h)))
		return call_bad_args(c);
	if (event_id != KP_DOMAIN_EVENT_ID_LIFECYCLE) {
		rpc_domain_free(&h);
		return call_error(c, KP_ERR_NO_SUPPORT, "only lifecycle events are supported");
	}
	id = client_event_register(c->client, event_id, has_dom ? h.uuid : NULL);
	rpc_domain_free(&h);
	if (id < 0)
		return call_error(c, KP_ERR_OPERATION_FAILED, "too many event callbacks");
	xdr_put_i32(r, id);
	return 0;
}

static int proc_event_deregister_any(struct call *c, struct xdr_buf *r)
{
	int32_t id;

	if (xdr_get_i32(&c->args, &id))
		return call_bad_args(c);
	if (client_event_deregister(c->client, id))
		return call_error(c, KP_ERR_INVALID_ARG, "no event callback %d", id);
	return 0;
}

/* Lists of objects Keel does not manage yet: empty, so clients carry on. */
static int proc_list_all_empty(struct call *c, struct xdr_buf *r)
{
	int32_t need;
	uint32_t flags;

	if (xdr_get_i32(&c->args, &need) || get_flags(c, &flags))
		return call_bad_args(c);
	xdr_put_u32(r, 0);
	xdr_put_u32(r, 0);
	return 0;
}

static int proc_num_zero(struct call *c, struct xdr_buf *r)
{
	xdr_put_i32(r, 0);
	return 0;
}

#define BEFORE_OPEN PROC_BEFORE_OPEN
#define MUTATES PROC_MUTATES

static const struct proc_entry procs[] = {
	[KP_PROC_CONNECT_OPEN] = { proc_connect_open, BEFORE_OPEN },
	[KP_PROC_CONNECT_CLOSE] = { proc_connect_close, BEFORE_OPEN },
	[KP_PROC_AUTH_LIST] = { proc_auth_list, BEFORE_OPEN },
	[KP_PROC_CONNECT_SUPPORTS_FEATURE] = { proc_supports_feature, BEFORE_OPEN },
	[KP_PROC_CONNECT_GET_TYPE] = { proc_get_type, 0 },
	[KP_PROC_CONNECT_GET_VERSION] = { proc_get_version, 0 },
	[KP_PROC_CONNECT_GET_LIB_VERSION] = { proc_get_lib_version, 0 },
	[KP_PROC_CONNECT_GET_HOSTNAME] = { proc_get_hostname, 0 },
	[KP_PROC_CONNECT_GET_URI] = { proc_get_uri, 0 },
	[KP_PROC_CONNECT_GET_MAX_VCPUS] = { proc_get_max_vcpus, 0 },
	[KP_PROC_NODE_GET_INFO] = { proc_node_get_info, 0 },
	[KP_PROC_CONNECT_GET_CAPABILITIES] = { proc_get_capabilities, 0 },
	[KP_PROC_NODE_GET_SECURITY_MODEL] = { proc_get_security_model, 0 },
	[KP_PROC_CONNECT_LIST_ALL_DOMAINS] = { proc_list_all_domains, 0 },
	[KP_PROC_CONNECT_NUM_OF_DOMAINS] = { proc_num_of_domains, 0 },
	[KP_PROC_CONNECT_LIST_DOMAINS] = { proc_list_domains, 0 },
	[KP_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS] = { proc_num_of_defined, 0 },
	[KP_PROC_CONNECT_LIST_DEFINED_DOMAINS] = { proc_list_defined, 0 },
	[KP_PROC_DOMAIN_LOOKUP_BY_NAME] = { proc_lookup_by_name, 0 },
	[KP_PROC_DOMAIN_LOOKUP_BY_UUID] = { proc_lookup_by_uuid, 0 },
	[KP_PROC_DOMAIN_LOOKUP_BY_ID] = { proc_lookup_by_id, 0 },
	[KP_PROC_DOMAIN_DEFINE_XML] = { proc_define_xml, MUTATES },
	[KP_PROC_DOMAIN_DEFINE_XML_FLAGS] = { proc_define_xml_flags, MUTATES },
	[KP_PROC_DOMAIN_UNDEFINE] = { proc_undefine, MUTATES },
	[KP_PROC_DOMAIN_UNDEFINE_FLAGS] = { proc_undefine_flags, MUTATES },
	[KP_PROC_DOMAIN_CREATE_XML] = { proc_create_xml, MUTATES },
	[KP_PROC_DOMAIN_CREATE] = { proc_create, MUTATES },
	[KP_PROC_DOMAIN_CREATE_WITH_FLAGS] = { proc_create_with_flags, MUTATES },
	[KP_PROC_DOMAIN_DESTROY] = { proc_destroy, MUTATES },
	[KP_PROC_DOMAIN_DESTROY_FLAGS] = { proc_destroy_flags, MUTATES },
	[KP_PROC_DOMAIN_SHUTDOWN] = { proc_shutdown, MUTATES },
	[KP_PROC_DOMAIN_SHUTDOWN_FLAGS] = { proc_shutdown_flags, MUTATES },
	[KP_PROC_DOMAIN_REBOOT] = { proc_reboot, MUTATES },
	[KP_PROC_DOMAIN_SUSPEND] = { proc_suspend, MUTATES },
	[KP_PROC_DOMAIN_RESUME] = { proc_resume, MUTATES },
	[KP_PROC_DOMAIN_GET_STATE] = { proc_get_state, 0 },
	[KP_PROC_DOMAIN_GET_INFO] = { proc_get_info, 0 },
	[KP_PROC_DOMAIN_GET_XML_DESC] = { proc_get_xml_desc, 0 },
	[KP_PROC_DOMAIN_GET_OS_TYPE] = { proc_get_os_type, 0 },
	[KP_PROC_DOMAIN_IS_ACTIVE] = { proc_is_active, 0 },
	[KP_PROC_DOMAIN_IS_PERSISTENT] = { proc_is_persistent, 0 },
	[KP_PROC_DOMAIN_GET_AUTOSTART] = { proc_get_autostart, 0 },
	[KP_PROC_DOMAIN_SET_AUTOSTART] = { proc_set_autostart, MUTATES },
	[KP_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE] = { proc_has_managed_save, 0 },
	[KP_PROC_DOMAIN_SNAPSHOT_NUM] = { proc_snapshot_num, 0 },
	[KP_PROC_DOMAIN_GET_MAX_MEMORY] = { proc_get_max_memory, 0 },
	[KP_PROC_DOMAIN_GET_VCPUS_FLAGS] = { proc_get_vcpus_flags, 0 },
	[KP_PROC_DOMAIN_OPEN_CONSOLE] = { proc_open_console, MUTATES },
	[KP_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY] = { proc_event_register_any, 0 },
	[KP_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY] = { proc_event_deregister_any, 0 },
	[KP_PROC_CONNECT_LIST_ALL_NETWORKS] = { proc_list_all_empty, 0 },
	[KP_PROC_CONNECT_LIST_ALL_STORAGE_POOLS] = { proc_list_all_empty, 0 },
	[KP_PROC_CONNECT_NUM_OF_NETWORKS] = { proc_num_zero, 0 },
};

const struct proc_entry *proc_lookup(uint32_t proc)
{
	if (proc >= sizeof(procs) / sizeof(procs[0]) || !procs[proc].fn)
		return NULL;
	return &procs[proc];
}
