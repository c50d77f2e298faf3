/* malloc over slab caches and whole-page runs (libaion/malloc.h). */
#include "libaion/malloc.h"
#include "common/slab.h"

#define PAGE            4096u
#define CLASSES         8               /* 16, 32, ... 2048 */
#define LARGE_MAGIC     0x4c41524745424c4bull

/* A large block: its pages start with this header (so free knows the size). */
struct large {
	uint64_t magic;
	size_t npages;
	uint64_t pad[2];                /* keeps the block 16-byte aligned */
};

static struct malloc_pages pages;
static struct slab_cache classes[CLASSES];
static size_t held;
static int ready;

static void *slab_get(void *ctx)
{
	(void)ctx;
	void *p = pages.get(1);
	if (p)
		held++;
	return p;
}

static void slab_put(void *ctx, void *page)
{
	(void)ctx;
	pages.put(page, 1);
	held--;
}

static const struct slab_page_ops slab_pages = { slab_get, slab_put, NULL };

void malloc_init(const struct malloc_pages *p)
{
	pages = *p;
	for (unsigned i = 0; i < CLASSES; i++)
		slab_cache_init(&classes[i], "malloc", (size_t)16 << i, &slab_pages);
	ready = 1;
}

static struct slab_cache *class_of(size_t n)
{
	for (unsigned i = 0; i < CLASSES; i++)
		if (n <= ((size_t)16 << i) && classes[i].per_slab)
			return &classes[i];
	return NULL;
}

void *aion_malloc(size_t n)
{
	extern const struct malloc_pages malloc_unit_pages;
	if (!ready)
		malloc_init(&malloc_unit_pages);
	if (n == 0)
		n = 1;
	struct slab_cache *c = class_of(n);
	if (c)
		return slab_alloc(c);
	if (n > SIZE_MAX - sizeof(struct large) - PAGE)
		return NULL;
	size_t np = (n + sizeof(struct large) + PAGE - 1) / PAGE;
	struct large *l = pages.get(np);
	if (!l)
		return NULL;
	held += np;
	l->magic = LARGE_MAGIC;
	l->npages = np;
	return l + 1;
}

void *aion_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return aion_malloc(n * size);        /* slab objects and fresh pages are zeroed */
}

void aion_free(void *p)
{
	if (!p)
		return;
	/* Large blocks start right after a header at the start of a page. */
	struct large *l = (struct large *)p - 1;
	if (((uintptr_t)l & (PAGE - 1)) == 0 && l->magic == LARGE_MAGIC) {
		l->magic = 0;
		held -= l->npages;
		pages.put(l, l->npages);
		return;
	}
	for (unsigned i = 0; i < CLASSES; i++)
		if (slab_free(&classes[i], p) == 0) {
			slab_trim(&classes[i]);         /* an empty page goes back at once */
			return;
		}
}

size_t malloc_pages_held(void)
{
	return held;
}
