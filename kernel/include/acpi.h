/*
 * The little of ACPI the kernel needs: the MADT's I/O APIC and its ISA
 * interrupt overrides, found from the RSDP that GRUB copied into the boot
 * information. Pure and bounded: every table length is checked against
 * what the map callback can show.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdint.h>

#define ACPI_MAX_OVERRIDES 16

struct acpi_irq_override {
	uint8_t isa_irq;
	uint32_t gsi;
	uint16_t flags;                 /* MPS INTI: polarity bits 0-1, trigger 2-3 */
};

struct acpi_madt {
	uint64_t ioapic_phys;
	uint32_t ioapic_gsi_base;
	unsigned noverride;
	struct acpi_irq_override override[ACPI_MAX_OVERRIDES];
};

/* Returns a readable view of [phys, phys+len), or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t phys, uint64_t len, void *ctx);

/* -AION_ENOENT without an RSDT or MADT or I/O APIC; -AION_EMALFORMED on bad lengths. */
int acpi_parse_madt(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map,
		    void *ctx, struct acpi_madt *out);

#endif /* KERNEL_ACPI_H */
