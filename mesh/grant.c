/* The owner's grant table: see mesh/grant.h. */
#include <stddef.h>
#include "mesh/grant.h"
#include "aion/error.h"

static void set_add(struct grant_set *s, uint16_t n)
{
	s->bits[(n % GRANT_NODES) / 64] |= 1ull << (n % 64);
}

static void set_del(struct grant_set *s, uint16_t n)
{
	s->bits[(n % GRANT_NODES) / 64] &= ~(1ull << (n % 64));
}

static bool set_empty(const struct grant_set *s)
{
	for (unsigned i = 0; i < GRANT_NODES / 64; i++)
		if (s->bits[i])
			return false;
	return true;
}

static unsigned set_count(const struct grant_set *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < GRANT_NODES / 64; i++)
		for (uint64_t b = s->bits[i]; b; b &= b - 1)
			n++;    /* no libgcc in meshd: no __builtin_popcountll */
	return n;
}

bool grant_holds(const struct grant_export *x, uint16_t node)
{
	return node < GRANT_NODES && (x->holders.bits[node / 64] >> (node % 64) & 1);
}

void grant_init(struct grant_table *t, struct grant_export *slots, unsigned cap,
		uint32_t first_gen)
{
	*t = (struct grant_table){ .x = slots, .cap = cap, .next_gen = first_gen };
	for (unsigned i = 0; i < cap; i++)
		slots[i] = (struct grant_export){ 0 };
}

static struct grant_export *find(struct grant_table *t, uint32_t obj, uint32_t gen)
{
	if (obj == 0 || obj > t->cap || !t->x[obj - 1].used || t->x[obj - 1].gen != gen)
		return NULL;
	return &t->x[obj - 1];
}

static void free_export(struct grant_table *t, struct grant_export *x, grant_free_fn fn, void *ctx)
{
	uint64_t cookie = x->cookie;
	*x = (struct grant_export){ 0 };
	t->used--;
	if (fn)
		fn(ctx, cookie);
}

int grant_export(struct grant_table *t, uint64_t cookie, uint32_t rights, uint16_t to,
		 bool pin, uint32_t *obj, uint32_t *gen, bool *reused)
{
	struct grant_export *x = NULL;
	*reused = false;
	for (unsigned i = 0; i < t->cap; i++) {
		struct grant_export *c = &t->x[i];
		if (c->used && c->cookie == cookie && c->rights == rights) {
			x = c;
			*reused = true;
			break;
		}
		if (!c->used && !x)
			x = c;
	}
	if (!x)
		return -AION_ENOSPC;
	if (!*reused) {
		/* Never 0, so that (obj, 0) names nothing. */
		if (++t->next_gen == 0)
			t->next_gen = 1;
		*x = (struct grant_export){ .used = true, .gen = t->next_gen, .rights = rights,
					    .cookie = cookie };
		t->used++;
	}
	x->pinned |= pin;
	set_add(&x->holders, to);
	*obj = (uint32_t)(x - t->x) + 1;
	*gen = x->gen;
	return 0;
}

int grant_add(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t node)
{
	struct grant_export *x = find(t, obj, gen);
	if (!x)
		return -AION_EDEAD;
	set_add(&x->holders, node);
	return 0;
}

int grant_delegate(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t from,
		   uint16_t to)
{
	struct grant_export *x = find(t, obj, gen);
	if (!x)
		return -AION_EDEAD;
	if (!x->pinned && !grant_holds(x, from)) {
		t->forged++;
		return -AION_ERIGHTS;
	}
	set_add(&x->holders, to);
	return 0;
}

int grant_check(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t node,
		uint64_t *cookie)
{
	struct grant_export *x = find(t, obj, gen);
	if (!x)
		return -AION_EDEAD;
	/* A name's export is public: any node may look it up (and so be
	 * granted it); a node that lost its grants (declared dead by
	 * mistake, then back) keeps using its named proxies. */
	if (!x->pinned && !grant_holds(x, node)) {
		t->forged++;
		return -AION_ERIGHTS;
	}
	*cookie = x->cookie;
	return 0;
}

int grant_release(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t node,
		  grant_free_fn fn, void *ctx)
{
	struct grant_export *x = find(t, obj, gen);
	if (!x)
		return 0;
	set_del(&x->holders, node);
	if (x->pinned || !set_empty(&x->holders))
		return 0;
	free_export(t, x, fn, ctx);
	return 1;
}

unsigned grant_drop_node(struct grant_table *t, uint16_t node, grant_free_fn fn, void *ctx)
{
	unsigned freed = 0;
	for (unsigned i = 0; i < t->cap; i++) {
		struct grant_export *x = &t->x[i];
		if (x->used && grant_holds(x, node))
			freed += (unsigned)grant_release(t, i + 1, x->gen, node, fn, ctx);
	}
	return freed;
}

int grant_remove(struct grant_table *t, uint32_t obj, uint32_t gen, grant_free_fn fn, void *ctx)
{
	struct grant_export *x = find(t, obj, gen);
	if (!x)
		return 0;
	free_export(t, x, fn, ctx);
	return 1;
}

unsigned grant_holders(const struct grant_table *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->cap; i++)
		if (t->x[i].used)
			n += set_count(&t->x[i].holders);
	return n;
}
