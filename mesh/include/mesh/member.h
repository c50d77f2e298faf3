/*
 * AionMesh membership: a pure SWIM-family failure detector.
 *
 * No system calls and no I/O: the caller passes the time in nanoseconds
 * and sends the abstract messages this module writes into out arrays
 * (the wire codec serializes them). Compiles freestanding and on the host.
 *
 * Protocol, once per period (default 100 ms):
 *  - mesh_members_tick picks the next probe target round-robin by node id
 *    (the smallest live id above the last one probed, wrapping) and emits
 *    a PING. Because every node walks the ids from its own position, in a
 *    steady cluster each node is probed by about one peer per period.
 *  - No ACK within the probe timeout (default 60 ms): PING_REQ to K (2)
 *    other live members, which PING the target on our behalf and return
 *    an INDIRECT_ACK if it answers.
 *  - Still nothing at the period end: the target becomes SUSPECT, and
 *    every following period probes it again (instead of the next
 *    round-robin target) for as long as it stays SUSPECT, so each PING
 *    (carrying its SUSPECT entry) lets a live node refute within one round
 *    trip; an answer without a refutation (an INDIRECT_ACK) does not stop
 *    the re-probing.
 *  - A SUSPECT not refuted within the suspicion timeout (default 400 ms)
 *    becomes DEAD.
 *  Worst-case detection for a single prober is about period + period +
 *  suspicion timeout = 600 ms, plus gossip spread to every survivor.
 *
 * Gossip: every message carries up to MESH_GOSSIP_MAX (node, state,
 * incarnation) entries. An entry about the recipient itself goes first
 * when we hold it SUSPECT or DEAD (so it can refute at once), then our own
 * ALIVE entry while a refutation is pending, then the entries with the
 * most retransmissions left (each change is retransmitted about
 * 3 * log2(n + 1) times).
 *
 * Precedence for an entry about another node: (incarnation, rank) compared
 * lexicographically with rank ALIVE < SUSPECT < DEAD; the greater wins.
 * So a higher incarnation always wins, SUSPECT overrides ALIVE at the same
 * incarnation and DEAD overrides both. DEAD is final for that incarnation:
 * only an entry with a strictly higher incarnation (a node that came back
 * and refuted its death) revives it. A message straight from a DEAD or
 * SUSPECT node does not clear the state; it only makes our replies carry
 * that node's entry so it can refute.
 *
 * Refutation: a node that hears itself SUSPECT or DEAD at an incarnation
 * >= its own sets its incarnation to that + 1 and gossips ALIVE; the
 * event callback reports it as (self, claimed state -> ALIVE).
 *
 * Stale claims: a SUSPECT or DEAD entry older than what we hold (about
 * ourselves or another node) means its sender missed the refutation; our
 * next message to that sender carries the newer entry, so the suspicion
 * is cleared where it lives instead of waiting for gossip to reach it.
 * (Without this, 16 nodes at 10% loss declared live nodes dead.)
 *
 * Discovery: any message from, or gossip about, an unknown node id adds
 * it (from a message: ALIVE). Callers may also seed the configured node
 * ids with mesh_members_add (ALIVE, incarnation 0).
 *
 * Every state change (join, suspect, dead, revival, self refutation) is
 * reported once through the event callback so meshd logs one line each.
 */
#ifndef MESH_MEMBER_H
#define MESH_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aion/error.h"
#include "common/time.h"

#define MESH_MEMBERS_MAX 64
#define MESH_GOSSIP_MAX 4
#define MESH_NODE_NONE 0xFFFFu
#define MESH_INDIRECT_K 2
/* Most messages one tick can emit: one PING plus K PING_REQs. */
#define MESH_TICK_MSGS_MAX (1 + MESH_INDIRECT_K)
/* Most messages one receive can emit. */
#define MESH_RECV_MSGS_MAX 1

#define MESH_DEFAULT_PERIOD_NS (100 * MS)
#define MESH_DEFAULT_PROBE_TIMEOUT_NS (60 * MS)
#define MESH_DEFAULT_SUSPECT_TIMEOUT_NS (400 * MS)

enum mesh_node_state {
	MESH_STATE_UNKNOWN = 0, /* only as old_state of a join event */
	MESH_STATE_ALIVE = 1,
	MESH_STATE_SUSPECT = 2,
	MESH_STATE_DEAD = 3,
};

enum mesh_msg_type {
	MESH_MSG_PING = 1,     /* target: NONE, or the origin relayed for */
	MESH_MSG_ACK = 2,      /* echoes the PING's seq and target */
	MESH_MSG_PING_REQ = 3, /* please PING target for me, echo seq */
	MESH_MSG_INDIRECT_ACK = 4, /* target answered your PING_REQ seq */
};

struct mesh_gossip {
	uint16_t node;
	uint8_t state;
	uint32_t incarnation;
};

struct mesh_msg {
	uint8_t type;
	uint8_t ngossip;
	uint16_t from;
	uint16_t to;
	uint16_t target;
	uint32_t seq;
	struct mesh_gossip gossip[MESH_GOSSIP_MAX];
};

typedef void (*mesh_member_event_fn)(void *ctx, uint64_t now, uint16_t node,
				     int old_state, int new_state,
				     uint32_t incarnation);

struct mesh_member_config {
	uint64_t period_ns;
	uint64_t probe_timeout_ns;
	uint64_t suspect_timeout_ns;
};

struct mesh_member {
	uint16_t node;
	uint8_t state;
	uint8_t gossip_left;
	uint16_t correct_to; /* next message to this node carries our entry
			      * (it sent a suspicion we know is refuted) */
	uint32_t incarnation;
	uint64_t last_heard;
	uint64_t suspect_since;
};

struct mesh_members {
	uint16_t self;
	uint32_t incarnation;
	uint8_t self_gossip_left;
	uint32_t count;
	struct mesh_member m[MESH_MEMBERS_MAX];
	struct mesh_member_config cfg;

	/* Current probe. */
	bool probing;
	bool probe_acked;
	bool probe_indirect;
	uint16_t probe_target;
	uint16_t last_probed;
	uint16_t reprobe;
	uint32_t probe_seq;
	uint64_t probe_start;
	uint64_t next_probe;

	uint64_t rng;
	mesh_member_event_fn event;
	void *ctx;
};

void mesh_member_default_config(struct mesh_member_config *cfg);

/* cfg may be NULL for the defaults. The first probe goes out at now. */
int mesh_members_init(struct mesh_members *m, uint16_t self, uint64_t now,
		      const struct mesh_member_config *cfg,
		      mesh_member_event_fn event, void *ctx);

/* Seed a configured member as ALIVE, incarnation 0 (event: join). */
int mesh_members_add(struct mesh_members *m, uint16_t node, uint64_t now);

/* Returns the number of messages written to out, or -AION_E... */
int mesh_members_tick(struct mesh_members *m, uint64_t now,
		      struct mesh_msg *out, size_t max);
int mesh_members_receive(struct mesh_members *m, uint64_t now,
			 const struct mesh_msg *msg,
			 struct mesh_msg *out, size_t max);

/* Earliest time mesh_members_tick has work to do. */
uint64_t mesh_members_next_deadline(const struct mesh_members *m);

/* State of node (MESH_STATE_UNKNOWN if not known); self is ALIVE. */
int mesh_members_state(const struct mesh_members *m, uint16_t node,
		       uint32_t *incarnation);

const char *mesh_state_name(int state);

#endif
