/*
 * Slab allocator for fixed-size kernel objects.
 *
 * A cache hands out objects of one size. Its memory comes in slabs: one
 * SLAB_PAGE_SIZE page, SLAB_PAGE_SIZE-aligned, from a page provider. The
 * slab header lives at the start of its page, so slab_free finds it by
 * masking the object address, then checks ownership and object boundary
 * against the header and catches double frees with a per-slab allocation
 * bitmap. Slabs sit on a partial or a full list; one empty slab is kept
 * to absorb alloc/free ping-pong at a page boundary, and further empty
 * slabs go straight back to the provider. slab_alloc and slab_free are
 * O(1), plus at most one provider call.
 *
 * Objects of SLAB_LINE bytes or more take whole cache lines and start on
 * one (the header's slack pads to it): two such objects never share a
 * line, so CPUs that write two neighbours (two pairs' endpoints) do not
 * pass the line back and forth (docs/smp.md "Objects a line apart").
 *
 * Pure code: no locking; the caller serialises access to a cache.
 * slab_free's checks assume obj at least points into some slab page (of
 * any cache): for an arbitrary address, the masked page is read as if it
 * were a slab header.
 */
#ifndef AION_SLAB_H
#define AION_SLAB_H

#include <stddef.h>
#include <stdint.h>

#define SLAB_PAGE_SIZE 4096u
#define SLAB_ALIGN       16u    /* object size and alignment granule */
#define SLAB_LINE        64u    /* ... for objects this big or bigger */
#define SLAB_MAX_OBJS   256u    /* bitmap capacity: 4096 / 16 */

/* get_page returns a SLAB_PAGE_SIZE-aligned page or NULL; ctx is passed through. */
struct slab_page_ops {
	void *(*get_page)(void *ctx);
	void (*put_page)(void *ctx, void *page);
	void *ctx;
};

struct slab;    /* opaque page header */

struct slab_cache {
	const char *name;
	size_t obj_size;                /* rounded up to SLAB_ALIGN, or SLAB_LINE */
	size_t base;                    /* the first object's offset in a slab */
	unsigned per_slab;              /* objects per page */
	struct slab *partial, *full, *empty;
	uint64_t in_use, pages;         /* objects handed out, pages held */
	struct slab_page_ops ops;
};

/*
 * Set up an empty cache (no pages yet). obj_size is rounded up to 16.
 * -AION_EINVAL if c, ops or ops->get_page/put_page is NULL, obj_size is 0,
 * or not even one object fits in a page after the slab header.
 */
int slab_cache_init(struct slab_cache *c, const char *name, size_t obj_size,
		    const struct slab_page_ops *ops);

/*
 * A zeroed, 16-byte-aligned object; NULL when a new page is needed and
 * the provider returns NULL (or a misaligned page, which is handed back).
 */
void *slab_alloc(struct slab_cache *c);

/*
 * Return obj to c: 0; -AION_EINVAL if obj is NULL, not from this cache or
 * not at an object boundary; -AION_EDOUBLE if it is already free.
 */
int slab_free(struct slab_cache *c, void *obj);

/* Gives the cached empty page (if any) back to the provider. O(1). */
void slab_trim(struct slab_cache *c);

#endif /* AION_SLAB_H */
