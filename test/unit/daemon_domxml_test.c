// SPDX-License-Identifier: GPL-2.0
#include "daemon/domxml.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char full_xml[] =
	"<domain type='keel' id='7'>\n"
	"  <name>web1</name>\n"
	"  <uuid>0123456789abcdef0123456789ABCDEF</uuid>\n"
	"  <title>Web &amp; mail</title>\n"
	"  <description>the front end</description>\n"
	"  <metadata><a:x xmlns:a='urn:a'>1<a:y/></a:x></metadata>\n"
	"  <memory unit='GiB'>1</memory>\n"
	"  <currentMemory unit='MiB'>512</currentMemory>\n"
	"  <vcpu placement='static'>4</vcpu>\n"
	"  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/k</kernel>"
	"<initrd>/i</initrd><cmdline>console=ttyS0 root=/dev/vda</cmdline><boot dev='hd'/></os>\n"
	"  <features><acpi/><apic/><pae/></features>\n"
	"  <clock offset='utc'/>\n"
	"  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>"
	"<on_crash>restart</on_crash>\n"
	"  <devices>\n"
	"    <emulator>/usr/bin/x</emulator>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
	"<source file='/img/a.raw'/><target dev='vda' bus='virtio'/><serial>S1</serial></disk>\n"
	"    <disk type='block'><source dev='/dev/sdb'/><target dev='vdb'/><readonly/></disk>\n"
	"    <interface type='bridge'><mac address='52:54:00:aa:bb:cc'/>"
	"<source bridge='br0'/><model type='virtio'/></interface>\n"
	"    <interface type='ethernet'><target dev='tap7'/></interface>\n"
	"    <serial type='pty'/><console type='pty'/>\n"
	"    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
	"    <input type='mouse' bus='ps2'/><memballoon model='none'/>\n"
	"  </devices>\n"
	"</domain>\n";

static struct domain_def *parse_ok(const char *xml)
{
	struct domain_def *d = NULL;
	char err[256] = "";

	if (domxml_parse(xml, strlen(xml), &d, err, sizeof(err)))
		fprintf(stderr, "unexpected refusal: %s\n", err);
	return d;
}

/* The parse fails and the message contains want. */
static bool refused(const char *xml, const char *want)
{
	struct domain_def *d = NULL;
	char err[256] = "";
	int ret = domxml_parse(xml, strlen(xml), &d, err, sizeof(err));

	if (!ret || d || !strstr(err, want)) {
		fprintf(stderr, "want a refusal naming '%s', got %d '%s'\n", want, ret, err);
		domain_def_free(d);
		return false;
	}
	return true;
}

/* full_xml with one substitution. */
static char *variant(const char *from, const char *to)
{
	const char *at = strstr(full_xml, from);
	size_t n = strlen(full_xml) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	if (!at || !s) {
		free(s);
		return NULL;
	}
	snprintf(s, n, "%.*s%s%s", (int)(at - full_xml), full_xml, to, at + strlen(from));
	return s;
}

TEST(domxml_full_definition)
{
	struct domain_def *d = parse_ok(full_xml);
	char uuid[37];

	CHECK(d);
	CHECK(!strcmp(d->name, "web1"));
	domxml_uuid_format(d->uuid, uuid);
	CHECK(!strcmp(uuid, "01234567-89ab-cdef-0123-456789abcdef"));
	CHECK(!strcmp(d->title, "Web & mail"));
	CHECK(strstr(d->metadata, "<a:x xmlns:a=\"urn:a\">1<a:y/></a:x>"));
	CHECK_EQ(d->memory_kib, 1024 * 1024);
	CHECK_EQ(d->current_memory_kib, 512 * 1024);
	CHECK_EQ(d->vcpus, 4);
	CHECK(!strcmp(d->kernel, "/k") && !strcmp(d->initrd, "/i"));
	CHECK(d->acpi && d->apic && d->rng && d->serial_pty && d->console_pty);
	CHECK(d->on_reboot == DOMAIN_ACTION_DESTROY && d->on_crash == DOMAIN_ACTION_RESTART);
	CHECK_EQ(d->ndisks, 2);
	CHECK(!strcmp(d->disks[0].serial, "S1") && !d->disks[0].readonly);
	CHECK(d->disks[1].block && d->disks[1].readonly && !strcmp(d->disks[1].source, "/dev/sdb"));
	CHECK_EQ(d->ninterfaces, 2);
	CHECK(d->interfaces[0].type == DOMAIN_IFACE_BRIDGE && d->interfaces[0].mac[5] == 0xcc);
	CHECK(d->interfaces[1].type == DOMAIN_IFACE_ETHERNET && !d->interfaces[1].has_mac);
	domain_def_free(d);
}

TEST(domxml_defaults_filled)
{
	char *xml = variant("  <uuid>0123456789abcdef0123456789ABCDEF</uuid>\n", "");
	struct domain_def *d;

	CHECK(xml);
	d = parse_ok(xml);
	free(xml);
	CHECK(d && !d->has_uuid);
	CHECK_EQ(domxml_fill_defaults(d), 0);
	CHECK(d->has_uuid && (d->uuid[6] >> 4) == 4);
	CHECK(d->interfaces[1].has_mac && d->interfaces[1].mac[0] == 0x52 &&
	      d->interfaces[1].mac[1] == 0x54 && d->interfaces[1].mac[2] == 0x00);
	CHECK(d->interfaces[0].mac[3] == 0xaa);
	domain_def_free(d);
}

TEST(domxml_refusals_name_what_is_wrong)
{
	static const char *const cases[][3] = {
		{ "bus='virtio'", "bus='ide'", "unsupported disk bus 'ide'" },
		{ "type='raw'", "type='qcow2'", "unsupported disk format 'qcow2'" },
		{ "<memballoon model='none'/>", "<graphics type='vnc'/>", "unsupported device <graphics>" },
		{ "<memballoon model='none'/>", "<memballoon model='virtio'/>", "<memballoon> 'virtio'" },
		{ "<interface type='ethernet'>", "<interface type='network'>", "interface type 'network'" },
		{ "type='keel'", "type='kvm'", "domain type 'kvm'" },
		{ "<name>web1</name>", "", "<name> is missing" },
		{ "0123456789abcdef0123456789ABCDEF", "xyz", "invalid UUID 'xyz'" },
		{ "52:54:00:aa:bb:cc", "01:54:00:aa:bb:cc", "invalid MAC address" },
		{ "<vcpu placement='static'>4</vcpu>", "<vcpu>0</vcpu>", "<vcpu>: '0'" },
		{ "<memory unit='GiB'>1</memory>", "<memory unit='TiB'>99999999</memory>", "<memory>" },
		{ "<memory unit='GiB'>1</memory>", "<memory unit='parsecs'>1</memory>", "unknown unit" },
		{ "<kernel>/k</kernel>", "", "<os><kernel> is missing" },
		{ "<boot dev='hd'/>", "<loader>/x</loader>", "<os><loader>" },
		{ "<serial type='pty'/>", "<serial type='tcp'/>", "<serial> type 'tcp'" },
		{ "<clock offset='utc'/>", "<sysinfo type='smbios'/>", "unsupported element <sysinfo>" },
		{ "hvm", "xen", "os type 'xen'" },
		{ "<on_crash>restart</on_crash>", "<on_crash>explode</on_crash>", "unknown action" },
		{ "<currentMemory unit='MiB'>512</currentMemory>",
		  "<currentMemory unit='GiB'>2</currentMemory>", "larger than <memory>" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *xml = variant(cases[i][0], cases[i][1]);

		CHECK(xml);
		if (!refused(xml, cases[i][2])) {
			free(xml);
			CHECK(!"refusal");
		}
		free(xml);
	}
	CHECK(refused("<domain type='keel'><name>x</nam></domain>", "not well-formed"));
	CHECK(refused("<vm/>", "not <domain>"));
}

TEST(domxml_format_parse_round_trip)
{
	struct domain_def *d = parse_ok(full_xml), *again;
	char *xml, *xml2;

	CHECK(d);
	CHECK_EQ(domxml_fill_defaults(d), 0);
	xml = domxml_format(d, NULL);
	CHECK(xml && !strstr(xml, " id="));
	CHECK(strstr(xml, "<title>Web &amp; mail</title>"));
	again = parse_ok(xml);
	CHECK(again);
	xml2 = domxml_format(again, NULL);
	CHECK(xml2 && !strcmp(xml, xml2));
	free(xml);
	free(xml2);
	domain_def_free(again);
	domain_def_free(d);
}

TEST(domxml_live_xml_has_id_pty_and_taps)
{
	struct domain_def *d = parse_ok(full_xml);
	const char *taps[] = { "vnet3", NULL };
	struct domain_live live = { .id = 12, .pty_path = "/dev/pts/4", .tap_names = taps };
	char *xml;

	CHECK(d);
	xml = domxml_format(d, &live);
	CHECK(xml);
	CHECK(strstr(xml, "<domain type='keel' id='12'>"));
	CHECK(strstr(xml, "<console type='pty' tty='/dev/pts/4'>"));
	CHECK(strstr(xml, "<source bridge='br0'/>\n      <target dev='vnet3'/>"));
	CHECK(strstr(xml, "<target dev='tap7'/>"));
	free(xml);
	domain_def_free(d);
}

TEST(domxml_vmm_arguments)
{
	static const char *const want[] = {
		"/bin/keel-vmm", "--memory", "1024", "--cpus", "4", "--kernel", "/k", "--initrd", "/i",
		"--append", "console=ttyS0 root=/dev/vda", "--console", "pty", "--control",
		"/run/keel/web1.ctl", "--disk", "/img/a.raw,serial=S1", "--disk",
		"/dev/sdb,readonly", "--net", "fd=9,mac=52:54:00:aa:bb:cc", "--net",
		"tap=tap7,mac=52:54:00:01:02:03", "--rng", "--no-reboot", NULL,
	};
	struct vmm_launch launch = { "/bin/keel-vmm", "/run/keel/web1.ctl", { 9, -1 } };
	struct domain_def *d = parse_ok(full_xml);
	char **argv;
	size_t i;

	CHECK(d);
	d->interfaces[1].has_mac = true;
	memcpy(d->interfaces[1].mac, "\x52\x54\x00\x01\x02\x03", 6);
	CHECK_EQ(domain_def_vmm_args(d, &launch, &argv), 0);
	for (i = 0; want[i]; i++) {
		if (!argv[i] || strcmp(argv[i], want[i]))
			fprintf(stderr, "argv[%zu] = '%s', want '%s'\n", i, argv[i], want[i]);
		CHECK(argv[i] && !strcmp(argv[i], want[i]));
	}
	CHECK(argv[i] == NULL);
	domain_vmm_args_free(argv);
	domain_def_free(d);
}

TEST(domxml_uuid_forms)
{
	uint8_t u[16];
	char s[37];

	CHECK_EQ(domxml_uuid_parse("01234567-89ab-cdef-0123-456789abcdef", u), 0);
	domxml_uuid_format(u, s);
	CHECK(!strcmp(s, "01234567-89ab-cdef-0123-456789abcdef"));
	CHECK_EQ(domxml_uuid_parse("0123456789abcdef0123456789abcde", u), -EINVAL);
	CHECK_EQ(domxml_uuid_parse("0123456789abcdef0123456789abcdef0", u), -EINVAL);
	CHECK_EQ(domxml_uuid_parse("0123456789abcdef0123456789abcdeg", u), -EINVAL);
}
