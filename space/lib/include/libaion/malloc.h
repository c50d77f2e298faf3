/*
 * aion_malloc for AionSpace programs (aion_ names: the host tests link the
 * same file next to the host's own malloc). Small blocks (up to 2 KiB) come from slab
 * caches of 16..2048 bytes (common/slab.c, the same pure allocator the
 * kernel uses); their pages are mapped on demand and unmapped as soon as a
 * cache has a second empty page. Larger blocks get pages of their own,
 * unmapped on free. So memory goes back to the unit's quota, and through it
 * to the system when the unit ends. Not thread-safe: one thread per unit
 * calls it, or the caller serializes.
 */
#ifndef AION_MALLOC_H
#define AION_MALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Where pages come from: ANON_MAP/ANON_UNMAP in a unit, anything in tests. */
struct malloc_pages {
	void *(*get)(size_t npages);            /* page-aligned, zeroed, or NULL */
	void (*put)(void *p, size_t npages);
};

void malloc_init(const struct malloc_pages *pages);    /* default: the unit's own */
void *aion_malloc(size_t n);
void *aion_calloc(size_t n, size_t size);
void aion_free(void *p);
/* Pages currently held (for tests: memory really goes back). */
size_t malloc_pages_held(void);

#endif /* AION_MALLOC_H */
