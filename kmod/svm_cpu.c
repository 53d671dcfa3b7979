// SPDX-License-Identifier: GPL-2.0
/*
 * SVM on every CPU while at least one VM exists: EFER.SVME, the host save area
 * (VM_HSAVE_PA) and a page for the host's VMSAVE state. The first VM turns SVM on
 * everywhere (refusing if another hypervisor already did), the last one off again.
 */
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/msr.h>
#include <asm/reboot.h>

#include "keel.h"

struct keel_cpu {
	struct page *hsave;	/* VM_HSAVE_PA: where VMRUN keeps host state */
	struct page *host_save;	/* VMSAVE/VMLOAD area for the host */
	bool enabled;
	bool busy;		/* SVME was already set by someone else */
};

static DEFINE_PER_CPU(struct keel_cpu, keel_cpus);
static DEFINE_MUTEX(keel_svm_mutex);
static unsigned int keel_svm_users;

static void keel_svm_enable_cpu(void *unused)
{
	struct keel_cpu *kc = this_cpu_ptr(&keel_cpus);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & KEEL_EFER_SVME) {
		kc->busy = true;
		return;
	}
	wrmsrl(KEEL_MSR_VM_HSAVE_PA, page_to_phys(kc->hsave));
	wrmsrl(MSR_EFER, efer | KEEL_EFER_SVME);
	kc->enabled = true;
}

static void keel_svm_disable_cpu(void *unused)
{
	struct keel_cpu *kc = this_cpu_ptr(&keel_cpus);
	u64 efer;

	kc->busy = false;
	if (!kc->enabled)
		return;
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~KEEL_EFER_SVME);
	wrmsrl(KEEL_MSR_VM_HSAVE_PA, 0);
	kc->enabled = false;
}

/* A crash or reboot while guests exist: leave SVM so the next kernel finds it off. */
static void keel_svm_emergency_disable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (this_cpu_ptr(&keel_cpus)->enabled)
		wrmsrl(MSR_EFER, efer & ~KEEL_EFER_SVME);
}

int keel_svm_get(void)
{
	int cpu, ret = 0;

	mutex_lock(&keel_svm_mutex);
	if (keel_svm_users++) {
		mutex_unlock(&keel_svm_mutex);
		return 0;
	}
	cpus_read_lock();
	on_each_cpu(keel_svm_enable_cpu, NULL, 1);
	for_each_online_cpu(cpu) {
		if (per_cpu(keel_cpus, cpu).busy) {
			pr_warn_ratelimited("keel: SVM is already in use on CPU %d (another hypervisor, e.g. kvm_amd?)\n",
					    cpu);
			ret = -EBUSY;
			break;
		}
	}
	if (ret) {
		on_each_cpu(keel_svm_disable_cpu, NULL, 1);
		keel_svm_users = 0;
	} else {
		cpu_emergency_register_virt_callback(keel_svm_emergency_disable);
	}
	cpus_read_unlock();
	mutex_unlock(&keel_svm_mutex);
	return ret;
}

void keel_svm_put(void)
{
	mutex_lock(&keel_svm_mutex);
	if (!--keel_svm_users) {
		cpu_emergency_unregister_virt_callback(keel_svm_emergency_disable);
		cpus_read_lock();
		on_each_cpu(keel_svm_disable_cpu, NULL, 1);
		cpus_read_unlock();
	}
	mutex_unlock(&keel_svm_mutex);
}

u64 keel_host_save_pa(int cpu)
{
	return page_to_phys(per_cpu(keel_cpus, cpu).host_save);
}

int keel_svm_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct keel_cpu *kc = per_cpu_ptr(&keel_cpus, cpu);

		kc->hsave = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		kc->host_save = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!kc->hsave || !kc->host_save) {
			keel_svm_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void keel_svm_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct keel_cpu *kc = per_cpu_ptr(&keel_cpus, cpu);

		if (kc->hsave)
			__free_page(kc->hsave);
		if (kc->host_save)
			__free_page(kc->host_save);
		kc->hsave = NULL;
		kc->host_save = NULL;
	}
}
