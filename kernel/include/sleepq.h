/*
 * Sleep queue: a binary min-heap of wake-up deadlines with a fixed
 * capacity, so insert, remove and pop are O(log n) with n bounded by the
 * number of threads. Pure; entries are embedded in the threads.
 */
#ifndef KERNEL_SLEEPQ_H
#define KERNEL_SLEEPQ_H

#include <stdint.h>

struct sleepq_entry {
	uint64_t deadline;
	int index;                      /* position in the heap, -1 if absent */
};

struct sleepq {
	struct sleepq_entry **heap;
	unsigned n, cap;
};

void sleepq_init(struct sleepq *q, struct sleepq_entry **storage, unsigned cap);
void sleepq_entry_init(struct sleepq_entry *e);

/* -AION_ENOSPC when full, -AION_EEXIST when e is already queued. */
int sleepq_insert(struct sleepq *q, struct sleepq_entry *e, uint64_t deadline);
void sleepq_remove(struct sleepq *q, struct sleepq_entry *e);  /* no-op if absent */

/* The earliest entry, or NULL. */
struct sleepq_entry *sleepq_first(const struct sleepq *q);

#endif /* KERNEL_SLEEPQ_H */
