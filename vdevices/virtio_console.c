// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio spec 5.3) with multiple ports and emergency write.
 *
 * Threads: host input arrives on the event loop thread (chardev receiver callbacks) and is
 * kept in each port's buffer under the port's lock; an eventfd watched by the device's
 * worker tells it there is input. Everything else (queues, the control protocol state)
 * belongs to the worker while the driver has the device live, and to start()/stop() (vCPU
 * thread, worker stopped) otherwise. Emergency writes come from vCPU threads and only call
 * chardev_write(), which any thread may call. Lock order: a port's lock, then the chardev's.
 */
#include "vdevices/virtio_console.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "vdevices/chardev.h"
#include "vdevices/virtio_console_proto.h"

/* Config space: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr. */
#define CON_CONFIG_SIZE 12
#define CON_CONFIG_EMERG_WR 8
#define CON_INPUT_BUF 4096
#define CON_CTRL_RXQ 2
#define CON_CTRL_TXQ 3
/* Interrupt the guest at least this often while a burst is being moved. */
#define CON_NOTIFY_BATCH 64

/* ---- Control messages and the port state machine (no transport here) ---- */

int vcon_ctrl_parse(const uint8_t *buf, size_t len, struct vcon_ctrl *m)
{
	if (len < VCON_CTRL_SIZE)
		return -EINVAL;
	m->id = get_le32(buf);
	m->event = get_le16(buf + 4);
	m->value = get_le16(buf + 6);
	return 0;
}

size_t vcon_ctrl_encode(const struct vcon_ctrl *m, const char *name, uint8_t *buf, size_t cap)
{
	size_t len = VCON_CTRL_SIZE;

	if (cap < VCON_CTRL_SIZE)
		return 0;
	put_le32(buf, m->id);
	put_le16(buf + 4, m->event);
	put_le16(buf + 6, m->value);
	if (m->event == VIRTIO_CONSOLE_PORT_NAME && name) {
		size_t n = strlen(name);

		if (n > cap - len)
			n = cap - len;
		memcpy(buf + len, name, n);
		len += n;
	}
	return len;
}

static bool vcon_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > VIRTIO_CONSOLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int vcon_check_ports(const struct virtio_console_port_config *ports, unsigned nports, char *err,
		     size_t errlen)
{
	if (!ports || !nports || nports > VIRTIO_CONSOLE_MAX_PORTS) {
		snprintf(err, errlen, "a virtio console has 1 to %u ports, not %u",
			 VIRTIO_CONSOLE_MAX_PORTS, ports ? nports : 0);
		return -EINVAL;
	}
	for (unsigned i = 0; i < nports; i++) {
		const struct virtio_console_port_config *p = &ports[i];

		if (p->console && i) {
			snprintf(err, errlen, "port %u: only port 0 can be the console port", i);
			return -EINVAL;
		}
		if (p->console && p->name) {
			snprintf(err, errlen, "port %u: the console port has no name", i);
			return -EINVAL;
		}
		for (unsigned j = 0; p->chardev && j < i; j++) {
			if (ports[j].chardev == p->chardev) {
				snprintf(err, errlen, "ports %u and %u share a backend", j, i);
				return -EINVAL;
			}
		}
		if (p->console)
			continue;
		if (!p->name) {
			snprintf(err, errlen, "port %u needs a name", i);
			return -EINVAL;
		}
		if (!vcon_name_ok(p->name)) {
			snprintf(err, errlen,
				 "port %u: a port name is 1 to %u characters of A-Z a-z 0-9 . _ -",
				 i, VIRTIO_CONSOLE_NAME_MAX);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (ports[j].name && !strcmp(ports[j].name, p->name)) {
				snprintf(err, errlen, "port %u: the name %s is taken by port %u", i,
					 p->name, j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

void vcon_proto_init(struct vcon_proto *p, unsigned nports, bool port0_console)
{
	memset(p, 0, sizeof(*p));
	p->nports = nports < VIRTIO_CONSOLE_MAX_PORTS ? nports : VIRTIO_CONSOLE_MAX_PORTS;
	p->port[0].console = port0_console;
}

void vcon_proto_reset(struct vcon_proto *p, bool multiport)
{
	p->multiport = multiport;
	p->driver_ready = false;
	for (unsigned i = 0; i < VIRTIO_CONSOLE_MAX_PORTS; i++) {
		p->port[i].ready = false;
		p->port[i].guest_open = false;
	}
	p->pending_head = p->pending_count = 0;
}

static void vcon_proto_queue(struct vcon_proto *p, uint32_t id, uint16_t event, uint16_t value)
{
	if (p->pending_count == VCON_PENDING_MAX) {
		p->pending_dropped++;
		return;
	}
	p->pending[(p->pending_head + p->pending_count) % VCON_PENDING_MAX] =
		(struct vcon_ctrl){.id = id, .event = event, .value = value};
	p->pending_count++;
}

int vcon_proto_handle(struct vcon_proto *p, const struct vcon_ctrl *m)
{
	struct vcon_port_state *port;

	if (!p->multiport)
		return -EINVAL;
	switch (m->event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		/* value 0: the driver failed to set up; nothing to do but wait for a reset. */
		if (!m->value || p->driver_ready)
			return -EINVAL;
		p->driver_ready = true;
		for (unsigned i = 0; i < p->nports; i++)
			vcon_proto_queue(p, i, VIRTIO_CONSOLE_DEVICE_ADD, 0);
		return 0;
	case VIRTIO_CONSOLE_PORT_READY:
		if (!p->driver_ready || m->id >= p->nports)
			return -EINVAL;
		port = &p->port[m->id];
		if (!m->value) {
			/* The driver could not add the port. */
			port->ready = false;
			port->guest_open = false;
			return 0;
		}
		if (port->ready)
			return -EINVAL;
		port->ready = true;
		vcon_proto_queue(
			p, m->id,
			port->console ? VIRTIO_CONSOLE_CONSOLE_PORT : VIRTIO_CONSOLE_PORT_NAME, 1);
		/* The host side counts as connected: a chardev cannot always tell. */
		vcon_proto_queue(p, m->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
		return 0;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (m->id >= p->nports || !p->port[m->id].ready)
			return -EINVAL;
		p->port[m->id].guest_open = m->value != 0;
		return 0;
	default:
		/* Unknown, or one only the device sends. */
		return -EINVAL;
	}
}

const struct vcon_ctrl *vcon_proto_peek(const struct vcon_proto *p)
{
	return p->pending_count ? &p->pending[p->pending_head] : NULL;
}

void vcon_proto_pop(struct vcon_proto *p)
{
	if (!p->pending_count)
		return;
	p->pending_head = (p->pending_head + 1) % VCON_PENDING_MAX;
	p->pending_count--;
}

bool vcon_proto_port_rx_open(const struct vcon_proto *p, unsigned port)
{
	if (port >= p->nports)
		return false;
	if (!p->multiport)
		return port == 0;
	/* A Linux guest drops input for a port nobody has open: wait for PORT_OPEN. */
	return p->port[port].ready && p->port[port].guest_open;
}

/* ---- The device ---- */

struct virtio_console;

struct con_port {
	struct virtio_console *con;
	unsigned index;
	struct chardev *chardev;
	char *name;
	/* Host input not yet given to the guest (loop thread fills, worker drains). */
	pthread_mutex_t lock;
	uint8_t in[CON_INPUT_BUF];
	size_t in_len;
	bool in_starved; /* can_receive() returned 0: call chardev_input_ready() on room */
};

struct virtio_console {
	struct virtio_dev *vdev;
	struct virtio_device_ops ops; /* num_queues depends on the port count */
	unsigned nports;
	struct con_port ports[VIRTIO_CONSOLE_MAX_PORTS];
	uint8_t config[CON_CONFIG_SIZE];
	int wake_fd;
	bool receivers_set;
	/* Worker (or start/stop) only. */
	struct vcon_proto proto;
	bool warned_control;
	struct virtq_chain chain;
};

static unsigned port_rxq(unsigned port)
{
	return port ? 2 * port + 2 : 0;
}

static void con_wake(struct virtio_console *con)
{
	static const uint64_t one = 1;

	if (write(con->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("virtio-console: eventfd: %s", strerror(errno));
}

/* Loop thread. */
static size_t con_can_receive(void *opaque)
{
	struct con_port *port = opaque;
	size_t room;

	pthread_mutex_lock(&port->lock);
	room = sizeof(port->in) - port->in_len;
	if (!room)
		port->in_starved = true;
	pthread_mutex_unlock(&port->lock);
	return room;
}

/* Loop thread. */
static void con_receive(void *opaque, const uint8_t *data, size_t len)
{
	struct con_port *port = opaque;
	size_t n;

	pthread_mutex_lock(&port->lock);
	n = sizeof(port->in) - port->in_len;
	if (n > len)
		n = len;
	memcpy(port->in + port->in_len, data, n);
	port->in_len += n;
	pthread_mutex_unlock(&port->lock);
	if (n)
		con_wake(port->con);
}

static uint64_t con_features(void *opaque)
{
	return 1ull << VIRTIO_CONSOLE_F_MULTIPORT | 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
}

static void con_config_read(void *opaque, unsigned offset, void *buf, unsigned len)
{
	struct virtio_console *con = opaque;

	memcpy(buf, con->config + offset, len);
}

/* vCPU thread: a write covering emerg_wr's first byte outputs that byte on port 0. */
static void con_config_write(void *opaque, unsigned offset, const void *buf, unsigned len)
{
	struct virtio_console *con = opaque;

	if (offset <= CON_CONFIG_EMERG_WR && offset + len > CON_CONFIG_EMERG_WR)
		chardev_write(con->ports[0].chardev,
			      (const uint8_t *)buf + (CON_CONFIG_EMERG_WR - offset), 1);
}

/* Worker: moves a port's buffered input into its receive queue. */
static void con_flush_input(struct virtio_console *con, unsigned p)
{
	struct con_port *port = &con->ports[p];
	unsigned q = port_rxq(p);
	struct virtq *vq = virtio_queue(con->vdev, q);
	struct virtq_chain *c = &con->chain;
	bool pushed = false, freed = false;
	int ret;

	if (!vq || !vcon_proto_port_rx_open(&con->proto, p))
		return;
	pthread_mutex_lock(&port->lock);
	while (port->in_len) {
		size_t n;

		ret = virtq_pop(vq, c);
		if (ret == 0 && virtq_enable_kicks(vq))
			continue;
		if (ret == -EIO)
			virtio_queue_error(con->vdev, q, "malformed receive buffer");
		if (ret <= 0)
			break; /* no buffers: the guest's kick brings us back */
		virtq_disable_kicks(vq);
		if (c->n_out) {
			virtio_queue_error(con->vdev, q, "receive buffer not device-writable");
			break;
		}
		n = virtq_buf_to_iov(c->iov + c->n_out, c->n_in, 0, port->in, port->in_len);
		virtq_push(vq, c->head, n);
		pushed = true;
		if (n) {
			memmove(port->in, port->in + n, port->in_len - n);
			port->in_len -= n;
			freed = true;
		}
	}
	if (freed && port->in_starved) {
		port->in_starved = false;
		chardev_input_ready(port->chardev);
	}
	pthread_mutex_unlock(&port->lock);
	if (pushed)
		virtio_notify_queue(con->vdev, q);
}

static void con_flush_all_input(struct virtio_console *con)
{
	for (unsigned p = 0; p < con->nports; p++)
		con_flush_input(con, p);
}

/* Worker: guest output on a port goes to its chardev. */
static void con_port_tx(struct virtio_console *con, unsigned p)
{
	unsigned q = port_rxq(p) + 1;
	struct virtq *vq = virtio_queue(con->vdev, q);
	struct virtq_chain *c = &con->chain;
	unsigned since_notify = 0;
	int ret;

	do {
		virtq_disable_kicks(vq);
		while ((ret = virtq_pop(vq, c)) == 1) {
			if (c->n_in) {
				virtio_queue_error(con->vdev, q, "transmit buffer device-writable");
				ret = -EINVAL;
				break;
			}
			for (unsigned i = 0; i < c->n_out; i++)
				chardev_write(con->ports[p].chardev, c->iov[i].iov_base,
					      c->iov[i].iov_len);
			virtq_push(vq, c->head, 0);
			if (++since_notify == CON_NOTIFY_BATCH) {
				virtio_notify_queue(con->vdev, q);
				since_notify = 0;
			}
		}
	} while (ret == 0 && virtq_enable_kicks(vq));
	if (ret == -EIO)
		virtio_queue_error(con->vdev, q, "malformed descriptor chain");
	if (since_notify)
		virtio_notify_queue(con->vdev, q);
}

/* Worker: hands waiting control messages to the driver's control receive buffers. */
static void con_send_control(struct virtio_console *con)
{
	struct virtq *vq = virtio_queue(con->vdev, CON_CTRL_RXQ);
	struct virtq_chain *c = &con->chain;
	const struct vcon_ctrl *m;
	bool pushed = false;
	int ret;

	while ((m = vcon_proto_peek(&con->proto))) {
		uint8_t msg[VCON_CTRL_SIZE + VIRTIO_CONSOLE_NAME_MAX];
		const char *name = NULL;
		size_t len;

		ret = virtq_pop(vq, c);
		if (ret == 0 && virtq_enable_kicks(vq))
			continue;
		if (ret == -EIO)
			virtio_queue_error(con->vdev, CON_CTRL_RXQ, "malformed control buffer");
		if (ret <= 0)
			break; /* kept until the driver posts buffers */
		virtq_disable_kicks(vq);
		if (c->n_out || c->in_len < VCON_CTRL_SIZE) {
			virtio_queue_error(con->vdev, CON_CTRL_RXQ, "control buffer unusable");
			break;
		}
		if (m->id < con->nports)
			name = con->ports[m->id].name;
		len = vcon_ctrl_encode(m, name, msg, sizeof(msg));
		virtq_push(vq, c->head, virtq_buf_to_iov(c->iov, c->n_in, 0, msg, len));
		vcon_proto_pop(&con->proto);
		pushed = true;
	}
	if (pushed)
		virtio_notify_queue(con->vdev, CON_CTRL_RXQ);
}

static void con_control_ignored(struct virtio_console *con, size_t got, const struct vcon_ctrl *m)
{
	if (got < VCON_CTRL_SIZE) {
		log_debug("virtio-console: control message of %zu bytes ignored", got);
		return;
	}
	if (!con->warned_control)
		log_warn("virtio-console: control message (port %u, event %u, value %u) ignored",
			 m->id, m->event, m->value);
	else
		log_debug("virtio-console: control message (port %u, event %u, value %u) ignored",
			  m->id, m->event, m->value);
	con->warned_control = true;
}

/* Worker: control messages from the driver. */
static void con_control_tx(struct virtio_console *con)
{
	struct virtq *vq = virtio_queue(con->vdev, CON_CTRL_TXQ);
	struct virtq_chain *c = &con->chain;
	bool pushed = false;
	int ret;

	do {
		virtq_disable_kicks(vq);
		while ((ret = virtq_pop(vq, c)) == 1) {
			uint8_t buf[VCON_CTRL_SIZE];
			struct vcon_ctrl m = {0};
			size_t got;

			if (c->n_in) {
				virtio_queue_error(con->vdev, CON_CTRL_TXQ,
						   "control message device-writable");
				ret = -EINVAL;
				break;
			}
			got = virtq_iov_to_buf(c->iov, c->n_out, 0, buf, sizeof(buf));
			if (vcon_ctrl_parse(buf, got, &m) || vcon_proto_handle(&con->proto, &m))
				con_control_ignored(con, got, &m);
			virtq_push(vq, c->head, 0);
			pushed = true;
		}
	} while (ret == 0 && virtq_enable_kicks(vq));
	if (ret == -EIO)
		virtio_queue_error(con->vdev, CON_CTRL_TXQ, "malformed descriptor chain");
	if (pushed)
		virtio_notify_queue(con->vdev, CON_CTRL_TXQ);
	con_send_control(con);
	/* A port the guest just opened may have input waiting. */
	con_flush_all_input(con);
}

static void con_queue_kicked(void *opaque, unsigned q)
{
	struct virtio_console *con = opaque;
	unsigned port = q < 2 ? 0 : q / 2 - 1;

	if (q == CON_CTRL_RXQ)
		con_send_control(con);
	else if (q == CON_CTRL_TXQ)
		con_control_tx(con);
	else if (port < con->nports && q % 2)
		con_port_tx(con, port);
	else if (port < con->nports)
		con_flush_input(con, port);
}

static void con_fd_ready(void *opaque, int fd, uint32_t events)
{
	struct virtio_console *con = opaque;
	uint64_t count;

	while (read(con->wake_fd, &count, sizeof(count)) == sizeof(count))
		;
	con_flush_all_input(con);
}

static int con_start(void *opaque, uint64_t features)
{
	struct virtio_console *con = opaque;
	int ret;

	vcon_proto_reset(&con->proto, features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT));
	con->warned_control = false;
	ret = virtio_watch_fd(con->vdev, con->wake_fd, EPOLLIN);
	if (ret)
		return ret;
	/* Input buffered while the driver was away. */
	con_wake(con);
	return 0;
}

/* Forgets the guest side; the host input buffered so far stays for the next driver. */
static void con_stop(void *opaque)
{
	struct virtio_console *con = opaque;

	if (con->proto.pending_dropped)
		log_warn("virtio-console: %llu control messages dropped (the driver posted no "
			 "buffers)",
			 (unsigned long long)con->proto.pending_dropped);
	vcon_proto_reset(&con->proto, false);
	con->proto.pending_dropped = 0;
}

static void con_free(struct virtio_console *con)
{
	for (unsigned i = 0; i < con->nports; i++) {
		if (con->receivers_set && con->ports[i].chardev)
			chardev_set_receiver(con->ports[i].chardev, NULL);
		free(con->ports[i].name);
		pthread_mutex_destroy(&con->ports[i].lock);
	}
	if (con->wake_fd >= 0)
		close(con->wake_fd);
	free(con);
}

static void con_destroy(void *opaque)
{
	con_free(opaque);
}

static const struct virtio_device_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000, /* communication controller, other */
	.features = con_features,
	.config_size = CON_CONFIG_SIZE,
	.config_read = con_config_read,
	.config_write = con_config_write,
	.start = con_start,
	.stop = con_stop,
	.queue_kicked = con_queue_kicked,
	.fd_ready = con_fd_ready,
	.destroy = con_destroy,
};

int virtio_console_create(const struct virtio_env *env, struct evloop *loop,
			  const struct virtio_console_port_config *ports, unsigned nports,
			  struct virtio_dev **out, char *err, size_t errlen)
{
	struct virtio_console *con;
	int ret;

	ret = vcon_check_ports(ports, nports, err, errlen);
	if (ret)
		return ret;
	con = calloc(1, sizeof(*con));
	if (!con) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	con->ops = virtio_console_ops;
	con->ops.num_queues = 2 * nports + 2;
	con->nports = nports;
	con->wake_fd = -1;
	for (unsigned i = 0; i < nports; i++) {
		con->ports[i].con = con;
		con->ports[i].index = i;
		con->ports[i].chardev = ports[i].chardev;
		pthread_mutex_init(&con->ports[i].lock, NULL);
	}
	for (unsigned i = 0; i < nports; i++) {
		if (ports[i].name && !(con->ports[i].name = strdup(ports[i].name))) {
			con_free(con);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	con->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (con->wake_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-ret));
		con_free(con);
		return ret;
	}
	vcon_proto_init(&con->proto, nports, ports[0].console);
	put_le32(con->config + 4, nports); /* cols and rows stay 0: no F_SIZE */

	ret = virtio_pci_create(env, 0, &con->ops, con, &con->vdev);
	if (ret) {
		snprintf(err, errlen, "cannot add a PCI device for the console: %s",
			 strerror(-ret));
		con_free(con);
		return ret;
	}
	for (unsigned i = 0; i < nports; i++) {
		struct chardev_receiver rx = {
			.can_receive = con_can_receive,
			.receive = con_receive,
			.opaque = &con->ports[i],
		};

		if (con->ports[i].chardev)
			chardev_set_receiver(con->ports[i].chardev, &rx);
	}
	con->receivers_set = true;
	*out = con->vdev;
	return 0;
}
