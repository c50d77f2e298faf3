/*
 * Application processor start-up (smp.c, trampoline.S): docs/smp.md.
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

/* Where the trampoline is copied: page 8 of conventional memory, inside
 * the first MiB that memory.c keeps out of the frame allocator. */
#define TRAMPOLINE_PHYS 0x8000

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The argument block at the end of the trampoline (trampoline.S). */
struct trampoline_args {
	uint32_t cr3;                   /* boot.S's tables: below 4 GiB */
	uint32_t efer;                  /* LME and NXE */
	uint64_t stack;                 /* top of the AP's idle stack */
	uint64_t entry;                 /* ap_main */
	uint64_t cpu;                   /* the AP's index, ap_main's argument */
};

extern const char trampoline_start[], trampoline_end[], trampoline_args[];

struct acpi_madt;
/* The MADT as arch_irq_init read it (ioapic.c), or NULL. */
const struct acpi_madt *arch_madt(void);
#endif

#endif /* ARCH_SMP_H */
