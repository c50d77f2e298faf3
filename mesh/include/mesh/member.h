/*
 * AionMesh membership: a SWIM failure detector with Lifeguard's local
 * health awareness (Dadgar et al., "Lifeguard: Local Health Awareness for
 * More Accurate Failure Detection", as in HashiCorp memberlist).
 *
 * No system calls and no I/O: the caller passes the time in nanoseconds
 * and sends the abstract messages this module writes into out arrays
 * (the wire codec serializes them). Compiles freestanding and on the host.
 * docs/mesh.md "Membership" gives the constants, why, and measurements.
 *
 * Probing, once per period P (default 100 ms) times (LHM + 1):
 *  - mesh_members_tick picks the probe target from a schedule the nodes
 *    share (member.c "The probe schedule"): a cluster clock in every
 *    message, slots of P on it, and in each slot a permutation of the
 *    members that are not DEAD, so that every member is probed by exactly
 *    one peer per slot wherever the nodes' own clocks and boots stand.
 *    Each node probes at its own offset in the slot.
 *  - No ACK within the probe timeout (the configured one, or more while
 *    our direct ACKs' round trips call for it: srtt + 4 rttvar, at most
 *    MESH_RTO_MAX times it; the period grows by as much; times LHM + 1): the
 *    PING goes again and PING_REQ goes to K (2) other live members, which
 *    PING the target on our behalf and return an INDIRECT_ACK if it
 *    answers, or a NACK if it has not answered within half of what is
 *    left of the period (Lifeguard's NACK: a relay that answers NACK
 *    proves our own link works).
 *  - Still no ACK at the period end: the target becomes SUSPECT. Every
 *    period each SUSPECT node we watch (below) gets a PING of its own
 *    besides the scheduled probe (it carries the SUSPECT entry, so a
 *    live node refutes at once), so suspects do not slow the probing of
 *    the rest.
 *
 * Local health multiplier (LHM, 0..cfg.lhm_max): +1 for a probe that got
 * no ACK for each expected NACK that did not come by the period end (or
 * +1 when there was no relay to ask; a NACK that comes later takes its +1
 * back), +1 when we had to refute a suspicion of ourselves; -1 for each
 * probe ACKed directly. The probe period, the probe timeout, the
 * verification timeout are multiplied by (LHM + 1), our suspicion
 * timeouts by min(LHM + 1, MESH_LHM_SUSPECT_CAP), and while LHM > lhm_max / 2 we accuse nobody and
 * confirmations do not shorten our suspicions: a node that is itself slow (CPU starved, its packets late)
 * probes less, waits longer for answers and takes longer to declare
 * anybody dead, instead of accusing healthy nodes (a real death still
 * reaches it as the healthy nodes' DEAD).
 *
 * Suspicion (Lifeguard): a SUSPECT entry names its accuser ("by"). Each
 * holder counts the distinct accusers of that (node, incarnation) beyond
 * the first as confirmations C, and declares DEAD after
 *     timeout(C) = max(min, max - (max - min) * log(C + 1) / log(K + 1))
 * from when it first heard of the suspicion, with min and max the
 * configured values times max(1, log10(n)) (n: live members, as
 * memberlist), and K = min(cfg.suspect_k, n - 2) expected confirmations
 * (K = 0 when nobody else can confirm: then timeout = min). So a single
 * observer that nobody confirms waits the max (only confirmations bring
 * it down to the min).
 * Confirmations come fast because the suspicion's witnesses (the
 * suspect_k live members after the suspect by id but for its first
 * accuser, which every node computes alike) probe the suspect at once
 * when they hear of it (a verification: a PING, after the probe timeout
 * the PING again and PING_REQs, as a probe): no ACK by what would be its
 * period end makes a witness an accuser too. Only the watchers of a
 * suspicion (its accusers and witnesses) verify it, PING the suspect
 * every period and let confirmations shorten it; any other holder waits
 * the max, and a real death reaches it first as a watcher's DEAD.
 *
 * Refuted nodes: a node that has just refuted a suspicion of itself
 * (ALIVE at a higher incarnation over our SUSPECT or DEAD) showed that it
 * is alive but slow to answer (its VM starved by the host, say). Each
 * holder counts such refutations per node (at most cfg.refuted_max,
 * one forgotten every MESH_REFUTED_DECAY_NS), and a new suspicion of that
 * node waits at least min * (1 + count) (never beyond max), however many
 * confirmations come: the healthy nodes' confirmations no longer kill a
 * node that keeps proving them wrong, while a node that was quiet before
 * it died is still declared dead after min. A new boot of the node (the
 * caller's link layer knows it: mesh_members_new_boot) is not the slow
 * one: its remembered refutations are dropped, and its rejoin (ALIVE at a
 * higher incarnation over our SUSPECT or DEAD) is not counted.
 *
 * A node that finds its own timer firing more than half a period late
 * (it was paused or starved; the answer may be unread in its queue)
 * raises its LHM and accuses nobody for that probe or verification.
 *
 * Dissemination: every message carries up to MESH_GOSSIP_MAX (node,
 * state, incarnation, by) entries. An entry about the recipient itself
 * goes first when we hold it SUSPECT or DEAD (the buddy system: it can
 * refute at once), then our own ALIVE entry while a refutation is
 * pending, then the entries with the most retransmissions left (each
 * change is retransmitted about 4 * log2(n + 2) times). Besides, urgent
 * changes made here go out at once as GOSSIP messages: a death we
 * declare to MESH_NODE_NONE (meshd sends it to every member: every node
 * hears it within a hop, which is what lets detection finish within a
 * few periods at 16 nodes); a suspicion or confirmation we raise only to
 * the suspect, its first accuser and its witnesses; our own refutation
 * only to our accuser and our witnesses (member.c: send_urgent says why).
 *
 * Precedence for an entry about another node: (incarnation, rank) compared
 * lexicographically with rank ALIVE < SUSPECT < DEAD; the greater wins.
 * DEAD is final for that incarnation: only an entry with a strictly higher
 * incarnation (a node that came back and refuted its death) revives it. A
 * message straight from a DEAD or SUSPECT node does not clear the state.
 *
 * Refutation: a node that hears itself SUSPECT or DEAD at an incarnation
 * >= its own sets its incarnation to that + 1 and gossips ALIVE; the
 * event callback reports it as (self, claimed state -> ALIVE).
 *
 * Stale claims: a SUSPECT or DEAD entry older than what we hold (about
 * ourselves or another node) means its sender missed the refutation; our
 * next message to that sender carries the newer entry.
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
#define MESH_RELAYS_MAX 8       /* PING_REQs we relay that await a NACK */
#define MESH_CONFIRM_MAX 8      /* accusers remembered per suspicion */
#define MESH_LHM_MAX 8
#define MESH_LHM_SUSPECT_CAP 3u   /* most our suspicions stretch */
#define MESH_RTO_MAX 2u           /* most the round trips stretch the probe
				   * timeout (member.c: rto) */
#define MESH_WITNESSES_MAX 3     /* nodes told of a suspicion besides its
				  * accuser and the suspect (member.c:
				  * send_urgent) */
/* Urgent news one tick emits: one GOSSIP broadcast of deaths, and one
 * change (a suspicion, a confirmation, our refutation) sent to the
 * suspect, the accuser and the witnesses. */
#define MESH_URGENT_MSGS_MAX (1 + 2 + MESH_WITNESSES_MAX)
/* Most messages one tick can emit: a PING, its repeat and K PING_REQs, a
 * NACK per relay, verification PINGs (at most one per member, bounded by
 * max: the rest wait for the next tick) and the urgent news. */
#define MESH_TICK_MSGS_MAX (2 + MESH_INDIRECT_K + MESH_RELAYS_MAX + 4 + \
			    MESH_URGENT_MSGS_MAX)
/* Most messages one receive can emit (the rest waits for the tick). */
#define MESH_RECV_MSGS_MAX 1

/*
 * The base timings (scale 1) meet the detection targets of issue 15
 * (median 300 ms, max 500 ms) on a quiet host; a cluster runs them times
 * its detection scale (meshd's `detect_scale=`, the host's
 * `aion.detect_scale=`, default MESH_DETECT_SCALE_DEFAULT): see
 * docs/mesh.md "Detection scale" for why the default is not 1.
 */
#define MESH_DETECT_SCALE_DEFAULT 2u
#define MESH_DETECT_SCALE_MAX 10u
#define MESH_BASE_PERIOD_NS (80 * MS)
#define MESH_BASE_PROBE_TIMEOUT_NS (40 * MS)
#define MESH_BASE_SUSPECT_MIN_NS (100 * MS)
#define MESH_BASE_SUSPECT_MAX_NS (900 * MS)
#define MESH_DEFAULT_SUSPECT_K 3
#define MESH_DEFAULT_REFUTED_MAX 3
#define MESH_REFUTED_DECAY_NS (10000 * MS)  /* one refutation forgotten per */

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
	MESH_MSG_NACK = 5,     /* target has not answered your PING_REQ seq */
	MESH_MSG_GOSSIP = 6,   /* gossip only (to NONE: a broadcast) */
};

struct mesh_gossip {
	uint16_t node;
	uint8_t state;
	uint32_t incarnation;
	uint16_t by;    /* SUSPECT: the accuser; otherwise MESH_NODE_NONE */
};

struct mesh_msg {
	uint8_t type;
	uint8_t ngossip;
	uint16_t from;
	uint16_t to;
	uint16_t target;
	uint32_t seq;
	uint32_t clock;     /* the sender's cluster clock, ms (mod 2^32) */
	struct mesh_gossip gossip[MESH_GOSSIP_MAX];
};

typedef void (*mesh_member_event_fn)(void *ctx, uint64_t now, uint16_t node,
				     int old_state, int new_state,
				     uint32_t incarnation);

struct mesh_member_config {
	uint64_t period_ns;
	uint64_t probe_timeout_ns;
	uint64_t suspect_min_ns;        /* at n <= 10; times log10(n) above */
	uint64_t suspect_max_ns;
	uint32_t suspect_k;             /* confirmations expected */
	uint32_t lhm_max;               /* 0: no local health awareness */
	uint32_t refuted_max;           /* 0: a node's refutations are not
					 * remembered (see "Refuted nodes") */
};

struct mesh_member {
	uint16_t node;
	uint8_t state;
	uint8_t gossip_left;
	uint16_t correct_to; /* next message to this node carries our entry
			      * (it sent a suspicion we know is refuted) */
	uint16_t by;         /* SUSPECT: the accuser we gossip */
	uint32_t incarnation;
	uint64_t last_heard;
	uint64_t suspect_since;
	/* Distinct accusers of the current suspicion; the first is the one
	 * we heard first, the others are confirmations. */
	uint8_t naccusers;
	uint16_t accusers[MESH_CONFIRM_MAX];
	bool urgent;         /* goes out in the next GOSSIP broadcast */
	bool verify;         /* a verification PING is due */
	uint8_t verify_stage; /* 1: the PING; 2: the PING again and PING_REQs */
	uint32_t verify_seq; /* its seq while it awaits an ACK, else 0 */
	uint64_t verify_start; /* its last PING */
	uint64_t verify_end;
	/* Refutations of suspicions of this node seen lately (decaying by
	 * one per MESH_REFUTED_DECAY_NS from refuted_at), and the value
	 * frozen when its current suspicion began: the suspicion waits at
	 * least min * (1 + stretch). */
	uint8_t refuted;
	uint8_t stretch;
	uint64_t refuted_at;
	bool rejoin;         /* a new boot seen while SUSPECT or DEAD: its
			      * next ALIVE is no refutation */
};

/*
 * What this node's probes met (`mesh stats`, docs/mesh.md "16 nodes: why
 * healthy nodes were suspected"). rtt[] buckets the round trip of every
 * direct ACK to one of our probe or verification PINGs, late ones too
 * (after the probe failed): below 2, 5, 10, 20, 40, 80, 160 ms, above.
 */
#define MESH_RTT_BUCKETS 8
struct mesh_member_stats {
	uint64_t probes;          /* scheduled probes started */
	uint64_t probe_timeouts;  /* no ACK within PT: PING again, PING_REQs */
	uint64_t probe_failures;  /* no ACK by the period end */
	uint64_t late_acks;       /* an ACK for a probe that had failed */
	uint64_t verifies;        /* verification PINGs of others' suspicions */
	uint64_t accusations;     /* suspicions raised or confirmed by us */
	uint64_t refutations;     /* suspicions of ourselves refuted */
	uint64_t stalls;          /* timers that fired half a period late */
	uint64_t relays;          /* PING_REQs served for others */
	uint64_t rtt[MESH_RTT_BUCKETS];
};

struct mesh_relay {
	uint16_t origin, target;
	uint32_t seq;
	uint64_t nack_at;
};

struct mesh_members {
	uint16_t self;
	uint32_t incarnation;
	uint8_t self_gossip_left;
	bool self_urgent;
	uint16_t accused_by;     /* the accuser of the suspicion we refute */
	uint32_t lhm;            /* local health multiplier */
	uint64_t srtt, rttvar;   /* our direct ACKs' round trips (member.c: rto) */
	uint32_t count;
	struct mesh_member m[MESH_MEMBERS_MAX];
	struct mesh_member_config cfg;

	/* Current probe. */
	bool probing;
	bool probe_acked;
	bool probe_indirect;
	uint8_t probe_nacks_expected;
	uint8_t probe_nacks;
	uint16_t probe_target;
	uint32_t probe_seq;
	uint32_t prev_probe_seq; /* the probe before, and what its missing */
	uint64_t prev_probe_start;
	uint8_t prev_penalty;    /* NACKs added to the LHM (a late one undoes 1) */
	uint32_t seq;            /* last seq used by a probe or verification */
	uint64_t probe_start;
	uint64_t probe_resent;   /* its last PING (the repeat after PT) */
	uint64_t next_probe;
	uint64_t clock_off;      /* cluster clock = our clock + clock_off */
	uint32_t clock_ms;       /* its reading at our last tick or receive:
				  * what our messages carry */

	struct mesh_relay relay[MESH_RELAYS_MAX];
	struct mesh_member_stats stats;

	uint64_t rng;
	mesh_member_event_fn event;
	void *ctx;
};

/* The base timings (scale 1). */
void mesh_member_base_config(struct mesh_member_config *cfg);
/* The base timings times scale (1..MESH_DETECT_SCALE_MAX; -AION_EINVAL
 * otherwise, cfg untouched). */
int mesh_member_scaled_config(struct mesh_member_config *cfg, unsigned scale);

/* cfg may be NULL for the defaults. The first probe goes out at now. */
int mesh_members_init(struct mesh_members *m, uint16_t self, uint64_t now,
		      const struct mesh_member_config *cfg,
		      mesh_member_event_fn event, void *ctx);

/* Seed a configured member as ALIVE, incarnation 0 (event: join). */
int mesh_members_add(struct mesh_members *m, uint16_t node, uint64_t now);

/* The cluster clock (ms) our messages carry, as of our last tick or
 * receive: for the messages the caller makes itself (announcements,
 * discovery PINGs), so that every message keeps the clocks together. */
uint32_t mesh_members_clock_ms(const struct mesh_members *m);

/* Returns the number of messages written to out, or -AION_E... */
int mesh_members_tick(struct mesh_members *m, uint64_t now,
		      struct mesh_msg *out, size_t max);
int mesh_members_receive(struct mesh_members *m, uint64_t now,
			 const struct mesh_msg *msg,
			 struct mesh_msg *out, size_t max);

/* The caller saw a start of node it had not heard from (a new boot; the
 * first packet of a node counts too): see "Refuted nodes" above; and our
 * next messages to it carry every entry that is not ALIVE at incarnation
 * 0 (what a new boot holds), so it does not accuse at old incarnations.
 * Call it before handing membership that boot's message. */
void mesh_members_new_boot(struct mesh_members *m, uint16_t node);

/* Earliest time mesh_members_tick has work to do; UINT64_MAX with no
 * member to probe and no relay pending (a lone node sleeps: its first
 * member's arrival runs the tick, which probes at once). */
uint64_t mesh_members_next_deadline(const struct mesh_members *m);

/*
 * Discovery: a node broadcasts a PING every MESH_ANNOUNCE_FAST_NS while it
 * is still finding its members, every MESH_ANNOUNCE_SLOW_NS once it sees
 * at least `expected` - 1 others and none of them DEAD (a SUSPECT one
 * still gets our PINGs). Each broadcast wakes every node of the cluster: at 16
 * nodes one a second from each is 15 wakeups a second on every node, for
 * nothing once all see each other. A node that starts, or comes back,
 * announces fast itself and the others answer its new boot, so slowing
 * down delays no one's discovery.
 */
#define MESH_ANNOUNCE_FAST_NS (1000 * MS)
#define MESH_ANNOUNCE_SLOW_NS (10000 * MS)
uint64_t mesh_members_announce_ns(const struct mesh_members *m, unsigned expected);

/* State of node (MESH_STATE_UNKNOWN if not known); self is ALIVE. */
int mesh_members_state(const struct mesh_members *m, uint16_t node,
		       uint32_t *incarnation);

/* The suspicion timeout with c confirmations among n live members
 * (self included), before the local health scaling. */
uint64_t mesh_suspect_timeout(const struct mesh_member_config *cfg,
			      uint32_t n, uint32_t c);

const char *mesh_state_name(int state);

/* The rtt[] bucket of a round trip (see struct mesh_member_stats), and
 * the bucket's upper bound in ms (0: none). */
unsigned mesh_rtt_bucket(uint64_t ns);
unsigned mesh_rtt_bucket_ms(unsigned bucket);

#endif
