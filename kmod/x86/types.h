/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where the x86 decoder, emulator and page walker differ
 * between keel.ko and the userspace unit tests and fuzzers: the kernel's
 * headers there, the C library's here.
 */
#ifndef KEEL_X86_TYPES_H
#define KEEL_X86_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <string.h>
#include <errno.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
#endif

#endif /* KEEL_X86_TYPES_H */
