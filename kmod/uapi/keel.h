/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel.h - the ABI of /dev/keel, the only header keel.ko shares with userspace.
 *
 * Shaped like the KVM API: /dev/keel -> KEEL_CREATE_VM -> VM fd -> KEEL_CREATE_VCPU ->
 * vCPU fd with an mmap-ed run structure. Every field is validated by the module.
 */
#ifndef _UAPI_KEEL_H
#define _UAPI_KEEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on every incompatible change; keel-vmm refuses a module it does not know. */
#define KEEL_API_VERSION	1

#define KEEL_IOCTL_TYPE		0xA7

/* On /dev/keel. Returns KEEL_API_VERSION; the argument must be 0. */
#define KEEL_GET_API_VERSION	_IO(KEEL_IOCTL_TYPE, 0x00)

#endif /* _UAPI_KEEL_H */
