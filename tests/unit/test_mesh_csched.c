/*
 * Host tests for the cluster scheduler (mesh/csched_*.c): the state and
 * load codecs against malformed input, and the placement policy. Who
 * decides is Raft's business now (tests/unit/test_raft_sim.c).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "mesh/csched.h"


/* ---- helpers ---- */

static struct csched_view view_of(uint16_t self, const uint16_t *nodes, unsigned n)
{
	struct csched_view v = { .self = self, .nalive = n };

	for (unsigned i = 0; i < n; i++)
		v.alive[i] = nodes[i];
	return v;
}

static unsigned ninst(const struct csched_job *j)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++)
		n += j->inst[i].node != 0;
	return n;
}

static bool job_on(const struct csched_job *j, uint16_t node)
{
	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++)
		if (j->inst[i].node == node)
			return true;
	return false;
}

/* Instances compacted, within replicas, on distinct nodes. */
static void assert_job_sane(const struct csched_job *j)
{
	unsigned n = ninst(j);

	assert_true(n <= j->replicas);
	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++) {
		assert_int_equal(j->inst[i].node != 0, i < n);
		for (unsigned k = 0; k < i && i < n; k++)
			assert_int_not_equal(j->inst[k].node, j->inst[i].node);
	}
}

/* A state with every kind of job, placed by hand. */
static void sample_state(struct csched_state *s)
{
	static const uint16_t web_allowed[] = { 3, 1 };

	*s = (struct csched_state){ .term = 7, .version = 42 };
	assert_int_equal(csched_job_add(s, "web", 2, CSCHED_SPREAD, web_allowed, 2), 0);
	assert_int_equal(csched_job_add(s, "db", 3, CSCHED_REPLICATED, NULL, 0), 0);
	assert_int_equal(csched_job_add(s, "cron", 1, 0, NULL, 0), 0);
	s->job[0].inst[0] = (struct csched_inst){ 3, CSCHED_ROLE_PLAIN };
	s->job[0].inst[1] = (struct csched_inst){ 1, CSCHED_ROLE_PLAIN };
	s->job[1].epoch = 0x01020304;
	s->job[1].inst[0] = (struct csched_inst){ 0x1234, CSCHED_ROLE_PRIMARY };
	s->job[1].inst[1] = (struct csched_inst){ 4, CSCHED_ROLE_BACKUP };
}

/* ---- state codec ---- */

static void test_state_roundtrip(void **unused)
{
	struct csched_state s, d;
	uint8_t buf[CSCHED_STATE_LEN_MAX], again[CSCHED_STATE_LEN_MAX];
	int len;

	(void)unused;
	sample_state(&s);
	len = csched_state_encode(&s, buf, sizeof(buf));
	assert_int_equal(len, 9 + 3 * 39);
	assert_int_equal(buf[0], 7);            /* little-endian term */
	assert_int_equal(buf[4], 42);
	assert_int_equal(csched_state_decode(buf, (size_t)len, &d), 0);
	assert_int_equal(d.term, 7);
	assert_int_equal(d.version, 42);
	assert_int_equal(d.njobs, 3);
	assert_string_equal(d.job[1].name, "db");
	assert_int_equal(d.job[1].epoch, 0x01020304);
	assert_int_equal(d.job[1].inst[0].node, 0x1234);
	assert_int_equal(d.job[1].inst[1].role, CSCHED_ROLE_BACKUP);
	assert_int_equal(d.job[0].allowed[0], 3);
	assert_int_equal(d.job[0].allowed[1], 1);
	assert_int_equal(d.job[0].allowed[2], 0);
	assert_int_equal(csched_state_encode(&d, again, sizeof(again)), len);
	assert_memory_equal(buf, again, (size_t)len);
	assert_int_equal(csched_state_encode(&s, buf, (size_t)len - 1), -AION_ERANGE);
	for (int cut = 0; cut < len; cut++)
		assert_int_equal(csched_state_decode(buf, (size_t)cut, &d), -AION_EMALFORMED);
}

/* Offsets in the encoding of sample_state's job k. */
#define JOB(k)          (9 + 39 * (k))
#define NAME(k)         JOB(k)
#define REPLICAS(k)     (JOB(k) + 16)
#define FLAGS(k)        (JOB(k) + 17)
#define ALLOWED(k, i)   (JOB(k) + 18 + 2 * (i))
#define INST(k, i)      (JOB(k) + 30 + 3 * (i))

struct corruption {
	const char *what;
	int off;
	uint8_t val;    /* "0xFFFF" cases: both bytes of the u16 */
};

static void test_state_malformed(void **unused)
{
	static const struct corruption bad[] = {
		{ "njobs above max", 8, CSCHED_JOBS_MAX + 1 },
		{ "njobs above bytes", 8, 4 },
		{ "empty name", NAME(0), 0 },
		{ "space in name", NAME(0) + 1, ' ' },
		{ "control char in name", NAME(0) + 1, 0x7f },
		{ "bytes after NUL", NAME(0) + 10, 'x' },
		{ "duplicate name", NAME(2), 'w' },     /* "cron" -> "wron": fine */
		{ "replicas 0", REPLICAS(2), 0 },
		{ "replicas above max", REPLICAS(2), CSCHED_REPLICAS_MAX + 1 },
		{ "unknown flag", FLAGS(2), 0x04 },
		{ "replicated with one replica", FLAGS(2), CSCHED_REPLICATED },
		{ "allowed node 0xFFFF", ALLOWED(0, 1), 0xFF },
		{ "allowed repeated", ALLOWED(0, 1), 3 },
		{ "allowed after the end", ALLOWED(0, 3), 5 },
		{ "instance node 0xFFFF", INST(0, 0), 0xFF },
		{ "instance after an empty slot", INST(2, 1), 2 },
		{ "role unknown", INST(0, 0) + 2, 3 },
		{ "primary in a plain job", INST(0, 0) + 2, CSCHED_ROLE_PRIMARY },
		{ "backup as instance 0", INST(1, 0) + 2, CSCHED_ROLE_BACKUP },
		{ "spread job twice on a node", INST(0, 1), 3 },
		{ "role in an empty slot", INST(2, 2) + 2, 1 },
		{ "more instances than wanted", INST(2, 1), 5 },
	};
	struct csched_state s, d;
	uint8_t buf[CSCHED_STATE_LEN_MAX + 1], bent[CSCHED_STATE_LEN_MAX + 1];
	int len;

	(void)unused;
	sample_state(&s);
	len = csched_state_encode(&s, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(bent, buf, (size_t)len);
		bent[bad[i].off] = bad[i].val;
		if (strstr(bad[i].what, "0xFFFF"))
			bent[bad[i].off + 1] = bad[i].val;
		/* The one accepted case first shows the offsets are right. */
		if (!strcmp(bad[i].what, "duplicate name")) {
			assert_int_equal(csched_state_decode(bent, (size_t)len, &d), 0);
			memcpy(bent + NAME(2), "web", 4);
		}
		if (!strcmp(bad[i].what, "more instances than wanted"))
			bent[INST(2, 0)] = 6;
		printf("# %s\n", bad[i].what);
		assert_int_equal(csched_state_decode(bent, (size_t)len, &d), -AION_EMALFORMED);
	}
	buf[len] = 0;
	assert_int_equal(csched_state_decode(buf, (size_t)len + 1, &d), -AION_EMALFORMED);
	/* A 15-character name fits; 16 does not (no room for the NUL). */
	assert_int_equal(csched_job_add(&s, "abcdefghijklmno", 1, 0, NULL, 0), 0);
	assert_int_equal(csched_job_add(&s, "abcdefghijklmnop", 1, 0, NULL, 0), -AION_EINVAL);
	len = csched_state_encode(&s, buf, sizeof(buf));
	buf[NAME(3) + 15] = 'p';
	assert_int_equal(csched_state_decode(buf, (size_t)len, &d), -AION_EMALFORMED);
}

static uint64_t rng_state = 0x243F6A8885A308D3ull;

/* splitmix64: deterministic across runs. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Random bytes and bit flips of valid encodings: decoding either fails
 * cleanly or yields a state that encodes back to the very same bytes. */
static void test_codec_garbage(void **unused)
{
	struct csched_state s, d;
	uint8_t good[CSCHED_STATE_LEN_MAX], buf[CSCHED_STATE_LEN_MAX], again[CSCHED_STATE_LEN_MAX];
	int len, ok = 0;

	(void)unused;
	sample_state(&s);
	len = csched_state_encode(&s, good, sizeof(good));
	assert_true(len > 0);
	for (int it = 0; it < 200000; it++) {
		size_t n = (size_t)len;

		memcpy(buf, good, n);
		if (it % 4 == 0) {
			n = rnd() % sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd();
		} else {
			for (int f = 0; f < 1 + it % 3; f++)
				buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		}
		if (csched_state_decode(buf, n, &d) != 0)
			continue;
		ok++;
		assert_int_equal(csched_state_encode(&d, again, sizeof(again)), (int)n);
		assert_memory_equal(buf, again, n);
	}
	printf("# %d of 200000 mutations still decoded (and re-encoded identically)\n", ok);
}

/* ---- loads ---- */

static void test_load_codec(void **unused)
{
	struct csched_load l = { 0xFFFE, 100, 0xFFFFFFFF, 0xFFFF }, d;
	uint8_t buf[CSCHED_LOAD_LEN + 1];

	(void)unused;
	assert_int_equal(csched_load_encode(&l, buf, sizeof(buf)), CSCHED_LOAD_LEN);
	assert_int_equal(csched_load_decode(buf, CSCHED_LOAD_LEN, &d), 0);
	assert_true(d.node == l.node && d.cpu_pct == l.cpu_pct && d.free_kib == l.free_kib &&
		    d.units == l.units);
	assert_int_equal(csched_load_encode(&l, buf, CSCHED_LOAD_LEN - 1), -AION_ERANGE);
	for (size_t cut = 0; cut <= CSCHED_LOAD_LEN + 1; cut++)
		if (cut != CSCHED_LOAD_LEN)
			assert_int_equal(csched_load_decode(buf, cut, &d), -AION_EMALFORMED);
	buf[2] = 101;                   /* more than all of the CPU */
	assert_int_equal(csched_load_decode(buf, CSCHED_LOAD_LEN, &d), -AION_EMALFORMED);
	l.node = 0;
	csched_load_encode(&l, buf, sizeof(buf));
	assert_int_equal(csched_load_decode(buf, CSCHED_LOAD_LEN, &d), -AION_EMALFORMED);
}

/* A report is news on a change of units, or of the CPU share or free
 * memory by a step or more either way; a smaller drift is not. */
static void test_load_news(void **unused)
{
	const struct csched_load sent = { 3, 40, 100000, 7 };
	struct csched_load now = sent;

	(void)unused;
	assert_false(csched_load_news(&sent, &now));
	now.cpu_pct = 40 + CSCHED_LOAD_CPU_STEP - 1;
	now.free_kib = 100000 - (CSCHED_LOAD_FREE_STEP_KIB - 1);
	assert_false(csched_load_news(&sent, &now));
	now.cpu_pct = 40 + CSCHED_LOAD_CPU_STEP;
	assert_true(csched_load_news(&sent, &now));
	now.cpu_pct = 40 - CSCHED_LOAD_CPU_STEP;
	assert_true(csched_load_news(&sent, &now));
	now = sent;
	now.free_kib = 100000 + CSCHED_LOAD_FREE_STEP_KIB;
	assert_true(csched_load_news(&sent, &now));
	now = sent;
	now.units = 8;
	assert_true(csched_load_news(&sent, &now));
	now = sent;
	now.node = 4;
	assert_true(csched_load_news(&sent, &now));
}

static void test_jobs(void **unused)
{
	static const uint16_t two[] = { 2, 3 }, rep[] = { 2, 2 }, zero[] = { 0 },
			      none[] = { 0xFFFF };
	struct csched_state s = { 0 };

	(void)unused;
	assert_int_equal(csched_job_add(&s, "", 1, 0, NULL, 0), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a b", 1, 0, NULL, 0), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 0, 0, NULL, 0), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 4, 0, NULL, 0), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 1, 0x10, NULL, 0), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 1, CSCHED_REPLICATED, NULL, 0), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 1, 0, zero, 1), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 1, 0, none, 1), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 1, 0, rep, 2), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 3, CSCHED_SPREAD, two, 2), -AION_EINVAL);
	assert_int_equal(csched_job_add(&s, "a", 1, 0, two, 5), -AION_EINVAL);
	assert_int_equal(s.njobs, 0);
	assert_int_equal(csched_job_add(&s, "a", 2, CSCHED_SPREAD, two, 2), 0);
	assert_int_equal(csched_job_add(&s, "b", 3, 0, two, 2), 0);
	assert_int_equal(csched_job_add(&s, "a", 1, 0, NULL, 0), -AION_EEXIST);
	assert_non_null(csched_job_find(&s, "b"));
	assert_null(csched_job_find(&s, "c"));
	assert_int_equal(csched_job_remove(&s, "a"), 0);
	assert_int_equal(csched_job_remove(&s, "a"), -AION_ENOENT);
	assert_int_equal(s.njobs, 1);
	assert_string_equal(s.job[0].name, "b");
	assert_int_equal(s.job[1].name[0], 0);
}

/* ---- placement ---- */

static void test_place_least_loaded(void **unused)
{
	static const uint16_t nodes[] = { 1, 2, 3 };
	struct csched_view v = view_of(1, nodes, 3);
	struct csched_load loads[] = { { 3, 30, 1000, 0 }, { 1, 50, 1000, 0 },
				      { 2, 10, 1000, 0 } };
	struct csched_state s = { 0 };
	char why[128];

	(void)unused;
	csched_job_add(&s, "a", 1, 0, NULL, 0);
	assert_int_equal(csched_place(&s, &v, loads, 3, why, sizeof(why)), 1);
	assert_int_equal(s.job[0].inst[0].node, 2);
	assert_int_equal(s.job[0].inst[0].role, CSCHED_ROLE_PLAIN);
	assert_string_equal(why, "");
	/* Placed: nothing to do, even when the loads change. */
	loads[2].cpu_pct = 90;
	assert_int_equal(csched_place(&s, &v, loads, 3, why, sizeof(why)), 0);

	/* Same cpu: fewer units wins, then more free memory. */
	assert_true(csched_load_score(&(struct csched_load){ 1, 10, 5, 1 }) >
		    csched_load_score(&(struct csched_load){ 2, 10, 5, 0 }));
	assert_true(csched_load_score(&(struct csched_load){ 1, 10, 5, 1 }) >
		    csched_load_score(&(struct csched_load){ 2, 10, 6, 1 }));
	assert_true(csched_load_score(&(struct csched_load){ 1, 11, 9, 0 }) >
		    csched_load_score(&(struct csched_load){ 2, 10, 1, 9 }));
}

/* K missing instances in one round do not all land on the node that was
 * least loaded before it; ties go to the lower id; nodes without a load
 * report count as idle. */
static void test_place_counts_round(void **unused)
{
	static const uint16_t nodes[] = { 3, 1, 2 };
	struct csched_view v = view_of(1, nodes, 3);
	struct csched_load busy = { 1, 80, 10, 9 };
	struct csched_state s = { 0 };

	(void)unused;
	csched_job_add(&s, "a", 1, 0, NULL, 0);
	csched_job_add(&s, "b", 1, 0, NULL, 0);
	csched_job_add(&s, "c", 1, 0, NULL, 0);
	csched_job_add(&s, "d", 3, 0, NULL, 0);
	assert_int_equal(csched_place(&s, &v, &busy, 1, NULL, 0), 6);
	assert_int_equal(s.job[0].inst[0].node, 2);     /* idle, lower id than 3 */
	assert_int_equal(s.job[1].inst[0].node, 3);
	assert_int_equal(s.job[2].inst[0].node, 1);     /* 2 and 3 already got one */
	for (uint16_t n = 1; n <= 3; n++)
		assert_true(job_on(&s.job[3], n));      /* a plain job spreads too */
}

static void test_place_pinned(void **unused)
{
	static const uint16_t all[] = { 1, 2, 3, 4 }, no3[] = { 1, 2, 4 };
	static const uint16_t pin[] = { 3, 1 }, pin3[] = { 3, 4, 1 };
	struct csched_view v = view_of(1, all, 4), w = view_of(1, no3, 3);
	struct csched_load idle4 = { 4, 0, 99999, 0 };
	struct csched_state s = { 0 };

	(void)unused;
	csched_job_add(&s, "p", 1, 0, pin, 2);
	csched_job_add(&s, "q", 2, CSCHED_SPREAD, pin3, 3);
	assert_int_equal(csched_place(&s, &v, &idle4, 1, NULL, 0), 3);
	assert_int_equal(s.job[0].inst[0].node, 3);     /* first allowed, not least loaded */
	assert_int_equal(s.job[1].inst[0].node, 3);
	assert_int_equal(s.job[1].inst[1].node, 4);
	/* Node 3 gone: the next allowed node in order. */
	assert_int_equal(csched_place(&s, &w, NULL, 0, NULL, 0), 4);
	assert_int_equal(s.job[0].inst[0].node, 1);
	assert_int_equal(s.job[1].inst[0].node, 4);
	assert_int_equal(s.job[1].inst[1].node, 1);
	assert_int_equal(ninst(&s.job[1]), 2);
}

static void test_place_shortfall(void **unused)
{
	static const uint16_t two[] = { 1, 2 }, pin[] = { 7 };
	struct csched_view v = view_of(1, two, 2);
	struct csched_state s = { 0 };
	char why[256], tiny[8];

	(void)unused;
	csched_job_add(&s, "web", 3, CSCHED_SPREAD, NULL, 0);
	csched_job_add(&s, "pinned", 1, 0, pin, 1);
	assert_int_equal(csched_place(&s, &v, NULL, 0, why, sizeof(why)), 2);
	assert_job_sane(&s.job[0]);
	assert_int_equal(ninst(&s.job[0]), 2);
	assert_int_equal(ninst(&s.job[1]), 0);
	assert_string_equal(why,
		"job=web have=2 want=3 why=distinct nodes needed, only 2 nodes alive\n"
		"job=pinned have=0 want=1 why=no allowed node is alive\n");
	/* Still short, nothing changes, the text stays. */
	assert_int_equal(csched_place(&s, &v, NULL, 0, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "job=web have=2 want=3"));
	/* A short buffer is cut, never overrun. */
	csched_place(&s, &v, NULL, 0, tiny, sizeof(tiny));
	assert_string_equal(tiny, "job=web");
}

static void test_place_replicated(void **unused)
{
	static const uint16_t all[] = { 1, 2, 3, 4 }, lost_primary[] = { 1, 2, 3, 4 };
	struct csched_view v = view_of(1, all, 4), w;
	struct csched_load loads[] = { { 1, 5, 0, 0 }, { 2, 6, 0, 0 }, { 3, 7, 0, 0 },
				      { 4, 8, 0, 0 } };
	struct csched_state s = { 0 };
	struct csched_job *j;
	uint16_t primary, backup, other[3];
	unsigned no = 0;

	(void)unused;
	csched_job_add(&s, "db", 2, CSCHED_REPLICATED, NULL, 0);
	j = &s.job[0];
	assert_int_equal(csched_place(&s, &v, loads, 4, NULL, 0), 2);
	assert_int_equal(j->inst[0].node, 1);
	assert_int_equal(j->inst[0].role, CSCHED_ROLE_PRIMARY);
	assert_int_equal(j->inst[1].node, 2);
	assert_int_equal(j->inst[1].role, CSCHED_ROLE_BACKUP);
	assert_int_equal(j->epoch, 1);
	primary = j->inst[0].node;
	backup = j->inst[1].node;

	/* The primary's node leaves: its backup takes over under epoch 2,
	 * and a new backup goes to the least loaded other node. */
	for (int i = 0; i < 4; i++)
		if (lost_primary[i] != primary)
			other[no++] = lost_primary[i];
	w = view_of(2, other, no);
	assert_int_equal(csched_place(&s, &w, loads, 4, NULL, 0), 3);
	assert_int_equal(j->inst[0].node, backup);
	assert_int_equal(j->inst[0].role, CSCHED_ROLE_PRIMARY);
	assert_int_equal(j->epoch, 2);
	assert_int_equal(j->inst[1].node, 3);
	assert_int_equal(j->inst[1].role, CSCHED_ROLE_BACKUP);
	assert_job_sane(j);

	/* A backup leaving changes no primary and no epoch. */
	w = view_of(2, (const uint16_t[]){ 2, 4 }, 2);
	assert_int_equal(csched_place(&s, &w, loads, 4, NULL, 0), 2);
	assert_int_equal(j->inst[0].node, 2);
	assert_int_equal(j->inst[1].node, 4);
	assert_int_equal(j->epoch, 2);

	/* Every instance gone: a fresh primary, a new epoch. */
	w = view_of(3, (const uint16_t[]){ 1, 3 }, 2);
	assert_int_equal(csched_place(&s, &w, loads, 4, NULL, 0), 4);
	assert_int_equal(j->inst[0].node, 1);
	assert_int_equal(j->inst[0].role, CSCHED_ROLE_PRIMARY);
	assert_int_equal(j->inst[1].node, 3);
	assert_int_equal(j->epoch, 3);
}

/* A primary whose unit ended on a live node is failed like a dead node's:
 * the backup takes over under a new epoch, and a late or wrong report
 * changes nothing. */
static void test_place_primary_failed(void **unused)
{
	static const uint16_t all[] = { 1, 2, 3 };
	struct csched_view v = view_of(1, all, 3);
	struct csched_load loads[] = { { 1, 5, 0, 0 }, { 2, 6, 0, 0 }, { 3, 7, 0, 0 } };
	struct csched_state s = { 0 }, before;
	struct csched_job *j;

	(void)unused;
	csched_job_add(&s, "db", 2, CSCHED_REPLICATED, NULL, 0);
	csched_job_add(&s, "web", 2, CSCHED_SPREAD, NULL, 0);
	csched_place(&s, &v, loads, 3, NULL, 0);
	j = &s.job[0];
	assert_int_equal(j->inst[0].node, 1);
	assert_int_equal(j->inst[1].node, 2);
	assert_int_equal(j->epoch, 1);
	before = s;
	assert_int_equal(csched_job_fail(&s, "nope", 1, 1), -AION_ENOENT);
	assert_int_equal(csched_job_fail(&s, "web", 1, 0), -AION_ECONFLICT); /* not replicated */
	assert_int_equal(csched_job_fail(&s, "db", 1, 0), -AION_ECONFLICT);  /* old epoch */
	assert_int_equal(csched_job_fail(&s, "db", 2, 1), -AION_ECONFLICT);  /* the backup */
	assert_int_equal(csched_job_fail(&s, "db", 0, 1), -AION_ECONFLICT);
	assert_memory_equal(&s, &before, sizeof(s));

	assert_int_equal(csched_job_fail(&s, "db", 1, 1), 0);
	assert_true(csched_place(&s, &v, loads, 3, NULL, 0) >= 2);
	assert_int_equal(j->inst[0].node, 2);
	assert_int_equal(j->inst[0].role, CSCHED_ROLE_PRIMARY);
	assert_int_equal(j->epoch, 2);
	/* The failed node is alive and least loaded: it gets the new backup,
	 * a fresh instance that copies the new primary. */
	assert_int_equal(j->inst[1].node, 1);
	assert_int_equal(j->inst[1].role, CSCHED_ROLE_BACKUP);
	assert_job_sane(j);
	/* The same report again, now late: refused. */
	assert_int_equal(csched_job_fail(&s, "db", 1, 1), -AION_ECONFLICT);

	/* A lone primary (its backup's node is gone) fails: a fresh primary
	 * under a new epoch, never the old one again. */
	v = view_of(1, (const uint16_t[]){ 2 }, 1);
	csched_place(&s, &v, loads, 3, NULL, 0);
	assert_int_equal(j->inst[0].node, 2);
	assert_int_equal(j->inst[1].node, 0);
	assert_int_equal(csched_job_fail(&s, "db", 2, 2), 0);
	csched_place(&s, &v, loads, 3, NULL, 0);
	assert_int_equal(j->inst[0].node, 2);
	assert_int_equal(j->inst[0].role, CSCHED_ROLE_PRIMARY);
	assert_int_equal(j->epoch, 3);
}

int main(void)
{
	const char *seed = getenv("CSCHED_TEST_SEED");

	if (seed)
		rng_state = strtoull(seed, NULL, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_state_malformed),
		cmocka_unit_test(test_codec_garbage),
		cmocka_unit_test(test_load_codec),
		cmocka_unit_test(test_load_news),
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_place_least_loaded),
		cmocka_unit_test(test_place_counts_round),
		cmocka_unit_test(test_place_pinned),
		cmocka_unit_test(test_place_shortfall),
		cmocka_unit_test(test_place_replicated),
		cmocka_unit_test(test_place_primary_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
