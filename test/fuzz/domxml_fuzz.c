// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: domain XML as virtkeeld receives it from any client. Accepted definitions get
 * their defaults, are formatted (inactive and live), parsed again to the same XML, copied,
 * and turned into keel-vmm's command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/domxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *taps[DOMAIN_MAX_IFACES] = { "vnet0" };
	struct domain_live live = { .id = 3, .pty_path = "/dev/pts/9", .tap_names = taps };
	struct vmm_launch launch = { "/bin/keel-vmm", "/run/keel/x.ctl", { 5, 6 } };
	struct domain_def *d = NULL, *again = NULL, *copy;
	char err[256], *xml, *xml2, *live_xml, **argv;

	if (domxml_parse((const char *)data, size, &d, err, sizeof(err)))
		return 0;
	if (domxml_fill_defaults(d))
		abort();
	xml = domxml_format(d, NULL);
	live_xml = domxml_format(d, &live);
	if (!xml || !live_xml)
		abort();
	/* What we write, we read back to the same definition. */
	if (domxml_parse(xml, strlen(xml), &again, err, sizeof(err)))
		abort();
	xml2 = domxml_format(again, NULL);
	if (!xml2 || strcmp(xml, xml2))
		abort();
	copy = domxml_copy(d);
	if (!copy || domain_def_vmm_args(copy, &launch, &argv))
		abort();
	domain_vmm_args_free(argv);
	domain_def_free(copy);
	free(xml);
	free(xml2);
	free(live_xml);
	domain_def_free(again);
	domain_def_free(d);
	return 0;
}
