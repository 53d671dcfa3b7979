// SPDX-License-Identifier: GPL-2.0
/* virtio-console's control protocol: message encoding, the port table, the state machine. */
#include "vdevices/virtio_console_proto.h"
#include "test/unit/harness.h"

#include <errno.h>
#include <string.h>

#include "lib/bytes.h"

static struct vcon_ctrl msg(uint32_t id, uint16_t event, uint16_t value)
{
	return (struct vcon_ctrl){.id = id, .event = event, .value = value};
}

/* Pops the oldest waiting message and says whether it was (id, event, value). */
static bool next_is(struct vcon_proto *p, uint32_t id, uint16_t event, uint16_t value)
{
	const struct vcon_ctrl *m = vcon_proto_peek(p);
	bool ok = m && m->id == id && m->event == event && m->value == value;

	vcon_proto_pop(p);
	return ok;
}

static int handle(struct vcon_proto *p, uint32_t id, uint16_t event, uint16_t value)
{
	struct vcon_ctrl m = msg(id, event, value);

	return vcon_proto_handle(p, &m);
}

/* nports ports, port 0 the console, driver started with MULTIPORT. */
static void started(struct vcon_proto *p, unsigned nports)
{
	vcon_proto_init(p, nports, true);
	vcon_proto_reset(p, true);
}

/* started() and DEVICE_READY, with the DEVICE_ADDs taken. */
static bool device_ready(struct vcon_proto *p, unsigned nports)
{
	started(p, nports);
	if (handle(p, 0, VIRTIO_CONSOLE_DEVICE_READY, 1))
		return false;
	for (unsigned i = 0; i < nports; i++)
		if (!next_is(p, i, VIRTIO_CONSOLE_DEVICE_ADD, 0))
			return false;
	return !vcon_proto_peek(p);
}

TEST(virtio_console_ctrl_encode_parse)
{
	struct vcon_ctrl m = msg(0x04030201, VIRTIO_CONSOLE_PORT_OPEN, 0x0201), back;
	static const uint8_t want[8] = {1, 2, 3, 4, 6, 0, 1, 2};
	uint8_t buf[32];

	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vcon_ctrl_encode(&m, "ignored", buf, sizeof(buf)), 8u);
	CHECK(!memcmp(buf, want, 8));
	CHECK_EQ(buf[8], 0xee);
	CHECK_EQ(vcon_ctrl_parse(buf, 8, &back), 0);
	CHECK_EQ(back.id, m.id);
	CHECK_EQ(back.event, m.event);
	CHECK_EQ(back.value, m.value);
	/* Extra bytes are ignored, a short message is refused. */
	CHECK_EQ(vcon_ctrl_parse(buf, sizeof(buf), &back), 0);
	CHECK_EQ(vcon_ctrl_parse(buf, 7, &back), -EINVAL);
	CHECK_EQ(vcon_ctrl_parse(buf, 0, &back), -EINVAL);
	/* No room for the header. */
	CHECK_EQ(vcon_ctrl_encode(&m, NULL, buf, 7), 0u);
}

TEST(virtio_console_ctrl_port_name)
{
	struct vcon_ctrl m = msg(2, VIRTIO_CONSOLE_PORT_NAME, 1);
	uint8_t buf[64];

	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vcon_ctrl_encode(&m, "org.keel.agent", buf, sizeof(buf)), 8u + 14);
	CHECK_EQ(get_le32(buf), 2u);
	CHECK_EQ(get_le16(buf + 4), VIRTIO_CONSOLE_PORT_NAME);
	CHECK_EQ(get_le16(buf + 6), 1);
	CHECK(!memcmp(buf + 8, "org.keel.agent", 14));
	CHECK_EQ(buf[22], 0xee); /* no NUL */
	/* A buffer too small for the whole name gets what fits, never more. */
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vcon_ctrl_encode(&m, "org.keel.agent", buf, 11), 11u);
	CHECK(!memcmp(buf + 8, "org", 3));
	CHECK_EQ(buf[11], 0xee);
	/* Exactly a header: the name is cut entirely. */
	CHECK_EQ(vcon_ctrl_encode(&m, "org.keel.agent", buf, 8), 8u);
	/* No name known. */
	CHECK_EQ(vcon_ctrl_encode(&m, NULL, buf, sizeof(buf)), 8u);
}

TEST(virtio_console_port_table)
{
	int a, b;
	struct chardev *cd_a = (struct chardev *)&a, *cd_b = (struct chardev *)&b;
	struct virtio_console_port_config ok[3] = {
		{.name = NULL, .chardev = cd_a, .console = true},
		{.name = "org.keel.agent-0", .chardev = cd_b},
		{.name = "log_1", .chardev = NULL},
	};
	struct virtio_console_port_config t[VIRTIO_CONSOLE_MAX_PORTS + 1];
	char err[160];

	CHECK_EQ(vcon_check_ports(ok, 3, err, sizeof(err)), 0);
	CHECK_EQ(vcon_check_ports(ok, 1, err, sizeof(err)), 0);
	CHECK_EQ(vcon_check_ports(ok, 0, err, sizeof(err)), -EINVAL);
	CHECK_EQ(vcon_check_ports(NULL, 1, err, sizeof(err)), -EINVAL);

	/* Only port 0 may be the console, and it has no name. */
	memcpy(t, ok, sizeof(ok));
	t[1].console = true;
	t[1].name = NULL;
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	memcpy(t, ok, sizeof(ok));
	t[0].name = "hvc";
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	/* A named port 0 is fine. */
	memcpy(t, ok, sizeof(ok));
	t[0].console = false;
	t[0].name = "first";
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), 0);

	/* Names: present, short, plain, unique. */
	memcpy(t, ok, sizeof(ok));
	t[2].name = NULL;
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	t[2].name = "";
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	t[2].name = "../etc";
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	t[2].name = "a b";
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	t[2].name = "org.keel.agent-0";
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	{
		char longname[VIRTIO_CONSOLE_NAME_MAX + 2];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = 0;
		t[2].name = longname;
		CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
		longname[VIRTIO_CONSOLE_NAME_MAX] = 0;
		CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), 0);
	}

	/* A chardev feeds one port. */
	memcpy(t, ok, sizeof(ok));
	t[2].chardev = cd_a;
	CHECK_EQ(vcon_check_ports(t, 3, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "share"));

	/* At most VIRTIO_CONSOLE_MAX_PORTS. */
	static const char *names[] = {"p1", "p2", "p3", "p4", "p5", "p6", "p7"};

	memset(t, 0, sizeof(t));
	t[0].console = true;
	for (unsigned i = 1; i <= VIRTIO_CONSOLE_MAX_PORTS; i++)
		t[i].name = names[i - 1];
	CHECK_EQ(vcon_check_ports(t, VIRTIO_CONSOLE_MAX_PORTS, err, sizeof(err)), 0);
	CHECK_EQ(vcon_check_ports(t, VIRTIO_CONSOLE_MAX_PORTS + 1, err, sizeof(err)), -EINVAL);
	/* Two queues per port plus the control pair fit the transport. */
	CHECK(2 * VIRTIO_CONSOLE_MAX_PORTS + 2 <= VIRTIO_MAX_QUEUES);
}

TEST(virtio_console_handshake)
{
	struct vcon_proto p;

	CHECK(device_ready(&p, 3));
	for (unsigned i = 0; i < 3; i++)
		CHECK(!vcon_proto_port_rx_open(&p, i));

	/* The console port. */
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1));
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_PORT_OPEN, 1));
	CHECK(!vcon_proto_peek(&p));
	CHECK(!vcon_proto_port_rx_open(&p, 0)); /* until the guest opens it */
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_OPEN, 1), 0);
	CHECK(vcon_proto_port_rx_open(&p, 0));
	CHECK(!vcon_proto_peek(&p));

	/* A named port, opened and closed by the guest. */
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK(next_is(&p, 2, VIRTIO_CONSOLE_PORT_NAME, 1));
	CHECK(next_is(&p, 2, VIRTIO_CONSOLE_PORT_OPEN, 1));
	CHECK(!vcon_proto_port_rx_open(&p, 2));
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_OPEN, 1), 0);
	CHECK(vcon_proto_port_rx_open(&p, 2));
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_OPEN, 0), 0);
	CHECK(!vcon_proto_port_rx_open(&p, 2));
	CHECK(!vcon_proto_port_rx_open(&p, 1));

	/* The driver gives up on a port: it is closed until it is ready again. */
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_OPEN, 1), 0);
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_READY, 0), 0);
	CHECK(!vcon_proto_port_rx_open(&p, 2));
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_OPEN, 1), -EINVAL);
	CHECK_EQ(handle(&p, 2, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK(next_is(&p, 2, VIRTIO_CONSOLE_PORT_NAME, 1));
	CHECK(next_is(&p, 2, VIRTIO_CONSOLE_PORT_OPEN, 1));
}

TEST(virtio_console_named_port0)
{
	struct vcon_proto p;

	vcon_proto_init(&p, 2, false);
	vcon_proto_reset(&p, true);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_DEVICE_READY, 1), 0);
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_DEVICE_ADD, 0));
	CHECK(next_is(&p, 1, VIRTIO_CONSOLE_DEVICE_ADD, 0));
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_PORT_NAME, 1));
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_PORT_OPEN, 1));
}

TEST(virtio_console_hostile_messages)
{
	struct vcon_proto p;
	static const uint16_t device_only[] = {
		VIRTIO_CONSOLE_DEVICE_ADD,
		VIRTIO_CONSOLE_DEVICE_REMOVE,
		VIRTIO_CONSOLE_CONSOLE_PORT,
		VIRTIO_CONSOLE_RESIZE,
		VIRTIO_CONSOLE_PORT_NAME,
		8,
		0xffff,
	};

	/* Nothing before DEVICE_READY, a failed DEVICE_READY changes nothing. */
	started(&p, 3);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_READY, 1), -EINVAL);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_OPEN, 1), -EINVAL);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_DEVICE_READY, 0), -EINVAL);
	CHECK(!vcon_proto_peek(&p));
	CHECK(!p.driver_ready);

	CHECK(device_ready(&p, 3));
	/* DEVICE_READY again does not add the ports again. */
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_DEVICE_READY, 1), -EINVAL);
	CHECK(!vcon_proto_peek(&p));
	/* Ports out of range. */
	static const uint32_t bad_ids[] = {3, VIRTIO_CONSOLE_MAX_PORTS, 0x80000000u, 0xffffffffu};

	for (unsigned i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		CHECK_EQ(handle(&p, bad_ids[i], VIRTIO_CONSOLE_PORT_READY, 1), -EINVAL);
		CHECK_EQ(handle(&p, bad_ids[i], VIRTIO_CONSOLE_PORT_OPEN, 1), -EINVAL);
		CHECK(!vcon_proto_port_rx_open(&p, bad_ids[i]));
	}
	CHECK(!vcon_proto_peek(&p));
	/* Events only the device sends, and unknown ones. */
	for (unsigned i = 0; i < sizeof(device_only) / sizeof(device_only[0]); i++)
		CHECK_EQ(handle(&p, 1, device_only[i], 1), -EINVAL);
	CHECK(!vcon_proto_peek(&p));
	/* PORT_OPEN on a port that is not ready; PORT_READY twice answers once. */
	CHECK_EQ(handle(&p, 1, VIRTIO_CONSOLE_PORT_OPEN, 1), -EINVAL);
	CHECK(!vcon_proto_port_rx_open(&p, 1));
	CHECK_EQ(handle(&p, 1, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK_EQ(handle(&p, 1, VIRTIO_CONSOLE_PORT_READY, 1), -EINVAL);
	CHECK(next_is(&p, 1, VIRTIO_CONSOLE_PORT_NAME, 1));
	CHECK(next_is(&p, 1, VIRTIO_CONSOLE_PORT_OPEN, 1));
	CHECK(!vcon_proto_peek(&p));
	for (unsigned i = 0; i < 3; i++)
		CHECK(!p.port[i].guest_open);
}

TEST(virtio_console_without_multiport)
{
	struct vcon_proto p;

	vcon_proto_init(&p, 3, true);
	vcon_proto_reset(&p, false);
	/* Port 0 is a plain console; there is no control queue to talk on. */
	CHECK(vcon_proto_port_rx_open(&p, 0));
	CHECK(!vcon_proto_port_rx_open(&p, 1));
	CHECK(!vcon_proto_port_rx_open(&p, 2));
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_DEVICE_READY, 1), -EINVAL);
	CHECK(!vcon_proto_peek(&p));
}

TEST(virtio_console_pending_is_bounded)
{
	struct vcon_proto p;
	unsigned n = 0;

	CHECK(device_ready(&p, VIRTIO_CONSOLE_MAX_PORTS));
	/* A driver that posts no control buffers and keeps toggling a port. */
	for (unsigned i = 0; i < 100; i++) {
		CHECK_EQ(handle(&p, 1, VIRTIO_CONSOLE_PORT_READY, 1), 0);
		CHECK_EQ(handle(&p, 1, VIRTIO_CONSOLE_PORT_READY, 0), 0);
	}
	CHECK_EQ(p.pending_count, VCON_PENDING_MAX);
	CHECK_EQ(p.pending_dropped, 200u - VCON_PENDING_MAX);
	/* What was kept is the oldest, in order. */
	while (vcon_proto_peek(&p)) {
		CHECK(next_is(&p, 1, n % 2 ? VIRTIO_CONSOLE_PORT_OPEN : VIRTIO_CONSOLE_PORT_NAME,
			      1));
		n++;
	}
	CHECK_EQ(n, VCON_PENDING_MAX);
	vcon_proto_pop(&p); /* popping nothing is harmless */
	CHECK(!vcon_proto_peek(&p));
	/* A full handshake of every port fits. */
	CHECK(VCON_PENDING_MAX >= 3 * VIRTIO_CONSOLE_MAX_PORTS);
}

TEST(virtio_console_reset_forgets_guest)
{
	struct vcon_proto p;

	CHECK(device_ready(&p, 2));
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_OPEN, 1), 0);
	CHECK_EQ(handle(&p, 1, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK(vcon_proto_peek(&p));
	CHECK(vcon_proto_port_rx_open(&p, 0));

	vcon_proto_reset(&p, false);
	CHECK(!vcon_proto_peek(&p));
	CHECK(!p.driver_ready);
	CHECK(!p.port[0].ready && !p.port[0].guest_open && !p.port[1].ready);
	CHECK(p.port[0].console);
	CHECK_EQ(p.nports, 2u);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_OPEN, 1), -EINVAL);

	/* The next driver goes through the whole handshake again. */
	vcon_proto_reset(&p, true);
	CHECK(!vcon_proto_port_rx_open(&p, 0));
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_READY, 1), -EINVAL);
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_DEVICE_READY, 1), 0);
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_DEVICE_ADD, 0));
	CHECK(next_is(&p, 1, VIRTIO_CONSOLE_DEVICE_ADD, 0));
	CHECK_EQ(handle(&p, 0, VIRTIO_CONSOLE_PORT_READY, 1), 0);
	CHECK(next_is(&p, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1));
}
