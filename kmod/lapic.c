// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC, one per vCPU (Intel SDM vol. 3 ch. 11, AMD APM vol. 2 ch. 16). The
 * register page keeps the architectural layout, so the state ioctls copy it as it is.
 * The timer counts a 1 GHz bus clock, like KVM's, on a host hrtimer.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "keel.h"
#include "lapic.h"

/* Register offsets and bits the kernel's apicdef.h does not name. */
#define APIC_RRD	0xc0

#define APIC_VERSION		0x14
#define APIC_LVT_COUNT		6	/* timer, thermal, perf, LINT0, LINT1, error */
#define APIC_SPIV_ENABLED	BIT(8)
#define APIC_LVT_LEVEL		BIT(15)
#define APIC_DM_MASK		(7u << 8)
#define APIC_ICR_LOGICAL	BIT(11)
#define APIC_ICR_ASSERT		BIT(14)
#define APIC_SHORTHAND_SHIFT	18
#define APIC_TIMER_MODE_SHIFT	17
#define APIC_TIMER_PERIODIC	1
#define APIC_TIMER_TSCDEADLINE	2

#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_LOGICAL	BIT(2)
#define MSI_DATA_LEVEL		BIT(15)

/* A periodic timer faster than this would keep a host CPU busy: clamp, as KVM does. */
#define APIC_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)

struct keel_lapic {
	struct keel_vcpu *vcpu;
	u8 *regs;		/* the register page */
	u64 base;		/* IA32_APIC_BASE */
	struct hrtimer timer;
	ktime_t period;		/* periodic mode: one period; else 0 */
	ktime_t loaded;		/* when the initial count was written */
	u32 divide;		/* divide configuration, as a divisor */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE, 0 when disarmed */
	atomic_t timer_fired;	/* expirations not yet turned into an IRR bit */
};

static u32 reg_get(struct keel_lapic *a, unsigned int off)
{
	return READ_ONCE(*(u32 *)(a->regs + off));
}

static void reg_set(struct keel_lapic *a, unsigned int off, u32 val)
{
	WRITE_ONCE(*(u32 *)(a->regs + off), val);
}

/* IRR, ISR and TMR: 8 registers of 32 bits, 16 bytes apart. */
static unsigned long *vec_word(struct keel_lapic *a, unsigned int base, int vector)
{
	return (unsigned long *)(a->regs + base + 0x10 * (vector / 32));
}

static int highest_vector(struct keel_lapic *a, unsigned int base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg_get(a, base + 0x10 * i);

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static bool x2apic(struct keel_lapic *a)
{
	return a->base & KEEL_APIC_BASE_EXTD;
}

static bool hw_enabled(struct keel_lapic *a)
{
	return a->base & KEEL_APIC_BASE_ENABLE;
}

static bool sw_enabled(struct keel_lapic *a)
{
	return reg_get(a, APIC_SPIV) & APIC_SPIV_ENABLED;
}

static u32 apic_id(struct keel_lapic *a)
{
	return x2apic(a) ? a->vcpu->id : reg_get(a, APIC_ID) >> 24;
}

static u32 ppr(struct keel_lapic *a)
{
	u32 tpr = reg_get(a, APIC_TASKPRI) & 0xff;
	int isrv = highest_vector(a, APIC_ISR);
	u32 isr_class = isrv < 0 ? 0 : isrv & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/* Asks the vCPU to look at its events: wakes it from HLT or kicks it out of the guest. */
static void lapic_accept(struct keel_lapic *a, int vector, bool level)
{
	if (level)
		set_bit(vector % 32, vec_word(a, APIC_TMR, vector));
	else
		clear_bit(vector % 32, vec_word(a, APIC_TMR, vector));
	set_bit(vector % 32, vec_word(a, APIC_IRR, vector));
	keel_vcpu_kick(a->vcpu);
}

/* One interrupt message arriving at this APIC (MSI, IPI, LVT). */
static void deliver(struct keel_lapic *a, u32 mode, int vector, bool level)
{
	struct keel_vcpu *vcpu = a->vcpu;

	if (!hw_enabled(a))
		return;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* Vectors 0-15 are illegal: the send or receive error bit, no interrupt. */
		if (vector < 16 || !sw_enabled(a))
			return;
		lapic_accept(a, vector, level);
		break;
	case APIC_DM_NMI:
		WRITE_ONCE(vcpu->nmi_pending, true);
		keel_vcpu_kick(vcpu);
		break;
	case APIC_DM_INIT:
		set_bit(KEEL_REQ_INIT, &vcpu->requests);
		keel_vcpu_kick(vcpu);
		break;
	case APIC_DM_STARTUP:
		WRITE_ONCE(vcpu->sipi_vector, vector);
		smp_mb__before_atomic();	/* the vector before the request */
		set_bit(KEEL_REQ_SIPI, &vcpu->requests);
		keel_vcpu_kick(vcpu);
		break;
	default:
		/* SMI and ExtINT messages: no SMM; ExtINT comes from the PIC only. */
		break;
	}
}

static void lvt_deliver(struct keel_lapic *a, unsigned int lvt)
{
	u32 v = reg_get(a, lvt);

	if (v & APIC_LVT_MASKED)
		return;
	deliver(a, v & APIC_DM_MASK, v & 0xff, false);
}

/* ---- The timer ---- */

static u32 timer_mode(struct keel_lapic *a)
{
	return (reg_get(a, APIC_LVTT) >> APIC_TIMER_MODE_SHIFT) & 3;
}

static enum hrtimer_restart timer_expired(struct hrtimer *t)
{
	struct keel_lapic *a = container_of(t, struct keel_lapic, timer);

	atomic_inc(&a->timer_fired);
	keel_vcpu_kick(a->vcpu);
	if (a->period) {
		hrtimer_forward_now(t, a->period);
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

static void timer_stop(struct keel_lapic *a)
{
	hrtimer_cancel(&a->timer);
	a->period = 0;
}

/* A write of the initial count (or a mode change) starts the count again. */
static void timer_start_count(struct keel_lapic *a)
{
	u64 ns = (u64)reg_get(a, APIC_TMICT) * a->divide;

	timer_stop(a);
	if (!ns || timer_mode(a) == APIC_TIMER_TSCDEADLINE)
		return;
	if (timer_mode(a) == APIC_TIMER_PERIODIC)
		a->period = ns_to_ktime(max_t(u64, ns, APIC_MIN_PERIOD_NS));
	a->loaded = ktime_get();
	hrtimer_start(&a->timer, ktime_add_ns(a->loaded, ns), HRTIMER_MODE_ABS_HARD);
}

static u32 timer_current_count(struct keel_lapic *a)
{
	u64 elapsed, total = (u64)reg_get(a, APIC_TMICT) * a->divide;

	if (!total || timer_mode(a) == APIC_TIMER_TSCDEADLINE)
		return 0;
	elapsed = ktime_to_ns(ktime_sub(ktime_get(), a->loaded));
	if (a->period) {
		u64 periods = elapsed;

		elapsed = do_div(periods, ktime_to_ns(a->period));
	}
	if (elapsed >= total)
		return 0;
	return div_u64(total - elapsed, a->divide);
}

static u64 guest_tsc(struct keel_vcpu *vcpu)
{
	return rdtsc() + vcpu->vmcb->control.tsc_offset;
}

static void timer_set_deadline(struct keel_lapic *a, u64 deadline)
{
	u64 now, ns = 0;

	timer_stop(a);
	a->tsc_deadline = deadline;
	if (!deadline || timer_mode(a) != APIC_TIMER_TSCDEADLINE || !tsc_khz)
		return;
	now = guest_tsc(a->vcpu);
	if (deadline > now)
		ns = mul_u64_u32_div(deadline - now, NSEC_PER_MSEC, tsc_khz);
	hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns), HRTIMER_MODE_ABS_HARD);
}

/* Expirations become the LVT timer's interrupt on the vCPU's thread. */
static void timer_sync(struct keel_lapic *a)
{
	if (!atomic_read(&a->timer_fired) || !atomic_xchg(&a->timer_fired, 0))
		return;
	if (timer_mode(a) == APIC_TIMER_TSCDEADLINE)
		a->tsc_deadline = 0;
	lvt_deliver(a, APIC_LVTT);
}

/* ---- Registers ---- */

static void set_divide(struct keel_lapic *a, u32 val)
{
	u32 v = (val & 3) | ((val & 8) >> 1);

	reg_set(a, APIC_TDCR, val & 0xb);
	a->divide = 1u << ((v + 1) & 7);
}

static void mask_all_lvts(struct keel_lapic *a)
{
	unsigned int lvt;

	for (lvt = APIC_LVTT; lvt <= APIC_LVTERR; lvt += 0x10)
		reg_set(a, lvt, reg_get(a, lvt) | APIC_LVT_MASKED);
}

static bool logical_match(struct keel_lapic *a, u32 dest)
{
	u32 ldr = reg_get(a, APIC_LDR);

	if (x2apic(a))
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	ldr >>= 24;
	dest &= 0xff;
	if ((reg_get(a, APIC_DFR) >> 28) == 0xf)	/* flat */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);	/* cluster */
}

static bool dest_match(struct keel_lapic *a, u32 dest, bool logical)
{
	u32 broadcast = x2apic(a) ? 0xffffffff : 0xff;

	if (dest == broadcast)
		return true;
	return logical ? logical_match(a, dest) : dest == apic_id(a);
}

/*
 * One message to every APIC it names. Lowest priority goes to the first match: the
 * architecture lets the choice be any APIC of the set.
 */
static int deliver_to(struct keel_vm *vm, struct keel_lapic *self, u32 shorthand, u32 dest,
		      bool logical, u32 mode, int vector, bool level)
{
	int i, n = 0;

	rcu_read_lock();
	for (i = 0; i < KEEL_MAX_VCPUS; i++) {
		struct keel_vcpu *vcpu = rcu_dereference(vm->vcpus[i]);
		struct keel_lapic *a = vcpu ? vcpu->lapic : NULL;
		bool hit;

		if (!a)
			continue;
		switch (shorthand) {
		case 1:
			hit = a == self;
			break;
		case 2:
			hit = true;
			break;
		case 3:
			hit = a != self;
			break;
		default:
			hit = dest_match(a, dest, logical);
			break;
		}
		if (!hit)
			continue;
		deliver(a, mode, vector, level);
		n++;
		if (mode == APIC_DM_LOWEST)
			break;
	}
	rcu_read_unlock();
	return n;
}

static void send_ipi(struct keel_lapic *a, u32 low, u32 dest)
{
	u32 mode = low & APIC_DM_MASK;

	/* An INIT level de-assert only synchronises arbitration IDs: nothing to do. */
	if (mode == APIC_DM_INIT && !(low & APIC_ICR_ASSERT))
		return;
	deliver_to(a->vcpu->vm, a, (low >> APIC_SHORTHAND_SHIFT) & 3, dest,
		   low & APIC_ICR_LOGICAL, mode, low & 0xff, false);
}

static void eoi(struct keel_lapic *a)
{
	int vector = highest_vector(a, APIC_ISR);

	if (vector < 0)
		return;
	clear_bit(vector % 32, vec_word(a, APIC_ISR, vector));
	if (test_bit(vector % 32, vec_word(a, APIC_TMR, vector)))
		a->vcpu->eoi_exit_vector = vector;
	keel_vcpu_kick(a->vcpu);	/* a lower vector may be deliverable now */
}

static u32 reg_read(struct keel_lapic *a, unsigned int off)
{
	switch (off) {
	case APIC_PROCPRI:
		return ppr(a);
	case APIC_TMCCT:
		return timer_current_count(a);
	case APIC_ARBPRI:
	case APIC_EOI:
	case APIC_RRD:
	case APIC_LVTCMCI:
		return 0;
	default:
		return off < 0x400 ? reg_get(a, off) : 0;
	}
}

/* The writable bits of each LVT entry: vector, delivery mode, polarity, trigger, mask. */
static const u32 lvt_bits[] = {
	[0] = 0xff | APIC_LVT_MASKED | (3u << APIC_TIMER_MODE_SHIFT),	/* timer */
	[1] = 0x7ff | APIC_LVT_MASKED,					/* thermal */
	[2] = 0x7ff | APIC_LVT_MASKED,					/* perf counters */
	[3] = 0x7ff | BIT(13) | APIC_LVT_LEVEL | APIC_LVT_MASKED,	/* LINT0 */
	[4] = 0x7ff | BIT(13) | APIC_LVT_LEVEL | APIC_LVT_MASKED,	/* LINT1 */
	[5] = 0xff | APIC_LVT_MASKED,					/* error */
};

/* 0, or -EINVAL where x2APIC mode must #GP (reserved bits, read-only registers). */
static int reg_write(struct keel_lapic *a, unsigned int off, u32 val)
{
	u32 old;

	switch (off) {
	case APIC_ID:
		if (x2apic(a))
			return -EINVAL;
		reg_set(a, APIC_ID, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		reg_set(a, APIC_TASKPRI, val & 0xff);
		keel_vcpu_set_vtpr(a->vcpu, (val >> 4) & 0xf);
		keel_vcpu_kick(a->vcpu);
		break;
	case APIC_EOI:
		eoi(a);
		break;
	case APIC_LDR:
		if (x2apic(a))
			return -EINVAL;
		reg_set(a, APIC_LDR, val & 0xff000000);
		break;
	case APIC_DFR:
		if (x2apic(a))
			return -EINVAL;
		reg_set(a, APIC_DFR, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		reg_set(a, APIC_SPIV, val & 0x3ff);
		if (!(val & APIC_SPIV_ENABLED)) {
			mask_all_lvts(a);
			timer_stop(a);
		}
		break;
	case APIC_ESR:
		if (x2apic(a) && val)
			return -EINVAL;
		reg_set(a, APIC_ESR, 0);
		break;
	case APIC_ICR:
		reg_set(a, APIC_ICR, val & ~APIC_ICR_BUSY);
		send_ipi(a, val, x2apic(a) ? reg_get(a, APIC_ICR2) :
			 reg_get(a, APIC_ICR2) >> 24);
		break;
	case APIC_ICR2:
		if (x2apic(a))
			return -EINVAL;
		reg_set(a, APIC_ICR2, val & 0xff000000);
		break;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
		old = reg_get(a, off);
		val &= lvt_bits[(off - APIC_LVTT) >> 4];
		if (!sw_enabled(a))
			val |= APIC_LVT_MASKED;
		reg_set(a, off, val);
		if (off == APIC_LVTT && ((old ^ val) >> APIC_TIMER_MODE_SHIFT) & 3) {
			timer_stop(a);
			a->tsc_deadline = 0;
		}
		break;
	case APIC_TMICT:
		if (timer_mode(a) == APIC_TIMER_TSCDEADLINE)
			break;
		reg_set(a, APIC_TMICT, val);
		timer_start_count(a);
		break;
	case APIC_TDCR:
		set_divide(a, val);
		break;
	case APIC_SELF_IPI:
		if (!x2apic(a))
			break;
		deliver(a, APIC_DM_FIXED, val & 0xff, false);
		break;
	default:
		/* Read-only and reserved registers: ignored (x2APIC: #GP). */
		return x2apic(a) ? -EINVAL : 0;
	}
	return 0;
}

/* ---- The interfaces of lapic.h ---- */

/* The register an xAPIC page access names, or -1 when the page is not this APIC's. */
static int mmio_offset(struct keel_lapic *a, u64 gpa)
{
	if (!a || !hw_enabled(a) || x2apic(a) || (gpa & PAGE_MASK) != (a->base & 0xffffff000ULL))
		return -1;
	return gpa & ~PAGE_MASK;
}

bool keel_lapic_mmio_read(struct keel_vcpu *vcpu, u64 gpa, void *val, unsigned int len)
{
	int off = mmio_offset(vcpu->lapic, gpa);
	u32 v = 0;

	if (off < 0)
		return false;
	/* Registers are 32 bits at 16-byte strides; other accesses read 0, write nothing. */
	if (len == 4 && !(off & 0xf))
		v = reg_read(vcpu->lapic, off);
	memset(val, 0, len);
	memcpy(val, &v, min(len, 4u));
	return true;
}

bool keel_lapic_mmio_write(struct keel_vcpu *vcpu, u64 gpa, const void *val, unsigned int len)
{
	int off = mmio_offset(vcpu->lapic, gpa);
	u32 v;

	if (off < 0)
		return false;
	if (len == 4 && !(off & 0xf)) {
		memcpy(&v, val, 4);
		reg_write(vcpu->lapic, off, v);
	}
	return true;
}

int keel_lapic_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *value)
{
	struct keel_lapic *a = vcpu->lapic;
	unsigned int off = (index - 0x800) << 4;

	if (!a)
		return 1;
	if (index == MSR_IA32_TSC_DEADLINE) {
		*value = a->tsc_deadline;
		return 0;
	}
	if (index < 0x800 || index > 0x8ff)
		return 1;
	if (!x2apic(a) || off == APIC_EOI || off == APIC_SELF_IPI || off == APIC_DFR ||
	    off == APIC_ICR2)
		return -EINVAL;
	*value = reg_read(a, off);
	if (off == APIC_ICR)
		*value |= (u64)reg_get(a, APIC_ICR2) << 32;
	return 0;
}

int keel_lapic_set_msr(struct keel_vcpu *vcpu, u32 index, u64 value)
{
	struct keel_lapic *a = vcpu->lapic;
	unsigned int off = (index - 0x800) << 4;

	if (!a)
		return 1;
	if (index == MSR_IA32_TSC_DEADLINE) {
		timer_set_deadline(a, value);
		return 0;
	}
	if (index < 0x800 || index > 0x8ff)
		return 1;
	if (!x2apic(a))
		return -EINVAL;
	if (off == APIC_ICR) {
		reg_set(a, APIC_ICR2, value >> 32);
		return reg_write(a, APIC_ICR, (u32)value);
	}
	if ((value >> 32) || (off == APIC_EOI && value))
		return -EINVAL;
	return reg_write(a, off, value);
}

int keel_lapic_set_base(struct keel_vcpu *vcpu, u64 value)
{
	struct keel_lapic *a = vcpu->lapic;
	u64 old;
	u32 id;

	if (value & ~(0xffffff000ULL | KEEL_APIC_BASE_BSP | KEEL_APIC_BASE_EXTD |
		      KEEL_APIC_BASE_ENABLE))
		return -EINVAL;
	/* x2APIC needs xAPIC on; x2APIC back to xAPIC only through disabled. */
	if ((value & KEEL_APIC_BASE_EXTD) && !(value & KEEL_APIC_BASE_ENABLE))
		return -EINVAL;
	if (!a) {
		vcpu->apic_base = value;
		return 0;
	}
	old = a->base;
	if ((old & KEEL_APIC_BASE_EXTD) && (value & KEEL_APIC_BASE_ENABLE) &&
	    !(value & KEEL_APIC_BASE_EXTD))
		return -EINVAL;
	a->base = value;
	vcpu->apic_base = value;
	if ((old ^ value) & KEEL_APIC_BASE_ENABLE && !(value & KEEL_APIC_BASE_ENABLE)) {
		/* Hardware disable: the APIC forgets its state, as after RESET but the ID. */
		id = reg_get(a, APIC_ID);
		keel_lapic_reset(vcpu);
		a->base = value;
		vcpu->apic_base = value;
		reg_set(a, APIC_ID, id);
	}
	if (!(old & KEEL_APIC_BASE_EXTD) && (value & KEEL_APIC_BASE_EXTD)) {
		id = vcpu->id;
		reg_set(a, APIC_ID, id);
		reg_set(a, APIC_LDR, ((id >> 4) << 16) | (1u << (id & 0xf)));
	}
	return 0;
}

int keel_lapic_pending_vector(struct keel_vcpu *vcpu)
{
	struct keel_lapic *a = vcpu->lapic;
	int vector;

	if (!a)
		return -1;
	timer_sync(a);
	if (!hw_enabled(a))
		return -1;
	vector = highest_vector(a, APIC_IRR);
	if (vector < 0 || (vector & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return vector;
}

void keel_lapic_ack(struct keel_vcpu *vcpu, int vector)
{
	struct keel_lapic *a = vcpu->lapic;

	clear_bit(vector % 32, vec_word(a, APIC_IRR, vector));
	set_bit(vector % 32, vec_word(a, APIC_ISR, vector));
}

bool keel_lapic_accepts_extint(struct keel_vcpu *vcpu)
{
	struct keel_lapic *a = vcpu->lapic;
	u32 lint0;

	if (!a || !hw_enabled(a))
		return vcpu->id == 0;
	lint0 = reg_get(a, APIC_LVT0);
	return !(lint0 & APIC_LVT_MASKED) && (lint0 & APIC_DM_MASK) == APIC_DM_EXTINT;
}

void keel_lapic_sync_tpr(struct keel_vcpu *vcpu)
{
	struct keel_lapic *a = vcpu->lapic;
	u32 vtpr = keel_vcpu_get_vtpr(vcpu);

	if (a && vtpr != (reg_get(a, APIC_TASKPRI) >> 4))
		reg_set(a, APIC_TASKPRI, vtpr << 4);
}

int keel_lapic_get_state(struct keel_vcpu *vcpu, struct keel_lapic_state *state)
{
	struct keel_lapic *a = vcpu->lapic;

	if (!a)
		return -ENODEV;
	timer_sync(a);
	memcpy(state->regs, a->regs, sizeof(state->regs));
	*(u32 *)(state->regs + APIC_TMCCT) = timer_current_count(a);
	return 0;
}

int keel_lapic_set_state(struct keel_vcpu *vcpu, const struct keel_lapic_state *state)
{
	struct keel_lapic *a = vcpu->lapic;

	if (!a)
		return -ENODEV;
	timer_stop(a);
	atomic_set(&a->timer_fired, 0);
	memcpy(a->regs, state->regs, sizeof(state->regs));
	if (x2apic(a))
		reg_set(a, APIC_ID, vcpu->id);
	set_divide(a, reg_get(a, APIC_TDCR));
	reg_set(a, APIC_TMCCT, 0);
	keel_vcpu_set_vtpr(vcpu, (reg_get(a, APIC_TASKPRI) >> 4) & 0xf);
	/* A restored count starts again from its initial value: a late tick, never a lost one. */
	timer_start_count(a);
	keel_vcpu_kick(vcpu);
	return 0;
}

void keel_lapic_reset(struct keel_vcpu *vcpu)
{
	struct keel_lapic *a = vcpu->lapic;
	unsigned int lvt;

	timer_stop(a);
	atomic_set(&a->timer_fired, 0);
	a->tsc_deadline = 0;
	memset(a->regs, 0, PAGE_SIZE);
	a->base = KEEL_APIC_DEFAULT_BASE | KEEL_APIC_BASE_ENABLE |
		  (vcpu->id ? 0 : KEEL_APIC_BASE_BSP);
	vcpu->apic_base = a->base;
	reg_set(a, APIC_ID, vcpu->id << 24);
	reg_set(a, APIC_LVR, APIC_VERSION | ((APIC_LVT_COUNT - 1) << 16));
	reg_set(a, APIC_DFR, 0xffffffff);
	reg_set(a, APIC_SPIV, 0xff);
	for (lvt = APIC_LVTT; lvt <= APIC_LVTERR; lvt += 0x10)
		reg_set(a, lvt, APIC_LVT_MASKED);
	/* The BSP's LINT0 in virtual wire mode, as firmware leaves it: the PIC reaches it. */
	if (!vcpu->id)
		reg_set(a, APIC_LVT0, APIC_DM_EXTINT);
	set_divide(a, 0);
	keel_vcpu_set_vtpr(vcpu, 0);
}

int keel_lapic_create(struct keel_vcpu *vcpu)
{
	struct keel_lapic *a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);

	if (!a)
		return -ENOMEM;
	a->regs = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!a->regs) {
		kfree(a);
		return -ENOMEM;
	}
	a->vcpu = vcpu;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = timer_expired;
	vcpu->lapic = a;
	keel_lapic_reset(vcpu);
	return 0;
}

void keel_lapic_free(struct keel_vcpu *vcpu)
{
	struct keel_lapic *a = vcpu->lapic;

	if (!a)
		return;
	hrtimer_cancel(&a->timer);
	free_page((unsigned long)a->regs);
	kfree(a);
	vcpu->lapic = NULL;
}

int keel_deliver_msi(struct keel_vm *vm, u64 address, u32 data)
{
	u32 mode = data & APIC_DM_MASK;

	if ((address >> 20) != 0xfee)
		return 0;
	return deliver_to(vm, NULL, 0, (address >> MSI_ADDR_DEST_SHIFT) & 0xff,
			  address & MSI_ADDR_LOGICAL, mode, data & 0xff, data & MSI_DATA_LEVEL);
}
