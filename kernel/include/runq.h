/*
 * Run queue: 256 priorities, FIFO within a priority, O(1) choice of the
 * highest non-empty priority by a 4-word bitmap. Pure: no locking (the
 * caller owns the per-CPU queue with interrupts off), no allocation
 * (links are embedded in the threads).
 */
#ifndef KERNEL_RUNQ_H
#define KERNEL_RUNQ_H

#include <stdint.h>
#include <stdbool.h>

#define RUNQ_LEVELS 256

struct runq_link {
	struct runq_link *next, *prev;
	int prio;                       /* -1 while not queued */
};

struct runq {
	uint64_t bitmap[RUNQ_LEVELS / 64];
	unsigned count;                         /* before head: on its page */
	struct runq_link head[RUNQ_LEVELS];     /* circular list sentinels */
};

void runq_init(struct runq *q);
void runq_link_init(struct runq_link *l);
bool runq_queued(const struct runq_link *l);

/* Precondition: l not queued, prio < RUNQ_LEVELS. */
void runq_push_back(struct runq *q, struct runq_link *l, unsigned prio);
void runq_push_front(struct runq *q, struct runq_link *l, unsigned prio);

/* Precondition: l queued in q. */
void runq_remove(struct runq *q, struct runq_link *l);

/* Highest priority with a queued link, or -1 when empty. */
int runq_highest(const struct runq *q);

/* Removes and returns the first link of the highest priority, or NULL. */
struct runq_link *runq_pop(struct runq *q);

#endif /* KERNEL_RUNQ_H */
