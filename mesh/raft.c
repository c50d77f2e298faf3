/*
 * The Raft core's entry points: start from durable state, take time,
 * messages and requests, hand out what to persist, send and apply
 * (mesh/raft.h has the protocol with the caller). The rules themselves
 * live in raft_elect.c (roles, votes), raft_repl.c (log replication and
 * commit), raft_snap.c (snapshots), raft_read.c (read index) and
 * raft_conf.c (membership).
 */
#include "common/string.h"

#include "raft_impl.h"

static bool entries_ok(const struct raft_init *in)
{
	uint64_t prev = in->snap.term;

	for (size_t i = 0; i < in->nents; i++) {
		const struct raft_entry *e = &in->ents[i];

		if (e->index != in->snap.index + 1 + i || e->term < prev ||
		    e->index > RAFT_INDEX_MAX ||
		    e->term > in->hard.term || e->len > RAFT_ENTRY_MAX ||
		    e->type < RAFT_ENTRY_NORMAL || e->type > RAFT_ENTRY_NOOP)
			return false;
		prev = e->term;
	}
	return true;
}

/* -AION_EINVAL: the caller's arguments; -AION_ECORRUPT: durable state
 * that Raft could never have written. */
static int init_check(const struct raft_init *in)
{
	uint32_t hb = in->heartbeat_ms ? in->heartbeat_ms : RAFT_HEARTBEAT_MS;
	uint32_t lo = in->election_min_ms ? in->election_min_ms : RAFT_ELECTION_MIN_MS;
	uint32_t hi = in->election_max_ms ? in->election_max_ms : RAFT_ELECTION_MAX_MS;

	if (in->id == 0 || !in->log || in->log_cap < 4 || hb == 0 ||
	    hb >= lo || lo >= hi || (in->quiet_ms && in->quiet_ms <= hb) || (in->nents && !in->ents) ||
	    (in->snap_len && !in->snap_data) || (in->snap_cap && !in->snap_buf))
		return -AION_EINVAL;
	if (in->nents > in->log_cap || in->snap.term > in->hard.term ||
	    in->hard.term > RAFT_INDEX_MAX || in->snap.index > RAFT_INDEX_MAX ||
	    in->snap.conf.n > RAFT_SERVERS_MAX || !entries_ok(in))
		return -AION_ECORRUPT;
	return 0;
}

static void init_timing(struct raft *r, const struct raft_init *in)
{
	r->heartbeat_ms = in->heartbeat_ms ? in->heartbeat_ms : RAFT_HEARTBEAT_MS;
	r->election_min_ms = in->election_min_ms ? in->election_min_ms : RAFT_ELECTION_MIN_MS;
	r->election_max_ms = in->election_max_ms ? in->election_max_ms : RAFT_ELECTION_MAX_MS;
	r->quiet_ms = in->quiet_ms;
	r->rng = in->seed ? in->seed : (in->id * 0x9e3779b97f4a7c15ull) | 1;
	r->now = in->now_ms;
}

int raft_init(struct raft *r, const struct raft_init *in)
{
	int err = r && in ? init_check(in) : -AION_EINVAL;

	if (err < 0)
		return err;
	memset(r, 0, offsetof(struct raft, out));
	r->nout = 0;
	r->id = in->id;
	init_timing(r, in);
	r->hard = r->hard_synced = in->hard;
	r->snap = in->snap;
	r->snap_data = in->snap_data;
	r->snap_len = in->snap_len;
	r->snap_buf = in->snap_buf;
	r->snap_cap = in->snap_cap;
	raft_log_init(&r->log, in->log, in->log_cap, in->snap.index, in->snap.term);
	for (size_t i = 0; i < in->nents; i++)
		(void)raft_log_append(&r->log, in->ents[i].term, in->ents[i].type,
				      in->ents[i].data, in->ents[i].len);
	r->stable = r->log.last;
	r->commit = r->applied = in->snap.index;
	raft_conf_refresh(r);
	raft_become_follower(r, r->hard.term, 0);
	return 0;
}

void raft_tick(struct raft *r, uint64_t now_ms)
{
	if (now_ms > r->now)
		r->now = now_ms;
	if (r->role == RAFT_LEADER)
		raft_heartbeat_tick(r);
	else
		raft_election_tick(r);
}

uint64_t raft_next_deadline(const struct raft *r)
{
	if (r->role != RAFT_LEADER)
		return r->election_deadline;
	return r->quorum_deadline < r->heartbeat_deadline ? r->quorum_deadline :
	       r->heartbeat_deadline;
}

/* A queued message to `to`, header filled; NULL when the outbox is full
 * (the message is lost, which Raft tolerates: timers resend). */
struct raft_msg *raft_out(struct raft *r, uint8_t type, uint64_t to)
{
	struct raft_msg *m;

	if (r->nout >= RAFT_OUTBOX_MAX)
		return NULL;
	m = &r->out[r->nout++];
	memset(m, 0, offsetof(struct raft_msg, ents));
	m->type = type;
	m->from = r->id;
	m->to = to;
	m->term = r->hard.term;
	return m;
}

void raft_set_term(struct raft *r, uint64_t term)
{
	if (term > r->hard.term) {
		r->hard.term = term;
		r->hard.vote = 0;
	}
}

/* Election restriction (paper 5.4.1): a log whose last entry has a later
 * term, or the same term and at least the same length, is up to date. */
bool raft_log_up_to_date(const struct raft *r, uint64_t index, uint64_t term)
{
	uint64_t t = raft_log_last_term(&r->log);

	return term > t || (term == t && index >= r->log.last);
}

/* Precondition: leader with room in the log. */
int raft_append_local(struct raft *r, uint8_t type, const void *data,
		      size_t len)
{
	int err = raft_log_append(&r->log, r->hard.term, type, data, len);

	if (err < 0)
		return err;
	if (type == RAFT_ENTRY_CONFIG)
		raft_conf_refresh(r);
	return 0;
}

/* A stale leader learns of the newer term from our answer and steps down;
 * a stale pre-candidate likewise. Anything else stale is dropped. */
static void answer_stale(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *o;

	if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAP) {
		o = raft_out(r, RAFT_MSG_APPEND_RESP, m->from);
		if (o)
			o->flags = RAFT_MSG_REJECT;
	} else if (m->type == RAFT_MSG_PREVOTE) {
		o = raft_out(r, RAFT_MSG_PREVOTE_RESP, m->from);
		if (o)
			o->flags = RAFT_MSG_REJECT;
	}
}

/* The term rules of every message (paper fig. 2, "all servers"), with the
 * two exceptions of dissertation 9.6: a pre-vote request and a granted
 * pre-vote carry a term nobody holds yet and change nothing, and a server
 * that hears from a live leader ignores (pre-)vote requests. Returns
 * false when the message is to be dropped. */
static bool step_term(struct raft *r, const struct raft_msg *m)
{
	bool vote = m->type == RAFT_MSG_PREVOTE || m->type == RAFT_MSG_VOTE;
	bool lead = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAP;

	if (m->term < r->hard.term) {
		answer_stale(r, m);
		return false;
	}
	if (m->term > r->hard.term) {
		if (vote && raft_in_lease(r))
			return false;
		if (m->type == RAFT_MSG_PREVOTE ||
		    (m->type == RAFT_MSG_PREVOTE_RESP && !(m->flags & RAFT_MSG_REJECT)))
			return true;
		raft_become_follower(r, m->term, lead ? m->from : 0);
		return true;
	}
	if (lead && r->role != RAFT_FOLLOWER)
		raft_become_follower(r, m->term, m->from);
	return true;
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
	if (!m || m->to != r->id || m->from == 0 || m->from == r->id)
		return -AION_EINVAL;
	if (!step_term(r, m))
		return 0;
	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		raft_on_vote_request(r, m);
		break;
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		raft_on_vote_response(r, m);
		break;
	case RAFT_MSG_APPEND:
		raft_on_append(r, m);
		break;
	case RAFT_MSG_APPEND_RESP:
		raft_on_append_response(r, m);
		break;
	case RAFT_MSG_SNAP:
		raft_on_snap(r, m);
		break;
	case RAFT_MSG_SNAP_RESP:
		raft_on_snap_response(r, m);
		break;
	default:
		return -AION_EINVAL;
	}
	return 0;
}

/* One slot stays free for the NOOP a new leader must append, and at most
 * half the log may wait for commit, so followers can always catch up by
 * applying and compacting. */
static int leader_room(const struct raft *r)
{
	if (r->role != RAFT_LEADER)
		return -AION_ENOTLEADER;
	if (raft_log_free(&r->log) <= 1 || r->log.last >= RAFT_INDEX_MAX)
		return -AION_ENOSPC;
	if (r->log.last - r->commit >= r->log.cap / 2)
		return -AION_EAGAIN;
	return 0;
}

int raft_propose(struct raft *r, enum raft_entry_type type, const void *data,
		 size_t len, uint64_t *index)
{
	int err;

	if ((type != RAFT_ENTRY_NORMAL && type != RAFT_ENTRY_NOOP) ||
	    len > RAFT_ENTRY_MAX || (len && !data))
		return -AION_EINVAL;
	err = leader_room(r);
	if (err == 0)
		err = raft_append_local(r, (uint8_t)type, data, len);
	if (err < 0)
		return err;
	if (index)
		*index = r->log.last;
	raft_broadcast(r, false);
	return 0;
}

/* One change at a time, and only once this leader has committed an entry
 * of its term: otherwise a change from an earlier term that this leader
 * has not seen committed could overlap with ours without a common
 * majority (Ongaro, raft-dev 2015, "bug in single-server changes"). */
int raft_change_config(struct raft *r, enum raft_conf_op op, uint64_t id,
		       uint16_t node, uint64_t *index)
{
	struct raft_conf c;
	uint8_t buf[1 + RAFT_SERVERS_MAX * 11];
	int err = leader_room(r), len;

	if (err < 0)
		return err;
	if (r->conf_index > r->commit || !r->own_term_committed)
		return -AION_EBUSY;
	c = r->conf;
	err = raft_conf_apply(&c, op, id, node);
	if (err < 0)
		return err;
	len = raft_conf_encode(&c, buf, sizeof(buf));
	if (len < 0)
		return len;
	err = raft_append_local(r, RAFT_ENTRY_CONFIG, buf, (size_t)len);
	if (err < 0)
		return err;
	if (index)
		*index = r->log.last;
	raft_broadcast(r, false);
	return 0;
}

/* The state machine's snapshot at an applied index replaces the log up to
 * it. data must stay valid until the next raft_compact (it is sent to
 * followers that lag behind). */
int raft_compact(struct raft *r, uint64_t index, const uint8_t *data,
		 uint32_t len)
{
	uint64_t term;

	if ((len && !data) || index <= r->snap.index)
		return -AION_EINVAL;
	if (index > r->applied || raft_log_term(&r->log, index, &term) < 0)
		return -AION_ERANGE;
	raft_conf_at(r, index, &r->snap.conf, &(uint64_t){ 0 });
	r->snap.index = index;
	r->snap.term = term;
	r->snap_data = data;
	r->snap_len = len;
	r->snap_lost = false;
	raft_log_compact(&r->log, index, term);
	return 0;
}

bool raft_has_ready(const struct raft *r)
{
	return r->hard.term != r->hard_synced.term ||
	       r->hard.vote != r->hard_synced.vote || r->snap_pending ||
	       r->truncate_from || r->stable < r->log.last || r->nout ||
	       r->commit > r->applied || r->nreads_ready;
}

void raft_ready(struct raft *r, struct raft_ready *rd)
{
	uint64_t applied = r->applied;

	memset(rd, 0, sizeof(*rd));
	rd->hard = r->hard;
	rd->hard_changed = r->hard.term != r->hard_synced.term ||
			   r->hard.vote != r->hard_synced.vote;
	if (r->snap_pending) {
		rd->snap = true;
		rd->snap_meta = r->snap;
		rd->snap_data = r->snap_buf;
		rd->snap_len = r->recv_len;
		if (applied < r->snap.index)
			applied = r->snap.index;
	}
	rd->truncate_from = r->truncate_from;
	rd->persist_from = r->stable + 1;
	rd->persist_to = r->log.last;
	rd->msgs = r->out;
	rd->nmsgs = r->nout;
	rd->apply_from = applied + 1;
	rd->apply_to = r->commit;
	rd->reads = r->reads_ready;
	rd->nreads = r->nreads_ready;
}

/* Precondition: everything rd named was persisted, sent and applied. */
void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	r->hard_synced = rd->hard;
	if (rd->snap) {
		r->snap_pending = false;
		r->snap_data = rd->snap_data;
		r->snap_len = rd->snap_len;
		r->snap_lost = false;
	}
	r->truncate_from = 0;
	if (rd->persist_to > r->stable)
		r->stable = rd->persist_to;
	if (rd->apply_from <= rd->apply_to || rd->snap)
		r->applied = rd->apply_from <= rd->apply_to ? rd->apply_to
							     : rd->apply_from - 1;
	r->nout = 0;
	r->nreads_ready = 0;
	if (r->role == RAFT_LEADER)
		raft_maybe_commit(r);
}

const struct raft_entry *raft_entry_at(const struct raft *r, uint64_t index)
{
	return raft_log_get(&r->log, index);
}

uint64_t raft_last_index(const struct raft *r)
{
	return r->log.last;
}

uint64_t raft_leader(const struct raft *r)
{
	return r->leader;
}
