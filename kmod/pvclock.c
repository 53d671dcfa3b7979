// SPDX-License-Identifier: GPL-2.0
/*
 * Guest time. Every vCPU of a VM sees one TSC, 0 when the VM was created. Linux guests also
 * get the KVM paravirtual clock (the CPUID signature "KVMKVMKVM", MSRs 0x4b564d00/01):
 * a record in guest memory that turns the TSC into nanoseconds since the VM was created, so
 * the guest knows the TSC's frequency without calibrating it against emulated timers and
 * its clock follows the host's across pauses. The host TSC is assumed constant and in sync
 * across CPUs (the record is written once per enable and says TSC_STABLE).
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "keel.h"
#include "pvclock.h"

#define MSR_KVM_WALL_CLOCK_NEW		0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW		0x4b564d01
#define PVCLOCK_ENABLE			BIT_ULL(0)
#define PVCLOCK_TSC_STABLE		BIT(0)
#define KVM_FEATURE_CLOCKSOURCE2	BIT(3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE	BIT(24)

/* The guest's pvclock_vcpu_time_info and pvclock_wall_clock (the ABI Linux reads). */
struct pvclock_time {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
} __packed;

struct pvclock_wall {
	u32 version;
	u32 sec;
	u32 nsec;
} __packed;

void keel_pvclock_vm_init(struct keel_vm *vm)
{
	vm->clock_base_ns = ktime_get_boottime_ns();
	vm->tsc_offset = -rdtsc();
}

void keel_pvclock_get_clock(struct keel_vm *vm, struct keel_clock *clock)
{
	unsigned long flags;
	u64 tsc, boot, real;

	/* The three readings as close together as the host allows. */
	local_irq_save(flags);
	tsc = rdtsc();
	boot = ktime_get_boottime_ns();
	real = ktime_get_real_ns();
	local_irq_restore(flags);
	memset(clock, 0, sizeof(*clock));
	clock->tsc = tsc + vm->tsc_offset;
	clock->ns = boot - vm->clock_base_ns;
	clock->realtime_ns = real;
}

/* Caller holds vm->lock and the VM has no vCPU: they copy tsc_offset when created. */
int keel_pvclock_set_clock(struct keel_vm *vm, const struct keel_clock *clock)
{
	unsigned long flags;
	u64 tsc, boot, real, elapsed = 0;

	if (clock->flags & ~KEEL_CLOCK_REALTIME || clock->pad)
		return -EINVAL;
	local_irq_save(flags);
	tsc = rdtsc();
	boot = ktime_get_boottime_ns();
	real = ktime_get_real_ns();
	local_irq_restore(flags);
	if ((clock->flags & KEEL_CLOCK_REALTIME) && real > clock->realtime_ns)
		elapsed = real - clock->realtime_ns;
	/* More than ten years between save and restore: a wrong clock, not a long pause. */
	if (elapsed > 10ULL * 365 * 24 * 3600 * NSEC_PER_SEC)
		return -EINVAL;
	vm->tsc_offset = clock->tsc + mul_u64_u32_div(elapsed, tsc_khz, USEC_PER_SEC) - tsc;
	/* Below 0 when the guest has run longer than this host: the arithmetic wraps alike. */
	vm->clock_base_ns = boot - (clock->ns + elapsed);
	return 0;
}

/* ns = (tsc << shift) * mul >> 32 (a right shift for negative shift), mul below 2^32. */
static void tsc_scale(u64 tsc_hz, s8 *shift, u32 *mul)
{
	int s = 0;

	while (tsc_hz > 2 * NSEC_PER_SEC) {
		tsc_hz >>= 1;
		s--;
	}
	while (tsc_hz <= NSEC_PER_SEC) {
		tsc_hz <<= 1;
		s++;
	}
	*shift = s;
	*mul = div64_u64((u64)NSEC_PER_SEC << 32, tsc_hz);
}

/* Writes the record: odd version while it changes, even when done. */
static int pvclock_publish(struct keel_vcpu *vcpu, u64 gpa)
{
	struct pvclock_time t = { 0 };
	u64 tsc = rdtsc();
	u64 now = ktime_get_boottime_ns();
	int ret;

	t.version = vcpu->pvclock_version + 1;
	t.tsc_timestamp = tsc + vcpu->vmcb->control.tsc_offset;
	t.system_time = now - vcpu->vm->clock_base_ns;
	tsc_scale((u64)tsc_khz * 1000, &t.tsc_shift, &t.tsc_to_system_mul);
	t.flags = PVCLOCK_TSC_STABLE;
	ret = keel_write_guest(vcpu->vm, gpa, &t, sizeof(t));
	if (ret)
		return ret;
	vcpu->pvclock_version += 2;
	t.version = vcpu->pvclock_version;
	return keel_write_guest(vcpu->vm, gpa, &t.version, sizeof(t.version));
}

static int wall_clock_publish(struct keel_vcpu *vcpu, u64 gpa)
{
	/* The wall-clock time at which the guest's system time was 0. */
	u64 wall = ktime_get_real_ns() - (ktime_get_boottime_ns() - vcpu->vm->clock_base_ns);
	struct pvclock_wall w = { .version = 2 };
	u32 rem;

	w.sec = div_u64_rem(wall, NSEC_PER_SEC, &rem);
	w.nsec = rem;
	return keel_write_guest(vcpu->vm, gpa, &w, sizeof(w));
}

int keel_pvclock_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *value)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		*value = vcpu->pvclock_msr;
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		*value = vcpu->vm->wall_clock_msr;
		return 0;
	default:
		return 1;
	}
}

int keel_pvclock_set_msr(struct keel_vcpu *vcpu, u32 index, u64 value)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		if ((value & PVCLOCK_ENABLE) &&
		    (value & ~PAGE_MASK) + sizeof(struct pvclock_time) > PAGE_SIZE)
			return -EINVAL;
		vcpu->pvclock_msr = value;
		if (value & PVCLOCK_ENABLE)
			return pvclock_publish(vcpu, value & ~PVCLOCK_ENABLE) ? -EINVAL : 0;
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		vcpu->vm->wall_clock_msr = value;
		return wall_clock_publish(vcpu, value) ? -EINVAL : 0;
	default:
		return 1;
	}
}

void keel_pvclock_cpuid(u32 function, struct keel_cpuid_entry *e)
{
	e->function = function;
	e->index = 0;
	e->flags = 0;
	if (function == KEEL_CPUID_HV_SIGNATURE) {
		e->eax = KEEL_CPUID_HV_FEATURES;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
	} else {
		e->eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
	}
}
