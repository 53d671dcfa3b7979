// SPDX-License-Identifier: GPL-2.0
/*
 * Domain XML, parsed with libxml2 (no network, no DTD loading, no entity expansion, 1 MiB
 * at most). Accepted and used: name, uuid, title, description, metadata (kept verbatim),
 * memory, currentMemory, vcpu, os (type hvm x86_64, kernel, initrd, cmdline), features
 * acpi/apic, on_poweroff/on_reboot/on_crash, clock and cpu (kept verbatim), devices: disk
 * (file or block, raw, virtio, readonly, serial), interface (bridge or ethernet, virtio,
 * mac), serial/console pty, rng (virtio), and what libvirt's tools add by default and Keel
 * has nothing to configure for (emulator, boot, pae, pm, resource, input ps2, controllers
 * pci-root and usb model none, memballoon model none, addresses and aliases). Anything
 * else is refused naming the element or the value.
 */
#include "daemon/domxml.h"

#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct parse {
	char *err;
	size_t errlen;
	bool rng;
};

static int perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* An attribute's value, malloc-ed (NULL when absent). */
static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s;

	if (!v)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

static bool attr_is(const xmlNode *n, const char *name, const char *value)
{
	char *v = attr(n, name);
	bool eq = v && !strcmp(v, value);

	free(v);
	return eq;
}

static char *text(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s;

	if (!v)
		return strdup("");
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

static char *verbatim(const xmlNode *n)
{
	xmlBufferPtr buf = xmlBufferCreate();
	char *s = NULL;

	if (!buf)
		return NULL;
	if (xmlNodeDump(buf, n->doc, (xmlNode *)n, 0, 0) >= 0)
		s = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return s;
}

/* ---- values ---- */

int domxml_uuid_parse(const char *s, uint8_t uuid[16])
{
	unsigned digits = 0;

	memset(uuid, 0, 16);
	for (; *s; s++) {
		int v;

		if (*s == '-')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -EINVAL;
		if (digits == 32)
			return -EINVAL;
		uuid[digits / 2] |= (uint8_t)(v << (digits & 1 ? 0 : 4));
		digits++;
	}
	return digits == 32 ? 0 : -EINVAL;
}

void domxml_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return mac[0] & 1 ? -EINVAL : 0;	/* a multicast address cannot be a NIC's */
}

/* A memory size with its unit, in KiB (rounded up). */
static int memory_kib(struct parse *p, const xmlNode *n, const char *what, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t bytes;
	} units[] = {
		{ "b", 1 }, { "bytes", 1 }, { "KB", 1000 }, { "k", 1024 }, { "KiB", 1024 },
		{ "MB", 1000000 }, { "M", 1 << 20 }, { "MiB", 1 << 20 },
		{ "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
		{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	};
	char *unit = attr(n, "unit"), *value = text(n), *end;
	uint64_t mult = 1024, v;
	bool known = !unit;
	int ret = 0;

	for (size_t i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].unit)) {
			mult = units[i].bytes;
			known = true;
		}
	errno = 0;
	v = value ? strtoull(value, &end, 10) : 0;
	if (!known)
		ret = perr(p, "<%s>: unknown unit '%s'", what, unit);
	else if (!value || !*value || *end || errno || value[0] == '-')
		ret = perr(p, "<%s>: '%s' is not a size", what, value ? value : "");
	else if (v > UINT64_MAX / mult)
		ret = perr(p, "<%s>: %s %s is too large", what, value, unit ? unit : "KiB");
	else
		*out = (v * mult + 1023) / 1024;
	free(unit);
	free(value);
	return ret;
}

static int action_parse(struct parse *p, const xmlNode *n, enum domain_action *out)
{
	static const char *const names[] = {
		"destroy", "restart", "preserve", "rename-restart", "coredump-destroy",
		"coredump-restart",
	};
	char *v = text(n);

	for (unsigned i = 0; v && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i])) {
			*out = (enum domain_action)i;
			free(v);
			return 0;
		}
	perr(p, "<%s>: unknown action '%s'", (const char *)n->name, v ? v : "");
	free(v);
	return -EINVAL;
}

static const char *action_name(enum domain_action a)
{
	static const char *const names[] = {
		"destroy", "restart", "preserve", "rename-restart", "coredump-destroy",
		"coredump-restart",
	};
	return names[a];
}

/* ---- sections ---- */

static int parse_os(struct parse *p, struct domain_def *d, const xmlNode *os)
{
	for (const xmlNode *n = os->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "type")) {
			char *t = text(n), *arch = attr(n, "arch");
			int bad = t && strcmp(t, "hvm") ? 1 : arch && strcmp(arch, "x86_64") ? 2 : 0;

			if (bad)
				perr(p, bad == 1 ? "unsupported os type '%s' (Keel runs hvm)" :
					 "unsupported architecture '%s' (Keel runs x86_64)",
				     bad == 1 ? t : arch);
			free(t);
			free(arch);
			if (bad)
				return -EINVAL;
			free(d->machine);
			d->machine = attr(n, "machine");
		} else if (is(n, "kernel")) {
			free(d->kernel);
			d->kernel = text(n);
		} else if (is(n, "initrd")) {
			free(d->initrd);
			d->initrd = text(n);
		} else if (is(n, "cmdline")) {
			free(d->cmdline);
			d->cmdline = text(n);
		} else if (is(n, "boot") || is(n, "bootmenu") || is(n, "smbios")) {
			continue;	/* the kernel is booted directly */
		} else {
			return perr(p, "unsupported element <os><%s> (Keel boots a Linux kernel "
				    "directly; no firmware yet)", (const char *)n->name);
		}
	}
	if (!d->kernel || !d->kernel[0])
		return perr(p, "<os><kernel> is missing: Keel boots Linux kernels directly");
	return 0;
}

static int parse_features(struct parse *p, struct domain_def *d, const xmlNode *f)
{
	for (const xmlNode *n = f->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "acpi"))
			d->acpi = true;
		else if (is(n, "apic"))
			d->apic = true;
		else if (!is(n, "pae"))
			return perr(p, "unsupported feature <%s>", (const char *)n->name);
	}
	return 0;
}

static int parse_disk(struct parse *p, struct domain_def *d, const xmlNode *disk)
{
	struct domain_disk *k;
	char *type = attr(disk, "type"), *device = attr(disk, "device"), *bus = NULL;
	int ret = 0;

	if (d->ndisks == DOMAIN_MAX_DISKS) {
		ret = perr(p, "too many disks (Keel takes %d)", DOMAIN_MAX_DISKS);
		goto out;
	}
	if (type && strcmp(type, "file") && strcmp(type, "block")) {
		ret = perr(p, "unsupported disk type '%s'", type);
		goto out;
	}
	if (device && strcmp(device, "disk")) {
		ret = perr(p, "unsupported disk device '%s'", device);
		goto out;
	}
	k = &d->disks[d->ndisks++];
	k->block = type && !strcmp(type, "block");
	for (const xmlNode *n = disk->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "source")) {
			free(k->source);
			k->source = attr(n, k->block ? "dev" : "file");
		} else if (is(n, "target")) {
			free(k->target);
			k->target = attr(n, "dev");
			free(bus);
			bus = attr(n, "bus");
		} else if (is(n, "driver")) {
			char *fmt = attr(n, "type");

			if (fmt && strcmp(fmt, "raw"))
				ret = perr(p, "unsupported disk format '%s' (Keel reads raw images)",
					   fmt);
			free(fmt);
		} else if (is(n, "readonly")) {
			k->readonly = true;
		} else if (is(n, "serial")) {
			free(k->serial);
			k->serial = text(n);
		} else if (!is(n, "address") && !is(n, "alias") && !is(n, "boot")) {
			ret = perr(p, "unsupported element <disk><%s>", (const char *)n->name);
		}
	}
	if (ret)
		goto out;
	if (!k->target || !k->target[0])
		ret = perr(p, "a disk has no <target dev=>");
	else if (!k->source || !k->source[0])
		ret = perr(p, "disk '%s' has no source %s", k->target, k->block ? "dev" : "file");
	else if (strchr(k->source, ','))
		ret = perr(p, "disk '%s': Keel cannot take a comma in the source path", k->target);
	else if (bus ? strcmp(bus, "virtio") : strncmp(k->target, "vd", 2))
		ret = perr(p, "unsupported disk bus '%s' (disk '%s'; Keel has virtio)",
			   bus ? bus : "(from the name)", k->target);
	else if (k->serial && (strchr(k->serial, ',') || strlen(k->serial) > 20))
		ret = perr(p, "disk '%s': the serial may have at most 20 characters and no comma",
			   k->target);
out:
	free(type);
	free(device);
	free(bus);
	return ret;
}

static int parse_interface(struct parse *p, struct domain_def *d, const xmlNode *nic)
{
	struct domain_iface *f;
	char *type = attr(nic, "type");
	int ret = 0;

	if (d->ninterfaces == DOMAIN_MAX_IFACES) {
		free(type);
		return perr(p, "too many interfaces (Keel takes %d)", DOMAIN_MAX_IFACES);
	}
	if (!type || (strcmp(type, "bridge") && strcmp(type, "ethernet"))) {
		ret = perr(p, "unsupported interface type '%s' (Keel has 'bridge' and 'ethernet')",
			   type ? type : "");
		free(type);
		return ret;
	}
	f = &d->interfaces[d->ninterfaces++];
	f->type = !strcmp(type, "bridge") ? DOMAIN_IFACE_BRIDGE : DOMAIN_IFACE_ETHERNET;
	free(type);
	for (const xmlNode *n = nic->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "source") && f->type == DOMAIN_IFACE_BRIDGE) {
			free(f->bridge);
			f->bridge = attr(n, "bridge");
		} else if (is(n, "target")) {
			if (f->type == DOMAIN_IFACE_ETHERNET) {
				free(f->target);
				f->target = attr(n, "dev");
			}
		} else if (is(n, "mac")) {
			char *mac = attr(n, "address");

			if (!mac || mac_parse(mac, f->mac))
				ret = perr(p, "invalid MAC address '%s'", mac ? mac : "");
			f->has_mac = true;
			free(mac);
		} else if (is(n, "model")) {
			char *model = attr(n, "type");

			if (model && strcmp(model, "virtio"))
				ret = perr(p, "unsupported interface model '%s' (Keel has virtio)",
					   model);
			free(model);
		} else if (!is(n, "address") && !is(n, "alias")) {
			ret = perr(p, "unsupported element <interface><%s>", (const char *)n->name);
		}
	}
	if (ret)
		return ret;
	if (f->type == DOMAIN_IFACE_BRIDGE && (!f->bridge || !f->bridge[0]))
		return perr(p, "interface type 'bridge' needs <source bridge=>");
	if (f->type == DOMAIN_IFACE_ETHERNET && (!f->target || !f->target[0] ||
						 strlen(f->target) > 15 || strchr(f->target, ',')))
		return perr(p, "interface type 'ethernet' needs <target dev=> naming a TAP");
	return 0;
}

/* serial, console: pty only. */
static int parse_chardev(struct parse *p, struct domain_def *d, const xmlNode *n)
{
	char *type = attr(n, "type");
	int ret = 0;

	if (!type || strcmp(type, "pty"))
		ret = perr(p, "unsupported <%s> type '%s' (Keel has pty)", (const char *)n->name,
			   type ? type : "");
	else if (is(n, "serial"))
		d->serial_pty = true;
	else
		d->console_pty = true;
	free(type);
	return ret;
}

/* Elements libvirt's tools add by default that Keel has nothing to set for. */
static bool harmless_device(const xmlNode *n)
{
	if (is(n, "emulator"))
		return true;
	if (is(n, "input"))
		return (attr_is(n, "type", "mouse") || attr_is(n, "type", "keyboard")) &&
		       attr_is(n, "bus", "ps2");
	if (is(n, "controller"))
		return (attr_is(n, "type", "pci") && attr_is(n, "model", "pci-root")) ||
		       (attr_is(n, "type", "usb") && attr_is(n, "model", "none"));
	if (is(n, "memballoon"))
		return attr_is(n, "model", "none");
	return false;
}

static int parse_devices(struct parse *p, struct domain_def *d, const xmlNode *devs)
{
	int ret = 0;

	for (const xmlNode *n = devs->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || harmless_device(n))
			continue;
		if (is(n, "disk"))
			ret = parse_disk(p, d, n);
		else if (is(n, "interface"))
			ret = parse_interface(p, d, n);
		else if (is(n, "serial") || is(n, "console"))
			ret = parse_chardev(p, d, n);
		else if (is(n, "rng") && attr_is(n, "model", "virtio"))
			p->rng = true;
		else if (is(n, "controller") || is(n, "input") || is(n, "memballoon") ||
			 is(n, "rng")) {
			char *t = attr(n, is(n, "controller") || is(n, "input") ? "type" : "model");

			ret = perr(p, "unsupported device <%s> '%s'", (const char *)n->name,
				   t ? t : "");
			free(t);
		} else {
			ret = perr(p, "unsupported device <%s>", (const char *)n->name);
		}
	}
	return ret;
}

static int parse_count(struct parse *p, const xmlNode *n, unsigned max, unsigned *out)
{
	char *v = text(n), *end;
	unsigned long c;

	errno = 0;
	c = v ? strtoul(v, &end, 10) : 0;
	if (!v || !*v || *end || errno || c == 0 || c > max) {
		perr(p, "<%s>: '%s' is not between 1 and %u", (const char *)n->name, v ? v : "",
		     max);
		free(v);
		return -EINVAL;
	}
	free(v);
	*out = (unsigned)c;
	return 0;
}

static int set_text(char **dst, const xmlNode *n)
{
	free(*dst);
	*dst = text(n);
	return *dst ? 0 : -ENOMEM;
}

static int set_verbatim(char **dst, const xmlNode *n)
{
	free(*dst);
	*dst = verbatim(n);
	return *dst ? 0 : -ENOMEM;
}

static int parse_child(struct parse *p, struct domain_def *d, const xmlNode *n, bool *seen_mem)
{
	char *uuid;
	int ret;

	if (is(n, "name"))
		return set_text(&d->name, n);
	if (is(n, "uuid")) {
		uuid = text(n);
		ret = uuid && !domxml_uuid_parse(uuid, d->uuid) ? 0 :
			      perr(p, "invalid UUID '%s'", uuid ? uuid : "");
		d->has_uuid = !ret;
		free(uuid);
		return ret;
	}
	if (is(n, "title"))
		return set_text(&d->title, n);
	if (is(n, "description"))
		return set_text(&d->description, n);
	if (is(n, "metadata"))
		return set_verbatim(&d->metadata, n);
	if (is(n, "memory")) {
		*seen_mem = true;
		return memory_kib(p, n, "memory", &d->memory_kib);
	}
	if (is(n, "currentMemory"))
		return memory_kib(p, n, "currentMemory", &d->current_memory_kib);
	if (is(n, "vcpu"))
		return parse_count(p, n, 32, &d->vcpus);
	if (is(n, "os"))
		return parse_os(p, d, n);
	if (is(n, "features"))
		return parse_features(p, d, n);
	if (is(n, "on_poweroff"))
		return action_parse(p, n, &d->on_poweroff);
	if (is(n, "on_reboot"))
		return action_parse(p, n, &d->on_reboot);
	if (is(n, "on_crash"))
		return action_parse(p, n, &d->on_crash);
	if (is(n, "clock"))
		return set_verbatim(&d->clock_xml, n);
	if (is(n, "cpu"))
		return set_verbatim(&d->cpu_xml, n);
	if (is(n, "devices"))
		return parse_devices(p, d, n);
	if (is(n, "pm") || is(n, "resource") || is(n, "seclabel"))
		return 0;
	return perr(p, "unsupported element <%s>", (const char *)n->name);
}

static int parse_domain(struct parse *p, struct domain_def *d, const xmlNode *root)
{
	bool seen_mem = false, seen_os = false;
	char *type = attr(root, "type");
	int ret = 0;

	if (!is(root, "domain"))
		ret = perr(p, "the root element is <%s>, not <domain>", (const char *)root->name);
	else if (!type || strcmp(type, "keel"))
		ret = perr(p, "domain type '%s' is not supported by this driver, use type='keel'",
			   type ? type : "");
	free(type);
	d->vcpus = 1;
	d->on_reboot = DOMAIN_ACTION_RESTART;
	for (const xmlNode *n = root->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		seen_os |= is(n, "os");
		ret = parse_child(p, d, n, &seen_mem);
		if (ret == -ENOMEM)
			perr(p, "out of memory");
	}
	if (ret)
		return ret;
	if (!d->name || !d->name[0])
		return perr(p, "<name> is missing");
	if (!seen_mem || !d->memory_kib)
		return perr(p, "<memory> is missing");
	if (d->memory_kib > (1ULL << 40))
		return perr(p, "<memory>: more than 1 TiB");
	if (d->current_memory_kib > d->memory_kib)
		return perr(p, "<currentMemory> is larger than <memory>");
	if (!seen_os)
		return perr(p, "<os> is missing");
	return 0;
}

int domxml_parse(const char *xml, size_t len, struct domain_def **out, char *err, size_t errlen)
{
	struct parse p = { .err = err, .errlen = errlen };
	struct domain_def *d;
	xmlDocPtr doc;
	int ret;

	*out = NULL;
	if (len > DOMXML_MAX_SIZE || len > INT32_MAX)
		return perr(&p, "the domain XML is larger than %u bytes", DOMXML_MAX_SIZE);
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "parse error");
		msg[strcspn(msg, "\n")] = '\0';
		return perr(&p, "the domain XML is not well-formed: line %d: %s", e ? e->line : 0,
			    msg);
	}
	d = calloc(1, sizeof(*d));
	ret = d ? parse_domain(&p, d, xmlDocGetRootElement(doc)) : -ENOMEM;
	xmlFreeDoc(doc);
	if (ret) {
		domain_def_free(d);
		return ret;
	}
	d->rng = p.rng;
	*out = d;
	return 0;
}

void domain_def_free(struct domain_def *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->title);
	free(d->description);
	free(d->metadata);
	free(d->machine);
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	free(d->cpu_xml);
	free(d->clock_xml);
	for (unsigned i = 0; i < d->ndisks; i++) {
		free(d->disks[i].source);
		free(d->disks[i].target);
		free(d->disks[i].serial);
	}
	for (unsigned i = 0; i < d->ninterfaces; i++) {
		free(d->interfaces[i].bridge);
		free(d->interfaces[i].target);
	}
	free(d);
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*oom = true;
	return c;
}

struct domain_def *domxml_copy(const struct domain_def *d)
{
	struct domain_def *c = calloc(1, sizeof(*c));
	bool oom = false;

	if (!c)
		return NULL;
	*c = *d;
	c->name = dup_or_null(d->name, &oom);
	c->title = dup_or_null(d->title, &oom);
	c->description = dup_or_null(d->description, &oom);
	c->metadata = dup_or_null(d->metadata, &oom);
	c->machine = dup_or_null(d->machine, &oom);
	c->kernel = dup_or_null(d->kernel, &oom);
	c->initrd = dup_or_null(d->initrd, &oom);
	c->cmdline = dup_or_null(d->cmdline, &oom);
	c->cpu_xml = dup_or_null(d->cpu_xml, &oom);
	c->clock_xml = dup_or_null(d->clock_xml, &oom);
	for (unsigned i = 0; i < d->ndisks; i++) {
		c->disks[i].source = dup_or_null(d->disks[i].source, &oom);
		c->disks[i].target = dup_or_null(d->disks[i].target, &oom);
		c->disks[i].serial = dup_or_null(d->disks[i].serial, &oom);
	}
	for (unsigned i = 0; i < d->ninterfaces; i++) {
		c->interfaces[i].bridge = dup_or_null(d->interfaces[i].bridge, &oom);
		c->interfaces[i].target = dup_or_null(d->interfaces[i].target, &oom);
	}
	if (oom) {
		domain_def_free(c);
		return NULL;
	}
	return c;
}

int domxml_fill_defaults(struct domain_def *d)
{
	uint8_t rnd[16 + 3 * DOMAIN_MAX_IFACES];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	if (!d->has_uuid) {
		memcpy(d->uuid, rnd, 16);
		d->uuid[6] = (d->uuid[6] & 0x0f) | 0x40;	/* version 4 */
		d->uuid[8] = (d->uuid[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
		d->has_uuid = true;
	}
	for (unsigned i = 0; i < d->ninterfaces; i++) {
		struct domain_iface *f = &d->interfaces[i];

		if (f->has_mac)
			continue;
		f->mac[0] = 0x52;
		f->mac[1] = 0x54;
		f->mac[2] = 0x00;
		memcpy(&f->mac[3], &rnd[16 + 3 * i], 3);
		f->has_mac = true;
	}
	if (!d->current_memory_kib)
		d->current_memory_kib = d->memory_kib;
	return 0;
}

/* Text and attribute values with &, <, >, ' and " escaped. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void elem(FILE *f, const char *indent, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(f, "%s<%s>", indent, name);
	esc(f, value);
	fprintf(f, "</%s>\n", name);
}

static void format_os(FILE *f, const struct domain_def *d)
{
	fputs("  <os>\n    <type arch='x86_64'", f);
	if (d->machine) {
		fputs(" machine='", f);
		esc(f, d->machine);
		fputc('\'', f);
	}
	fputs(">hvm</type>\n", f);
	elem(f, "    ", "kernel", d->kernel);
	elem(f, "    ", "initrd", d->initrd);
	elem(f, "    ", "cmdline", d->cmdline);
	fputs("  </os>\n", f);
	if (d->acpi || d->apic)
		fprintf(f, "  <features>\n%s%s  </features>\n", d->acpi ? "    <acpi/>\n" : "",
			d->apic ? "    <apic/>\n" : "");
	if (d->cpu_xml)
		fprintf(f, "  %s\n", d->cpu_xml);
	if (d->clock_xml)
		fprintf(f, "  %s\n", d->clock_xml);
	fprintf(f, "  <on_poweroff>%s</on_poweroff>\n  <on_reboot>%s</on_reboot>\n"
		"  <on_crash>%s</on_crash>\n", action_name(d->on_poweroff),
		action_name(d->on_reboot), action_name(d->on_crash));
}

static void format_disks(FILE *f, const struct domain_def *d)
{
	for (unsigned i = 0; i < d->ndisks; i++) {
		const struct domain_disk *k = &d->disks[i];

		fprintf(f, "    <disk type='%s' device='disk'>\n"
			"      <driver name='keel' type='raw'/>\n      <source %s='",
			k->block ? "block" : "file", k->block ? "dev" : "file");
		esc(f, k->source);
		fputs("'/>\n      <target dev='", f);
		esc(f, k->target);
		fputs("' bus='virtio'/>\n", f);
		if (k->readonly)
			fputs("      <readonly/>\n", f);
		elem(f, "      ", "serial", k->serial);
		fputs("    </disk>\n", f);
	}
}

static void format_interfaces(FILE *f, const struct domain_def *d, const struct domain_live *live)
{
	for (unsigned i = 0; i < d->ninterfaces; i++) {
		const struct domain_iface *n = &d->interfaces[i];
		const char *tap = n->type == DOMAIN_IFACE_ETHERNET ? n->target :
				  live && live->tap_names ? live->tap_names[i] : NULL;

		fprintf(f, "    <interface type='%s'>\n",
			n->type == DOMAIN_IFACE_BRIDGE ? "bridge" : "ethernet");
		if (n->has_mac)
			fprintf(f, "      <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n",
				n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		if (n->type == DOMAIN_IFACE_BRIDGE) {
			fputs("      <source bridge='", f);
			esc(f, n->bridge);
			fputs("'/>\n", f);
		}
		if (tap) {
			fputs("      <target dev='", f);
			esc(f, tap);
			fputs("'/>\n", f);
		}
		fputs("      <model type='virtio'/>\n    </interface>\n", f);
	}
}

static void format_consoles(FILE *f, const struct domain_def *d, const struct domain_live *live)
{
	const char *pty = live ? live->pty_path : NULL;

	if (!d->serial_pty && !d->console_pty)
		return;
	fputs("    <serial type='pty'>\n", f);
	if (pty) {
		fputs("      <source path='", f);
		esc(f, pty);
		fputs("'/>\n", f);
	}
	fputs("      <target type='isa-serial' port='0'/>\n    </serial>\n", f);
	fputs("    <console type='pty'", f);
	if (pty) {
		fputs(" tty='", f);
		esc(f, pty);
		fputs("'>\n      <source path='", f);
		esc(f, pty);
		fputs("'/>\n", f);
	} else {
		fputs(">\n", f);
	}
	fputs("      <target type='serial' port='0'/>\n    </console>\n", f);
}

char *domxml_format(const struct domain_def *d, const struct domain_live *live)
{
	char uuid[37], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	domxml_uuid_format(d->uuid, uuid);
	fputs("<domain type='keel'", f);
	if (live)
		fprintf(f, " id='%d'", live->id);
	fputs(">\n", f);
	elem(f, "  ", "name", d->name);
	fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	elem(f, "  ", "title", d->title);
	elem(f, "  ", "description", d->description);
	if (d->metadata)
		fprintf(f, "  %s\n", d->metadata);
	fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n"
		"  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n"
		"  <vcpu placement='static'>%u</vcpu>\n",
		d->memory_kib, d->current_memory_kib ? d->current_memory_kib : d->memory_kib,
		d->vcpus);
	format_os(f, d);
	fputs("  <devices>\n", f);
	format_disks(f, d);
	format_interfaces(f, d, live);
	format_consoles(f, d, live);
	if (d->rng)
		fputs("    <rng model='virtio'>\n      <backend model='random'>/dev/urandom"
		      "</backend>\n    </rng>\n", f);
	fputs("  </devices>\n</domain>\n", f);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- keel-vmm's command line ---- */

struct argv_builder {
	char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct argv_builder *a, const char *s)
{
	char **grown;

	if (a->oom)
		return;
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		grown = realloc(a->v, a->cap * sizeof(*grown));
		if (!grown) {
			a->oom = true;
			return;
		}
		a->v = grown;
	}
	a->v[a->n] = strdup(s);
	if (!a->v[a->n]) {
		a->oom = true;
		return;
	}
	a->v[++a->n] = NULL;
}

static void addf(struct argv_builder *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct argv_builder *a, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	add(a, buf);
}

int domain_def_vmm_args(const struct domain_def *d, const struct vmm_launch *launch,
			char ***argv_out)
{
	struct argv_builder a = { 0 };

	add(&a, launch->vmm_path);
	add(&a, "--memory");
	addf(&a, "%" PRIu64, (d->memory_kib + 1023) / 1024);
	add(&a, "--cpus");
	addf(&a, "%u", d->vcpus);
	add(&a, "--kernel");
	add(&a, d->kernel);
	if (d->initrd) {
		add(&a, "--initrd");
		add(&a, d->initrd);
	}
	if (d->cmdline) {
		add(&a, "--append");
		add(&a, d->cmdline);
	}
	/* The console on a pty, for virsh console; COM1 unless the command line says hvc0. */
	add(&a, "--console");
	add(&a, d->cmdline && strstr(d->cmdline, "console=hvc0") ? "hvc0:pty" : "pty");
	add(&a, "--control");
	add(&a, launch->control_path);
	for (unsigned i = 0; i < d->ndisks; i++) {
		const struct domain_disk *k = &d->disks[i];

		add(&a, "--disk");
		addf(&a, "%s%s%s%s", k->source, k->readonly ? ",readonly" : "",
		     k->serial ? ",serial=" : "", k->serial ? k->serial : "");
	}
	for (unsigned i = 0; i < d->ninterfaces; i++) {
		const struct domain_iface *n = &d->interfaces[i];
		const uint8_t *m = n->mac;

		add(&a, "--net");
		if (n->type == DOMAIN_IFACE_BRIDGE)
			addf(&a, "fd=%d,mac=%02x:%02x:%02x:%02x:%02x:%02x", launch->tap_fds[i], m[0],
			     m[1], m[2], m[3], m[4], m[5]);
		else
			addf(&a, "tap=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", n->target, m[0], m[1],
			     m[2], m[3], m[4], m[5]);
	}
	if (d->rng)
		add(&a, "--rng");
	if (d->on_reboot != DOMAIN_ACTION_RESTART)
		add(&a, "--no-reboot");
	if (a.oom) {
		domain_vmm_args_free(a.v);
		return -ENOMEM;
	}
	*argv_out = a.v;
	return 0;
}

void domain_vmm_args_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
