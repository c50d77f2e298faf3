/*
 * Host tests for the cluster state machine (mesh/cstate.c): scheduler
 * commands, placement applied only on its base version, kv writes with
 * exactly-once retries, snapshots that restore the same state, malformed
 * commands, and determinism (two servers applying one log agree).
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
#include "mesh/cstate.h"

static uint8_t cmd[CSTATE_CMD_MAX];
static uint8_t snap[CSTATE_SNAP_MAX], snap2[CSTATE_SNAP_MAX];

/* Applies cmd[0..len) as the next entry; returns the command's outcome. */
static int32_t apply(struct cstate *s, int len, struct cstate_result *res)
{
	assert_true(len > 0);
	assert_int_equal(cstate_apply(s, s->applied + 1, 3, cmd, (size_t)len, res), 0);
	return res->err;
}

/* kv fields: each one length byte then the bytes. */
static size_t fields(uint8_t *p, const char *a, const char *b, const char *c)
{
	const char *f[3] = { a, b, c };
	size_t at = 0;

	for (unsigned i = 0; i < 3 && f[i]; i++) {
		size_t n = strlen(f[i]);
		p[at++] = (uint8_t)n;
		memcpy(p + at, f[i], n);
		at += n;
	}
	return at;
}

static int32_t kv(struct cstate *s, uint32_t label, uint64_t client, uint64_t seq,
		  const char *a, const char *b, const char *c, struct cstate_result *res)
{
	uint8_t f[200];
	size_t n = fields(f, a, b, c);
	return apply(s, cstate_cmd_kv(cmd, sizeof(cmd), label, client, seq, f, n), res);
}

static void test_jobs(void **state)
{
	(void)state;
	struct cstate s;
	struct cstate_result res;
	uint16_t allowed[2] = { 2, 3 };

	cstate_init(&s);
	assert_int_equal(apply(&s, cstate_cmd_job_add(cmd, sizeof(cmd), "kv", 2,
						       CSCHED_REPLICATED, allowed, 2), &res), 0);
	assert_int_equal(s.sched.njobs, 1);
	assert_int_equal(s.sched.version, 1);
	assert_int_equal(s.sched.term, 3);
	assert_int_equal(apply(&s, cstate_cmd_job_add(cmd, sizeof(cmd), "kv", 2,
						       CSCHED_REPLICATED, allowed, 2), &res),
			 -AION_EEXIST);
	assert_int_equal(s.sched.version, 1);   /* a refusal changes nothing */

	/* A placement computed on version 1 applies; one computed on 0 does not. */
	struct csched_state placed = s.sched;
	placed.job[0].inst[0] = (struct csched_inst){ .node = 2, .role = CSCHED_ROLE_PRIMARY };
	placed.job[0].inst[1] = (struct csched_inst){ .node = 3, .role = CSCHED_ROLE_BACKUP };
	struct csched_state stale = placed;
	stale.version = 0;
	assert_int_equal(apply(&s, cstate_cmd_place(cmd, sizeof(cmd), &stale), &res),
			 -AION_ECONFLICT);
	assert_int_equal(s.sched.job[0].inst[0].node, 0);
	assert_int_equal(apply(&s, cstate_cmd_place(cmd, sizeof(cmd), &placed), &res), 0);
	assert_int_equal(s.sched.job[0].inst[0].node, 2);
	assert_int_equal(s.sched.version, 2);

	/* Only the primary at its epoch can be failed. */
	assert_int_equal(apply(&s, cstate_cmd_job_fail(cmd, sizeof(cmd), "kv", 3, 0), &res),
			 -AION_ECONFLICT);
	assert_int_equal(apply(&s, cstate_cmd_job_fail(cmd, sizeof(cmd), "kv", 2, 0), &res), 0);
	assert_int_equal(s.sched.version, 3);
	assert_int_equal(apply(&s, cstate_cmd_job_remove(cmd, sizeof(cmd), "kv"), &res), 0);
	assert_int_equal(s.sched.njobs, 0);
	assert_int_equal(apply(&s, cstate_cmd_job_remove(cmd, sizeof(cmd), "kv"), &res),
			 -AION_ENOENT);
	assert_int_equal(s.applied, 8);
}

static void test_kv_exactly_once(void **state)
{
	(void)state;
	struct cstate s;
	struct cstate_result res;

	cstate_init(&s);
	assert_int_equal(kv(&s, KV_ADD, 7, 1, "n", "5", NULL, &res), 0);
	assert_int_equal(res.w1, 5);
	/* The retry of seq 1 is answered, not applied again. */
	assert_int_equal(kv(&s, KV_ADD, 7, 1, "n", "5", NULL, &res), 0);
	assert_int_equal(res.w1, 5);
	assert_int_equal(kv(&s, KV_ADD, 7, 2, "n", "5", NULL, &res), 0);
	assert_int_equal(res.w1, 10);
	assert_int_equal(kv(&s, KV_ADD, 7, 1, "n", "5", NULL, &res), -AION_ERANGE);
	assert_int_equal(kv(&s, KV_CAS, 8, 1, "n", "9", "x", &res), -AION_ECONFLICT);
	assert_string_equal(res.value, "10");
	assert_int_equal(kv(&s, KV_CAS, 8, 2, "n", "10", "x", &res), 0);
	assert_int_equal(kv(&s, KV_ADD, 8, 3, "n", "1", NULL, &res), -AION_EINVAL);
	assert_int_equal(kv(&s, KV_PUT, 9, 1, "k", "hello world", NULL, &res), 0);
	assert_int_equal(kv(&s, KV_GET, 0, 0, "k", NULL, NULL, &res), 0);
	assert_string_equal(res.value, "hello world");
	assert_int_equal(kv(&s, KV_GET, 0, 0, "none", NULL, NULL, &res), -AION_ENOENT);
	assert_int_equal(kv(&s, KV_PUT, 0, 1, "k", "v", NULL, &res), -AION_EINVAL);

	uint8_t f[64];
	size_t n = fields(f, "k", NULL, NULL);
	assert_int_equal(cstate_kv_read(&s, f, n, &res), 0);
	assert_string_equal(res.value, "hello world");
	assert_int_equal(cstate_kv_read(&s, f, n + 1, &res), -AION_EMALFORMED);
	assert_int_equal(s.sched.version, 0);   /* kv writes are no scheduler change */
}

static void test_kv_full(void **state)
{
	(void)state;
	struct cstate s;
	struct cstate_result res;
	char key[16];

	cstate_init(&s);
	for (unsigned i = 0; i < KV_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(kv(&s, KV_PUT, 5, i + 1, key, "v", NULL, &res), 0);
	}
	assert_int_equal(kv(&s, KV_PUT, 5, 100, "extra", "v", NULL, &res), -AION_ENOSPC);
	assert_int_equal(kv(&s, KV_PUT, 5, 101, "k3", "w", NULL, &res), 0);
	assert_int_equal(kv_store_keys(&s.kv), KV_KEYS_MAX);
}

/* A random command: mostly kv writes on a few keys and clients, some
 * scheduler changes, now and then a stale placement. */
static int random_cmd(const struct cstate *s, unsigned r, uint64_t *seqs)
{
	static const uint32_t labels[3] = { KV_PUT, KV_CAS, KV_ADD };
	char key[8], val[16], old[16];
	uint8_t f[200];

	if (r % 13 == 0)
		return cstate_cmd_job_add(cmd, sizeof(cmd), r % 2 ? "echod" : "kv", 1 + r % 3,
					  0, NULL, 0);
	if (r % 17 == 0)
		return cstate_cmd_job_remove(cmd, sizeof(cmd), "echod");
	if (r % 19 == 0) {
		struct csched_state p = s->sched;
		p.version -= r % 2;
		return cstate_cmd_place(cmd, sizeof(cmd), &p);
	}
	unsigned client = 1 + r % 5;
	snprintf(key, sizeof(key), "k%u", (r >> 4) % 6);
	snprintf(val, sizeof(val), "%u", (r >> 8) % 50);
	snprintf(old, sizeof(old), "%u", (r >> 12) % 50);
	uint32_t label = labels[(r >> 16) % 3];
	/* A retry of the same seq now and then. */
	if ((r >> 20) % 4)
		seqs[client]++;
	size_t n = label == KV_CAS ? fields(f, key, old, val) : fields(f, key, val, NULL);
	return cstate_cmd_kv(cmd, sizeof(cmd), label, client, seqs[client], f, n);
}

static void test_snapshot_and_determinism(void **state)
{
	(void)state;
	static struct cstate a, b, c;
	struct cstate_result ra, rb;
	uint64_t seqs[8] = { 0 };
	unsigned r = 12345;

	cstate_init(&a);
	cstate_init(&b);
	for (unsigned i = 0; i < 3000; i++) {
		r = r * 1103515245u + 12345u;
		int len = random_cmd(&a, r, seqs);
		assert_true(len > 0);
		assert_int_equal(cstate_apply(&a, a.applied + 1, 1 + i / 500, cmd, (size_t)len, &ra), 0);
		assert_int_equal(cstate_apply(&b, b.applied + 1, 1 + i / 500, cmd, (size_t)len, &rb), 0);
		assert_memory_equal(&ra, &rb, sizeof(ra));
		if (i % 250 == 0) {
			/* b restarts from its snapshot and must still agree. */
			int n = cstate_snapshot(&b, snap, sizeof(snap));
			assert_true(n > 0);
			assert_int_equal(cstate_restore(&b, snap, (size_t)n), 0);
		}
	}
	int na = cstate_snapshot(&a, snap, sizeof(snap)), nb = cstate_snapshot(&b, snap2, sizeof(snap2));
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(snap, snap2, (size_t)na);
	assert_int_equal(cstate_restore(&c, snap, (size_t)na), 0);
	assert_int_equal(c.applied, a.applied);
	assert_int_equal(c.sched.version, a.sched.version);
	assert_int_equal(kv_store_keys(&c.kv), kv_store_keys(&a.kv));
	assert_int_equal(cstate_snapshot(&c, snap2, sizeof(snap2)), na);
	assert_memory_equal(snap, snap2, (size_t)na);

	/* Every cut of the snapshot is refused, never half-restored. */
	for (int cut = 0; cut < 14 + 9; cut++)
		assert_int_equal(cstate_restore(&c, snap, (size_t)cut), -AION_EMALFORMED);
	assert_int_equal(c.applied, 0);
	assert_int_equal(cstate_snapshot(&a, snap, 100), -AION_ERANGE);
}

static void test_malformed(void **state)
{
	(void)state;
	struct cstate s;
	struct cstate_result res;

	cstate_init(&s);
	int len = cstate_cmd_job_add(cmd, sizeof(cmd), "kv", 2, CSCHED_REPLICATED, NULL, 0);
	assert_int_equal(cstate_apply(&s, 2, 1, cmd, (size_t)len, &res), -AION_EINVAL);
	assert_int_equal(s.applied, 0);
	for (int cut = 0; cut < len; cut++) {
		/* A cut command is skipped (index consumed), the state unchanged. */
		assert_int_equal(cstate_apply(&s, s.applied + 1, 1, cmd, (size_t)cut, &res),
				 -AION_EMALFORMED);
		assert_int_equal(s.sched.njobs, 0);
	}
	uint8_t junk[2] = { 99, 0 };
	assert_int_equal(cstate_apply(&s, s.applied + 1, 1, junk, 2, &res), -AION_EMALFORMED);
	cmd[len] = 0;
	assert_int_equal(cstate_apply(&s, s.applied + 1, 1, cmd, (size_t)len + 1, &res),
			 -AION_EMALFORMED);
	/* An unterminated name. */
	len = cstate_cmd_job_remove(cmd, sizeof(cmd), "kv");
	memset(cmd + 1, 'a', CSCHED_NAME_MAX);
	assert_int_equal(cstate_apply(&s, s.applied + 1, 1, cmd, (size_t)len, &res),
			 -AION_EMALFORMED);
	assert_int_equal(cstate_cmd_job_remove(cmd, sizeof(cmd), "a-name-far-too-long"),
			 -AION_EINVAL);
	assert_int_equal(cstate_cmd_job_remove(cmd, 5, "kv"), -AION_ERANGE);
	assert_int_equal(s.sched.version, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_kv_exactly_once),
		cmocka_unit_test(test_kv_full),
		cmocka_unit_test(test_snapshot_and_determinism),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
