// SPDX-License-Identifier: GPL-2.0
/*
 * keel.ko: the Keel hypervisor module. Registers /dev/keel on CPUs that have
 * AMD SVM with nested paging, and answers the ABI of uapi/keel.h.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>

#include "exits.h"

static long keel_check_cap(unsigned long cap)
{
	switch (cap) {
	case KEEL_CAP_MAX_VCPUS:
		return KEEL_MAX_VCPUS;
	case KEEL_CAP_NR_MEMSLOTS:
		return KEEL_MAX_SLOTS;
	case KEEL_CAP_NPT_2M:
		return 1;
	case KEEL_CAP_DECODE_ASSISTS:
		return !!(cpuid_edx(KEEL_CPUID_SVM) & KEEL_SVM_F_DECODE);
	case KEEL_CAP_LAPIC:
	case KEEL_CAP_EVENTFD:
	case KEEL_CAP_DIRTY_LOG:
	case KEEL_CAP_SAVE_RESTORE:
		return 1;
	default:
		return 0;
	}
}

static long keel_dev_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case KEEL_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KEEL_API_VERSION;
	case KEEL_CHECK_CAP:
		return keel_check_cap(arg);
	case KEEL_CREATE_VM:
		if (arg)
			return -EINVAL;
		return keel_create_vm();
	case KEEL_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return KEEL_RUN_PAGES * PAGE_SIZE;
	case KEEL_GET_SUPPORTED_CPUID:
		return keel_get_supported_cpuid((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations keel_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = keel_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice keel_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "keel",
	.fops = &keel_dev_fops,
	.mode = 0660,
};

static int keel_check_cpu(void)
{
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("keel: this CPU has no AMD SVM (keel.ko needs SVM with nested paging); not loading\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("keel: this CPU's SVM has no nested paging (NPT); not loading\n");
		return -ENODEV;
	}
	rdmsrl(KEEL_MSR_VM_CR, vm_cr);
	if (vm_cr & KEEL_VM_CR_SVMDIS) {
		pr_err("keel: SVM is disabled by the firmware (VM_CR.SVMDIS); not loading\n");
		return -ENODEV;
	}
	return 0;
}

static int __init keel_init(void)
{
	int ret;

	keel_svm_layout_checks();
	ret = keel_check_cpu();
	if (ret)
		return ret;
	ret = keel_svm_init();
	if (ret)
		return ret;
	ret = keel_bitmaps_init();
	if (ret)
		goto svm_exit;
	ret = misc_register(&keel_dev);
	if (ret) {
		pr_err("keel: cannot register /dev/keel: %d\n", ret);
		goto bitmaps_exit;
	}
	pr_info("keel: /dev/keel ready (API %d, AMD SVM with NPT)\n",
		KEEL_API_VERSION);
	return 0;
bitmaps_exit:
	keel_bitmaps_exit();
svm_exit:
	keel_svm_exit();
	return ret;
}

static void __exit keel_exit(void)
{
	misc_deregister(&keel_dev);
	keel_bitmaps_exit();
	keel_svm_exit();
}

module_init(keel_init);
module_exit(keel_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel hypervisor: AMD SVM world switch and nested paging");
MODULE_AUTHOR("The Keel authors");
