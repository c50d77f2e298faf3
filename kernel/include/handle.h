/*
 * A unit's handle table: one page of slots (object, rights, generation).
 * Handles are slot index plus generation (aion/object.h), so a closed or
 * guessed handle fails instead of naming a newer object.
 */
#ifndef KERNEL_HANDLE_H
#define KERNEL_HANDLE_H

#include <stdint.h>
#include "aion/object.h"

struct kobj;

struct handle_slot {
	struct kobj *obj;
	uint32_t rights;
	uint32_t gen;
};

struct handle_table {
	struct handle_slot slot[AION_HANDLE_SLOTS];
};

_Static_assert(sizeof(struct handle_table) <= 4096, "one page");

void handle_table_init(struct handle_table *t);

/* Takes a reference on o. -AION_ENOSPC when every slot is in use. */
int handle_alloc(struct handle_table *t, struct kobj *o, uint32_t rights,
		 aion_handle_t *out);

/* Installs o in slot 0 (the unit itself, AION_HANDLE_SELF). Precondition: a
 * freshly initialised table (slot 0 empty), once per table. */
void handle_set_self(struct handle_table *t, struct kobj *o, uint32_t rights);

/*
 * -AION_ECAP: no such live handle; -AION_ETYPE: other object type;
 * -AION_ERIGHTS: a right in `need` is missing. Checked in that order.
 */
int handle_lookup(const struct handle_table *t, aion_handle_t h, uint32_t type,
		  uint32_t need, struct kobj **out);

/* Drops the reference; -AION_ECAP if h is not live, -AION_EPERM for SELF. */
int handle_close(struct handle_table *t, aion_handle_t h);

/* Drops every reference (unit destruction). */
void handle_table_clear(struct handle_table *t);

#endif /* KERNEL_HANDLE_H */
