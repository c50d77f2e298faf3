/*
 * Log replication (paper 5.3, 5.4.2; dissertation 3.5, 3.10).
 *
 * The leader tracks each server in one of three states: PROBE (one
 * AppendEntries at a time until a success shows where the logs meet),
 * REPLICATE (up to RAFT_INFLIGHT_MAX batches in flight, next advanced
 * optimistically) and SNAPSHOT (the entries it needs are compacted away;
 * raft_snap.c). A batch holds as many entries as fit RAFT_MSG_MAX.
 * Heartbeats are empty AppendEntries at the server's match index, which
 * it always holds, so they are never refused; they carry the leader's
 * heartbeat round (seq) that read-index requests wait on.
 *
 * Lost messages: a REPLICATE server that made no progress over a whole
 * heartbeat while behind falls back to PROBE from its match index, which
 * resends whatever was lost.
 *
 * Quiet leader (docs/raft.md): each server has its own heartbeat due
 * time. One that holds every entry, knows the commit and answered all it
 * was sent is quiet: its heartbeats come every quiet_ms, flagged, and it
 * waits that much longer before campaigning. Anything else sent to it
 * brings its next heartbeat back to heartbeat_ms.
 */
#include "raft_impl.h"

static struct raft_progress fresh_progress(const struct raft *r)
{
	return (struct raft_progress){ .next = r->log.last + 1,
				       .state = RAFT_PR_PROBE };
}

void raft_progress_reset(struct raft *r)
{
	for (unsigned i = 0; i < r->conf.n; i++)
		r->prs[i] = fresh_progress(r);
}

void raft_progress_remap(struct raft *r, const struct raft_conf *old,
			 const struct raft_progress *old_prs)
{
	for (unsigned i = 0; i < r->conf.n; i++) {
		int o = raft_conf_slot(old, r->conf.s[i].id);

		r->prs[i] = o >= 0 ? old_prs[o] : fresh_progress(r);
	}
}

static void to_probe(struct raft_progress *pr, uint64_t next)
{
	pr->state = RAFT_PR_PROBE;
	pr->next = next;
	pr->paused = false;
	pr->inflight = 0;
}

static void inflight_free(struct raft_progress *pr, uint64_t upto)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < pr->inflight; i++)
		if (pr->inflight_last[i] > upto)
			pr->inflight_last[keep++] = pr->inflight_last[i];
	pr->inflight = (uint8_t)keep;
}

/* Entries [next, ...] that fit one message. */
static void fill_entries(const struct raft *r, struct raft_msg *m, uint64_t next)
{
	for (uint64_t i = next; i <= r->log.last && m->nents < RAFT_MSG_ENTS_MAX; i++) {
		const struct raft_entry *e = raft_log_get(&r->log, i);
		struct raft_msg_entry *me = &m->ents[m->nents];

		if (RAFT_MSG_APPEND_LEN + m->len + (m->nents + 1u) * RAFT_MSG_ENTRY_HDR_LEN +
		    e->len > RAFT_MSG_MAX)
			break;
		*me = (struct raft_msg_entry){ e->term, e->type, e->len, m->len };
		for (unsigned b = 0; b < e->len; b++)
			m->data[m->len + b] = e->data[b];
		m->len = (uint16_t)(m->len + e->len);
		m->nents++;
	}
}

static void start_snapshot(struct raft *r, unsigned slot)
{
	struct raft_progress *pr = &r->prs[slot];

	pr->state = RAFT_PR_SNAPSHOT;
	pr->paused = false;
	pr->inflight = 0;
	pr->snap_index = 0;
	raft_send_snap_chunk(r, slot);
}

/* Sends entries (or a snapshot chunk) the server lacks, if flow control
 * allows; returns whether a message went out. */
static bool send_entries(struct raft *r, unsigned slot)
{
	struct raft_progress *pr = &r->prs[slot];
	struct raft_msg *m;
	uint64_t prev_term;

	if (pr->state == RAFT_PR_SNAPSHOT) {
		if (pr->paused)
			return false;
		raft_send_snap_chunk(r, slot);
		return true;
	}
	if (pr->paused || pr->next > r->log.last ||
	    (pr->state == RAFT_PR_REPLICATE && pr->inflight >= RAFT_INFLIGHT_MAX))
		return false;
	if (raft_log_term(&r->log, pr->next - 1, &prev_term) < 0) {
		start_snapshot(r, slot);
		return true;
	}
	m = raft_out(r, RAFT_MSG_APPEND, r->conf.s[slot].id);
	if (!m)
		return false;
	m->index = pr->next - 1;
	m->log_term = prev_term;
	m->commit = r->commit;
	m->seq = pr->sent_seq = r->hb_seq;
	fill_entries(r, m, pr->next);
	if (pr->state == RAFT_PR_PROBE) {
		pr->paused = true;
	} else {
		pr->next += m->nents;
		pr->inflight_last[pr->inflight++] = pr->next - 1;
	}
	return true;
}

/* An empty AppendEntries at an index the server holds (its match), or,
 * while that is unknown, at next - 1 (a probe). Commit is capped at the
 * index sent: the server may not hold anything after it. */
static bool peer_quiet(const struct raft *r, const struct raft_progress *pr)
{
	return r->quiet_ms && r->nreads == 0 && r->commit == r->log.last &&
	       pr->state == RAFT_PR_REPLICATE && pr->match == r->log.last &&
	       pr->acked_seq >= pr->sent_seq;
}

static void send_heartbeat(struct raft *r, unsigned slot)
{
	struct raft_progress *pr = &r->prs[slot];
	uint64_t prev = pr->match, t;
	struct raft_msg *m;
	bool quiet = peer_quiet(r, pr);

	if (raft_log_term(&r->log, prev, &t) < 0) {
		prev = pr->next - 1;
		if (raft_log_term(&r->log, prev, &t) < 0)
			return;
	}
	m = raft_out(r, RAFT_MSG_APPEND, r->conf.s[slot].id);
	if (!m)
		return;
	m->index = prev;
	m->log_term = t;
	m->commit = r->commit < prev ? r->commit : prev;
	m->seq = pr->sent_seq = r->hb_seq;
	if (quiet)
		m->flags = RAFT_MSG_QUIET;
}

void raft_send_append(struct raft *r, unsigned slot, bool empty_ok)
{
	struct raft_progress *pr = &r->prs[slot];

	if (r->conf.s[slot].id == r->id)
		return;
	if (!send_entries(r, slot) && empty_ok)
		send_heartbeat(r, slot);
	/* Not quiet (any more), or new to this leader (hb_due 0): its next
	 * heartbeat at the usual period, and the tick comes for it then. */
	if (!peer_quiet(r, pr) && (pr->hb_due == 0 || pr->hb_due > r->now + r->heartbeat_ms)) {
		pr->hb_due = r->now + r->heartbeat_ms;
		if (pr->hb_due < r->heartbeat_deadline)
			r->heartbeat_deadline = pr->hb_due;
	}
}

void raft_broadcast(struct raft *r, bool empty_ok)
{
	for (unsigned i = 0; i < r->conf.n; i++)
		raft_send_append(r, i, empty_ok);
}

void raft_heartbeat_tick(struct raft *r)
{
	if (r->now >= r->quorum_deadline) {
		raft_check_quorum(r);
		if (r->role != RAFT_LEADER)
			return;
	}
	if (r->now < r->heartbeat_deadline)
		return;
	uint64_t next = r->now + (r->quiet_ms ? r->quiet_ms : r->heartbeat_ms);

	r->hb_seq++;
	for (unsigned i = 0; i < r->conf.n; i++) {
		struct raft_progress *pr = &r->prs[i];

		if (r->conf.s[i].id == r->id)
			continue;
		if (r->now < pr->hb_due) {
			next = pr->hb_due < next ? pr->hb_due : next;
			continue;
		}
		if (pr->state == RAFT_PR_REPLICATE && pr->match < r->log.last &&
		    pr->match == pr->match_at_hb)
			to_probe(pr, pr->match + 1);
		pr->match_at_hb = pr->match;
		pr->paused = false;
		bool quiet = peer_quiet(r, pr);
		raft_send_append(r, i, true);
		pr->hb_due = r->now + (quiet ? r->quiet_ms : r->heartbeat_ms);
		next = pr->hb_due < next ? pr->hb_due : next;
	}
	r->heartbeat_deadline = next;
}

static void sort_desc(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j] > v[j - 1]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* A leader removed from the configuration leaves once the removal is
 * committed (dissertation 4.2.2); until then it leads without counting
 * itself. */
static void after_commit(struct raft *r)
{
	raft_reads_update(r);
	if (r->conf_index <= r->commit && !raft_conf_find(&r->conf, r->id)) {
		raft_become_follower(r, r->hard.term, 0);
		return;
	}
	raft_broadcast(r, true);
}

/* Only an entry of the leader's own term commits by counting replicas
 * (paper 5.4.2, figure 8); earlier ones commit with it. The leader's own
 * copy counts once durable. */
void raft_maybe_commit(struct raft *r)
{
	uint64_t match[RAFT_SERVERS_MAX], t;
	unsigned n = 0, q = raft_quorum(&r->conf);

	for (unsigned i = 0; i < r->conf.n; i++)
		if (r->conf.s[i].voter)
			match[n++] = r->conf.s[i].id == r->id ? r->stable
							      : r->prs[i].match;
	if (n < q)
		return;
	sort_desc(match, n);
	if (match[q - 1] <= r->commit ||
	    raft_log_term(&r->log, match[q - 1], &t) < 0 || t != r->hard.term)
		return;
	r->commit = match[q - 1];
	r->own_term_committed = true;
	after_commit(r);
}

static void respond(struct raft *r, const struct raft_msg *m, bool ok,
		    uint64_t index, uint64_t hint)
{
	struct raft_msg *o = raft_out(r, RAFT_MSG_APPEND_RESP, m->from);

	if (!o)
		return;
	o->flags = ok ? 0 : RAFT_MSG_REJECT;
	o->index = index;
	o->hint = hint < RAFT_INDEX_MAX ? hint : RAFT_INDEX_MAX;
	o->seq = m->seq;
}

static void note_truncation(struct raft *r, uint64_t from)
{
	raft_log_truncate(&r->log, from);
	if (from <= r->stable) {
		r->stable = from - 1;
		if (!r->truncate_from || from < r->truncate_from)
			r->truncate_from = from;
	}
}

/* Appends what follows the matched prev entry. Only a conflicting suffix
 * is cut: an entry already held with the same term is kept, so a late,
 * shorter AppendEntries never removes newer entries. *last is the last
 * index this message proves matching; false: drop the message. */
static bool merge_entries(struct raft *r, const struct raft_msg *m,
			  uint64_t *last)
{
	bool conf_touched = false;

	*last = m->index;
	for (unsigned k = 0; k < m->nents; k++) {
		const struct raft_msg_entry *e = &m->ents[k];
		uint64_t idx = m->index + 1 + k, t;

		if (idx <= r->log.last && raft_log_term(&r->log, idx, &t) == 0) {
			if (t != e->term && idx <= r->commit)
				return false; /* never: committed entries match */
			if (t == e->term) {
				*last = idx;
				continue;
			}
			note_truncation(r, idx);
			conf_touched = true;
		}
		if (raft_log_append(&r->log, e->term, e->type, m->data + e->off,
				    e->len) < 0)
			break;
		*last = idx;
		conf_touched |= e->type == RAFT_ENTRY_CONFIG;
	}
	if (conf_touched)
		raft_conf_refresh(r);
	return true;
}

/* Precondition: m is from the leader of our term (step_term). */
void raft_on_append(struct raft *r, const struct raft_msg *m)
{
	uint64_t t, last;

	r->leader = m->from;
	r->leader_contact = r->now;
	r->contact_quiet = m->flags & RAFT_MSG_QUIET;
	raft_reset_election_timer(r);
	if (r->contact_quiet)
		r->election_deadline += r->quiet_ms;
	if (m->index < r->commit) {
		respond(r, m, true, r->commit, 0);
		return;
	}
	if (raft_log_term(&r->log, m->index, &t) < 0 || t != m->log_term) {
		uint64_t hint = m->index > r->log.last ? r->log.last + 1 :
				raft_log_term_start(&r->log, m->index, r->commit);

		respond(r, m, false, m->index, hint);
		return;
	}
	if (!merge_entries(r, m, &last))
		return;
	if (m->commit > r->commit)
		r->commit = m->commit < last ? m->commit : last;
	respond(r, m, true, last, 0);
}

static void on_append_success(struct raft *r, unsigned slot, uint64_t index)
{
	struct raft_progress *pr = &r->prs[slot];
	bool progressed = index > pr->match;

	if (progressed)
		pr->match = index;
	if (pr->next <= pr->match)
		pr->next = pr->match + 1;
	inflight_free(pr, pr->match);
	if (pr->state == RAFT_PR_PROBE ||
	    (pr->state == RAFT_PR_SNAPSHOT && pr->match >= r->log.snap_index)) {
		to_probe(pr, pr->match + 1);
		pr->state = RAFT_PR_REPLICATE;
	}
	if (progressed)
		raft_maybe_commit(r);
}

void raft_on_append_response(struct raft *r, const struct raft_msg *m)
{
	int slot = raft_conf_slot(&r->conf, m->from);
	struct raft_progress *pr;

	if (r->role != RAFT_LEADER || slot < 0)
		return;
	pr = &r->prs[slot];
	pr->active = true;
	if (m->seq > pr->acked_seq) {
		pr->acked_seq = m->seq;
		raft_reads_update(r);
	}
	if (!(m->flags & RAFT_MSG_REJECT) && m->index > r->log.last)
		return; /* nobody can match what this leader never had */
	if (m->flags & RAFT_MSG_REJECT) {
		uint64_t next = m->hint < m->index ? m->hint : m->index;

		if (m->index < pr->match || pr->state == RAFT_PR_SNAPSHOT)
			return;
		to_probe(pr, next > pr->match ? next : pr->match + 1);
	} else {
		on_append_success(r, (unsigned)slot, m->index);
		if (r->role != RAFT_LEADER)
			return;
	}
	while (send_entries(r, (unsigned)slot) && pr->state == RAFT_PR_REPLICATE)
		;
}
