/*
 * Deliberate kernel faults, selected by aion.selftest= on the boot command
 * line. The boot tests check that the fault dump names these functions, so
 * they must stay real, non-inlined functions.
 */
#include <stdint.h>
#include "arch.h"

/* Volatile so the compiler cannot prove the address invalid and trap early. */
static volatile uintptr_t selftest_unmapped = 0x1000;

__attribute__((noinline)) void arch_selftest_page_fault(void)
{
	*(volatile uint64_t *)selftest_unmapped = 0xa10a;
}

__attribute__((noinline)) void arch_selftest_invalid_opcode(void)
{
	__asm__ volatile("ud2");
}
