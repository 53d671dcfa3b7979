// SPDX-License-Identifier: GPL-2.0
/*
 * A VM: its memory slots (user memory of the creating process) and the nested page
 * tables built from them on demand over pinned pages (2 MiB leaves where the backing is a
 * huge page, else 4 KiB), in the host's paging format (4 or 5 levels). Everything the VM
 * pinned or allocated is released when its last file reference goes.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/processor.h>

#include "keel.h"
#include "eventfd.h"
#include "lapic.h"
#include "pvclock.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_TABLE	(NPT_P | NPT_RW | NPT_US)
#define NPT_PS		BIT_ULL(7)	/* a 2 MiB leaf at level 2 */
#define NPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define NPT_HUGE_PAGES	512
#define NPT_HUGE_SIZE	(NPT_HUGE_PAGES * PAGE_SIZE)
#define NPT_ENTRIES	512
#define KEEL_MAX_GPA	BIT_ULL(48)	/* what a 4-level nested table maps */

static DEFINE_IDA(keel_asids);

static unsigned int keel_max_asid(void)
{
	return cpuid_ebx(KEEL_CPUID_SVM);
}

/* ---- Nested page tables ---- */

static u64 *npt_alloc_table(u64 *pa)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return NULL;
	*pa = page_to_phys(page);
	return page_address(page);
}

/* Releases the pages under one table; level 1 tables hold leaves. */
static void npt_free_table(struct keel_npt *npt, u64 *table, int level)
{
	for (int i = 0; i < NPT_ENTRIES; i++) {
		u64 e = table[i];
		struct page *page;

		if (!(e & NPT_P))
			continue;
		page = pfn_to_page((e & NPT_ADDR_MASK) >> PAGE_SHIFT);
		if (level == 1) {
			unpin_user_pages_dirty_lock(&page, 1, e & NPT_RW);
			npt->pinned--;
		} else if (level == 2 && (e & NPT_PS)) {
			for (int p = 0; p < NPT_HUGE_PAGES; p++) {
				struct page *sub = nth_page(page, p);

				unpin_user_pages_dirty_lock(&sub, 1, e & NPT_RW);
			}
			npt->pinned -= NPT_HUGE_PAGES;
		} else {
			npt_free_table(npt, page_address(page), level - 1);
			__free_page(page);
		}
	}
}

/*
 * Nested tables have as many levels as the host's own paging: the CPU walks them in the
 * host's mode (5 with LA57 on).
 */
static int npt_levels(void)
{
	return pgtable_l5_enabled() ? 5 : 4;
}

static void npt_destroy(struct keel_npt *npt)
{
	if (!npt->root)
		return;
	npt_free_table(npt, npt->root, npt_levels());
	free_page((unsigned long)npt->root);
	npt->root = NULL;
}

/*
 * The entry for gpa at level target (1: 4 KiB leaves, 2: 2 MiB), creating the tables
 * above it; NULL on -ENOMEM or where a larger leaf already covers gpa.
 */
static u64 *npt_entry(struct keel_npt *npt, u64 gpa, int target)
{
	u64 *table = npt->root;

	for (int level = npt_levels(); level > target; level--) {
		unsigned int index = (gpa >> (12 + 9 * (level - 1))) & (NPT_ENTRIES - 1);
		u64 pa;

		if (!(table[index] & NPT_P)) {
			u64 *next = npt_alloc_table(&pa);

			if (!next)
				return NULL;
			table[index] = pa | NPT_TABLE;
		}
		if (table[index] & NPT_PS)
			return NULL;
		table = phys_to_virt(table[index] & NPT_ADDR_MASK);
	}
	return &table[(gpa >> (12 + 9 * (target - 1))) & (NPT_ENTRIES - 1)];
}

/* The present entry mapping gpa (a 4 KiB leaf, or a 2 MiB one with *level 2), or NULL. */
static u64 *npt_lookup(struct keel_npt *npt, u64 gpa, int *level)
{
	u64 *table = npt->root;

	for (*level = npt_levels(); *level > 1; (*level)--) {
		u64 e = table[(gpa >> (12 + 9 * (*level - 1))) & (NPT_ENTRIES - 1)];

		if (!(e & NPT_P))
			return NULL;
		if (e & NPT_PS)
			break;
		table = phys_to_virt(e & NPT_ADDR_MASK);
	}
	table = &table[(gpa >> (12 + 9 * (*level - 1))) & (NPT_ENTRIES - 1)];
	return (*table & NPT_P) ? table : NULL;
}

/* A 2 MiB leaf becomes a table of 512 read-only 4 KiB leaves over the same pinned pages. */
static int npt_split_readonly(u64 *pde)
{
	u64 pa, base = *pde & NPT_ADDR_MASK & ~(NPT_HUGE_SIZE - 1);
	u64 *table = npt_alloc_table(&pa);

	if (!table)
		return -ENOMEM;
	for (int i = 0; i < NPT_ENTRIES; i++)
		table[i] = (base + i * PAGE_SIZE) | NPT_P | NPT_US;
	*pde = pa | NPT_TABLE;
	return 0;
}

/* Write-protects the mapped pages of [gpa, gpa + size) so the next write faults. */
static int npt_write_protect(struct keel_npt *npt, u64 gpa, u64 size)
{
	u64 end = gpa + size;
	int level, ret;

	while (gpa < end) {
		u64 *e = npt_lookup(npt, gpa, &level);

		if (e && level == 2) {
			ret = npt_split_readonly(e);
			if (ret)
				return ret;
			continue;
		}
		if (e)
			*e &= ~NPT_RW;
		gpa += PAGE_SIZE;
	}
	return 0;
}

static void noop_ipi(void *unused)
{
}

/*
 * After write-protecting: every vCPU flushes its TLB at its next entry, and none is still
 * in guest mode with old translations when this returns (the IPI runs once it has left).
 */
static void npt_flush_all(struct keel_vm *vm)
{
	WRITE_ONCE(vm->npt_generation, vm->npt_generation + 1);
	on_each_cpu(noop_ipi, NULL, 1);
}

static void slot_mark_dirty(const struct keel_slot *slot, u64 gpa)
{
	if (slot->dirty)
		set_bit((gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
}

/*
 * A 2 MiB nested page where the slot covers the whole aligned range and its backing is
 * one physically contiguous, aligned run (a transparent huge page): 1 mapped, 0 not
 * possible here (the caller maps 4 KiB), or -errno.
 */
static int npt_map_huge(struct keel_vm *vm, const struct keel_slot *slot, u64 gpa,
			bool writable)
{
	u64 base = gpa & ~(NPT_HUGE_SIZE - 1), hva, *pde;
	struct page **pages;
	int n, ret = 0;

	hva = slot->hva + (base - slot->gpa);
	if (base < slot->gpa || base + NPT_HUGE_SIZE > slot->gpa + slot->size ||
	    (hva & (NPT_HUGE_SIZE - 1)))
		return 0;
	pde = npt_entry(&vm->npt, base, 2);
	if (!pde)
		return -ENOMEM;
	if (*pde & NPT_P)
		return (*pde & NPT_PS) ? 1 : 0;	/* a 2 MiB leaf already, or 4 KiB pages */
	pages = kvmalloc_array(NPT_HUGE_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	n = pin_user_pages_unlocked(hva, NPT_HUGE_PAGES, pages, writable ? FOLL_WRITE : 0);
	if (n == NPT_HUGE_PAGES && !(page_to_pfn(pages[0]) & (NPT_HUGE_PAGES - 1))) {
		ret = 1;
		for (int i = 1; i < NPT_HUGE_PAGES; i++)
			if (page_to_pfn(pages[i]) != page_to_pfn(pages[0]) + i)
				ret = 0;
	}
	if (ret) {
		*pde = page_to_phys(pages[0]) | NPT_P | NPT_US | NPT_PS | (writable ? NPT_RW : 0);
		vm->npt.pinned += NPT_HUGE_PAGES;
	} else if (n > 0) {
		unpin_user_pages(pages, n);
	}
	kvfree(pages);
	return ret;
}

const struct keel_slot *keel_find_slot(struct keel_vm *vm, u64 gpa)
{
	for (int i = 0; i < KEEL_MAX_SLOTS; i++) {
		const struct keel_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

/*
 * A nested page fault at gpa: maps the page if a slot backs it (*mmio false), or says
 * it is MMIO (*mmio true): no slot, or a write to a read-only slot.
 */
int keel_npt_map(struct keel_vm *vm, u64 gpa, bool write, bool *mmio)
{
	const struct keel_slot *slot;
	struct page *page;
	u64 *entry, hva;
	bool writable;
	int ret = 0;

	*mmio = false;
	if (current->mm != vm->mm)
		return -EIO;
	mutex_lock(&vm->lock);
	slot = keel_find_slot(vm, gpa);
	if (!slot || (write && (slot->flags & KEEL_MEM_READONLY))) {
		*mmio = true;
		goto out;
	}
	writable = !(slot->flags & KEEL_MEM_READONLY);
	/* While logging, 4 KiB pages only, writable once written (and marked dirty). */
	ret = slot->dirty ? 0 : npt_map_huge(vm, slot, gpa, writable);
	if (ret) {
		ret = ret < 0 ? ret : 0;
		goto out;
	}
	entry = npt_entry(&vm->npt, gpa, 1);
	if (!entry) {
		ret = -ENOMEM;
		goto out;
	}
	if (*entry & NPT_P) {
		/* A write to a page write-protected for logging; else another vCPU was first. */
		if (write && writable && !(*entry & NPT_RW)) {
			slot_mark_dirty(slot, gpa);
			*entry |= NPT_RW;
		}
		goto out;
	}
	hva = slot->hva + ((gpa & PAGE_MASK) - slot->gpa);
	if (pin_user_pages_unlocked(hva, 1, &page, writable ? FOLL_WRITE : 0) != 1) {
		ret = -EFAULT;
		goto out;
	}
	if (slot->dirty && write)
		slot_mark_dirty(slot, gpa);
	*entry = page_to_phys(page) | NPT_P | NPT_US |
		 (writable && (!slot->dirty || write) ? NPT_RW : 0);
	vm->npt.pinned++;
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/* Guest memory by guest physical address, through the slot's user mapping. */
static int keel_guest_hva(struct keel_vm *vm, u64 gpa, unsigned int len, u64 *hva)
{
	const struct keel_slot *slot;

	if (current->mm != vm->mm)
		return -EIO;
	slot = keel_find_slot(vm, gpa);
	if (!slot || len > slot->size - (gpa - slot->gpa))
		return -EFAULT;
	*hva = slot->hva + (gpa - slot->gpa);
	return 0;
}

int keel_read_guest(struct keel_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	u64 hva;
	int ret = keel_guest_hva(vm, gpa, len, &hva);

	if (ret)
		return ret;
	return copy_from_user(buf, (const void __user *)hva, len) ? -EFAULT : 0;
}

int keel_write_guest(struct keel_vm *vm, u64 gpa, const void *buf, unsigned int len)
{
	const struct keel_slot *slot;
	u64 hva;
	int ret = keel_guest_hva(vm, gpa, len, &hva);

	if (ret)
		return ret;
	slot = keel_find_slot(vm, gpa);
	if (slot->flags & KEEL_MEM_READONLY)
		return -EFAULT;
	if (copy_to_user((void __user *)hva, buf, len))
		return -EFAULT;
	if (READ_ONCE(slot->dirty)) {
		mutex_lock(&vm->lock);	/* the bitmap lives while logging is on */
		for (u64 p = gpa & PAGE_MASK; p < gpa + len; p += PAGE_SIZE)
			slot_mark_dirty(slot, p);
		mutex_unlock(&vm->lock);
	}
	return 0;
}

/* ---- Slots ---- */

static bool slot_overlaps(struct keel_vm *vm, u32 except, u64 gpa, u64 size)
{
	for (u32 i = 0; i < KEEL_MAX_SLOTS; i++) {
		const struct keel_slot *s = &vm->slots[i];

		if (i != except && s->used && gpa < s->gpa + s->size && s->gpa < gpa + size)
			return true;
	}
	return false;
}

static unsigned long dirty_bitmap_bytes(const struct keel_slot *slot)
{
	return DIV_ROUND_UP(slot->size >> PAGE_SHIFT, 64) * sizeof(u64);
}

/* Logging on: a clean bitmap and every mapped page of the slot write-protected. */
static int dirty_log_start(struct keel_vm *vm, struct keel_slot *slot)
{
	int ret;

	slot->dirty = vzalloc(dirty_bitmap_bytes(slot));
	if (!slot->dirty)
		return -ENOMEM;
	ret = npt_write_protect(&vm->npt, slot->gpa, slot->size);
	if (ret) {
		vfree(slot->dirty);
		slot->dirty = NULL;
	}
	return ret;
}

/* Turns logging on or off on a slot in use (only the flag may change). */
static int dirty_log_toggle(struct keel_vm *vm, struct keel_slot *slot,
			    const struct keel_memory_region *r)
{
	int ret = 0;

	if (r->guest_phys_addr != slot->gpa || r->memory_size != slot->size ||
	    r->userspace_addr != slot->hva ||
	    ((r->flags ^ slot->flags) & ~KEEL_MEM_LOG_DIRTY_PAGES))
		return -EBUSY;
	if (r->flags & KEEL_MEM_LOG_DIRTY_PAGES && !slot->dirty) {
		ret = dirty_log_start(vm, slot);
	} else if (!(r->flags & KEEL_MEM_LOG_DIRTY_PAGES)) {
		vfree(slot->dirty);	/* read-only pages become writable on their next write */
		slot->dirty = NULL;
	}
	if (!ret)
		slot->flags = r->flags;
	return ret;
}

static int keel_get_dirty_log(struct keel_vm *vm, const struct keel_dirty_log *req)
{
	struct keel_slot *slot;
	unsigned long *copy, bytes, pages;
	int ret = 0;

	if (req->slot >= KEEL_MAX_SLOTS || req->pad)
		return -EINVAL;
	if (current->mm != vm->mm)
		return -EIO;
	mutex_lock(&vm->lock);
	slot = &vm->slots[req->slot];
	if (!slot->used || !slot->dirty) {
		mutex_unlock(&vm->lock);
		return -ENOENT;
	}
	bytes = dirty_bitmap_bytes(slot);
	pages = slot->size >> PAGE_SHIFT;
	copy = vmalloc(bytes);
	if (!copy) {
		mutex_unlock(&vm->lock);
		return -ENOMEM;
	}
	/* Get and clear; each page handed out is write-protected again before we return. */
	for (unsigned long i = 0; i < bytes / sizeof(long); i++)
		copy[i] = xchg(&slot->dirty[i], 0);
	for (unsigned long p = find_first_bit(copy, pages); p < pages;
	     p = find_next_bit(copy, pages, p + 1)) {
		int level;
		u64 *e = npt_lookup(&vm->npt, slot->gpa + (p << PAGE_SHIFT), &level);

		if (e)
			*e &= ~NPT_RW;
	}
	mutex_unlock(&vm->lock);
	npt_flush_all(vm);
	if (copy_to_user(u64_to_user_ptr(req->bitmap), copy, bytes))
		ret = -EFAULT;
	vfree(copy);
	return ret;
}

static int keel_set_memory_region(struct keel_vm *vm, const struct keel_memory_region *r)
{
	struct keel_slot *slot;
	int ret = 0;

	if (r->slot >= KEEL_MAX_SLOTS ||
	    (r->flags & ~(KEEL_MEM_READONLY | KEEL_MEM_LOG_DIRTY_PAGES)) ||
	    ((r->flags & KEEL_MEM_READONLY) && (r->flags & KEEL_MEM_LOG_DIRTY_PAGES)))
		return -EINVAL;
	if (r->memory_size &&
	    (!PAGE_ALIGNED(r->guest_phys_addr) || !PAGE_ALIGNED(r->memory_size) ||
	     !PAGE_ALIGNED(r->userspace_addr) || r->guest_phys_addr >= KEEL_MAX_GPA ||
	     r->memory_size > KEEL_MAX_GPA - r->guest_phys_addr ||
	     r->userspace_addr + r->memory_size < r->userspace_addr ||
	     !access_ok((void __user *)(unsigned long)r->userspace_addr, r->memory_size)))
		return -EINVAL;
	if (current->mm != vm->mm)
		return -EIO;

	mutex_lock(&vm->lock);
	slot = &vm->slots[r->slot];
	if (slot->used && r->memory_size &&
	    (r->flags ^ slot->flags) & KEEL_MEM_LOG_DIRTY_PAGES) {
		ret = dirty_log_toggle(vm, slot, r);
		mutex_unlock(&vm->lock);
		if (!ret)
			npt_flush_all(vm);
		return ret;
	}
	/* Mappings are never taken away under running vCPUs: slots change before them. */
	if (slot->used && rcu_access_pointer(vm->vcpus[0])) {
		ret = -EBUSY;
		goto out;
	}
	if (r->memory_size && slot_overlaps(vm, r->slot, r->guest_phys_addr, r->memory_size)) {
		ret = -EEXIST;
		goto out;
	}
	if (slot->used) {
		/* No vCPU has run: the tables are empty of this slot's pages only if unused. */
		npt_destroy(&vm->npt);
		vm->npt.root = npt_alloc_table(&vm->npt.root_pa);
		if (!vm->npt.root) {
			ret = -ENOMEM;
			goto out;
		}
		vm->npt_generation++;
		vfree(slot->dirty);
		slot->used = false;
		slot->dirty = NULL;
	}
	if (r->memory_size) {
		*slot = (struct keel_slot){
			.used = true,
			.flags = r->flags,
			.gpa = r->guest_phys_addr,
			.size = r->memory_size,
			.hva = r->userspace_addr,
		};
		if (r->flags & KEEL_MEM_LOG_DIRTY_PAGES) {
			slot->dirty = vzalloc(dirty_bitmap_bytes(slot));
			if (!slot->dirty) {
				slot->used = false;
				ret = -ENOMEM;
			}
		}
	}
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/* ---- The VM file ---- */

static bool keel_vm_has_vcpus(struct keel_vm *vm)
{
	for (int i = 0; i < KEEL_MAX_VCPUS; i++)
		if (rcu_access_pointer(vm->vcpus[i]))
			return true;
	return false;
}

static long keel_vm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct keel_vm *vm = filp->private_data;
	struct keel_memory_region region;
	struct keel_msi msi;
	union {
		struct keel_irqfd irqfd;
		struct keel_ioeventfd ioeventfd;
		struct keel_dirty_log dirty;
		struct keel_clock clock;
	} u;
	int ret;

	switch (cmd) {
	case KEEL_SET_MEMORY_REGION:
		if (copy_from_user(&region, (void __user *)arg, sizeof(region)))
			return -EFAULT;
		return keel_set_memory_region(vm, &region);
	case KEEL_CREATE_VCPU:
		return keel_create_vcpu(vm, filp, arg);
	case KEEL_IRQFD:
		if (copy_from_user(&u.irqfd, (void __user *)arg, sizeof(u.irqfd)))
			return -EFAULT;
		return keel_irqfd(vm, &u.irqfd);
	case KEEL_IOEVENTFD:
		if (copy_from_user(&u.ioeventfd, (void __user *)arg, sizeof(u.ioeventfd)))
			return -EFAULT;
		return keel_ioeventfd(vm, &u.ioeventfd);
	case KEEL_GET_DIRTY_LOG:
		if (copy_from_user(&u.dirty, (void __user *)arg, sizeof(u.dirty)))
			return -EFAULT;
		return keel_get_dirty_log(vm, &u.dirty);
	case KEEL_GET_CLOCK:
		keel_pvclock_get_clock(vm, &u.clock);
		return copy_to_user((void __user *)arg, &u.clock, sizeof(u.clock)) ? -EFAULT : 0;
	case KEEL_SET_CLOCK:
		if (copy_from_user(&u.clock, (void __user *)arg, sizeof(u.clock)))
			return -EFAULT;
		mutex_lock(&vm->lock);
		ret = keel_vm_has_vcpus(vm) ? -EBUSY : keel_pvclock_set_clock(vm, &u.clock);
		mutex_unlock(&vm->lock);
		return ret;
	case KEEL_SIGNAL_MSI:
		if (copy_from_user(&msi, (void __user *)arg, sizeof(msi)))
			return -EFAULT;
		if (msi.flags)
			return -EINVAL;
		return keel_deliver_msi(vm, msi.address, msi.data);
	default:
		return -ENOTTY;
	}
}

static int keel_vm_release(struct inode *inode, struct file *filp)
{
	struct keel_vm *vm = filp->private_data;

	keel_eventfds_release(vm);
	npt_destroy(&vm->npt);
	for (int i = 0; i < KEEL_MAX_SLOTS; i++)
		vfree(vm->slots[i].dirty);
	ida_free(&keel_asids, vm->asid);
	mmdrop(vm->mm);
	kfree(vm);
	keel_svm_put();
	return 0;
}

static const struct file_operations keel_vm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = keel_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = keel_vm_release,
	.llseek = noop_llseek,
};

int keel_create_vm(void)
{
	struct keel_vm *vm;
	int ret, asid;

	ret = keel_svm_get();
	if (ret)
		return ret;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		ret = -ENOMEM;
		goto put_svm;
	}
	mutex_init(&vm->lock);
	keel_eventfds_init(vm);
	keel_pvclock_vm_init(vm);
	asid = ida_alloc_range(&keel_asids, 1, keel_max_asid() - 1, GFP_KERNEL);
	if (asid < 0) {
		ret = asid == -ENOSPC ? -EBUSY : asid;
		goto free_vm;
	}
	vm->asid = asid;
	vm->npt.root = npt_alloc_table(&vm->npt.root_pa);
	if (!vm->npt.root) {
		ret = -ENOMEM;
		goto free_asid;
	}
	vm->mm = current->mm;
	mmgrab(vm->mm);
	ret = anon_inode_getfd("keel-vm", &keel_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		goto drop_mm;
	return ret;
drop_mm:
	mmdrop(vm->mm);
	free_page((unsigned long)vm->npt.root);
free_asid:
	ida_free(&keel_asids, vm->asid);
free_vm:
	kfree(vm);
put_svm:
	keel_svm_put();
	return ret;
}
