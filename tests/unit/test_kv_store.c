/* Host tests for space/kv/store.c: kv's tables, dedupe, records, snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "store.h"

static struct kv_store st, copy;

/* Encodes fields as a client would and decodes them as the store does. */
static int req(uint32_t label, uint64_t client, uint64_t seq, const char *f0, const char *f1,
	       const char *f2, struct kv_req *out)
{
	uint8_t p[KV_CHUNK_MAX];
	size_t at = 0;
	const char *f[3] = { f0, f1, f2 };
	for (unsigned i = 0; i < 3 && f[i]; i++)
		assert_int_equal(kv_field_put(p, sizeof(p), &at, f[i], strlen(f[i])), 0);
	return kv_req_decode(label, client, seq, p, at, out);
}

/* One write through prepare and commit, as the primary does: the answer. */
static int write_op(struct kv_store *s, uint32_t label, uint64_t client, uint64_t seq,
		    const char *f0, const char *f1, const char *f2, struct kv_rec *rec)
{
	struct kv_req r;
	assert_int_equal(req(label, client, seq, f0, f1, f2, &r), 0);
	int seen = kv_store_seen(s, &r, rec);
	if (seen)
		return seen < 0 ? seen : rec->err;
	kv_store_prepare(s, &r, rec);
	assert_int_equal(kv_store_commit(s, rec), 0);
	return rec->err;
}

static int setup(void **state)
{
	(void)state;
	kv_store_reset(&st);
	kv_store_reset(&copy);
	return 0;
}

static void test_put_get(void **state)
{
	(void)state;
	struct kv_rec rec;
	assert_null(kv_store_get(&st, "a"));
	assert_int_equal(write_op(&st, KV_PUT, 1, 1, "a", "hello world", NULL, &rec), 0);
	assert_string_equal(rec.value, "hello world");
	assert_int_equal(write_op(&st, KV_PUT, 1, 2, "a", "x", NULL, &rec), 0);
	assert_string_equal(kv_store_get(&st, "a"), "x");
	assert_int_equal(kv_store_keys(&st), 1);
}

static void test_cas(void **state)
{
	(void)state;
	struct kv_rec rec;
	/* Absent: "" creates; anything else conflicts with an empty current value. */
	assert_int_equal(write_op(&st, KV_CAS, 1, 1, "k", "old", "new", &rec), -AION_ECONFLICT);
	assert_string_equal(rec.value, "");
	assert_null(kv_store_get(&st, "k"));
	assert_int_equal(write_op(&st, KV_CAS, 1, 2, "k", "", "v1", &rec), 0);
	assert_string_equal(kv_store_get(&st, "k"), "v1");
	assert_int_equal(write_op(&st, KV_CAS, 1, 3, "k", "", "v2", &rec), -AION_ECONFLICT);
	assert_string_equal(rec.value, "v1");
	assert_int_equal(write_op(&st, KV_CAS, 1, 4, "k", "v0", "v2", &rec), -AION_ECONFLICT);
	assert_int_equal(write_op(&st, KV_CAS, 1, 5, "k", "v1", "v2", &rec), 0);
	assert_string_equal(kv_store_get(&st, "k"), "v2");
}

static void test_add(void **state)
{
	(void)state;
	struct kv_rec rec;
	assert_int_equal(write_op(&st, KV_ADD, 1, 1, "n", "5", NULL, &rec), 0);
	assert_int_equal((int64_t)rec.w1, 5);
	assert_int_equal(write_op(&st, KV_ADD, 1, 2, "n", "-12", NULL, &rec), 0);
	assert_int_equal((int64_t)rec.w1, -7);
	assert_string_equal(kv_store_get(&st, "n"), "-7");

	assert_int_equal(write_op(&st, KV_PUT, 1, 3, "m", "9223372036854775806", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_ADD, 1, 4, "m", "1", NULL, &rec), 0);
	assert_string_equal(rec.value, "9223372036854775807");
	assert_int_equal(write_op(&st, KV_ADD, 1, 5, "m", "1", NULL, &rec), -AION_ERANGE);
	assert_string_equal(kv_store_get(&st, "m"), "9223372036854775807");
	assert_int_equal(write_op(&st, KV_PUT, 1, 6, "m", "-9223372036854775808", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_ADD, 1, 7, "m", "0", NULL, &rec), 0);
	assert_int_equal((int64_t)rec.w1, INT64_MIN);
	assert_int_equal(write_op(&st, KV_ADD, 1, 8, "m", "-1", NULL, &rec), -AION_ERANGE);

	assert_int_equal(write_op(&st, KV_PUT, 1, 9, "s", "12a", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_ADD, 1, 10, "s", "1", NULL, &rec), -AION_EINVAL);
	assert_int_equal(write_op(&st, KV_PUT, 1, 11, "s", "99999999999999999999", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_ADD, 1, 12, "s", "1", NULL, &rec), -AION_ERANGE);

	/* A bad number is refused before it takes a seq. */
	struct kv_req r;
	assert_int_equal(req(KV_ADD, 1, 13, "n", "x", NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_ADD, 1, 13, "n", "-", NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_ADD, 1, 13, "n", "", NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_ADD, 1, 13, "n", "+1", NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_ADD, 1, 13, "n", "9223372036854775808", NULL, &r), -AION_EINVAL);
}

static void test_full(void **state)
{
	(void)state;
	struct kv_rec rec;
	char key[8];
	for (unsigned i = 0; i < KV_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(write_op(&st, KV_PUT, 1, i + 1, key, "v", NULL, &rec), 0);
	}
	assert_int_equal(write_op(&st, KV_PUT, 1, 100, "more", "v", NULL, &rec), -AION_ENOSPC);
	assert_int_equal(write_op(&st, KV_ADD, 1, 101, "more", "1", NULL, &rec), -AION_ENOSPC);
	assert_int_equal(write_op(&st, KV_PUT, 1, 102, "k7", "w", NULL, &rec), 0);
	assert_int_equal(kv_store_keys(&st), KV_KEYS_MAX);
}

/* A retried seq is answered, not applied again; an older one is refused. */
static void test_dedupe(void **state)
{
	(void)state;
	struct kv_rec rec;
	assert_int_equal(write_op(&st, KV_ADD, 7, 1, "c", "1", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_ADD, 7, 1, "c", "1", NULL, &rec), 0);
	assert_int_equal(rec.w1, 1);
	assert_string_equal(kv_store_get(&st, "c"), "1");
	assert_int_equal(write_op(&st, KV_ADD, 7, 2, "c", "1", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_ADD, 7, 1, "c", "1", NULL, &rec), -AION_ERANGE);
	assert_string_equal(kv_store_get(&st, "c"), "2");

	/* A failed write's answer is remembered too. */
	assert_int_equal(write_op(&st, KV_CAS, 8, 5, "c", "9", "10", &rec), -AION_ECONFLICT);
	assert_int_equal(write_op(&st, KV_PUT, 1, 1, "c", "9", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_CAS, 8, 5, "c", "9", "10", &rec), -AION_ECONFLICT);
	assert_string_equal(rec.value, "2");
	assert_string_equal(kv_store_get(&st, "c"), "9");

	/* The least recently used client goes first: client 7 is older than 8 and 1. */
	for (uint64_t id = 100; id < 100 + KV_CLIENTS_MAX - 3; id++)
		assert_int_equal(write_op(&st, KV_PUT, id, 1, "x", "y", NULL, &rec), 0);
	assert_int_equal(write_op(&st, KV_PUT, 200, 1, "x", "z", NULL, &rec), 0);
	struct kv_req r;
	assert_int_equal(req(KV_ADD, 7, 2, "c", "1", NULL, &r), 0);
	assert_int_equal(kv_store_seen(&st, &r, &rec), 0);
	assert_int_equal(req(KV_CAS, 8, 5, "c", "9", "10", &r), 0);
	assert_int_equal(kv_store_seen(&st, &r, &rec), 1);
}

static void test_rec_round_trip(void **state)
{
	(void)state;
	struct kv_rec rec, back;
	uint8_t p[KV_CHUNK_MAX];
	assert_int_equal(write_op(&st, KV_ADD, 0xfedcba9876543210ull, 42, "counter", "-3", NULL,
				  &rec), 0);
	size_t n = kv_rec_encode(&rec, p, sizeof(p));
	assert_true(n > 0);
	assert_int_equal(kv_rec_decode(p, n, &back), 0);
	assert_memory_equal(&rec, &back, sizeof(rec));
	assert_int_equal(kv_store_commit(&copy, &back), 0);
	assert_string_equal(kv_store_get(&copy, "counter"), "-3");

	assert_int_equal(kv_rec_encode(&rec, p, n - 1), 0);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(kv_rec_decode(p, cut, &back), -AION_EMALFORMED);
	p[n] = 0;
	assert_int_equal(kv_rec_decode(p, n + 1, &back), -AION_EMALFORMED);
	p[28] = 2;                              /* set */
	assert_int_equal(kv_rec_decode(p, n, &back), -AION_EMALFORMED);
	p[28] = 1;
	p[30] = ' ';                            /* a key byte */
	assert_int_equal(kv_rec_decode(p, n, &back), -AION_EMALFORMED);
}

/* Full tables, longest strings, chunk by chunk: the copy equals the original. */
static void test_snapshot_round_trip(void **state)
{
	(void)state;
	struct kv_rec rec;
	char key[KV_KEY_MAX + 1], value[KV_VALUE_MAX + 1];
	for (unsigned i = 0; i < KV_KEYS_MAX; i++) {
		memset(key, 'a' + i % 26, KV_KEY_MAX);
		snprintf(key, sizeof(key), "%02u", i);
		key[2] = 'k';
		key[KV_KEY_MAX] = '\0';
		memset(value, ' ' + i % 90, KV_VALUE_MAX);
		value[KV_VALUE_MAX] = '\0';
		assert_int_equal(write_op(&st, KV_PUT, 1000 + i, 3, key, value, NULL, &rec), 0);
	}
	assert_int_equal(kv_store_keys(&st), KV_KEYS_MAX);

	uint8_t p[KV_CHUNK_MAX];
	unsigned cursor = 0, chunks = 0;
	kv_store_reset(&copy);
	while (cursor < KV_SNAP_END) {
		size_t n = kv_snap_chunk(&st, &cursor, p, sizeof(p));
		assert_true(n > 0 && n <= sizeof(p));
		assert_int_equal(kv_snap_apply(&copy, p, n), 0);
		chunks++;
	}
	assert_true(chunks < 40);
	assert_memory_equal(&st.keys, &copy.keys, sizeof(st.keys));
	for (unsigned i = 0; i < KV_CLIENTS_MAX; i++) {
		const struct kv_client *c = &st.clients[i];
		struct kv_req r;
		assert_int_equal(req(KV_PUT, c->id, c->seq, "x", "y", NULL, &r), 0);
		assert_int_equal(kv_store_seen(&copy, &r, &rec), 1);
	}
	assert_int_equal(copy.tick, st.tick);

	/* The same writes after the copy give the same tables on both. */
	struct kv_rec a, b;
	write_op(&st, KV_ADD, 5, 1, "z", "1", NULL, &a);
	write_op(&copy, KV_ADD, 5, 1, "z", "1", NULL, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&st.clients, &copy.clients, sizeof(st.clients));

	/* An empty store is one empty chunk. */
	kv_store_reset(&copy);
	cursor = 0;
	assert_int_equal(kv_snap_chunk(&copy, &cursor, p, sizeof(p)), 0);
	assert_int_equal(cursor, KV_SNAP_END);
}

static void test_snapshot_malformed(void **state)
{
	(void)state;
	struct kv_rec rec;
	uint8_t p[KV_CHUNK_MAX];
	unsigned cursor = 0;
	write_op(&st, KV_PUT, 1, 1, "key", "value", NULL, &rec);
	size_t n = kv_snap_chunk(&st, &cursor, p, sizeof(p));
	assert_int_equal(cursor, KV_SNAP_END);
	for (size_t cut = 1; cut < n; cut++) {
		kv_store_reset(&copy);
		int err = kv_snap_apply(&copy, p, cut);
		/* A cut between items is a valid shorter chunk. */
		assert_true(err == -AION_EMALFORMED || (err == 0 && p[cut] == 'C'));
	}
	uint8_t bad_type[] = { 'X', 1, 'a', 1, 'b' };
	assert_int_equal(kv_snap_apply(&copy, bad_type, sizeof(bad_type)), -AION_EMALFORMED);
	uint8_t empty_value[] = { 'K', 1, 'a', 0 };
	assert_int_equal(kv_snap_apply(&copy, empty_value, sizeof(empty_value)), -AION_EMALFORMED);
	uint8_t long_len[] = { 'K', 200, 'a' };
	assert_int_equal(kv_snap_apply(&copy, long_len, sizeof(long_len)), -AION_EMALFORMED);
	uint8_t ctl[] = { 'K', 1, '\n', 1, 'b' };
	assert_int_equal(kv_snap_apply(&copy, ctl, sizeof(ctl)), -AION_EMALFORMED);
	uint8_t zero_client[1 + 36 + 1] = { 'C' };
	assert_int_equal(kv_snap_apply(&copy, zero_client, sizeof(zero_client)), -AION_EMALFORMED);
}

static void test_req_malformed(void **state)
{
	(void)state;
	struct kv_req r;
	char key[KV_KEY_MAX + 2], value[KV_VALUE_MAX + 2];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';

	assert_int_equal(req(KV_GET, 0, 0, "k", NULL, NULL, &r), 0);
	assert_int_equal(req(KV_PUT, 0, 1, "k", "v", NULL, &r), -AION_EINVAL);   /* client 0 */
	assert_int_equal(req(KV_GET, 0, 0, key, NULL, NULL, &r), -AION_EMALFORMED);
	key[KV_KEY_MAX] = '\0';
	assert_int_equal(req(KV_GET, 0, 0, key, NULL, NULL, &r), 0);
	assert_int_equal(req(KV_GET, 0, 0, "", NULL, NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_GET, 0, 0, "a b", NULL, NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_PUT, 1, 1, "k", "a b", NULL, &r), 0);
	assert_int_equal(req(KV_PUT, 1, 1, "k", "", NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_PUT, 1, 1, "k", "\x7f", NULL, &r), -AION_EINVAL);
	assert_int_equal(req(KV_PUT, 1, 1, "k", value, NULL, &r), -AION_EMALFORMED);
	assert_int_equal(req(KV_CAS, 1, 1, "k", "", "", &r), -AION_EINVAL);
	assert_int_equal(req(KV_PUT, 1, 1, "k", NULL, NULL, &r), -AION_EMALFORMED);
	assert_int_equal(req(KV_PUT, 1, 1, "k", "v", "extra", &r), -AION_EMALFORMED);
	assert_int_equal(req(KV_ADD + 10, 1, 1, "k", NULL, NULL, &r), -AION_EMALFORMED);  /* no client label */
	assert_int_equal(kv_req_decode(KV_GET, 0, 0, NULL, 0, &r), -AION_EMALFORMED);
	uint8_t trunc[] = { 5, 'a', 'b' };
	assert_int_equal(kv_req_decode(KV_GET, 0, 0, trunc, sizeof(trunc), &r), -AION_EMALFORMED);

	uint8_t p[4];
	size_t at = 0;
	assert_int_equal(kv_field_put(p, sizeof(p), &at, "abc", 3), 0);
	assert_int_equal(kv_field_put(p, sizeof(p), &at, "", 0), -AION_ERANGE);
	assert_int_equal(at, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_put_get, setup),
		cmocka_unit_test_setup(test_cas, setup),
		cmocka_unit_test_setup(test_add, setup),
		cmocka_unit_test_setup(test_full, setup),
		cmocka_unit_test_setup(test_dedupe, setup),
		cmocka_unit_test_setup(test_rec_round_trip, setup),
		cmocka_unit_test_setup(test_snapshot_round_trip, setup),
		cmocka_unit_test_setup(test_snapshot_malformed, setup),
		cmocka_unit_test_setup(test_req_malformed, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
