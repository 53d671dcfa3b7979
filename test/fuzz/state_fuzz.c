// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the saved-state reader and every chipset device's load() on arbitrary streams. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/state.h"
#include "vdevices/acpi_pm.h"
#include "vdevices/i8042.h"
#include "vdevices/ioapic.h"
#include "vdevices/pci.h"
#include "vdevices/pic.h"
#include "vdevices/pit.h"
#include "vdevices/rtc.h"
#include "vdevices/uart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
}

static const struct irq_sink_ops sink_ops = { sink_msi, sink_route, sink_pic };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct io_bus pio, mmio;
	static struct vdev_list devs;
	static bool ready;
	static const struct irq_sink sink = { &sink_ops, NULL };
	struct state_reader r, sec;
	uint64_t v;
	uint8_t buf[64];

	if (!ready) {
		struct irq_line none = { 0 };

		io_bus_init(&pio, "pio");
		io_bus_init(&mmio, "mmio");
		vdev_list_add(&devs, &pic_vdev_ops, pic_create(&pio, &sink));
		vdev_list_add(&devs, &ioapic_vdev_ops, ioapic_create(&mmio, IOAPIC_DEFAULT_BASE, 0, &sink));
		vdev_list_add(&devs, &pit_vdev_ops, pit_create(&pio, NULL, none));
		vdev_list_add(&devs, &i8042_vdev_ops, i8042_create(&pio, none, none, NULL, NULL));
		vdev_list_add(&devs, &acpi_pm_vdev_ops, acpi_pm_create(&pio, ACPI_PM_BASE, none,
					&(struct acpi_pm_events){ 0 }));
		vdev_list_add(&devs, &pci_host_vdev_ops, pci_host_create(&pio, NULL, 0, 0));
		ready = true;
	}
	state_reader_init(&r, data, size);
	state_get_u64(&r, "x", &v);
	state_get_bytes(&r, "y", buf, sizeof(buf));
	if (state_find_section(&r, "z", &sec) == 0)
		state_get_u64(&sec, "x", &v);
	vdev_list_load(&devs, &r);
	return 0;
}
