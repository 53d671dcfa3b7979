// SPDX-License-Identifier: GPL-2.0
#include "vdevices/acpi_pm.h"
#include "test/unit/harness.h"
#include "test/unit/vdevices_test_util.h"

#include <errno.h>
#include <string.h>

#define NS_PER_MS 1000000ULL
#define PM_TMR_HZ 3579545.0

#define PM1_STS (ACPI_PM_BASE + 0)
#define PM1_EN (ACPI_PM_BASE + 2)
#define PM1_CNT (ACPI_PM_BASE + ACPI_PM1_CNT_OFF)
#define PM_TMR (ACPI_PM_BASE + ACPI_PM_TMR_OFF)
#define GPE0_STS (ACPI_PM_BASE + ACPI_GPE0_OFF)
#define GPE0_EN (ACPI_PM_BASE + ACPI_GPE0_OFF + 2)
#define RESET_REG (ACPI_PM_BASE + ACPI_RESET_OFF)

#define TMR_STS 0x0001
#define PWRBTN 0x0100
#define SCI_EN 0x0001
#define SLP_EN 0x2000

struct pm_fixture {
	struct io_bus bus;
	struct irq_probe sci;
	struct acpi_pm *pm;
	unsigned sleeps, last_slp_typ, resets;
	uint64_t cnt_seen_in_sleep;
};

static void fixture_sleep(void *opaque, unsigned slp_typ)
{
	struct pm_fixture *f = opaque;

	f->sleeps++;
	f->last_slp_typ = slp_typ;
	/* The device's lock is not held: the machine may call back into it. */
	io_bus_read(&f->bus, PM1_CNT, 2, &f->cnt_seen_in_sleep);
}

static void fixture_reset(void *opaque)
{
	struct pm_fixture *f = opaque;

	f->resets++;
	acpi_pm_vdev_ops.reset(f->pm);
}

static bool fixture_init(struct pm_fixture *f)
{
	struct acpi_pm_events events = { fixture_sleep, fixture_reset, f };

	memset(f, 0, sizeof(*f));
	io_bus_init(&f->bus, "pio");
	f->pm = acpi_pm_create(&f->bus, ACPI_PM_BASE, irq_probe_line(&f->sci, ACPI_SCI_IRQ),
			       &events);
	return f->pm;
}

static void fixture_fini(struct pm_fixture *f)
{
	acpi_pm_vdev_ops.destroy(f->pm);
	io_bus_free(&f->bus);
}

static uint64_t pm_read(struct pm_fixture *f, uint16_t port, unsigned size)
{
	uint64_t v;

	io_bus_read(&f->bus, port, size, &v);
	return v;
}

static void pm_write(struct pm_fixture *f, uint16_t port, unsigned size, uint64_t v)
{
	io_bus_write(&f->bus, port, size, v);
}

TEST(acpi_pm_timer_counts_at_3_58_mhz)
{
	struct pm_fixture f;
	uint64_t t0a, t0b, t1a, t1b;
	uint32_t v0, v1, b0;

	CHECK(fixture_init(&f));
	t0a = clock_monotonic_ns();
	v0 = pm_read(&f, PM_TMR, 4);
	t0b = clock_monotonic_ns();
	sleep_ns(20 * NS_PER_MS);
	t1a = clock_monotonic_ns();
	v1 = pm_read(&f, PM_TMR, 4);
	t1b = clock_monotonic_ns();
	/* The reads fall inside measured windows: the ticks between them are bracketed. */
	CHECK(v1 - v0 <= (t1b - t0a) * PM_TMR_HZ / 1e9 + 2);
	CHECK(v1 - v0 + 2 >= (t1a - t0b) * PM_TMR_HZ / 1e9);
	/* Read-only; a byte read gives that byte of the counter. */
	pm_write(&f, PM_TMR, 4, 0);
	CHECK(pm_read(&f, PM_TMR, 4) - v1 < 0x80000000u);
	b0 = pm_read(&f, PM_TMR + 2, 1);
	CHECK((uint8_t)(b0 - (v1 >> 16)) <= 8);
	fixture_fini(&f);
}

TEST(acpi_pm_power_button_raises_sci_only_when_enabled)
{
	struct pm_fixture f;

	CHECK(fixture_init(&f));
	CHECK_EQ(pm_read(&f, PM1_STS, 2), 0);
	acpi_pm_press_power_button(f.pm);
	CHECK_EQ(pm_read(&f, PM1_STS, 2), PWRBTN);
	CHECK(!atomic_load(&f.sci.level));
	pm_write(&f, PM1_EN, 2, PWRBTN);
	CHECK(atomic_load(&f.sci.level));
	CHECK_EQ(pm_read(&f, PM1_EN, 2), PWRBTN);
	/* Writing 0 clears nothing; writing 1 clears; bytes combine. */
	pm_write(&f, PM1_STS, 2, 0);
	CHECK_EQ(pm_read(&f, PM1_STS, 2), PWRBTN);
	pm_write(&f, PM1_STS, 1, 0xff); /* the low byte only */
	CHECK_EQ(pm_read(&f, PM1_STS, 2), PWRBTN);
	pm_write(&f, PM1_STS + 1, 1, PWRBTN >> 8);
	CHECK_EQ(pm_read(&f, PM1_STS, 2), 0);
	CHECK(!atomic_load(&f.sci.level));
	/* A 32-bit write covers status and enable at once. */
	acpi_pm_press_power_button(f.pm);
	CHECK(atomic_load(&f.sci.level));
	CHECK_EQ(pm_read(&f, PM1_STS, 4), (uint64_t)PWRBTN << 16 | PWRBTN);
	pm_write(&f, PM1_STS, 4, (uint64_t)PWRBTN << 16 | PWRBTN);
	CHECK_EQ(pm_read(&f, PM1_STS, 4), (uint64_t)PWRBTN << 16);
	CHECK(!atomic_load(&f.sci.level));
	/* Reserved enable bits do not stick. */
	pm_write(&f, PM1_EN, 2, 0xffff);
	CHECK_EQ(pm_read(&f, PM1_EN, 2), 0x0721);
	CHECK_EQ(atomic_load(&f.sci.rises), 2);
	fixture_fini(&f);
}

TEST(acpi_pm_control_sleep_and_reset)
{
	struct pm_fixture f;

	CHECK(fixture_init(&f));
	CHECK_EQ(pm_read(&f, PM1_CNT, 2), SCI_EN);
	pm_write(&f, PM1_CNT, 2, 0); /* SCI_EN stays: there is no legacy mode */
	CHECK_EQ(pm_read(&f, PM1_CNT, 2), SCI_EN);
	pm_write(&f, PM1_CNT, 2, 5 << 10 | SCI_EN);
	CHECK_EQ(pm_read(&f, PM1_CNT, 2), 5 << 10 | SCI_EN);
	CHECK_EQ(f.sleeps, 0);
	pm_write(&f, PM1_CNT, 2, SLP_EN | ACPI_SLP_TYP_S5 << 10 | SCI_EN);
	CHECK_EQ(f.sleeps, 1);
	CHECK_EQ(f.last_slp_typ, ACPI_SLP_TYP_S5);
	CHECK_EQ(f.cnt_seen_in_sleep, SCI_EN); /* SLP_EN reads as 0 */
	/* The high byte alone, as a byte write: SLP_TYP 3 and SLP_EN. */
	pm_write(&f, PM1_CNT + 1, 1, (SLP_EN | 3 << 10) >> 8);
	CHECK_EQ(f.sleeps, 2);
	CHECK_EQ(f.last_slp_typ, 3);
	pm_write(&f, PM1_CNT, 1, 0xff); /* the low byte cannot set SLP_EN */
	CHECK_EQ(f.sleeps, 2);

	pm_write(&f, RESET_REG, 1, 0x02);
	CHECK_EQ(f.resets, 0);
	pm_write(&f, RESET_REG, 1, ACPI_RESET_VALUE);
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(pm_read(&f, RESET_REG, 1), 0);
	CHECK_EQ(pm_read(&f, PM1_CNT, 2), SCI_EN); /* the machine reset the device */
	fixture_fini(&f);
}

TEST(acpi_pm_gpe0_enable_and_write_one_to_clear)
{
	struct pm_fixture f;

	CHECK(fixture_init(&f));
	pm_write(&f, GPE0_EN, 2, 0xa5c3);
	CHECK_EQ(pm_read(&f, GPE0_EN, 2), 0xa5c3);
	CHECK_EQ(pm_read(&f, GPE0_STS, 4), 0xa5c30000);
	pm_write(&f, GPE0_STS, 2, 0xffff);
	CHECK_EQ(pm_read(&f, GPE0_STS, 2), 0);
	pm_write(&f, GPE0_EN + 1, 1, 0x00);
	CHECK_EQ(pm_read(&f, GPE0_EN, 2), 0x00c3);
	CHECK(!atomic_load(&f.sci.level));
	fixture_fini(&f);
}

static int pm_load(struct acpi_pm *pm, uint64_t ticks, uint64_t en, uint32_t version)
{
	struct state_writer w;
	struct state_reader r, sec;
	int ret;

	state_writer_init(&w);
	state_begin(&w, "acpi_pm", version);
	state_put_u64(&w, "pm1_sts", 0);
	state_put_u64(&w, "pm1_en", en);
	state_put_u64(&w, "pm1_cnt", SCI_EN);
	state_put_u64(&w, "gpe0_sts", 0);
	state_put_u64(&w, "gpe0_en", 0);
	state_put_u64(&w, "timer_ticks", ticks);
	state_put_u64(&w, "timer_seen_carries", ticks >> 31);
	state_end(&w);
	state_reader_init(&r, w.buf, w.len);
	ret = state_find_section(&r, "acpi_pm", &sec);
	if (!ret)
		ret = acpi_pm_vdev_ops.load(pm, &sec);
	state_writer_free(&w);
	return ret;
}

TEST(acpi_pm_timer_carry_sets_tmr_sts)
{
	struct pm_fixture f;
	struct test_loop tl;
	const uint64_t ms = 3580;
	uint64_t sts;
	bool level;

	CHECK(fixture_init(&f));
	/* Polled: 20 ms before bit 31 toggles, TMR_EN clear. */
	CHECK_EQ(pm_load(f.pm, (1ULL << 31) - 20 * ms, 0, 1), 0);
	sts = pm_read(&f, PM1_STS, 2);
	CHECK(!(sts & TMR_STS) || pm_read(&f, PM_TMR, 4) >= 1ULL << 31);
	sleep_ns(30 * NS_PER_MS);
	CHECK(pm_read(&f, PM_TMR, 4) >= 1ULL << 31);
	CHECK_EQ(pm_read(&f, PM1_STS, 2) & TMR_STS, TMR_STS);
	CHECK(!atomic_load(&f.sci.level));
	pm_write(&f, PM1_STS, 2, TMR_STS);
	CHECK_EQ(pm_read(&f, PM1_STS, 2) & TMR_STS, 0);

	/* With an event loop and TMR_EN, SCI rises on time: the 32-bit wrap, 20 ms away. */
	CHECK(test_loop_start(&tl));
	CHECK_EQ(acpi_pm_use_evloop(f.pm, tl.loop), 0);
	CHECK_EQ(acpi_pm_use_evloop(f.pm, tl.loop), -EBUSY);
	CHECK_EQ(pm_load(f.pm, (1ULL << 32) - 20 * ms, TMR_STS, 1), 0);
	level = atomic_load(&f.sci.level);
	CHECK(!level || pm_read(&f, PM_TMR, 4) < 1ULL << 31);
	CHECK(irq_probe_wait_high(&f.sci, 200 * NS_PER_MS));
	CHECK(pm_read(&f, PM_TMR, 4) < 1ULL << 31);
	pm_write(&f, PM1_STS, 2, TMR_STS);
	CHECK(!atomic_load(&f.sci.level));
	test_loop_stop(&tl);
	fixture_fini(&f);
	test_loop_destroy(&tl);
}

TEST(acpi_pm_hostile_accesses)
{
	struct pm_fixture f;
	uint64_t seed = 0xac91, v;

	CHECK(fixture_init(&f));
	for (int i = 0; i < 50000; i++) {
		uint16_t port = ACPI_PM_BASE - 8 + test_rand(&seed) % (ACPI_PM_LEN + 16);
		unsigned size = 1u << (test_rand(&seed) % 4);
		uint64_t value = (uint64_t)test_rand(&seed) << 32 | test_rand(&seed);

		/* Keep SLP_EN and the reset value rare enough to see other paths. */
		if (test_rand(&seed) & 1)
			io_bus_write(&f.bus, port, size, value);
		else
			io_bus_read(&f.bus, port, size, &v);
		CHECK(pm_read(&f, PM1_CNT, 2) & SCI_EN);
		CHECK_EQ(pm_read(&f, PM1_CNT, 2) & ~0x1c03, 0);
		CHECK_EQ(pm_read(&f, PM1_EN, 2) & ~0x0721, 0);
		CHECK_EQ(pm_read(&f, 0x6 + ACPI_PM_BASE, 2), 0); /* reserved */
	}
	CHECK(f.sleeps > 0);
	CHECK(f.resets > 0);
	/* Nothing raised SCI but the enables: no status sources were enabled and pending. */
	CHECK_EQ(atomic_load(&f.sci.level),
		 (pm_read(&f, PM1_STS, 2) & pm_read(&f, PM1_EN, 2)) != 0);
	fixture_fini(&f);
}

TEST(acpi_pm_save_load_round_trip)
{
	struct pm_fixture a, b;
	struct state_writer w;
	struct state_reader r, sec;
	uint32_t ta, tb;

	CHECK(fixture_init(&a));
	CHECK(fixture_init(&b));
	pm_write(&a, PM1_EN, 2, PWRBTN);
	pm_write(&a, PM1_CNT, 2, 5 << 10);
	pm_write(&a, GPE0_EN, 2, 0x0003);
	acpi_pm_press_power_button(a.pm);
	CHECK(atomic_load(&a.sci.level));
	sleep_ns(2 * NS_PER_MS);
	ta = pm_read(&a, PM_TMR, 4);
	state_writer_init(&w);
	acpi_pm_vdev_ops.save(a.pm, &w);
	CHECK_EQ(w.error, 0);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(state_find_section(&r, "acpi_pm", &sec), 0);
	CHECK_EQ(acpi_pm_vdev_ops.load(b.pm, &sec), 0);
	state_writer_free(&w);
	tb = pm_read(&b, PM_TMR, 4);
	CHECK_EQ(pm_read(&b, PM1_STS, 4), (uint64_t)PWRBTN << 16 | PWRBTN);
	CHECK_EQ(pm_read(&b, PM1_CNT, 2), 5 << 10 | SCI_EN);
	CHECK_EQ(pm_read(&b, GPE0_EN, 2), 0x0003);
	CHECK(atomic_load(&b.sci.level));
	CHECK(tb - ta < 3580 * 1000); /* the timer carried on from where it was */

	/* Refused: another version, reserved bits, a tick count from the far future. */
	CHECK_EQ(pm_load(b.pm, 0, 0, 2), -EINVAL);
	CHECK_EQ(pm_load(b.pm, 0, 0x0002, 1), -EINVAL);
	CHECK_EQ(pm_load(b.pm, 1ULL << 63, 0, 1), -EINVAL);
	CHECK_EQ(pm_read(&b, PM1_EN, 2), PWRBTN); /* b is untouched */
	acpi_pm_vdev_ops.reset(b.pm);
	CHECK_EQ(pm_read(&b, PM1_STS, 4), 0);
	CHECK(!atomic_load(&b.sci.level));
	fixture_fini(&a);
	fixture_fini(&b);
}
