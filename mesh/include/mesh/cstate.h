/*
 * The cluster state machine: what every server's Raft log applies
 * (docs/mesh.md "Consensus"). Pure C, no I/O: meshd applies committed
 * entries to it in log order, the host tests and the Raft simulator drive
 * the same code.
 *
 * The state is the scheduler's desired state (mesh/csched.h) and kv's
 * tables with their client sessions (space/kv/store.h). Both live in the
 * log so that a write acknowledged once it is committed survives any
 * minority of failures, every node's restart at once included, and so that
 * a client's retry of the same (client, seq) is answered from the
 * replicated session table on whichever server leads next.
 *
 * Determinism is the rule: apply reads nothing but the state and the
 * command, so every server that applies the same log holds the same state
 * and computes the same answers. Decisions that need the world (the
 * membership view, the loads) are made by the leader before proposing:
 * CSTATE_PLACE carries the placement it computed, and applies only on the
 * version it was computed from.
 *
 * Commands, little-endian, the first byte the type:
 *   JOB_ADD     name[16] replicas u8 flags u8 allowed u16 x4
 *   JOB_REMOVE  name[16]
 *   JOB_FAIL    name[16] node u16 epoch u32
 *   PLACE       base version u32, an encoded csched_state (its term and
 *               version fields are ignored)
 *   KV          label u32 client u64 seq u64, then the request's fields
 *               exactly as the client sent them (aion/kv.h)
 *
 * Snapshot: applied index u64, term u32, the csched_state's length u16 and
 * the state, then kv's snapshot items (kv_snap_chunk) to the end.
 */
#ifndef MESH_CSTATE_H
#define MESH_CSTATE_H

#include <stddef.h>
#include <stdint.h>
#include "mesh/csched.h"
#include "store.h"

enum cstate_cmd {
	CSTATE_JOB_ADD = 1,
	CSTATE_JOB_REMOVE = 2,
	CSTATE_JOB_FAIL = 3,
	CSTATE_PLACE = 4,
	CSTATE_KV = 5,
};

/* Most bytes of one command: a PLACE with a full state. */
#define CSTATE_CMD_MAX          (1 + 4 + CSCHED_STATE_LEN_MAX)
_Static_assert(CSTATE_CMD_MAX >= 1 + 4 + 8 + 8 + 3 * (1 + KV_VALUE_MAX),
	       "a KV write with three full fields fits");
/* Most bytes of a snapshot. */
#define CSTATE_SNAP_MAX         (14 + CSCHED_STATE_LEN_MAX + KV_SNAP_END * 200)

struct cstate {
	uint64_t applied;               /* index of the last entry applied */
	uint32_t term;                  /* its term */
	struct csched_state sched;      /* sched.version: changes applied */
	struct kv_store kv;
};

/* What an applied command answers its proposer. */
struct cstate_result {
	int32_t err;                    /* 0 or -AION_E... */
	uint64_t w1;                    /* KV ADD: the new number */
	char value[KV_VALUE_MAX + 1];   /* KV: the key's value after the call */
};

void cstate_init(struct cstate *s);

/*
 * Applies the command of entry (index, term), which must follow s->applied.
 * The command's own outcome goes to res (a refusal such as EEXIST, or a
 * stale PLACE's ECONFLICT, changes nothing and is no failure of apply).
 * Returns 0, or -AION_EMALFORMED for bytes no proposer makes (the entry is
 * skipped; every server skips it alike), or -AION_EINVAL when index does
 * not follow s->applied.
 */
int cstate_apply(struct cstate *s, uint64_t index, uint32_t term, const uint8_t *cmd,
		 size_t len, struct cstate_result *res);

/* Command builders: the encoded length, or -AION_ERANGE / -AION_EINVAL. */
int cstate_cmd_job_add(uint8_t *buf, size_t cap, const char *name, unsigned replicas,
		       unsigned flags, const uint16_t *allowed, unsigned nallowed);
int cstate_cmd_job_remove(uint8_t *buf, size_t cap, const char *name);
int cstate_cmd_job_fail(uint8_t *buf, size_t cap, const char *name, uint16_t node,
			uint32_t epoch);
int cstate_cmd_place(uint8_t *buf, size_t cap, const struct csched_state *placed);
int cstate_cmd_kv(uint8_t *buf, size_t cap, uint32_t label, uint64_t client, uint64_t seq,
		  const uint8_t *fields, size_t len);

/* A KV command's label and fields (pointing into cmd): 0 or
 * -AION_EMALFORMED. */
int cstate_cmd_kv_parse(const uint8_t *cmd, size_t len, uint32_t *label,
			const uint8_t **fields, size_t *flen);

/* A linearizable read (after the read index is applied): the value of the
 * request's key into res; 0 or the request's decode error. */
int cstate_kv_read(const struct cstate *s, const uint8_t *fields, size_t len,
		   struct cstate_result *res);

/* The whole state as bytes: the length, or -AION_ERANGE. */
int cstate_snapshot(const struct cstate *s, uint8_t *buf, size_t cap);
/* Replaces s with a snapshot: 0, or -AION_EMALFORMED (s is then reset). */
int cstate_restore(struct cstate *s, const uint8_t *buf, size_t len);

#endif /* MESH_CSTATE_H */
