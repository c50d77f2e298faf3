/*
 * Roles and elections: randomized timeouts, pre-vote, votes, and the
 * leader's quorum check (paper 5.2, 5.4.1; dissertation 9.6).
 *
 * Pre-vote: a server whose timer fires first asks for pre-votes for
 * term + 1 without taking that term; only with a majority of them does it
 * become a candidate. A server that cannot win (a partitioned one, one with
 * a stale log) therefore never raises the cluster's term. Leader
 * stickiness: a server that heard from a leader within the minimum
 * election timeout ignores (pre-)vote requests altogether, and a leader
 * that did not hear from a majority within that time steps down (check
 * quorum), so a live leader is never deposed by a server coming back.
 */
#include "common/string.h"

#include "common/xorshift.h"
#include "raft_impl.h"

void raft_reset_election_timer(struct raft *r)
{
	uint32_t span = r->election_max_ms - r->election_min_ms;

	r->election_deadline = r->now + r->election_min_ms +
			       xorshift64(&r->rng) % span;
}

bool raft_in_lease(const struct raft *r)
{
	if (r->role == RAFT_LEADER)
		return true;
	return r->leader != 0 &&
	       r->now < r->leader_contact + r->election_min_ms +
			 (r->contact_quiet ? r->quiet_ms : 0);
}

/*
 * Every server hears of the death at about the same time, so random waits
 * over the window let two of them ask for pre-votes at once now and then:
 * each grants the other's, both stand, the votes split and a second term
 * follows (seen in sched-leader). They stand one after the other instead,
 * in the configuration's order, a slice of the window apart, with a
 * little jitter; one that cannot win leaves the next its turn.
 */
void raft_leader_lost(struct raft *r, uint64_t id)
{
	unsigned rank = 0, n = 0;

	if (r->role != RAFT_FOLLOWER || id == 0 || r->leader != id)
		return;
	for (unsigned i = 0; i < r->conf.n; i++) {
		if (!r->conf.s[i].voter || r->conf.s[i].id == id)
			continue;
		if (r->conf.s[i].id == r->id)
			rank = n;
		n++;
	}
	uint32_t slice = (r->election_max_ms - r->election_min_ms) / (n ? n : 1);
	r->leader = 0;                  /* out of its lease: votes are granted */
	r->contact_quiet = false;
	r->election_deadline = r->now + rank * slice + xorshift64(&r->rng) % (slice / 4 + 1);
}

/* The quorum check's period: a quiet follower answers once a quiet period. */
uint64_t raft_quorum_period(const struct raft *r)
{
	return r->election_max_ms + r->quiet_ms;
}

void raft_become_follower(struct raft *r, uint64_t term, uint64_t leader)
{
	if (r->role == RAFT_LEADER)
		raft_reads_drop(r);
	raft_set_term(r, term);
	r->role = RAFT_FOLLOWER;
	r->leader = leader;
	if (leader)
		r->leader_contact = r->now;
	r->contact_quiet = false;
	raft_reset_election_timer(r);
}

/* A server that is no voter cannot win, and one whose log is full, or
 * ends at RAFT_INDEX_MAX, could not append the NOOP that lets a new leader
 * commit. (At the last term there is no next one to ask for.) A log that
 * ends at the bound comes only from a peer (a snapshot or entries there,
 * which the codec lets through): leading from it put the NOOP past the
 * bound, where no APPEND encodes and raft_init refuses the durable log. */
static bool can_campaign(const struct raft *r)
{
	return raft_is_voter(&r->conf, r->id) && raft_log_free(&r->log) > 0 &&
	       r->log.last < RAFT_INDEX_MAX && r->hard.term < RAFT_INDEX_MAX;
}

static void ask_votes(struct raft *r, uint8_t type, uint64_t term)
{
	for (unsigned i = 0; i < r->conf.n; i++) {
		struct raft_msg *m;

		if (!r->conf.s[i].voter || r->conf.s[i].id == r->id)
			continue;
		m = raft_out(r, type, r->conf.s[i].id);
		if (!m)
			return;
		m->term = term;
		m->index = r->log.last;
		m->log_term = raft_log_last_term(&r->log);
	}
}

static void start_round(struct raft *r, enum raft_role role)
{
	int self = raft_conf_slot(&r->conf, r->id);

	r->role = role;
	r->leader = 0;
	memset(r->votes, 0, sizeof(r->votes));
	if (self >= 0)
		r->votes[self] = 1;
	raft_reset_election_timer(r);
}

static void tally(struct raft *r);

static void become_pre_candidate(struct raft *r)
{
	start_round(r, RAFT_PRE_CANDIDATE);
	ask_votes(r, RAFT_MSG_PREVOTE, r->hard.term + 1);
	tally(r);
}

static void become_candidate(struct raft *r)
{
	raft_set_term(r, r->hard.term + 1);
	r->hard.vote = r->id;
	start_round(r, RAFT_CANDIDATE);
	ask_votes(r, RAFT_MSG_VOTE, r->hard.term);
	tally(r);
}

/* The NOOP lets this leader commit, and through it every earlier entry
 * (paper 5.4.2: only entries of the leader's own term commit by count). */
static void become_leader(struct raft *r)
{
	r->role = RAFT_LEADER;
	r->leader = r->id;
	r->own_term_committed = false;
	r->nreads = 0;
	raft_progress_reset(r);
	r->heartbeat_deadline = r->now + r->heartbeat_ms;
	r->quorum_deadline = r->now + raft_quorum_period(r);
	if (raft_append_local(r, RAFT_ENTRY_NOOP, NULL, 0) < 0) {
		raft_become_follower(r, r->hard.term, 0);
		return;
	}
	raft_broadcast(r, true);
	raft_maybe_commit(r);
}

static void tally(struct raft *r)
{
	unsigned yes = 0, no = 0, voters = raft_conf_voters(&r->conf);
	unsigned q = raft_quorum(&r->conf);

	for (unsigned i = 0; i < r->conf.n; i++) {
		if (!r->conf.s[i].voter)
			continue;
		yes += r->votes[i] == 1;
		no += r->votes[i] == 2;
	}
	if (yes >= q)
		r->role == RAFT_PRE_CANDIDATE ? become_candidate(r) : become_leader(r);
	else if (no > voters - q)
		raft_become_follower(r, r->hard.term, 0);
}

void raft_election_tick(struct raft *r)
{
	if (r->now < r->election_deadline)
		return;
	if (can_campaign(r))
		become_pre_candidate(r);
	else
		raft_reset_election_timer(r);
}

static bool grant_vote(struct raft *r, const struct raft_msg *m)
{
	bool fresh = raft_log_up_to_date(r, m->index, m->log_term);

	if (m->type == RAFT_MSG_PREVOTE)
		return m->term > r->hard.term && fresh;
	if ((r->hard.vote != 0 && r->hard.vote != m->from) || !fresh)
		return false;
	r->hard.vote = m->from;
	raft_reset_election_timer(r);
	return true;
}

/* Precondition (step_term): a VOTE is of our term; a PREVOTE of a later
 * term passed the lease check. The answer leaves after the vote is
 * durable (the ready protocol). */
void raft_on_vote_request(struct raft *r, const struct raft_msg *m)
{
	bool granted = grant_vote(r, m);
	struct raft_msg *o = raft_out(r, (uint8_t)(m->type + 1), m->from);

	if (!o)
		return;
	if (granted && m->type == RAFT_MSG_PREVOTE)
		o->term = m->term;
	if (!granted)
		o->flags = RAFT_MSG_REJECT;
}

void raft_on_vote_response(struct raft *r, const struct raft_msg *m)
{
	bool granted = !(m->flags & RAFT_MSG_REJECT);
	int slot = raft_conf_slot(&r->conf, m->from);

	if (m->type == RAFT_MSG_PREVOTE_RESP) {
		if (r->role != RAFT_PRE_CANDIDATE ||
		    m->term != r->hard.term + (granted ? 1 : 0))
			return;
	} else if (r->role != RAFT_CANDIDATE) {
		return;
	}
	if (slot < 0 || !r->conf.s[slot].voter)
		return;
	r->votes[slot] = granted ? 1 : 2;
	tally(r);
}

/* Check quorum: a leader cut off from a majority steps down instead of
 * holding clients' requests forever. */
void raft_check_quorum(struct raft *r)
{
	unsigned heard = raft_is_voter(&r->conf, r->id);

	for (unsigned i = 0; i < r->conf.n; i++) {
		if (r->conf.s[i].id == r->id)
			continue;
		heard += r->conf.s[i].voter && r->prs[i].active;
		r->prs[i].active = false;
	}
	r->quorum_deadline = r->now + raft_quorum_period(r);
	if (heard < raft_quorum(&r->conf))
		raft_become_follower(r, r->hard.term, 0);
}
