// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk behind the PCI transport against a hostile driver: the input chooses the
 * negotiated features, the queue size and ring addresses, and fills guest RAM (rings,
 * descriptors, request headers and data); the device serves every kick. Anything reaching
 * outside guest RAM, a hang or a crash is a bug. The disk is a 1 MiB scratch image.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "test/unit/virtio_test_driver.h"
#include "vdevices/virtio_blk.h"

#define RAM_SIZE 0x20000

static struct vt_machine machine;
static struct virtio_dev *blk;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/keel-blk-fuzz-XXXXXX", err[256];
	int fd = mkstemp(path);

	log_init("virtio_blk_fuzz", LOG_ERROR);
	if (fd < 0 || ftruncate(fd, 1 << 20) || !vt_machine_init(&machine, RAM_SIZE) ||
	    virtio_blk_create(&machine.env, path, false, "fuzz", &blk, err, sizeof(err))) {
		fprintf(stderr, "virtio_blk_fuzz: setup failed: %s\n", err);
		abort();
	}
	close(fd);
	unlink(path); /* the open image stays until exit */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vt_fuzz_round(&machine, RAM_SIZE, blk, 1, data, size);
	return 0;
}
