// SPDX-License-Identifier: GPL-2.0
/* The virtio PCI transport, MSI-X and virtio-rng/virtio-blk driven like a guest driver. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "test/unit/harness.h"
#include "test/unit/virtio_test_driver.h"
#include "vdevices/virtio_blk.h"
#include "vdevices/virtio_rng.h"

#define RAM_SIZE 0x100000
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000
#define QSIZE 16
#define F_VERSION_1 (1ull << 32)
#define STATUS_NEEDS_RESET 0x40
#define NO_VECTOR 0xffff

static bool rng_machine(struct vt_machine *m, struct virtio_dev **vdev)
{
	return vt_machine_init(m, RAM_SIZE) && virtio_rng_create(&m->env, vdev) == 0;
}

/* Negotiates, sets up queue 0 with the given MSI-X vector and goes live. */
static bool rng_live(struct vt_machine *m, uint16_t vector)
{
	if (!(vt_negotiate(m, F_VERSION_1) & 8))
		return false;
	vt_queue(m, 0, QSIZE, DESC, AVAIL, USED, vector);
	vt_driver_ok(m);
	return true;
}

/* Offers one descriptor at BUF and lets the device serve the kick. */
static void rng_offer(struct vt_machine *m, struct virtio_dev *vdev, uint32_t len, uint16_t flags)
{
	vt_desc(m, DESC, 0, BUF, len, flags, 0);
	vt_offer(m, AVAIL, QSIZE, 0);
	vt_notify(m, 0);
	vt_settle(vdev);
}

TEST(virtio_pci_config_space)
{
	struct vt_machine m;
	struct virtio_dev *vdev;
	unsigned cap, types = 0;
	bool msix = false;

	CHECK(rng_machine(&m, &vdev));
	CHECK_EQ(vt_config_read(&m, 1, 0, 2), 0x1af4u);
	CHECK_EQ(vt_config_read(&m, 1, 2, 2), 0x1044u); /* 0x1040 + rng */
	CHECK_EQ(vt_config_read(&m, 1, 8, 1), 1u);      /* modern-only revision */
	CHECK(vt_config_read(&m, 1, 6, 2) & 0x10);      /* capability list */
	CHECK_EQ(vt_config_read(&m, 1, 0x10, 4), (uint32_t)VT_BAR);
	CHECK_EQ(vt_config_read(&m, 1, 0x3d, 1), 1u);    /* INTA# */
	for (cap = vt_config_read(&m, 1, 0x34, 1); cap; cap = vt_config_read(&m, 1, cap + 1, 1)) {
		uint8_t id = vt_config_read(&m, 1, cap, 1);

		if (id == PCI_CAP_ID_VENDOR)
			types |= 1u << vt_config_read(&m, 1, cap + 3, 1);
		msix |= id == PCI_CAP_ID_MSIX;
	}
	CHECK(msix);
	CHECK_EQ(types, 0x0eu); /* common, notify, ISR (rng has no device config) */

	/* BAR sizing as firmware and Linux do it: decoding off, all ones, read the mask. */
	vt_config_write(&m, 1, 4, 2, 0);
	CHECK_EQ(vt_read(&m, VT_COMMON + 0x12, 2), 0xffffu); /* not decoding: all ones */
	vt_config_write(&m, 1, 0x10, 4, 0xffffffff);
	CHECK_EQ(vt_config_read(&m, 1, 0x10, 4), 0xffff8000u);
	vt_config_write(&m, 1, 0x10, 4, VT_BAR + 0x10000);
	vt_config_write(&m, 1, 4, 2, 2);
	CHECK_EQ(io_bus_read(&m.mmio, VT_BAR + 0x10000 + 0x12, 2, &(uint64_t){ 0 }), true);
	{
		uint64_t numq = 0;

		io_bus_read(&m.mmio, VT_BAR + 0x10000 + 0x12, 2, &numq);
		CHECK_EQ(numq, 1u);
	}
	vt_machine_free(&m, vdev);
}

TEST(virtio_pci_features_need_version_1)
{
	struct vt_machine m;
	struct virtio_dev *vdev;

	CHECK(rng_machine(&m, &vdev));
	CHECK(!(vt_negotiate(&m, 0) & 8));                 /* legacy driver: no FEATURES_OK */
	CHECK(!(vt_negotiate(&m, F_VERSION_1 | 1ull << 50) & 8)); /* a bit never offered */
	CHECK(vt_negotiate(&m, F_VERSION_1) & 8);
	vt_machine_free(&m, vdev);
}

/* One 64-byte buffer through virtio-rng; completion by INTx (MSI-X off). */
TEST(virtio_rng_fills_buffer_intx)
{
	struct vt_machine m;
	struct virtio_dev *vdev;

	CHECK(rng_machine(&m, &vdev));
	CHECK(rng_live(&m, NO_VECTOR));
	rng_offer(&m, vdev, 64, 2 /* WRITE */);
	CHECK_EQ(vt_used_idx(&m, USED), 1);
	CHECK_EQ(vt_used_len(&m, USED, QSIZE, 0), 64u);
	CHECK(m.intx);
	CHECK_EQ(vt_read(&m, VT_ISR, 1), 1u);
	CHECK(!m.intx); /* reading the ISR lowers INTx */
	CHECK_EQ(vt_read(&m, VT_ISR, 1), 0u);
	vt_machine_free(&m, vdev);
}

TEST(virtio_msix_vectors_mask_and_pending)
{
	struct vt_machine m;
	struct virtio_dev *vdev;
	unsigned cap;

	CHECK(rng_machine(&m, &vdev));
	for (cap = vt_config_read(&m, 1, 0x34, 1); cap; cap = vt_config_read(&m, 1, cap + 1, 1))
		if (vt_config_read(&m, 1, cap, 1) == PCI_CAP_ID_MSIX)
			break;
	CHECK(cap);
	CHECK_EQ(vt_config_read(&m, 1, cap + 2, 2) & 0x7ff, 1u); /* 2 vectors */
	vt_config_write(&m, 1, cap + 2, 2, 0x8000);              /* enable */
	vt_write(&m, VT_MSIX_TABLE + 16, 4, 0xfee00000);         /* vector 1 */
	vt_write(&m, VT_MSIX_TABLE + 20, 4, 0);
	vt_write(&m, VT_MSIX_TABLE + 24, 4, 0x41);
	CHECK_EQ(vt_read(&m, VT_MSIX_TABLE + 28, 4), 1u); /* masked at reset */

	CHECK(rng_live(&m, 1));
	CHECK_EQ(vt_read(&m, VT_COMMON + 0x1a, 2), 1u);
	rng_offer(&m, vdev, 16, 2);
	CHECK_EQ(m.msis, 0u);
	CHECK_EQ(vt_read(&m, VT_MSIX_PBA, 8), 2u); /* pending while masked */
	vt_write(&m, VT_MSIX_TABLE + 28, 4, 0);    /* unmask: fires */
	CHECK_EQ(m.msis, 1u);
	CHECK_EQ(m.msi_address, 0xfee00000u);
	CHECK_EQ(m.msi_data, 0x41u);
	CHECK_EQ(vt_read(&m, VT_MSIX_PBA, 8), 0u);
	CHECK(!m.intx);
	/* Odd-sized and out-of-table accesses do nothing. */
	vt_write(&m, VT_MSIX_TABLE + 1, 2, 0xffff);
	vt_write(&m, VT_MSIX_TABLE + 64, 4, 0xffff);
	CHECK_EQ(vt_read(&m, VT_MSIX_TABLE + 64, 4), 0u);
	vt_machine_free(&m, vdev);
}

/* A hostile ring: the device reports NEEDS_RESET and stops; a reset brings it back. */
TEST(virtio_broken_queue_needs_reset)
{
	struct vt_machine m;
	struct virtio_dev *vdev;

	CHECK(rng_machine(&m, &vdev));
	CHECK(rng_live(&m, NO_VECTOR));
	vt_notify(&m, 7); /* a queue that does not exist */
	rng_offer(&m, vdev, 16, 2 | 1 /* NEXT: a loop onto itself */);
	CHECK(vt_read(&m, VT_COMMON + 0x14, 1) & STATUS_NEEDS_RESET);
	CHECK_EQ(vt_used_idx(&m, USED), 0);
	CHECK_EQ(vt_read(&m, VT_ISR, 1), 2u); /* config change */

	memset(m.ram, 0, RAM_SIZE);
	CHECK(rng_live(&m, NO_VECTOR)); /* negotiating writes status 0 first: reset */
	CHECK(!(vt_read(&m, VT_COMMON + 0x14, 1) & STATUS_NEEDS_RESET));
	rng_offer(&m, vdev, 16, 2);
	CHECK_EQ(vt_used_idx(&m, USED), 1);
	vt_machine_free(&m, vdev);
}

TEST(virtio_bad_queue_setup_needs_reset)
{
	struct vt_machine m;
	struct virtio_dev *vdev;

	CHECK(rng_machine(&m, &vdev));
	CHECK(vt_negotiate(&m, F_VERSION_1) & 8);
	vt_queue(&m, 0, 12 /* not a power of two */, DESC, AVAIL, USED, NO_VECTOR);
	CHECK(vt_read(&m, VT_COMMON + 0x14, 1) & STATUS_NEEDS_RESET);
	CHECK_EQ(vt_read(&m, VT_COMMON + 0x1c, 2), 0u);
	CHECK(vt_negotiate(&m, F_VERSION_1) & 8);
	vt_queue(&m, 0, QSIZE, RAM_SIZE - 8 /* ring outside RAM */, AVAIL, USED, NO_VECTOR);
	CHECK(vt_read(&m, VT_COMMON + 0x14, 1) & STATUS_NEEDS_RESET);
	vt_machine_free(&m, vdev);
}

/* virtio-blk on a temporary image: write, read back, ID, flush, bad sectors, read-only. */
struct blk_rig {
	struct vt_machine m;
	struct virtio_dev *vdev;
	char path[64];
	uint16_t next;
};

static bool blk_rig_init(struct blk_rig *r, bool readonly)
{
	char err[256];
	int fd;

	snprintf(r->path, sizeof(r->path), "/tmp/keel-vblk-XXXXXX");
	fd = mkstemp(r->path);
	if (fd < 0 || ftruncate(fd, 1 << 20))
		return false;
	close(fd);
	r->next = 0;
	if (!vt_machine_init(&r->m, RAM_SIZE))
		return false;
	if (virtio_blk_create(&r->m.env, r->path, readonly, "KEEL-SERIAL", &r->vdev, err,
			      sizeof(err)))
		return false;
	if (!(vt_negotiate(&r->m, F_VERSION_1 | 1ull << 9) & 8))
		return false;
	vt_queue(&r->m, 0, QSIZE, DESC, AVAIL, USED, NO_VECTOR);
	vt_driver_ok(&r->m);
	return true;
}

static void blk_rig_free(struct blk_rig *r)
{
	vt_machine_free(&r->m, r->vdev);
	unlink(r->path);
}

/* Header at BUF, data at BUF+0x1000, status at BUF+0x100; returns the status byte. */
static uint8_t blk_request(struct blk_rig *r, uint32_t type, uint64_t sector, uint32_t len,
			   bool device_writes)
{
	uint8_t *hdr = r->m.ram + BUF;
	unsigned d = 0;

	put_le32(hdr, type);
	put_le32(hdr + 4, 0);
	put_le64(hdr + 8, sector);
	r->m.ram[BUF + 0x100] = 0xee;
	vt_desc(&r->m, DESC, d, BUF, 16, 1, d + 1);
	d++;
	if (len) {
		vt_desc(&r->m, DESC, d, BUF + 0x1000, len, 1 | (device_writes ? 2 : 0), d + 1);
		d++;
	}
	vt_desc(&r->m, DESC, d, BUF + 0x100, 1, 2, 0);
	vt_offer(&r->m, AVAIL, QSIZE, 0);
	vt_notify(&r->m, 0);
	vt_settle(r->vdev);
	r->next++;
	if (vt_used_idx(&r->m, USED) != r->next)
		return 0xff;
	return r->m.ram[BUF + 0x100];
}

TEST(virtio_blk_read_write_id_flush)
{
	struct blk_rig r;
	uint8_t *data;

	CHECK(blk_rig_init(&r, false));
	data = r.m.ram + BUF + 0x1000;
	for (int i = 0; i < 4096; i++)
		data[i] = i * 7;
	CHECK_EQ(blk_request(&r, 1 /* OUT */, 8, 4096, false), 0);
	memset(data, 0, 4096);
	CHECK_EQ(blk_request(&r, 0 /* IN */, 8, 4096, true), 0);
	CHECK_EQ(vt_used_len(&r.m, USED, QSIZE, 1), 4097u);
	CHECK_EQ(data[4095], (uint8_t)(4095 * 7));
	CHECK_EQ(blk_request(&r, 8 /* GET_ID */, 0, 20, true), 0);
	CHECK(!memcmp(data, "KEEL-SERIAL", 12));
	CHECK_EQ(blk_request(&r, 4 /* FLUSH */, 0, 0, false), 0);
	CHECK_EQ(blk_request(&r, 0, 2048 /* past the end */, 512, true), 1);
	CHECK_EQ(blk_request(&r, 0, UINT64_MAX / 256, 512, true), 1); /* offset overflows */
	CHECK_EQ(blk_request(&r, 0, 0, 100 /* not whole sectors */, true), 1);
	CHECK_EQ(blk_request(&r, 99 /* unknown */, 0, 0, false), 2);
	/* Capacity in config space: 1 MiB = 2048 sectors. */
	CHECK_EQ(vt_read(&r.m, VT_DEVICE, 8), 2048u);
	blk_rig_free(&r);
}

TEST(virtio_blk_readonly_refuses_writes)
{
	struct blk_rig r;

	CHECK(blk_rig_init(&r, true));
	CHECK(vt_read(&r.m, VT_COMMON + 0x04, 4) & (1u << 5)); /* VIRTIO_BLK_F_RO offered */
	CHECK_EQ(blk_request(&r, 1, 0, 512, false), 1);
	CHECK_EQ(blk_request(&r, 0, 0, 512, true), 0);
	blk_rig_free(&r);
}

TEST(virtio_blk_request_without_status_breaks_queue)
{
	struct blk_rig r;

	CHECK(blk_rig_init(&r, false));
	put_le32(r.m.ram + BUF, 0);
	vt_desc(&r.m, DESC, 0, BUF, 16, 0, 0); /* header only */
	vt_offer(&r.m, AVAIL, QSIZE, 0);
	vt_notify(&r.m, 0);
	vt_settle(r.vdev);
	CHECK(vt_read(&r.m, VT_COMMON + 0x14, 1) & STATUS_NEEDS_RESET);
	CHECK_EQ(vt_used_idx(&r.m, USED), 0);
	blk_rig_free(&r);
}

/* Discard and write-zeroes ranges through the device read back as zeros. */
TEST(virtio_blk_discard_and_write_zeroes)
{
	struct blk_rig r;
	uint8_t *data;
	uint32_t features;

	CHECK(blk_rig_init(&r, false));
	features = vt_read(&r.m, VT_COMMON + 0x04, 4);
	CHECK(features & (1u << 13));
	CHECK(features & (1u << 14));
	data = r.m.ram + BUF + 0x1000;
	for (uint32_t type = 11; type <= 13; type += 2) {
		memset(data, 0xab, 8192);
		CHECK_EQ(blk_request(&r, 1, 16, 8192, false), 0);
		put_le64(data, 16 + 4);
		put_le32(data + 8, 8); /* sectors 20..27 */
		put_le32(data + 12, 0);
		CHECK_EQ(blk_request(&r, type, 0, 16, false), 0);
		CHECK_EQ(blk_request(&r, 0, 16, 8192, true), 0);
		CHECK_EQ(data[4 * 512 - 1], 0xab);
		CHECK_EQ(data[4 * 512], 0);
		CHECK_EQ(data[12 * 512 - 1], 0);
		CHECK_EQ(data[12 * 512], 0xab);
		/* A range past the end of the disk is an I/O error, not a crash. */
		put_le64(data, 2040);
		put_le32(data + 8, 100);
		CHECK_EQ(blk_request(&r, type, 0, 16, false), 1);
	}
	blk_rig_free(&r);
}
