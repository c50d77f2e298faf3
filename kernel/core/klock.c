/*
 * The big kernel lock: a ticket lock (docs/smp.md). A CPU that waits
 * keeps its ticket in waiting[] so that, if it is evicted from the
 * thread it waited on (sched_evicted), its idle thread waits on the same
 * ticket instead of leaving it unserved forever.
 */
#include <stdint.h>
#include "arch.h"
#include "klock.h"

static struct {
	uint32_t next;                  /* the next ticket to hand out */
	uint32_t serving;               /* the ticket that holds the lock */
	int32_t owner;                  /* the holder's CPU, -1 if none */
} bkl = { 0, 0, -1 };

static struct {
	uint32_t ticket;
	bool valid;
} waiting[CPU_MAX];

bool kernel_lock_held(void)
{
	return __atomic_load_n(&bkl.owner, __ATOMIC_RELAXED) == (int32_t)arch_cpu_id();
}

void kernel_lock(void)
{
	unsigned me = arch_cpu_id();

	if (kernel_lock_held())
		return;
	if (!waiting[me].valid) {
		waiting[me].ticket = __atomic_fetch_add(&bkl.next, 1, __ATOMIC_RELAXED);
		waiting[me].valid = true;
	}
	while (__atomic_load_n(&bkl.serving, __ATOMIC_ACQUIRE) != waiting[me].ticket)
		arch_spin_wait();
	waiting[me].valid = false;
	__atomic_store_n(&bkl.owner, (int32_t)me, __ATOMIC_RELAXED);
}

void kernel_unlock(void)
{
	__atomic_store_n(&bkl.owner, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&bkl.serving, bkl.serving + 1, __ATOMIC_RELEASE);
}

bool kernel_lock_contended(void)
{
	return __atomic_load_n(&bkl.next, __ATOMIC_RELAXED) -
	       __atomic_load_n(&bkl.serving, __ATOMIC_RELAXED) > 1;
}
