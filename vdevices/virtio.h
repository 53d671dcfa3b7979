/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio devices on the virtio 1.x PCI transport (modern only): the transport emulates the
 * PCI function (common, notify, ISR and device config structures, MSI-X) and runs one
 * worker thread per device while the driver has it live (DRIVER_OK until reset). The
 * device supplies its feature bits, its config space and what to do on that thread.
 *
 * Threads: start/stop, config_read/config_write run on vCPU threads (or the main thread on
 * machine reset); queue_kicked and fd_ready run on the device's worker. A device's worker is
 * stopped (joined) before stop() is called, so the queues belong to the worker alone while
 * it runs.
 *
 * Fast paths: guest kicks are doorbells (ioeventfd) that wake the worker without a vCPU
 * exit; virtio_notify_queue() fires an MSI-X vector through its eventfd (irqfd).
 */
#ifndef KEEL_VDEVICES_VIRTIO_H
#define KEEL_VDEVICES_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "vdevices/device.h"
#include "vdevices/guest_mem.h"
#include "vdevices/irq.h"
#include "vdevices/pci.h"
#include "vdevices/virtio_queue.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_MAX_QUEUES 16
#define VIRTIO_QUEUE_MAX_SIZE 256

struct virtio_dev;

struct virtio_device_ops {
	const char *name;    /* "virtio-blk", for messages and state sections */
	uint16_t device_id;  /* VIRTIO_ID_* */
	uint32_t class_code; /* PCI class */
	unsigned num_queues;
	/* Device feature bits (the transport adds VERSION_1, indirect and event index). */
	uint64_t (*features)(void *dev);
	uint32_t config_size;
	/* Device config space, [offset, offset + len) already checked against config_size. */
	void (*config_read)(void *dev, unsigned offset, void *buf, unsigned len);
	void (*config_write)(void *dev, unsigned offset, const void *buf, unsigned len);
	/* DRIVER_OK with the negotiated features: 0, or an errno (the device needs reset). */
	int (*start)(void *dev, uint64_t features);
	/* The driver reset the device (or the machine was reset): forget queues and requests. */
	void (*stop)(void *dev);
	/* On the worker: the guest kicked queue q (its doorbell has been read). */
	void (*queue_kicked)(void *dev, unsigned q);
	/* On the worker: an fd added with virtio_watch_fd() is ready. */
	void (*fd_ready)(void *dev, int fd, uint32_t events);
	/* On the worker (optional): requests are still with the backend. */
	bool (*busy)(void *dev);
	void (*destroy)(void *dev);
};

/* What the machine gives a virtio device. */
struct virtio_env {
	struct pci_host *pci;
	const struct guest_mem *mem;
	struct msi_target msi;
	struct doorbells doorbells;
	/* Tests and fuzzers: no worker thread; virtio_poll() serves events on the caller. */
	bool no_worker_thread;
};

/* Creates the PCI function (slot 0: next free). -errno with nothing left behind on error. */
int virtio_pci_create(const struct virtio_env *env, unsigned slot,
		      const struct virtio_device_ops *ops, void *dev, struct virtio_dev **out);
/* Register with the machine's device list: reset and destroy go through the transport. */
extern const struct vdev_ops virtio_pci_vdev_ops;

const struct guest_mem *virtio_guest_mem(struct virtio_dev *vdev);
struct virtq *virtio_queue(struct virtio_dev *vdev, unsigned q);
/* After pushing used buffers: interrupts the guest if the queue asks for it. */
void virtio_notify_queue(struct virtio_dev *vdev, unsigned q);
/* The device's config space changed (link status, ...): config interrupt. */
void virtio_config_changed(struct virtio_dev *vdev);
/* The guest broke a rule on queue q: the queue stays stopped and the device needs reset. */
void virtio_queue_error(struct virtio_dev *vdev, unsigned q, const char *what);
/*
 * Worker-side fd watching (from start() or on the worker): events for epoll; modifying
 * with events 0 pauses it. Removed automatically when the worker stops.
 */
int virtio_watch_fd(struct virtio_dev *vdev, int fd, uint32_t events);
int virtio_unwatch_fd(struct virtio_dev *vdev, int fd);
/*
 * With no_worker_thread: serves the device's ready events (kicks, backend fds) for up to
 * timeout_ms on the calling thread; returns how many it served (0: none, or not live).
 */
int virtio_poll(struct virtio_dev *vdev, int timeout_ms);
/* With no_worker_thread: the device still waits on its backend for some requests. */
bool virtio_busy(struct virtio_dev *vdev);
/* Counters for tests and benches. */
struct virtio_stats {
	uint64_t kicks;          /* doorbells seen by the worker */
	uint64_t kick_exits;     /* doorbells that came through a vCPU exit */
	uint64_t interrupts;     /* queue interrupts sent */
};
void virtio_get_stats(struct virtio_dev *vdev, struct virtio_stats *out);
const char *virtio_name(struct virtio_dev *vdev);

#endif
