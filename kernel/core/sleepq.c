#include <stddef.h>
#include "aion/error.h"
#include "sleepq.h"
#include "hot.h"

void sleepq_init(struct sleepq *q, struct sleepq_entry **storage, unsigned cap)
{
	q->heap = storage;
	q->n = 0;
	q->cap = cap;
}

void sleepq_entry_init(struct sleepq_entry *e)
{
	e->deadline = 0;
	e->index = -1;
}

KERNEL_HOT
static void put(struct sleepq *q, unsigned i, struct sleepq_entry *e)
{
	q->heap[i] = e;
	e->index = (int)i;
}

KERNEL_HOT
static void sift_up(struct sleepq *q, unsigned i)
{
	struct sleepq_entry *e = q->heap[i];
	while (i > 0) {
		unsigned parent = (i - 1) / 2;
		if (q->heap[parent]->deadline <= e->deadline)
			break;
		put(q, i, q->heap[parent]);
		i = parent;
	}
	put(q, i, e);
}

KERNEL_HOT
static void sift_down(struct sleepq *q, unsigned i)
{
	struct sleepq_entry *e = q->heap[i];
	for (;;) {
		unsigned c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->heap[c + 1]->deadline < q->heap[c]->deadline)
			c++;
		if (e->deadline <= q->heap[c]->deadline)
			break;
		put(q, i, q->heap[c]);
		i = c;
	}
	put(q, i, e);
}

KERNEL_HOT
int sleepq_insert(struct sleepq *q, struct sleepq_entry *e, uint64_t deadline)
{
	if (e->index >= 0)
		return -AION_EEXIST;
	if (q->n == q->cap)
		return -AION_ENOSPC;
	e->deadline = deadline;
	put(q, q->n++, e);
	sift_up(q, q->n - 1);
	return 0;
}

KERNEL_HOT
void sleepq_remove(struct sleepq *q, struct sleepq_entry *e)
{
	if (e->index < 0)
		return;
	unsigned i = (unsigned)e->index;
	struct sleepq_entry *last = q->heap[--q->n];
	e->index = -1;
	if (i == q->n)
		return;
	put(q, i, last);
	sift_up(q, i);
	sift_down(q, (unsigned)last->index);
}

KERNEL_HOT
struct sleepq_entry *sleepq_first(const struct sleepq *q)
{
	return q->n ? q->heap[0] : NULL;
}
