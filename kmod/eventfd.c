// SPDX-License-Identifier: GPL-2.0
/*
 * irqfds and ioeventfds. An irqfd waits on its eventfd's wait queue: the wakeup, in the
 * signaller's context, consumes the count and delivers the MSI. ioeventfds sit on an RCU
 * list that the vCPUs read on every port or MMIO write they would otherwise hand to
 * userspace.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "eventfd.h"
#include "keel.h"
#include "lapic.h"

struct keel_irqfd_binding {
	struct list_head node;		/* vm->irqfds, under vm->eventfd_lock */
	struct keel_vm *vm;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
	u64 msg;			/* data << 32 | address: one word, never torn */
};

struct keel_ioevent {
	struct list_head node;		/* vm->ioevents: RCU readers, vm->eventfd_lock writers */
	u64 addr, datamatch;
	u32 len;
	bool pio, match;
	struct eventfd_ctx *ctx;
};

#define KEEL_MSI_BASE	0xfee00000ULL

static void irqfd_deliver(struct keel_irqfd_binding *b)
{
	u64 msg = READ_ONCE(b->msg);

	keel_deliver_msi(b->vm, (u32)msg, msg >> 32);
}

/* Called with the eventfd's wait queue lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct keel_irqfd_binding *b = container_of(wait, struct keel_irqfd_binding, wait);
	u64 count;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(b->ctx, &count);
		irqfd_deliver(b);
	}
	return 0;
}

static void irqfd_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct keel_irqfd_binding *b = container_of(pt, struct keel_irqfd_binding, pt);

	add_wait_queue(wqh, &b->wait);
}

static struct keel_irqfd_binding *irqfd_find(struct keel_vm *vm, struct eventfd_ctx *ctx)
{
	struct keel_irqfd_binding *b;

	list_for_each_entry(b, &vm->irqfds, node)
		if (b->ctx == ctx)
			return b;
	return NULL;
}

static void irqfd_free(struct keel_irqfd_binding *b)
{
	u64 count;

	eventfd_ctx_remove_wait_queue(b->ctx, &b->wait, &count);
	list_del(&b->node);
	eventfd_ctx_put(b->ctx);
	kfree(b);
}

int keel_irqfd(struct keel_vm *vm, const struct keel_irqfd *req)
{
	struct keel_irqfd_binding *b;
	struct eventfd_ctx *ctx;
	struct fd f;
	__poll_t events;
	int ret = 0;

	if ((req->flags & ~KEEL_IRQFD_FLAG_DEASSIGN) || req->pad)
		return -EINVAL;
	if (!(req->flags & KEEL_IRQFD_FLAG_DEASSIGN) &&
	    (req->address & ~0xfffffULL) != KEEL_MSI_BASE)
		return -EINVAL;
	f = fdget(req->fd);
	if (!f.file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(f.file);
	if (IS_ERR(ctx)) {
		fdput(f);
		return PTR_ERR(ctx);
	}

	mutex_lock(&vm->eventfd_lock);
	b = irqfd_find(vm, ctx);
	if (req->flags & KEEL_IRQFD_FLAG_DEASSIGN) {
		if (b)
			irqfd_free(b);
		else
			ret = -ENOENT;
		goto out;
	}
	if (b) {
		WRITE_ONCE(b->msg, (u64)req->data << 32 | (u32)req->address);
		goto out;
	}
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	b->vm = vm;
	b->ctx = ctx;
	b->msg = (u64)req->data << 32 | (u32)req->address;
	init_waitqueue_func_entry(&b->wait, irqfd_wakeup);
	init_poll_funcptr(&b->pt, irqfd_queue);
	list_add(&b->node, &vm->irqfds);
	ctx = NULL;	/* the binding holds the reference now */
	events = vfs_poll(f.file, &b->pt);
	/* Signalled before it was bound: deliver that too (the next wakeup reads the count). */
	if (events & EPOLLIN)
		irqfd_deliver(b);
out:
	mutex_unlock(&vm->eventfd_lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	fdput(f);
	return ret;
}

static bool ioevent_same(const struct keel_ioevent *e, const struct keel_ioeventfd *req)
{
	bool match = req->flags & KEEL_IOEVENTFD_FLAG_DATAMATCH;

	return e->addr == req->addr && e->len == req->len &&
	       e->pio == !!(req->flags & KEEL_IOEVENTFD_FLAG_PIO) && e->match == match &&
	       (!match || e->datamatch == req->datamatch);
}

int keel_ioeventfd(struct keel_vm *vm, const struct keel_ioeventfd *req)
{
	const u32 known = KEEL_IOEVENTFD_FLAG_DATAMATCH | KEEL_IOEVENTFD_FLAG_PIO |
			  KEEL_IOEVENTFD_FLAG_DEASSIGN;
	struct keel_ioevent *e, *found = NULL;
	struct eventfd_ctx *ctx;
	int ret = 0;
	bool len_ok = req->len == 0 || req->len == 1 || req->len == 2 || req->len == 4 ||
		      req->len == 8;

	if ((req->flags & ~known) || req->pad || !len_ok ||
	    ((req->flags & KEEL_IOEVENTFD_FLAG_DATAMATCH) && !req->len) ||
	    ((req->flags & KEEL_IOEVENTFD_FLAG_PIO) && req->addr > 0xffff) ||
	    req->addr + req->len < req->addr)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(req->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->eventfd_lock);
	/* Assign: the same doorbell exists already; deassign: that one with this eventfd. */
	list_for_each_entry(e, &vm->ioevents, node) {
		if (!ioevent_same(e, req))
			continue;
		if (!(req->flags & KEEL_IOEVENTFD_FLAG_DEASSIGN) || e->ctx == ctx)
			found = e;
	}
	if (req->flags & KEEL_IOEVENTFD_FLAG_DEASSIGN) {
		if (!found) {
			ret = -ENOENT;
			goto out;
		}
		list_del_rcu(&found->node);
		mutex_unlock(&vm->eventfd_lock);
		synchronize_rcu();	/* no vCPU still signals it */
		eventfd_ctx_put(found->ctx);
		kfree(found);
		eventfd_ctx_put(ctx);
		return 0;
	}
	if (found) {
		ret = -EEXIST;
		goto out;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}
	e->addr = req->addr;
	e->len = req->len;
	e->pio = req->flags & KEEL_IOEVENTFD_FLAG_PIO;
	e->match = req->flags & KEEL_IOEVENTFD_FLAG_DATAMATCH;
	e->datamatch = req->datamatch;
	e->ctx = ctx;
	ctx = NULL;
	list_add_rcu(&e->node, &vm->ioevents);
out:
	mutex_unlock(&vm->eventfd_lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	return ret;
}

bool keel_ioeventfd_signal(struct keel_vm *vm, bool pio, u64 addr, const void *val,
			   unsigned int len)
{
	struct keel_ioevent *e;
	bool hit = false;
	u64 v = 0;

	if (len > sizeof(v))
		return false;
	memcpy(&v, val, len);
	rcu_read_lock();
	list_for_each_entry_rcu(e, &vm->ioevents, node) {
		if (e->pio != pio || e->addr != addr || (e->len && e->len != len))
			continue;
		if (e->match && e->datamatch != v)
			continue;
		eventfd_signal(e->ctx, 1);
		hit = true;
		break;
	}
	rcu_read_unlock();
	return hit;
}

void keel_eventfds_init(struct keel_vm *vm)
{
	mutex_init(&vm->eventfd_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	INIT_LIST_HEAD(&vm->ioevents);
}

void keel_eventfds_release(struct keel_vm *vm)
{
	struct keel_irqfd_binding *b, *nb;
	struct keel_ioevent *e, *ne;

	mutex_lock(&vm->eventfd_lock);
	list_for_each_entry_safe(b, nb, &vm->irqfds, node)
		irqfd_free(b);
	list_for_each_entry_safe(e, ne, &vm->ioevents, node) {
		list_del(&e->node);	/* no vCPU is left to read the list */
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
	mutex_unlock(&vm->eventfd_lock);
}
