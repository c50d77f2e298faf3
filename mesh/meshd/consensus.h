/*
 * meshd's consensus: the Raft server of this node (mesh/raft.h) on the
 * "mesh" region of the node's disk (mesh/logstore.h over libaion's block
 * client), with mesh packets (MESH_RAFT) as transport and the cluster
 * state machine (mesh/cstate.h) as what the log applies.
 *
 * The rest of meshd sees only this: who leads, the committed state, and
 * two ways to change or read it. No other module acts on state that is
 * not committed: jobs.c reconciles from cons_state() alone, and the
 * scheduler's leader is the Raft leader.
 */
#ifndef MESHD_CONSENSUS_H
#define MESHD_CONSENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mesh/cstate.h"

/*
 * How a proposal or read ended, called once from the main loop:
 *   0          applied (res holds the command's own outcome)
 *   -AION_EAGAIN     not applied, and never will be (another entry took its
 *                    index, or this server did not lead): retry
 *   -AION_EINDOUBT   leadership was lost before the outcome was known: the
 *                    entry may still be applied; retry with the same
 *                    session seq to learn the result
 *   -AION_ETIMEDOUT  no outcome within the budget (same as EINDOUBT)
 */
typedef void (*cons_done_fn)(void *arg, int64_t err, const struct cstate_result *res);

/* Opens the disk and recovers; the server then runs from cons_tick.
 * configured: aion.nodes; args: meshd's, for "bootstrap=1". */
int64_t cons_init(uint64_t now, unsigned configured, const char *args);
void cons_tick(uint64_t now);
uint64_t cons_deadline(void);
/* A MESH_RAFT packet's payload from node src. */
void cons_receive(uint16_t src, const uint8_t *payload, size_t len);

bool cons_leading(void);
/* The node of the leader this server follows, 0: none known. */
uint16_t cons_leader_node(void);
/* The membership holds node dead: if it led, the election starts now. */
void cons_node_dead(uint16_t node);
uint32_t cons_term(void);
/* The committed state, as applied here. */
const struct cstate *cons_state(void);
/* Has the leader applied an entry of its own term (so that its state is
 * the whole committed state and it may decide from it)? */
bool cons_leader_ready(void);

/*
 * Appends cmd (a cstate command) if this server leads and is ready:
 * done is called once the outcome is known. Returns 0, -AION_ENOTLEADER,
 * -AION_EAGAIN (leader not ready yet), -AION_EBUSY (too many proposals in
 * flight) or -AION_ENOSPC (log full until the next snapshot).
 */
int64_t cons_propose(const uint8_t *cmd, size_t len, uint64_t budget_ns, cons_done_fn done,
		     void *arg);
/* A linearizable read: done is called (err 0, res empty) once this
 * server, still leading, has applied everything committed when the read
 * began; the caller then reads cons_state(). Same errors as cons_propose. */
int64_t cons_read(uint64_t budget_ns, cons_done_fn done, void *arg);

/* The nodes of the voters in the latest configuration: their number. */
unsigned cons_voter_nodes(uint16_t *nodes, unsigned max);
/* Membership (one change at a time; docs/mesh.md "Consensus"). */
int64_t cons_members_text(char *out, unsigned size);
/* The leader takes server id on node one step towards voting: replaces
 * the node's old server, adds it as a learner, promotes it once it caught
 * up. 0 once it votes, -AION_EAGAIN after a step (ask again), text says
 * what was done. */
int64_t cons_join(uint64_t id, uint16_t node, char *text, unsigned size);
/* The leader removes node's server from the configuration. */
int64_t cons_remove(uint16_t node, char *text, unsigned size);

#endif /* MESHD_CONSENSUS_H */
