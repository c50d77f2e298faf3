/*
 * Host tests for a unit's handle table (kernel/core/handle.c).
 *
 * kernel/core/kobj.c is not linked: kobj_get/kobj_put below only count
 * references in the struct kobj, so every test can check exactly which
 * references the table holds.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "aion/object.h"
#include "handle.h"
#include "kobj.h"

#define GEN_MAX ((1u << (32 - AION_HANDLE_INDEX_BITS)) - 1)

static unsigned puts_total;

void kobj_get(struct kobj *o)
{
	assert_non_null(o);
	o->refs++;
}

void kobj_put(struct kobj *o)
{
	assert_non_null(o);
	assert_true(o->refs > 0);
	o->refs--;
	puts_total++;
}

static struct handle_table *table_new(void)
{
	struct handle_table *t = malloc(sizeof(*t));

	assert_non_null(t);
	memset(t, 0xa5, sizeof(*t));
	handle_table_init(t);
	return t;
}

static unsigned hidx(aion_handle_t h)
{
	return h & (AION_HANDLE_SLOTS - 1);
}

static uint32_t hgen(aion_handle_t h)
{
	return h >> AION_HANDLE_INDEX_BITS;
}

static void test_init(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj *out = NULL;

	for (unsigned i = 0; i < AION_HANDLE_SLOTS; i++) {
		assert_null(t->slot[i].obj);
		assert_int_equal(t->slot[i].rights, 0);
		assert_int_equal(t->slot[i].gen, 1);
	}
	/* Nothing resolves in an empty table, not even SELF. */
	assert_int_equal(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT, 0, &out),
			 -AION_ECAP);
	assert_int_equal(handle_lookup(t, AION_HANDLE(1, 1), AION_OBJ_UNIT, 0, &out),
			 -AION_ECAP);
	assert_int_equal(handle_close(t, AION_HANDLE(1, 1)), -AION_ECAP);
	assert_int_equal(handle_close(t, AION_HANDLE_SELF), -AION_ECAP);
	assert_null(out);
	free(t);
}

static void test_alloc_lookup(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj th = { AION_OBJ_THREAD, 1 }, un = { AION_OBJ_UNIT, 1 };
	struct kobj *out = NULL;
	aion_handle_t h1, h2, h3;

	assert_int_equal(handle_alloc(t, &th, AION_RIGHT_READ | AION_RIGHT_CONTROL, &h1), 0);
	assert_int_equal(h1, AION_HANDLE(1, 1));
	assert_int_equal(hidx(h1), 1);
	assert_int_equal(hgen(h1), 1);
	assert_int_equal(th.refs, 2);
	assert_int_equal(handle_alloc(t, &un, AION_RIGHTS_ALL, &h2), 0);
	assert_int_equal(h2, AION_HANDLE(2, 1));
	assert_int_equal(un.refs, 2);
	/* The same object twice: two handles, two references. */
	assert_int_equal(handle_alloc(t, &th, AION_RIGHT_READ, &h3), 0);
	assert_int_equal(h3, AION_HANDLE(3, 1));
	assert_int_equal(th.refs, 3);

	assert_int_equal(handle_lookup(t, h1, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &out), 0);
	assert_ptr_equal(out, &th);
	out = NULL;
	assert_int_equal(handle_lookup(t, h1, AION_OBJ_THREAD, 0, &out), 0);
	assert_ptr_equal(out, &th);
	assert_int_equal(handle_lookup(t, h2, AION_OBJ_UNIT, AION_RIGHTS_ALL, &out), 0);
	assert_ptr_equal(out, &un);
	/* Lookup takes no reference. */
	assert_int_equal(th.refs, 3);
	assert_int_equal(un.refs, 2);

	out = NULL;
	assert_int_equal(handle_lookup(t, h1, AION_OBJ_UNIT, 0, &out), -AION_ETYPE);
	assert_int_equal(handle_lookup(t, h1, AION_OBJ_THREAD, AION_RIGHT_WRITE, &out),
			 -AION_ERIGHTS);
	/* One right present, one missing: still ERIGHTS. */
	assert_int_equal(handle_lookup(t, h1, AION_OBJ_THREAD,
				       AION_RIGHT_READ | AION_RIGHT_DESTROY, &out),
			 -AION_ERIGHTS);
	assert_int_equal(handle_lookup(t, h3, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &out),
			 -AION_ERIGHTS);
	/* Order: ECAP before ETYPE before ERIGHTS. */
	assert_int_equal(handle_lookup(t, AION_HANDLE(1, 2), AION_OBJ_UNIT,
				       AION_RIGHT_WRITE, &out), -AION_ECAP);
	assert_int_equal(handle_lookup(t, AION_HANDLE(9, 1), AION_OBJ_UNIT,
				       AION_RIGHT_WRITE, &out), -AION_ECAP);
	assert_int_equal(handle_lookup(t, h1, AION_OBJ_UNIT, AION_RIGHT_WRITE, &out),
			 -AION_ETYPE);
	assert_null(out);                        /* untouched on failure */

	handle_table_clear(t);
	assert_int_equal(th.refs, 1);
	assert_int_equal(un.refs, 1);
	free(t);
}

static void test_close(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj a = { AION_OBJ_THREAD, 1 }, b = { AION_OBJ_UNIT, 1 };
	struct kobj *out = NULL;
	aion_handle_t h, h2, hb;

	assert_int_equal(handle_alloc(t, &a, AION_RIGHT_READ, &h), 0);
	assert_int_equal(handle_alloc(t, &b, AION_RIGHT_READ, &hb), 0);
	assert_int_equal(a.refs, 2);
	assert_int_equal(handle_close(t, h), 0);
	assert_int_equal(a.refs, 1);
	assert_int_equal(t->slot[1].gen, 2);
	assert_null(t->slot[1].obj);
	assert_int_equal(t->slot[1].rights, 0);
	assert_int_equal(handle_lookup(t, h, AION_OBJ_THREAD, 0, &out), -AION_ECAP);
	assert_int_equal(handle_close(t, h), -AION_ECAP);   /* double close */
	assert_int_equal(a.refs, 1);

	/* The freed slot is reused with generation 2; the old handle stays dead. */
	assert_int_equal(handle_alloc(t, &b, AION_RIGHT_WRITE, &h2), 0);
	assert_int_equal(h2, AION_HANDLE(1, 2));
	assert_int_equal(b.refs, 3);
	assert_int_equal(handle_lookup(t, h, AION_OBJ_UNIT, 0, &out), -AION_ECAP);
	assert_int_equal(handle_close(t, h), -AION_ECAP);
	assert_int_equal(handle_lookup(t, h2, AION_OBJ_UNIT, AION_RIGHT_WRITE, &out), 0);
	assert_ptr_equal(out, &b);
	/* Rights are the new handle's, not the old one's. */
	assert_int_equal(handle_lookup(t, h2, AION_OBJ_UNIT, AION_RIGHT_READ, &out),
			 -AION_ERIGHTS);
	assert_int_equal(handle_close(t, h2), 0);
	assert_int_equal(handle_close(t, hb), 0);
	assert_int_equal(b.refs, 1);
	free(t);
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64: fixed seed, reproducible. */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_guess(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj o[4] = { { AION_OBJ_THREAD, 1 }, { AION_OBJ_THREAD, 1 },
			     { AION_OBJ_UNIT, 1 }, { AION_OBJ_UNIT, 1 } };
	struct kobj self = { AION_OBJ_UNIT, 1 };
	aion_handle_t live[4], dead;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned hits = 0;

	handle_set_self(t, &self, AION_RIGHTS_ALL);
	/* Churn so live slots have generations other than 1. */
	for (unsigned i = 0; i < 4; i++) {
		for (unsigned k = 0; k < i * 3; k++) {
			assert_int_equal(handle_alloc(t, &o[i], 0, &dead), 0);
			assert_int_equal(handle_close(t, dead), 0);
		}
		assert_int_equal(handle_alloc(t, &o[i], AION_RIGHTS_ALL, &live[i]), 0);
	}
	for (int it = 0; it < 10000; it++) {
		uint64_t r = rng_next(&seed);
		/* Half fully random, half aimed at the live slots' indices. */
		aion_handle_t h = (r & 1) ? (aion_handle_t)(r >> 32)
					  : AION_HANDLE((unsigned)((r >> 8) % 6),
							(uint32_t)((r >> 16) % 16));
		struct kobj *out = NULL;
		int want = -AION_ECAP;
		struct kobj *wobj = NULL;

		if (h == AION_HANDLE_SELF)
			wobj = &self;
		for (unsigned i = 0; i < 4; i++)
			if (h == live[i])
				wobj = &o[i];
		if (wobj)
			want = 0;
		int ret = handle_lookup(t, h, wobj ? wobj->type : AION_OBJ_UNIT, 0, &out);
		assert_int_equal(ret, want);
		if (ret == 0) {
			assert_ptr_equal(out, wobj);
			hits++;
		} else {
			assert_null(out);
			assert_int_equal(handle_close(t, h), -AION_ECAP);
		}
	}
	assert_true(hits > 0);                   /* the aimed half does hit */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(o[i].refs, 2);
	handle_table_clear(t);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(o[i].refs, 1);
	assert_int_equal(self.refs, 1);
	free(t);
}

static void test_self(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj self = { AION_OBJ_UNIT, 1 }, o = { AION_OBJ_THREAD, 1 };
	struct kobj *out = NULL;
	aion_handle_t h;

	handle_set_self(t, &self, AION_RIGHT_READ | AION_RIGHT_SPAWN);
	assert_int_equal(self.refs, 2);
	assert_int_equal(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT,
				       AION_RIGHT_SPAWN, &out), 0);
	assert_ptr_equal(out, &self);
	assert_int_equal(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT,
				       AION_RIGHT_DESTROY, &out), -AION_ERIGHTS);
	assert_int_equal(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_THREAD, 0, &out),
			 -AION_ETYPE);
	assert_int_equal(handle_lookup(t, AION_HANDLE(0, 2), AION_OBJ_UNIT, 0, &out),
			 -AION_ECAP);
	assert_int_equal(handle_close(t, AION_HANDLE_SELF), -AION_EPERM);
	assert_int_equal(handle_close(t, AION_HANDLE(0, 2)), -AION_ECAP);
	assert_int_equal(self.refs, 2);
	assert_int_equal(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT, 0, &out), 0);

	/* alloc never hands out slot 0. */
	assert_int_equal(handle_alloc(t, &o, 0, &h), 0);
	assert_int_equal(hidx(h), 1);
	handle_table_clear(t);
	assert_int_equal(self.refs, 1);
	assert_int_equal(o.refs, 1);
	assert_int_equal(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT, 0, &out),
			 -AION_ECAP);
	free(t);
}

static void test_full_and_clear(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj self = { AION_OBJ_UNIT, 1 }, o = { AION_OBJ_THREAD, 1 };
	struct kobj *out;
	aion_handle_t h[AION_HANDLE_SLOTS], extra = 0xdeadbeef;

	handle_set_self(t, &self, AION_RIGHTS_ALL);
	for (unsigned i = 1; i < AION_HANDLE_SLOTS; i++) {
		assert_int_equal(handle_alloc(t, &o, AION_RIGHT_READ, &h[i]), 0);
		assert_int_equal(h[i], AION_HANDLE(i, 1));
	}
	assert_int_equal(o.refs, 1 + 255);
	assert_int_equal(handle_alloc(t, &o, AION_RIGHT_READ, &extra), -AION_ENOSPC);
	assert_int_equal(extra, 0xdeadbeef);     /* untouched */
	assert_int_equal(o.refs, 256);
	for (unsigned i = 1; i < AION_HANDLE_SLOTS; i++)
		assert_int_equal(handle_lookup(t, h[i], AION_OBJ_THREAD,
					       AION_RIGHT_READ, &out), 0);

	/* Free one in the middle: the next alloc takes exactly that slot. */
	assert_int_equal(handle_close(t, h[200]), 0);
	assert_int_equal(handle_alloc(t, &o, AION_RIGHT_READ, &extra), 0);
	assert_int_equal(extra, AION_HANDLE(200, 2));
	assert_int_equal(handle_alloc(t, &o, AION_RIGHT_READ, &extra), -AION_ENOSPC);

	puts_total = 0;
	handle_table_clear(t);
	assert_int_equal(puts_total, 256);       /* 255 slots + self */
	assert_int_equal(o.refs, 1);
	assert_int_equal(self.refs, 1);
	for (unsigned i = 0; i < AION_HANDLE_SLOTS; i++)
		assert_null(t->slot[i].obj);
	for (unsigned i = 1; i < AION_HANDLE_SLOTS; i++)
		assert_int_equal(handle_lookup(t, h[i], AION_OBJ_THREAD, 0, &out),
				 -AION_ECAP);
	/* Clearing an empty table drops nothing. */
	handle_table_clear(t);
	assert_int_equal(puts_total, 256);
	free(t);
}

static void test_generation_wrap(void **state)
{
	(void)state;
	struct handle_table *t = table_new();
	struct kobj o = { AION_OBJ_THREAD, 1 };
	struct kobj *out;
	aion_handle_t h, first;

	/* From the top few generations of slot 1 through the wrap. */
	t->slot[1].gen = GEN_MAX - 3;
	assert_int_equal(handle_alloc(t, &o, 0, &first), 0);
	assert_int_equal(hgen(first), GEN_MAX - 3);
	assert_int_equal(handle_close(t, first), 0);
	for (unsigned k = 0; k < 8; k++) {
		assert_int_equal(handle_alloc(t, &o, 0, &h), 0);
		assert_int_equal(hidx(h), 1);
		assert_int_not_equal(hgen(h), 0);
		assert_int_not_equal(h, AION_HANDLE(1, 0));
		uint32_t want = GEN_MAX - 2 + k;
		if (want > GEN_MAX)
			want -= GEN_MAX;         /* 0 is skipped: ... MAX, 1, 2 */
		assert_int_equal(hgen(h), want);
		assert_int_equal(handle_lookup(t, h, AION_OBJ_THREAD, 0, &out), 0);
		assert_int_equal(handle_close(t, h), 0);
		assert_int_not_equal(t->slot[1].gen, 0);
		assert_true(t->slot[1].gen <= GEN_MAX);
	}
	/* A handle with generation 0 never names a slot. */
	assert_int_equal(handle_alloc(t, &o, 0, &h), 0);
	assert_int_equal(handle_lookup(t, AION_HANDLE(1, 0), AION_OBJ_THREAD, 0, &out),
			 -AION_ECAP);
	assert_int_equal(handle_close(t, h), 0);
	assert_int_equal(o.refs, 1);

	/*
	 * The full cycle, (1 << 24) - 1 closes of slot 1: every generation
	 * 1..GEN_MAX comes up, never 0, and the slot is back where it was
	 * (generation 7 after the wrap steps above).
	 */
	uint32_t seen_max = 0;
	for (uint32_t k = 0; k < GEN_MAX; k++) {
		assert_int_equal(handle_alloc(t, &o, 0, &h), 0);
		assert_int_equal(hidx(h), 1);
		if (hgen(h) > seen_max)
			seen_max = hgen(h);
		assert_int_not_equal(hgen(h), 0);
		assert_int_equal(handle_close(t, h), 0);
	}
	assert_int_equal(seen_max, GEN_MAX);
	assert_int_equal(t->slot[1].gen, 7);
	assert_int_equal(o.refs, 1);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_alloc_lookup),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_guess),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_full_and_clear),
		cmocka_unit_test(test_generation_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
