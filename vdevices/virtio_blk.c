// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio spec 5.2) on a blockdev backend: requests are parsed on the device's
 * worker, handed to the backend in one batch per queue drain, and completed from the
 * backend's completion fd, several in flight at once.
 */
#include "vdevices/virtio_blk.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "vdevices/blockdev.h"

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR_SIZE 512
#define BLK_HEADER_SIZE 16
#define BLK_RANGE_SIZE 16 /* discard / write-zeroes segment: sector, num_sectors, flags */
#define BLK_ID_BYTES 20
#define BLK_SEG_MAX (VIRTIO_QUEUE_MAX_SIZE - 2)
#define BLK_MAX_RANGE_SECTORS 0x3fffff /* 2 GiB - 512 per discard / write-zeroes segment */
#define BLK_CONFIG_SIZE 60
#define BLK_MAX_REAP 64

/* Device config space offsets (spec 5.2.4). */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_NUM_QUEUES 34
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGNMENT 44
#define CFG_MAX_WRITE_ZEROES_SECTORS 48
#define CFG_MAX_WRITE_ZEROES_SEG 52
#define CFG_WRITE_ZEROES_MAY_UNMAP 56

struct blk_request {
	struct virtq_chain chain;
	struct iovec data[VIRTQ_MAX_SEGS]; /* the chain without header and status byte */
	unsigned ndata;
	uint8_t *status;
	uint32_t written; /* bytes the device wrote into the chain, status included */
	bool busy;
};

struct virtio_blk {
	struct virtio_dev *vdev;
	struct blockdev *bd;
	char serial[BLK_ID_BYTES];
	uint8_t config[BLK_CONFIG_SIZE];
	struct blk_request *reqs; /* one per ring slot, allocated on first start */
	unsigned in_flight;
	bool completion_watched;
};

static uint64_t blk_features(void *opaque)
{
	struct virtio_blk *blk = opaque;
	uint64_t f = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
		     1ull << VIRTIO_BLK_F_FLUSH;

	if (blockdev_readonly(blk->bd))
		f |= 1ull << VIRTIO_BLK_F_RO;
	if (blockdev_can_discard(blk->bd))
		f |= 1ull << VIRTIO_BLK_F_DISCARD;
	if (blockdev_can_write_zeroes(blk->bd))
		f |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static void blk_config_read(void *opaque, unsigned offset, void *buf, unsigned len)
{
	struct virtio_blk *blk = opaque;

	memcpy(buf, blk->config + offset, len);
}

static struct blk_request *blk_alloc_request(struct virtio_blk *blk)
{
	for (unsigned i = 0; i < VIRTIO_QUEUE_MAX_SIZE; i++)
		if (!blk->reqs[i].busy)
			return &blk->reqs[i];
	return NULL;
}

/*
 * Splits the chain into header (first 16 readable bytes), data and status (the last
 * writable byte); false if the chain cannot be a request at all.
 */
static bool blk_split(struct blk_request *req, uint8_t header[BLK_HEADER_SIZE])
{
	const struct virtq_chain *c = &req->chain;
	size_t skip = BLK_HEADER_SIZE;
	unsigned last;

	if (c->out_len < BLK_HEADER_SIZE || c->in_len < 1)
		return false;
	virtq_iov_to_buf(c->iov, c->n_out, 0, header, BLK_HEADER_SIZE);
	req->ndata = 0;
	for (unsigned i = 0; i < c->n_out + c->n_in; i++) {
		struct iovec v = c->iov[i];

		if (i < c->n_out && skip) {
			size_t cut = skip < v.iov_len ? skip : v.iov_len;

			v.iov_base = (uint8_t *)v.iov_base + cut;
			v.iov_len -= cut;
			skip -= cut;
		}
		if (v.iov_len)
			req->data[req->ndata++] = v;
	}
	/* The status byte is the chain's last writable byte. */
	last = req->ndata - 1;
	req->status = (uint8_t *)req->data[last].iov_base + req->data[last].iov_len - 1;
	if (!--req->data[last].iov_len)
		req->ndata--;
	return true;
}

static void blk_complete(struct virtio_blk *blk, struct blk_request *req, uint8_t status,
			 uint32_t data_written)
{
	struct virtq *vq = virtio_queue(blk->vdev, 0);

	*req->status = status;
	virtq_push(vq, req->chain.head, data_written + 1);
	req->busy = false;
}

/* The data segments of one direction: reads fill the writable ones, writes the others. */
static unsigned blk_data_range(const struct blk_request *req, bool writable, unsigned *first)
{
	const struct virtq_chain *c = &req->chain;
	uint64_t out_data = c->out_len - BLK_HEADER_SIZE;
	uint64_t seen = 0;
	unsigned i;

	/* Readable data segments come first (out_data bytes), then the writable ones. */
	for (i = 0; i < req->ndata && seen < out_data; i++)
		seen += req->data[i].iov_len;
	if (writable) {
		*first = i;
		return req->ndata - i;
	}
	*first = 0;
	return i;
}

static uint64_t iov_total(const struct iovec *iov, unsigned n)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

/* Starts one request; returns true if it went to the backend (completes later). */
static bool blk_start_request(struct virtio_blk *blk, struct blk_request *req)
{
	uint8_t header[BLK_HEADER_SIZE], range[BLK_RANGE_SIZE];
	struct blockdev_request br = { .tag = req };
	uint32_t type;
	uint64_t sector, bytes;
	unsigned first, n;
	int ret;

	blk_split(req, header);
	type = get_le32(header);
	sector = get_le64(header + 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		n = blk_data_range(req, type == VIRTIO_BLK_T_IN, &first);
		bytes = iov_total(req->data + first, n);
		if ((bytes % SECTOR_SIZE) || sector > UINT64_MAX / SECTOR_SIZE)
			break;
		br.op = type == VIRTIO_BLK_T_IN ? BLOCKDEV_READ : BLOCKDEV_WRITE;
		br.offset = sector * SECTOR_SIZE;
		br.iov = req->data + first;
		br.iovcnt = n;
		if (!n) {
			blk_complete(blk, req, VIRTIO_BLK_S_OK, 0);
			return false;
		}
		req->written = type == VIRTIO_BLK_T_IN ? bytes : 0;
		ret = blockdev_submit(blk->bd, &br);
		if (ret)
			break;
		return true;
	case VIRTIO_BLK_T_FLUSH:
		req->written = 0;
		if (blockdev_flush_submit(blk->bd, req))
			break;
		return true;
	case VIRTIO_BLK_T_GET_ID:
		n = blk_data_range(req, true, &first);
		bytes = virtq_buf_to_iov(req->data + first, n, 0, blk->serial, BLK_ID_BYTES);
		blk_complete(blk, req, VIRTIO_BLK_S_OK, bytes);
		return false;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		bool discard = type == VIRTIO_BLK_T_DISCARD;
		uint64_t count;

		if (!(discard ? blockdev_can_discard(blk->bd) : blockdev_can_write_zeroes(blk->bd))) {
			blk_complete(blk, req, VIRTIO_BLK_S_UNSUPP, 0);
			return false;
		}
		n = blk_data_range(req, false, &first);
		/* max_discard_seg and max_write_zeroes_seg are 1. */
		if (iov_total(req->data, n) != BLK_RANGE_SIZE)
			break;
		virtq_iov_to_buf(req->data, n, 0, range, BLK_RANGE_SIZE);
		sector = get_le64(range);
		count = get_le32(range + 8);
		if (count > BLK_MAX_RANGE_SECTORS || sector > UINT64_MAX / SECTOR_SIZE)
			break;
		br.op = discard ? BLOCKDEV_DISCARD : BLOCKDEV_WRITE_ZEROES;
		br.offset = sector * SECTOR_SIZE;
		br.length = count * SECTOR_SIZE;
		req->written = 0;
		if (blockdev_submit(blk->bd, &br))
			break;
		return true;
	}
	default:
		blk_complete(blk, req, VIRTIO_BLK_S_UNSUPP, 0);
		return false;
	}
	blk_complete(blk, req, VIRTIO_BLK_S_IOERR, 0);
	return false;
}

static void blk_queue_kicked(void *opaque, unsigned q)
{
	struct virtio_blk *blk = opaque;
	struct virtq *vq = virtio_queue(blk->vdev, q);
	bool completed = false, submitted = false;
	struct blk_request *req;
	int ret = 0;

	do {
		virtq_disable_kicks(vq);
		while ((req = blk_alloc_request(blk)) && (ret = virtq_pop(vq, &req->chain)) == 1) {
			req->busy = true;
			if (req->chain.out_len < BLK_HEADER_SIZE || req->chain.in_len < 1) {
				req->busy = false;
				virtio_queue_error(blk->vdev, q, "request without header or status");
				ret = -EIO;
				break;
			}
			if (blk_start_request(blk, req)) {
				blk->in_flight++;
				submitted = true;
			} else {
				completed = true;
			}
		}
	} while (req && ret == 0 && virtq_enable_kicks(vq));
	if (ret == -EIO)
		virtio_queue_error(blk->vdev, q, "malformed descriptor chain");
	if (submitted)
		blockdev_kick(blk->bd);
	if (completed)
		virtio_notify_queue(blk->vdev, q);
}

static void blk_reap(struct virtio_blk *blk)
{
	struct blockdev_completion done[BLK_MAX_REAP];
	unsigned n;
	bool any = false;

	while ((n = blockdev_reap(blk->bd, done, BLK_MAX_REAP)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct blk_request *req = done[i].tag;
			bool ok = done[i].result >= 0;

			blk_complete(blk, req, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR,
				     ok ? req->written : 0);
			blk->in_flight--;
		}
		any = true;
	}
	if (any) {
		virtio_notify_queue(blk->vdev, 0);
		/* Requests may have waited for a free slot. */
		blk_queue_kicked(blk, 0);
	}
}

static void blk_fd_ready(void *opaque, int fd, uint32_t events)
{
	blk_reap(opaque);
}

static bool blk_busy(void *opaque)
{
	return ((struct virtio_blk *)opaque)->in_flight > 0;
}

static int blk_start(void *opaque, uint64_t features)
{
	struct virtio_blk *blk = opaque;

	if (!blk->reqs) {
		blk->reqs = calloc(VIRTIO_QUEUE_MAX_SIZE, sizeof(*blk->reqs));
		if (!blk->reqs)
			return -ENOMEM;
	}
	return virtio_watch_fd(blk->vdev, blockdev_completion_fd(blk->bd), EPOLLIN);
}

/* Outstanding requests finish before the driver may reuse their memory. */
static void blk_stop(void *opaque)
{
	struct virtio_blk *blk = opaque;
	struct blockdev_completion done[BLK_MAX_REAP];

	while (blk->in_flight) {
		struct pollfd pfd = { .fd = blockdev_completion_fd(blk->bd), .events = POLLIN };
		unsigned n;

		poll(&pfd, 1, 1000);
		n = blockdev_reap(blk->bd, done, BLK_MAX_REAP);

		for (unsigned i = 0; i < n; i++)
			((struct blk_request *)done[i].tag)->busy = false;
		blk->in_flight -= n;
	}
	for (unsigned i = 0; blk->reqs && i < VIRTIO_QUEUE_MAX_SIZE; i++)
		blk->reqs[i].busy = false;
}

static void blk_destroy(void *opaque)
{
	struct virtio_blk *blk = opaque;

	blockdev_close(blk->bd);
	free(blk->reqs);
	free(blk);
}

static const struct virtio_device_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.class_code = 0x018000, /* mass storage, other */
	.num_queues = 1,
	.features = blk_features,
	.config_size = BLK_CONFIG_SIZE,
	.config_read = blk_config_read,
	.start = blk_start,
	.stop = blk_stop,
	.queue_kicked = blk_queue_kicked,
	.fd_ready = blk_fd_ready,
	.busy = blk_busy,
	.destroy = blk_destroy,
};

static void blk_fill_config(struct virtio_blk *blk)
{
	uint8_t *c = blk->config;

	put_le64(c + CFG_CAPACITY, blockdev_size(blk->bd) / SECTOR_SIZE);
	put_le32(c + CFG_SEG_MAX, BLK_SEG_MAX);
	put_le32(c + CFG_BLK_SIZE, blockdev_logical_block_size(blk->bd));
	put_le16(c + CFG_NUM_QUEUES, 1);
	put_le32(c + CFG_MAX_DISCARD_SECTORS, BLK_MAX_RANGE_SECTORS);
	put_le32(c + CFG_MAX_DISCARD_SEG, 1);
	put_le32(c + CFG_DISCARD_ALIGNMENT, 1);
	put_le32(c + CFG_MAX_WRITE_ZEROES_SECTORS, BLK_MAX_RANGE_SECTORS);
	put_le32(c + CFG_MAX_WRITE_ZEROES_SEG, 1);
	c[CFG_WRITE_ZEROES_MAY_UNMAP] = 0;
}

int virtio_blk_create(const struct virtio_env *env, const char *path, bool readonly,
		      const char *serial, struct virtio_dev **out, char *err, size_t errlen)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	int ret;

	if (!blk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = blockdev_open(path, readonly, &blk->bd, err, errlen);
	if (ret) {
		free(blk);
		return ret;
	}
	/* The ID is 20 bytes, NUL-padded, not necessarily terminated. */
	if (serial)
		memcpy(blk->serial, serial, strnlen(serial, sizeof(blk->serial)));
	blk_fill_config(blk);
	ret = virtio_pci_create(env, 0, &virtio_blk_ops, blk, &blk->vdev);
	if (ret) {
		snprintf(err, errlen, "cannot add a PCI device for disk %s: %s", path,
			 strerror(-ret));
		blockdev_close(blk->bd);
		free(blk);
		return ret;
	}
	*out = blk->vdev;
	return 0;
}
