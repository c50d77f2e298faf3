/* Fake physical memory and table builders for test_acpi.c (acpi_fake.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi_fake.h"

struct mem mem;

const void *map(uint64_t phys, uint64_t len, void *ctx)
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

void add(uint64_t phys, const void *data, size_t size)
{
	uint8_t *b = malloc(size);
	assert_true(mem.n < MAXREG && b);
	memcpy(b, data, size);
	mem.r[mem.n++] = (struct region){ phys, size, b };
}

void release(void)
{
	while (mem.n)
		free(mem.r[--mem.n].buf);
}

void set32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void put(struct blob *t, uint64_t v, unsigned width)
{
	assert_true(width <= 8 && t->n + width <= sizeof(t->b));
	for (unsigned i = 0; i < width; i++)
		t->b[t->n++] = (uint8_t)(v >> (8 * i));
}

void put_at(struct blob *t, size_t off, uint64_t v, unsigned width)
{
	size_t end = t->n;
	assert_true(off <= end);
	t->n = off;
	put(t, v, width);
	if (t->n < end)
		t->n = end;
}

void sdt(struct blob *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	memcpy(t->b + 10, "BOCHS BXPC    ", 14);   /* OEM id, table id */
	t->n = 36;
}

void seal(struct blob *t)
{
	set32(t->b + 4, (uint32_t)t->n);
}

void add_rsdt(uint64_t phys, const uint32_t *addr, unsigned n)
{
	struct blob t;
	sdt(&t, "RSDT");
	for (unsigned i = 0; i < n; i++)
		put(&t, addr[i], 4);
	seal(&t);
	add(phys, t.b, t.n);
}

void add_dummy(uint64_t phys, const char *sig, size_t len)
{
	struct blob t;
	sdt(&t, sig);
	t.n = len;
	seal(&t);
	add(phys, t.b, t.n);
}

uint8_t *rsdp_new(uint32_t rsdt, unsigned len, const char *sig)
{
	uint8_t v1[20] = { 0 };
	memcpy(v1, sig, 8);
	memcpy(v1 + 9, "BOCHS ", 6);
	set32(v1 + 16, rsdt);
	uint8_t *p = calloc(1, len ? len : 1);
	assert_non_null(p);
	memcpy(p, v1, len < 20 ? len : 20);
	return p;
}

void madt_start(struct blob *t)
{
	sdt(t, "APIC");
	put(t, 0xfee00000, 4);          /* local APIC address */
	put(t, 1, 4);                   /* flags: PCAT_COMPAT */
}

void ioapic(struct blob *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	put(t, 1, 1); put(t, 12, 1); put(t, id, 1); put(t, 0, 1); put(t, addr, 4); put(t, gsi, 4);
}

void iso(struct blob *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	put(t, 2, 1); put(t, 10, 1); put(t, 0, 1); put(t, irq, 1); put(t, gsi, 4); put(t, flags, 2);
}

void qemu_fadt(struct blob *t, size_t len, uint32_t dsdt)
{
	sdt(t, "FACP");
	t->n = len;                     /* sdt() zeroed the rest */
	put_at(t, 40, dsdt, 4);
	put_at(t, 46, 9, 2);            /* SCI_INT */
	put_at(t, 48, 0xb2, 4);         /* SMI_CMD */
	put_at(t, 52, 0xf1, 1);         /* ACPI_ENABLE */
	put_at(t, 53, 0xf0, 1);         /* ACPI_DISABLE */
	put_at(t, 56, 0x600, 4);        /* PM1a_EVT_BLK */
	put_at(t, 64, 0x604, 4);        /* PM1a_CNT_BLK */
	put_at(t, 76, 0x608, 4);        /* PM_TMR_BLK */
	put_at(t, 88, 4, 1);            /* PM1_EVT_LEN */
	put_at(t, 89, 2, 1);            /* PM1_CNT_LEN */
	put_at(t, 91, 4, 1);            /* PM_TMR_LEN */
	seal(t);
}

void gas(struct blob *t, size_t off, uint8_t space, uint8_t bits, uint64_t addr)
{
	put_at(t, off, space, 1);
	put_at(t, off + 1, bits, 1);
	put_at(t, off + 2, 0, 2);
	put_at(t, off + 4, addr, 8);
}

void aml(struct blob *t, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(t, bytes[i], 1);
}

void qemu_madt(struct blob *t)
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

static const uint8_t s5_string[] = { 0x0d, '_', 'S', '5', '_', 0x00 };
static const uint8_t s3[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00 };
const uint8_t s5_zero[12] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };

void qemu_dsdt(struct blob *t, const uint8_t *s5, size_t n)
{
	sdt(t, "DSDT");
	aml(t, s5_string, sizeof(s5_string));
	aml(t, s3, sizeof(s3));
	aml(t, s5, n);
	seal(t);
}
