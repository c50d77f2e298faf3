/*
 * Host tests for the ACPI table readers (kernel/lib/acpi.c): the MADT,
 * the FADT's power blocks and the DSDT's \_S5 package, over fake
 * physical memory (acpi_fake.h) whose buffers are exactly the tables'
 * sizes, so AddressSanitizer flags any read past what the map allowed.
 * Each defect has its own expected result; deterministic mutation loops
 * then check that no input trips the sanitizers and that accepted tables
 * are sound.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "acpi.h"
#include "acpi_fake.h"
#include "common/xorshift.h"

#define RSDT_PHYS 0x7fe14d0
#define FACP_PHYS 0x7fe1000
#define MADT_PHYS 0x7fe2000
#define HPET_PHYS 0x7fe3000
#define RSDP "RSD PTR "

/* The RSDP is passed by pointer, malloc'ed at exactly len bytes. */
static int parse(uint32_t rsdt, unsigned len, const char *sig, struct acpi_madt *out)
{
	uint8_t *p = rsdp_new(rsdt, len, sig);
	mem.ncall = 0;
	int ret = acpi_parse_madt(p, len, map, &mem, out);
	free(p);
	return ret;
}

/* The RSDT lists FACP, APIC, HPET; region 0 is the RSDT, 2 the MADT. */
static void qemu(const struct blob *madt)
{
	static const uint32_t addr[] = { FACP_PHYS, MADT_PHYS, HPET_PHYS };
	add_rsdt(RSDT_PHYS, addr, 3);
	add_dummy(FACP_PHYS, "FACP", 116);
	add(MADT_PHYS, madt->b, madt->n);
	add_dummy(HPET_PHYS, "HPET", 56);
}

/* The QEMU layout around the given MADT: parse, free, return the result. */
static int run(const struct blob *t, struct acpi_madt *out)
{
	qemu(t);
	int ret = parse(RSDT_PHYS, 20, RSDP, out);
	release();
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	release();                      /* after a failed assertion, too */
	return 0;
}

static void test_qemu_layout(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	qemu_madt(&t);
	qemu(&t);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), 0);
	assert_int_equal(out.ioapic_phys, 0xfec00000);
	assert_int_equal(out.ioapic_gsi_base, 0);
	assert_int_equal(out.noverride, 5);
	static const uint8_t irq[] = { 0, 5, 9, 10, 11 };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(out.override[i].isa_irq, irq[i]);
		assert_int_equal(out.override[i].gsi, i ? irq[i] : 2);
		assert_int_equal(out.override[i].flags, i ? 0xd : 0);
	}
	for (unsigned i = 5; i < ACPI_MAX_OVERRIDES; i++)
		assert_int_equal(out.override[i].gsi, 0);   /* out was cleared */
	assert_int_equal(out.ncpu, 2);
	assert_int_equal(out.lapic_id[0], 0);
	assert_int_equal(out.lapic_id[1], 1);
	/* RSDT, FACP and MADT, header then whole table each; never the HPET. */
	assert_int_equal(mem.ncall, 6);
	/* A longer RSDP (v2, 36 bytes) is fine: only the v1 part is used. */
	assert_int_equal(parse(RSDT_PHYS, 36, RSDP, &out), 0);
}

static void test_rsdp_errors(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	qemu_madt(&t);
	qemu(&t);
	assert_int_equal(parse(RSDT_PHYS, 19, RSDP, &out), -AION_ENOENT);
	assert_int_equal(parse(RSDT_PHYS, 0, RSDP, &out), -AION_ENOENT);
	assert_int_equal(parse(RSDT_PHYS, 20, "XSD PTR ", &out), -AION_ENOENT);
	assert_int_equal(parse(RSDT_PHYS, 20, "\0\0\0\0\0\0\0\0", &out), -AION_ENOENT);
	assert_int_equal(mem.ncall, 0);
	assert_int_equal(out.ioapic_phys, 0);
}

/* The signature is eight bytes; anything else is not an RSDP. */
static void test_rsdp_full_signature(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	qemu_madt(&t);
	qemu(&t);
	assert_int_equal(parse(RSDT_PHYS, 20, "RSD PTX ", &out), -AION_ENOENT);
	assert_int_equal(parse(RSDT_PHYS, 20, "RSDT\0\0\0\0", &out), -AION_ENOENT);
}

static void test_rsdt_errors(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	qemu_madt(&t);
	qemu(&t);
	assert_int_equal(parse(0xdead000, 20, RSDP, &out), -AION_EMALFORMED);
	set32(mem.r[0].buf + 4, 35);    /* below the header */
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), -AION_EMALFORMED);
	set32(mem.r[0].buf + 4, 0);
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), -AION_EMALFORMED);
	set32(mem.r[0].buf + 4, (uint32_t)mem.r[0].size + 4);   /* past map */
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), -AION_EMALFORMED);
	set32(mem.r[0].buf + 4, 36);    /* no entries: nothing to find */
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), -AION_ENOENT);
	release();
	/* Above 1 MiB, even though map could show it; exactly 1 MiB is fine. */
	size_t big = (1u << 20) + 4;
	uint8_t *b = calloc(1, big);
	assert_non_null(b);
	memcpy(b, "RSDT", 4);
	set32(b + 4, (uint32_t)big);
	set32(b + 36, MADT_PHYS);
	mem.r[mem.n++] = (struct region){ 0x10000000, big, b };
	add(MADT_PHYS, t.b, t.n);
	assert_int_equal(parse(0x10000000, 20, RSDP, &out), -AION_EMALFORMED);
	set32(b + 4, 1u << 20);
	assert_int_equal(parse(0x10000000, 20, RSDP, &out), 0);
	assert_int_equal(out.ioapic_phys, 0xfec00000);
}

static void test_no_madt_or_ioapic(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	madt_start(&t);
	iso(&t, 0, 2, 0);
	seal(&t);
	assert_int_equal(run(&t, &out), -AION_ENOENT);
	assert_int_equal(out.ioapic_phys, 0);
	madt_start(&t);                 /* header only, no entries */
	seal(&t);
	assert_int_equal(run(&t, &out), -AION_ENOENT);
	static const uint32_t addr[] = { FACP_PHYS, HPET_PHYS };   /* no APIC */
	add_rsdt(RSDT_PHYS, addr, 2);
	add_dummy(FACP_PHYS, "FACP", 116);
	add_dummy(HPET_PHYS, "HPET", 56);
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), -AION_ENOENT);
}

/* Processors: enabled ones only, a short entry skipped, at most ACPI_MAX_CPUS. */
static void test_processors(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	madt_start(&t);
	ioapic(&t, 0, 0xfec00000, 0);
	for (unsigned cpu = 0; cpu < ACPI_MAX_CPUS + 4; cpu++) {
		uint32_t flags = cpu == 1 ? 0 : cpu == 2 ? 2 : 1;   /* 1 off, 2 hot-plug */
		put(&t, 0, 1); put(&t, 8, 1); put(&t, cpu, 1); put(&t, 2 * cpu, 1);
		put(&t, flags, 4);
	}
	put(&t, 0, 1); put(&t, 6, 1); put(&t, 0, 4);          /* too short: no flags */
	seal(&t);
	assert_int_equal(run(&t, &out), 0);
	assert_int_equal(out.ncpu, ACPI_MAX_CPUS);
	assert_int_equal(out.lapic_id[0], 0);
	assert_int_equal(out.lapic_id[1], 6);                /* ids 2 and 4 left out */
	assert_int_equal(out.lapic_id[ACPI_MAX_CPUS - 1], 2 * (ACPI_MAX_CPUS + 1));
}

/* A bad entry ends the walk; what came before it stands. */
static void test_bad_entries(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	for (unsigned bad = 0; bad < 2; bad++) {        /* length 0, then 1 */
		madt_start(&t);
		ioapic(&t, 0, 0xfec00000, 0);
		iso(&t, 0, 2, 0);
		put(&t, 2, 1); put(&t, bad, 1); put(&t, 0, 8);
		iso(&t, 9, 9, 0xd);
		seal(&t);
		assert_int_equal(run(&t, &out), 0);
		assert_int_equal(out.ioapic_phys, 0xfec00000);
		assert_int_equal(out.noverride, 1);
		assert_int_equal(out.override[0].gsi, 2);
	}
	/* An override claiming 10 bytes with 4 left in the table. */
	madt_start(&t);
	ioapic(&t, 0, 0xfec00000, 0);
	iso(&t, 0, 2, 0);
	put(&t, 2, 1); put(&t, 10, 1); put(&t, 0, 1); put(&t, 5, 1);
	seal(&t);
	assert_int_equal(run(&t, &out), 0);
	assert_int_equal(out.noverride, 1);
	/* A length field shorter than the buffer bounds the walk. */
	madt_start(&t);
	ioapic(&t, 0, 0xfec00000, 0);
	uint32_t cut = (uint32_t)t.n + 9;
	iso(&t, 0, 2, 0);
	seal(&t);
	set32(t.b + 4, cut);
	assert_int_equal(run(&t, &out), 0);
	assert_int_equal(out.noverride, 0);
	/* An I/O APIC entry cut short (length 11) is not one. */
	madt_start(&t);
	put(&t, 1, 1); put(&t, 11, 1); put(&t, 0, 2); put(&t, 0xfeb00000, 4); put(&t, 7, 3);
	ioapic(&t, 1, 0xfec01000, 24);
	seal(&t);
	assert_int_equal(run(&t, &out), 0);
	assert_int_equal(out.ioapic_phys, 0xfec01000);
	assert_int_equal(out.ioapic_gsi_base, 24);
}

static void test_two_ioapics_many_overrides(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	madt_start(&t);
	for (unsigned i = 0; i < ACPI_MAX_OVERRIDES + 4; i++) {
		iso(&t, (uint8_t)i, 100 + i, (uint16_t)i);
		if (i == ACPI_MAX_OVERRIDES + 1) {      /* seen after the limit */
			ioapic(&t, 0, 0xfec00000, 0);
			ioapic(&t, 1, 0xfec01000, 24);
		}
	}
	seal(&t);
	assert_int_equal(run(&t, &out), 0);
	assert_int_equal(out.ioapic_phys, 0xfec00000);  /* the first wins */
	assert_int_equal(out.ioapic_gsi_base, 0);
	assert_int_equal(out.noverride, ACPI_MAX_OVERRIDES);
	for (unsigned i = 0; i < ACPI_MAX_OVERRIDES; i++) {
		assert_int_equal(out.override[i].isa_irq, i);
		assert_int_equal(out.override[i].gsi, 100 + i);
		assert_int_equal(out.override[i].flags, i);
	}
}

/* Unmappable, oversized, short and too-long tables are skipped. */
static void test_skipped_tables(void **state)
{
	(void)state;
	struct blob good, lying, small;
	struct acpi_madt out;
	madt_start(&good);
	ioapic(&good, 0, 0xfec00000, 0);
	seal(&good);
	madt_start(&lying);             /* length field past its region */
	ioapic(&lying, 0, 0x11110000, 0);
	seal(&lying);
	set32(lying.b + 4, (uint32_t)lying.n + 1);
	sdt(&small, "APIC");            /* an "APIC" of 40 < 44 bytes */
	put(&small, 0xfee00000, 4);
	seal(&small);
	static const uint32_t addr[] = { 0xdead000, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000 };
	add_rsdt(RSDT_PHYS, addr, 6);
	add(0x1000, good.b, 20);        /* not even a header's worth */
	add(0x2000, lying.b, lying.n);
	add(0x3000, small.b, small.n);
	add_dummy(0x4000, "SSDT", 30);  /* length < 36 */
	add(0x5000, good.b, good.n);
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), 0);
	assert_int_equal(out.ioapic_phys, 0xfec00000);
}

/* Only the first 64 RSDT entries are looked at, and no table past a hit. */
static void test_many_rsdt_entries(void **state)
{
	(void)state;
	struct blob t;
	struct acpi_madt out;
	madt_start(&t);
	ioapic(&t, 0, 0xfec00000, 0);
	seal(&t);
	uint32_t addr[100];
	for (unsigned i = 0; i < 100; i++)
		addr[i] = 0x100000 + 0x1000 * i;    /* unmapped unless added */
	add_rsdt(RSDT_PHYS, addr, 100);
	add(addr[10], t.b, t.n);
	add(addr[70], t.b, t.n);
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), 0);
	assert_int_equal(out.ioapic_phys, 0xfec00000);
	/* RSDT twice, entries 0-9 once each (refused), entry 10 twice. */
	assert_int_equal(mem.ncall, 14);
	for (unsigned i = 0; i < 11; i++)
		assert_int_equal(mem.call[2 + i], addr[i]);
	assert_int_equal(mem.call[13], addr[10]);
	/* Without entry 10, the MADT at entry 70 is past the bound. */
	mem.r[1].phys = 0x90000000;
	assert_int_equal(parse(RSDT_PHYS, 20, RSDP, &out), -AION_ENOENT);
	assert_int_equal(mem.ncall, 2 + 64);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(mem.call[2 + i], addr[i]);
}

/* Random bytes of the RSDT and MADT (in exact-size buffers) rewritten. */
static void test_mutations(void **state)
{
	(void)state;
	struct blob t;
	qemu_madt(&t);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned accepted = 0;
	for (unsigned it = 0; it < 20000; it++) {
		qemu(&t);
		unsigned flips = 1 + (unsigned)(xorshift64(&seed) % 4);
		for (unsigned f = 0; f < flips; f++) {
			uint64_t r = xorshift64(&seed);
			struct region *g = &mem.r[(r & 1) ? 2 : 0];
			size_t at = (size_t)((r >> 8) % g->size);
			if ((r >> 1) & 1)
				g->buf[at] ^= (uint8_t)(1u << ((r >> 40) & 7));
			else
				g->buf[at] = (uint8_t)(r >> 48);
		}
		struct acpi_madt out;
		int ret = parse(RSDT_PHYS, 20, RSDP, &out);
		if (ret == 0) {
			accepted++;
			assert_int_not_equal(out.ioapic_phys, 0);
			assert_true(out.noverride <= ACPI_MAX_OVERRIDES);
		} else {
			assert_true(ret == -AION_ENOENT || ret == -AION_EMALFORMED);
		}
		release();
	}
	assert_true(accepted > 1000);   /* the loop does reach the entry walk */
}

/* ---- FADT power blocks and the DSDT's \_S5 ---- */

#define DSDT_PHYS 0x7fe0040

/* RSDT (FACP, APIC), the FADT and the DSDT; parse both, free. The DSDT
 * result goes to *s5_err (or -1000 when the FADT named none). */
static int power(const struct blob *f, const struct blob *d, struct aion_acpi_power *out,
		 int *s5_err)
{
	static const uint32_t addr[] = { FACP_PHYS, MADT_PHYS };
	struct blob madt;
	uint64_t dsdt;
	madt_start(&madt);
	ioapic(&madt, 0, 0xfec00000, 0);
	seal(&madt);
	add_rsdt(RSDT_PHYS, addr, 2);
	add(FACP_PHYS, f->b, f->n);
	add(MADT_PHYS, madt.b, madt.n);
	if (d)
		add(DSDT_PHYS, d->b, d->n);
	uint8_t *p = rsdp_new(RSDT_PHYS, 20, RSDP);
	memset(out, 0xa5, sizeof(*out));
	int ret = acpi_parse_fadt(p, 20, map, &mem, out, &dsdt);
	*s5_err = -1000;
	if (!ret && dsdt) {
		uint8_t typ = 0xee;
		*s5_err = acpi_find_s5(dsdt, map, &mem, &typ);
		if (!*s5_err)
			out->s5_slp_typ = typ;
		else
			assert_int_equal(typ, 0xee);    /* untouched on failure */
	}
	free(p);
	release();
	return ret;
}

static void test_fadt_qemu(void **state)
{
	(void)state;
	struct blob f, d;
	struct aion_acpi_power out;
	int s5;
	qemu_fadt(&f, 116, DSDT_PHYS);
	qemu_dsdt(&d, s5_zero, sizeof(s5_zero));
	const struct aion_acpi_power want = {
		.flags = AION_ACPI_PM1, .pm1a_evt = 0x600, .pm1a_cnt = 0x604, .pm1_evt_len = 4,
		.pm1_cnt_len = 2, .acpi_enable = 0xf1, .s5_slp_typ = 0, .smi_cmd = 0xb2,
		.sci_line = 9,
	};
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(s5, 0);
	_Static_assert(sizeof(want) == 16, "compared as bytes: no padding");
	assert_memory_equal(&out, &want, sizeof(want));
	/* A revision-3 FADT (244 bytes) with its X_ fields left zero: the same. */
	qemu_fadt(&f, 244, DSDT_PHYS);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(out.pm1a_evt, 0x600);
	assert_int_equal(s5, 0);
	/* No SMI command port: a machine always in ACPI mode. */
	put_at(&f, 48, 0, 4);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(out.smi_cmd, 0);
}

/* Set X_ fields win over the 32-bit ones; only I/O space will do. */
static void test_fadt_x_fields(void **state)
{
	(void)state;
	struct blob f, d;
	struct aion_acpi_power out;
	int s5;
	static const uint8_t s5_five[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
					   0x0a, 0x05, 0x0a, 0x05 };
	qemu_fadt(&f, 244, DSDT_PHYS);
	gas(&f, 148, 1, 32, 0xb000);   /* X_PM1a_EVT_BLK */
	gas(&f, 172, 1, 16, 0xb004);   /* X_PM1a_CNT_BLK */
	put_at(&f, 140, DSDT_PHYS, 8); /* X_DSDT */
	put_at(&f, 40, 0xdead000, 4);  /* the 32-bit DSDT is ignored then */
	qemu_dsdt(&d, s5_five, sizeof(s5_five));
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(out.pm1a_evt, 0xb000);
	assert_int_equal(out.pm1a_cnt, 0xb004);
	assert_int_equal(s5, 0);
	assert_int_equal(out.s5_slp_typ, 5);
	gas(&f, 172, 0, 16, 0xfed00000);  /* control block in memory space */
	assert_int_equal(power(&f, &d, &out, &s5), -AION_ENOENT);
	assert_int_equal(out.flags, 0);
	gas(&f, 172, 1, 16, 0x1fffe);     /* beyond the 64 Ki ports */
	assert_int_equal(power(&f, &d, &out, &s5), -AION_EMALFORMED);
	/* An FADT too short for the X_ fields does not read them. */
	qemu_fadt(&f, 150, DSDT_PHYS);
	put_at(&f, 148, 1, 1);
	put_at(&f, 149, 32, 1);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(out.pm1a_evt, 0x600);
	assert_int_equal(s5, 0);
	assert_int_equal(out.s5_slp_typ, 5);
}

static void test_fadt_errors(void **state)
{
	(void)state;
	struct blob f, d;
	struct aion_acpi_power out;
	int s5;
	qemu_dsdt(&d, s5_zero, sizeof(s5_zero));
	qemu_fadt(&f, 115, DSDT_PHYS);             /* shorter than ACPI 1.0's: passed over */
	assert_int_equal(power(&f, &d, &out, &s5), -AION_ENOENT);
	assert_int_equal(out.flags, 0);
	assert_int_equal(s5, -1000);
	static const struct { size_t off; uint64_t v; unsigned w; int want; } bad[] = {
		{ 88, 0, 1, -AION_EMALFORMED },         /* event block length 0 */
		{ 88, 2, 1, -AION_EMALFORMED },         /* below 4 */
		{ 88, 3, 1, -AION_EMALFORMED },
		{ 88, 5, 1, -AION_EMALFORMED },         /* odd: no two halves */
		{ 89, 1, 1, -AION_EMALFORMED },         /* control block of 1 */
		{ 48, 0x10000, 4, -AION_EMALFORMED },   /* SMI port beyond 64 Ki */
		{ 56, 0, 4, -AION_ENOENT },             /* no event block: reduced HW */
		{ 64, 0, 4, -AION_ENOENT },             /* no control block */
		{ 56, 0xfffe, 4, -AION_EMALFORMED },    /* 4 ports past 0xffff */
		{ 64, 0xffff, 4, -AION_EMALFORMED },
		{ 56, 0xfffc, 4, 0 },                   /* exactly fits */
		{ 64, 0xfffe, 4, 0 },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		qemu_fadt(&f, 116, DSDT_PHYS);
		put_at(&f, bad[i].off, bad[i].v, bad[i].w);
		assert_int_equal(power(&f, &d, &out, &s5), bad[i].want);
		assert_int_equal(out.flags, bad[i].want ? 0 : AION_ACPI_PM1);
	}
	/* No DSDT in the FADT; one that cannot be mapped; a wrong signature;
	 * a length past what the map shows. */
	qemu_fadt(&f, 116, DSDT_PHYS);
	put_at(&f, 40, 0, 4);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(s5, -1000);
	assert_int_equal(acpi_find_s5(0, map, &mem, &out.s5_slp_typ), -AION_ENOENT);
	qemu_fadt(&f, 116, DSDT_PHYS);
	assert_int_equal(power(&f, NULL, &out, &s5), 0);
	assert_int_equal(s5, -AION_EMALFORMED);
	memcpy(d.b, "SSDT", 4);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(s5, -AION_EMALFORMED);
	qemu_dsdt(&d, s5_zero, sizeof(s5_zero));
	set32(d.b + 4, (uint32_t)d.n + 1);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(s5, -AION_EMALFORMED);
}

/* The DSDT holding one \_S5 candidate (bytes), after a string and \_S3. */
static int s5_of(const uint8_t *bytes, size_t n, uint8_t *typ)
{
	struct blob f, d;
	struct aion_acpi_power out;
	int s5;
	qemu_fadt(&f, 116, DSDT_PHYS);
	qemu_dsdt(&d, bytes, n);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	*typ = out.s5_slp_typ;
	return s5;
}

#define S5(...) ((const uint8_t[]){ 0x08, '_', 'S', '5', '_', __VA_ARGS__ })
#define S5_LEN(...) (5 + sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define CHECK_S5(want, typ_want, ...) do { \
		uint8_t typ; \
		assert_int_equal(s5_of(S5(__VA_ARGS__), S5_LEN(__VA_ARGS__), &typ), want); \
		if (!(want)) \
			assert_int_equal(typ, typ_want); \
	} while (0)

static void test_s5_forms(void **state)
{
	(void)state;
	uint8_t typ;
	CHECK_S5(0, 1, 0x12, 0x06, 0x04, 0x01, 0x00, 0x00, 0x00);       /* One */
	CHECK_S5(0, 7, 0x12, 0x04, 0x02, 0x0a, 0x07);                   /* BytePrefix */
	CHECK_S5(0, 6, 0x12, 0x05, 0x01, 0x0b, 0x06, 0x00);             /* WordPrefix */
	CHECK_S5(0, 3, 0x12, 0x07, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00); /* DWordPrefix */
	/* A two-byte PkgLength (lead 0x40: one more byte, low nibble 6). */
	CHECK_S5(0, 2, 0x12, 0x46, 0x00, 0x04, 0x0a, 0x02, 0x00, 0x00);
	/* Root prefix: Name (\_S5, ...). */
	static const uint8_t rooted[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x04, 0x01,
					  0x0a, 0x04 };
	assert_int_equal(s5_of(rooted, sizeof(rooted), &typ), 0);
	assert_int_equal(typ, 4);
	/* Not a Name: a name path segment; the first real one still counts. */
	static const uint8_t path[] = { 0x2e, '_', 'S', 'B', '_', '_', 'S', '5', '_', 0x08, '_',
					'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x03 };
	assert_int_equal(s5_of(path, sizeof(path), &typ), 0);
	assert_int_equal(typ, 3);
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x04, 0x01, 0x0a, 0x08);    /* above 7 */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x03, 0x01, 0xff);          /* Ones */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x03, 0x00, 0x00);          /* no elements */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x02, 0x01);                /* too short */
	CHECK_S5(-AION_EMALFORMED, 0, 0x13, 0x03, 0x01, 0x00);          /* not a Package */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x03, 0x01, 0x0a);          /* byte cut off */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x04, 0x01, 0x0c, 0x01);    /* dword cut off */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0x07, 0x01, 0x00);          /* past the table */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12, 0xc0, 0x00, 0x00);          /* 4-byte length cut */
	CHECK_S5(-AION_EMALFORMED, 0, 0x12);                            /* at the very end */
	CHECK_S5(-AION_EMALFORMED, 0);
	static const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x03, 0x01, 0x00 };
	assert_int_equal(s5_of(none, sizeof(none), &typ), -AION_ENOENT);
	/* "_S5_" in the header's bytes (OEM table id) is not looked at. */
	struct blob f, d;
	struct aion_acpi_power out;
	int s5;
	qemu_fadt(&f, 116, DSDT_PHYS);
	qemu_dsdt(&d, none, sizeof(none));
	memcpy(d.b + 31, "\x08_S5_", 5);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(s5, -AION_ENOENT);
	/* Nor is the header's last byte a NameOp before a root prefix. */
	sdt(&d, "DSDT");
	d.b[35] = 0x08;
	aml(&d, rooted + 1, sizeof(rooted) - 1);
	seal(&d);
	assert_int_equal(power(&f, &d, &out, &s5), 0);
	assert_int_equal(s5, -AION_ENOENT);
}

/* Random bytes of the FADT and the DSDT (exact-size buffers) rewritten. */
static void test_power_mutations(void **state)
{
	(void)state;
	struct blob f0, d0;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned pm1 = 0, s5_ok = 0;
	qemu_fadt(&f0, 244, DSDT_PHYS);
	qemu_dsdt(&d0, s5_zero, sizeof(s5_zero));
	for (unsigned it = 0; it < 20000; it++) {
		struct blob f = f0, d = d0;
		unsigned flips = 1 + (unsigned)(xorshift64(&seed) % 3);
		for (unsigned k = 0; k < flips; k++) {
			uint64_t r = xorshift64(&seed);
			struct blob *g = (r & 1) ? &d : &f;
			size_t at = (size_t)((r >> 8) % g->n);
			g->b[at] = (r >> 1) & 1 ? g->b[at] ^ (uint8_t)(1u << ((r >> 40) & 7)) :
				   (uint8_t)(r >> 48);
		}
		struct aion_acpi_power out;
		int s5;
		int ret = power(&f, &d, &out, &s5);
		if (ret) {
			assert_true(ret == -AION_ENOENT || ret == -AION_EMALFORMED);
			assert_int_equal(out.flags, 0);
			continue;
		}
		pm1++;
		assert_int_equal(out.flags, AION_ACPI_PM1);
		assert_true(out.pm1_evt_len >= 4 && !(out.pm1_evt_len & 1) && out.pm1_cnt_len >= 2);
		assert_true(out.pm1a_evt + out.pm1_evt_len <= 0x10000u);
		assert_true(out.pm1a_cnt + out.pm1_cnt_len <= 0x10000u);
		assert_true(s5 == 0 || s5 == -AION_ENOENT || s5 == -AION_EMALFORMED || s5 == -1000);
		if (s5 == 0) {
			s5_ok++;
			assert_true(out.s5_slp_typ <= 7);
		}
	}
	assert_true(pm1 > 1000 && s5_ok > 1000);        /* both parsers were reached */
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qemu_layout),
		T(test_rsdp_errors),
		T(test_rsdp_full_signature),
		T(test_rsdt_errors),
		T(test_no_madt_or_ioapic),
		T(test_bad_entries),
		T(test_processors),
		T(test_two_ioapics_many_overrides),
		T(test_skipped_tables),
		T(test_many_rsdt_entries),
		T(test_mutations),
		T(test_fadt_qemu),
		T(test_fadt_x_fields),
		T(test_fadt_errors),
		T(test_s5_forms),
		T(test_power_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
