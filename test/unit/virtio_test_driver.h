/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal virtio driver for tests and fuzzers: a PCI host with one MMIO window, guest RAM
 * at 0, and helpers that program a device through its BAR the way Linux does, plus the
 * driver's side of a split virtqueue. Devices run without a worker thread (virtio_poll).
 */
#ifndef KEEL_TEST_VIRTIO_TEST_DRIVER_H
#define KEEL_TEST_VIRTIO_TEST_DRIVER_H

#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "vdevices/bus.h"
#include "vdevices/pci.h"
#include "vdevices/virtio.h"

#define VT_WINDOW 0xc0000000ull
#define VT_WINDOW_SIZE 0x1000000ull
#define VT_BAR VT_WINDOW /* the first device's BAR 0 */
#define VT_COMMON 0x0000
#define VT_ISR 0x1000
#define VT_DEVICE 0x2000
#define VT_NOTIFY 0x3000
#define VT_MSIX_TABLE 0x4000
#define VT_MSIX_PBA 0x5000

struct vt_machine {
	struct io_bus pio, mmio;
	struct pci_host *pci;
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_env env;
	unsigned msis;
	uint64_t msi_address;
	uint32_t msi_data;
	bool intx;
};

static int vt_signal_msi(void *opaque, uint64_t address, uint32_t data)
{
	struct vt_machine *m = opaque;

	m->msis++;
	m->msi_address = address;
	m->msi_data = data;
	return 0;
}

static const struct msi_ops vt_msi_ops = { .signal = vt_signal_msi };

static void vt_intx_set(void *opaque, unsigned pin, bool level)
{
	((struct vt_machine *)opaque)->intx = level;
}

static struct irq_line vt_intx_route(void *opaque, unsigned slot)
{
	return (struct irq_line){ vt_intx_set, opaque, 0 };
}

static inline bool vt_machine_init(struct vt_machine *m, size_t ram_size)
{
	memset(m, 0, sizeof(*m));
	m->ram = calloc(1, ram_size);
	if (!m->ram)
		return false;
	m->mem.ranges[0] = (struct guest_mem_range){ 0, ram_size, m->ram };
	m->mem.count = 1;
	io_bus_init(&m->pio, "pio");
	io_bus_init(&m->mmio, "mmio");
	m->pci = pci_host_create(&m->pio, &m->mmio, VT_WINDOW, VT_WINDOW_SIZE);
	if (!m->pci)
		return false;
	pci_host_set_intx_router(m->pci, vt_intx_route, m);
	m->env = (struct virtio_env){
		.pci = m->pci,
		.mem = &m->mem,
		.msi = { &vt_msi_ops, m },
		.no_worker_thread = true,
	};
	return true;
}

/* Destroys the device (if any) and the machine. */
static inline void vt_machine_free(struct vt_machine *m, struct virtio_dev *vdev)
{
	if (vdev)
		virtio_pci_vdev_ops.destroy(vdev);
	pci_host_vdev_ops.destroy(m->pci);
	io_bus_free(&m->pio);
	io_bus_free(&m->mmio);
	free(m->ram);
}

static inline uint64_t vt_read(struct vt_machine *m, uint64_t offset, unsigned size)
{
	uint64_t v = 0;

	io_bus_read(&m->mmio, VT_BAR + offset, size, &v);
	return v;
}

static inline void vt_write(struct vt_machine *m, uint64_t offset, unsigned size, uint64_t v)
{
	io_bus_write(&m->mmio, VT_BAR + offset, size, v);
}

static inline uint32_t vt_config_read(struct vt_machine *m, unsigned slot, unsigned reg,
				      unsigned size)
{
	uint64_t v = 0;

	io_bus_write(&m->pio, 0xcf8, 4, 0x80000000u | slot << 11 | (reg & 0xfc));
	io_bus_read(&m->pio, 0xcfc + (reg & 3), size, &v);
	return v;
}

static inline void vt_config_write(struct vt_machine *m, unsigned slot, unsigned reg,
				   unsigned size, uint32_t v)
{
	io_bus_write(&m->pio, 0xcf8, 4, 0x80000000u | slot << 11 | (reg & 0xfc));
	io_bus_write(&m->pio, 0xcfc + (reg & 3), size, v);
}

/* ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; returns the status read back. */
static inline uint8_t vt_negotiate(struct vt_machine *m, uint64_t features)
{
	vt_write(m, VT_COMMON + 0x14, 1, 0);
	vt_write(m, VT_COMMON + 0x14, 1, 1);
	vt_write(m, VT_COMMON + 0x14, 1, 3);
	vt_write(m, VT_COMMON + 0x08, 4, 0);
	vt_write(m, VT_COMMON + 0x0c, 4, (uint32_t)features);
	vt_write(m, VT_COMMON + 0x08, 4, 1);
	vt_write(m, VT_COMMON + 0x0c, 4, features >> 32);
	vt_write(m, VT_COMMON + 0x14, 1, 0xb);
	return vt_read(m, VT_COMMON + 0x14, 1);
}

static inline void vt_queue(struct vt_machine *m, unsigned q, uint16_t size, uint64_t desc,
			    uint64_t avail, uint64_t used, uint16_t vector)
{
	vt_write(m, VT_COMMON + 0x16, 2, q);
	vt_write(m, VT_COMMON + 0x18, 2, size);
	vt_write(m, VT_COMMON + 0x1a, 2, vector);
	vt_write(m, VT_COMMON + 0x20, 4, (uint32_t)desc);
	vt_write(m, VT_COMMON + 0x24, 4, desc >> 32);
	vt_write(m, VT_COMMON + 0x28, 4, (uint32_t)avail);
	vt_write(m, VT_COMMON + 0x2c, 4, avail >> 32);
	vt_write(m, VT_COMMON + 0x30, 4, (uint32_t)used);
	vt_write(m, VT_COMMON + 0x34, 4, used >> 32);
	vt_write(m, VT_COMMON + 0x1c, 2, 1);
}

static inline void vt_driver_ok(struct vt_machine *m)
{
	vt_write(m, VT_COMMON + 0x14, 1, 0xf);
}

static inline void vt_notify(struct vt_machine *m, unsigned q)
{
	vt_write(m, VT_NOTIFY + 4 * q, 2, q);
}

/* Serves the device until it has nothing left to do (backend completions included). */
static inline void vt_settle(struct virtio_dev *vdev)
{
	do {
		while (virtio_poll(vdev, 0))
			;
	} while (virtio_busy(vdev) && (virtio_poll(vdev, 1000) || true));
}

/* Driver side of a split ring: descriptors at desc, rings at avail and used. */
static inline void vt_desc(struct vt_machine *m, uint64_t desc, unsigned i, uint64_t addr,
			   uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = m->ram + desc + 16 * i;

	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

static inline void vt_offer(struct vt_machine *m, uint64_t avail, uint16_t size, uint16_t head)
{
	uint16_t idx = get_le16(m->ram + avail + 2);

	put_le16(m->ram + avail + 4 + 2 * (idx % size), head);
	put_le16(m->ram + avail + 2, idx + 1);
}

static inline uint16_t vt_used_idx(struct vt_machine *m, uint64_t used)
{
	return get_le16(m->ram + used + 2);
}

static inline uint32_t vt_used_len(struct vt_machine *m, uint64_t used, uint16_t size, uint16_t i)
{
	return get_le32(m->ram + used + 4 + 8 * (i % size) + 4);
}

/*
 * One fuzz round against a device: the input's first bytes choose features, then for each
 * of nqueues queues its size and ring offsets, and the kicks; the rest fills guest RAM.
 */
static inline void vt_fuzz_round(struct vt_machine *m, size_t ram_size, struct virtio_dev *vdev,
				 unsigned nqueues, const uint8_t *data, size_t size)
{
	size_t setup = 8 + 8 * nqueues, kicks;
	uint64_t features;

	if (size < setup)
		return;
	features = get_le32(data) | (data[4] & 1 ? 1ull << 32 : 0);
	kicks = 1 + data[5] % 8;
	memset(m->ram, 0, ram_size);
	memcpy(m->ram, data + setup, size - setup < ram_size ? size - setup : ram_size);

	virtio_pci_vdev_ops.reset(vdev);
	vt_negotiate(m, features);
	for (unsigned q = 0; q < nqueues; q++) {
		const uint8_t *qd = data + 8 + 8 * q;

		if (qd[7] & 0x80)
			continue; /* a queue the driver never sets up */
		/* Rings in the first 8 KiB, where short inputs put their bytes. */
		vt_queue(m, q, get_le16(qd), get_le16(qd + 2) % 0x2000 % ram_size,
			 get_le16(qd + 4) % 0x2000 % ram_size,
			 (get_le16(qd + 6) & 0x7fff) % 0x2000 % ram_size, data[6] & 1 ? q : 0xffff);
	}
	vt_driver_ok(m);
	/* Kicks on chosen queues (some beyond the device's), the guest moving its rings. */
	for (size_t k = 0; k < kicks; k++) {
		unsigned q = (data[7] >> (k % 4 * 2)) % (nqueues + 1);

		vt_notify(m, q);
		vt_settle(vdev);
		if (k + 1 < kicks && size > setup + k)
			m->ram[data[setup + k] * 97 % ram_size] ^= data[setup + k];
	}
}

#endif
