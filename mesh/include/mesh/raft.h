/*
 * Raft consensus core (Ongaro and Ousterhout 2014; Ongaro's dissertation),
 * the one definition of the protocol, its messages and its persistence
 * contract. Design decisions and what was rejected: docs/raft.md.
 *
 * Pure and event-driven: no I/O, no clock, no allocation. The caller owns
 * every byte (struct raft, the log array, the snapshot receive buffer),
 * feeds time with raft_tick, received messages with raft_step, and drains
 * the outputs with raft_ready / raft_advance:
 *
 *   raft_ready(r, &rd);
 *   1. persist: if rd.snap, replace the stored log by the snapshot; if
 *      rd.truncate_from, drop stored entries >= it; append entries
 *      [rd.persist_from, rd.persist_to] (raft_entry_at); store rd.hard if
 *      rd.hard_changed; then sync.
 *   2. send rd.msgs (raft_msg_encode; raft_conf_node maps ids to nodes).
 *   3. install rd.snap into the state machine, apply committed entries
 *      [rd.apply_from, rd.apply_to], answer rd.reads once applied.
 *   4. raft_advance(r, &rd).
 * No other raft_* call may come between raft_ready and raft_advance.
 * Because messages leave only after the sync, the term and vote a message
 * depends on, and the entries an acknowledgement claims, are durable
 * first. A crash at any point loses only what was not yet synced.
 *
 * Servers are named by a nonzero 64-bit id, never reused: a server whose
 * disk was wiped comes back under a new id. The configuration maps each id
 * to the 16-bit node number the mesh transport uses.
 */
#ifndef MESH_RAFT_H
#define MESH_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aion/error.h"

#define RAFT_ENTRY_MAX      394u   /* payload bytes of one log entry */
#define RAFT_SERVERS_MAX    9u     /* voters and learners together */
/* An encoded message: meshd sends one per mesh packet, and a packet (31
 * bytes of header, 16 of MAC) goes to netd in one IPC payload of 512:
 * MESH_PAYLOAD_MAX (mesh/wire.h; meshd's consensus.c asserts it). */
#define RAFT_MSG_MAX        465u
#define RAFT_SNAP_MAX       (128u * 1024u) /* suggested receive buffer */
#define RAFT_INFLIGHT_MAX   4u     /* AppendEntries in flight per peer */
#define RAFT_OUTBOX_MAX     40u    /* messages queued between two readies */
#define RAFT_READS_MAX      16u    /* read-index requests pending at once */
/* Terms and indices above this are malformed (the codec and raft_init
 * refuse them): no cluster gets there, and index + count never wraps. */
#define RAFT_INDEX_MAX      (1ull << 62)

/* Encoded sizes (raft_msg.c). The APPEND header leaves room for one
 * entry of RAFT_ENTRY_MAX bytes; SNAP leaves RAFT_SNAP_CHUNK bytes of
 * snapshot after a full configuration. */
#define RAFT_MSG_HDR_LEN        26u
#define RAFT_MSG_APPEND_LEN     (RAFT_MSG_HDR_LEN + 34u)
#define RAFT_MSG_ENTRY_HDR_LEN  11u
#define RAFT_MSG_DATA_MAX       (RAFT_MSG_MAX - RAFT_MSG_APPEND_LEN)
#define RAFT_MSG_ENTS_MAX       (RAFT_MSG_DATA_MAX / RAFT_MSG_ENTRY_HDR_LEN)
#define RAFT_SNAP_CHUNK         312u

/* Timing defaults for TCG QEMU VMs (ms); fields of struct raft_init. */
#define RAFT_HEARTBEAT_MS       50u
#define RAFT_ELECTION_MIN_MS    300u
#define RAFT_ELECTION_MAX_MS    600u

enum raft_role { RAFT_FOLLOWER, RAFT_PRE_CANDIDATE, RAFT_CANDIDATE, RAFT_LEADER };

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 1,  /* the state machine's command */
	RAFT_ENTRY_CONFIG = 2,  /* a whole configuration (raft_conf_encode) */
	RAFT_ENTRY_NOOP   = 3,  /* a new leader's first entry */
};

struct raft_entry {
	uint64_t index;
	uint64_t term;
	uint8_t type;           /* enum raft_entry_type */
	uint16_t len;
	uint8_t data[RAFT_ENTRY_MAX];
};

struct raft_server {
	uint64_t id;            /* nonzero */
	uint16_t node;          /* transport address */
	bool voter;             /* false: learner, receives the log only */
};

struct raft_conf {
	uint8_t n;
	struct raft_server s[RAFT_SERVERS_MAX];
};

/* What must be durable before any message that depends on it leaves. */
struct raft_hard {
	uint64_t term;
	uint64_t vote;          /* id voted for in term, 0 none */
};

struct raft_snap_meta {
	uint64_t index;         /* last entry the snapshot covers, 0 none */
	uint64_t term;          /* its term */
	struct raft_conf conf;  /* the configuration as of index */
};

enum raft_msg_type {
	RAFT_MSG_PREVOTE = 1, RAFT_MSG_PREVOTE_RESP,
	RAFT_MSG_VOTE, RAFT_MSG_VOTE_RESP,
	RAFT_MSG_APPEND, RAFT_MSG_APPEND_RESP,
	RAFT_MSG_SNAP, RAFT_MSG_SNAP_RESP,
};
#define RAFT_MSG_TYPE_MAX RAFT_MSG_SNAP_RESP

#define RAFT_MSG_REJECT 0x01u   /* *_RESP: refused */
#define RAFT_MSG_DONE   0x02u   /* SNAP: last chunk; SNAP_RESP: installed */
#define RAFT_MSG_QUIET  0x04u   /* APPEND (empty): the next comes within the quiet period */

/* One entry of an APPEND: its payload is data[off, off + len). */
struct raft_msg_entry {
	uint64_t term;
	uint8_t type;
	uint16_t len;
	uint16_t off;
};

/*
 * A decoded message. Which fields travel depends on the type:
 *  PREVOTE, VOTE  index, log_term: the candidate's last entry; term is
 *                 the term it asks for (a pre-vote does not take it)
 *  *VOTE_RESP     flags (REJECT)
 *  APPEND         index, log_term: the entry before ents; commit; seq:
 *                 the leader's heartbeat round; ents and data
 *  APPEND_RESP    flags; index: the last entry matched, or the rejected
 *                 prev index; hint: where the leader should retry; seq
 *  SNAP           index, log_term, conf: the snapshot; offset; flags
 *                 (DONE on the last chunk); data[0, len): the chunk
 *  SNAP_RESP      index; offset: the next byte expected; flags
 */
struct raft_msg {
	uint8_t type;
	uint8_t flags;
	uint64_t from, to;      /* server ids */
	uint64_t term;
	uint64_t index;
	uint64_t log_term;
	uint64_t commit;
	uint64_t hint;
	uint64_t seq;
	uint32_t offset;
	struct raft_conf conf;
	uint16_t nents;
	uint16_t len;
	struct raft_msg_entry ents[RAFT_MSG_ENTS_MAX];
	uint8_t data[RAFT_MSG_DATA_MAX];
};

/* A confirmed linearizable read: answer ctx once applied >= index. */
struct raft_read {
	uint64_t ctx;
	uint64_t index;
};

enum raft_conf_op { RAFT_CONF_ADD_LEARNER, RAFT_CONF_PROMOTE, RAFT_CONF_REMOVE };

/* Everything raft_init needs: the durable state and the caller's memory. */
struct raft_init {
	uint64_t id;
	uint64_t seed;                  /* election jitter; 0: derived from id */
	uint64_t now_ms;
	struct raft_entry *log;         /* ring of log_cap entries */
	uint32_t log_cap;
	uint8_t *snap_buf;              /* receive buffer for snapshots */
	uint32_t snap_cap;
	struct raft_hard hard;
	struct raft_snap_meta snap;     /* index 0: the bootstrap configuration */
	const uint8_t *snap_data;       /* kept, not copied, to send it */
	uint32_t snap_len;
	const struct raft_entry *ents;  /* the stored entries after snap.index */
	size_t nents;
	uint32_t heartbeat_ms;          /* 0: the defaults above */
	uint32_t election_min_ms;
	uint32_t election_max_ms;
	/* A quiet leader (docs/raft.md): a server that holds every entry, knows
	 * the commit and answered the last round gets a heartbeat only every
	 * quiet_ms, flagged RAFT_MSG_QUIET, and waits that much longer before
	 * it campaigns. 0: off; else above heartbeat_ms. */
	uint32_t quiet_ms;
};

enum raft_progress_state { RAFT_PR_PROBE, RAFT_PR_REPLICATE, RAFT_PR_SNAPSHOT };

/* The leader's view of one server (same slot as in conf). */
struct raft_progress {
	uint64_t next, match;
	uint8_t state;          /* enum raft_progress_state */
	bool paused;            /* PROBE/SNAPSHOT: one message out, waiting */
	bool active;            /* heard from since the last quorum check */
	uint8_t inflight;
	uint64_t inflight_last[RAFT_INFLIGHT_MAX]; /* FIFO of last indices */
	uint64_t match_at_hb;   /* match at the previous heartbeat */
	uint64_t acked_seq;     /* highest heartbeat round acknowledged */
	uint64_t sent_seq;      /* round of the last APPEND sent to it */
	uint64_t hb_due;        /* when it gets its next heartbeat (ms) */
	uint64_t snap_index;    /* SNAPSHOT: which snapshot, next byte */
	uint32_t snap_offset;
};

struct raft_log {
	struct raft_entry *ents;
	uint32_t cap;
	uint64_t first;         /* snap_index + 1 */
	uint64_t last;          /* == snap_index when empty */
	uint64_t snap_index, snap_term;
};

struct raft_pending_read {
	uint64_t ctx, index, seq;
};

struct raft {
	uint64_t id;
	uint64_t rng;
	uint32_t heartbeat_ms, election_min_ms, election_max_ms, quiet_ms;
	uint64_t now;

	struct raft_hard hard, hard_synced;
	enum raft_role role;
	uint64_t leader;                /* known leader id, 0 unknown */
	struct raft_log log;
	uint64_t stable;                /* entries <= stable are durable */
	uint64_t truncate_from;         /* unsynced suffix removal, 0 none */
	uint64_t commit, applied;

	struct raft_conf conf;          /* latest, in effect once appended */
	uint64_t conf_index;            /* where conf came from */
	struct raft_snap_meta snap;
	const uint8_t *snap_data;
	uint32_t snap_len;
	bool snap_lost;                 /* snap_buf reused: nothing to send */

	/* Snapshot being received, and one received for install. */
	uint8_t *snap_buf;
	uint32_t snap_cap;
	uint64_t recv_index, recv_term;
	uint32_t recv_len;
	bool snap_pending;

	/* Timers (absolute ms). */
	uint64_t election_deadline;
	uint64_t heartbeat_deadline;
	uint64_t quorum_deadline;
	uint64_t leader_contact;        /* last message from the leader */
	bool contact_quiet;             /* ... was a quiet heartbeat */

	uint8_t votes[RAFT_SERVERS_MAX]; /* 0 unknown, 1 granted, 2 refused */
	struct raft_progress prs[RAFT_SERVERS_MAX];
	bool own_term_committed;
	uint64_t hb_seq;

	struct raft_pending_read reads[RAFT_READS_MAX];
	uint32_t nreads;
	struct raft_read reads_ready[RAFT_READS_MAX];
	uint32_t nreads_ready;

	struct raft_msg out[RAFT_OUTBOX_MAX];
	uint32_t nout;
};

/* Outputs of one ready cycle; pointers stay valid until raft_advance. */
struct raft_ready {
	bool hard_changed;
	struct raft_hard hard;
	bool snap;                      /* a received snapshot to install */
	struct raft_snap_meta snap_meta;
	const uint8_t *snap_data;
	uint32_t snap_len;
	uint64_t truncate_from;         /* nonzero: drop stored entries >= it */
	uint64_t persist_from, persist_to; /* from > to: nothing to append */
	const struct raft_msg *msgs;
	size_t nmsgs;
	uint64_t apply_from, apply_to;  /* from > to: nothing to apply */
	const struct raft_read *reads;
	size_t nreads;
};

/* raft.c: inputs and outputs. */
int raft_init(struct raft *r, const struct raft_init *in);
void raft_tick(struct raft *r, uint64_t now_ms);
/* When raft_tick next has work (absolute ms): a leader's heartbeat or
 * quorum check, anyone else's election timeout. A leader's
 * election_deadline is left from its campaign, long past: waiting on it
 * would wake the caller at once, again and again. After raft_tick(r, t)
 * the result is later than t. */
uint64_t raft_next_deadline(const struct raft *r);
int raft_step(struct raft *r, const struct raft_msg *m);
/* The caller's failure detector holds server id's node dead: a follower
 * of id stops waiting for it (a quiet leader's heartbeats are far apart)
 * and campaigns within the election window's spread. */
void raft_leader_lost(struct raft *r, uint64_t id);
int raft_propose(struct raft *r, enum raft_entry_type type, const void *data,
		 size_t len, uint64_t *index);
int raft_change_config(struct raft *r, enum raft_conf_op op, uint64_t id,
		       uint16_t node, uint64_t *index);
int raft_compact(struct raft *r, uint64_t index, const uint8_t *data,
		 uint32_t len);
bool raft_has_ready(const struct raft *r);
void raft_ready(struct raft *r, struct raft_ready *rd);
void raft_advance(struct raft *r, const struct raft_ready *rd);

/* raft_read.c: linearizable reads (dissertation 6.4). */
int raft_read_index(struct raft *r, uint64_t ctx);

/* Queries. */
const struct raft_entry *raft_entry_at(const struct raft *r, uint64_t index);
uint64_t raft_last_index(const struct raft *r);
uint64_t raft_leader(const struct raft *r);

/* raft_conf.c: configurations. */
const struct raft_server *raft_conf_find(const struct raft_conf *c, uint64_t id);
int raft_conf_node(const struct raft_conf *c, uint64_t id);
unsigned raft_conf_voters(const struct raft_conf *c);
int raft_conf_encode(const struct raft_conf *c, uint8_t *buf, size_t cap);
int raft_conf_decode(const uint8_t *buf, size_t len, struct raft_conf *c);
int raft_conf_apply(struct raft_conf *c, enum raft_conf_op op, uint64_t id,
		    uint16_t node);

/* raft_msg.c: the wire codec, big-endian; decode refuses malformed input
 * with -AION_EMALFORMED and never reads past len. */
int raft_msg_encode(const struct raft_msg *m, uint8_t *buf, size_t cap);
int raft_msg_decode(const uint8_t *buf, size_t len, struct raft_msg *m);
const char *raft_msg_type_name(unsigned type);

#endif /* MESH_RAFT_H */
