/*
 * The I/O APIC: device interrupt lines (GSIs) to vectors
 * IRQ_VECTOR_BASE + line, found through the ACPI MADT. A line is masked
 * from the moment it fires until its driver acknowledges it. The ACPI
 * power facts for init are read here too: their SCI needs the MADT's
 * overrides, and both use the same table mapping. Message-signalled lines
 * (vectors VEC_MSI_BASE + k) skip the I/O APIC: the device writes the
 * vector to the boot CPU's local APIC itself.
 */
#include "acpi.h"
#include "aion/object.h"
#include "aion/error.h"
#include "arch.h"
#include "arch/paging.h"
#include "arch/smp.h"
#include "arch/timer.h"
#include "arch/trap.h"
#include "layout.h"
#include "log.h"
#include "memory.h"

#define IOREGSEL        0x00
#define IOWIN           0x10
#define IOAPICVER       0x01
#define REDTBL(n)       (0x10 + 2 * (n))
#define RED_MASKED      (1u << 16)
#define RED_LEVEL       (1u << 15)
#define RED_LOW         (1u << 13)
#define MSI_ADDRESS     0xfee00000u     /* + destination APIC id << 12; fixed, physical */

static volatile uint32_t *ioapic;
static uint32_t nlines;
static struct acpi_madt madt;
static uint32_t boot_lapic;             /* where I/O APIC lines and messages go */

static uint32_t rd(uint32_t reg)
{
	ioapic[IOREGSEL / 4] = reg;
	return ioapic[IOWIN / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	ioapic[IOREGSEL / 4] = reg;
	ioapic[IOWIN / 4] = v;
}

const struct acpi_madt *arch_madt(void)
{
	return madt.ioapic_phys ? &madt : NULL;
}

static const void *acpi_map(uint64_t phys, uint64_t len, void *ctx)
{
	void *v;
	(void)ctx;
	/* QEMU keeps its tables in "reserved" ranges: map them like MMIO. */
	return arch_map_mmio(phys, len, &v) ? NULL : v;
}

/* ISA lines are edge/high unless the MADT overrides; PCI lines level/low. */
static uint32_t line_mode(uint32_t line)
{
	for (unsigned i = 0; i < madt.noverride; i++) {
		if (madt.override[i].gsi != line)
			continue;
		uint16_t f = madt.override[i].flags;
		return ((f & 3) == 3 ? RED_LOW : 0) | (((f >> 2) & 3) == 3 ? RED_LEVEL : 0);
	}
	return line < 16 ? 0 : RED_LEVEL | RED_LOW;
}

int arch_irq_init(const uint8_t *rsdp, unsigned rsdp_len)
{
	void *regs;
	boot_lapic = lapic_id();
	int err = acpi_parse_madt(rsdp, rsdp_len, acpi_map, NULL, &madt);
	if (!err)
		err = arch_map_mmio(madt.ioapic_phys, 4096, &regs);
	if (err)
		return err;
	ioapic = regs;
	nlines = ((rd(IOAPICVER) >> 16) & 0xff) + 1;
	if (nlines > IRQ_LINES_MAX)
		nlines = IRQ_LINES_MAX;
	/* Physical destination, once: the boot CPU's LAPIC. Masking then
	 * writes the low half alone: each register access is two MMIO
	 * writes, an exit to the emulator under TCG, twice per interrupt. */
	uint32_t dest = boot_lapic << 24;
	for (uint32_t l = 0; l < nlines; l++) {
		wr(REDTBL(l) + 1, dest);
		arch_irq_mask(l, true);
	}
	klog("irq ioapic phys=0x%lx lines=%u overrides=%u", (unsigned long)madt.ioapic_phys,
	     nlines, madt.noverride);
	return 0;
}

/* The I/O APIC input of ISA IRQ irq: its MADT override's, else the same number. */
static uint32_t isa_line(uint32_t irq)
{
	for (unsigned i = 0; i < madt.noverride; i++)
		if (madt.override[i].isa_irq == irq)
			return madt.override[i].gsi;
	return irq;
}

int arch_acpi_power(const uint8_t *rsdp, unsigned rsdp_len, struct aion_acpi_power *out)
{
	uint64_t dsdt;
	int err = acpi_parse_fadt(rsdp, rsdp_len, acpi_map, NULL, out, &dsdt);
	if (err)
		return err;
	out->sci_line = (uint16_t)isa_line(out->sci_line);
	if (!arch_irq_line_ok(out->sci_line)) {
		out->flags = 0;
		return -AION_ERANGE;
	}
	/* Without \_S5 the power button still works; only soft-off does not. */
	err = acpi_find_s5(dsdt, acpi_map, NULL, &out->s5_slp_typ);
	if (!err)
		out->flags |= AION_ACPI_S5;
	return err;
}

static bool ioapic_line(uint32_t line)
{
	return ioapic && line < nlines;
}

bool arch_irq_line_ok(uint32_t line)
{
	return ioapic_line(line) || AION_IRQ_IS_MSI(line);
}

int arch_irq_msi_message(uint32_t line, uint64_t *msg)
{
	if (!AION_IRQ_IS_MSI(line))
		return -AION_EINVAL;
	/* Edge, fixed delivery: data is the vector alone. */
	uint64_t data = VEC_MSI_BASE + (line - AION_IRQ_MSI_BASE);
	*msg = (MSI_ADDRESS | boot_lapic << 12) | data << 32;
	return 0;
}

void arch_irq_mask(uint32_t line, bool masked)
{
	if (!ioapic_line(line))
		return;
	wr(REDTBL(line), (VEC_IRQ_BASE + line) | line_mode(line) | (masked ? RED_MASKED : 0));
}
