/*
 * One test per Raft rule (mesh/raft.h). Single servers are driven by hand
 * with crafted messages where the rule is about one server's answer; the
 * deterministic cluster of raft_sim.h (no loss unless a test sets it)
 * where the rule is about the cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "raft_sim.h"

#define CAP 16

struct one {
	struct raft r;
	struct raft_entry log[CAP];
	uint8_t snap[4096];
	struct raft_msg out[RAFT_OUTBOX_MAX];
	size_t nout;
	struct raft_ready rd;   /* the last drained ready */
};

static struct one a;
static struct sim sim;

static struct raft_conf voters(unsigned n)
{
	struct raft_conf c = { .n = (uint8_t)n };

	for (unsigned i = 0; i < n; i++)
		c.s[i] = (struct raft_server){ i + 1, (uint16_t)(i + 1), true };
	return c;
}

/* Server `id` of n voters at `term`, log entries 1..nterms of those terms. */
static void make(struct one *o, uint64_t id, unsigned n, uint64_t term,
		 const uint64_t *terms, size_t nterms)
{
	static struct raft_entry ents[CAP];
	struct raft_init in = {
		.id = id, .seed = 42, .log = o->log, .log_cap = CAP,
		.snap_buf = o->snap, .snap_cap = sizeof(o->snap),
		.hard = { term, 0 }, .snap = { 0, 0, voters(n) },
		.ents = ents, .nents = nterms,
	};

	for (size_t i = 0; i < nterms; i++)
		ents[i] = (struct raft_entry){ .index = i + 1, .term = terms[i],
					       .type = RAFT_ENTRY_NORMAL };
	assert_int_equal(raft_init(&o->r, &in), 0);
	o->nout = 0;
}

/* One ready cycle, as meshd runs it; the messages are kept in o->out. */
static void drain(struct one *o)
{
	raft_ready(&o->r, &o->rd);
	o->nout = o->rd.nmsgs;
	memcpy(o->out, o->rd.msgs, o->nout * sizeof(o->out[0]));
	raft_advance(&o->r, &o->rd);
}

static const struct raft_msg *sent(const struct one *o, uint8_t type, uint64_t to)
{
	for (size_t i = 0; i < o->nout; i++)
		if (o->out[i].type == type && o->out[i].to == to)
			return &o->out[i];
	return NULL;
}

static struct raft_msg msg(uint8_t type, uint64_t from, uint64_t to, uint64_t term)
{
	struct raft_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.to = to;
	m.term = term;
	return m;
}

static void step(struct one *o, const struct raft_msg *m)
{
	assert_int_equal(raft_step(&o->r, m), 0);
}

/* Lets the election timer of o fire and hands it every (pre-)vote. */
static void elect(struct one *o, unsigned n)
{
	raft_tick(&o->r, o->r.now + RAFT_ELECTION_MAX_MS);
	assert_int_equal(o->r.role, RAFT_PRE_CANDIDATE);
	for (uint64_t p = 1; p <= n && o->r.role == RAFT_PRE_CANDIDATE; p++) {
		struct raft_msg m = msg(RAFT_MSG_PREVOTE_RESP, p, o->r.id, o->r.hard.term + 1);

		if (p != o->r.id)
			step(o, &m);
	}
	assert_int_equal(o->r.role, RAFT_CANDIDATE);
	for (uint64_t p = 1; p <= n && o->r.role == RAFT_CANDIDATE; p++) {
		struct raft_msg m = msg(RAFT_MSG_VOTE_RESP, p, o->r.id, o->r.hard.term);

		if (p != o->r.id)
			step(o, &m);
	}
	assert_int_equal(o->r.role, RAFT_LEADER);
	drain(o);
}

static struct raft_msg ack(uint64_t from, const struct one *o, uint64_t index,
			   uint64_t seq)
{
	struct raft_msg m = msg(RAFT_MSG_APPEND_RESP, from, o->r.id, o->r.hard.term);

	m.index = index;
	m.seq = seq;
	return m;
}

/* ---- single-server rules ---- */

static void test_init_refuses_impossible_state(void **state)
{
	struct raft_entry e[2] = { { .index = 1, .term = 2, .type = 1 },
				   { .index = 3, .term = 2, .type = 1 } };
	struct raft_init in = { .id = 1, .log = a.log, .log_cap = CAP,
				.hard = { 2, 0 }, .snap = { 0, 0, voters(3) },
				.ents = e, .nents = 2 };

	(void)state;
	assert_int_equal(raft_init(&a.r, &in), -AION_ECORRUPT); /* gap */
	e[1].index = 2;
	in.hard.term = 1;
	assert_int_equal(raft_init(&a.r, &in), -AION_ECORRUPT); /* term > hard */
	in.hard.term = 2;
	in.id = 0;
	assert_int_equal(raft_init(&a.r, &in), -AION_EINVAL);
	in.id = 1;
	assert_int_equal(raft_init(&a.r, &in), 0);
	assert_int_equal(raft_last_index(&a.r), 2);
}

static void test_stale_term_rejected(void **state)
{
	uint64_t terms[] = { 1, 5 };
	struct raft_msg m = msg(RAFT_MSG_APPEND, 2, 1, 3);
	const struct raft_msg *r;

	(void)state;
	make(&a, 1, 3, 5, terms, 2);
	m.index = 2;
	m.log_term = 5;
	m.nents = 1;
	m.ents[0] = (struct raft_msg_entry){ 3, RAFT_ENTRY_NORMAL, 0, 0 };
	step(&a, &m);
	drain(&a);
	r = sent(&a, RAFT_MSG_APPEND_RESP, 2);
	assert_non_null(r);
	assert_true(r->flags & RAFT_MSG_REJECT);
	assert_int_equal(r->term, 5);          /* the stale leader learns */
	assert_int_equal(raft_last_index(&a.r), 2);
	assert_int_equal(raft_leader(&a.r), 0);
	m = msg(RAFT_MSG_VOTE, 3, 1, 4);
	m.index = 9;
	m.log_term = 9;
	step(&a, &m);
	drain(&a);
	assert_int_equal(a.nout, 0);
	assert_int_equal(a.r.hard.vote, 0);
}

static void test_vote_refused_to_out_of_date_log(void **state)
{
	uint64_t terms[] = { 1, 2 };
	struct raft_msg m;
	const struct raft_msg *r;

	(void)state;
	make(&a, 1, 5, 2, terms, 2);
	m = msg(RAFT_MSG_VOTE, 2, 1, 3);
	m.index = 5;
	m.log_term = 1;                        /* longer, older last term */
	step(&a, &m);
	m = msg(RAFT_MSG_VOTE, 3, 1, 3);
	m.index = 1;
	m.log_term = 2;                        /* same last term, shorter */
	step(&a, &m);
	drain(&a);
	assert_true(sent(&a, RAFT_MSG_VOTE_RESP, 2)->flags & RAFT_MSG_REJECT);
	assert_true(sent(&a, RAFT_MSG_VOTE_RESP, 3)->flags & RAFT_MSG_REJECT);
	assert_int_equal(a.r.hard.vote, 0);
	m = msg(RAFT_MSG_VOTE, 4, 1, 3);
	m.index = 2;
	m.log_term = 2;                        /* as up to date */
	step(&a, &m);
	m = msg(RAFT_MSG_VOTE, 5, 1, 3);
	m.index = 7;
	m.log_term = 3;                        /* better, but one vote a term */
	step(&a, &m);
	drain(&a);
	r = sent(&a, RAFT_MSG_VOTE_RESP, 4);
	assert_false(r->flags & RAFT_MSG_REJECT);
	assert_true(sent(&a, RAFT_MSG_VOTE_RESP, 5)->flags & RAFT_MSG_REJECT);
	/* The grant leaves in the same ready that makes the vote durable. */
	assert_true(a.rd.hard_changed);
	assert_int_equal(a.rd.hard.vote, 4);
	assert_int_equal(a.rd.hard.term, 3);
}

/* Paper figure 8: a leader of term 4 must not commit index 2 (term 2)
 * when a majority holds it, since a server with a term-3 entry there
 * could still win; once its own NOOP (term 4) reaches a majority, both
 * commit. */
static void test_figure8_commit_only_own_term(void **state)
{
	uint64_t terms[] = { 1, 2 };
	struct raft_msg m;

	(void)state;
	make(&a, 1, 5, 3, terms, 2);
	elect(&a, 5);
	assert_int_equal(a.r.hard.term, 4);
	assert_int_equal(raft_last_index(&a.r), 3);    /* the NOOP */
	assert_int_equal(raft_entry_at(&a.r, 3)->type, RAFT_ENTRY_NOOP);
	m = ack(2, &a, 2, 0);
	step(&a, &m);
	m = ack(3, &a, 2, 0);
	step(&a, &m);
	assert_int_equal(a.r.commit, 0);               /* 3 of 5 hold index 2 */
	m = ack(2, &a, 3, 0);
	step(&a, &m);
	assert_int_equal(a.r.commit, 0);               /* 2 of 5 hold index 3 */
	m = ack(3, &a, 3, 0);
	step(&a, &m);
	assert_int_equal(a.r.commit, 3);
	drain(&a);
	assert_int_equal(a.rd.apply_from, 1);
	assert_int_equal(a.rd.apply_to, 3);
}

static void test_leader_commits_only_durable_own_copy(void **state)
{
	struct raft_msg m;
	uint64_t index;

	(void)state;
	make(&a, 1, 3, 0, NULL, 0);
	elect(&a, 3);
	assert_int_equal(raft_propose(&a.r, RAFT_ENTRY_NORMAL, "x", 1, &index), 0);
	assert_int_equal(index, 2);
	m = ack(2, &a, 2, 0);
	step(&a, &m);
	/* A follower has 2; the leader's copy is not synced yet: only its
	 * NOOP (synced in elect) commits. */
	assert_int_equal(a.r.commit, 1);
	drain(&a);
	assert_int_equal(a.r.commit, 2);
}

static void test_append_truncates_only_conflicts(void **state)
{
	struct raft_msg m = msg(RAFT_MSG_APPEND, 2, 1, 2);
	const struct raft_msg *r;

	(void)state;
	make(&a, 1, 3, 2, NULL, 0);
	m.nents = 3;
	for (unsigned i = 0; i < 3; i++)
		m.ents[i] = (struct raft_msg_entry){ 2, RAFT_ENTRY_NORMAL, 0, 0 };
	step(&a, &m);
	drain(&a);
	assert_int_equal(raft_last_index(&a.r), 3);
	/* A late, shorter AppendEntries of the same leader keeps 2 and 3. */
	m.nents = 1;
	step(&a, &m);
	drain(&a);
	assert_int_equal(raft_last_index(&a.r), 3);
	r = sent(&a, RAFT_MSG_APPEND_RESP, 2);
	assert_int_equal(r->index, 1);        /* proves only what it carried */
	/* A newer leader with another entry at 2 cuts 2 and 3. */
	m = msg(RAFT_MSG_APPEND, 3, 1, 3);
	m.index = 1;
	m.log_term = 2;
	m.nents = 1;
	m.ents[0] = (struct raft_msg_entry){ 3, RAFT_ENTRY_NORMAL, 0, 0 };
	step(&a, &m);
	drain(&a);
	assert_int_equal(raft_last_index(&a.r), 2);
	assert_int_equal(raft_entry_at(&a.r, 2)->term, 3);
	assert_int_equal(a.rd.truncate_from, 2);
	assert_int_equal(a.rd.persist_from, 2);
	assert_int_equal(a.rd.persist_to, 2);
	/* A mismatched prev entry is refused with where to retry. */
	m.index = 5;
	m.log_term = 3;
	step(&a, &m);
	drain(&a);
	r = sent(&a, RAFT_MSG_APPEND_RESP, 3);
	assert_true(r->flags & RAFT_MSG_REJECT);
	assert_int_equal(r->hint, 3);
}

static void test_prevote_does_not_raise_terms(void **state)
{
	struct raft_msg m;

	(void)state;
	make(&a, 1, 3, 7, NULL, 0);
	for (unsigned round = 0; round < 5; round++) {
		raft_tick(&a.r, a.r.now + RAFT_ELECTION_MAX_MS);
		drain(&a);
		assert_int_equal(a.r.role, RAFT_PRE_CANDIDATE);
		assert_int_equal(a.r.hard.term, 7);
		assert_non_null(sent(&a, RAFT_MSG_PREVOTE, 2));
		assert_int_equal(sent(&a, RAFT_MSG_PREVOTE, 2)->term, 8);
	}
	/* Granting a pre-vote changes nothing either. */
	make(&a, 2, 3, 7, NULL, 0);
	m = msg(RAFT_MSG_PREVOTE, 1, 2, 8);
	step(&a, &m);
	drain(&a);
	assert_false(sent(&a, RAFT_MSG_PREVOTE_RESP, 1)->flags & RAFT_MSG_REJECT);
	assert_int_equal(a.r.hard.term, 7);
	assert_int_equal(a.r.hard.vote, 0);
	assert_false(a.rd.hard_changed);
}

static void test_lease_ignores_vote_requests(void **state)
{
	struct raft_msg m = msg(RAFT_MSG_APPEND, 3, 1, 4);

	(void)state;
	make(&a, 1, 3, 4, NULL, 0);
	step(&a, &m);                          /* hears from leader 3 */
	drain(&a);
	m = msg(RAFT_MSG_PREVOTE, 2, 1, 5);
	step(&a, &m);
	m = msg(RAFT_MSG_VOTE, 2, 1, 5);
	step(&a, &m);
	drain(&a);
	assert_int_equal(a.nout, 0);
	assert_int_equal(a.r.hard.term, 4);
	assert_int_equal(raft_leader(&a.r), 3);
	/* After the minimum election timeout without the leader: answered. */
	raft_tick(&a.r, a.r.now + RAFT_ELECTION_MIN_MS);
	m = msg(RAFT_MSG_PREVOTE, 2, 1, 5);
	step(&a, &m);
	drain(&a);
	assert_false(sent(&a, RAFT_MSG_PREVOTE_RESP, 2)->flags & RAFT_MSG_REJECT);
}

static void test_read_index_waits_for_term_commit_and_round(void **state)
{
	struct raft_msg m;
	uint64_t seq;

	(void)state;
	make(&a, 1, 3, 0, NULL, 0);
	elect(&a, 3);
	assert_int_equal(raft_read_index(&a.r, 7), 0);
	drain(&a);
	seq = sent(&a, RAFT_MSG_APPEND, 2)->seq;
	/* A majority acknowledges the round, but nothing of term 1 is
	 * committed yet: no read. */
	m = ack(2, &a, 0, seq);
	step(&a, &m);
	drain(&a);
	assert_int_equal(a.rd.nreads, 0);
	m = ack(2, &a, 1, seq);                /* the NOOP commits */
	step(&a, &m);
	drain(&a);
	assert_int_equal(a.r.commit, 1);
	assert_int_equal(a.rd.nreads, 1);
	assert_int_equal(a.rd.reads[0].ctx, 7);
	assert_int_equal(a.rd.reads[0].index, 1);
	/* Later reads wait for a round sent after them. */
	assert_int_equal(raft_read_index(&a.r, 8), 0);
	drain(&a);
	m = ack(3, &a, 1, seq);                /* an older round */
	step(&a, &m);
	drain(&a);
	assert_int_equal(a.rd.nreads, 0);
	m = ack(3, &a, 1, seq + 1);
	step(&a, &m);
	drain(&a);
	assert_int_equal(a.rd.nreads, 1);
	assert_int_equal(a.rd.reads[0].ctx, 8);
	assert_int_equal(raft_read_index(&a.r, 9), 0);
	/* Silence for two quorum checks (one per maximum election timeout):
	 * the leader steps down, the read is dropped. */
	raft_tick(&a.r, a.r.now + RAFT_ELECTION_MAX_MS);
	raft_tick(&a.r, a.r.now + RAFT_ELECTION_MAX_MS);
	assert_int_equal(a.r.role, RAFT_FOLLOWER);
	assert_int_equal(raft_read_index(&a.r, 10), -AION_ENOTLEADER);
}

static void test_propose_errors(void **state)
{
	struct raft_msg m = msg(RAFT_MSG_APPEND, 3, 1, 2);
	uint8_t big[RAFT_ENTRY_MAX + 1] = { 0 };
	uint64_t index;
	int err = 0;

	(void)state;
	make(&a, 1, 3, 2, NULL, 0);
	step(&a, &m);
	assert_int_equal(raft_propose(&a.r, RAFT_ENTRY_NORMAL, "x", 1, &index),
			 -AION_ENOTLEADER);
	assert_int_equal(raft_leader(&a.r), 3);   /* the hint */
	make(&a, 1, 1, 0, NULL, 0);
	raft_tick(&a.r, RAFT_ELECTION_MAX_MS);     /* alone: leads at once */
	assert_int_equal(a.r.role, RAFT_LEADER);
	assert_int_equal(raft_propose(&a.r, RAFT_ENTRY_NORMAL, big, sizeof(big), &index),
			 -AION_EINVAL);
	assert_int_equal(raft_propose(&a.r, RAFT_ENTRY_CONFIG, big, 1, &index),
			 -AION_EINVAL);
	for (unsigned i = 0; i < CAP && err == 0; i++) {
		err = raft_propose(&a.r, RAFT_ENTRY_NORMAL, big, 8, &index);
		drain(&a);                         /* commits: alone */
	}
	assert_int_equal(err, -AION_ENOSPC);       /* one slot stays free */
	assert_int_equal(raft_last_index(&a.r), CAP - 1);
	assert_int_equal(raft_compact(&a.r, a.r.applied, big, 4), 0);
	assert_int_equal(raft_propose(&a.r, RAFT_ENTRY_NORMAL, big, 8, &index), 0);
	assert_int_equal(index, CAP);
}

/* Every message a server hands out must encode: the codec is the wire. */
static void drain_encodable(struct one *o)
{
	uint8_t b[RAFT_MSG_MAX];

	drain(o);
	for (size_t i = 0; i < o->nout; i++)
		assert_true(raft_msg_encode(&o->out[i], b, sizeof(b)) > 0);
	assert_true(raft_last_index(&o->r) <= RAFT_INDEX_MAX);
	assert_true(o->rd.apply_from > o->rd.apply_to ||
		    o->rd.apply_to <= raft_last_index(&o->r));
}

/* The log never passes RAFT_INDEX_MAX, whatever a peer sends (the
 * essence of two fuzz-mesh-decode crashes): a snapshot that ends at the
 * bound, from a "leader" whose configuration leaves this server the only
 * voter, made it campaign on its next timeout, win alone and append its
 * NOOP at RAFT_INDEX_MAX + 1: every APPEND it sent then failed to encode,
 * and raft_init refuses the log it persisted (-AION_ECORRUPT). A server
 * whose log ends at the bound cannot lead, as one with a full log. */
static void test_log_never_passes_index_max(void **state)
{
	struct raft_msg m = msg(RAFT_MSG_SNAP, 0x30000000000000ull, 1, 7);
	struct raft_entry e = { .index = RAFT_INDEX_MAX, .term = 7,
				.type = RAFT_ENTRY_NORMAL };
	struct raft_init in = { .id = 1, .seed = 42, .log = a.log,
				.log_cap = CAP, .hard = { 7, 0 },
				.snap = { RAFT_INDEX_MAX - 1, 7, voters(1) },
				.ents = &e, .nents = 1 };

	(void)state;
	make(&a, 1, 3, 3, NULL, 0);
	m.flags = RAFT_MSG_DONE;
	m.index = RAFT_INDEX_MAX;
	m.log_term = 5;
	m.conf = voters(1);
	m.conf.s[1] = (struct raft_server){ 2, 2, false };   /* a learner */
	m.conf.n = 2;
	step(&a, &m);
	drain_encodable(&a);
	assert_true(a.rd.snap);
	assert_int_equal(raft_last_index(&a.r), RAFT_INDEX_MAX);
	for (unsigned i = 1; i <= 10; i++) {
		raft_tick(&a.r, i * RAFT_ELECTION_MAX_MS);
		drain_encodable(&a);
		assert_int_equal(a.r.role, RAFT_FOLLOWER);
	}
	assert_int_equal(raft_last_index(&a.r), RAFT_INDEX_MAX);

	/* The same from durable state: a log that ends at the bound. */
	assert_int_equal(raft_init(&a.r, &in), 0);
	raft_tick(&a.r, 10 * RAFT_ELECTION_MAX_MS);
	drain_encodable(&a);
	assert_int_equal(a.r.role, RAFT_FOLLOWER);
	assert_int_equal(raft_last_index(&a.r), RAFT_INDEX_MAX);
	/* One below it, the NOOP still fits: it leads, and proposes no more. */
	in.snap.index = RAFT_INDEX_MAX - 2;
	e.index = RAFT_INDEX_MAX - 1;
	assert_int_equal(raft_init(&a.r, &in), 0);
	raft_tick(&a.r, 10 * RAFT_ELECTION_MAX_MS);
	drain_encodable(&a);
	assert_int_equal(a.r.role, RAFT_LEADER);
	assert_int_equal(raft_last_index(&a.r), RAFT_INDEX_MAX);
	assert_int_equal(raft_propose(&a.r, RAFT_ENTRY_NORMAL, "x", 1, NULL),
			 -AION_ENOSPC);
	drain_encodable(&a);
}

/* ---- cluster rules ---- */

static int run_until_leader(struct sim *s, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t++) {
		sim_step_ms(s, 1, true);
		if (sim_leader(s) >= 0)
			return sim_leader(s);
	}
	return -1;
}

static void run(struct sim *s, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t++)
		sim_step_ms(s, 1, true);
}

static void test_rejoining_node_does_not_depose_leader(void **state)
{
	uint8_t alone[SIM_SLOTS] = { 0 };
	int l, f;
	uint64_t term;

	(void)state;
	sim_init(&sim, 3, 3, 11);
	l = run_until_leader(&sim, 5000);
	assert_true(l >= 0);
	run(&sim, 100);
	term = sim.srv[l].r.hard.term;
	f = (l + 1) % 3;
	alone[f] = 1;
	sim_partition(&sim, alone);
	run(&sim, 5000);                       /* many election timeouts */
	assert_int_equal(sim.srv[f].r.hard.term, term);
	assert_int_equal(sim.srv[l].r.role, RAFT_LEADER);
	sim_heal(&sim);
	run(&sim, 2000);
	assert_int_equal(sim_leader(&sim), l);
	assert_int_equal(sim.srv[l].r.hard.term, term);
	assert_int_equal(sim.srv[f].r.role, RAFT_FOLLOWER);
	assert_int_equal(raft_leader(&sim.srv[f].r), sim.srv[l].id);
}

static void test_check_quorum_step_down(void **state)
{
	uint8_t alone[SIM_SLOTS] = { 0 };
	uint64_t t0;
	int l;

	(void)state;
	sim_init(&sim, 3, 3, 12);
	l = run_until_leader(&sim, 5000);
	assert_true(l >= 0);
	alone[l] = 1;
	sim_partition(&sim, alone);
	t0 = sim.now;
	while (sim.srv[l].r.role == RAFT_LEADER && sim.now - t0 < 5000)
		sim_step_ms(&sim, 1, true);
	assert_int_equal(sim.srv[l].r.role, RAFT_FOLLOWER);
	/* Not before a whole minimum election timeout, within two. */
	assert_true(sim.now - t0 >= RAFT_ELECTION_MIN_MS - RAFT_HEARTBEAT_MS);
	assert_true(sim.now - t0 <= 2 * RAFT_ELECTION_MIN_MS);
	printf("check quorum: leader stepped down %llu ms after the cut\n",
	       (unsigned long long)(sim.now - t0));
}

/*
 * Quiet leader (docs/raft.md): once both followers hold everything, the
 * leader's messages drop from one a heartbeat (50 ms) to one a quiet
 * period (500 ms) each; it keeps its lead (the quorum check waits for
 * quiet answers); a proposal still commits at once; a crash reported
 * through raft_leader_lost elects a new leader within the election
 * window, where the quiet timeout alone takes longer.
 */
static uint64_t delivered_over(struct sim *s, unsigned ms)
{
	uint64_t d0 = s->st.delivered;

	run(s, ms);
	return s->st.delivered - d0;
}

/* Three servers, quiet period 500 ms, settled: the leader's slot. */
static int quiet_cluster(uint64_t seed)
{
	sim_init_timing(&sim, 3, 3, seed, 500, 0, 0);
	int l = run_until_leader(&sim, 5000);
	assert_true(l >= 0);
	run(&sim, 1000);
	return l;
}

/* Until a leader other than old, at most 5 s: the time it took. */
static uint64_t until_new_leader(int old)
{
	uint64_t t0 = sim.now;

	while (sim_leader(&sim) < 0 && sim.now - t0 < 5000)
		sim_step_ms(&sim, 1, true);
	assert_true(sim_leader(&sim) >= 0 && sim_leader(&sim) != old);
	return sim.now - t0;
}

static void test_quiet_leader(void **state)
{
	uint64_t index;

	(void)state;
	int l = quiet_cluster(31);
	uint64_t term = sim.srv[l].r.hard.term;
	uint64_t quiet = delivered_over(&sim, 5000);
	/* 2 followers x 10 quiet rounds x (heartbeat + answer) = 40; at the
	 * 50 ms heartbeat it would be 400. */
	printf("quiet leader: %llu messages in 5 s\n", (unsigned long long)quiet);
	assert_true(quiet >= 30 && quiet <= 60);
	assert_int_equal(sim_leader(&sim), l);
	assert_int_equal(sim.srv[l].r.hard.term, term);
	assert_true(sim.st.quiet_msgs > 0);

	assert_int_equal(sim_propose(&sim, (unsigned)l, &index), 0);
	run(&sim, 100);                         /* far below the quiet period */
	for (unsigned i = 0; i < 3; i++) {
		printf("quiet leader: server %u commit %llu of %llu\n", i,
		       (unsigned long long)sim.srv[i].r.commit, (unsigned long long)index);
		assert_true(sim.srv[i].r.commit >= index);
	}

	sim_crash(&sim, (unsigned)l);           /* reported: raft_leader_lost */
	uint64_t took = until_new_leader(l);
	printf("quiet leader: crash reported, new leader after %llu ms\n", (unsigned long long)took);
	assert_true(took <= RAFT_ELECTION_MAX_MS);
}

static void test_quiet_leader_unreported_crash(void **state)
{
	(void)state;
	int l = quiet_cluster(32);
	sim.quiet_ms = 0;                       /* no more reports */
	sim_crash(&sim, (unsigned)l);
	uint64_t took = until_new_leader(l);
	printf("quiet leader: crash not reported, new leader after %llu ms\n", (unsigned long long)took);
	/* The followers wait out what is left of a quiet period on top of the
	 * election timeout. */
	assert_true(took > RAFT_ELECTION_MIN_MS);
	assert_true(took <= 500 + 2 * RAFT_ELECTION_MAX_MS);
}

/* Whoever leads or follows, raft_next_deadline is in the future right
 * after a tick, and a leader's is at most a heartbeat away (it once
 * returned a leader's long-past election deadline: meshd's main loop
 * woke at once, again and again, on the leading node). */
static void test_next_deadline_after_tick(void **state)
{
	int l;

	(void)state;
	sim_init(&sim, 3, 3, 21);
	l = run_until_leader(&sim, 5000);
	assert_true(l >= 0);
	for (unsigned ms = 0; ms < 3000; ms++) {
		sim_step_ms(&sim, 1, true);
		for (int i = 0; i < 3; i++) {
			const struct raft *r = &sim.srv[i].r;

			assert_true(raft_next_deadline(r) > r->now);
			if (r->role == RAFT_LEADER)
				assert_true(raft_next_deadline(r) <= r->now + RAFT_HEARTBEAT_MS);
		}
	}
	assert_int_equal(sim.srv[l].r.role, RAFT_LEADER);
	assert_true(sim.srv[l].r.election_deadline <= sim.now);  /* the stale one */
}

static bool committed_on(struct sim *s, int slot, uint64_t index)
{
	return s->srv[slot].r.commit >= index;
}

static void test_config_change_one_at_a_time(void **state)
{
	struct raft *lr;
	uint64_t i1, i2;
	int l, n;

	(void)state;
	sim_init(&sim, 3, 5, 13);
	l = run_until_leader(&sim, 5000);
	assert_true(l >= 0);
	lr = &sim.srv[l].r;
	assert_int_equal(raft_change_config(lr, RAFT_CONF_ADD_LEARNER, 100, 4, &i1),
			 -AION_EBUSY);            /* its NOOP is not committed */
	run(&sim, 50);
	n = sim_add_server(&sim);
	assert_int_equal(raft_change_config(lr, RAFT_CONF_ADD_LEARNER, sim.srv[n].id,
					    (uint16_t)(n + 1), &i1), 0);
	assert_int_equal(raft_conf_voters(&lr->conf), 3);  /* in effect at once */
	assert_non_null(raft_conf_find(&lr->conf, sim.srv[n].id));
	assert_int_equal(raft_change_config(lr, RAFT_CONF_PROMOTE, sim.srv[n].id, 0, &i2),
			 -AION_EBUSY);
	while (!committed_on(&sim, l, i1))
		sim_step_ms(&sim, 1, true);
	assert_int_equal(raft_change_config(lr, RAFT_CONF_PROMOTE, sim.srv[n].id, 0, &i2), 0);
	assert_int_equal(raft_conf_voters(&lr->conf), 4);
	run(&sim, 200);
	assert_true(committed_on(&sim, n, i2));    /* the new voter has the log */
	assert_true(raft_conf_find(&sim.srv[n].r.conf, sim.srv[n].id)->voter);
	/* The leader removes itself: it leads until that commits, then
	 * steps down, and the others elect a leader among themselves. */
	assert_int_equal(raft_change_config(lr, RAFT_CONF_REMOVE, sim.srv[l].id, 0, &i1), 0);
	while (!committed_on(&sim, l, i1) && sim.srv[l].r.role == RAFT_LEADER)
		sim_step_ms(&sim, 1, true);
	run(&sim, 1);
	assert_int_not_equal(sim.srv[l].r.role, RAFT_LEADER);
	n = run_until_leader(&sim, 5000);
	assert_true(n >= 0 && n != l);
	run(&sim, 3000);
	assert_int_equal(sim.srv[l].r.role, RAFT_FOLLOWER);  /* never stands */
	assert_int_equal(sim_leader(&sim), n);
}

static void test_snapshot_install(void **state)
{
	uint64_t index = 0;
	int l, f;

	(void)state;
	sim_init(&sim, 3, 3, 14);
	l = run_until_leader(&sim, 5000);
	assert_true(l >= 0);
	f = (l + 1) % 3;
	sim_crash(&sim, (unsigned)f);
	for (unsigned i = 0; i < 2000 && (sim.srv[l].r.snap.index <= 2 * SIM_LOG_CAP ||
					 sim.srv[l].r.snap_len <= RAFT_SNAP_CHUNK); i++) {
		int err = sim_propose(&sim, (unsigned)l, &index);

		if (err != 0 && err != -AION_EAGAIN && err != -AION_ENOSPC)
			fail_msg("propose: %s", aion_error_name(err));
		run(&sim, 5);
		for (unsigned k = 0; k < 3; k++)   /* every server compacts */
			(void)sim_compact(&sim, k);
	}
	assert_true(sim.srv[l].r.snap.index > 2 * SIM_LOG_CAP);
	assert_true(sim.srv[l].r.snap_len > RAFT_SNAP_CHUNK); /* 2 chunks or more */
	sim_restart(&sim, (unsigned)f);
	run(&sim, 1000);
	assert_int_equal(sim.st.snap_installs, 1);
	assert_true(sim.srv[f].r.snap.index > SIM_LOG_CAP);
	assert_int_equal(sim.srv[f].sm_index, sim.srv[l].sm_index);
	assert_int_equal(sim.srv[f].sm_hash, sim.srv[l].sm_hash);
	/* It survives a restart: the snapshot went to its disk. */
	sim_crash(&sim, (unsigned)f);
	sim_restart(&sim, (unsigned)f);
	assert_true(sim.srv[f].sm_index > SIM_LOG_CAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_refuses_impossible_state),
		cmocka_unit_test(test_stale_term_rejected),
		cmocka_unit_test(test_vote_refused_to_out_of_date_log),
		cmocka_unit_test(test_figure8_commit_only_own_term),
		cmocka_unit_test(test_leader_commits_only_durable_own_copy),
		cmocka_unit_test(test_append_truncates_only_conflicts),
		cmocka_unit_test(test_prevote_does_not_raise_terms),
		cmocka_unit_test(test_lease_ignores_vote_requests),
		cmocka_unit_test(test_read_index_waits_for_term_commit_and_round),
		cmocka_unit_test(test_propose_errors),
		cmocka_unit_test(test_log_never_passes_index_max),
		cmocka_unit_test(test_rejoining_node_does_not_depose_leader),
		cmocka_unit_test(test_check_quorum_step_down),
		cmocka_unit_test(test_quiet_leader),
		cmocka_unit_test(test_quiet_leader_unreported_crash),
		cmocka_unit_test(test_next_deadline_after_tick),
		cmocka_unit_test(test_config_change_one_at_a_time),
		cmocka_unit_test(test_snapshot_install),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
