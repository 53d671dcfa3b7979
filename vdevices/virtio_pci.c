// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio 1.x PCI transport (virtio spec 4.1), modern interface only: one 32 KiB memory
 * BAR holding the common config, ISR, device config, notify area and the MSI-X table, each
 * described by a vendor capability. Kicks arrive on per-queue eventfds (doorbells in the
 * accelerator when it has them, else written here on the MMIO exit); one worker thread per
 * device serves them between DRIVER_OK and reset.
 */
#include "vdevices/virtio.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "vdevices/msix.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_SUBSYSTEM 0x0040 /* any value >= 0x40 marks a modern-only device */

#define VIRTIO_BAR 0
#define VIRTIO_BAR_SIZE 0x8000
#define VIRTIO_COMMON_OFFSET 0x0000
#define VIRTIO_COMMON_SIZE 0x38
#define VIRTIO_ISR_OFFSET 0x1000
#define VIRTIO_DEVICE_OFFSET 0x2000
#define VIRTIO_DEVICE_MAX 0x1000
#define VIRTIO_NOTIFY_OFFSET 0x3000
#define VIRTIO_NOTIFY_MULTIPLIER 4
#define VIRTIO_MSIX_TABLE_OFFSET 0x4000
#define VIRTIO_MSIX_PBA_OFFSET 0x5000

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* Common configuration structure offsets (spec 4.1.4.3). */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_NUMQ 0x12
#define COMMON_STATUS 0x14
#define COMMON_CFGGENERATION 0x15
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESCLO 0x20
#define COMMON_Q_DESCHI 0x24
#define COMMON_Q_AVAILLO 0x28
#define COMMON_Q_AVAILHI 0x2c
#define COMMON_Q_USEDLO 0x30
#define COMMON_Q_USEDHI 0x34

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 0x40
#define STATUS_FAILED 0x80

#define ISR_QUEUE 1
#define ISR_CONFIG 2
#define VIRTIO_NO_VECTOR 0xffff

#define VIRTIO_MAX_WATCHED 8

struct virtio_queue_regs {
	uint16_t size, msix_vector;
	bool enable;
	uint64_t desc, avail, used;
};

struct virtio_dev {
	const struct virtio_device_ops *ops;
	void *dev;
	struct virtio_env env;
	struct pci_dev *pdev;
	struct msix *msix;
	unsigned num_queues;

	/* Serialises driver-visible lifecycle changes (start, stop); never taken by the worker. */
	pthread_mutex_t control;
	/* Register state, shared by vCPU threads and the worker. */
	pthread_mutex_t lock;
	uint32_t device_feature_select, driver_feature_select;
	uint64_t driver_features;
	uint16_t config_msix_vector, queue_select;
	uint8_t status, config_generation, isr;
	struct virtio_queue_regs regs[VIRTIO_MAX_QUEUES];
	struct virtq queues[VIRTIO_MAX_QUEUES];
	struct virtio_stats stats;

	int kick_fd[VIRTIO_MAX_QUEUES];
	uint64_t doorbell_gpa; /* where the doorbells are assigned, 0 if nowhere */
	bool doorbells_ok;

	/* The worker. */
	int epoll_fd, stop_fd;
	pthread_t worker;
	bool running; /* the worker thread exists */
	bool live;    /* between a successful start and the next stop */
	int watched[VIRTIO_MAX_WATCHED];
	unsigned nwatched;
};

static uint64_t offered_features(struct virtio_dev *vdev)
{
	return vdev->ops->features(vdev->dev) | 1ull << VIRTIO_F_VERSION_1 |
	       1ull << VIRTIO_F_RING_INDIRECT_DESC | 1ull << VIRTIO_F_RING_EVENT_IDX;
}

/* ---- Interrupts ---- */

static void raise_isr(struct virtio_dev *vdev, uint8_t bit, uint16_t vector)
{
	bool use_intx;

	if (vector == VIRTIO_NO_VECTOR && msix_enabled(vdev->msix))
		return;
	use_intx = !msix_notify(vdev->msix, vector);
	if (use_intx) {
		pthread_mutex_lock(&vdev->lock);
		vdev->isr |= bit;
		pthread_mutex_unlock(&vdev->lock);
		pci_dev_set_intx(vdev->pdev, true);
	}
}

void virtio_notify_queue(struct virtio_dev *vdev, unsigned q)
{
	uint16_t vector;

	if (q >= vdev->num_queues || !virtq_should_notify(&vdev->queues[q]))
		return;
	pthread_mutex_lock(&vdev->lock);
	vector = vdev->regs[q].msix_vector;
	vdev->stats.interrupts++;
	pthread_mutex_unlock(&vdev->lock);
	raise_isr(vdev, ISR_QUEUE, vector);
}

void virtio_config_changed(struct virtio_dev *vdev)
{
	uint16_t vector;

	pthread_mutex_lock(&vdev->lock);
	vdev->config_generation++;
	vector = vdev->config_msix_vector;
	pthread_mutex_unlock(&vdev->lock);
	raise_isr(vdev, ISR_CONFIG, vector);
}

void virtio_queue_error(struct virtio_dev *vdev, unsigned q, const char *what)
{
	uint16_t vector;
	bool first;

	virtq_set_broken(&vdev->queues[q]);
	pthread_mutex_lock(&vdev->lock);
	first = !(vdev->status & STATUS_NEEDS_RESET);
	vdev->status |= STATUS_NEEDS_RESET;
	vdev->config_generation++;
	vector = vdev->config_msix_vector;
	pthread_mutex_unlock(&vdev->lock);
	if (first) {
		log_warn("%s: the guest broke queue %u (%s); the device needs a reset",
			 vdev->ops->name, q, what);
		raise_isr(vdev, ISR_CONFIG, vector);
	}
}

/* ---- The worker ---- */

static void drain_fd(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) == sizeof(count))
		;
}

/* Serves ready fds for up to timeout_ms: events handled, or -1 when told to stop. */
static int virtio_dispatch(struct virtio_dev *vdev, int timeout_ms)
{
	struct epoll_event events[16];
	int n = epoll_wait(vdev->epoll_fd, events, 16, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		uint64_t tag = events[i].data.u64;
		uint64_t count;

		if (tag == UINT64_MAX)
			return -1;
		if (tag >> 32) {
			vdev->ops->fd_ready(vdev->dev, (int)(uint32_t)tag, events[i].events);
			continue;
		}
		if (read(vdev->kick_fd[tag], &count, sizeof(count)) != sizeof(count))
			continue;
		pthread_mutex_lock(&vdev->lock);
		vdev->stats.kicks++;
		pthread_mutex_unlock(&vdev->lock);
		vdev->ops->queue_kicked(vdev->dev, tag);
	}
	return n;
}

static void *virtio_worker_main(void *arg)
{
	struct virtio_dev *vdev = arg;

	while (virtio_dispatch(vdev, -1) >= 0)
		;
	return NULL;
}

int virtio_poll(struct virtio_dev *vdev, int timeout_ms)
{
	int ret;

	if (!vdev->env.no_worker_thread || !vdev->live)
		return 0;
	ret = virtio_dispatch(vdev, timeout_ms);
	return ret > 0 ? ret : 0;
}

bool virtio_busy(struct virtio_dev *vdev)
{
	return vdev->live && vdev->ops->busy && vdev->ops->busy(vdev->dev);
}

int virtio_watch_fd(struct virtio_dev *vdev, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = 1ull << 32 | (uint32_t)fd };
	bool known = false;

	for (unsigned i = 0; i < vdev->nwatched; i++)
		known |= vdev->watched[i] == fd;
	if (known)
		return epoll_ctl(vdev->epoll_fd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
	if (vdev->nwatched == VIRTIO_MAX_WATCHED)
		return -ENOSPC;
	if (epoll_ctl(vdev->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	vdev->watched[vdev->nwatched++] = fd;
	return 0;
}

int virtio_unwatch_fd(struct virtio_dev *vdev, int fd)
{
	for (unsigned i = 0; i < vdev->nwatched; i++) {
		if (vdev->watched[i] != fd)
			continue;
		vdev->watched[i] = vdev->watched[--vdev->nwatched];
		return epoll_ctl(vdev->epoll_fd, EPOLL_CTL_DEL, fd, NULL) ? -errno : 0;
	}
	return -ENOENT;
}

/* With vdev->control held. */
static int virtio_start(struct virtio_dev *vdev)
{
	uint64_t features;
	int ret;

	pthread_mutex_lock(&vdev->lock);
	features = vdev->driver_features;
	for (unsigned q = 0; q < vdev->num_queues; q++) {
		vdev->queues[q].event_idx = features & (1ull << VIRTIO_F_RING_EVENT_IDX);
		vdev->queues[q].indirect = features & (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	}
	pthread_mutex_unlock(&vdev->lock);

	ret = vdev->ops->start(vdev->dev, features);
	if (ret)
		return ret;
	drain_fd(vdev->stop_fd);
	if (!vdev->env.no_worker_thread) {
		ret = -pthread_create(&vdev->worker, NULL, virtio_worker_main, vdev);
		if (ret) {
			vdev->ops->stop(vdev->dev);
			return ret;
		}
		vdev->running = true;
	}
	vdev->live = true;
	/* Kicks sent before DRIVER_OK are still counted in the eventfds: serve them now. */
	for (unsigned q = 0; q < vdev->num_queues; q++) {
		static const uint64_t one = 1;

		if (vdev->queues[q].enabled && write(vdev->kick_fd[q], &one, sizeof(one)) < 0)
			log_warn("%s: kick: %s", vdev->ops->name, strerror(errno));
	}
	return 0;
}

/* Back to the state after a device reset, with vdev->control held. */
static void virtio_stop(struct virtio_dev *vdev)
{
	static const uint64_t one = 1;

	if (vdev->running) {
		if (write(vdev->stop_fd, &one, sizeof(one)) < 0)
			log_warn("%s: stop: %s", vdev->ops->name, strerror(errno));
		pthread_join(vdev->worker, NULL);
		vdev->running = false;
	}
	vdev->live = false;
	vdev->ops->stop(vdev->dev);
	while (vdev->nwatched)
		virtio_unwatch_fd(vdev, vdev->watched[0]);

	pthread_mutex_lock(&vdev->lock);
	vdev->device_feature_select = vdev->driver_feature_select = 0;
	vdev->driver_features = 0;
	vdev->config_msix_vector = VIRTIO_NO_VECTOR;
	vdev->queue_select = 0;
	vdev->status = 0;
	vdev->isr = 0;
	for (unsigned q = 0; q < vdev->num_queues; q++) {
		vdev->regs[q] = (struct virtio_queue_regs){ .size = VIRTIO_QUEUE_MAX_SIZE,
							    .msix_vector = VIRTIO_NO_VECTOR };
		virtq_reset(&vdev->queues[q]);
		drain_fd(vdev->kick_fd[q]);
	}
	pthread_mutex_unlock(&vdev->lock);
	pci_dev_set_intx(vdev->pdev, false);
}

/* ---- Common configuration ---- */

/* The selected queue's registers, or NULL for an index past num_queues (lock held). */
static struct virtio_queue_regs *selected_queue(struct virtio_dev *vdev)
{
	return vdev->queue_select < vdev->num_queues ? &vdev->regs[vdev->queue_select] : NULL;
}

static uint64_t common_read(struct virtio_dev *vdev, uint64_t offset, unsigned size)
{
	struct virtio_queue_regs *qr;
	uint64_t value = 0;

	pthread_mutex_lock(&vdev->lock);
	qr = selected_queue(vdev);
	switch (offset) {
	case COMMON_DFSELECT:
		value = vdev->device_feature_select;
		break;
	case COMMON_DF:
		if (vdev->device_feature_select < 2)
			value = (uint32_t)(offered_features(vdev) >>
					   (32 * vdev->device_feature_select));
		break;
	case COMMON_GFSELECT:
		value = vdev->driver_feature_select;
		break;
	case COMMON_GF:
		if (vdev->driver_feature_select < 2)
			value = (uint32_t)(vdev->driver_features >>
					   (32 * vdev->driver_feature_select));
		break;
	case COMMON_MSIX:
		value = vdev->config_msix_vector;
		break;
	case COMMON_NUMQ:
		value = vdev->num_queues;
		break;
	case COMMON_STATUS:
		value = vdev->status;
		break;
	case COMMON_CFGGENERATION:
		value = vdev->config_generation;
		break;
	case COMMON_Q_SELECT:
		value = vdev->queue_select;
		break;
	case COMMON_Q_SIZE:
		value = qr ? qr->size : 0;
		break;
	case COMMON_Q_MSIX:
		value = qr ? qr->msix_vector : VIRTIO_NO_VECTOR;
		break;
	case COMMON_Q_ENABLE:
		value = qr ? qr->enable : 0;
		break;
	case COMMON_Q_NOFF:
		value = qr ? vdev->queue_select : 0;
		break;
	case COMMON_Q_DESCLO:
	case COMMON_Q_DESCHI:
		value = qr ? qr->desc >> (offset == COMMON_Q_DESCHI ? 32 : 0) : 0;
		break;
	case COMMON_Q_AVAILLO:
	case COMMON_Q_AVAILHI:
		value = qr ? qr->avail >> (offset == COMMON_Q_AVAILHI ? 32 : 0) : 0;
		break;
	case COMMON_Q_USEDLO:
	case COMMON_Q_USEDHI:
		value = qr ? qr->used >> (offset == COMMON_Q_USEDHI ? 32 : 0) : 0;
		break;
	}
	pthread_mutex_unlock(&vdev->lock);
	if (size == 8 && (offset == COMMON_Q_DESCLO || offset == COMMON_Q_AVAILLO ||
			  offset == COMMON_Q_USEDLO))
		value |= common_read(vdev, offset + 4, 4) << 32;
	else if (size < 8)
		value &= (1ull << (8 * size)) - 1;
	return value;
}

static void set_half(uint64_t *reg, bool high, uint32_t value)
{
	if (high)
		*reg = (*reg & 0xffffffffull) | (uint64_t)value << 32;
	else
		*reg = (*reg & ~0xffffffffull) | value;
}

/* FEATURES_OK only for a subset of what was offered that includes VERSION_1 (lock held). */
static uint8_t check_features(struct virtio_dev *vdev, uint8_t status)
{
	uint64_t f = vdev->driver_features;

	if ((status & STATUS_FEATURES_OK) && !(vdev->status & STATUS_FEATURES_OK) &&
	    ((f & ~offered_features(vdev)) || !(f & (1ull << VIRTIO_F_VERSION_1))))
		status &= ~STATUS_FEATURES_OK;
	return status;
}

static void write_status(struct virtio_dev *vdev, uint8_t status)
{
	bool start;
	int ret;

	pthread_mutex_lock(&vdev->control);
	if (!status) {
		virtio_stop(vdev);
		pthread_mutex_unlock(&vdev->control);
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	status = check_features(vdev, status);
	start = (status & STATUS_DRIVER_OK) && !(vdev->status & STATUS_DRIVER_OK);
	if (start && !(status & STATUS_FEATURES_OK))
		start = false;
	vdev->status = status | (vdev->status & STATUS_NEEDS_RESET);
	pthread_mutex_unlock(&vdev->lock);
	if (start) {
		ret = virtio_start(vdev);
		if (ret) {
			log_warn("%s: cannot start: %s", vdev->ops->name, strerror(-ret));
			pthread_mutex_lock(&vdev->lock);
			vdev->status |= STATUS_NEEDS_RESET;
			pthread_mutex_unlock(&vdev->lock);
		}
	}
	pthread_mutex_unlock(&vdev->control);
}

/* queue_enable = 1: the rings must be valid now; a bad one is a guest error. */
static void enable_queue(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_queue_regs *qr = &vdev->regs[q];
	struct virtq *vq = &vdev->queues[q];
	bool bad;

	pthread_mutex_lock(&vdev->lock);
	if (qr->enable) {
		pthread_mutex_unlock(&vdev->lock);
		return;
	}
	vq->size = qr->size;
	vq->desc_gpa = qr->desc;
	vq->avail_gpa = qr->avail;
	vq->used_gpa = qr->used;
	bad = virtq_enable(vq, vdev->env.mem) != 0;
	qr->enable = !bad;
	pthread_mutex_unlock(&vdev->lock);
	if (bad)
		virtio_queue_error(vdev, q, "queue enabled with an invalid size or ring address");
}

static void common_write(struct virtio_dev *vdev, uint64_t offset, unsigned size, uint64_t value)
{
	struct virtio_queue_regs *qr;
	bool live;

	if (offset == COMMON_STATUS) {
		write_status(vdev, value);
		return;
	}
	if (size == 8 && (offset == COMMON_Q_DESCLO || offset == COMMON_Q_AVAILLO ||
			  offset == COMMON_Q_USEDLO)) {
		common_write(vdev, offset, 4, (uint32_t)value);
		common_write(vdev, offset + 4, 4, value >> 32);
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	qr = selected_queue(vdev);
	/* Queue registers are frozen once the queue is enabled or the driver is live. */
	live = (vdev->status & STATUS_DRIVER_OK) || (qr && qr->enable);
	switch (offset) {
	case COMMON_DFSELECT:
		vdev->device_feature_select = value;
		break;
	case COMMON_GFSELECT:
		vdev->driver_feature_select = value;
		break;
	case COMMON_GF:
		if (vdev->driver_feature_select < 2 && !(vdev->status & STATUS_FEATURES_OK)) {
			uint64_t reg = vdev->driver_features;

			set_half(&reg, vdev->driver_feature_select, value);
			vdev->driver_features = reg;
		}
		break;
	case COMMON_MSIX:
		vdev->config_msix_vector = value;
		break;
	case COMMON_Q_SELECT:
		vdev->queue_select = value;
		break;
	case COMMON_Q_SIZE:
		if (qr && !live)
			qr->size = value;
		break;
	case COMMON_Q_MSIX:
		if (qr)
			qr->msix_vector = value;
		break;
	case COMMON_Q_ENABLE:
		if (qr && value == 1) {
			unsigned q = vdev->queue_select;

			pthread_mutex_unlock(&vdev->lock);
			enable_queue(vdev, q);
			return;
		}
		break;
	case COMMON_Q_DESCLO:
	case COMMON_Q_DESCHI:
		if (qr && !live)
			set_half(&qr->desc, offset == COMMON_Q_DESCHI, value);
		break;
	case COMMON_Q_AVAILLO:
	case COMMON_Q_AVAILHI:
		if (qr && !live)
			set_half(&qr->avail, offset == COMMON_Q_AVAILHI, value);
		break;
	case COMMON_Q_USEDLO:
	case COMMON_Q_USEDHI:
		if (qr && !live)
			set_half(&qr->used, offset == COMMON_Q_USEDHI, value);
		break;
	}
	pthread_mutex_unlock(&vdev->lock);
}

/* ---- The BAR ---- */

static uint64_t virtio_bar_read(void *opaque, uint64_t offset, unsigned size)
{
	struct virtio_dev *vdev = opaque;
	uint8_t buf[8] = { 0 };
	uint64_t value;

	if (offset < VIRTIO_COMMON_SIZE)
		return common_read(vdev, offset, size);
	if (offset == VIRTIO_ISR_OFFSET) {
		pthread_mutex_lock(&vdev->lock);
		value = vdev->isr;
		vdev->isr = 0;
		pthread_mutex_unlock(&vdev->lock);
		pci_dev_set_intx(vdev->pdev, false);
		return value;
	}
	if (offset >= VIRTIO_DEVICE_OFFSET && offset < VIRTIO_DEVICE_OFFSET + VIRTIO_DEVICE_MAX) {
		uint64_t at = offset - VIRTIO_DEVICE_OFFSET;

		if (at < vdev->ops->config_size && size <= vdev->ops->config_size - at)
			vdev->ops->config_read(vdev->dev, at, buf, size);
		return get_le64(buf);
	}
	if (offset >= VIRTIO_MSIX_TABLE_OFFSET && offset < VIRTIO_MSIX_PBA_OFFSET)
		return msix_table_read(vdev->msix, offset - VIRTIO_MSIX_TABLE_OFFSET, size);
	if (offset >= VIRTIO_MSIX_PBA_OFFSET)
		return msix_pba_read(vdev->msix, offset - VIRTIO_MSIX_PBA_OFFSET, size);
	return 0;
}

static void virtio_bar_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct virtio_dev *vdev = opaque;

	if (offset < VIRTIO_COMMON_SIZE) {
		common_write(vdev, offset, size, value);
	} else if (offset >= VIRTIO_DEVICE_OFFSET &&
		   offset < VIRTIO_DEVICE_OFFSET + VIRTIO_DEVICE_MAX) {
		uint64_t at = offset - VIRTIO_DEVICE_OFFSET;
		uint8_t buf[8];

		put_le64(buf, value);
		if (vdev->ops->config_write && at < vdev->ops->config_size &&
		    size <= vdev->ops->config_size - at)
			vdev->ops->config_write(vdev->dev, at, buf, size);
	} else if (offset >= VIRTIO_NOTIFY_OFFSET && offset < VIRTIO_MSIX_TABLE_OFFSET) {
		uint64_t q = (offset - VIRTIO_NOTIFY_OFFSET) / VIRTIO_NOTIFY_MULTIPLIER;
		static const uint64_t one = 1;

		/* A doorbell that came as an exit: no ioeventfd here (or a stray address). */
		if (q >= vdev->num_queues)
			return;
		pthread_mutex_lock(&vdev->lock);
		vdev->stats.kick_exits++;
		pthread_mutex_unlock(&vdev->lock);
		if (write(vdev->kick_fd[q], &one, sizeof(one)) < 0)
			log_warn("%s: kick: %s", vdev->ops->name, strerror(errno));
	} else if (offset >= VIRTIO_MSIX_TABLE_OFFSET && offset < VIRTIO_MSIX_PBA_OFFSET) {
		msix_table_write(vdev->msix, offset - VIRTIO_MSIX_TABLE_OFFSET, size, value);
	}
}

static const struct io_region_ops virtio_bar_ops = { virtio_bar_read, virtio_bar_write };

/* Doorbells follow the BAR wherever the guest puts it. */
static void virtio_bar_moved(void *opaque, unsigned bar, uint64_t gpa)
{
	struct virtio_dev *vdev = opaque;
	const struct doorbell_ops *db = vdev->env.doorbells.ops;

	if (bar != VIRTIO_BAR || !db)
		return;
	pthread_mutex_lock(&vdev->control);
	for (unsigned q = 0; vdev->doorbell_gpa && q < vdev->num_queues; q++)
		db->deassign(vdev->env.doorbells.opaque,
			     vdev->doorbell_gpa + VIRTIO_NOTIFY_OFFSET + q * VIRTIO_NOTIFY_MULTIPLIER,
			     vdev->kick_fd[q]);
	vdev->doorbell_gpa = 0;
	for (unsigned q = 0; gpa && q < vdev->num_queues; q++) {
		uint64_t at = gpa + VIRTIO_NOTIFY_OFFSET + q * VIRTIO_NOTIFY_MULTIPLIER;

		if (db->assign(vdev->env.doorbells.opaque, at, vdev->kick_fd[q])) {
			for (unsigned undo = 0; undo < q; undo++)
				db->deassign(vdev->env.doorbells.opaque,
					     gpa + VIRTIO_NOTIFY_OFFSET +
						     undo * VIRTIO_NOTIFY_MULTIPLIER,
					     vdev->kick_fd[undo]);
			gpa = 0;
			break;
		}
	}
	vdev->doorbell_gpa = gpa;
	pthread_mutex_unlock(&vdev->control);
}

static void virtio_config_written(void *opaque, unsigned offset, unsigned size)
{
	struct virtio_dev *vdev = opaque;

	msix_config_written(vdev->msix, offset, size);
}

static const struct pci_dev_ops virtio_pci_dev_ops = {
	.config_written = virtio_config_written,
	.bar_moved = virtio_bar_moved,
};

static int add_virtio_cap(struct pci_dev *pdev, uint8_t type, uint32_t offset, uint32_t length,
			  bool notify)
{
	uint8_t cap[20] = { PCI_CAP_ID_VENDOR, 0, notify ? 20 : 16, type, VIRTIO_BAR };

	put_le32(cap + 8, offset);
	put_le32(cap + 12, length);
	if (notify)
		put_le32(cap + 16, VIRTIO_NOTIFY_MULTIPLIER);
	return pci_dev_add_cap(pdev, cap, NULL, cap[2]);
}

static void virtio_free(struct virtio_dev *vdev)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (vdev->kick_fd[q] >= 0)
			close(vdev->kick_fd[q]);
	if (vdev->epoll_fd >= 0)
		close(vdev->epoll_fd);
	if (vdev->stop_fd >= 0)
		close(vdev->stop_fd);
	msix_destroy(vdev->msix);
	pthread_mutex_destroy(&vdev->lock);
	pthread_mutex_destroy(&vdev->control);
	free(vdev);
}

static int virtio_setup_fds(struct virtio_dev *vdev)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };

	vdev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	vdev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->epoll_fd < 0 || vdev->stop_fd < 0 ||
	    epoll_ctl(vdev->epoll_fd, EPOLL_CTL_ADD, vdev->stop_fd, &ev))
		return -errno;
	for (unsigned q = 0; q < vdev->num_queues; q++) {
		ev.data.u64 = q;
		vdev->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->kick_fd[q] < 0 ||
		    epoll_ctl(vdev->epoll_fd, EPOLL_CTL_ADD, vdev->kick_fd[q], &ev))
			return -errno;
	}
	return 0;
}

int virtio_pci_create(const struct virtio_env *env, unsigned slot,
		      const struct virtio_device_ops *ops, void *dev, struct virtio_dev **out)
{
	const struct pci_dev_ids ids = {
		.vendor = VIRTIO_PCI_VENDOR,
		.device = VIRTIO_PCI_DEVICE_BASE + ops->device_id,
		.subsystem_vendor = VIRTIO_PCI_VENDOR,
		.subsystem = VIRTIO_PCI_SUBSYSTEM,
		.revision = 1,
		.class_code = ops->class_code,
		.intx = true,
	};
	struct virtio_dev *vdev;
	int ret;

	if (!ops->num_queues || ops->num_queues > VIRTIO_MAX_QUEUES ||
	    ops->config_size > VIRTIO_DEVICE_MAX)
		return -EINVAL;
	vdev = calloc(1, sizeof(*vdev));
	if (!vdev)
		return -ENOMEM;
	vdev->ops = ops;
	vdev->dev = dev;
	vdev->env = *env;
	vdev->num_queues = ops->num_queues;
	vdev->epoll_fd = vdev->stop_fd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vdev->kick_fd[q] = -1;
	pthread_mutex_init(&vdev->lock, NULL);
	pthread_mutex_init(&vdev->control, NULL);
	ret = virtio_setup_fds(vdev);
	if (ret)
		goto fail;
	ret = pci_dev_create(env->pci, slot, &ids, &virtio_pci_dev_ops, vdev, &vdev->pdev);
	if (ret)
		goto fail;
	/* From here the PCI function exists; it stays (inert) if a later step fails. */
	ret = pci_dev_add_mem_bar(vdev->pdev, VIRTIO_BAR, VIRTIO_BAR_SIZE, &virtio_bar_ops, vdev);
	if (!ret)
		ret = msix_create(vdev->pdev, vdev->num_queues + 1, VIRTIO_BAR,
				  VIRTIO_MSIX_TABLE_OFFSET, VIRTIO_MSIX_PBA_OFFSET, &env->msi,
				  &vdev->msix);
	if (!ret)
		ret = add_virtio_cap(vdev->pdev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_COMMON_OFFSET,
				     VIRTIO_COMMON_SIZE, false);
	if (ret >= 0)
		ret = add_virtio_cap(vdev->pdev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_ISR_OFFSET, 1,
				     false);
	if (ret >= 0 && ops->config_size)
		ret = add_virtio_cap(vdev->pdev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_DEVICE_OFFSET,
				     ops->config_size, false);
	if (ret >= 0)
		ret = add_virtio_cap(vdev->pdev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_NOTIFY_OFFSET,
				     vdev->num_queues * VIRTIO_NOTIFY_MULTIPLIER, true);
	if (ret < 0) {
		vdev->pdev = NULL;
		goto fail;
	}
	virtio_stop(vdev);
	virtio_bar_moved(vdev, VIRTIO_BAR, pci_dev_bar_gpa(vdev->pdev, VIRTIO_BAR));
	*out = vdev;
	return 0;
fail:
	virtio_free(vdev);
	return ret;
}

const struct guest_mem *virtio_guest_mem(struct virtio_dev *vdev)
{
	return vdev->env.mem;
}

struct virtq *virtio_queue(struct virtio_dev *vdev, unsigned q)
{
	return q < vdev->num_queues ? &vdev->queues[q] : NULL;
}

void virtio_get_stats(struct virtio_dev *vdev, struct virtio_stats *out)
{
	pthread_mutex_lock(&vdev->lock);
	*out = vdev->stats;
	pthread_mutex_unlock(&vdev->lock);
}

const char *virtio_name(struct virtio_dev *vdev)
{
	return vdev->ops->name;
}

static void virtio_pci_reset(void *opaque)
{
	struct virtio_dev *vdev = opaque;

	pthread_mutex_lock(&vdev->control);
	virtio_stop(vdev);
	pthread_mutex_unlock(&vdev->control);
	msix_reset(vdev->msix);
	pci_dev_reset(vdev->pdev);
}

static void virtio_pci_destroy(void *opaque)
{
	struct virtio_dev *vdev = opaque;
	const struct doorbell_ops *db = vdev->env.doorbells.ops;

	if (!vdev)
		return;
	pthread_mutex_lock(&vdev->control);
	virtio_stop(vdev);
	pthread_mutex_unlock(&vdev->control);
	for (unsigned q = 0; db && vdev->doorbell_gpa && q < vdev->num_queues; q++)
		db->deassign(vdev->env.doorbells.opaque,
			     vdev->doorbell_gpa + VIRTIO_NOTIFY_OFFSET + q * VIRTIO_NOTIFY_MULTIPLIER,
			     vdev->kick_fd[q]);
	if (vdev->ops->destroy)
		vdev->ops->destroy(vdev->dev);
	virtio_free(vdev);
}

const struct vdev_ops virtio_pci_vdev_ops = {
	.name = "virtio-pci",
	.reset = virtio_pci_reset,
	.destroy = virtio_pci_destroy,
};
