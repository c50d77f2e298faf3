/*
 * Host tests for the MADT finder (kernel/lib/acpi.c).
 *
 * Physical memory is faked by a few regions, each a buffer malloc'ed at
 * exactly the size of what it holds; the map callback hands out a pointer
 * only when [phys, phys+len) lies inside one region, so AddressSanitizer
 * flags any read past what map allowed. Each defect has its own expected
 * result; a deterministic mutation loop then checks that no input trips
 * the sanitizers and that accepted tables are sound.
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
#include "xorshift.h"

#define MAXREG 8
#define MAXCALL 256
#define RSDT_PHYS 0x7fe14d0
#define FACP_PHYS 0x7fe1000
#define MADT_PHYS 0x7fe2000
#define HPET_PHYS 0x7fe3000
#define RSDP "RSD PTR "

/* Fake physical memory, and the phys of every map request, in order. */
struct region {
	uint64_t phys;
	size_t size;
	uint8_t *buf;
};
static struct mem {
	struct region r[MAXREG];
	unsigned n, ncall;
	uint64_t call[MAXCALL];
} mem;

static const void *map(uint64_t phys, uint64_t len, void *ctx)
{
	struct mem *m = ctx;
	assert_ptr_equal(m, &mem);
	if (m->ncall < MAXCALL)
		m->call[m->ncall] = phys;
	m->ncall++;
	for (unsigned i = 0; i < m->n; i++)
		if (phys >= m->r[i].phys && len <= m->r[i].size &&
		    phys - m->r[i].phys <= m->r[i].size - len)
			return m->r[i].buf + (phys - m->r[i].phys);
	return NULL;
}

static void add(uint64_t phys, const void *data, size_t size)
{
	uint8_t *b = malloc(size);
	assert_true(mem.n < MAXREG && b);
	memcpy(b, data, size);
	mem.r[mem.n++] = (struct region){ phys, size, b };
}

static void release(void)
{
	while (mem.n)
		free(mem.r[--mem.n].buf);
}

static void set32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A table being written: a 36-byte header, then bytes appended little-endian. */
struct blob {
	uint8_t b[1024];
	size_t n;
};

static void put(struct blob *t, uint64_t v, unsigned width)
{
	assert_true(width <= 8 && t->n + width <= sizeof(t->b));
	for (unsigned i = 0; i < width; i++)
		t->b[t->n++] = (uint8_t)(v >> (8 * i));
}

static void sdt(struct blob *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	memcpy(t->b + 10, "BOCHS BXPC    ", 14);   /* OEM id, table id */
	t->n = 36;
}

static void seal(struct blob *t)        /* length field = bytes written */
{
	set32(t->b + 4, (uint32_t)t->n);
}

static void madt_start(struct blob *t)
{
	sdt(t, "APIC");
	put(t, 0xfee00000, 4);          /* local APIC address */
	put(t, 1, 4);                   /* flags: PCAT_COMPAT */
}

static void ioapic(struct blob *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	put(t, 1, 1); put(t, 12, 1); put(t, id, 1); put(t, 0, 1); put(t, addr, 4); put(t, gsi, 4);
}

static void iso(struct blob *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	put(t, 2, 1); put(t, 10, 1); put(t, 0, 1); put(t, irq, 1); put(t, gsi, 4); put(t, flags, 2);
}

static void add_rsdt(uint64_t phys, const uint32_t *addr, unsigned n)
{
	struct blob t;
	sdt(&t, "RSDT");
	for (unsigned i = 0; i < n; i++)
		put(&t, addr[i], 4);
	seal(&t);
	add(phys, t.b, t.n);
}

static void add_dummy(uint64_t phys, const char *sig, size_t len)
{
	struct blob t;
	sdt(&t, sig);
	t.n = len;
	seal(&t);
	add(phys, t.b, t.n);
}

/* The RSDP is passed by pointer, malloc'ed at exactly len bytes. */
static int parse(uint32_t rsdt, unsigned len, const char *sig, struct acpi_madt *out)
{
	uint8_t v1[20] = { 0 };
	memcpy(v1, sig, 8);
	memcpy(v1 + 9, "BOCHS ", 6);
	set32(v1 + 16, rsdt);
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, v1, len < 20 ? len : 20);
	mem.ncall = 0;
	int ret = acpi_parse_madt(p, len, map, &mem, out);
	free(p);
	return ret;
}

/* QEMU's i440fx MADT: two local APICs, I/O APIC, five overrides, LAPIC NMI. */
static void qemu_madt(struct blob *t)
{
	madt_start(t);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		put(t, 0, 1); put(t, 8, 1); put(t, cpu, 1); put(t, cpu, 1); put(t, 1, 4);
	}
	ioapic(t, 0, 0xfec00000, 0);
	iso(t, 0, 2, 0);
	iso(t, 5, 5, 0xd);
	iso(t, 9, 9, 0xd);
	iso(t, 10, 10, 0xd);
	iso(t, 11, 11, 0xd);
	put(t, 4, 1); put(t, 6, 1); put(t, 0xff, 1); put(t, 0, 2); put(t, 1, 1);
	seal(t);
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
		T(test_two_ioapics_many_overrides),
		T(test_skipped_tables),
		T(test_many_rsdt_entries),
		T(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
