/*
 * Host tests for the run queue (kernel/core/runq.c): priority order,
 * FIFO within a priority, push_front, removal anywhere in a level and the
 * bitmap bits that follow, plus 100k random operations checked against a
 * reference model of per-priority lists.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runq.h"
#include "common/xorshift.h"

#define NLINKS 64

struct item {
	struct runq_link link;
	int id;
};

static struct item items[NLINKS];

static void reset(struct runq *q)
{
	runq_init(q);
	for (int i = 0; i < NLINKS; i++) {
		runq_link_init(&items[i].link);
		items[i].id = i;
	}
}

static int id_of(struct runq_link *l)
{
	assert_non_null(l);
	return ((struct item *)((char *)l - offsetof(struct item, link)))->id;
}

static int pop_id(struct runq *q)
{
	struct runq_link *l = runq_pop(q);

	if (!l)
		return -1;
	assert_false(runq_queued(l));
	assert_int_equal(l->prio, -1);
	return id_of(l);
}

static void test_empty(void **state)
{
	(void)state;
	struct runq *q = malloc(sizeof(*q));

	assert_non_null(q);
	reset(q);
	assert_int_equal(runq_highest(q), -1);
	assert_null(runq_pop(q));
	assert_int_equal(q->count, 0);
	assert_int_equal(runq_highest(q), -1);
	free(q);
}

static void test_priority_order(void **state)
{
	(void)state;
	static const unsigned prios[] = { 64, 0, 255, 127, 63, 200, 128 };
	static const unsigned want[] = { 255, 200, 128, 127, 64, 63, 0 };
	struct runq *q = malloc(sizeof(*q));

	assert_non_null(q);
	reset(q);
	for (unsigned i = 0; i < 7; i++) {
		runq_push_back(q, &items[i].link, prios[i]);
		assert_true(runq_queued(&items[i].link));
		assert_int_equal(items[i].link.prio, (int)prios[i]);
		assert_int_equal(q->count, i + 1);
	}
	/* Each word of the bitmap holds its own bits. */
	assert_int_equal(q->bitmap[0], (1ull << 0) | (1ull << 63));
	assert_int_equal(q->bitmap[1], (1ull << 0) | (1ull << 63));
	assert_int_equal(q->bitmap[2], (1ull << 0));
	assert_int_equal(q->bitmap[3], (1ull << (200 - 192)) | (1ull << 63));
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(runq_highest(q), (int)want[i]);
		struct runq_link *l = runq_pop(q);
		assert_non_null(l);
		assert_int_equal(prios[id_of(l)], want[i]);
		assert_int_equal(q->count, 6 - i);
	}
	assert_int_equal(runq_highest(q), -1);
	assert_null(runq_pop(q));
	for (unsigned w = 0; w < 4; w++)
		assert_int_equal(q->bitmap[w], 0);
	free(q);
}

static void test_fifo_and_front(void **state)
{
	(void)state;
	struct runq *q = malloc(sizeof(*q));

	assert_non_null(q);
	reset(q);
	for (int i = 0; i < 5; i++)
		runq_push_back(q, &items[i].link, 10);
	runq_push_back(q, &items[5].link, 9);
	/* push_front goes before every link of its priority only. */
	runq_push_front(q, &items[6].link, 10);
	runq_push_front(q, &items[7].link, 9);
	assert_int_equal(q->count, 8);
	assert_int_equal(runq_highest(q), 10);

	static const int want[] = { 6, 0, 1, 2, 3, 4, 7, 5 };
	for (int i = 0; i < 8; i++)
		assert_int_equal(pop_id(q), want[i]);
	assert_int_equal(pop_id(q), -1);
	assert_int_equal(q->count, 0);

	/* push_front into an empty level sets its bit. */
	runq_push_front(q, &items[8].link, 77);
	assert_int_equal(runq_highest(q), 77);
	assert_int_equal(pop_id(q), 8);
	assert_int_equal(runq_highest(q), -1);
	free(q);
}

static void test_remove(void **state)
{
	(void)state;
	struct runq *q = malloc(sizeof(*q));

	assert_non_null(q);
	reset(q);
	/* Level 100: 0 1 2 3 4; level 50: 10 11; level 0: 20. */
	for (int i = 0; i < 5; i++)
		runq_push_back(q, &items[i].link, 100);
	runq_push_back(q, &items[10].link, 50);
	runq_push_back(q, &items[11].link, 50);
	runq_push_back(q, &items[20].link, 0);
	assert_int_equal(q->count, 8);

	runq_remove(q, &items[2].link);         /* middle */
	assert_false(runq_queued(&items[2].link));
	assert_null(items[2].link.next);
	assert_null(items[2].link.prev);
	assert_int_equal(q->count, 7);
	assert_int_equal(runq_highest(q), 100);
	runq_remove(q, &items[0].link);         /* head */
	assert_int_equal(q->count, 6);
	runq_remove(q, &items[4].link);         /* tail */
	assert_int_equal(q->count, 5);
	assert_int_equal(runq_highest(q), 100);
	assert_true(runq_queued(&items[1].link));
	assert_true(runq_queued(&items[3].link));

	/* The rest of level 100 is still in order, and relinked both ways. */
	struct runq_link *h = &q->head[100];
	assert_ptr_equal(h->next, &items[1].link);
	assert_ptr_equal(items[1].link.next, &items[3].link);
	assert_ptr_equal(items[3].link.next, h);
	assert_ptr_equal(h->prev, &items[3].link);
	assert_ptr_equal(items[3].link.prev, &items[1].link);
	assert_ptr_equal(items[1].link.prev, h);

	runq_remove(q, &items[3].link);
	assert_int_equal(runq_highest(q), 100);
	runq_remove(q, &items[1].link);         /* last of level 100 */
	assert_int_equal(runq_highest(q), 50);
	assert_int_equal(q->bitmap[1], 0);       /* bit 100 cleared */
	assert_int_equal(q->bitmap[0], (1ull << 50) | 1ull);
	assert_int_equal(q->count, 3);

	runq_remove(q, &items[11].link);
	assert_int_equal(runq_highest(q), 50);
	runq_remove(q, &items[10].link);
	assert_int_equal(runq_highest(q), 0);
	assert_int_equal(q->bitmap[0], 1ull);
	runq_remove(q, &items[20].link);
	assert_int_equal(runq_highest(q), -1);
	assert_int_equal(q->count, 0);

	/* A removed link can be queued again, at another priority. */
	runq_push_back(q, &items[2].link, 255);
	assert_int_equal(runq_highest(q), 255);
	assert_int_equal(pop_id(q), 2);
	free(q);
}

/* Reference model: per priority, an array of link ids in queue order. */
struct model {
	int len[RUNQ_LEVELS];
	int ids[RUNQ_LEVELS][NLINKS];
	int prio_of[NLINKS];            /* -1 when not queued */
	unsigned count;
};

static int model_highest(const struct model *m)
{
	for (int p = RUNQ_LEVELS - 1; p >= 0; p--)
		if (m->len[p])
			return p;
	return -1;
}

static void model_remove(struct model *m, int id)
{
	int p = m->prio_of[id], k;

	for (k = 0; k < m->len[p] && m->ids[p][k] != id; k++)
		;
	assert_true(k < m->len[p]);
	memmove(&m->ids[p][k], &m->ids[p][k + 1],
		(size_t)(m->len[p] - k - 1) * sizeof(int));
	m->len[p]--;
	m->prio_of[id] = -1;
	m->count--;
}

static void check_level(const struct runq *q, const struct model *m, int p)
{
	const struct runq_link *h = &q->head[p], *l = h->next;

	for (int k = 0; k < m->len[p]; k++, l = l->next) {
		assert_ptr_not_equal(l, h);
		assert_int_equal(id_of((struct runq_link *)l), m->ids[p][k]);
		assert_int_equal(l->prio, p);
		assert_ptr_equal(l->next->prev, l);
	}
	assert_ptr_equal(l, h);
}

static void test_random_model(void **state)
{
	(void)state;
	struct runq *q = malloc(sizeof(*q));
	struct model *m = calloc(1, sizeof(*m));
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	assert_non_null(q);
	assert_non_null(m);
	reset(q);
	for (int i = 0; i < NLINKS; i++)
		m->prio_of[i] = -1;

	for (int op = 0; op < 100000; op++) {
		uint64_t r = xorshift64(&seed);
		int id = (int)((r >> 8) % NLINKS);
		/* Few priorities often (collisions, FIFO), any of 256 sometimes. */
		unsigned prio = (r >> 16) & 1 ? (unsigned)((r >> 24) % 256)
					     : (unsigned)((r >> 24) % 7) * 37;
		int touched = -1;

		switch (r % 4) {
		case 0:
		case 1:
			if (m->prio_of[id] >= 0)
				break;
			if (r % 4 == 0) {
				runq_push_back(q, &items[id].link, prio);
				m->ids[prio][m->len[prio]] = id;
			} else {
				runq_push_front(q, &items[id].link, prio);
				memmove(&m->ids[prio][1], &m->ids[prio][0],
					(size_t)m->len[prio] * sizeof(int));
				m->ids[prio][0] = id;
			}
			m->len[prio]++;
			m->prio_of[id] = (int)prio;
			m->count++;
			touched = (int)prio;
			break;
		case 2:
			if (m->prio_of[id] < 0)
				break;
			touched = m->prio_of[id];
			runq_remove(q, &items[id].link);
			model_remove(m, id);
			assert_false(runq_queued(&items[id].link));
			break;
		case 3: {
			int p = model_highest(m);
			int want = p < 0 ? -1 : m->ids[p][0];
			assert_int_equal(pop_id(q), want);
			if (want >= 0)
				model_remove(m, want);
			touched = p;
			break;
		}
		}
		assert_int_equal(runq_highest(q), model_highest(m));
		assert_int_equal(q->count, m->count);
		assert_int_equal(runq_queued(&items[id].link), m->prio_of[id] >= 0);
		if (touched >= 0) {
			check_level(q, m, touched);
			bool bit = (q->bitmap[touched / 64] >> (touched % 64)) & 1;
			assert_int_equal(bit, m->len[touched] > 0);
		}
	}
	/* Drain: pop order is the model's. */
	for (int p; (p = model_highest(m)) >= 0;) {
		int want = m->ids[p][0];
		assert_int_equal(pop_id(q), want);
		model_remove(m, want);
	}
	assert_int_equal(pop_id(q), -1);
	assert_int_equal(q->count, 0);
	for (unsigned w = 0; w < 4; w++)
		assert_int_equal(q->bitmap[w], 0);
	free(m);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_fifo_and_front),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
