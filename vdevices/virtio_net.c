// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio spec 5.1) on a TAP: one receive and one transmit queue. The TAP uses
 * the same 12-byte virtio-net header as the guest, so packets, checksum and segmentation
 * offload metadata pass through unchanged: transmit is one writev per chain, receive one
 * readv into the guest's buffers.
 */
#include "vdevices/virtio_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "vdevices/tap.h"

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1
#define NET_HDR_SIZE 12
#define NET_CONFIG_SIZE 8 /* mac, status */
#define NET_RXQ 0
#define NET_TXQ 1
/* Interrupt the guest at least this often while a burst is being moved. */
#define NET_NOTIFY_BATCH 64

struct virtio_net {
	struct virtio_dev *vdev;
	struct tap *tap;
	uint8_t config[NET_CONFIG_SIZE];
	struct virtq_chain rx_chain; /* a receive buffer taken while the TAP had nothing */
	bool rx_chain_held;
	bool tap_watched;
	struct virtq_chain tx_chain;
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
};

static uint64_t net_features(void *opaque)
{
	return 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
	       1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_GUEST_TSO4 |
	       1ull << VIRTIO_NET_F_GUEST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_ECN |
	       1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_HOST_TSO6 |
	       1ull << VIRTIO_NET_F_HOST_ECN | 1ull << VIRTIO_NET_F_STATUS;
}

static void net_config_read(void *opaque, unsigned offset, void *buf, unsigned len)
{
	struct virtio_net *net = opaque;

	memcpy(buf, net->config + offset, len);
}

/* Watching the TAP only makes sense while the guest has posted receive buffers. */
static void net_watch_tap(struct virtio_net *net, bool on)
{
	if (net->tap_watched == on)
		return;
	if (!virtio_watch_fd(net->vdev, tap_fd(net->tap), on ? EPOLLIN : 0))
		net->tap_watched = on;
}

static void net_receive(struct virtio_net *net)
{
	struct virtq *vq = virtio_queue(net->vdev, NET_RXQ);
	unsigned since_notify = 0;
	int ret;

	for (;;) {
		ssize_t got;

		if (!net->rx_chain_held) {
			ret = virtq_pop(vq, &net->rx_chain);
			if (ret == 0 && virtq_enable_kicks(vq))
				continue;
			if (ret < 0) {
				if (ret == -EIO)
					virtio_queue_error(net->vdev, NET_RXQ,
							   "malformed receive buffer");
				net_watch_tap(net, false);
				break;
			}
			if (ret == 0) {
				/* No buffers: the guest's next kick brings us back. */
				net_watch_tap(net, false);
				break;
			}
			virtq_disable_kicks(vq);
			if (net->rx_chain.n_out || net->rx_chain.in_len < NET_HDR_SIZE) {
				virtio_queue_error(net->vdev, NET_RXQ, "receive buffer too small");
				net_watch_tap(net, false);
				break;
			}
			net->rx_chain_held = true;
		}
		got = readv(tap_fd(net->tap), net->rx_chain.iov, net->rx_chain.n_in);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* Nothing to read: keep the buffer for the next packet. */
			net_watch_tap(net, true);
			break;
		}
		/* num_buffers is 1 without mergeable buffers. */
		if (got >= NET_HDR_SIZE) {
			uint8_t one[2];

			put_le16(one, 1);
			virtq_buf_to_iov(net->rx_chain.iov, net->rx_chain.n_in, 10, one, 2);
		}
		virtq_push(vq, net->rx_chain.head, got);
		net->rx_chain_held = false;
		net->rx_packets++;
		if (++since_notify == NET_NOTIFY_BATCH) {
			virtio_notify_queue(net->vdev, NET_RXQ);
			since_notify = 0;
		}
	}
	if (since_notify)
		virtio_notify_queue(net->vdev, NET_RXQ);
}

static void net_transmit(struct virtio_net *net)
{
	struct virtq *vq = virtio_queue(net->vdev, NET_TXQ);
	unsigned since_notify = 0;
	int ret;

	do {
		virtq_disable_kicks(vq);
		while ((ret = virtq_pop(vq, &net->tx_chain)) == 1) {
			struct virtq_chain *c = &net->tx_chain;

			if (c->n_in || c->out_len < NET_HDR_SIZE) {
				virtio_queue_error(net->vdev, NET_TXQ, "malformed transmit chain");
				ret = -EIO;
				break;
			}
			/* A full TAP queue drops the packet, as a wire would. */
			if (writev(tap_fd(net->tap), c->iov, c->n_out) < 0)
				net->tx_dropped++;
			else
				net->tx_packets++;
			virtq_push(vq, c->head, 0);
			if (++since_notify == NET_NOTIFY_BATCH) {
				virtio_notify_queue(net->vdev, NET_TXQ);
				since_notify = 0;
			}
		}
	} while (ret == 0 && virtq_enable_kicks(vq));
	if (ret == -EIO)
		virtio_queue_error(net->vdev, NET_TXQ, "malformed descriptor chain");
	if (since_notify)
		virtio_notify_queue(net->vdev, NET_TXQ);
}

static void net_queue_kicked(void *opaque, unsigned q)
{
	struct virtio_net *net = opaque;

	if (q == NET_TXQ)
		net_transmit(net);
	else
		net_receive(net);
}

static void net_fd_ready(void *opaque, int fd, uint32_t events)
{
	net_receive(opaque);
}

static int net_start(void *opaque, uint64_t f)
{
	struct virtio_net *net = opaque;
	int ret;

	ret = tap_set_offloads(net->tap, f & (1ull << VIRTIO_NET_F_GUEST_CSUM),
			       f & (1ull << VIRTIO_NET_F_GUEST_TSO4),
			       f & (1ull << VIRTIO_NET_F_GUEST_TSO6),
			       f & (1ull << VIRTIO_NET_F_GUEST_ECN), false);
	if (ret)
		log_warn("virtio-net: TAP %s refused the offloads: %s", tap_name(net->tap),
			 strerror(-ret));
	net->rx_chain_held = false;
	net->tap_watched = false;
	net_watch_tap(net, true);
	return 0;
}

static void net_stop(void *opaque)
{
	struct virtio_net *net = opaque;

	net->rx_chain_held = false;
	net->tap_watched = false;
	tap_set_offloads(net->tap, false, false, false, false, false);
}

static void net_destroy(void *opaque)
{
	struct virtio_net *net = opaque;

	tap_close(net->tap);
	free(net);
}

static const struct virtio_device_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.class_code = 0x020000, /* Ethernet controller */
	.num_queues = 2,
	.features = net_features,
	.config_size = NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.start = net_start,
	.stop = net_stop,
	.queue_kicked = net_queue_kicked,
	.fd_ready = net_fd_ready,
	.destroy = net_destroy,
};

int virtio_net_create(const struct virtio_env *env, const char *tap_name, int tap_fd,
		      const uint8_t mac[6], struct virtio_dev **out, char *err, size_t errlen)
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	int ret;

	if (!net) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = tap_name ? tap_open(tap_name, &net->tap, err, errlen)
		       : tap_adopt_fd(tap_fd, &net->tap, err, errlen);
	if (ret) {
		free(net);
		return ret;
	}
	memcpy(net->config, mac, 6);
	put_le16(net->config + 6, VIRTIO_NET_S_LINK_UP);
	ret = virtio_pci_create(env, 0, &virtio_net_ops, net, &net->vdev);
	if (ret) {
		snprintf(err, errlen, "cannot add a PCI device for TAP %s: %s",
			 tap_name ? tap_name : "(fd)", strerror(-ret));
		tap_close(net->tap);
		free(net);
		return ret;
	}
	*out = net->vdev;
	return 0;
}
