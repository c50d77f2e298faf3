/*
 * The big kernel lock: a ticket lock (docs/smp.md). A CPU that waits
 * keeps its ticket in waiting[] so that, if it is evicted from the
 * thread it waited on (sched_evicted), its idle thread waits on the same
 * ticket instead of leaving it unserved forever.
 *
 * A waiter spins a little, then naps (halts until an IPI): a node's
 * vCPUs may outnumber the host's cores, and a spinner would take the
 * core the holder needs (8 fuzzers on 4 vCPUs over 2 host cores made no
 * progress in 90 s). The unlocker wakes the next ticket's CPU if it naps;
 * napping is announced before serving is read again, and serving written
 * before napping is read (sequentially consistent both), so one of the
 * two sees the other: no wake-up is lost.
 *
 * A CPU may also be in the kernel *locally* (kernel_lock_try_local):
 * without the lock, for a call between two threads of its own
 * (endpoint.c: ipc_local). Local CPUs exclude the holder and not each
 * other, as the readers of a reader-writer lock, but a local CPU never
 * waits in the kernel: it announces itself in local[], then looks for
 * a holder or a waiter (a ticket handed out); the holder takes its
 * ticket, then, once served, waits until no CPU is local. Both sides
 * write before they read (sequentially consistent), so one of the two
 * sees the other: either the local CPU backs off to kernel_lock, or the
 * holder waits for it to leave, which it does within one bounded path.
 */
#include <stdint.h>
#include "arch.h"
#include "klock.h"
#include "hot.h"

static struct {
	uint32_t next;                  /* the next ticket to hand out */
	uint32_t serving;               /* the ticket that holds the lock */
	int32_t owner;                  /* the holder's CPU, -1 if none */
} bkl = { 0, 0, -1 };

#define NAP_SPINS       200
#define LOCAL_SPINS     1000            /* then it queues for the lock */

static struct {
	uint32_t ticket;
	bool valid;
	bool napping;
} waiting[CPU_MAX];

/* In the kernel without the lock; a line each, as each CPU writes its own. */
static struct {
	bool on;
} __attribute__((aligned(64))) local[CPU_MAX];

/* Set once, before the first other CPU starts: until then there is no
 * one to exclude, and a node of one CPU never pays for the lock. */
static bool smp;

void kernel_lock_start(void)
{
	smp = true;
	kernel_lock();
}

bool kernel_lock_held(void)
{
	return __atomic_load_n(&bkl.owner, __ATOMIC_RELAXED) == (int32_t)arch_cpu_id();
}

/* No CPU holds the lock or waits for it. */
static bool lock_free(void)
{
	return __atomic_load_n(&bkl.next, __ATOMIC_SEQ_CST) ==
	       __atomic_load_n(&bkl.serving, __ATOMIC_SEQ_CST);
}

KERNEL_HOT
bool kernel_lock_try_local(void)
{
	unsigned me = arch_cpu_id();

	if (!smp)
		return false;
	/* A short hold is waited out rather than queued behind: else two
	 * CPUs would take turns in the lock for good, each falling back
	 * because the other holds it. */
	for (unsigned spins = 0; spins < LOCAL_SPINS; spins++) {
		__atomic_store_n(&local[me].on, true, __ATOMIC_SEQ_CST);
		if (lock_free())
			return true;
		__atomic_store_n(&local[me].on, false, __ATOMIC_RELEASE);
		while (!lock_free() && ++spins < LOCAL_SPINS)
			arch_spin_wait();
	}
	return false;
}

KERNEL_HOT
bool kernel_lock_local(void)
{
	return __atomic_load_n(&local[arch_cpu_id()].on, __ATOMIC_RELAXED);
}

/* The new holder waits for the CPUs that were in locally before it. */
static void wait_local(unsigned me)
{
	for (unsigned c = 0; c < CPU_MAX; c++)
		while (c != me && __atomic_load_n(&local[c].on, __ATOMIC_SEQ_CST))
			arch_spin_wait();
}

KERNEL_HOT
void kernel_lock(void)
{
	unsigned me = arch_cpu_id();

	if (__atomic_load_n(&local[me].on, __ATOMIC_RELAXED))
		__atomic_store_n(&local[me].on, false, __ATOMIC_RELEASE);     /* leaves local */
	if (!smp || kernel_lock_held())
		return;
	if (!waiting[me].valid) {
		waiting[me].ticket = __atomic_fetch_add(&bkl.next, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&waiting[me].valid, true, __ATOMIC_RELEASE);
	}
	uint32_t ticket = waiting[me].ticket;
	for (unsigned spins = 0;
	     __atomic_load_n(&bkl.serving, __ATOMIC_ACQUIRE) != ticket; spins++) {
		/* An interrupt taken in the nap may have waited on this ticket
		 * itself and got the lock (its trap_dispatch), even switched
		 * threads and come back: the lock is this CPU's then. */
		if (kernel_lock_held())
			return;
		arch_spin_wait();
		if (spins < NAP_SPINS)
			continue;
		spins = 0;
		__atomic_store_n(&waiting[me].napping, true, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&bkl.serving, __ATOMIC_SEQ_CST) != ticket)
			arch_cpu_nap();
		__atomic_store_n(&waiting[me].napping, false, __ATOMIC_RELAXED);
	}
	if (kernel_lock_held())
		return;
	__atomic_store_n(&waiting[me].valid, false, __ATOMIC_RELAXED);
	__atomic_store_n(&bkl.owner, (int32_t)me, __ATOMIC_SEQ_CST);
	wait_local(me);
}

KERNEL_HOT
void kernel_unlock(void)
{
	uint32_t next = bkl.serving + 1;

	if (!smp)
		return;
	if (kernel_lock_local()) {
		__atomic_store_n(&local[arch_cpu_id()].on, false, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&bkl.owner, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&bkl.serving, next, __ATOMIC_SEQ_CST);
	for (unsigned c = 0; c < CPU_MAX; c++)
		if (__atomic_load_n(&waiting[c].valid, __ATOMIC_ACQUIRE) &&
		    waiting[c].ticket == next) {
			if (__atomic_load_n(&waiting[c].napping, __ATOMIC_SEQ_CST))
				arch_cpu_kick(c);
			return;
		}
}

bool kernel_lock_waiting(void)
{
	return smp && __atomic_load_n(&waiting[arch_cpu_id()].valid, __ATOMIC_RELAXED) &&
	       !kernel_lock_held();
}

bool kernel_lock_contended(void)
{
	return __atomic_load_n(&bkl.next, __ATOMIC_RELAXED) -
	       __atomic_load_n(&bkl.serving, __ATOMIC_RELAXED) > 1;
}
