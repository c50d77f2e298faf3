/*
 * The deterministic Raft cluster (raft_sim.h): servers with disks and a
 * state machine, the ready cycle, the network, crashes. The safety checks
 * it calls are in raft_sim_check.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/xorshift.h"
#include "raft_sim.h"

#define SNAP_HDR 16u

uint64_t sim_rand(struct sim *s, uint64_t n)
{
	return n ? xorshift64(&s->rng) % n : 0;
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->failed = true;
	if (s->trace)
		fprintf(stderr, "t=%llu VIOLATION: %s\n",
			(unsigned long long)s->now, s->why);
	if (s->bail)
		longjmp(*s->bail, 1);
	fail_msg("raft sim seed %llu: %s", (unsigned long long)s->seed, s->why);
}

void sim_trace(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->trace)
		return;
	fprintf(stderr, "t=%llu ", (unsigned long long)s->now);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sim_slot_of(const struct sim *s, uint64_t id)
{
	for (unsigned i = 0; i < s->nslots; i++)
		if (s->srv[i].used && s->srv[i].id == id)
			return (int)i;
	return -1;
}

/* ---- the state machine and its snapshot ---- */

static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Snapshot bytes: index, hash, then padding whose length depends on the
 * index only (up to two chunks and a bit), so transfers take several
 * chunks and equal states give equal bytes. */
static uint32_t snap_encode(uint8_t *buf, uint64_t index, uint64_t hash)
{
	uint32_t len = SNAP_HDR + (uint32_t)(index * 131u % (2 * RAFT_SNAP_CHUNK + 200));

	put64(buf, index);
	put64(buf + 8, hash);
	for (uint32_t i = SNAP_HDR; i < len; i++)
		buf[i] = (uint8_t)(index + i);
	return len;
}

static void sm_load(struct sim *s, struct sim_server *sv, uint64_t index,
		    const uint8_t *data, uint32_t len)
{
	if (index == 0 && len == 0) {
		sv->sm_index = 0;
		sv->sm_hash = 0;
		return;
	}
	CHECK(s, len >= SNAP_HDR && get64(data) == index,
	      "server %llu: snapshot bytes do not match its index %llu",
	      (unsigned long long)sv->id, (unsigned long long)index);
	sv->sm_index = index;
	sv->sm_hash = get64(data + 8);
	sim_check_snapshot(s, sv);
}

static void sm_apply(struct sim *s, struct sim_server *sv,
		     const struct raft_entry *e)
{
	uint64_t h;

	CHECK(s, e && e->index == sv->sm_index + 1,
	      "server %llu applies out of order at %llu",
	      (unsigned long long)sv->id, (unsigned long long)sv->sm_index + 1);
	h = sim_entry_hash(e);
	sv->sm_hash = fnv64(sv->sm_hash ^ e->index, &h, sizeof(h));
	sv->sm_index = e->index;
	sim_check_applied(s, sv, e);
}

/* ---- servers: boot, disk, ready cycle ---- */

static void boot(struct sim *s, unsigned slot)
{
	struct sim_server *sv = &s->srv[slot];
	struct sim_disk *d = &sv->disk;
	struct raft_init in = {
		.id = sv->id, .seed = xorshift64(&s->rng) | 1, .now_ms = s->now,
		.log = sv->log, .log_cap = SIM_LOG_CAP,
		.snap_buf = sv->snap_buf, .snap_cap = SIM_SNAP_CAP,
		.hard = d->hard, .snap = d->snap,
		.snap_data = d->snap_len ? d->snap_data : NULL,
		.snap_len = d->snap_len, .ents = d->ents, .nents = d->nents,
		.election_min_ms = s->election_min_ms,
		.election_max_ms = s->election_max_ms,
		.quiet_ms = s->quiet_ms,
	};
	int err = raft_init(&sv->r, &in);

	CHECK(s, err == 0, "server %llu: raft_init: %s",
	      (unsigned long long)sv->id, aion_error_name(err));
	sm_load(s, sv, d->snap.index, d->snap_data, d->snap_len);
	sv->up = true;
	sv->seen_commit = sv->r.commit;
	sv->last_role = RAFT_FOLLOWER;
	sv->last_term = sv->r.hard.term;
}

static void new_server(struct sim *s, unsigned slot, uint64_t id,
		       const struct raft_conf *conf)
{
	struct sim_server *sv = &s->srv[slot];

	sv->used = true;
	sv->id = id;
	memset(&sv->disk.hard, 0, sizeof(sv->disk.hard));
	memset(&sv->disk.snap, 0, sizeof(sv->disk.snap));
	sv->disk.snap.conf = *conf;
	sv->disk.snap_len = 0;
	sv->disk.nents = 0;
	boot(s, slot);
}

void sim_init(struct sim *s, unsigned n, unsigned nslots, uint64_t seed)
{
	sim_init_timing(s, n, nslots, seed, 0, 0, 0);
}

void sim_init_timing(struct sim *s, unsigned n, unsigned nslots, uint64_t seed, uint32_t quiet,
		     uint32_t lo, uint32_t hi)
{
	struct raft_conf conf = { .n = (uint8_t)n };
	uint32_t gen = s->gen + 1; /* empties the log-matching table */

	memset(s, 0, offsetof(struct sim, gen));
	for (unsigned i = 0; i < SIM_SLOTS; i++)
		s->srv[i].used = s->srv[i].up = false;
	s->gen = gen;
	s->seed = seed;
	s->rng = seed * 0x9e3779b97f4a7c15ull | 1;
	s->nslots = nslots;
	s->next_id = 100;
	s->next_value = 1;
	s->delay_max = 1;
	s->sync_pct = 100;
	s->election_min_ms = lo;
	s->election_max_ms = hi;
	s->quiet_ms = quiet;
	for (unsigned i = 0; i < n; i++)
		conf.s[i] = (struct raft_server){ i + 1, (uint16_t)(i + 1), true };
	for (unsigned i = 0; i < n; i++)
		new_server(s, i, i + 1, &conf);
}

static void persist_entries(struct sim *s, struct sim_server *sv,
			    const struct raft_ready *rd)
{
	struct sim_disk *d = &sv->disk;

	if (rd->truncate_from && rd->truncate_from <= d->snap.index + d->nents)
		d->nents = (uint32_t)(rd->truncate_from - d->snap.index - 1);
	for (uint64_t i = rd->persist_from; i <= rd->persist_to; i++) {
		const struct raft_entry *e = raft_entry_at(&sv->r, i);

		CHECK(s, e && i == d->snap.index + d->nents + 1 &&
		      d->nents < SIM_LOG_CAP,
		      "server %llu: ready names entry %llu after stored %llu",
		      (unsigned long long)sv->id, (unsigned long long)i,
		      (unsigned long long)(d->snap.index + d->nents));
		d->ents[d->nents++] = *e;
	}
}

static void persist_hard(struct sim *s, struct sim_server *sv,
			 const struct raft_hard *h)
{
	struct raft_hard *old = &sv->disk.hard;

	CHECK(s, h->term >= old->term, "server %llu: term went back %llu -> %llu",
	      (unsigned long long)sv->id, (unsigned long long)old->term,
	      (unsigned long long)h->term);
	CHECK(s, h->term > old->term || old->vote == 0 || h->vote == old->vote,
	      "server %llu voted twice in term %llu (%llu, then %llu)",
	      (unsigned long long)sv->id, (unsigned long long)h->term,
	      (unsigned long long)old->vote, (unsigned long long)h->vote);
	*old = *h;
}

static void persist(struct sim *s, struct sim_server *sv,
		    const struct raft_ready *rd)
{
	struct sim_disk *d = &sv->disk;

	if (rd->snap) {
		CHECK(s, rd->snap_len <= SIM_SNAP_CAP, "snapshot too large");
		d->snap = rd->snap_meta;
		memcpy(d->snap_data, rd->snap_data, rd->snap_len);
		d->snap_len = rd->snap_len;
		d->nents = 0;
	}
	persist_entries(s, sv, rd);
	if (rd->hard_changed)
		persist_hard(s, sv, &rd->hard);
}

static void enqueue(struct sim *s, unsigned from, uint64_t to,
		    const uint8_t *b, int len)
{
	struct sim_packet *p;

	if (s->nnet >= SIM_NET_MAX) {
		s->st.dropped++;
		return;
	}
	p = &s->net[s->nnet++];
	p->at = s->now + 1 + sim_rand(s, s->delay_max);
	p->to = to;
	p->from_slot = (uint8_t)from;
	p->len = (uint16_t)len;
	memcpy(p->bytes, b, (size_t)len);
}

static void send(struct sim *s, unsigned slot, const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->nmsgs; i++) {
		const struct raft_msg *m = &rd->msgs[i];
		uint8_t buf[RAFT_MSG_MAX];
		int len = raft_msg_encode(m, buf, sizeof(buf));

		sim_check_durable(s, &s->srv[slot], m);
		CHECK(s, len > 0, "server %llu: %s does not encode: %s",
		      (unsigned long long)s->srv[slot].id,
		      raft_msg_type_name(m->type), aion_error_name(len));
		sim_trace(s, "%llu -> %llu %s term=%llu idx=%llu lt=%llu commit=%llu n=%u fl=%u",
		      (unsigned long long)m->from, (unsigned long long)m->to,
		      raft_msg_type_name(m->type), (unsigned long long)m->term,
		      (unsigned long long)m->index, (unsigned long long)m->log_term,
		      (unsigned long long)m->commit, m->nents, m->flags);
		if (sim_rand(s, 100) < s->loss_pct) {
			s->st.dropped++;
			continue;
		}
		enqueue(s, slot, m->to, buf, len);
		if (sim_rand(s, 100) < s->dup_pct)
			enqueue(s, slot, m->to, buf, len);
	}
}

static void apply(struct sim *s, struct sim_server *sv,
		  const struct raft_ready *rd)
{
	if (rd->snap) {
		sim_trace(s, "server %llu installs snapshot at %llu",
		      (unsigned long long)sv->id,
		      (unsigned long long)rd->snap_meta.index);
		sm_load(s, sv, rd->snap_meta.index, rd->snap_data, rd->snap_len);
		s->st.snap_installs++;
	}
	for (uint64_t i = rd->apply_from; i <= rd->apply_to; i++)
		sm_apply(s, sv, raft_entry_at(&sv->r, i));
	for (size_t i = 0; i < rd->nreads; i++)
		sim_check_read(s, &rd->reads[i]);
}

void sim_sync(struct sim *s, unsigned slot)
{
	struct sim_server *sv = &s->srv[slot];
	struct raft_ready rd;

	if (!sv->up || !raft_has_ready(&sv->r))
		return;
	raft_ready(&sv->r, &rd);
	persist(s, sv, &rd);
	sim_check_matching(s, sv, &rd);
	if (sim_rand(s, 1000) < s->io_crash_pct) {
		sim_trace(s, "server %llu crashes after its sync", (unsigned long long)sv->id);
		sim_crash(s, slot);
		return;
	}
	send(s, slot, &rd);
	apply(s, sv, &rd);
	raft_advance(&sv->r, &rd);
	if (rd.snap || rd.truncate_from || ++sv->syncs % 8 == 0)
		sim_check_disk(s, sv);
	sim_after_event(s, slot);
}

void sim_sync_all(struct sim *s)
{
	for (unsigned i = 0; i < s->nslots; i++)
		sim_sync(s, i);
}

/* ---- time and network ---- */

void sim_tick_all(struct sim *s)
{
	for (unsigned i = 0; i < s->nslots; i++) {
		if (!s->srv[i].up)
			continue;
		raft_tick(&s->srv[i].r, s->now);
		sim_after_event(s, i);
	}
}

static bool reachable(const struct sim *s, unsigned a, unsigned b)
{
	return !s->partitioned || s->group[a] == s->group[b];
}

static void deliver(struct sim *s, const struct sim_packet *p)
{
	int slot = sim_slot_of(s, p->to);
	struct raft_msg m;
	int err;

	if (slot < 0 || !s->srv[slot].up || !reachable(s, p->from_slot, (unsigned)slot)) {
		s->st.dropped++;
		return;
	}
	err = raft_msg_decode(p->bytes, p->len, &m);
	CHECK(s, err == 0, "decode: %s", aion_error_name(err));
	sim_trace(s, "deliver %llu -> %llu %s term=%llu idx=%llu", (unsigned long long)m.from,
	      (unsigned long long)m.to, raft_msg_type_name(m.type),
	      (unsigned long long)m.term, (unsigned long long)m.index);
	err = raft_step(&s->srv[slot].r, &m);
	CHECK(s, err == 0, "raft_step: %s", aion_error_name(err));
	s->st.delivered++;
	s->st.quiet_msgs += (m.flags & RAFT_MSG_QUIET) != 0;
	sim_after_event(s, (unsigned)slot);
	if (sim_rand(s, 100) < s->sync_pct)
		sim_sync(s, (unsigned)slot);
}

void sim_deliver_due(struct sim *s)
{
	unsigned i = 0;

	while (i < s->nnet) {
		struct sim_packet p;

		if (s->net[i].at > s->now) {
			i++;
			continue;
		}
		p = s->net[i];
		s->net[i] = s->net[--s->nnet];
		deliver(s, &p);
	}
}

/* One round: time moves on by ms, every server ticks, due messages
 * arrive, then each server syncs (all of them, or each with sync_pct). */
void sim_step_ms(struct sim *s, uint64_t ms, bool sync_all)
{
	s->now += ms;
	sim_tick_all(s);
	sim_deliver_due(s);
	for (unsigned i = 0; i < s->nslots; i++)
		if (sync_all || sim_rand(s, 100) < s->sync_pct)
			sim_sync(s, i);
}

void sim_partition(struct sim *s, const uint8_t *group)
{
	memcpy(s->group, group, sizeof(s->group));
	s->partitioned = true;
	sim_trace(s, "partition %u%u%u%u%u%u%u", group[0], group[1], group[2],
	      group[3], group[4], group[5], group[6]);
}

void sim_heal(struct sim *s)
{
	s->partitioned = false;
	sim_trace(s, "heal");
}

/* ---- servers come and go ---- */

void sim_crash(struct sim *s, unsigned slot)
{
	if (!s->srv[slot].up)
		return;
	s->srv[slot].up = false;
	s->st.crashes++;
	sim_trace(s, "crash %llu", (unsigned long long)s->srv[slot].id);
	for (unsigned i = 0; s->quiet_ms && i < s->nslots; i++)
		if (s->srv[i].up)
			raft_leader_lost(&s->srv[i].r, s->srv[slot].id);
}

void sim_restart(struct sim *s, unsigned slot)
{
	if (!s->srv[slot].used || s->srv[slot].up)
		return;
	sim_trace(s, "restart %llu", (unsigned long long)s->srv[slot].id);
	boot(s, slot);
}

/* The disk is lost: the server comes back empty under a new id (its old
 * id must never vote again). */
void sim_wipe(struct sim *s, unsigned slot)
{
	struct raft_conf none = { 0 };
	uint64_t id = s->next_id++;

	sim_trace(s, "wipe %llu, back as %llu", (unsigned long long)s->srv[slot].id,
	      (unsigned long long)id);
	s->srv[slot].up = false;
	s->st.wipes++;
	new_server(s, slot, id, &none);
}

int sim_add_server(struct sim *s)
{
	struct raft_conf none = { 0 };

	for (unsigned i = 0; i < s->nslots; i++) {
		if (s->srv[i].used)
			continue;
		new_server(s, i, s->next_id++, &none);
		sim_trace(s, "new server %llu", (unsigned long long)s->srv[i].id);
		return (int)i;
	}
	return -1;
}

/* The up leader of the highest term, or -1. */
int sim_leader(const struct sim *s)
{
	int best = -1;

	for (unsigned i = 0; i < s->nslots; i++) {
		const struct sim_server *sv = &s->srv[i];

		if (sv->up && sv->r.role == RAFT_LEADER &&
		    (best < 0 || sv->r.hard.term > s->srv[best].r.hard.term))
			best = (int)i;
	}
	return best;
}

/* ---- clients ---- */

/* A unique value, padded in one proposal of four to a random size and
 * in one of four to a full entry: batches then hold from one to dozens of
 * entries, and a full entry travels alone, so acknowledgements of older
 * entries can arrive before those of a new leader's NOOP. */
int sim_propose(struct sim *s, unsigned slot, uint64_t *index)
{
	uint8_t v[RAFT_ENTRY_MAX];
	size_t len = 8;
	int err;

	put64(v, s->next_value++);
	switch (sim_rand(s, 4)) {
	case 0:
		len += (size_t)sim_rand(s, RAFT_ENTRY_MAX - 7);
		break;
	case 1:
		len = RAFT_ENTRY_MAX;
		break;
	}
	memset(v + 8, (int)v[7], len - 8);
	err = raft_propose(&s->srv[slot].r, RAFT_ENTRY_NORMAL, v, len, index);
	if (err == 0) {
		s->st.proposals++;
		sim_trace(s, "propose at %llu on %llu", (unsigned long long)*index,
		      (unsigned long long)s->srv[slot].id);
	}
	sim_after_event(s, slot);
	return err;
}

int sim_read(struct sim *s, unsigned slot)
{
	int err;

	if (s->nreads >= SIM_READS_MAX)
		return -AION_EBUSY;
	s->read_floor[s->nreads] = s->gcommit;
	err = raft_read_index(&s->srv[slot].r, s->nreads);
	if (err == 0)
		s->nreads++;
	sim_after_event(s, slot);
	return err;
}

/* Snapshot the state machine at its applied index; the disk keeps the
 * bytes that raft then sends. Durable at once, like the log store's
 * snapshot write. */
int sim_compact(struct sim *s, unsigned slot)
{
	struct sim_server *sv = &s->srv[slot];
	struct sim_disk *d = &sv->disk;
	uint32_t len, drop;
	int err;

	if (!sv->up || sv->sm_index <= sv->r.snap.index || sv->r.snap_pending)
		return -AION_EINVAL;
	len = snap_encode(d->snap_data, sv->sm_index, sv->sm_hash);
	err = raft_compact(&sv->r, sv->sm_index, d->snap_data, len);
	CHECK(s, err == 0, "raft_compact: %s", aion_error_name(err));
	drop = (uint32_t)(sv->r.snap.index - d->snap.index);
	CHECK(s, drop <= d->nents, "compaction beyond the stored log");
	memmove(d->ents, d->ents + drop, (d->nents - drop) * sizeof(d->ents[0]));
	d->nents -= drop;
	d->snap = sv->r.snap;
	d->snap_len = len;
	s->st.compactions++;
	sim_trace(s, "compact %llu at %llu", (unsigned long long)sv->id,
	      (unsigned long long)sv->r.snap.index);
	return 0;
}
