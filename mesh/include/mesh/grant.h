/*
 * The owner's grant table: its exports (local capabilities other nodes
 * may call, named (obj, gen)) and, per export, the nodes it was given to.
 * Pure code, host and freestanding (docs/mesh.md "Remote calls").
 *
 * A node is added to an export's holders when the owner sends it the
 * reference (in a CALL, REPLY or lookup answer); only a holder may call it
 * (AION_ERIGHTS otherwise, counted as forged), except a name's (pinned)
 * export: names are public, any node may look one up. A holder leaves when it
 * releases the reference, dies or restarts. An export with no holder left
 * that no name pins is freed (its capability closed by the caller).
 * Generations are not secret: the holder check is what makes a reference
 * unforgeable; the generation only keeps a slot's earlier export from
 * reaching a later one (AION_EDEAD).
 */
#ifndef MESH_GRANT_H
#define MESH_GRANT_H

#include <stdbool.h>
#include <stdint.h>

#define GRANT_NODES     256     /* node numbers 0..255 (wire.h: u16, 255 = none) */

struct grant_set {
	uint64_t bits[GRANT_NODES / 64];
};

struct grant_export {
	bool used;
	bool pinned;            /* a registered name holds it */
	uint32_t gen;
	uint32_t rights;
	uint64_t cookie;        /* the owner's handle of the capability */
	struct grant_set holders;
};

struct grant_table {
	struct grant_export *x; /* cap slots: obj = index + 1 */
	unsigned cap;
	uint32_t next_gen;
	unsigned used;          /* exports in use */
	uint64_t forged;        /* calls refused: not a holder */
};

/* Freed exports are handed to this (the caller closes the capability). */
typedef void (*grant_free_fn)(void *ctx, uint64_t cookie);

void grant_init(struct grant_table *t, struct grant_export *slots, unsigned cap,
		uint32_t first_gen);
/* An export of cookie with rights, given to node to (0: held by the owner
 * itself, e.g. until the call that carries it is sent; node 0 never calls);
 * the same cookie and rights again reuse its slot (*reused set,
 * the caller then keeps no second copy). -AION_ENOSPC at the limit. */
int grant_export(struct grant_table *t, uint64_t cookie, uint32_t rights, uint16_t to,
		 bool pin, uint32_t *obj, uint32_t *gen, bool *reused);
/* Adds node to the holders of (obj, gen): 0 or -AION_EDEAD. */
int grant_add(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t node);
/* May node call (obj, gen)? 0 (*cookie set), -AION_EDEAD (no such export)
 * or -AION_ERIGHTS (node is not a holder of an unpinned export: counted in
 * forged). */
int grant_check(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t node,
		uint64_t *cookie);
/* Holder from lets node to call (obj, gen) too (a proxy of a proxy
 * short-cut to the owner): 0, -AION_EDEAD, or -AION_ERIGHTS when from does
 * not hold it (counted in forged: only a holder can delegate). */
int grant_delegate(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t from,
		   uint16_t to);
/* node no longer holds (obj, gen): 1 if the export was freed, else 0. */
int grant_release(struct grant_table *t, uint32_t obj, uint32_t gen, uint16_t node,
		  grant_free_fn fn, void *ctx);
/* node died or restarted: it holds nothing. Returns how many were freed. */
unsigned grant_drop_node(struct grant_table *t, uint16_t node, grant_free_fn fn, void *ctx);
/* A name let go of (obj, gen): the export goes now, holders or not (their
 * calls get AION_EDEAD). Returns 1 if it was there. */
int grant_remove(struct grant_table *t, uint32_t obj, uint32_t gen, grant_free_fn fn, void *ctx);
/* Holders summed over all exports. */
unsigned grant_holders(const struct grant_table *t);
bool grant_holds(const struct grant_export *x, uint16_t node);

#endif /* MESH_GRANT_H */
