/*
 * At most once for remote calls: the owner's window of call ids per
 * caller node, and the boot rules that keep it across restarts of either
 * side (docs/mesh.md "Remote calls"). Pure code, host and freestanding.
 *
 * A call is named by (caller node, caller boot, id) and addressed to one
 * boot of the owner (owner_boot; 0 = the caller did not know it). Boots
 * only grow (each node counts its meshd starts on its disk), so:
 *   - a CALL addressed to another boot of the owner than this one is never
 *     run: this boot has no record of what that boot did (AMO_OTHER_BOOT,
 *     answered AION_EINDOUBT: an earlier boot may have run it);
 *   - per caller node one window, of its highest boot seen: a higher boot
 *     replaces it (the caller restarted: its earlier calls are void, nobody
 *     waits for them), a lower one is dropped and never resets anything
 *     (AMO_OLD_BOOT);
 *   - in the window, an id seen before is a duplicate (AMO_RUNNING or
 *     AMO_DONE: the cached answer is sent again), an id older than the
 *     window is dropped (AMO_OLD_ID: a caller keeps fewer calls in flight
 *     than the window holds, so it was answered long ago);
 *   - a new id takes the entry of the oldest finished one; when every entry
 *     still runs, or no caller slot is free, the CALL is dropped unanswered
 *     (AMO_FULL): the caller retransmits, so it is neither lost nor run
 *     twice, and no "did not run" is ever said of a call that may run later.
 */
#ifndef MESH_AMO_H
#define MESH_AMO_H

#include <stdbool.h>
#include <stdint.h>

#define AMO_WINDOW      64      /* remembered calls per caller node */
#define AMO_PEERS       16      /* caller nodes remembered at once */

enum amo_verdict {
	AMO_NEW,                /* run it: *slot is its entry */
	AMO_RUNNING,            /* a duplicate of a call that runs: CALL_ACK */
	AMO_DONE,               /* a duplicate of a finished call: its answer again */
	AMO_OTHER_BOOT,         /* addressed to another boot of this owner: EINDOUBT */
	AMO_OLD_BOOT,           /* from an earlier boot of the caller: drop */
	AMO_OLD_ID,             /* older than the window: drop */
	AMO_FULL,               /* no room: drop (the caller retransmits) */
};

enum amo_state { AMO_FREE, AMO_BUSY, AMO_FINISHED };

struct amo_entry {
	uint32_t id;
	uint8_t state;          /* enum amo_state */
};

struct amo_peer {
	uint16_t node;          /* 0: free */
	bool dead;              /* declared dead since its last call */
	uint32_t boot;
	uint32_t max_id;
	struct amo_entry e[AMO_WINDOW];
};

struct amo {
	uint32_t self_boot;
	struct amo_peer p[AMO_PEERS];
};

/* slot numbers an entry: peer * AMO_WINDOW + entry (the caller keeps its
 * cached answer there). */
#define AMO_SLOTS       (AMO_PEERS * AMO_WINDOW)

void amo_init(struct amo *a, uint32_t self_boot);
/* What to do with a CALL; *slot is set for AMO_NEW, AMO_RUNNING and
 * AMO_DONE. *restarted is set when the call shows the caller restarted
 * (a higher boot than its window's): its earlier boot's grants go. */
enum amo_verdict amo_call(struct amo *a, uint16_t node, uint32_t caller_boot,
			  uint32_t owner_boot, uint32_t id, unsigned *slot, bool *restarted);
/* Membership declared node dead. Its window stays (the death may be a
 * mistake and its calls still retransmitted), but its next boot is
 * accepted even if lower (a node whose disk was replaced counts its
 * starts from 1 again): a call of a lower boot then starts a new window. */
void amo_node_dead(struct amo *a, uint16_t node);
/* The call in slot finished (its answer is cached by the caller of this). */
void amo_finish(struct amo *a, unsigned slot);
/* Is slot still the entry of (node, caller_boot, id)? (A late worker's
 * answer must not overwrite the entry of a newer boot's call.) */
bool amo_slot_is(const struct amo *a, unsigned slot, uint16_t node, uint32_t caller_boot,
		 uint32_t id);

/* The entry of (node, caller_boot, id), if remembered: true and *slot. */
bool amo_find(const struct amo *a, uint16_t node, uint32_t caller_boot, uint32_t id,
	      unsigned *slot);

/* The caller's side: may an answer end or move an outcall? Only if it
 * names this boot of the caller; a REPLY or CALL_ACK must also come from
 * the owner boot the call was addressed to, an ERROR may come from a later
 * one (its "not my boot": AION_EINDOUBT). */
bool amo_answer_ok(uint32_t self_boot, uint32_t answer_caller_boot,
		   uint32_t call_owner_boot, uint32_t answer_owner_boot, bool error);

/* A peer's boot as learnt from its packets: the highest seen. Returns
 * true when it grew from a known value (the peer restarted). */
bool amo_learn_boot(uint32_t *known, uint32_t seen);

const char *amo_verdict_name(enum amo_verdict v);

#endif /* MESH_AMO_H */
