// SPDX-License-Identifier: GPL-2.0
/* virtio-rng (virtio spec 5.4): one queue of device-writable buffers, filled with entropy. */
#include "vdevices/virtio_rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#define RNG_MAX_PER_REQUEST (64u << 10)

struct virtio_rng {
	struct virtio_dev *vdev;
	struct virtq_chain chain;
};

static uint64_t rng_features(void *dev)
{
	(void)dev;
	return 0;
}

static int rng_start(void *dev, uint64_t features)
{
	(void)dev;
	(void)features;
	return 0;
}

static void rng_stop(void *dev)
{
	(void)dev;
}

static uint32_t rng_fill(const struct virtq_chain *chain)
{
	uint32_t filled = 0;

	for (unsigned i = chain->n_out; i < chain->n_out + chain->n_in; i++) {
		uint8_t *p = chain->iov[i].iov_base;
		size_t len = chain->iov[i].iov_len;

		while (len && filled < RNG_MAX_PER_REQUEST) {
			size_t want = len < RNG_MAX_PER_REQUEST - filled ? len
									 : RNG_MAX_PER_REQUEST - filled;
			ssize_t got = getrandom(p, want, 0);

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return filled;
			p += got;
			len -= got;
			filled += got;
		}
	}
	return filled;
}

static void rng_queue_kicked(void *dev, unsigned q)
{
	struct virtio_rng *rng = dev;
	struct virtq *vq = virtio_queue(rng->vdev, q);
	bool pushed = false;
	int ret;

	do {
		virtq_disable_kicks(vq);
		while ((ret = virtq_pop(vq, &rng->chain)) == 1) {
			virtq_push(vq, rng->chain.head, rng_fill(&rng->chain));
			pushed = true;
		}
	} while (ret == 0 && virtq_enable_kicks(vq));
	if (ret == -EIO)
		virtio_queue_error(rng->vdev, q, "malformed request");
	if (pushed)
		virtio_notify_queue(rng->vdev, q);
}

static void rng_destroy(void *dev)
{
	free(dev);
}

static const struct virtio_device_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.class_code = 0xff0000,
	.num_queues = 1,
	.features = rng_features,
	.start = rng_start,
	.stop = rng_stop,
	.queue_kicked = rng_queue_kicked,
	.destroy = rng_destroy,
};

int virtio_rng_create(const struct virtio_env *env, struct virtio_dev **out)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	int ret;

	if (!rng)
		return -ENOMEM;
	ret = virtio_pci_create(env, 0, &virtio_rng_ops, rng, &rng->vdev);
	if (ret) {
		free(rng);
		return ret;
	}
	*out = rng->vdev;
	return 0;
}
