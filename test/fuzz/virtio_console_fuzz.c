// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console with multiport behind the PCI transport against a hostile driver: the input
 * sets up any of its eight queues (two ports, the control pair and a named port) and fills
 * guest RAM with rings, control messages and data; the device serves every kick.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/evloop.h"
#include "lib/log.h"
#include "test/unit/virtio_test_driver.h"
#include "vdevices/chardev.h"
#include "vdevices/virtio_console.h"

#define RAM_SIZE 0x20000
#define PORTS 3

static struct vt_machine machine;
static struct virtio_dev *console;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct virtio_console_port_config ports[PORTS] = {
		{ .console = true },
		{ .name = "org.keel.agent.0" },
		{ .name = "org.keel.fuzz.1" },
	};
	struct evloop *loop = evloop_create();
	const char *why = "";
	char err[256] = "";

	log_init("virtio_console_fuzz", LOG_ERROR);
	for (unsigned i = 0; i < PORTS; i++)
		if (!loop || chardev_open("null", loop, &ports[i].chardev, &why))
			abort();
	if (!vt_machine_init(&machine, RAM_SIZE) ||
	    virtio_console_create(&machine.env, loop, ports, PORTS, &console, err, sizeof(err))) {
		fprintf(stderr, "virtio_console_fuzz: setup failed: %s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vt_fuzz_round(&machine, RAM_SIZE, console, 2 * PORTS + 2, data, size);
	return 0;
}
