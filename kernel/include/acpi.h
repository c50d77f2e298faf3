/*
 * The little of ACPI the kernel needs: the MADT's processors (local APIC
 * IDs), its I/O APIC and ISA interrupt overrides, and for init the FADT's power management blocks and
 * the DSDT's soft-off sleep type, all found from the RSDP that GRUB copied
 * into the boot information. Pure and bounded: every table length is
 * checked against what the map callback can show.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdint.h>
#include "aion/bootinfo.h"

#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_CPUS   16      /* processors listed beyond this are ignored */

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
	unsigned ncpu;                  /* enabled processors, in table order */
	uint8_t lapic_id[ACPI_MAX_CPUS];
};

/* Returns a readable view of [phys, phys+len), or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t phys, uint64_t len, void *ctx);

/* -AION_ENOENT without an RSDT or MADT or I/O APIC; -AION_EMALFORMED on bad lengths. */
int acpi_parse_madt(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map,
		    void *ctx, struct acpi_madt *out);

/*
 * The FADT's PM1a event and control blocks (I/O ports), SCI (its ISA IRQ
 * in out->sci_line, for the caller to map through the MADT's overrides),
 * SMI command port and ACPI-enable value; sets AION_ACPI_PM1 in out->flags.
 * *dsdt: the DSDT's address (0: none). -AION_ENOENT without an FADT or
 * with power blocks outside I/O space (hardware-reduced ACPI);
 * -AION_EMALFORMED on bad lengths or port ranges.
 */
int acpi_parse_fadt(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map,
		    void *ctx, struct aion_acpi_power *out, uint64_t *dsdt);

/*
 * SLP_TYPa of the DSDT's `Name (_S5, Package () { a, ... })`, the value to
 * write to PM1a_CNT for soft-off. -AION_ENOENT without a DSDT or \_S5;
 * -AION_EMALFORMED on bad lengths or a package that does not start with
 * an integer from 0 to 7.
 */
int acpi_find_s5(uint64_t dsdt, acpi_map_fn map, void *ctx, uint8_t *slp_typ);

#endif /* KERNEL_ACPI_H */
