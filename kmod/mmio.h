/* SPDX-License-Identifier: GPL-2.0 */
/* Instruction emulation on the run loop's behalf: MMIO, MOV to/from DR, string port I/O. */
#ifndef KEEL_MMIO_H
#define KEEL_MMIO_H

#include "keel.h"

/* Like an exit handler: 1 re-enter, 0 exit to userspace (run filled), or -errno. */
int keel_emulate_mmio(struct keel_vcpu *vcpu, u64 gpa);
int keel_complete_mmio_read(struct keel_vcpu *vcpu);
/* INS/OUTS, one element per exit to userspace (REP repeats the instruction). */
int keel_string_io(struct keel_vcpu *vcpu, u64 info, unsigned int size);
int keel_complete_ins(struct keel_vcpu *vcpu);
/* 0, or -EINVAL when the instruction is not a MOV to or from a debug register. */
int keel_emulate_mov_dr(struct keel_vcpu *vcpu);

#endif /* KEEL_MMIO_H */
