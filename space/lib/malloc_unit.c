/*
 * malloc's pages in a unit: ANON_MAP'd from a region of its own address
 * space and ANON_UNMAP'd on release, so freed memory returns to the quota.
 * Addresses are reused first-fit from a small table of free runs.
 */
#include "libaion/lib.h"
#include "libaion/malloc.h"

#define HEAP_BASE       0x0000000080000000ull   /* in the program's window */
#define HEAP_PAGES      (1u << 18)      /* 1 GiB of address space */
#define FREE_RUNS       64

static uint64_t next;
static struct { uint64_t va; size_t n; } runs[FREE_RUNS];

static uint64_t reuse(size_t n)
{
	for (unsigned i = 0; i < FREE_RUNS; i++)
		if (runs[i].n >= n) {
			uint64_t va = runs[i].va;
			runs[i].va += n * 4096;
			runs[i].n -= n;
			return va;
		}
	return 0;
}

static void *unit_get(size_t n)
{
	uint64_t va = reuse(n);
	if (!next)
		next = aion_window() + HEAP_BASE;
	if (!va) {
		if (next + n * 4096 > aion_window() + HEAP_BASE + (uint64_t)HEAP_PAGES * 4096)
			return NULL;
		va = next;
		next += n * 4096;
	}
	if (aion_anon_map(AION_HANDLE_SELF, va, n * 4096, AION_PROT_READ | AION_PROT_WRITE))
		return NULL;            /* the address range is lost: quota exhausted */
	return (void *)va;
}

static void unit_put(void *p, size_t n)
{
	aion_anon_unmap(AION_HANDLE_SELF, (uint64_t)p, n * 4096);
	for (unsigned i = 0; i < FREE_RUNS; i++)
		if (!runs[i].n) {
			runs[i].va = (uint64_t)p;
			runs[i].n = n;
			return;
		}
	/* Table full: the address range is not reused; the memory went back. */
}

const struct malloc_pages malloc_unit_pages = { unit_get, unit_put };
