/*
 * InstallSnapshot in chunks (dissertation ch. 5). The leader sends the
 * snapshot the state machine gave raft_compact, RAFT_SNAP_CHUNK bytes at a
 * time, one chunk in flight (resent each heartbeat until answered); every
 * chunk carries the snapshot's index, term and configuration, so the
 * follower needs no other state to start or resume. The follower collects
 * chunks in order in the caller's receive buffer and, after the last,
 * hands the snapshot out through the ready cycle for install; its answer
 * leaves only after the install is durable.
 */
#include "common/string.h"

#include "raft_impl.h"

void raft_send_snap_chunk(struct raft *r, unsigned slot)
{
	struct raft_progress *pr = &r->prs[slot];
	struct raft_msg *m;
	uint32_t n;

	if (r->snap_lost)
		return; /* overwritten by a newer reception: wait for raft_compact */
	if (pr->snap_index != r->snap.index || pr->snap_offset > r->snap_len) {
		pr->snap_index = r->snap.index;
		pr->snap_offset = 0;
	}
	m = raft_out(r, RAFT_MSG_SNAP, r->conf.s[slot].id);
	if (!m)
		return;
	n = r->snap_len - pr->snap_offset;
	if (n > RAFT_SNAP_CHUNK)
		n = RAFT_SNAP_CHUNK;
	m->index = r->snap.index;
	m->log_term = r->snap.term;
	m->conf = r->snap.conf;
	m->offset = pr->snap_offset;
	m->len = (uint16_t)n;
	if (n)
		memcpy(m->data, r->snap_data + pr->snap_offset, n);
	if (pr->snap_offset + n == r->snap_len)
		m->flags = RAFT_MSG_DONE;
	pr->paused = true;
}

void raft_on_snap_response(struct raft *r, const struct raft_msg *m)
{
	int slot = raft_conf_slot(&r->conf, m->from);
	struct raft_progress *pr;

	if (r->role != RAFT_LEADER || slot < 0)
		return;
	pr = &r->prs[slot];
	pr->active = true;
	if (pr->state != RAFT_PR_SNAPSHOT || m->index != pr->snap_index)
		return;
	pr->paused = false;
	if (!(m->flags & RAFT_MSG_DONE)) {
		pr->snap_offset = m->offset;
		raft_send_snap_chunk(r, (unsigned)slot);
		return;
	}
	if (m->index > pr->match)
		pr->match = m->index;
	pr->state = RAFT_PR_PROBE;
	pr->next = pr->match + 1;
	raft_maybe_commit(r);
	if (r->role == RAFT_LEADER)
		raft_send_append(r, (unsigned)slot, true);
}

static void snap_answer(struct raft *r, const struct raft_msg *m,
			uint32_t offset, bool done)
{
	struct raft_msg *o = raft_out(r, RAFT_MSG_SNAP_RESP, m->from);

	if (!o)
		return;
	o->index = m->index;
	o->offset = offset;
	o->flags = done ? RAFT_MSG_DONE : 0;
}

/* The received snapshot replaces the whole log, unless the log already
 * holds its last entry: then it only proves those entries committed. */
static void install(struct raft *r, const struct raft_msg *m)
{
	uint64_t t;

	if (raft_log_term(&r->log, m->index, &t) == 0 && t == m->log_term &&
	    m->index <= r->log.last) {
		r->commit = m->index;
		return;
	}
	raft_log_reset(&r->log, m->index, m->log_term);
	r->snap = (struct raft_snap_meta){ m->index, m->log_term, m->conf };
	r->commit = m->index;
	r->stable = m->index;
	r->truncate_from = 0;
	r->snap_pending = true;
	raft_conf_refresh(r);
}

static void begin_reception(struct raft *r, const struct raft_msg *m)
{
	if (r->snap_data == r->snap_buf) {
		r->snap_data = NULL;
		r->snap_len = 0;
		r->snap_lost = true;
	}
	r->recv_index = m->index;
	r->recv_term = m->log_term;
	r->recv_len = 0;
}

/* Precondition: m is from the leader of our term (step_term). */
void raft_on_snap(struct raft *r, const struct raft_msg *m)
{
	r->leader = m->from;
	r->leader_contact = r->now;
	r->contact_quiet = false;
	raft_reset_election_timer(r);
	if (m->index <= r->commit) {
		snap_answer(r, m, 0, true);
		return;
	}
	if (r->snap_pending)
		return; /* the previous one is not durable yet */
	if (m->offset == 0)
		begin_reception(r, m);
	if (m->index != r->recv_index || m->log_term != r->recv_term ||
	    m->offset != r->recv_len || r->recv_len + m->len > r->snap_cap) {
		snap_answer(r, m, m->index == r->recv_index ? r->recv_len : 0, false);
		return;
	}
	memcpy(r->snap_buf + r->recv_len, m->data, m->len);
	r->recv_len += m->len;
	if (!(m->flags & RAFT_MSG_DONE)) {
		snap_answer(r, m, r->recv_len, false);
		return;
	}
	install(r, m);
	snap_answer(r, m, r->recv_len, true);
}
