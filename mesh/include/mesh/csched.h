/*
 * The cluster scheduler's pure logic (docs/mesh.md "Scheduler"): the
 * desired state every node keeps, the leader rules that decide who may
 * change it, and the placement policy. No I/O and no clock of its own:
 * meshd feeds it time, the membership view and received messages, and
 * sends what it returns; host tests drive several nodes at once.
 *
 * Desired state. A list of jobs (a program, how many instances, where
 * allowed, spread or not, primary-backup or not) and where each instance
 * runs now. Every node holds a copy; (term, version) orders copies.
 *
 * Leader. At most one node per term changes the state, and only while its
 * membership view holds a quorum: more than half of the configured nodes
 * alive, itself included. The configured nodes, 1..configured, are the
 * voters; a node added to the cluster later takes work but never votes,
 * leads or counts towards a quorum or a commit. A node with a quorum view and no live leader
 * (the leader is missing from its view, or no STATE came for
 * CSCHED_LEADER_TIMEOUT_NS) asks for votes for term+1: at once when it is
 * the lowest-numbered live node of its view, otherwise after a delay
 * growing with its rank, so odd views still elect someone. A candidate
 * asks again every CSCHED_VOTE_RETRY_NS: a voter whose membership had not
 * yet declared the old leader dead refused it, and grants as soon as it
 * has, well before its own rank delay runs out. A node grants
 * one vote per term, and none while a live leader it heard from within
 * CSCHED_LEADER_TIMEOUT_NS leads (a returning node does not unseat a
 * working leader). Votes carry the voter's state; the new leader adopts
 * the newest it got, so a state a majority held survives any change of
 * leader. A leader steps down when its view loses the quorum or it sees
 * a higher term.
 *
 * Commit. The leader pushes its whole state (STATE) at once on a change
 * and every CSCHED_PUSH_NS; followers adopt a STATE of a term not below
 * theirs and answer STATE_ACK with their load. A version is committed
 * when a majority of the configured nodes acked it: meshd answers
 * `spawn` only then, so no acknowledged decision depends on one node.
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

#define CSCHED_PUSH_NS           (300 * MS)
#define CSCHED_LEADER_TIMEOUT_NS (1500 * MS)
#define CSCHED_RANK_DELAY_NS     (400 * MS)     /* per rank above the lowest */
#define CSCHED_VOTE_RETRY_NS     (100 * MS)     /* a candidate asks again */

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

/* A node's resources as it reports them (STATE_ACK, VOTE, `top`). */
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
bool csched_state_newer(const struct csched_state *a, const struct csched_state *b);
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

/* --- leader rules --- */

enum csched_msg_type {
	CSCHED_MSG_VOTE_REQ = 1,        /* candidate -> all: term */
	CSCHED_MSG_VOTE = 2,            /* voter -> candidate: term, granted, load, state */
	CSCHED_MSG_STATE = 3,           /* leader -> all: term, state */
	CSCHED_MSG_STATE_ACK = 4,       /* follower -> leader: term, version, load */
};

struct csched_msg {
	uint8_t type;
	uint16_t from, to;
	uint32_t term;
	uint8_t granted;                /* VOTE */
	uint32_t version;               /* STATE_ACK: the version adopted */
	struct csched_load load;        /* VOTE, STATE_ACK: the sender's */
	struct csched_state state;      /* VOTE, STATE */
};

#define CSCHED_MSG_LEN_MAX      (24 + CSCHED_STATE_LEN_MAX)
int csched_msg_encode(const struct csched_msg *m, uint8_t *buf, size_t cap);
int csched_msg_decode(const uint8_t *buf, size_t len, struct csched_msg *m);

#define CSCHED_OUT_MAX          CSCHED_NODES_MAX    /* messages one call returns at most */

struct csched_node {
	uint16_t self;
	unsigned configured;            /* nodes the cluster is made of */
	uint32_t term;                  /* highest term seen */
	uint16_t voted_for;             /* in `term`, 0: none */
	uint16_t leader;                /* of `term`, 0: unknown */
	uint64_t leader_heard;          /* last STATE from the leader */
	uint64_t no_leader_since;       /* when this node last had a live leader */
	bool leading, candidate;
	uint16_t granted[CSCHED_NODES_MAX];     /* candidate: voters for `term` */
	unsigned ngranted;
	uint16_t acked_node[CSCHED_NODES_MAX];  /* leader: who acked which version */
	uint32_t acked_version[CSCHED_NODES_MAX];
	unsigned nacked;
	uint32_t committed;             /* leader: highest version a majority holds */
	uint64_t next_push;              /* leader: next STATE */
	uint64_t next_ask;               /* candidate: next VOTE_REQ */
	struct csched_load self_load;
	struct csched_load loads[CSCHED_NODES_MAX];     /* others', as last reported */
	unsigned nloads;
	struct csched_state state;
	char why[256];                  /* the last placement's shortfalls */
	uint64_t quiet_until;           /* regained quorum: hear a leader before standing */
	uint64_t stand_at;              /* when this node stands if nothing changes */
	bool had_quorum;                /* at the last tick */
};

void csched_init(struct csched_node *n, uint16_t self, unsigned configured, uint64_t now);
/* Voters (nodes 1..configured) alive in v, self included. */
unsigned csched_live_voters(const struct csched_node *n, const struct csched_view *v);
bool csched_quorum(const struct csched_node *n, const struct csched_view *v);

/* Timers, view changes, placement by the leader: call on every tick and
 * whenever the view changes. Returns how many messages it put in out. */
int csched_tick(struct csched_node *n, uint64_t now, const struct csched_view *v,
		struct csched_msg *out, int max);
/* A message from another node; replies go to out. Returns their number,
 * -AION_EINVAL for a message not meant for this node, or -AION_EMALFORMED
 * for a STATE that contradicts itself or this node (its state's term is
 * not the message's, or it claims the term this node leads). A node that
 * has a live leader ignores a VOTE_REQ of a higher term (answers no and
 * keeps its term), so one node's hiccup does not force an election. */
int csched_receive(struct csched_node *n, uint64_t now, const struct csched_view *v,
		   const struct csched_msg *in, struct csched_msg *out, int max);
uint64_t csched_next_deadline(const struct csched_node *n, uint64_t now);

/* The leader applies a change to its state: add or remove a job, or fail
 * a primary (csched_job_fail), then
 * place and bump the version. Returns the version to wait for (see
 * csched_committed) or -AION_EAGAIN when this node does not lead (then
 * n->leader, if not 0, is whom to ask), -AION_ENOQUORUM when its view has
 * no quorum, or csched_job_add's / csched_job_remove's error. The caller
 * runs csched_tick next to push it. */
int64_t csched_submit_add(struct csched_node *n, const struct csched_view *v, const char *name,
			  unsigned replicas, unsigned flags, const uint16_t *allowed,
			  unsigned nallowed);
int64_t csched_submit_remove(struct csched_node *n, const struct csched_view *v, const char *name);
int64_t csched_submit_fail(struct csched_node *n, const struct csched_view *v, const char *name,
			   uint16_t node, uint32_t epoch);
/* True when this node leads and a majority holds `version` of its term.
 * Versions restart from the adopted state on a change of leader, so a
 * caller that may outlive a term should note n->term at the submit and
 * ask csched_committed_in: a version of an older term is never reported
 * committed by it (the new leader may not hold that change). */
bool csched_committed(const struct csched_node *n, uint32_t version);
bool csched_committed_in(const struct csched_node *n, uint32_t term, uint32_t version);

#endif /* MESH_CSCHED_H */
