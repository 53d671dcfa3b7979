// SPDX-License-Identifier: GPL-2.0
/* keel-vmm: one process per VM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "vdevices/chardev.h"
#include "vmm/config.h"
#include "vmm/vm.h"

/* A crash must not leave the user's terminal in raw mode. */
static void vmm_fatal_signal(int sig)
{
	chardev_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void vmm_install_signal_handlers(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vmm_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	char err[256];
	int code;

	log_init("keel-vmm", LOG_INFO);
	switch (config_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CONFIG_EXIT_OK:
		return 0;
	case CONFIG_ERROR:
		log_error("%s", err);
		return VMM_EXIT_ERROR;
	case CONFIG_RUN:
		break;
	}
	vmm_install_signal_handlers();
	if (vm_create(&vm, &cfg)) {
		vm_destroy(&vm);
		return VMM_EXIT_ERROR;
	}
	code = vm_run(&vm);
	vm_destroy(&vm);
	return code;
}
