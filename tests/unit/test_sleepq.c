/*
 * Host tests for the sleep queue (kernel/core/sleepq.c): a fixed-capacity
 * min-heap of deadlines with back-indices. The heap storage is malloc'ed
 * at exactly cap pointers so AddressSanitizer flags any access past it.
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
#include "sleepq.h"
#include "common/xorshift.h"

#define NENT 64

struct fixture {
	struct sleepq q;
	struct sleepq_entry **storage;
	struct sleepq_entry e[NENT];
};

static struct fixture *fx_new(unsigned cap)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->storage = malloc(cap * sizeof(*f->storage));
	if (cap)
		assert_non_null(f->storage);
	sleepq_init(&f->q, f->storage, cap);
	for (int i = 0; i < NENT; i++)
		sleepq_entry_init(&f->e[i]);
	return f;
}

static void fx_free(struct fixture *f)
{
	free(f->storage);
	free(f);
}

/* Heap order and back-pointers: heap[e->index] == e for every entry. */
static void check_heap(const struct sleepq *q)
{
	for (unsigned i = 0; i < q->n; i++) {
		assert_int_equal(q->heap[i]->index, (int)i);
		if (i > 0)
			assert_true(q->heap[(i - 1) / 2]->deadline <=
				    q->heap[i]->deadline);
	}
}

/* Takes first + remove until empty; returns how many, checks the order. */
static unsigned drain(struct sleepq *q, const uint64_t *want, unsigned nwant)
{
	uint64_t last = 0;
	unsigned k = 0;
	struct sleepq_entry *e;

	while ((e = sleepq_first(q)) != NULL) {
		assert_true(e->deadline >= last);
		if (want) {
			assert_true(k < nwant);
			assert_int_equal(e->deadline, want[k]);
		}
		last = e->deadline;
		sleepq_remove(q, e);
		assert_int_equal(e->index, -1);
		check_heap(q);
		k++;
	}
	assert_int_equal(q->n, 0);
	return k;
}

static void test_empty(void **state)
{
	(void)state;
	struct fixture *f = fx_new(4);

	assert_null(sleepq_first(&f->q));
	sleepq_remove(&f->q, &f->e[0]);          /* absent: no-op */
	assert_int_equal(f->q.n, 0);
	assert_int_equal(f->e[0].index, -1);
	assert_null(sleepq_first(&f->q));
	fx_free(f);
}

static void test_orders(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NENT);
	uint64_t want[NENT], seed = 0x2545f4914f6cdd1dull;

	for (unsigned i = 0; i < NENT; i++) {
		assert_int_equal(sleepq_insert(&f->q, &f->e[i], 1000 + i), 0);
		assert_int_equal(sleepq_first(&f->q)->deadline, 1000);
		want[i] = 1000 + i;
	}
	check_heap(&f->q);
	assert_int_equal(drain(&f->q, want, NENT), NENT);

	for (unsigned i = 0; i < NENT; i++) {
		assert_int_equal(sleepq_insert(&f->q, &f->e[i], 5000 - i), 0);
		assert_ptr_equal(sleepq_first(&f->q), &f->e[i]);
		want[NENT - 1 - i] = 5000 - i;
	}
	check_heap(&f->q);
	assert_int_equal(drain(&f->q, want, NENT), NENT);

	/* Random deadlines, including the extremes. */
	for (unsigned i = 0; i < NENT; i++) {
		uint64_t d = i == 0 ? UINT64_MAX : i == 1 ? 0 : xorshift64(&seed);
		assert_int_equal(sleepq_insert(&f->q, &f->e[i], d), 0);
		assert_int_equal(f->e[i].deadline, d);
	}
	check_heap(&f->q);
	assert_int_equal(sleepq_first(&f->q)->deadline, 0);
	assert_int_equal(drain(&f->q, NULL, 0), NENT);
	fx_free(f);
}

static void test_remove_arbitrary(void **state)
{
	(void)state;
	struct fixture *f = fx_new(16);

	/* Deadlines 10, 20, ..., 160 in a scrambled insertion order. */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(sleepq_insert(&f->q, &f->e[i],
					       10 * (1 + (i * 7) % 16)), 0);
	check_heap(&f->q);
	/* e[k] has deadline 10 * (1 + 7k mod 16). */
	struct sleepq_entry *mid = f->q.heap[5];
	struct sleepq_entry *first = sleepq_first(&f->q);

	assert_int_equal(f->e[9].deadline, 160); /* 10 * (1 + 63 % 16) */
	assert_ptr_equal(first, &f->e[0]);
	assert_int_equal(first->deadline, 10);
	sleepq_remove(&f->q, mid);               /* middle of the array */
	assert_int_equal(mid->index, -1);
	check_heap(&f->q);
	assert_int_equal(f->q.n, 15);
	struct sleepq_entry *last = f->q.heap[f->q.n - 1];
	sleepq_remove(&f->q, last);              /* last slot */
	assert_int_equal(last->index, -1);
	check_heap(&f->q);
	sleepq_remove(&f->q, first);             /* root */
	check_heap(&f->q);
	assert_int_equal(f->q.n, 13);
	assert_true(sleepq_first(&f->q)->deadline >= 20);
	sleepq_remove(&f->q, first);             /* again: no-op */
	assert_int_equal(f->q.n, 13);
	check_heap(&f->q);
	/* A removed entry can be queued again. */
	assert_int_equal(sleepq_insert(&f->q, first, 5), 0);
	assert_ptr_equal(sleepq_first(&f->q), first);
	assert_int_equal(drain(&f->q, NULL, 0), 14);
	fx_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	struct fixture *f = fx_new(3);

	assert_int_equal(sleepq_insert(&f->q, &f->e[0], 50), 0);
	assert_int_equal(sleepq_insert(&f->q, &f->e[0], 10), -AION_EEXIST);
	assert_int_equal(f->e[0].deadline, 50);  /* unchanged */
	assert_int_equal(f->q.n, 1);
	assert_int_equal(sleepq_insert(&f->q, &f->e[1], 40), 0);
	assert_int_equal(sleepq_insert(&f->q, &f->e[2], 30), 0);
	assert_int_equal(sleepq_insert(&f->q, &f->e[3], 1), -AION_ENOSPC);
	assert_int_equal(f->e[3].index, -1);
	assert_int_equal(f->q.n, 3);
	/* Already queued beats full. */
	assert_int_equal(sleepq_insert(&f->q, &f->e[1], 1), -AION_EEXIST);
	assert_ptr_equal(sleepq_first(&f->q), &f->e[2]);
	sleepq_remove(&f->q, &f->e[3]);          /* absent: no-op */
	assert_int_equal(f->q.n, 3);
	check_heap(&f->q);
	static const uint64_t want[] = { 30, 40, 50 };
	assert_int_equal(drain(&f->q, want, 3), 3);

	/* Capacity 0: always full. */
	struct fixture *z = fx_new(0);
	assert_int_equal(sleepq_insert(&z->q, &z->e[0], 1), -AION_ENOSPC);
	assert_null(sleepq_first(&z->q));
	fx_free(z);
	fx_free(f);
}

static void test_equal_deadlines(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NENT);

	for (unsigned i = 0; i < NENT; i++)
		assert_int_equal(sleepq_insert(&f->q, &f->e[i], i % 3 ? 7 : 3), 0);
	check_heap(&f->q);
	sleepq_remove(&f->q, &f->e[10]);
	sleepq_remove(&f->q, &f->e[0]);
	check_heap(&f->q);
	unsigned threes = 0, sevens = 0;
	struct sleepq_entry *e;
	while ((e = sleepq_first(&f->q)) != NULL) {
		if (e->deadline == 3) {
			assert_int_equal(sevens, 0);
			threes++;
		} else {
			assert_int_equal(e->deadline, 7);
			sevens++;
		}
		sleepq_remove(&f->q, e);
		check_heap(&f->q);
	}
	/* 22 multiples of 3 below 64 minus e[0]; 42 others minus e[10]. */
	assert_int_equal(threes, 21);
	assert_int_equal(sevens, 41);
	fx_free(f);
}

/*
 * 100k random inserts, removes and pops of 64 entries in a heap of 48
 * against a model (queued flag and deadline per entry).
 */
static void test_random_model(void **state)
{
	(void)state;
	const unsigned cap = 48;
	struct fixture *f = fx_new(cap);
	bool in[NENT] = { false };
	uint64_t dl[NENT] = { 0 }, seed = 0x9e3779b97f4a7c15ull;
	unsigned n = 0;

	for (int op = 0; op < 100000; op++) {
		uint64_t r = xorshift64(&seed);
		unsigned id = (unsigned)((r >> 8) % NENT);
		/* Small ranges collide often; full range sometimes. */
		uint64_t d = (r >> 14) & 1 ? xorshift64(&seed) : (r >> 20) % 16;
		struct sleepq_entry *e = &f->e[id];

		switch (r % 3) {
		case 0: {
			int want = in[id] ? -AION_EEXIST : n == cap ? -AION_ENOSPC : 0;
			assert_int_equal(sleepq_insert(&f->q, e, d), want);
			if (want == 0) {
				in[id] = true;
				dl[id] = d;
				n++;
			}
			break;
		}
		case 1:
			sleepq_remove(&f->q, e);
			if (in[id]) {
				in[id] = false;
				n--;
			}
			break;
		case 2: {
			struct sleepq_entry *first = sleepq_first(&f->q);
			if (n == 0) {
				assert_null(first);
				break;
			}
			assert_non_null(first);
			unsigned fid = (unsigned)(first - f->e);
			assert_true(fid < NENT);
			assert_true(in[fid]);
			for (unsigned i = 0; i < NENT; i++)
				if (in[i])
					assert_true(dl[i] >= first->deadline);
			sleepq_remove(&f->q, first);
			in[fid] = false;
			n--;
			break;
		}
		}
		assert_int_equal(f->q.n, n);
		check_heap(&f->q);
		for (unsigned i = 0; i < NENT; i++) {
			if (in[i]) {
				assert_true(f->e[i].index >= 0);
				assert_ptr_equal(f->q.heap[f->e[i].index], &f->e[i]);
				assert_int_equal(f->e[i].deadline, dl[i]);
			} else {
				assert_int_equal(f->e[i].index, -1);
			}
		}
	}
	assert_int_equal(drain(&f->q, NULL, 0), n);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_remove_arbitrary),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_equal_deadlines),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
