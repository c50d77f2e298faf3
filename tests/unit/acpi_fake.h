/*
 * Fake physical memory and ACPI table builders for test_acpi.c.
 *
 * Physical memory is a few regions, each a buffer malloc'ed at exactly the
 * size of what it holds; acpi_map hands out a pointer only when
 * [phys, phys+len) lies inside one region, so AddressSanitizer flags any
 * read past what the map allowed. Every map request is recorded in order.
 */
#ifndef TEST_ACPI_FAKE_H
#define TEST_ACPI_FAKE_H

#include <stddef.h>
#include <stdint.h>

#define MAXREG 8
#define MAXCALL 256

struct region {
	uint64_t phys;
	size_t size;
	uint8_t *buf;
};

extern struct mem {
	struct region r[MAXREG];
	unsigned n, ncall;
	uint64_t call[MAXCALL];
} mem;

/* The map callback of the parsers; ctx must be &mem. */
const void *map(uint64_t phys, uint64_t len, void *ctx);
/* A region holding a copy of data; release() frees them all. */
void add(uint64_t phys, const void *data, size_t size);
void release(void);
void set32(uint8_t *p, uint32_t v);

/* A table being written: a 36-byte header, then bytes appended little-endian. */
struct blob {
	uint8_t b[1024];
	size_t n;
};

void put(struct blob *t, uint64_t v, unsigned width);
/* Writes v at byte off (inside the table's written part or just past it). */
void put_at(struct blob *t, size_t off, uint64_t v, unsigned width);
void sdt(struct blob *t, const char *sig);
void seal(struct blob *t);              /* length field = bytes written */
void add_rsdt(uint64_t phys, const uint32_t *addr, unsigned n);
void add_dummy(uint64_t phys, const char *sig, size_t len);
/* A v1 RSDP with signature sig naming the RSDT at rsdt, malloc'ed at
 * exactly len bytes (cut or zero-padded); the caller frees it. */
uint8_t *rsdp_new(uint32_t rsdt, unsigned len, const char *sig);

/* MADT pieces: header (local APIC address, flags), an I/O APIC, an override. */
void madt_start(struct blob *t);
void ioapic(struct blob *t, uint8_t id, uint32_t addr, uint32_t gsi);
void iso(struct blob *t, uint8_t irq, uint32_t gsi, uint16_t flags);
/* QEMU's i440fx MADT: two local APICs, I/O APIC, five overrides, LAPIC NMI. */
void qemu_madt(struct blob *t);
/* QEMU's pc FADT, len bytes (116: revision 1; 244: revision 3, X_ fields 0):
 * PM1a at 0x600 (4) and 0x604 (2), SCI 9, SMI 0xb2/0xf1, the DSDT at dsdt. */
void qemu_fadt(struct blob *t, size_t len, uint32_t dsdt);
/* A Generic Address Structure at off: space, bit width, address. */
void gas(struct blob *t, size_t off, uint8_t space, uint8_t bits, uint64_t addr);
void aml(struct blob *t, const uint8_t *bytes, size_t n);
/* A DSDT shaped like QEMU's: a string holding "_S5_", \_S3, then the n
 * bytes of s5 (a \_S5 candidate). */
void qemu_dsdt(struct blob *t, const uint8_t *s5, size_t n);
/* QEMU's Name (_S5, Package (4) { Zero, Zero, Zero, Zero }). */
extern const uint8_t s5_zero[12];

#endif /* TEST_ACPI_FAKE_H */
