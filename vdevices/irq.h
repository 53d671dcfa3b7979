/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupt lines as devices see them. A device drives the level of its line: high while
 * its interrupt condition holds. Whoever built the machine decided where the line goes
 * (the PIC and IOAPIC inputs of an ISA IRQ, a PCI INTx pin, ...).
 */
#ifndef KEEL_VDEVICES_IRQ_H
#define KEEL_VDEVICES_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct irq_line {
	void (*set_level)(void *opaque, unsigned pin, bool level);
	void *opaque;
	unsigned pin;
};

static inline void irq_line_set(const struct irq_line *line, bool level)
{
	if (line->set_level)
		line->set_level(line->opaque, line->pin, level);
}

/* An edge for edge-triggered inputs: raise, then lower. */
static inline void irq_line_pulse(const struct irq_line *line)
{
	irq_line_set(line, true);
	irq_line_set(line, false);
}

/*
 * Where the interrupt controllers deliver: implemented by the VMM on top of the
 * accelerator (KVM_SIGNAL_MSI, KVM_INTERRUPT, GSI routes).
 */
struct irq_sink_ops {
	/* Deliver an MSI message (an IOAPIC redirection or a PCI MSI) to the local APICs. */
	int (*signal_msi)(void *opaque, uint64_t address, uint32_t data);
	/*
	 * The IOAPIC programmed pin's redirection entry, expressed as an MSI message with the
	 * trigger mode in data bit 15; the accelerator uses it to exit on EOI of level-triggered
	 * vectors. masked: the entry is masked.
	 */
	int (*set_ioapic_route)(void *opaque, unsigned pin, uint64_t address, uint32_t data,
				bool masked);
	/* The PIC's INT output changed; the VMM injects ExtINT on the bootstrap processor. */
	void (*pic_output_changed)(void *opaque, bool level);
};

struct irq_sink {
	const struct irq_sink_ops *ops;
	void *opaque;
};

/*
 * MSI delivery for PCI devices, and the eventfd interrupt path (irqfd): an eventfd bound to
 * a message delivers it inside the accelerator when written, without waking the VMM.
 */
struct msi_ops {
	int (*signal)(void *opaque, uint64_t address, uint32_t data);
	/*
	 * Binds fd to (address, data), or changes the message of a bound fd: *handle is -1 the
	 * first time and is set to the binding. -ENOSYS where the accelerator has no irqfd.
	 */
	int (*irqfd_bind)(void *opaque, int fd, uint64_t address, uint32_t data, int *handle);
	void (*irqfd_unbind)(void *opaque, int fd, int handle);
};

struct msi_target {
	const struct msi_ops *ops;
	void *opaque;
};

/*
 * Doorbells (ioeventfd): a guest write to MMIO address addr signals fd inside the
 * accelerator instead of exiting to the VMM. -ENOSYS where not offered.
 */
struct doorbell_ops {
	int (*assign)(void *opaque, uint64_t addr, int fd);
	void (*deassign)(void *opaque, uint64_t addr, int fd);
};

struct doorbells {
	const struct doorbell_ops *ops;
	void *opaque;
};

#endif
