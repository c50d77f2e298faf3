/*
 * The safety checks of the Raft simulator (raft_sim.h lists them), run
 * by raft_sim.c after every event, sync and send.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "raft_sim.h"

uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

uint64_t sim_entry_hash(const struct raft_entry *e)
{
	uint64_t h = fnv64(0xcbf29ce484222325ull, &e->type, 1);

	h = fnv64(h, &e->len, sizeof(e->len));
	return fnv64(h, e->data, e->len);
}

/* State machine safety: one entry and one state per index. */
void sim_check_applied(struct sim *s, const struct sim_server *sv,
		       const struct raft_entry *e)
{
	struct sim_rec *a;
	uint64_t h = sim_entry_hash(e);

	CHECK(s, e->index < SIM_INDEX_MAX, "sim index limit");
	a = &s->applied[e->index];
	if (!a->set) {
		*a = (struct sim_rec){ true, e->term, h, sv->sm_hash };
		return;
	}
	CHECK(s, a->term == e->term && a->hash == h && a->sm == sv->sm_hash,
	      "state machine safety: server %llu applied a different entry at %llu (term %llu, first applied term %llu)",
	      (unsigned long long)sv->id, (unsigned long long)e->index,
	      (unsigned long long)e->term, (unsigned long long)a->term);
}

/* A snapshot carries a state some server reached by applying. */
void sim_check_snapshot(struct sim *s, const struct sim_server *sv)
{
	uint64_t i = sv->sm_index;

	CHECK(s, i < SIM_INDEX_MAX && s->applied[i].set &&
	      s->applied[i].sm == sv->sm_hash,
	      "server %llu: snapshot at %llu holds a state nobody applied",
	      (unsigned long long)sv->id, (unsigned long long)i);
}

/* Linearizable reads: at least every index committed when it began. */
void sim_check_read(struct sim *s, const struct raft_read *rd)
{
	CHECK(s, rd->ctx < s->nreads && rd->index >= s->read_floor[rd->ctx],
	      "read %llu: index %llu below %llu, committed when it began",
	      (unsigned long long)rd->ctx, (unsigned long long)rd->index,
	      (unsigned long long)s->read_floor[rd->ctx]);
	s->st.reads++;
}

/* Log matching, checked on every entry as it becomes durable: an (index,
 * term) pair names one entry with one predecessor term, so by induction
 * equal pairs mean equal prefixes. */
void sim_check_matching(struct sim *s, struct sim_server *sv,
			   const struct raft_ready *rd)
{
	for (uint64_t i = rd->persist_from; i <= rd->persist_to; i++) {
		const struct raft_entry *e = raft_entry_at(&sv->r, i);
		const struct raft_entry *p = raft_entry_at(&sv->r, i - 1);
		uint64_t prev = p ? p->term : sv->r.log.snap_term;
		uint64_t h = sim_entry_hash(e);
		uint32_t k = (uint32_t)((i * 0x9e3779b97f4a7c15ull ^ e->term) % SIM_LM_SIZE);

		for (;; k = (k + 1) % SIM_LM_SIZE) {
			struct sim_lm *m = &s->lm[k];

			if (m->gen != s->gen) {
				*m = (struct sim_lm){ s->gen, i, e->term, h, prev };
				break;
			}
			if (m->index != i || m->term != e->term)
				continue;
			CHECK(s, m->hash == h && m->prev_term == prev,
			      "log matching: server %llu holds a different entry at (%llu, term %llu)",
			      (unsigned long long)sv->id, (unsigned long long)i,
			      (unsigned long long)e->term);
			break;
		}
	}
}

/* The stored log must be the in-memory log: what a restart would load. */
void sim_check_disk(struct sim *s, struct sim_server *sv)
{
	struct sim_disk *d = &sv->disk;

	CHECK(s, d->snap.index + d->nents == sv->r.log.last &&
	      d->snap.index <= sv->r.log.snap_index,
	      "server %llu: stored log ends at %llu, memory at %llu",
	      (unsigned long long)sv->id,
	      (unsigned long long)(d->snap.index + d->nents),
	      (unsigned long long)sv->r.log.last);
	for (uint32_t i = 0; i < d->nents; i++) {
		const struct raft_entry *e = raft_entry_at(&sv->r, d->ents[i].index);

		CHECK(s, !e || (e->term == d->ents[i].term &&
				sim_entry_hash(e) == sim_entry_hash(&d->ents[i])),
		      "server %llu: stored entry %llu differs from memory",
		      (unsigned long long)sv->id,
		      (unsigned long long)d->ents[i].index);
	}
}

/* What a message depends on must be on disk before it leaves: its term,
 * a granted vote, the entries an acknowledgement claims. (A crash right
 * after the send would otherwise forget them; the random crashes hit that
 * window too rarely to rely on.) A grant or acknowledgement of an earlier
 * term than the stored one is exempt: the server can never act in that
 * term again, and its answer was true when it was given. */
void sim_check_durable(struct sim *s, const struct sim_server *sv,
			  const struct raft_msg *m)
{
	const struct sim_disk *d = &sv->disk;
	bool pre = m->type == RAFT_MSG_PREVOTE ||
		   (m->type == RAFT_MSG_PREVOTE_RESP && !(m->flags & RAFT_MSG_REJECT));

	CHECK(s, pre || m->term <= d->hard.term,
	      "server %llu sends %s of term %llu, stored term %llu",
	      (unsigned long long)sv->id, raft_msg_type_name(m->type),
	      (unsigned long long)m->term, (unsigned long long)d->hard.term);
	if (m->term < d->hard.term)
		return;
	CHECK(s, m->type != RAFT_MSG_VOTE_RESP || (m->flags & RAFT_MSG_REJECT) ||
	      d->hard.vote == m->to,
	      "server %llu grants its vote to %llu, stored vote %llu",
	      (unsigned long long)sv->id, (unsigned long long)m->to,
	      (unsigned long long)d->hard.vote);
	CHECK(s, m->type != RAFT_MSG_APPEND_RESP || (m->flags & RAFT_MSG_REJECT) ||
	      m->index <= d->snap.index + d->nents,
	      "server %llu acknowledges %llu, stored up to %llu",
	      (unsigned long long)sv->id, (unsigned long long)m->index,
	      (unsigned long long)(d->snap.index + d->nents));
}

static void check_leader(struct sim *s, struct sim_server *sv)
{
	uint64_t term = sv->r.hard.term;

	CHECK(s, term < SIM_TERM_MAX, "sim term limit");
	CHECK(s, s->leader_of[term] == 0 || s->leader_of[term] == sv->id,
	      "election safety: %llu and %llu both lead term %llu",
	      (unsigned long long)s->leader_of[term],
	      (unsigned long long)sv->id, (unsigned long long)term);
	s->leader_of[term] = sv->id;
	s->st.elections++;
	sim_trace(s, "server %llu leads term %llu (last %llu)", (unsigned long long)sv->id,
	      (unsigned long long)term, (unsigned long long)sv->r.log.last);
	CHECK(s, sv->r.log.last >= s->gcommit,
	      "leader completeness: leader %llu of term %llu ends at %llu, %llu committed",
	      (unsigned long long)sv->id, (unsigned long long)term,
	      (unsigned long long)sv->r.log.last, (unsigned long long)s->gcommit);
	for (uint64_t i = sv->r.log.first; i <= s->gcommit; i++) {
		const struct raft_entry *e = raft_entry_at(&sv->r, i);

		CHECK(s, e && e->term == s->committed[i].term &&
		      sim_entry_hash(e) == s->committed[i].hash,
		      "leader completeness: leader %llu of term %llu lacks committed entry %llu",
		      (unsigned long long)sv->id, (unsigned long long)term,
		      (unsigned long long)i);
	}
}

static void check_commit(struct sim *s, struct sim_server *sv)
{
	CHECK(s, sv->r.commit >= sv->seen_commit && sv->r.commit <= sv->r.log.last,
	      "server %llu: commit %llu (was %llu, last %llu)",
	      (unsigned long long)sv->id, (unsigned long long)sv->r.commit,
	      (unsigned long long)sv->seen_commit, (unsigned long long)sv->r.log.last);
	for (uint64_t i = sv->seen_commit + 1; i <= sv->r.commit; i++) {
		const struct raft_entry *e = raft_entry_at(&sv->r, i);
		struct sim_rec *c = &s->committed[i];

		CHECK(s, i < SIM_INDEX_MAX, "sim index limit");
		if (!e)
			continue; /* inside a snapshot just received */
		if (!c->set) {
			*c = (struct sim_rec){ true, e->term, sim_entry_hash(e), 0 };
			s->st.commits++;
		}
		CHECK(s, c->term == e->term && c->hash == sim_entry_hash(e),
		      "server %llu commits (%llu, term %llu) but (%llu, term %llu) was committed",
		      (unsigned long long)sv->id, (unsigned long long)i,
		      (unsigned long long)e->term, (unsigned long long)i,
		      (unsigned long long)c->term);
	}
	if (sv->r.commit > s->gcommit)
		s->gcommit = sv->r.commit;
	sv->seen_commit = sv->r.commit;
}

static void clear_dead(struct sim *s, const struct sim_server *sv)
{
	if (s->dead_id && sv->r.commit >= sv->r.conf_index &&
	    !raft_conf_find(&sv->r.conf, s->dead_id))
		s->dead_id = 0;
}

void sim_after_event(struct sim *s, unsigned slot)
{
	struct sim_server *sv = &s->srv[slot];

	if (!sv->up)
		return;
	if (sv->r.role == RAFT_LEADER &&
	    (sv->last_role != RAFT_LEADER || sv->last_term != sv->r.hard.term))
		check_leader(s, sv);
	sv->last_role = sv->r.role;
	sv->last_term = sv->r.hard.term;
	check_commit(s, sv);
	if (sv->r.role == RAFT_LEADER)
		clear_dead(s, sv);
}

