/*
 * Scheduler decisions. Every function runs with interrupts off and the
 * big kernel lock held (docs/smp.md), so it may touch another CPU's
 * queues, or on a local CPU (the local path: endpoint.c, ipc_local) on
 * that CPU's own threads and queues only; switches happen only at the end of a trap or system call
 * (sched_preempt_point) or when the current thread blocks. A thread is
 * on the queues of its CPU, t->cpu, and only that CPU runs it.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "endpoint.h"
#include "klock.h"
#include "log.h"
#include "sched.h"
#include "thread.h"

_Static_assert(SCHED_MAX_THREADS >= THREAD_MAX, "every thread may sleep");
#include "unit.h"
#include "hot.h"

static unsigned sched_cpus;             /* CPUs with a scheduler */

#define container_of(p, type, member) \
	((type *)((char *)(p) - __builtin_offsetof(type, member)))

KERNEL_HOT
static struct thread *rq_thread(struct runq_link *l)
{
	return container_of(l, struct thread, rq);
}

KERNEL_HOT
static struct thread *sleep_thread(struct sleepq_entry *e)
{
	return container_of(e, struct thread, sleep);
}

KERNEL_HOT
static struct sched *sched_of(const struct thread *t)
{
	return arch_cpu_sched_of(t->cpu);
}

/* s (another CPU's, maybe) gained a thread or a sleeper: have it look. */
KERNEL_HOT
static void poke(struct sched *s, unsigned cpu)
{
	s->need_resched = true;
	arch_cpu_kick(cpu);
}

uint64_t sched_idle_ns(void)
{
	struct sched *s = arch_cpu_sched();
	uint64_t ns = s->idle->cpu_ns;

	if (s->current == s->idle)
		ns += arch_clock_ns() - s->idle->ran_since;
	return ns;
}

uint32_t sched_idle_entries_all(void)
{
	uint64_t n = 0;

	for (unsigned c = 0; c < CPU_MAX; c++)
		if (arch_cpu_online(c))
			n += arch_cpu_sched_of(c)->idle->switches;
	return (uint32_t)n;
}

uint64_t sched_idle_ns_all(void)
{
	uint64_t now = arch_clock_ns(), ns = 0;

	for (unsigned c = 0; c < CPU_MAX; c++) {
		if (!arch_cpu_online(c))
			continue;
		struct sched *s = arch_cpu_sched_of(c);
		ns += s->idle->cpu_ns;
		if (s->current == s->idle && now > s->idle->ran_since)
			ns += now - s->idle->ran_since;
	}
	return ns;
}

void sched_init(struct thread *idle)
{
	struct sched *s = arch_cpu_sched();

	runq_init(&s->rq);
	sleepq_init(&s->sleepers, s->sleep_heap, SCHED_MAX_THREADS);
	runq_link_init(&idle->rq);
	sleepq_entry_init(&idle->sleep);
	idle->state = AION_THREAD_RUNNING;
	idle->ran_since = arch_clock_ns();
	idle->cpu = arch_cpu_id();
	s->idle = idle;
	s->current = idle;
	sched_cpus++;
}

KERNEL_HOT
struct thread *sched_current(void)
{
	return arch_cpu_sched()->current;
}

/*
 * The slice's end matters only while an equal waits (a higher one
 * preempts at once, a lower one waits for a block anyway), or on a node
 * of several CPUs, where the slice's end is also when balance() may hand
 * a waiter to an idle CPU and where another CPU's readying cannot arm
 * this one's timer. A thread that runs alone arms no slice: a woken
 * server that blocks again before its slice ends left the timer at the
 * next sleeper, so an idle node's wake-up writes no LAPIC register
 * (under TCG each write wakes QEMU's main loop; docs/network.md "The
 * slice timer, the MAC and ticks on news").
 */
KERNEL_HOT
static bool slice_matters(const struct sched *s)
{
	return s->current != s->idle &&
	       (sched_cpus > 1 || runq_highest(&s->rq) >= (int)s->current->prio);
}

/* Arms the timer for the next event: the current slice's end or a sleeper. */
KERNEL_HOT
static void rearm(struct sched *s)
{
	uint64_t next = UINT64_MAX;
	struct sleepq_entry *first = sleepq_first(&s->sleepers);
	bool halting = s->current == s->idle;

	if (first)
		next = first->deadline;
	if (slice_matters(s) && s->current->slice_end < next)
		next = s->current->slice_end;
	if (next == UINT64_MAX)
		arch_timer_disarm(halting);
	else
		arch_timer_arm(next, halting);
}

KERNEL_HOT
static void switch_to(struct sched *s, struct thread *next)
{
	struct thread *prev = s->current;
	uint64_t now = arch_clock_ns_entry();

	prev->cpu_ns += now - prev->ran_since;  /* the unit's when reaped */
	next->ran_since = now;
	next->switches++;
	/* A preempted thread resumes the rest of its slice, not a new one:
	 * else frequent preemption would let it starve its equals. */
	next->slice_end = now + (next->slice_left ? next->slice_left : SCHED_SLICE_NS);
	next->slice_left = 0;
	next->state = AION_THREAD_RUNNING;
	s->current = next;
	if (next->unit != prev->unit) {
		/* A kernel thread (idle) keeps the tables loaded, so a unit woken
		 * after an idle spell needs no CR3 write: under TCG each flushes
		 * the whole software TLB (docs/network.md). */
		if (next->unit)
			arch_vm_activate(next->unit);
		arch_io_load(next->unit);
	}
	arch_thread_switch(prev, next);
	prev->switched_local = kernel_lock_local();
	prev = arch_switch(&prev->saved_rsp, next->saved_rsp, prev);
	sched_after_switch(prev);
}

/* Runs the best ready thread (or idle); current must already be queued or gone. */
KERNEL_HOT
static void pick_and_switch(struct sched *s)
{
	struct runq_link *l = runq_pop(&s->rq);
	struct thread *next = l ? rq_thread(l) : s->idle;

	if (next == s->current) {
		next->state = AION_THREAD_RUNNING;
		next->slice_end = arch_clock_ns_entry() + SCHED_SLICE_NS;
		rearm(s);
		return;
	}
	switch_to(s, next);
}

KERNEL_HOT
void sched_after_switch(struct thread *prev)
{
	struct sched *s = arch_cpu_sched();

	/* A thread switched out under the lock goes on under it, even when
	 * a local CPU switched to it (docs/smp.md). */
	if (kernel_lock_local() && !s->current->switched_local)
		kernel_lock();

	if (s->evicting) {
		/* Off the dead thread's stack: its evicter may free it now, and
		 * this idle thread goes on where it was switched out, as the
		 * holder of the lock it then held. */
		s->evicting = false;
		arch_cpu_evict_done();
		kernel_lock();
		arch_irq_after_eviction();
		rearm(s);
		return;
	}
	if (prev != s->idle && prev->state == AION_THREAD_DEAD)
		thread_reap(prev);
	rearm(s);
}

KERNEL_HOT
void sched_ready(struct thread *t)
{
	struct sched *s = sched_of(t);

	t->state = AION_THREAD_READY;
	t->ready_since = arch_clock_ns_entry();
	runq_push_back(&s->rq, &t->rq, t->prio);
	if (s->current == s->idle || t->prio > s->current->prio)
		poke(s, t->cpu);
	else if (t->prio == s->current->prio && sched_cpus == 1)
		rearm(s);               /* an equal waits: the slice's end counts */
}

void sched_unqueue(struct thread *t)
{
	struct sched *s = sched_of(t);

	if (runq_queued(&t->rq))
		runq_remove(&s->rq, &t->rq);
	sleepq_remove(&s->sleepers, &t->sleep);
}

KERNEL_HOT
void sched_set_prio(struct thread *t, unsigned prio)
{
	struct sched *s = sched_of(t);

	if (runq_queued(&t->rq)) {
		runq_remove(&s->rq, &t->rq);
		runq_push_back(&s->rq, &t->rq, prio);
	}
	t->prio = prio;
	/* A raised waiter or a lowered runner may change who should run:
	 * also across CPUs (priority inheritance, docs/smp.md). */
	poke(s, t->cpu);
}

/* The current thread goes on its CPU's queue (another's if it was moved). */
KERNEL_HOT
static void requeue_current(struct thread *cur, bool front)
{
	struct sched *q = sched_of(cur);

	cur->state = AION_THREAD_READY;
	cur->ready_since = arch_clock_ns_entry();
	if (front)
		runq_push_front(&q->rq, &cur->rq, cur->prio);
	else
		runq_push_back(&q->rq, &cur->rq, cur->prio);
	if (cur->cpu != arch_cpu_id())
		poke(q, cur->cpu);
}

/* The current thread sleeps until deadline on its CPU's sleepers. */
KERNEL_HOT
static int sleep_current(struct thread *cur, uint64_t deadline_ns)
{
	struct sched *q = sched_of(cur);
	int err = sleepq_insert(&q->sleepers, &cur->sleep, deadline_ns);

	if (!err && cur->cpu != arch_cpu_id())
		poke(q, cur->cpu);      /* its timer must know */
	return err;
}

KERNEL_HOT
void sched_yield(void)
{
	struct sched *s = arch_cpu_sched();

	requeue_current(s->current, false);
	pick_and_switch(s);
}

int sched_sleep_until(uint64_t deadline_ns)
{
	struct sched *s = arch_cpu_sched();
	struct thread *cur = s->current;

	if (deadline_ns <= arch_clock_ns())
		return 0;
	int err = sleep_current(cur, deadline_ns);
	if (err)
		return err;
	cur->wake_result = 0;           /* -AION_EINTR if interrupted (upcall.c) */
	cur->state = AION_THREAD_SLEEPING;
	pick_and_switch(s);
	return (int)cur->wake_result;
}

void sched_block(void)
{
	pick_and_switch(arch_cpu_sched());
}

KERNEL_HOT
int64_t sched_block_current(uint64_t deadline_ns)
{
	struct sched *s = arch_cpu_sched();
	struct thread *cur = s->current;

	cur->wake_result = 0;
	/* Capacity is the thread count, so a blocked thread always fits. */
	if (deadline_ns && sleep_current(cur, deadline_ns))
		return -AION_ENOSPC;
	cur->state = AION_THREAD_BLOCKED;
	pick_and_switch(s);
	return cur->wake_result;
}

KERNEL_HOT
void sched_wake(struct thread *t, int64_t result)
{
	if (t->state != AION_THREAD_BLOCKED)
		return;
	t->wake_result = result;
	sleepq_remove(&sched_of(t)->sleepers, &t->sleep);
	sched_ready(t);
}

KERNEL_HOT
void sched_wake_here(struct thread *t, int64_t result)
{
	unsigned me = arch_cpu_id();

	/* Tested here, not in sched_set_cpu, whose code is off the hot pages:
	 * after a CR3 write under TCG each code page costs a TLB fill and its
	 * blocks a lookup (docs/network.md). */
	if (t->state == AION_THREAD_BLOCKED && !t->pinned && t->cpu != me)
		sched_set_cpu(t, me);
	sched_wake(t, result);
}

/*
 * A signal's waiter comes to the signalling CPU when nothing waits there:
 * it runs as soon as the signaller blocks (or at once on an idle CPU's
 * interrupt), with no IPI. A device's interrupt, its driver and the
 * server the driver signals so gather on the CPU the interrupts go to
 * (an idle 2-CPU node with them split cost 17% more host CPU than one of
 * one CPU, docs/smp.md); a busy CPU leaves the waiter where it is.
 */
KERNEL_HOT
void sched_wake_near(struct thread *t, int64_t result)
{
	if (runq_highest(&arch_cpu_sched()->rq) < 0)
		sched_wake_here(t, result);
	else
		sched_wake(t, result);
}

KERNEL_HOT
void sched_timer(void)
{
	struct sched *s = arch_cpu_sched();
	uint64_t now = arch_clock_ns();
	struct sleepq_entry *e;

	if (!s->current)
		return;                 /* before sched_init: the boot probe */
	/* Bounded by the number of threads: each sleeper is woken once. */
	while ((e = sleepq_first(&s->sleepers)) && e->deadline <= now) {
		struct thread *t = sleep_thread(e);
		sleepq_remove(&s->sleepers, e);
		if (t->state == AION_THREAD_BLOCKED) {
			ipc_timed_out(t);
			t->wake_result = -AION_ETIMEDOUT;
		}
		sched_ready(t);
	}
	s->need_resched = true;         /* also settles a slice that ended */
}

/*
 * Load balancing (docs/smp.md): a CPU whose first waiting thread has
 * waited a whole slice asks one idle CPU, at most once a slice, to take
 * work (steal). A running thread is never moved; a thread that waits
 * less (a call's server, run at once in its blocked caller's place; a
 * burst of wake-ups) stays: moving it would turn its calls into calls
 * across CPUs, each an IPI (an idle cluster of 2-CPU nodes spread that
 * way cost 18% more host CPU than one of 1-CPU nodes).
 */
KERNEL_HOT
static void balance(struct sched *s)
{
	int top = runq_highest(&s->rq);

	if (top < 0)                    /* the common case: read no clock */
		return;
	uint64_t now = arch_clock_ns();
	unsigned me = arch_cpu_id();
	if (now - s->kicked_ns < SCHED_SLICE_NS ||
	    now - rq_thread(s->rq.head[top].next)->ready_since < SCHED_SLICE_NS)
		return;
	for (unsigned c = 0; c < CPU_MAX; c++) {
		if (c == me || !arch_cpu_online(c))
			continue;
		struct sched *o = arch_cpu_sched_of(c);
		if (o->current == o->idle && !o->rq.count) {
			s->kicked_ns = now;
			poke(o, c);
			return;
		}
	}
}

#define STEAL_SCAN      16              /* links looked at per CPU: bounded */

/* The best unpinned ready thread of q that has waited a whole slice,
 * among the first STEAL_SCAN, or NULL: the rule balance() asks by. One
 * that waited less is about to run where it is; taken, it would talk to
 * the threads it left across CPUs, each wake-up an IPI to a halted CPU. */
static struct thread *stealable(struct runq *q, uint64_t now)
{
	unsigned seen = 0;

	for (int p = RUNQ_LEVELS - 1; p >= 0 && seen < STEAL_SCAN; p--) {
		if (!(q->bitmap[p / 64] >> (p % 64) & 1))
			continue;
		for (struct runq_link *l = q->head[p].next; l != &q->head[p] && seen < STEAL_SCAN;
		     l = l->next, seen++)
			if (!rq_thread(l)->pinned &&
			    now - rq_thread(l)->ready_since >= SCHED_SLICE_NS)
				return rq_thread(l);
	}
	return NULL;
}

/* An idle CPU with nothing queued takes the best ready thread it may. */
static void steal(struct sched *s)
{
	struct thread *best = NULL;
	unsigned me = arch_cpu_id();

	if (s->rq.count)
		return;
	uint64_t now = arch_clock_ns();
	for (unsigned c = 0; c < CPU_MAX; c++) {
		if (c == me || !arch_cpu_online(c))
			continue;
		struct thread *t = stealable(&arch_cpu_sched_of(c)->rq, now);
		if (t && (!best || t->prio > best->prio))
			best = t;
	}
	if (best)
		sched_set_cpu(best, me);
}

KERNEL_HOT
bool sched_quiet(void)
{
	struct sched *s = arch_cpu_sched();

	return !s->need_resched && runq_highest(&s->rq) < 0;
}

KERNEL_HOT
void sched_preempt_point(void)
{
	struct sched *s = arch_cpu_sched();
	struct thread *cur = s->current;

	if (cur)
		balance(s);
	if (!s->need_resched || !cur)
		return;
	s->need_resched = false;
	if (cur != s->idle && cur->cpu != arch_cpu_id()) {
		requeue_current(cur, true);     /* moved to another CPU */
		pick_and_switch(s);
		return;
	}
	int top = runq_highest(&s->rq);
	if (cur == s->idle) {
		if (top >= 0)
			pick_and_switch(s);
		else
			rearm(s);
		return;
	}
	uint64_t now = arch_clock_ns();
	bool slice_over = now >= cur->slice_end;
	if (top > (int)cur->prio && !slice_over) {
		/* Preempted mid-slice: keep its place at the head of its priority. */
		cur->slice_left = cur->slice_end - now;
		requeue_current(cur, true);
		pick_and_switch(s);
	} else if (top > (int)cur->prio || (top == (int)cur->prio && slice_over)) {
		/* Slice used up: behind its equals. */
		requeue_current(cur, false);
		pick_and_switch(s);
	} else {
		if (slice_over)
			cur->slice_end = now + SCHED_SLICE_NS;
		rearm(s);
	}
}

/*
 * The lock is dropped only to halt: a kick that comes between the unlock
 * and the halt waits in the APIC and ends the halt at once.
 */
KERNEL_HOT
void sched_idle_loop(void)
{
	struct sched *s = arch_cpu_sched();

	for (;;) {
		kernel_lock();
		steal(s);
		s->need_resched = true;
		sched_preempt_point();
		kernel_unlock();
		arch_idle();
	}
}

void sched_set_cpu(struct thread *t, unsigned cpu)
{
	struct sched *from = sched_of(t);

	if (t->cpu == cpu)
		return;
	bool queued = runq_queued(&t->rq);
	bool asleep = t->sleep.index >= 0;
	uint64_t deadline = t->sleep.deadline;
	if (queued)
		runq_remove(&from->rq, &t->rq);
	if (asleep)
		sleepq_remove(&from->sleepers, &t->sleep);
	unsigned old = t->cpu;
	t->cpu = cpu;
	struct sched *to = sched_of(t);
	if (queued)
		runq_push_back(&to->rq, &t->rq, t->prio);
	/* Capacity is the thread count: a sleeper always fits. */
	if (asleep && sleepq_insert(&to->sleepers, &t->sleep, deadline))
		klog("sched lost sleeper thread=%u", t->id);
	if (queued || asleep)
		poke(to, cpu);
	if (from->current == t)
		poke(from, old);        /* it puts t away at its preemption point */
}

void sched_evict(struct thread *t)
{
	unsigned me = arch_cpu_id();

	for (unsigned c = 0; c < CPU_MAX; c++)
		if (c != me && arch_cpu_online(c) && arch_cpu_sched_of(c)->current == t)
			arch_cpu_evict(c);
}

/*
 * Runs on the evicted CPU without the big lock, which its evicter holds:
 * it touches only this CPU's own state, and the dead thread's saved
 * stack pointer, which the evicter keeps until arch_cpu_evict_done.
 */
void sched_evicted(void)
{
	struct sched *s = arch_cpu_sched();
	struct thread *prev = s->current, *idle = s->idle;

	if (prev == idle) {             /* nothing to leave */
		arch_cpu_evict_done();
		return;
	}
	s->current = idle;
	s->evicting = true;
	idle->state = AION_THREAD_RUNNING;
	idle->ran_since = arch_clock_ns();
	arch_vm_activate(NULL);
	arch_io_load(NULL);
	arch_switch(&prev->saved_rsp, idle->saved_rsp, prev);
	__builtin_unreachable();
}
