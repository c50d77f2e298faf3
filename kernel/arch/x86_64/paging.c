/*
 * Kernel page tables: 4-level paging with
 *  - the direct map of every RAM range (usable, ACPI, NVS) in 2 MiB pages,
 *    read-write and never executable;
 *  - the kernel image in 4 KiB pages: text read-only executable, rodata
 *    read-only, data and bss read-write, both never executable;
 *  - MMIO windows mapped on demand, uncached.
 * The boot stub's identity map is dropped: a stray low pointer now faults.
 */
#include <stdint.h>
#include <stdbool.h>
#include "aion/error.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/paging.h"
#include "common/string.h"
#include "layout.h"
#include "memory.h"
#include "multiboot2.h"

#define PTE_P           (1ull << 0)
#define PTE_W           (1ull << 1)
#define PTE_PWT         (1ull << 3)
#define PTE_PCD         (1ull << 4)
#define PTE_PS          (1ull << 7)
#define PTE_G           (1ull << 8)
#define PTE_NX          (1ull << 63)
#define PTE_ADDR        0x000ffffffffff000ull

#define CR4_PGE         (1ull << 7)

static uint64_t *kernel_pml4;
static uint64_t pte_nx;         /* PTE_NX when EFER.NXE is on, else 0 */

static unsigned pt_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* Returns the next-level table under table[idx], creating it if absent. */
static int pt_next(uint64_t *table, unsigned idx, uint64_t **out)
{
	uint64_t e = table[idx];

	if (e & PTE_P) {
		if (e & PTE_PS)
			return -AION_EEXIST;
		*out = phys_to_virt(e & PTE_ADDR);
		return 0;
	}
	int64_t pa = memory_alloc_frame();
	if (pa < 0)
		return (int)pa;
	memset(phys_to_virt((uint64_t)pa), 0, PAGE_SIZE);
	table[idx] = (uint64_t)pa | PTE_P | PTE_W;
	*out = phys_to_virt((uint64_t)pa);
	return 0;
}

/* Maps one 4 KiB page (level 0) or one 2 MiB page (level 1). */
static int pt_map(uint64_t va, uint64_t pa, uint64_t flags, int level)
{
	uint64_t *t = kernel_pml4;

	for (int l = 3; l > level; l--) {
		int err = pt_next(t, pt_index(va, l), &t);
		if (err)
			return err;
	}
	uint64_t *e = &t[pt_index(va, level)];
	if (*e & PTE_P)
		return -AION_EEXIST;
	*e = pa | flags | PTE_P | (level ? PTE_PS : 0);
	return 0;
}

static bool range_is_ram(uint32_t type)
{
	return type == MB2_MEM_USABLE || type == MB2_MEM_ACPI ||
	       type == MB2_MEM_NVS;
}

static int map_direct(const struct mb2_mem_range *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!range_is_ram(r[i].type))
			continue;
		uint64_t start = r[i].base & ~(LARGE_PAGE_SIZE - 1);
		uint64_t end = r[i].base + r[i].len;
		for (uint64_t pa = start; pa < end; pa += LARGE_PAGE_SIZE) {
			int err = pt_map(DIRECT_MAP_BASE + pa, pa,
					 PTE_W | PTE_G | pte_nx, 1);
			/* Two ranges can share a 2 MiB page: already mapped is fine. */
			if (err && err != -AION_EEXIST)
				return err;
		}
	}
	return 0;
}

static int map_image(const char *start, const char *end, uint64_t flags)
{
	for (const char *va = start; va < end; va += PAGE_SIZE) {
		int err = pt_map((uint64_t)(uintptr_t)va, kernel_image_phys(va),
				 flags | PTE_G, 0);
		if (err)
			return err;
	}
	return 0;
}

int arch_paging_init(const struct mb2_mem_range *ranges, unsigned n)
{
	if (rdmsr(MSR_EFER) & EFER_NXE)
		pte_nx = PTE_NX;

	int64_t pa = memory_alloc_frame();
	if (pa < 0)
		return (int)pa;
	kernel_pml4 = phys_to_virt((uint64_t)pa);
	memset(kernel_pml4, 0, PAGE_SIZE);

	int err = map_direct(ranges, n);
	if (!err)
		err = map_image(__text_start, __text_end, 0);
	if (!err)
		err = map_image(__rodata_start, __rodata_end, pte_nx);
	if (!err)
		err = map_image(__data_start, __kernel_end, PTE_W | pte_nx);
	if (err)
		return err;

	paging_load_kernel();
	return 0;
}

void paging_flush_global(void)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~CR4_PGE) : "memory");
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

void paging_load_kernel(void)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PGE));
	write_cr3(virt_to_phys(kernel_pml4));
}

int arch_map_mmio(uint64_t phys, uint64_t size, void **out)
{
	uint64_t start = phys & ~(PAGE_SIZE - 1);

	for (uint64_t p = start; p < phys + size; p += PAGE_SIZE) {
		int err = pt_map(DIRECT_MAP_BASE + p, p,
				 PTE_W | PTE_PCD | PTE_PWT | pte_nx, 0);
		if (err == -AION_EEXIST)
			continue;       /* mapped by an earlier request */
		if (err)
			return err;
		invlpg(DIRECT_MAP_BASE + p);
	}
	*out = phys_to_virt(phys);
	return 0;
}

uint64_t arch_kernel_pml4_phys(void)
{
	return virt_to_phys(kernel_pml4);
}

uint64_t arch_pte_nx(void)
{
	return pte_nx;
}

/*
 * Creates every page table covering [va, va+len) of the kernel half now,
 * so later mappings there (kernel stacks) never allocate and the
 * free-frame count only moves by the stack pages themselves.
 */
int arch_vm_kreserve(uint64_t va, uint64_t len)
{
	for (uint64_t v = va; v < va + len; v += LARGE_PAGE_SIZE) {
		uint64_t *t = kernel_pml4;
		for (int l = 3; l > 0; l--) {
			int err = pt_next(t, pt_index(v, l), &t);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Kernel stack pages: present, writable, never executable, global. */
int arch_vm_kmap(uint64_t va, uint64_t pa)
{
	return pt_map(va, pa, PTE_W | PTE_G | pte_nx, 0);
}

/* Removes a kernel stack page; returns its frame (0 if none was mapped). */
uint64_t arch_vm_kunmap(uint64_t va)
{
	uint64_t *t = kernel_pml4;

	for (int l = 3; l > 0; l--) {
		uint64_t e = t[pt_index(va, l)];
		if (!(e & PTE_P) || (e & PTE_PS))
			return 0;
		t = phys_to_virt(e & PTE_ADDR);
	}
	uint64_t *e = &t[pt_index(va, 0)];
	uint64_t pa = *e & PTE_ADDR;
	*e = 0;
	invlpg(va);
	return pa;
}
