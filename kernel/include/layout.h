/*
 * The kernel's virtual memory layout (docs/architecture.md):
 *
 *   0x0000000000000000 .. 0x00007fffffffffff  user half: each unit's own address
 *                                              space (aion/object.h: AION_USER_MIN..END)
 *   0xffff800000000000 .. + top of RAM         direct map of physical memory
 *   0xffffffff80000000 .. + 2 GiB              kernel image (-mcmodel=kernel),
 *                                              physical load address 1 MiB
 */
#ifndef KERNEL_LAYOUT_H
#define KERNEL_LAYOUT_H

#include <stdint.h>

#define KERNEL_VMA      0xffffffff80000000ull
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define PAGE_SIZE       4096ull
#define LARGE_PAGE_SIZE (2ull << 20)

/* Physical address to its alias in the direct map. */
static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)(DIRECT_MAP_BASE + phys);
}

static inline uint64_t virt_to_phys(const void *direct)
{
	return (uint64_t)(uintptr_t)direct - DIRECT_MAP_BASE;
}

/* Kernel image symbols from the linker script (addresses, not data). */
extern char __kernel_phys_start[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[];

static inline uint64_t kernel_image_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p - KERNEL_VMA;
}

#endif /* KERNEL_LAYOUT_H */
