/*
 * The cluster scheduler's pure logic (docs/mesh.md "Scheduler"): the
 * desired state and the placement policy. No I/O and no clock: the
 * desired state is part of the cluster state machine Raft replicates
 * (mesh/cstate.h), and the Raft leader is the scheduler's leader: it
 * computes placements from the committed state, its membership view and
 * the loads nodes report, and proposes them as log entries.
 *
 * Desired state. A list of jobs (a program, how many instances, where
 * allowed, spread or not, primary-backup or not) and where each instance
 * runs now; `version` counts the changes applied.
 *
 * Placement (csched_place). Instances on nodes missing from the view are
 * dropped; when a replicated job loses its primary, its backup becomes
 * primary and the job's epoch grows. Missing instances go to allowed
 * nodes: in the order of `allowed` when given (pinning), else the least
 * loaded node (csched_load_score); with CSCHED_SPREAD or CSCHED_REPLICATED
 * never two instances of a job on one node. A job that cannot get all
 * its instances keeps what it has and placement says why.
 */
#ifndef MESH_CSCHED_H
#define MESH_CSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/time.h"

#define CSCHED_JOBS_MAX         8
#define CSCHED_REPLICAS_MAX     3
#define CSCHED_ALLOWED_MAX      4
#define CSCHED_NAME_MAX         16      /* job name = program name, NUL included */
#define CSCHED_NODES_MAX        32      /* nodes in a view */


/* Job flags. */
#define CSCHED_SPREAD           0x01    /* instances on distinct nodes */
#define CSCHED_REPLICATED       0x02    /* instance 0 primary, the others backups */
#define CSCHED_FLAGS_KNOWN      0x03

/* Roles: the values of aion/mesh.h's MESH_ROLE_*. */
enum csched_role { CSCHED_ROLE_PLAIN = 0, CSCHED_ROLE_PRIMARY = 1, CSCHED_ROLE_BACKUP = 2 };

struct csched_inst {
	uint16_t node;                  /* 0: empty slot */
	uint8_t role;                   /* enum csched_role */
};

struct csched_job {
	char name[CSCHED_NAME_MAX];     /* NUL-terminated, printable, no spaces */
	uint8_t replicas;               /* wanted instances, 1..CSCHED_REPLICAS_MAX */
	uint8_t flags;                  /* CSCHED_* */
	uint16_t allowed[CSCHED_ALLOWED_MAX];   /* preference order, 0-terminated; none: any */
	uint32_t epoch;                 /* grows whenever the primary changes */
	struct csched_inst inst[CSCHED_REPLICAS_MAX];
};

struct csched_state {
	uint32_t term, version;         /* (term, version): which copy is newer */
	uint8_t njobs;
	struct csched_job job[CSCHED_JOBS_MAX]; /* job[0..njobs) */
};

/* A node's resources as it reports them to the leader (MESH_SCHED, `top`). */
struct csched_load {
	uint16_t node;
	uint8_t cpu_pct;                /* busy share of the last second, 0..100 */
	uint32_t free_kib;
	uint16_t units;                 /* units running on the node */
};

/* What membership says now: the live nodes (ALIVE or SUSPECT), self included. */
struct csched_view {
	uint16_t self;
	unsigned nalive;
	uint16_t alive[CSCHED_NODES_MAX];
};

/* --- state --- */

/* Byte size of an encoded state; encode returns bytes or -AION_ERANGE,
 * decode 0 or -AION_EMALFORMED (checks every field). */
#define CSCHED_STATE_LEN_MAX    (9 + CSCHED_JOBS_MAX * 39)
int csched_state_encode(const struct csched_state *s, uint8_t *buf, size_t cap);
int csched_state_decode(const uint8_t *buf, size_t len, struct csched_state *s);
/* A load on the wire (9 bytes): the length or -AION_ERANGE; decode 0 or
 * -AION_EMALFORMED. */
#define CSCHED_LOAD_LEN         9
int csched_load_encode(const struct csched_load *l, uint8_t *buf, size_t cap);
int csched_load_decode(const uint8_t *buf, size_t len, struct csched_load *l);
/* Whether a node's load now is news against the one it last reported:
 * its units changed, or its CPU share moved by CSCHED_LOAD_CPU_STEP
 * points or more, or its free memory by CSCHED_LOAD_FREE_STEP_KIB or
 * more. meshd reports news at once and the rest only now and then
 * (docs/mesh.md "Idle cost"): an idle node's load does not change. */
#define CSCHED_LOAD_CPU_STEP            10
#define CSCHED_LOAD_FREE_STEP_KIB       1024
bool csched_load_news(const struct csched_load *sent, const struct csched_load *now);
struct csched_job *csched_job_find(struct csched_state *s, const char *name);

/* Adds a job (not yet placed): 0, -AION_EEXIST, -AION_ENOSPC, -AION_EINVAL
 * (bad name, replicas out of range, unknown flags, node 0 or repeated in
 * allowed, a replicated job with one replica, spread wanting more
 * instances than allowed nodes). */
int csched_job_add(struct csched_state *s, const char *name, unsigned replicas,
		   unsigned flags, const uint16_t *allowed, unsigned nallowed);
/* Removes a job: 0 or -AION_ENOENT. */
int csched_job_remove(struct csched_state *s, const char *name);
/* The primary of replicated job `name`, on `node` under `epoch`, ended
 * while its node stays up: drops that instance so that placement promotes
 * the backup (epoch + 1) and places a new backup, as if the node had died.
 * Restarting it in place would bring back an empty primary under the old
 * epoch, which the backup would then copy. 0, -AION_ENOENT (no such job)
 * or -AION_ECONFLICT (not a replicated job, or no longer its primary at
 * that epoch: a report that came late). */
int csched_job_fail(struct csched_state *s, const char *name, uint16_t node, uint32_t epoch);

/* --- placement --- */

/* Lower is less loaded: busy share, then units, then free memory. */
uint64_t csched_load_score(const struct csched_load *l);

/* Brings the placement in line with the view and the loads (nloads
 * entries, any order; a live node without one counts as idle). Returns
 * how many instances were dropped, moved in role or placed (0: the state
 * is unchanged; the caller bumps the version otherwise). For each job
 * still short of instances, appends "job=NAME have=H want=W why=REASON\n"
 * to why (may be NULL). */
int csched_place(struct csched_state *s, const struct csched_view *v,
		 const struct csched_load *loads, unsigned nloads, char *why, size_t why_len);

/* Append to the NUL-terminated text in why (why_len bytes in all),
 * cutting the text short rather than overflowing: the why texts' helpers. */
void csched_why_put(char *why, size_t why_len, const char *s);
void csched_why_put_uint(char *why, size_t why_len, unsigned v);

#endif /* MESH_CSCHED_H */
