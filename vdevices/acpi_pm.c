// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI fixed-hardware PM block: PM1a event and control registers, the PM timer, GPE0
 * and the reset register, at the offsets of acpi_pm.h.
 *
 * An access may have any size at any offset: a read returns the bytes of one snapshot of the
 * block (so a 32-bit read of the timer is coherent), a write updates each register it
 * touches byte lane by byte lane.
 */
#include "vdevices/acpi_pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evloop.h"
#include "lib/state.h"

#define ACPI_PM_STATE_VERSION 1
#define ACPI_PM_TMR_HZ 3579545ULL
#define NSEC_PER_SEC 1000000000ULL
/* TMR_STS is set each time bit 31 of the 32-bit timer toggles. */
#define ACPI_PM_TMR_CARRY_SHIFT 31
/* A saved tick count beyond this is refused (about 40,000 years). */
#define ACPI_PM_MAX_TICKS (1ULL << 62)

#define PM1_STS_OFF (ACPI_PM1_EVT_OFF + 0)
#define PM1_EN_OFF (ACPI_PM1_EVT_OFF + 2)
#define GPE0_STS_OFF (ACPI_GPE0_OFF + 0)
#define GPE0_EN_OFF (ACPI_GPE0_OFF + 2)

#define PM1_TMR 0x0001
#define PM1_BM_STS 0x0010
#define PM1_GBL 0x0020
#define PM1_PWRBTN 0x0100
#define PM1_SLPBTN 0x0200
#define PM1_RTC 0x0400
#define PM1_WAK_STS 0x8000
#define PM1_STS_BITS (PM1_TMR | PM1_BM_STS | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC | \
		      PM1_WAK_STS)
#define PM1_EN_BITS (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)

#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_BM_RLD 0x0002
#define PM1_CNT_GBL_RLS 0x0004
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP (7 << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN 0x2000
/* GBL_RLS and SLP_EN are write-only; everything else is reserved and reads 0. */
#define PM1_CNT_STORED (PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP)

struct acpi_pm {
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe0_sts, gpe0_en;
	uint64_t timer_base_ns;		/* CLOCK_MONOTONIC when the timer read timer_base_ticks */
	uint64_t timer_base_ticks;
	uint64_t timer_seen_carries;	/* toggles of bit 31 already reflected in TMR_STS */
	bool sci_level;
	struct io_bus *pio;
	uint16_t base;
	struct irq_line sci;
	struct acpi_pm_events events;
	struct evloop_timer *carry_timer;
};

/* What a write asked for, done once the lock is dropped. */
struct acpi_pm_actions {
	bool sleep;
	unsigned slp_typ;
	bool reset;
};

static uint64_t acpi_pm_ticks_in(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * ACPI_PM_TMR_HZ / NSEC_PER_SEC);
}

static uint64_t acpi_pm_ticks(const struct acpi_pm *pm, uint64_t now)
{
	uint64_t ns = now > pm->timer_base_ns ? now - pm->timer_base_ns : 0;

	return pm->timer_base_ticks + acpi_pm_ticks_in(ns);
}

static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	bool level = (pm->pm1_sts & pm->pm1_en) || (pm->gpe0_sts & pm->gpe0_en);

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

/* Notice carries of the timer since last time: TMR_STS is computed, not ticked. */
static void acpi_pm_catch_up(struct acpi_pm *pm, uint64_t now)
{
	uint64_t carries = acpi_pm_ticks(pm, now) >> ACPI_PM_TMR_CARRY_SHIFT;

	if (carries > pm->timer_seen_carries) {
		pm->pm1_sts |= PM1_TMR;
		pm->timer_seen_carries = carries;
	}
	acpi_pm_update_sci(pm);
}

static void acpi_pm_arm_carry_timer(struct acpi_pm *pm, uint64_t now)
{
	uint64_t next, ticks_to_next, ns;

	if (!pm->carry_timer)
		return;
	if (!(pm->pm1_en & PM1_TMR)) {
		evloop_timer_arm(pm->carry_timer, 0, 0);
		return;
	}
	next = ((acpi_pm_ticks(pm, now) >> ACPI_PM_TMR_CARRY_SHIFT) + 1) << ACPI_PM_TMR_CARRY_SHIFT;
	ticks_to_next = next - acpi_pm_ticks(pm, now);
	ns = (ticks_to_next * NSEC_PER_SEC + ACPI_PM_TMR_HZ - 1) / ACPI_PM_TMR_HZ;
	evloop_timer_arm(pm->carry_timer, now + ns, 0);
}

static void acpi_pm_carry_fired(void *opaque)
{
	struct acpi_pm *pm = opaque;
	uint64_t now = clock_monotonic_ns();

	pthread_mutex_lock(&pm->lock);
	acpi_pm_catch_up(pm, now);
	/* A callback that came early finds no carry and waits again. */
	acpi_pm_arm_carry_timer(pm, now);
	pthread_mutex_unlock(&pm->lock);
}

/* The block's registers as the guest reads them, one byte per offset. */
static void acpi_pm_image(struct acpi_pm *pm, uint64_t now, uint8_t image[ACPI_PM_LEN])
{
	uint32_t timer = (uint32_t)acpi_pm_ticks(pm, now);

	memset(image, 0, ACPI_PM_LEN);
	image[PM1_STS_OFF] = pm->pm1_sts;
	image[PM1_STS_OFF + 1] = pm->pm1_sts >> 8;
	image[PM1_EN_OFF] = pm->pm1_en;
	image[PM1_EN_OFF + 1] = pm->pm1_en >> 8;
	image[ACPI_PM1_CNT_OFF] = pm->pm1_cnt;
	image[ACPI_PM1_CNT_OFF + 1] = pm->pm1_cnt >> 8;
	for (unsigned i = 0; i < 4; i++)
		image[ACPI_PM_TMR_OFF + i] = timer >> (8 * i);
	image[GPE0_STS_OFF] = pm->gpe0_sts;
	image[GPE0_STS_OFF + 1] = pm->gpe0_sts >> 8;
	image[GPE0_EN_OFF] = pm->gpe0_en;
	image[GPE0_EN_OFF + 1] = pm->gpe0_en >> 8;
	/* The reset register reads 0. */
}

static uint64_t acpi_pm_read(void *opaque, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t image[ACPI_PM_LEN];
	uint64_t v = 0, now = clock_monotonic_ns();

	pthread_mutex_lock(&pm->lock);
	acpi_pm_catch_up(pm, now);
	acpi_pm_image(pm, now, image);
	pthread_mutex_unlock(&pm->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t b = offset + i < ACPI_PM_LEN ? image[offset + i] : 0xff;

		v |= b << (8 * i);
	}
	return v;
}

/*
 * The part of an access that lands on a 16-bit register at reg: the byte lanes it covers
 * (mask) and their new contents (bits). False when it does not touch the register.
 */
static bool acpi_pm_lanes(uint64_t offset, unsigned size, uint64_t value, unsigned reg,
			  uint16_t *mask, uint16_t *bits)
{
	*mask = 0;
	*bits = 0;
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t at = offset + i;

		if (at < reg || at >= reg + 2u)
			continue;
		*mask |= 0xff << (8 * (at - reg));
		*bits |= ((value >> (8 * i)) & 0xff) << (8 * (at - reg));
	}
	return *mask;
}

static void acpi_pm_write_cnt(struct acpi_pm *pm, uint16_t mask, uint16_t bits,
			      struct acpi_pm_actions *act)
{
	pm->pm1_cnt = ((pm->pm1_cnt & ~mask) | (bits & mask)) & PM1_CNT_STORED;
	pm->pm1_cnt |= PM1_CNT_SCI_EN; /* no SMI_CMD: the OS cannot leave ACPI mode */
	if (bits & mask & PM1_CNT_SLP_EN) {
		act->sleep = true;
		act->slp_typ = (pm->pm1_cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;
	}
}

static void acpi_pm_write_locked(struct acpi_pm *pm, uint64_t offset, unsigned size,
				 uint64_t value, struct acpi_pm_actions *act)
{
	uint16_t mask, bits;

	if (acpi_pm_lanes(offset, size, value, PM1_STS_OFF, &mask, &bits))
		pm->pm1_sts &= ~(bits & mask);
	if (acpi_pm_lanes(offset, size, value, PM1_EN_OFF, &mask, &bits))
		pm->pm1_en = ((pm->pm1_en & ~mask) | (bits & mask)) & PM1_EN_BITS;
	if (acpi_pm_lanes(offset, size, value, ACPI_PM1_CNT_OFF, &mask, &bits))
		acpi_pm_write_cnt(pm, mask, bits, act);
	if (acpi_pm_lanes(offset, size, value, GPE0_STS_OFF, &mask, &bits))
		pm->gpe0_sts &= ~(bits & mask);
	if (acpi_pm_lanes(offset, size, value, GPE0_EN_OFF, &mask, &bits))
		pm->gpe0_en = (pm->gpe0_en & ~mask) | (bits & mask);
	if (offset <= ACPI_RESET_OFF && offset + size > ACPI_RESET_OFF && size <= 8 &&
	    ((value >> (8 * (ACPI_RESET_OFF - offset))) & 0xff) == ACPI_RESET_VALUE)
		act->reset = true;
}

static void acpi_pm_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct acpi_pm *pm = opaque;
	struct acpi_pm_actions act = { 0 };
	uint64_t now = clock_monotonic_ns();

	pthread_mutex_lock(&pm->lock);
	/* Carries before this write are status this write may clear. */
	acpi_pm_catch_up(pm, now);
	acpi_pm_write_locked(pm, offset, size, value, &act);
	acpi_pm_update_sci(pm);
	acpi_pm_arm_carry_timer(pm, now);
	pthread_mutex_unlock(&pm->lock);
	/* The machine may pause or reset every device: never with our lock held. */
	if (act.sleep && pm->events.sleep)
		pm->events.sleep(pm->events.opaque, act.slp_typ);
	if (act.reset && pm->events.reset)
		pm->events.reset(pm->events.opaque);
}

static const struct io_region_ops acpi_pm_ops = { acpi_pm_read, acpi_pm_write };

void acpi_pm_press_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= PM1_PWRBTN;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static void acpi_pm_reset(void *dev)
{
	struct acpi_pm *pm = dev;
	uint64_t now = clock_monotonic_ns();

	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts = 0;
	pm->pm1_en = 0;
	pm->pm1_cnt = PM1_CNT_SCI_EN;
	pm->gpe0_sts = 0;
	pm->gpe0_en = 0;
	/* The timer runs on across a reset; only carries from now on count. */
	pm->timer_seen_carries = acpi_pm_ticks(pm, now) >> ACPI_PM_TMR_CARRY_SHIFT;
	acpi_pm_update_sci(pm);
	acpi_pm_arm_carry_timer(pm, now);
	pthread_mutex_unlock(&pm->lock);
}

struct acpi_pm *acpi_pm_create(struct io_bus *pio, uint16_t base, struct irq_line sci,
			       const struct acpi_pm_events *events)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pthread_mutex_init(&pm->lock, NULL);
	pm->pio = pio;
	pm->base = base;
	pm->sci = sci;
	if (events)
		pm->events = *events;
	pm->timer_base_ns = clock_monotonic_ns();
	acpi_pm_reset(pm);
	if (io_bus_register(pio, base, ACPI_PM_LEN, &acpi_pm_ops, pm, "acpi-pm") < 0) {
		pthread_mutex_destroy(&pm->lock);
		free(pm);
		return NULL;
	}
	return pm;
}

int acpi_pm_use_evloop(struct acpi_pm *pm, struct evloop *loop)
{
	struct evloop_timer *t;

	if (pm->carry_timer)
		return -EBUSY;
	t = evloop_timer_create(loop, acpi_pm_carry_fired, pm);
	if (!t)
		return -ENOMEM;
	pthread_mutex_lock(&pm->lock);
	pm->carry_timer = t;
	acpi_pm_arm_carry_timer(pm, clock_monotonic_ns());
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

/* The event loop must not be running callbacks (it is stopped, or this is its thread). */
static void acpi_pm_destroy(void *dev)
{
	struct acpi_pm *pm = dev;

	if (!pm)
		return;
	io_bus_unregister(pm->pio, pm->base);
	evloop_timer_destroy(pm->carry_timer);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

static void acpi_pm_save(void *dev, struct state_writer *w)
{
	struct acpi_pm *pm = dev;
	uint64_t now = clock_monotonic_ns();

	pthread_mutex_lock(&pm->lock);
	acpi_pm_catch_up(pm, now);
	state_begin(w, acpi_pm_vdev_ops.name, ACPI_PM_STATE_VERSION);
	state_put_u64(w, "pm1_sts", pm->pm1_sts);
	state_put_u64(w, "pm1_en", pm->pm1_en);
	state_put_u64(w, "pm1_cnt", pm->pm1_cnt);
	state_put_u64(w, "gpe0_sts", pm->gpe0_sts);
	state_put_u64(w, "gpe0_en", pm->gpe0_en);
	state_put_u64(w, "timer_ticks", acpi_pm_ticks(pm, now));
	state_put_u64(w, "timer_seen_carries", pm->timer_seen_carries);
	state_end(w);
	pthread_mutex_unlock(&pm->lock);
}

static int acpi_pm_get(const struct state_reader *r, const char *name, uint64_t allowed_bits,
		       uint64_t *v)
{
	if (state_get_u64(r, name, v))
		return -EINVAL;
	return *v & ~allowed_bits ? -EINVAL : 0;
}

static int acpi_pm_load(void *dev, const struct state_reader *section)
{
	struct acpi_pm *pm = dev;
	uint64_t sts, en, cnt, gsts, gen, ticks, seen;
	int ret = 0;

	if (section->version != ACPI_PM_STATE_VERSION)
		return -EINVAL;
	ret |= acpi_pm_get(section, "pm1_sts", PM1_STS_BITS, &sts);
	ret |= acpi_pm_get(section, "pm1_en", PM1_EN_BITS, &en);
	ret |= acpi_pm_get(section, "pm1_cnt", PM1_CNT_STORED, &cnt);
	ret |= acpi_pm_get(section, "gpe0_sts", 0xffff, &gsts);
	ret |= acpi_pm_get(section, "gpe0_en", 0xffff, &gen);
	ret |= acpi_pm_get(section, "timer_ticks", ACPI_PM_MAX_TICKS - 1, &ticks);
	ret |= acpi_pm_get(section, "timer_seen_carries", UINT64_MAX, &seen);
	if (ret || seen > ticks >> ACPI_PM_TMR_CARRY_SHIFT)
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts = sts;
	pm->pm1_en = en;
	pm->pm1_cnt = cnt | PM1_CNT_SCI_EN;
	pm->gpe0_sts = gsts;
	pm->gpe0_en = gen;
	pm->timer_base_ns = clock_monotonic_ns();
	pm->timer_base_ticks = ticks;
	pm->timer_seen_carries = seen;
	acpi_pm_catch_up(pm, pm->timer_base_ns);
	acpi_pm_arm_carry_timer(pm, pm->timer_base_ns);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

const struct vdev_ops acpi_pm_vdev_ops = {
	.name = "acpi_pm",
	.reset = acpi_pm_reset,
	.save = acpi_pm_save,
	.load = acpi_pm_load,
	.destroy = acpi_pm_destroy,
};
