/*
 * Functions shared by the files of the Raft core (mesh/raft*.c); not for
 * callers, who use mesh/raft.h. Each group names the file that holds it.
 */
#ifndef MESH_RAFT_IMPL_H
#define MESH_RAFT_IMPL_H

#include "mesh/raft.h"

/* raft_log.c: the in-memory log, a ring over the caller's array. */
void raft_log_init(struct raft_log *l, struct raft_entry *ents, uint32_t cap,
		   uint64_t snap_index, uint64_t snap_term);
struct raft_entry *raft_log_get(const struct raft_log *l, uint64_t index);
int raft_log_term(const struct raft_log *l, uint64_t index, uint64_t *term);
uint64_t raft_log_last_term(const struct raft_log *l);
uint32_t raft_log_free(const struct raft_log *l);
int raft_log_append(struct raft_log *l, uint64_t term, uint8_t type,
		    const void *data, size_t len);
void raft_log_truncate(struct raft_log *l, uint64_t from);
void raft_log_compact(struct raft_log *l, uint64_t index, uint64_t term);
void raft_log_reset(struct raft_log *l, uint64_t index, uint64_t term);
uint64_t raft_log_term_start(const struct raft_log *l, uint64_t index,
			     uint64_t floor);

/* raft_conf.c: quorum arithmetic over the configuration in effect. */
int raft_conf_slot(const struct raft_conf *c, uint64_t id);
bool raft_is_voter(const struct raft_conf *c, uint64_t id);
unsigned raft_quorum(const struct raft_conf *c);
void raft_conf_at(const struct raft *r, uint64_t index, struct raft_conf *c,
		  uint64_t *from);
void raft_conf_refresh(struct raft *r);

/* raft.c: shared plumbing. */
struct raft_msg *raft_out(struct raft *r, uint8_t type, uint64_t to);
void raft_set_term(struct raft *r, uint64_t term);
bool raft_log_up_to_date(const struct raft *r, uint64_t index, uint64_t term);
int raft_append_local(struct raft *r, uint8_t type, const void *data,
		      size_t len);

/* raft_elect.c: roles, timers, votes. */
void raft_reset_election_timer(struct raft *r);
void raft_become_follower(struct raft *r, uint64_t term, uint64_t leader);
void raft_election_tick(struct raft *r);
void raft_on_vote_request(struct raft *r, const struct raft_msg *m);
void raft_on_vote_response(struct raft *r, const struct raft_msg *m);
bool raft_in_lease(const struct raft *r);
void raft_check_quorum(struct raft *r);
uint64_t raft_quorum_period(const struct raft *r);

/* raft_repl.c: the leader's replication and the follower's append. */
void raft_progress_reset(struct raft *r);
void raft_progress_remap(struct raft *r, const struct raft_conf *old,
			 const struct raft_progress *old_prs);
void raft_send_append(struct raft *r, unsigned slot, bool empty_ok);
void raft_broadcast(struct raft *r, bool empty_ok);
void raft_heartbeat_tick(struct raft *r);
void raft_maybe_commit(struct raft *r);
void raft_on_append(struct raft *r, const struct raft_msg *m);
void raft_on_append_response(struct raft *r, const struct raft_msg *m);

/* raft_snap.c: InstallSnapshot in chunks. */
void raft_send_snap_chunk(struct raft *r, unsigned slot);
void raft_on_snap(struct raft *r, const struct raft_msg *m);
void raft_on_snap_response(struct raft *r, const struct raft_msg *m);

/* raft_read.c */
void raft_reads_update(struct raft *r);
void raft_reads_drop(struct raft *r);

#endif /* MESH_RAFT_IMPL_H */
