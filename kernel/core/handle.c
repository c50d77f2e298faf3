#include <stddef.h>
#include "aion/error.h"
#include "handle.h"
#include "kobj.h"

#define GEN_MASK ((1u << (32 - AION_HANDLE_INDEX_BITS)) - 1)

void handle_table_init(struct handle_table *t)
{
	for (unsigned i = 0; i < AION_HANDLE_SLOTS; i++)
		t->slot[i] = (struct handle_slot){ NULL, 0, 1 };
}

static aion_handle_t make(unsigned i, uint32_t gen)
{
	return AION_HANDLE(i, gen);
}

int handle_alloc(struct handle_table *t, struct kobj *o, uint32_t rights,
		 aion_handle_t *out)
{
	/* Bounded by the table size, a constant. */
	for (unsigned i = 1; i < AION_HANDLE_SLOTS; i++) {
		struct handle_slot *s = &t->slot[i];
		if (s->obj)
			continue;
		s->obj = o;
		s->rights = rights;
		kobj_get(o);
		*out = make(i, s->gen);
		return 0;
	}
	return -AION_ENOSPC;
}

void handle_set_self(struct handle_table *t, struct kobj *o, uint32_t rights)
{
	t->slot[0] = (struct handle_slot){ o, rights, 1 };
	kobj_get(o);
}

static struct handle_slot *slot_of(const struct handle_table *t, aion_handle_t h)
{
	unsigned i = h & (AION_HANDLE_SLOTS - 1);
	uint32_t gen = h >> AION_HANDLE_INDEX_BITS;
	const struct handle_slot *s = &t->slot[i];

	if (!s->obj || s->gen != gen)
		return NULL;
	return (struct handle_slot *)s;
}

int handle_lookup(const struct handle_table *t, aion_handle_t h, uint32_t type,
		  uint32_t need, struct kobj **out)
{
	const struct handle_slot *s = slot_of(t, h);

	if (!s)
		return -AION_ECAP;
	if (s->obj->type != type)
		return -AION_ETYPE;
	if ((s->rights & need) != need)
		return -AION_ERIGHTS;
	*out = s->obj;
	return 0;
}

static void slot_clear(struct handle_slot *s)
{
	struct kobj *o = s->obj;

	s->obj = NULL;
	s->rights = 0;
	s->gen = (s->gen + 1) & GEN_MASK;
	if (s->gen == 0)
		s->gen = 1;
	kobj_put(o);
}

int handle_close(struct handle_table *t, aion_handle_t h)
{
	struct handle_slot *s = slot_of(t, h);

	if (!s)
		return -AION_ECAP;
	if (s == &t->slot[0])
		return -AION_EPERM;
	slot_clear(s);
	return 0;
}

void handle_table_clear(struct handle_table *t)
{
	for (unsigned i = 0; i < AION_HANDLE_SLOTS; i++)
		if (t->slot[i].obj)
			slot_clear(&t->slot[i]);
}
