/*
 * Random crash runs of the log store (part of test_mesh_logstore): many
 * random sequences of hard-state changes, appends, truncations,
 * snapshots, compactions and syncs on small rings (4-16 slots, so the
 * log laps many times), with crashes at random points (ramdev_crash: a
 * random subset of the unflushed writes, some torn) and devices that die
 * at a random call, during an operation or during the reopen. After each
 * crash the reopened store must hold exactly one of: the state of the
 * last sync, or the state one of the later operations led to (a prefix
 * of them, in order). Never less than synced, never an entry a
 * truncation removed.
 *
 * The model keeps entries as (term, type, length, digest of the bytes);
 * the bytes themselves follow from a per-append salt, so every append,
 * even of an index seen before, has bytes of its own.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "common/crc32.h"
#include "common/xorshift.h"
#include "ls_ramdev.h"
#include "ls_testlib.h"

#define SEQS       5000
#define OPS_MAX    120
#define SLOTS_MAX  16
#define MIDX       32          /* model entries by index % MIDX */
#define HIST_MAX   64
#define SNAP_MAX   1500u

struct ment {
	uint64_t term;
	uint32_t len, digest;
	uint8_t type;
};

struct mstate {
	uint64_t term, vote;
	uint64_t first, last, last_term, prev_term;
	struct ment e[MIDX];
	bool has_snap;
	uint64_t snap_index, snap_term;
	uint32_t snap_len, snap_digest, conf_len, conf_digest;
};

struct run {
	struct ramdev d;
	struct ls_dev dev;
	struct ls ls;
	uint64_t slots, rng, salt;
	struct mstate m;               /* what the operations so far lead to */
	struct mstate hist[HIST_MAX];  /* [0] synced, then one per later op */
	int nhist;
	enum { OP_SKIP, OP_PUSH, OP_DURABLE } kind;  /* what the op does */
	unsigned crashes, at_synced, at_all, in_between;
};

static uint64_t rnd(struct run *r, uint64_t n)
{
	return xorshift64(&r->rng) % n;
}

static uint32_t digest_of(uint64_t salt, uint32_t len)
{
	uint8_t buf[SNAP_MAX > LS_ENTRY_MAX ? SNAP_MAX : LS_ENTRY_MAX];

	lt_fill(buf, len, salt);
	return crc32c(0, buf, len);
}

/* The state now is durable: only it may come back. */
static void synced(struct run *r)
{
	r->hist[0] = r->m;
	r->nhist = 1;
}

static void pushed(struct run *r)
{
	if (r->nhist == HIST_MAX) {
		assert_int_equal(ls_sync(&r->ls), 0);
		synced(r);
		return;
	}
	r->hist[r->nhist++] = r->m;
}

static uint64_t mterm(const struct mstate *m, uint64_t index)
{
	if (index == m->first - 1)
		return m->prev_term;
	return m->e[index % MIDX].term;
}

/* The store's state as a model state (entries as digests). */
static void observe(struct run *r, struct mstate *o)
{
	uint8_t buf[SNAP_MAX];
	const struct ls_snap_meta *s = ls_snapshot(&r->ls);
	struct ls_info info;
	struct ls_entry e;

	memset(o, 0, sizeof(*o));
	ls_info(&r->ls, &info);
	o->term = info.term;
	o->vote = info.voted_for;
	o->first = info.first_index;
	o->last = info.last_index;
	o->last_term = info.last_term;
	assert_true(o->last + 1 - o->first <= r->slots);
	for (uint64_t i = o->first; i <= o->last; i++) {
		assert_int_equal(ls_read(&r->ls, i, &e, buf, LS_ENTRY_MAX), 0);
		o->e[i % MIDX] = (struct ment){ .term = e.term, .len = e.len,
			.digest = crc32c(0, buf, e.len), .type = e.type };
	}
	o->has_snap = s != NULL;
	if (!s)
		return;
	o->snap_index = s->index;
	o->snap_term = s->term;
	o->snap_len = s->len;
	o->conf_len = s->conf_len;
	o->conf_digest = crc32c(0, s->conf, s->conf_len);
	assert_int_equal(ls_snap_read(&r->ls, 0, buf, s->len), 0);
	o->snap_digest = crc32c(0, buf, s->len);
}

static bool same_entries(const struct mstate *a, const struct mstate *b)
{
	for (uint64_t i = a->first; i <= a->last; i++) {
		const struct ment *x = &a->e[i % MIDX], *y = &b->e[i % MIDX];
		if (x->term != y->term || x->len != y->len ||
		    x->digest != y->digest || x->type != y->type)
			return false;
	}
	return true;
}

static bool same_snap(const struct mstate *a, const struct mstate *b)
{
	if (a->has_snap != b->has_snap)
		return false;
	return !a->has_snap ||
	       (a->snap_index == b->snap_index && a->snap_term == b->snap_term &&
		a->snap_len == b->snap_len && a->snap_digest == b->snap_digest &&
		a->conf_len == b->conf_len && a->conf_digest == b->conf_digest);
}

static bool same_state(const struct mstate *a, const struct mstate *b)
{
	return a->term == b->term && a->vote == b->vote &&
	       a->first == b->first && a->last == b->last &&
	       a->last_term == b->last_term && same_snap(a, b) &&
	       same_entries(a, b);
}

/* Reopen after a crash; one time in four the device dies during the
 * reopen too (its metadata write), and a second crash follows. */
static void reopen(struct run *r, int seq)
{
	int err;

	ramdev_crash(&r->d);
	if (rnd(r, 4) == 0) {
		r->d.fail_at = r->d.calls + (long)rnd(r, 6);
		err = ls_open(&r->ls, &r->dev);
		if (err == -AION_EIO)
			ramdev_crash(&r->d);
		else if (err)
			fail_msg("seq %d: reopen: %s", seq, aion_error_name(err));
		else
			return;
	}
	r->d.fail_at = -1;
	err = ls_open(&r->ls, &r->dev);
	if (err)
		fail_msg("seq %d: reopen: %s", seq, aion_error_name(err));
}

/* Crash, reopen, and find the recovered state among the allowed ones. */
static void crash_check(struct run *r, int seq)
{
	struct mstate got;
	int k;

	reopen(r, seq);
	observe(r, &got);
	for (k = r->nhist - 1; k >= 0; k--)
		if (same_state(&got, &r->hist[k]))
			break;
	if (k < 0)
		fail_msg("seq %d: recovered term %llu log %llu..%llu snap %llu: "
			 "no allowed state (%d)", seq,
			 (unsigned long long)got.term, (unsigned long long)got.first,
			 (unsigned long long)got.last,
			 (unsigned long long)got.snap_index, r->nhist);
	r->crashes++;
	if (r->nhist > 1)
		k == 0 ? r->at_synced++ : k == r->nhist - 1 ? r->at_all++ : r->in_between++;
	r->m = r->hist[k];
	synced(r);   /* ls_open synced what it recovered */
}

static int op_hard_state(struct run *r)
{
	r->m.term += rnd(r, 2);
	r->m.vote = rnd(r, 4);
	return ls_set_hard_state(&r->ls, r->m.term, r->m.vote);
}

static int op_append(struct run *r)
{
	static const uint32_t big[] = { 0, 1, 463, 464, 465, 1023, 1024 };
	uint8_t payload[LS_ENTRY_MAX];
	struct mstate *m = &r->m;
	struct ls_entry e = { .index = m->last + 1, .type = (uint8_t)rnd(r, 256) };
	int err;

	e.term = m->last_term > m->term ? m->last_term : m->term;
	e.len = rnd(r, 3) ? (uint32_t)rnd(r, 120) : big[rnd(r, 7)];
	lt_fill(payload, e.len, ++r->salt);
	err = ls_append(&r->ls, &e, payload);
	if (m->last + 1 - m->first >= r->slots) {
		r->kind = OP_SKIP;
		assert_int_equal(err, -AION_ENOSPC);
		return 0;
	}
	m->last = e.index;
	m->last_term = e.term;
	m->e[e.index % MIDX] = (struct ment){ .term = e.term, .len = e.len,
		.digest = crc32c(0, payload, e.len), .type = e.type };
	return err;
}

/* A suffix above the snapshot goes; durable when it returns. */
static int op_truncate(struct run *r)
{
	struct mstate *m = &r->m;
	uint64_t low = m->first > m->snap_index + 1 ? m->first : m->snap_index + 1;
	uint64_t from;

	if (m->last < low) {
		r->kind = OP_SKIP;
		return 0;
	}
	from = low + rnd(r, m->last - low + 1);
	m->last = from - 1;
	m->last_term = mterm(m, from - 1);
	r->kind = OP_DURABLE;
	return ls_truncate(&r->ls, from);
}

static int snap_data(struct run *r, uint32_t len, uint64_t salt)
{
	uint8_t data[SNAP_MAX];
	uint32_t done = 0;

	lt_fill(data, len, salt);
	while (done < len) {
		uint32_t n = 1 + (uint32_t)rnd(r, len - done);
		int err = ls_snap_write(&r->ls, data + done, n);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

/* Where the next snapshot ends: at a logged entry, or (one in four)
 * beyond the log, as one installed from a leader. */
static void snap_point(struct run *r, struct ls_snap_meta *s)
{
	struct mstate *m = &r->m;

	if (m->last > m->snap_index && rnd(r, 4)) {
		s->index = m->snap_index + 1 + rnd(r, m->last - m->snap_index);
		s->term = mterm(m, s->index);
	} else {
		s->index = (m->last > m->snap_index ? m->last : m->snap_index) + 1 + rnd(r, 5);
		s->term = m->last_term + rnd(r, 2);
	}
}

/* Durable when ls_snap_commit returns. */
static int op_snapshot(struct run *r)
{
	struct mstate *m = &r->m;
	struct ls_snap_meta s = { .conf_len = (uint32_t)rnd(r, LS_CONF_MAX + 1) };
	uint64_t salt = ++r->salt;
	uint32_t len = (uint32_t)rnd(r, SNAP_MAX + 1);
	int err;

	snap_point(r, &s);
	lt_fill(s.conf, s.conf_len, salt + 1);
	r->kind = OP_SKIP;   /* until the commit */
	err = ls_snap_begin(&r->ls, &s);
	if (!err)
		err = snap_data(r, len, salt);
	if (err)
		return err;
	m->has_snap = true;
	m->snap_index = s.index;
	m->snap_term = s.term;
	m->snap_len = len;
	m->snap_digest = digest_of(salt, len);
	m->conf_len = s.conf_len;
	m->conf_digest = crc32c(0, s.conf, s.conf_len);
	r->kind = OP_DURABLE;
	return ls_snap_commit(&r->ls);
}

/* Up to a point the snapshot covers; the whole log when the snapshot
 * is not an entry of it (durable at once then). */
static int op_compact(struct run *r)
{
	struct mstate *m = &r->m;
	uint64_t hi = m->last < m->snap_index ? m->last : m->snap_index;
	uint64_t upto = m->snap_index;

	if (!m->has_snap) {
		r->kind = OP_SKIP;
		return 0;
	}
	if (hi + 1 >= m->first && rnd(r, 3))
		upto = m->first - 1 + rnd(r, hi + 2 - m->first);
	if (upto < m->first) {
		r->kind = OP_SKIP;
	} else if (upto == m->snap_index &&
		   (upto > m->last || mterm(m, upto) != m->snap_term)) {
		m->first = upto + 1;
		m->last = upto;
		m->last_term = m->prev_term = m->snap_term;
		r->kind = OP_DURABLE;
	} else {
		m->prev_term = mterm(m, upto);
		m->first = upto + 1;
	}
	return ls_compact(&r->ls, upto);
}

static int op_sync(struct run *r)
{
	r->kind = OP_DURABLE;
	return ls_sync(&r->ls);
}

/* One random operation, its model effect, and what may come back. */
static void step(struct run *r, int seq)
{
	static int (*const ops[])(struct run *) = {
		op_append, op_append, op_append, op_append, op_append, op_append,
		op_hard_state, op_hard_state, op_truncate, op_snapshot,
		op_compact, op_compact, op_sync, op_sync,
	};
	int err;

	r->kind = OP_PUSH;
	err = ops[rnd(r, sizeof(ops) / sizeof(ops[0]))](r);
	if (err == -AION_EIO) {
		if (r->kind != OP_SKIP)
			pushed(r);
		crash_check(r, seq);
		return;
	}
	if (err)
		fail_msg("seq %d: %s", seq, aion_error_name(err));
	if (r->kind == OP_DURABLE)
		synced(r);
	else if (r->kind == OP_PUSH)
		pushed(r);
}

static void run_seq(struct run *r, int seq)
{
	struct ls_format_params p = lt_params(SNAP_MAX);
	int nops;

	r->slots = 4 + rnd(r, SLOTS_MAX - 3);
	ramdev_init(&r->d, lt_blocks(SNAP_MAX, r->slots), r->rng);
	r->dev = ramdev_dev(&r->d);
	p.nonce = 1 + rnd(r, 1000000);
	assert_int_equal(ls_format(&r->ls, &r->dev, &p), 0);
	memset(&r->m, 0, sizeof(r->m));
	r->m.first = 1;
	synced(r);
	nops = 20 + (int)rnd(r, OPS_MAX);
	for (int i = 0; i < nops; i++) {
		if (rnd(r, 30) == 0)
			r->d.fail_at = r->d.calls + (long)rnd(r, 8);
		step(r, seq);
		if (rnd(r, 25) == 0)
			crash_check(r, seq);
	}
	crash_check(r, seq);
	ramdev_free(&r->d);
}

void test_crash_random(void **state)
{
	static struct run r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.rng = 0x10c5a0e;
	for (int seq = 0; seq < SEQS; seq++)
		run_seq(&r, seq);
	printf("# %d sequences, %u crashes; with unsynced operations pending, "
	       "recovered: the synced state %u, all of them %u, a prefix between %u\n",
	       SEQS, r.crashes, r.at_synced, r.at_all, r.in_between);
	/* The crashes really cut batches at every point. */
	assert_true(r.at_synced > 100 && r.at_all > 100 && r.in_between > 100);
}
