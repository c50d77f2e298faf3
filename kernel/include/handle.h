/*
 * A unit's capability table. A slot holds an object reference, rights, a
 * badge and a generation; a handle is slot index plus generation
 * (aion/object.h), so a closed or guessed handle fails with -AION_ECAP.
 *
 * Slots form a derivation tree across every unit: a copy or mint is a
 * child of its source. Revoking a slot deletes its descendants wherever
 * they live; deleting a slot hands its children to its parent, so a later
 * revoke of an ancestor still reaches them. Rights never grow along the
 * tree: a child's rights are a subset of its parent's.
 *
 * Slots live on up to HANDLE_PAGES pages, taken on demand from the unit's
 * quota through the page callbacks. Pure: host tests drive it with their
 * own kobj_get/kobj_put/kobj_cap_* definitions.
 */
#ifndef KERNEL_HANDLE_H
#define KERNEL_HANDLE_H

#include <stdint.h>
#include <stdbool.h>
#include "aion/object.h"

struct kobj;

struct handle_slot {
	struct kobj *obj;               /* NULL: free */
	uint64_t badge;
	uint32_t rights;
	uint32_t gen;
	/* Derivation (handle.c): `child` is one of its children, whose ring
	 * of siblings `next`/`prev` link; `up`, the parent, only in that one. */
	struct handle_slot *up, *child, *next, *prev;
	void *holder;                   /* the table's owner (ops.ctx), for the hooks */
};

#define HANDLE_SLOTS_PER_PAGE   (4096 / sizeof(struct handle_slot))
#define HANDLE_PAGES            ((AION_HANDLE_SLOTS + HANDLE_SLOTS_PER_PAGE - 1) / HANDLE_SLOTS_PER_PAGE)

struct handle_pages {
	void *(*get)(void *ctx);        /* a zeroed 4 KiB page, or NULL */
	void (*put)(void *ctx, void *page);
	void *ctx;
};

struct handle_table {
	struct handle_slot *page[HANDLE_PAGES];
	struct handle_pages ops;
};

void handle_table_init(struct handle_table *t, const struct handle_pages *ops);

/*
 * New slot for o with rights and badge, a child of parent (NULL: a root).
 * Takes a reference. -AION_ENOSPC when the table is full (or no page).
 */
int handle_alloc(struct handle_table *t, struct kobj *o, uint32_t rights,
		 uint64_t badge, struct handle_slot *parent, aion_handle_t *out);

/* Installs o in slot 0 (AION_HANDLE_SELF). Precondition: fresh table, once. */
int handle_set_self(struct handle_table *t, struct kobj *o, uint32_t rights);

/* Slot i (live or not), or NULL when its page does not exist. */
struct handle_slot *handle_slot_at(const struct handle_table *t, unsigned i);

/* The live slot h names, or NULL. */
struct handle_slot *handle_slot_of(const struct handle_table *t, aion_handle_t h);

/* 0, or -AION_ECAP (NULL), -AION_ETYPE, -AION_ERIGHTS: the one rights check. */
int handle_check(const struct handle_slot *s, uint32_t type, uint32_t need);

/*
 * -AION_ECAP: no such live handle; -AION_ETYPE: other object type;
 * -AION_ERIGHTS: a right in `need` is missing. Checked in that order.
 */
int handle_lookup(const struct handle_table *t, aion_handle_t h, uint32_t type,
		  uint32_t need, struct kobj **out);

/*
 * Derives a child of src into dst with rights src->rights & mask. badge 0
 * keeps src's badge; a non-zero badge mints: only an unbadged source may be
 * minted (-AION_EPERM otherwise).
 */
int handle_derive(struct handle_slot *src, struct handle_table *dst,
		  uint32_t mask, uint64_t badge, aion_handle_t *out);

/* Moves src into dst: the new slot takes src's place in the tree. */
int handle_move(struct handle_slot *src, struct handle_table *dst,
		aion_handle_t *out);

/* Deletes one slot (its children go to its parent): O(1). Drops the reference. */
void handle_delete(struct handle_slot *s);

/* s's parent, or NULL for a root: O(siblings), for checks and tests. */
struct handle_slot *handle_parent(const struct handle_slot *s);

/* -AION_ECAP if h is not live, -AION_EPERM for AION_HANDLE_SELF. */
int handle_close(struct handle_table *t, aion_handle_t h);

/*
 * Deletes up to `budget` descendants of s. 0 when none remain,
 * -AION_EAGAIN when more do (call again: bounded work per call).
 */
int handle_revoke(struct handle_slot *s, unsigned budget);

/*
 * Does t hold a capability to o with all of `rights`? What the kernel
 * keeps for a unit on a capability's authority (an I/O port range, a
 * mapping, an IRQ's notification) lasts while this is true. O(slots).
 */
bool handle_holds(const struct handle_table *t, const struct kobj *o, uint32_t rights);

/*
 * Makes sure `want` slots can be allocated without taking a page: takes
 * the pages they need now. 0, or -AION_ENOMEM (a page could not be had)
 * or -AION_ENOSPC (the table is full), with the table as it was. A
 * capability transfer reserves before it commits, so it is all or nothing.
 */
int handle_reserve(struct handle_table *t, unsigned want);

/*
 * Unit destruction: deletes slots, at most *budget of them (each one
 * spends one), then, with none left, returns the pages. True when done;
 * called again, it goes on where it stopped (deleted slots are empty).
 */
bool handle_table_clear_some(struct handle_table *t, uint64_t *budget);

#endif /* KERNEL_HANDLE_H */
