// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a hostile guest's port and MMIO accesses to the whole chipset. Each 4-byte
 * record is (op, port/offset, value): op selects the bus, direction and size.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/evloop.h"
#include "vdevices/acpi_pm.h"
#include "vdevices/chardev.h"
#include "vdevices/i8042.h"
#include "vdevices/ioapic.h"
#include "vdevices/pci.h"
#include "vdevices/pic.h"
#include "vdevices/pit.h"
#include "vdevices/rtc.h"
#include "vdevices/uart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pic *fuzz_pic;

static int sink_msi(void *opaque, uint64_t a, uint32_t d)
{
	return 0;
}

static int sink_route(void *opaque, unsigned pin, uint64_t a, uint32_t d, bool masked)
{
	return 0;
}

static void sink_pic(void *opaque, bool level)
{
	if (level && fuzz_pic)
		pic_acknowledge(fuzz_pic);
}

static const struct irq_sink_ops sink_ops = { sink_msi, sink_route, sink_pic };

static void fuzz_reset(void *opaque)
{
}

static struct ioapic *fuzz_ioapic;

static void isa_irq(void *opaque, unsigned irq, bool level)
{
	pic_set_irq(fuzz_pic, irq, level);
	ioapic_set_irq(fuzz_ioapic, irq == 0 ? 2 : irq, level);
}

/* The ports the chipset claims, so most records hit a device. */
static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43,
				  0x61, 0x70, 0x71, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd,
				  0x3fe, 0x3ff, 0x60, 0x64, 0x600, 0x602, 0x604, 0x608, 0x60c,
				  0x610, 0xcf8, 0xcfc, 0xcfd, 0xcfe, 0xcff };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct io_bus pio, mmio;
	static struct evloop *loop;
	static struct vdev_list devs;
	static const struct irq_sink sink = { &sink_ops, NULL };
	static const struct acpi_pm_events pm_events = { NULL, fuzz_reset, NULL };

	if (!loop) {
		struct chardev *cd;
		const char *why;

		loop = evloop_create();
		io_bus_init(&pio, "pio");
		io_bus_init(&mmio, "mmio");
		chardev_open("null", loop, &cd, &why);
		fuzz_pic = pic_create(&pio, &sink);
		fuzz_ioapic = ioapic_create(&mmio, IOAPIC_DEFAULT_BASE, 0, &sink);
		vdev_list_add(&devs, &pic_vdev_ops, fuzz_pic);
		vdev_list_add(&devs, &ioapic_vdev_ops, fuzz_ioapic);
		vdev_list_add(&devs, &pit_vdev_ops, pit_create(&pio, loop, (struct irq_line){ isa_irq, NULL, 0 }));
		vdev_list_add(&devs, &rtc_vdev_ops, rtc_create(&pio, loop, (struct irq_line){ isa_irq, NULL, 8 }));
		vdev_list_add(&devs, &uart_vdev_ops, uart_create(&pio, 0x3f8, (struct irq_line){ isa_irq, NULL, 4 }, cd));
		vdev_list_add(&devs, &i8042_vdev_ops,
			      i8042_create(&pio, (struct irq_line){ isa_irq, NULL, 1 },
					   (struct irq_line){ isa_irq, NULL, 12 }, fuzz_reset, NULL));
		vdev_list_add(&devs, &acpi_pm_vdev_ops,
			      acpi_pm_create(&pio, ACPI_PM_BASE, (struct irq_line){ isa_irq, NULL, 9 },
					     &pm_events));
		vdev_list_add(&devs, &pci_host_vdev_ops, pci_host_create(&pio, NULL, 0, 0));
	}
	vdev_list_reset(&devs);
	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint8_t op = data[i];
		unsigned sz = 1u << (op & 3);
		uint64_t value = data[i + 2] | (uint64_t)data[i + 3] << 8;
		uint64_t out;

		if (op & 0x80) {
			uint64_t addr = IOAPIC_DEFAULT_BASE + (data[i + 1] & 0x7f);

			if (op & 4)
				io_bus_write(&mmio, addr, sz, value * 0x10001);
			else
				io_bus_read(&mmio, addr, sz, &out);
			continue;
		}
		if (sz == 8)
			sz = 4;
		uint16_t port = ports[data[i + 1] % (sizeof(ports) / sizeof(ports[0]))];

		if (op & 4)
			io_bus_write(&pio, port, sz, (op & 8) ? value | 0x80000000u : value);
		else
			io_bus_read(&pio, port, sz, &out);
	}
	return 0;
}
