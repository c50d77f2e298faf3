/*
 * A deterministic cluster for the Raft core (mesh/raft.h): servers with
 * disks, a network that loses, duplicates, delays (so reorders) and
 * partitions, crashes that keep only what was synced, and the safety
 * checks, run after every event. Everything random comes from one seed,
 * so a failing schedule replays exactly: with trace on, every event is
 * printed as it happens.
 *
 * Each server runs the ready cycle as meshd will: persist and sync, send,
 * apply, advance (sim_sync). Inputs between two syncs stay in memory only;
 * a crash loses them.
 *
 * Checks (the properties of the paper's figure 3, plus durability):
 *  - election safety: at most one leader per term, over the whole run;
 *  - log matching: an (index, term) pair always names the same entry with
 *    the same predecessor term, in every log and at every time;
 *  - leader completeness: a new leader holds every entry committed so far;
 *  - state machine safety: every server applies the same entry at each
 *    index, in order, and snapshots carry the same state;
 *  - a vote once synced is never changed within its term; terms never go
 *    back; committed indices never go back within a run of a server;
 *  - the stored log equals the in-memory one after every sync;
 *  - a read index is at least every index committed when the read began.
 */
#ifndef TEST_RAFT_SIM_H
#define TEST_RAFT_SIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/raft.h"

#define SIM_SLOTS      7u
#define SIM_LOG_CAP    48u
#define SIM_SNAP_CAP   4096u
#define SIM_NET_MAX    2048u
#define SIM_INDEX_MAX  4096u
#define SIM_TERM_MAX   2048u
#define SIM_READS_MAX  1024u
#define SIM_LM_SIZE    8192u   /* log-matching table, power of two */

struct sim_disk {
	struct raft_hard hard;
	struct raft_snap_meta snap;
	uint8_t snap_data[SIM_SNAP_CAP];
	uint32_t snap_len;
	struct raft_entry ents[SIM_LOG_CAP];  /* (snap.index, ...] */
	uint32_t nents;
};

struct sim_server {
	bool used;              /* has an id and a disk */
	bool up;                /* running */
	uint64_t id;
	struct raft r;
	struct raft_entry log[SIM_LOG_CAP];
	uint8_t snap_buf[SIM_SNAP_CAP];
	struct sim_disk disk;
	uint64_t sm_index, sm_hash;   /* the state machine: a running hash */
	uint64_t seen_commit;
	enum raft_role last_role;
	uint64_t last_term;
	uint32_t syncs;
};

struct sim_packet {
	uint64_t at;
	uint64_t to;
	uint8_t from_slot;
	uint16_t len;
	uint8_t bytes[RAFT_MSG_MAX];
};

struct sim_rec {
	bool set;
	uint64_t term, hash, sm;
};

struct sim_lm {
	uint32_t gen;
	uint64_t index, term, hash, prev_term;
};

struct sim_stats {
	uint64_t elections, commits, proposals, snap_installs, compactions;
	uint64_t reads, crashes, wipes, conf_changes, delivered, dropped;
	uint64_t quiet_msgs, suspicions; /* quiet heartbeats delivered; detector mistakes */
	uint64_t liveness_ms_max, liveness_ms_sum, liveness_runs;
};

/* Everything before gen is zeroed by sim_init. */
struct sim {
	uint64_t seed, rng, now;
	uint64_t next_id, next_value;
	unsigned nslots;
	unsigned nnet;
	/* fault model */
	unsigned loss_pct, dup_pct, delay_max, sync_pct, io_crash_pct;
	bool partitioned;
	uint8_t group[SIM_SLOTS];
	uint64_t dead_id;       /* a wiped server's id still in a config */
	uint32_t heartbeat_ms, election_min_ms, election_max_ms; /* 0: defaults */
	uint32_t quiet_ms;      /* raft_init's: a quiet leader (0: off) */
	/* history for the checks */
	uint64_t leader_of[SIM_TERM_MAX];
	struct sim_rec committed[SIM_INDEX_MAX];
	struct sim_rec applied[SIM_INDEX_MAX];
	uint64_t gcommit;
	uint64_t read_floor[SIM_READS_MAX];
	unsigned nreads;
	/* reporting */
	bool trace;
	bool failed;
	char why[256];
	jmp_buf *bail;          /* where a failed check jumps, if set */
	struct sim_stats st;
	/* Not cleared by sim_init: servers are set up one by one, packets
	 * counted by nnet, the table emptied by a new generation. */
	uint32_t gen;
	struct sim_server srv[SIM_SLOTS];
	struct sim_packet net[SIM_NET_MAX];
	struct sim_lm lm[SIM_LM_SIZE];
};

/* A cluster of n voters (ids 1..n) in nslots slots, seeded; election
 * timeouts in [lo, hi) ms (0, 0: the core's defaults). */
void sim_init(struct sim *s, unsigned n, unsigned nslots, uint64_t seed);
/* quiet: raft_init's quiet_ms; then a crash is reported to every server
 * up (raft_leader_lost), as meshd's failure detector does. */
void sim_init_timing(struct sim *s, unsigned n, unsigned nslots, uint64_t seed, uint32_t quiet,
		     uint32_t lo, uint32_t hi);
void sim_fail(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t sim_rand(struct sim *s, uint64_t n);

/* Time and network. */
void sim_tick_all(struct sim *s);
void sim_deliver_due(struct sim *s);
void sim_step_ms(struct sim *s, uint64_t ms, bool sync_all);
void sim_partition(struct sim *s, const uint8_t *group);
void sim_heal(struct sim *s);

/* Servers. */
void sim_sync(struct sim *s, unsigned slot);
void sim_sync_all(struct sim *s);
void sim_crash(struct sim *s, unsigned slot);
void sim_restart(struct sim *s, unsigned slot);
void sim_wipe(struct sim *s, unsigned slot);
int sim_add_server(struct sim *s);
void sim_after_event(struct sim *s, unsigned slot);
int sim_leader(const struct sim *s);
int sim_slot_of(const struct sim *s, uint64_t id);

/* raft_sim_check.c: the checks. */
#define CHECK(s, cond, ...) do { if (!(cond)) sim_fail((s), __VA_ARGS__); } while (0)
void sim_trace(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t fnv64(uint64_t h, const void *p, size_t n);
uint64_t sim_entry_hash(const struct raft_entry *e);
void sim_check_matching(struct sim *s, struct sim_server *sv,
			const struct raft_ready *rd);
void sim_check_disk(struct sim *s, struct sim_server *sv);
void sim_check_durable(struct sim *s, const struct sim_server *sv,
		       const struct raft_msg *m);
void sim_check_applied(struct sim *s, const struct sim_server *sv,
		       const struct raft_entry *e);
void sim_check_snapshot(struct sim *s, const struct sim_server *sv);
void sim_check_read(struct sim *s, const struct raft_read *rd);

/* Clients. */
int sim_propose(struct sim *s, unsigned slot, uint64_t *index);
int sim_read(struct sim *s, unsigned slot);
int sim_compact(struct sim *s, unsigned slot);

#endif /* TEST_RAFT_SIM_H */
