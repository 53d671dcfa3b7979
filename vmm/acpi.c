// SPDX-License-Identifier: GPL-2.0
#include "vmm/acpi.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "vdevices/acpi_pm.h"
#include "vdevices/rtc.h"

#define ACPI_HEADER_LEN 36
#define FADT_LEN 276
#define FACS_LEN 64

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed-feature sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define IAPC_LEGACY_DEVICES (1u << 0)
#define IAPC_8042 (1u << 1)
#define IAPC_VGA_NOT_PRESENT (1u << 2)

#define CMOS_CENTURY 0x32

/* A little-endian table under construction inside the caller's buffer. */
struct acpi_builder {
	uint8_t *buf;
	uint64_t base;
	size_t size, used;
};

static void put8(uint8_t *p, uint8_t v)
{
	p[0] = v;
}

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* Reserves len bytes aligned to align; NULL when the area is full. */
static uint8_t *acpi_alloc(struct acpi_builder *b, size_t len, size_t align, uint64_t *gpa)
{
	size_t at = (b->used + align - 1) & ~(align - 1);

	if (at > b->size || len > b->size - at)
		return NULL;
	b->used = at + len;
	*gpa = b->base + at;
	memset(b->buf + at, 0, len);
	return b->buf + at;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	put8(t + 8, rev);
	memcpy(t + 10, "KEEL  ", 6);
	memcpy(t + 16, "KEELVM  ", 8);
	put_le32(t + 24, 1);
	memcpy(t + 28, "KEEL", 4);
	put_le32(t + 32, 1);
}

static void acpi_finish(uint8_t *t)
{
	uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint64_t port)
{
	put8(p, GAS_SYSTEM_IO);
	put8(p + 1, bits);
	put8(p + 2, 0);
	put8(p + 3, access);
	put_le64(p + 4, port);
}

/*
 * A small AML writer for the DSDT: named objects, packages and buffers. Package lengths are
 * reserved at their widest (4 bytes) and shrunk when the package closes.
 */
struct aml {
	uint8_t buf[4096];
	size_t len;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > sizeof(a->buf) - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	aml_bytes(a, &v, 1);
}

static void aml_name(struct aml *a, const char *seg4)
{
	aml_bytes(a, seg4, 4);
}

static void aml_integer(struct aml *a, uint32_t v)
{
	uint8_t le[4];

	put_le32(le, v);
	if (v <= 1) {
		aml_byte(a, v); /* ZeroOp, OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);
		aml_byte(a, v);
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);
		aml_bytes(a, le, 2);
	} else {
		aml_byte(a, 0x0c);
		aml_bytes(a, le, 4);
	}
}

static size_t aml_pkg_begin(struct aml *a)
{
	size_t at = a->len;

	aml_bytes(a, "\0\0\0\0", 4);
	return at;
}

/* PkgLength counts itself: 1 byte up to 63, else a lead byte plus 1-3 bytes. */
static void aml_pkg_end(struct aml *a, size_t at)
{
	size_t body, n, total;

	if (a->overflow)
		return;
	body = a->len - at - 4;
	for (n = 1; n < 4; n++)
		if (body + n < (n == 1 ? 64u : 1u << (4 + 8 * (n - 1))))
			break;
	total = body + n;
	memmove(a->buf + at + n, a->buf + at + 4, body);
	a->len -= 4 - n;
	if (n == 1) {
		a->buf[at] = total;
		return;
	}
	a->buf[at] = (n - 1) << 6 | (total & 0xf);
	for (size_t i = 1; i < n; i++)
		a->buf[at + i] = total >> (4 + 8 * (i - 1));
}

/* Word and DWord address space descriptors: producer, fixed min and max, positive decode. */
static void res_word(struct aml *a, uint8_t type, uint8_t type_flags, uint16_t min, uint16_t max)
{
	uint8_t d[16] = { 0x88, 13, 0, type, 0x0c, type_flags };

	put_le16(d + 8, min);
	put_le16(d + 10, max);
	put_le16(d + 14, max - min + 1);
	aml_bytes(a, d, sizeof(d));
}

static void res_dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
	uint8_t d[26] = { 0x87, 23, 0, 0, 0x0c, 0x01 /* read-write, non-cacheable */ };

	put_le32(d + 10, min);
	put_le32(d + 14, max);
	put_le32(d + 22, max - min + 1);
	aml_bytes(a, d, sizeof(d));
}

/* \_SB.PCI0: the root bridge, its bus, I/O and MMIO windows and INTA# routing (_PRT). */
static void aml_pci_root(struct aml *a, const struct acpi_config *cfg)
{
	static const uint8_t config_ports[8] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	size_t scope, device, buffer, prt, entry;

	aml_byte(a, 0x10); /* ScopeOp */
	scope = aml_pkg_begin(a);
	aml_bytes(a, "\\_SB_", 5);
	aml_bytes(a, "\x5b\x82", 2); /* DeviceOp */
	device = aml_pkg_begin(a);
	aml_name(a, "PCI0");
	aml_byte(a, 0x08);
	aml_name(a, "_HID");
	aml_integer(a, 0x030ad041); /* EisaId ("PNP0A03") */
	aml_byte(a, 0x08);
	aml_name(a, "_ADR");
	aml_integer(a, 0);
	aml_byte(a, 0x08);
	aml_name(a, "_UID");
	aml_integer(a, 0);

	aml_byte(a, 0x08);
	aml_name(a, "_CRS");
	aml_byte(a, 0x11); /* BufferOp */
	buffer = aml_pkg_begin(a);
	aml_integer(a, 16 + sizeof(config_ports) + 2 * 16 + 26 + 2);
	res_word(a, 2, 0, 0, 0xff);        /* bus numbers 0-255 */
	aml_bytes(a, config_ports, sizeof(config_ports));
	res_word(a, 1, 3, 0x0000, 0x0cf7); /* I/O below the config ports */
	res_word(a, 1, 3, 0x0d00, 0xffff); /* and above them */
	res_dword_memory(a, cfg->pci_mmio_base, cfg->pci_mmio_base + cfg->pci_mmio_size - 1);
	aml_bytes(a, "\x79\x00", 2);     /* end tag */
	aml_pkg_end(a, buffer);

	aml_byte(a, 0x08);
	aml_name(a, "_PRT");
	aml_byte(a, 0x12); /* PackageOp */
	prt = aml_pkg_begin(a);
	aml_byte(a, cfg->pci_slots - 1);
	for (unsigned slot = 1; slot < cfg->pci_slots; slot++) {
		aml_byte(a, 0x12);
		entry = aml_pkg_begin(a);
		aml_byte(a, 4);
		aml_integer(a, slot << 16 | 0xffff);
		aml_integer(a, 0); /* INTA# */
		aml_integer(a, 0); /* no link device: the last field is the GSI */
		aml_integer(a, cfg->pci_intx_gsi(slot));
		aml_pkg_end(a, entry);
	}
	aml_pkg_end(a, prt);
	aml_pkg_end(a, device);
	aml_pkg_end(a, scope);
}

static int acpi_build_dsdt(struct acpi_builder *b, const struct acpi_config *cfg, uint64_t *gpa)
{
	/* Name (\_S5, Package (4) { Zero, Zero, Zero, Zero }): SLP_TYP 0 for S5. */
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
				      0x00, 0x00, 0x00, 0x00 };
	struct aml *a = calloc(1, sizeof(*a));
	uint32_t len;
	uint8_t *t;

	_Static_assert(ACPI_SLP_TYP_S5 == 0, "the DSDT encodes \\_S5 as ZeroOp");
	if (!a)
		return -ENOMEM;
	aml_bytes(a, s5, sizeof(s5));
	if (cfg->pci_slots)
		aml_pci_root(a, cfg);
	len = ACPI_HEADER_LEN + a->len;
	t = a->overflow ? NULL : acpi_alloc(b, len, 16, gpa);
	if (!t) {
		free(a);
		return -E2BIG;
	}
	acpi_header(t, "DSDT", len, 2);
	memcpy(t + ACPI_HEADER_LEN, a->buf, a->len);
	acpi_finish(t);
	free(a);
	return 0;
}

static int acpi_build_fadt(struct acpi_builder *b, const struct acpi_config *cfg, uint64_t facs,
			   uint64_t dsdt, uint64_t *gpa)
{
	uint16_t pm = cfg->pm_base;
	uint8_t *t = acpi_alloc(b, FADT_LEN, 16, gpa);

	if (!t)
		return -E2BIG;
	acpi_header(t, "FACP", FADT_LEN, 6);
	put_le32(t + 36, (uint32_t)facs);
	put_le32(t + 40, (uint32_t)dsdt);
	put8(t + 45, 0); /* preferred PM profile: unspecified */
	put_le16(t + 46, ACPI_SCI_IRQ);
	put_le32(t + 48, 0); /* no SMI_CMD: the machine is always in ACPI mode */
	put_le32(t + 56, pm + ACPI_PM1_EVT_OFF);
	put_le32(t + 64, pm + ACPI_PM1_CNT_OFF);
	put_le32(t + 76, pm + ACPI_PM_TMR_OFF);
	put_le32(t + 80, pm + ACPI_GPE0_OFF);
	put8(t + 88, 4);
	put8(t + 89, 2);
	put8(t + 91, 4);
	put8(t + 92, 4);
	put_le16(t + 96, 0x0fff);  /* no C2 */
	put_le16(t + 98, 0x0fff);  /* no C3 */
	put8(t + 108, CMOS_CENTURY);
	put_le16(t + 109, IAPC_LEGACY_DEVICES | IAPC_8042 | IAPC_VGA_NOT_PRESENT);
	put_le32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_TMR_VAL_EXT |
			       FADT_F_RESET_REG_SUP);
	gas_io(t + 116, 8, GAS_ACCESS_BYTE, pm + ACPI_RESET_OFF);
	put8(t + 128, ACPI_RESET_VALUE);
	put8(t + 131, 1); /* FADT minor version: ACPI 6.1 */
	put_le64(t + 132, facs);
	put_le64(t + 140, dsdt);
	gas_io(t + 148, 32, GAS_ACCESS_WORD, pm + ACPI_PM1_EVT_OFF);
	gas_io(t + 172, 16, GAS_ACCESS_WORD, pm + ACPI_PM1_CNT_OFF);
	gas_io(t + 208, 32, GAS_ACCESS_DWORD, pm + ACPI_PM_TMR_OFF);
	gas_io(t + 220, 32, GAS_ACCESS_BYTE, pm + ACPI_GPE0_OFF);
	memcpy(t + 268, "KEEL    ", 8); /* hypervisor vendor identity */
	acpi_finish(t);
	return 0;
}

static int acpi_build_madt(struct acpi_builder *b, const struct acpi_config *cfg, uint64_t *gpa)
{
	/* ISA IRQ 0 is wired to GSI 2; the SCI is level-triggered, active high. */
	static const struct {
		uint8_t irq;
		uint32_t gsi;
		uint16_t flags;
	} overrides[] = { { 0, 2, 0x0000 }, { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d } };
	uint32_t len = ACPI_HEADER_LEN + 8 + cfg->ncpus * 8 + 12 + 2 * 10 + 6;
	uint8_t *t = acpi_alloc(b, len, 16, gpa), *e;

	if (!t)
		return -E2BIG;
	acpi_header(t, "APIC", len, 4);
	put_le32(t + 36, 0xfee00000); /* local APIC address */
	put_le32(t + 40, 1);          /* PCAT_COMPAT: there is a PIC pair */
	e = t + 44;
	for (unsigned i = 0; i < cfg->ncpus; i++, e += 8) {
		put8(e, 0);
		put8(e + 1, 8);
		put8(e + 2, (uint8_t)i); /* ACPI processor UID */
		put8(e + 3, (uint8_t)i); /* APIC ID */
		put_le32(e + 4, 1);         /* enabled */
	}
	put8(e, 1);
	put8(e + 1, 12);
	put8(e + 2, cfg->ioapic_id);
	put_le32(e + 4, (uint32_t)cfg->ioapic_addr);
	put_le32(e + 8, 0);
	e += 12;
	for (unsigned i = 0; i < 2; i++, e += 10) {
		put8(e, 2);
		put8(e + 1, 10);
		put8(e + 2, 0);
		put8(e + 3, overrides[i].irq);
		put_le32(e + 4, overrides[i].gsi);
		put_le16(e + 8, overrides[i].flags);
	}
	put8(e, 4); /* local APIC NMI: all processors, LINT1 */
	put8(e + 1, 6);
	put8(e + 2, 0xff);
	put_le16(e + 3, 0);
	put8(e + 5, 1);
	acpi_finish(t);
	return 0;
}

int acpi_build(uint8_t *buf, uint64_t base, size_t size, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa)
{
	struct acpi_builder b = { buf, base, size, 0 };
	uint64_t rsdp_at, facs, dsdt, fadt, madt, xsdt, rsdt;
	uint64_t tables[2];
	uint8_t *rsdp, *facs_p, *t;
	unsigned n = 2;

	if (cfg->ncpus == 0 || cfg->ncpus > 255)
		return -EINVAL;
	rsdp = acpi_alloc(&b, 36, 16, &rsdp_at);
	facs_p = acpi_alloc(&b, FACS_LEN, 64, &facs);
	if (!rsdp || !facs_p)
		return -E2BIG;
	memcpy(facs_p, "FACS", 4);
	put_le32(facs_p + 4, FACS_LEN);
	put8(facs_p + 32, 2); /* version */
	if (acpi_build_dsdt(&b, cfg, &dsdt) || acpi_build_fadt(&b, cfg, facs, dsdt, &fadt) ||
	    acpi_build_madt(&b, cfg, &madt))
		return -E2BIG;
	tables[0] = fadt;
	tables[1] = madt;

	t = acpi_alloc(&b, ACPI_HEADER_LEN + 8 * n, 16, &xsdt);
	if (!t)
		return -E2BIG;
	acpi_header(t, "XSDT", ACPI_HEADER_LEN + 8 * n, 1);
	for (unsigned i = 0; i < n; i++)
		put_le64(t + ACPI_HEADER_LEN + 8 * i, tables[i]);
	acpi_finish(t);
	t = acpi_alloc(&b, ACPI_HEADER_LEN + 4 * n, 16, &rsdt);
	if (!t)
		return -E2BIG;
	acpi_header(t, "RSDT", ACPI_HEADER_LEN + 4 * n, 1);
	for (unsigned i = 0; i < n; i++)
		put_le32(t + ACPI_HEADER_LEN + 4 * i, (uint32_t)tables[i]);
	acpi_finish(t);

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "KEEL  ", 6);
	put8(rsdp + 15, 2);
	put_le32(rsdp + 16, (uint32_t)rsdt);
	put_le32(rsdp + 20, 36);
	put_le64(rsdp + 24, xsdt);
	rsdp[8] = acpi_checksum(rsdp, 20);
	rsdp[32] = acpi_checksum(rsdp, 36);
	*rsdp_gpa = rsdp_at;
	return 0;
}
