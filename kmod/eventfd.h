/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Eventfd fast paths of a VM: irqfds (an eventfd signal delivers an MSI in the kernel) and
 * ioeventfds (a guest write to a doorbell signals an eventfd without leaving the kernel).
 */
#ifndef KEEL_EVENTFD_H
#define KEEL_EVENTFD_H

#include <linux/types.h>

struct keel_vm;
struct keel_irqfd;
struct keel_ioeventfd;

void keel_eventfds_init(struct keel_vm *vm);
/* At VM release: every binding undone. */
void keel_eventfds_release(struct keel_vm *vm);

int keel_irqfd(struct keel_vm *vm, const struct keel_irqfd *req);
int keel_ioeventfd(struct keel_vm *vm, const struct keel_ioeventfd *req);

/* A guest write: true if an ioeventfd took it (the write is then complete). */
bool keel_ioeventfd_signal(struct keel_vm *vm, bool pio, u64 addr, const void *val,
			   unsigned int len);

#endif /* KEEL_EVENTFD_H */
