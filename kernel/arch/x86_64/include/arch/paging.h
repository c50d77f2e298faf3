#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <stdint.h>

/*
 * Maps [phys, phys+size) uncached at its direct-map address and returns
 * that address. Used for device registers (LAPIC now, drivers later).
 */
int arch_map_mmio(uint64_t phys, uint64_t size, void **out);

/* An application processor leaves the boot stub's tables for the kernel's. */
void paging_load_kernel(void);
/* Flushes every TLB entry of this CPU, global ones too. */
void paging_flush_global(void);

#endif /* ARCH_PAGING_H */
