/*
 * Slab allocator (see slab.h).
 *
 * Page layout: [struct slab | pad to 16 | obj 0 | obj 1 | ... ]. Free
 * objects are threaded on a singly linked list through their first word;
 * objects never handed out since the page arrived are taken from a bump
 * index instead, so a new slab costs O(1) to set up rather than a pass
 * over the page. The bitmap (bit set = allocated) is the ground truth for
 * slab_free's checks, so a double free is caught before it can corrupt
 * the free list.
 */
#include "common/slab.h"

#include <stdbool.h>

#include "aion/error.h"

struct slab_free_obj {
	struct slab_free_obj *next;
};

struct slab {
	struct slab_cache *cache;       /* owner: foreign pointers fail here */
	struct slab_free_obj *free;     /* freed objects */
	unsigned in_use;
	unsigned fresh;                 /* objects [fresh, per_slab) never handed out */
	uint64_t bitmap[SLAB_MAX_OBJS / 64];
	struct slab *prev, *next;       /* partial or full list */
};

static size_t round_to(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

_Static_assert(sizeof(struct slab) + SLAB_LINE < SLAB_PAGE_SIZE,
	       "slab header must leave room for objects");

static uint8_t *slab_obj_base(struct slab *s)
{
	return (uint8_t *)s + s->cache->base;
}

static bool slab_bit_test(const struct slab *s, unsigned idx)
{
	return (s->bitmap[idx / 64] >> (idx % 64)) & 1;
}

static void slab_bit_flip(struct slab *s, unsigned idx)
{
	s->bitmap[idx / 64] ^= (uint64_t)1 << (idx % 64);
}

static void slab_list_push(struct slab **head, struct slab *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head != NULL)
		(*head)->prev = s;
	*head = s;
}

static void slab_list_remove(struct slab **head, struct slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

int slab_cache_init(struct slab_cache *c, const char *name, size_t obj_size,
		    const struct slab_page_ops *ops)
{
	size_t room, per, base;

	if (c == NULL || ops == NULL || ops->get_page == NULL || ops->put_page == NULL)
		return -AION_EINVAL;
	/* Compare before rounding so a huge obj_size cannot wrap to small. */
	if (obj_size == 0 || obj_size > SLAB_PAGE_SIZE)
		return -AION_EINVAL;
	size_t align = obj_size >= SLAB_LINE ? SLAB_LINE : SLAB_ALIGN;
	obj_size = round_to(obj_size, align);
	base = round_to(sizeof(struct slab), align);
	room = SLAB_PAGE_SIZE - base;
	if (obj_size > room)
		return -AION_EINVAL;
	per = room / obj_size;
	if (per > SLAB_MAX_OBJS)
		per = SLAB_MAX_OBJS;

	__builtin_memset(c, 0, sizeof(*c));
	c->name = name;
	c->obj_size = obj_size;
	c->base = base;
	c->per_slab = (unsigned)per;
	c->ops = *ops;
	return 0;
}

/* A slab with at least one free object, now at the head of c->partial. */
static struct slab *slab_get_partial(struct slab_cache *c)
{
	struct slab *s;
	void *page;

	if (c->partial != NULL)
		return c->partial;
	if (c->empty != NULL) {
		s = c->empty;
		c->empty = NULL;
	} else {
		page = c->ops.get_page(c->ops.ctx);
		if (page == NULL)
			return NULL;
		/* slab_free masks addresses: a misaligned page would break it. */
		if ((uintptr_t)page % SLAB_PAGE_SIZE != 0) {
			c->ops.put_page(c->ops.ctx, page);
			return NULL;
		}
		s = page;
		__builtin_memset(s, 0, sizeof(*s));
		s->cache = c;
		c->pages++;
	}
	slab_list_push(&c->partial, s);
	return s;
}

void *slab_alloc(struct slab_cache *c)
{
	struct slab *s = slab_get_partial(c);
	uint8_t *obj;
	unsigned idx;

	if (s == NULL)
		return NULL;
	if (s->free != NULL) {
		obj = (uint8_t *)s->free;
		s->free = s->free->next;
		idx = (unsigned)((size_t)(obj - slab_obj_base(s)) / c->obj_size);
	} else {
		idx = s->fresh++;
		obj = slab_obj_base(s) + (size_t)idx * c->obj_size;
	}
	slab_bit_flip(s, idx);
	s->in_use++;
	c->in_use++;
	if (s->in_use == c->per_slab) {
		slab_list_remove(&c->partial, s);
		slab_list_push(&c->full, s);
	}
	__builtin_memset(obj, 0, c->obj_size);
	return obj;
}

/* s has just lost its last object: keep it as the spare or give it back. */
static void slab_release_empty(struct slab_cache *c, struct slab *s)
{
	slab_list_remove(&c->partial, s);
	if (c->empty == NULL) {
		c->empty = s;
		return;
	}
	c->pages--;
	c->ops.put_page(c->ops.ctx, s);
}

void slab_trim(struct slab_cache *c)
{
	struct slab *s = c->empty;

	if (!s)
		return;
	c->empty = NULL;
	c->pages--;
	c->ops.put_page(c->ops.ctx, s);
}

int slab_free(struct slab_cache *c, void *obj)
{
	struct slab *s;
	size_t off;
	unsigned idx;

	if (c == NULL || obj == NULL)
		return -AION_EINVAL;
	s = (struct slab *)((uintptr_t)obj & ~(uintptr_t)(SLAB_PAGE_SIZE - 1));
	if (s->cache != c)
		return -AION_EINVAL;
	off = (size_t)((uint8_t *)obj - (uint8_t *)s);
	if (off < c->base || (off - c->base) % c->obj_size != 0)
		return -AION_EINVAL;
	idx = (unsigned)((off - c->base) / c->obj_size);
	if (idx >= c->per_slab)
		return -AION_EINVAL;
	if (!slab_bit_test(s, idx))
		return -AION_EDOUBLE;

	slab_bit_flip(s, idx);
	((struct slab_free_obj *)obj)->next = s->free;
	s->free = obj;
	c->in_use--;
	if (s->in_use-- == c->per_slab) {
		slab_list_remove(&c->full, s);
		slab_list_push(&c->partial, s);
	}
	if (s->in_use == 0)
		slab_release_empty(c, s);
	return 0;
}
