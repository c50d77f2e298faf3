/*
 * The per-CPU scheduler: 256 fixed priorities, round robin with a time
 * slice within a priority, O(1) choice through the run queue bitmap, and a
 * one-shot timer armed only for the next event (a slice end or the
 * earliest sleeper), so an idle CPU takes no periodic tick.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>
#include <stdbool.h>
#include "runq.h"
#include "sleepq.h"

#define SCHED_SLICE_NS  10000000ull     /* 10 ms */
#define SCHED_MAX_THREADS 2048        /* every thread may sleep: THREAD_MAX */

struct thread;

/*
 * What every switch reads comes first and the big arrays last, so that a
 * switch touches one page of it (the run queue's heads of the priorities
 * in use follow on the same page): under TCG each page touched after an
 * address-space switch costs a walk of the page tables (docs/network.md).
 */
struct sched {
	struct thread *current;
	struct thread *idle;
	bool need_resched;
	bool evicting;                  /* switched to idle by sched_evicted */
	uint64_t kicked_ns;             /* when it last asked an idle CPU to take work */
	struct sleepq sleepers;
	struct runq rq;
	struct sleepq_entry *sleep_heap[SCHED_MAX_THREADS];
};

void sched_init(struct thread *idle);
struct thread *sched_current(void);
uint64_t sched_idle_ns(void);           /* time this CPU spent idle since boot */
uint64_t sched_idle_ns_all(void);       /* every CPU's, summed */
uint32_t sched_idle_entries_all(void);  /* switches to idle, every CPU's (wraps) */

void sched_ready(struct thread *t);     /* t becomes runnable */
void sched_unqueue(struct thread *t);   /* t leaves the run queue or sleepers */
void sched_yield(void);
int sched_sleep_until(uint64_t deadline_ns);
void sched_block(void);                 /* current is no longer runnable */

/*
 * Blocks the current thread (state BLOCKED) until sched_wake or the
 * deadline (0: none; then thread_timed_out runs). Returns the wake result.
 */
int64_t sched_block_current(uint64_t deadline_ns);
void sched_wake(struct thread *t, int64_t result);
/* The same, for a waker that blocks next (a call): an unpinned t comes
 * to this CPU first, so a call and its reply stay on one (docs/smp.md). */
void sched_wake_here(struct thread *t, int64_t result);
/* sched_wake_here if this CPU has no ready thread, else sched_wake. */
void sched_wake_near(struct thread *t, int64_t result);
void sched_set_prio(struct thread *t, unsigned prio);  /* effective priority */

void sched_timer(void);                 /* the one-shot timer expired */
void sched_preempt_point(void);         /* end of every trap and syscall */
/* The preemption point would do nothing: no thread waits here, none asked. */
bool sched_quiet(void);
void sched_after_switch(struct thread *prev);

/*
 * Many CPUs (docs/smp.md). A thread's queues are those of its CPU
 * (t->cpu); a thread moved while it runs elsewhere is put away by that
 * CPU at its next preemption point.
 */
/* Moves t to CPU cpu (online). */
void sched_set_cpu(struct thread *t, unsigned cpu);
/* If t runs on another CPU, makes that CPU leave it; t must be dead. */
void sched_evict(struct thread *t);
/* This CPU leaves its dead current thread for idle, without the big
 * lock: the eviction another CPU asked for (arch_cpu_evict). Returns
 * only if idle was current. */
void sched_evicted(void);
__attribute__((noreturn)) void sched_idle_loop(void);

#endif /* KERNEL_SCHED_H */
