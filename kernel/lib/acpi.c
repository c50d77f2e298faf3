#include <stdbool.h>
#include <stddef.h>
#include "acpi.h"
#include "aion/error.h"

#define SDT_HEADER      36
#define MADT_ENTRIES    44
#define MAX_RSDT_ENTRIES 64
#define MAX_TABLE       (1u << 20)

/* FADT fields (ACPI 6.5, table 5.9): byte offsets. */
#define FADT_DSDT       40
#define FADT_SCI_INT    46
#define FADT_SMI_CMD    48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_EVT   56
#define FADT_PM1A_CNT   64
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_V1_LEN     116     /* ACPI 1.0's FADT: every field read but the X_ ones */
#define FADT_X_DSDT     140
#define FADT_X_PM1A_EVT 148     /* Generic Address Structures from here */
#define FADT_X_PM1A_CNT 172
#define GAS_LEN         12
#define GAS_SYSTEM_IO   1

#define AML_NAME_OP     0x08
#define AML_PACKAGE_OP  0x12
#define AML_ZERO_OP     0x00
#define AML_ONE_OP      0x01
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	__builtin_memcpy(&v, p, 2);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

static bool same4(const uint8_t *p, const char *s)
{
	return p[0] == (uint8_t)s[0] && p[1] == (uint8_t)s[1] &&
	       p[2] == (uint8_t)s[2] && p[3] == (uint8_t)s[3];
}

/* A whole table at phys, or NULL: first its header, then its claimed length. */
static const uint8_t *table(uint64_t phys, acpi_map_fn map, void *ctx, uint32_t *len)
{
	const uint8_t *h = map(phys, SDT_HEADER, ctx);
	if (!h)
		return NULL;
	*len = rd32(h + 4);
	if (*len < SDT_HEADER || *len > MAX_TABLE)
		return NULL;
	return map(phys, *len, ctx);
}

/*
 * The first table of the RSDT (its first 64 entries) with signature sig
 * and at least min_len bytes; tables that cannot be mapped or are shorter
 * are passed over. -AION_ENOENT without an RSDP or such a table,
 * -AION_EMALFORMED for a bad RSDT.
 */
static int find_table(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map, void *ctx,
		      const char *sig, uint32_t min_len, const uint8_t **t, uint32_t *len)
{
	static const char rsdp_sig[8] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };
	uint32_t rsdt_len;

	if (rsdp_len < 20)
		return -AION_ENOENT;
	for (unsigned i = 0; i < sizeof(rsdp_sig); i++)
		if (rsdp[i] != (uint8_t)rsdp_sig[i])
			return -AION_ENOENT;
	const uint8_t *rsdt = table(rd32(rsdp + 16), map, ctx, &rsdt_len);
	if (!rsdt)
		return -AION_EMALFORMED;
	uint32_t n = (rsdt_len - SDT_HEADER) / 4;
	for (uint32_t i = 0; i < n && i < MAX_RSDT_ENTRIES; i++) {
		*t = table(rd32(rsdt + SDT_HEADER + 4 * i), map, ctx, len);
		if (*t && same4(*t, sig) && *len >= min_len)
			return 0;
	}
	return -AION_ENOENT;
}

static void parse_entries(const uint8_t *madt, uint32_t len, struct acpi_madt *out)
{
	for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
		uint8_t type = madt[off], elen = madt[off + 1];
		if (elen < 2 || off + elen > len)
			break;
		/* Processor Local APIC: flags bit 0 = enabled (bit 1, online
		 * capable, is hot-plug, which Aion does not do). */
		if (type == 0 && elen >= 8 && (madt[off + 4] & 1) && out->ncpu < ACPI_MAX_CPUS) {
			out->lapic_id[out->ncpu++] = madt[off + 3];
		} else if (type == 1 && elen >= 12 && !out->ioapic_phys) {
			out->ioapic_phys = rd32(madt + off + 4);
			out->ioapic_gsi_base = rd32(madt + off + 8);
		} else if (type == 2 && elen >= 10 && out->noverride < ACPI_MAX_OVERRIDES) {
			struct acpi_irq_override *o = &out->override[out->noverride++];
			o->isa_irq = madt[off + 3];
			o->gsi = rd32(madt + off + 4);
			o->flags = rd16(madt + off + 8);
		}
		off += elen;
	}
}

int acpi_parse_madt(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map,
		    void *ctx, struct acpi_madt *out)
{
	const uint8_t *t;
	uint32_t len;

	*out = (struct acpi_madt){ 0 };
	int err = find_table(rsdp, rsdp_len, map, ctx, "APIC", MADT_ENTRIES, &t, &len);
	if (err)
		return err;
	parse_entries(t, len, out);
	return out->ioapic_phys ? 0 : -AION_ENOENT;
}

/*
 * An I/O port block of len bytes: the 32-bit field at off32, unless the
 * FADT is long enough to hold the Generic Address Structure at offx and
 * that is set (the spec says it wins then). Power blocks in memory space
 * are not I/O ports: -AION_ENOENT, as for a block that is not there.
 */
static int io_block(const uint8_t *f, uint32_t flen, unsigned off32, unsigned offx,
		    unsigned len, uint16_t *port)
{
	uint64_t addr = rd32(f + off32);

	if (flen >= offx + GAS_LEN && rd64(f + offx + 4)) {
		if (f[offx] != GAS_SYSTEM_IO)
			return -AION_ENOENT;
		addr = rd64(f + offx + 4);
	}
	if (!addr)
		return -AION_ENOENT;
	if (addr > 0x10000 - len)
		return -AION_EMALFORMED;
	*port = (uint16_t)addr;
	return 0;
}

int acpi_parse_fadt(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map,
		    void *ctx, struct aion_acpi_power *out, uint64_t *dsdt)
{
	const uint8_t *f;
	uint32_t len;

	*out = (struct aion_acpi_power){ 0 };
	*dsdt = 0;
	int err = find_table(rsdp, rsdp_len, map, ctx, "FACP", FADT_V1_LEN, &f, &len);
	if (err)
		return err;
	*dsdt = len >= FADT_X_DSDT + 8 && rd64(f + FADT_X_DSDT) ? rd64(f + FADT_X_DSDT) :
		rd32(f + FADT_DSDT);
	uint8_t evt_len = f[FADT_PM1_EVT_LEN], cnt_len = f[FADT_PM1_CNT_LEN];
	uint32_t smi = rd32(f + FADT_SMI_CMD);
	/* Status and enable registers split the event block in halves of >= 2. */
	if (evt_len < 4 || (evt_len & 1) || cnt_len < 2 || smi > 0xffff)
		return -AION_EMALFORMED;
	if ((err = io_block(f, len, FADT_PM1A_EVT, FADT_X_PM1A_EVT, evt_len, &out->pm1a_evt)) ||
	    (err = io_block(f, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT, cnt_len, &out->pm1a_cnt)))
		return err;
	out->pm1_evt_len = evt_len;
	out->pm1_cnt_len = cnt_len;
	out->smi_cmd = (uint16_t)smi;
	out->acpi_enable = f[FADT_ACPI_ENABLE];
	out->sci_line = rd16(f + FADT_SCI_INT);
	out->flags |= AION_ACPI_PM1;
	return 0;
}

/* The first element of the package at p (n bytes to the table's end), an
 * integer 0..7: Zero, One or a Byte/Word/DWord constant. */
static int s5_package(const uint8_t *p, uint32_t n, uint8_t *slp_typ)
{
	if (n < 2 || p[0] != AML_PACKAGE_OP)
		return -AION_EMALFORMED;
	/* PkgLength: bits 7-6 of its lead byte count the bytes that follow;
	 * it counts itself, NumElements and the elements. */
	uint32_t follow = p[1] >> 6;
	uint32_t pkg_len = follow ? p[1] & 0x0f : p[1] & 0x3f;
	if (n < 2 + follow)
		return -AION_EMALFORMED;
	for (uint32_t i = 0; i < follow; i++)
		pkg_len |= (uint32_t)p[2 + i] << (4 + 8 * i);
	if (pkg_len > n - 1 || pkg_len < follow + 3)
		return -AION_EMALFORMED;
	const uint8_t *e = p + 2 + follow;      /* NumElements */
	uint32_t left = pkg_len - follow - 2;   /* element bytes, >= 1 */
	uint32_t v;
	if (e[0] == 0)
		return -AION_EMALFORMED;
	e++;
	if (e[0] == AML_ZERO_OP || e[0] == AML_ONE_OP)
		v = e[0];
	else if (e[0] == AML_BYTE_PREFIX && left >= 2)
		v = e[1];
	else if (e[0] == AML_WORD_PREFIX && left >= 3)
		v = rd16(e + 1);
	else if (e[0] == AML_DWORD_PREFIX && left >= 5)
		v = rd32(e + 1);
	else
		return -AION_EMALFORMED;
	if (v > 7)
		return -AION_EMALFORMED;
	*slp_typ = (uint8_t)v;
	return 0;
}

int acpi_find_s5(uint64_t dsdt, acpi_map_fn map, void *ctx, uint8_t *slp_typ)
{
	uint32_t len;

	if (!dsdt)
		return -AION_ENOENT;
	const uint8_t *t = table(dsdt, map, ctx, &len);
	if (!t || !same4(t, "DSDT"))
		return -AION_EMALFORMED;
	/* NameOp, an optional root prefix, then the name segment "_S5_". */
	for (uint32_t off = SDT_HEADER + 1; off + 4 <= len; off++) {
		if (!same4(t + off, "_S5_"))
			continue;
		uint32_t op = off - 1;
		if (t[op] == '\\' && op > SDT_HEADER)
			op--;
		if (t[op] == AML_NAME_OP)
			return s5_package(t + off + 4, len - off - 4, slp_typ);
	}
	return -AION_ENOENT;
}
