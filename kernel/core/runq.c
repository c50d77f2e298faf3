#include <stddef.h>
#include "runq.h"
#include "hot.h"

void runq_init(struct runq *q)
{
	for (unsigned i = 0; i < RUNQ_LEVELS / 64; i++)
		q->bitmap[i] = 0;
	for (unsigned p = 0; p < RUNQ_LEVELS; p++) {
		q->head[p].next = q->head[p].prev = &q->head[p];
		q->head[p].prio = (int)p;
	}
	q->count = 0;
}

void runq_link_init(struct runq_link *l)
{
	l->next = l->prev = NULL;
	l->prio = -1;
}

KERNEL_HOT
bool runq_queued(const struct runq_link *l)
{
	return l->prio >= 0;
}

KERNEL_HOT
static void insert_between(struct runq_link *l, struct runq_link *prev,
			   struct runq_link *next)
{
	l->prev = prev;
	l->next = next;
	prev->next = l;
	next->prev = l;
}

KERNEL_HOT
static void mark(struct runq *q, unsigned prio)
{
	q->bitmap[prio / 64] |= 1ull << (prio % 64);
	q->count++;
}

KERNEL_HOT
void runq_push_back(struct runq *q, struct runq_link *l, unsigned prio)
{
	struct runq_link *h = &q->head[prio];
	insert_between(l, h->prev, h);
	l->prio = (int)prio;
	mark(q, prio);
}

KERNEL_HOT
void runq_push_front(struct runq *q, struct runq_link *l, unsigned prio)
{
	struct runq_link *h = &q->head[prio];
	insert_between(l, h, h->next);
	l->prio = (int)prio;
	mark(q, prio);
}

KERNEL_HOT
void runq_remove(struct runq *q, struct runq_link *l)
{
	unsigned prio = (unsigned)l->prio;
	struct runq_link *h = &q->head[prio];

	l->prev->next = l->next;
	l->next->prev = l->prev;
	runq_link_init(l);
	if (h->next == h)
		q->bitmap[prio / 64] &= ~(1ull << (prio % 64));
	q->count--;
}

KERNEL_HOT
int runq_highest(const struct runq *q)
{
	for (int w = RUNQ_LEVELS / 64 - 1; w >= 0; w--)
		if (q->bitmap[w])
			return w * 64 + 63 - __builtin_clzll(q->bitmap[w]);
	return -1;
}

KERNEL_HOT
struct runq_link *runq_pop(struct runq *q)
{
	int p = runq_highest(q);
	if (p < 0)
		return NULL;
	struct runq_link *l = q->head[p].next;
	runq_remove(q, l);
	return l;
}
