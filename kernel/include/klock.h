/*
 * The big kernel lock (docs/smp.md): held by a CPU, not a thread, from
 * its entry into the kernel to its return to user mode; the idle loop
 * drops it to halt. A ticket lock: CPUs get it in the order they asked.
 */
#ifndef KERNEL_KLOCK_H
#define KERNEL_KLOCK_H

#include <stdbool.h>

/* The boot CPU, before it starts another: from now on the lock counts,
 * and the boot CPU holds it (into its idle loop). */
void kernel_lock_start(void);
/* Takes the lock unless this CPU holds it; serves TLB and eviction
 * requests while it waits (an evicted waiter keeps its ticket). */
void kernel_lock(void);
/* Leaves the kernel: drops the lock, or leaves local. */
void kernel_unlock(void);
/*
 * Enters without the lock if no CPU holds it (docs/smp.md, "The local
 * path"): true if so. Until kernel_unlock, this CPU may touch only what
 * is its own (its queues, its threads) and what it locks apart (an
 * endpoint); kernel_lock from here leaves local and waits for the lock.
 */
bool kernel_lock_try_local(void);
bool kernel_lock_local(void);           /* this CPU is in locally */
bool kernel_lock_held(void);
/* This CPU waits for the lock (an IPI woke it from its nap). */
bool kernel_lock_waiting(void);
/* Another CPU waits for the lock: a long operation should cut. */
bool kernel_lock_contended(void);

#endif /* KERNEL_KLOCK_H */
