#include <stddef.h>
#include "aion/error.h"
#include "handle.h"
#include "kobj.h"
#include "hot.h"

#define GEN_MASK ((1u << (32 - AION_HANDLE_INDEX_BITS)) - 1)

_Static_assert(sizeof(struct handle_slot) * HANDLE_SLOTS_PER_PAGE <= 4096, "page");

void handle_table_init(struct handle_table *t, const struct handle_pages *ops)
{
	for (unsigned p = 0; p < HANDLE_PAGES; p++)
		t->page[p] = NULL;
	t->ops = *ops;
}

struct handle_slot *handle_slot_at(const struct handle_table *t, unsigned i)
{
	if (i >= AION_HANDLE_SLOTS)
		return NULL;
	struct handle_slot *page = t->page[i / HANDLE_SLOTS_PER_PAGE];
	return page ? &page[i % HANDLE_SLOTS_PER_PAGE] : NULL;
}

static unsigned index_of(const struct handle_table *t, const struct handle_slot *s)
{
	for (unsigned p = 0; p < HANDLE_PAGES; p++)
		if (t->page[p] && s >= t->page[p] && s < t->page[p] + HANDLE_SLOTS_PER_PAGE)
			return p * HANDLE_SLOTS_PER_PAGE + (unsigned)(s - t->page[p]);
	return 0;
}

static bool add_page(struct handle_table *t, unsigned p)
{
	struct handle_slot *page = t->ops.get(t->ops.ctx);
	if (!page)
		return false;
	for (unsigned i = 0; i < HANDLE_SLOTS_PER_PAGE; i++)
		page[i] = (struct handle_slot){ .gen = 1 };
	t->page[p] = page;
	return true;
}

/*
 * Slots of page p that handles can name: the last page is partly beyond
 * AION_HANDLE_SLOTS (index bits), and those slots must never be used.
 */
static unsigned page_slots(unsigned p)
{
	unsigned first = p * HANDLE_SLOTS_PER_PAGE;
	return AION_HANDLE_SLOTS - first < HANDLE_SLOTS_PER_PAGE ?
	       AION_HANDLE_SLOTS - first : HANDLE_SLOTS_PER_PAGE;
}

/*
 * A free slot (never slot 0): bounded by the table size. NULL with *err
 * -AION_ENOSPC when the table is full, -AION_ENOMEM when the page the slot
 * needs cannot be had (the holder's quota): the caller tells them apart.
 */
static struct handle_slot *free_slot(struct handle_table *t, int *err)
{
	for (unsigned p = 0; p < HANDLE_PAGES; p++) {
		if (!t->page[p] && !add_page(t, p)) {
			*err = -AION_ENOMEM;
			return NULL;
		}
		for (unsigned i = p ? 0 : 1; i < page_slots(p); i++)
			if (!t->page[p][i].obj)
				return &t->page[p][i];
	}
	*err = -AION_ENOSPC;
	return NULL;
}

/*
 * The derivation tree without parent pointers, so that deleting or moving
 * a slot is O(1) however many children it has: a slot's children form a
 * ring (next, prev), its `child` names one of them, the head, and only the
 * head keeps `up`, the parent (NULL in every other slot). A root's ring
 * has no head: the children of a deleted root stay siblings, roots.
 */
static void link_child(struct handle_slot *parent, struct handle_slot *s)
{
	struct handle_slot *head = parent ? parent->child : NULL;

	s->up = NULL;
	s->next = s->prev = s;
	if (head) {
		s->next = head->next;
		s->prev = head;
		head->next->prev = s;
		head->next = s;
	} else if (parent) {
		s->up = parent;
		parent->child = s;
	}
}

static void unlink_slot(struct handle_slot *s)
{
	if (s->up)                      /* the head: its parent needs another */
		s->up->child = s->next == s ? NULL : s->next;
	if (s->up && s->next != s)
		s->next->up = s->up;
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->up = NULL;
	s->next = s->prev = s;
}

/* s's children join s's ring (its parent's children) as siblings. */
static void lift_children(struct handle_slot *s)
{
	struct handle_slot *first = s->child, *last;

	if (!first)
		return;
	s->child = NULL;
	first->up = NULL;               /* no longer a head */
	last = first->prev;
	last->next = s->next;
	s->next->prev = last;
	s->next = first;
	first->prev = s;
}

struct handle_slot *handle_parent(const struct handle_slot *s)
{
	const struct handle_slot *x = s;

	do {
		if (x->up)
			return x->up;
		x = x->next;
	} while (x != s);
	return NULL;
}

static void fill(const struct handle_table *t, struct handle_slot *s, struct kobj *o,
		 uint32_t rights, uint64_t badge, struct handle_slot *parent)
{
	s->obj = o;
	s->holder = t->ops.ctx;
	s->rights = rights;
	s->badge = badge;
	s->child = NULL;
	link_child(parent, s);
	kobj_get(o);
	kobj_cap_added(o, rights, s->holder);
}

static aion_handle_t make(const struct handle_table *t, const struct handle_slot *s)
{
	return AION_HANDLE(index_of(t, s), s->gen);
}

int handle_alloc(struct handle_table *t, struct kobj *o, uint32_t rights,
		 uint64_t badge, struct handle_slot *parent, aion_handle_t *out)
{
	int err = 0;
	struct handle_slot *s = free_slot(t, &err);

	if (!s)
		return err;
	fill(t, s, o, rights, badge, parent);
	*out = make(t, s);
	return 0;
}

int handle_set_self(struct handle_table *t, struct kobj *o, uint32_t rights)
{
	if (!t->page[0] && !add_page(t, 0))
		return -AION_ENOMEM;
	fill(t, &t->page[0][0], o, rights, 0, NULL);
	return 0;
}

KERNEL_HOT
struct handle_slot *handle_slot_of(const struct handle_table *t, aion_handle_t h)
{
	struct handle_slot *s = handle_slot_at(t, h & (AION_HANDLE_SLOTS - 1));
	uint32_t gen = h >> AION_HANDLE_INDEX_BITS;

	if (!s || !s->obj || s->gen != gen)
		return NULL;
	return s;
}

KERNEL_HOT
int handle_check(const struct handle_slot *s, uint32_t type, uint32_t need)
{
	if (!s)
		return -AION_ECAP;
	if (s->obj->type != type)
		return -AION_ETYPE;
	if ((s->rights & need) != need)
		return -AION_ERIGHTS;
	return 0;
}

KERNEL_HOT
int handle_lookup(const struct handle_table *t, aion_handle_t h, uint32_t type,
		  uint32_t need, struct kobj **out)
{
	const struct handle_slot *s = handle_slot_of(t, h);
	int err = handle_check(s, type, need);

	if (!err)
		*out = s->obj;
	return err;
}

int handle_derive(struct handle_slot *src, struct handle_table *dst,
		  uint32_t mask, uint64_t badge, aion_handle_t *out)
{
	if (badge && src->badge)
		return -AION_EPERM;     /* a badge, once set, is fixed */
	if (src->obj->revoker)
		return -AION_EAGAIN;    /* the tree being revoked cannot grow */
	return handle_alloc(dst, src->obj, src->rights & mask,
			    badge ? badge : src->badge, src, out);
}

/* s takes src's place in the tree: its ring, its children. O(1). */
static void take_place(struct handle_slot *s, struct handle_slot *src)
{
	s->child = src->child;          /* fill made s a lone root */
	src->child = NULL;
	if (s->child)
		s->child->up = s;
	s->up = src->up;
	src->up = NULL;
	if (s->up)
		s->up->child = s;
	if (src->next != src) {
		s->next = src->next;
		s->prev = src->prev;
		s->next->prev = s;
		s->prev->next = s;
		src->next = src->prev = src;
	}
}

int handle_move(struct handle_slot *src, struct handle_table *dst,
		aion_handle_t *out)
{
	int err = 0;
	struct handle_slot *s = free_slot(dst, &err);

	if (!s)
		return err;
	fill(dst, s, src->obj, src->rights, src->badge, NULL);
	take_place(s, src);
	handle_delete(src);
	*out = make(dst, s);
	return 0;
}

void handle_delete(struct handle_slot *s)
{
	struct kobj *o = s->obj;
	uint32_t rights = s->rights;

	lift_children(s);
	unlink_slot(s);
	s->obj = NULL;
	s->rights = 0;
	s->badge = 0;
	s->gen = (s->gen + 1) & GEN_MASK;
	if (s->gen == 0)
		s->gen = 1;
	kobj_cap_removed(o, rights, s->holder);
	kobj_put(o);
}

int handle_close(struct handle_table *t, aion_handle_t h)
{
	struct handle_slot *s = handle_slot_of(t, h);

	if (!s)
		return -AION_ECAP;
	if (s == &t->page[0][0])
		return -AION_EPERM;
	handle_delete(s);
	return 0;
}

/* Children first: each deletion lifts its own into s's ring, O(1) each. */
int handle_revoke(struct handle_slot *s, unsigned budget)
{
	while (s->child) {
		if (budget-- == 0)
			return -AION_EAGAIN;
		handle_delete(s->child);
	}
	return 0;
}

bool handle_holds(const struct handle_table *t, const struct kobj *o, uint32_t rights)
{
	for (unsigned p = 0; p < HANDLE_PAGES; p++)
		for (unsigned i = 0; t->page[p] && i < page_slots(p); i++)
			if (t->page[p][i].obj == o && (t->page[p][i].rights & rights) == rights)
				return true;
	return false;
}

int handle_reserve(struct handle_table *t, unsigned want)
{
	unsigned n = 0, added = 0;
	int err = 0;

	/* Pages are taken in order and kept, so free_slot finds these first. */
	for (unsigned p = 0; p < HANDLE_PAGES && n < want; p++) {
		if (!t->page[p]) {
			if (!add_page(t, p)) {
				err = -AION_ENOMEM;
				break;
			}
			added |= 1u << p;
		}
		for (unsigned i = p ? 0 : 1; i < page_slots(p) && n < want; i++)
			if (!t->page[p][i].obj)
				n++;
	}
	if (!err && n < want)
		err = -AION_ENOSPC;
	for (unsigned p = 0; err && p < HANDLE_PAGES; p++)
		if (added & (1u << p)) {        /* as it was: no page kept */
			t->ops.put(t->ops.ctx, t->page[p]);
			t->page[p] = NULL;
		}
	return err;
}

bool handle_table_clear_some(struct handle_table *t, uint64_t *budget)
{
	for (unsigned p = 0; p < HANDLE_PAGES; p++) {
		if (!t->page[p])
			continue;
		for (unsigned i = 0; i < HANDLE_SLOTS_PER_PAGE; i++) {
			if (!t->page[p][i].obj)
				continue;
			if (!*budget)
				return false;
			(*budget)--;
			handle_delete(&t->page[p][i]);
		}
	}
	for (unsigned p = 0; p < HANDLE_PAGES; p++) {
		if (t->page[p])
			t->ops.put(t->ops.ctx, t->page[p]);
		t->page[p] = NULL;
	}
	return true;
}
