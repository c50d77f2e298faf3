/*
 * FUTEX_WAIT and FUTEX_WAKE. A fixed table of wait chains, each a FIFO
 * of threads linked through thread->futex, picked by a hash of the
 * word's key: (unit, address) for a word in the unit's own memory, (0,
 * physical address) for one in a memory object's page, which other
 * units may map too (a process-shared mutex or semaphore in a MAP_SHARED
 * mapping: docs/posix.md "Memory"). Nothing is allocated, and a chain holds at most every thread
 * that waits (THREAD_MAX), which bounds a wake's walk. A thread leaves its
 * chain when woken, when it comes back from a deadline, and when it dies
 * (thread_kill), so a destroyed unit leaves no link behind.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "futex.h"
#include "layout.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"

#define FUTEX_CHAINS    64              /* a power of two */

struct futex_chain {
	struct thread *head, *tail;
};

static struct futex_chain chains[FUTEX_CHAINS];

static struct futex_chain *chain_of(uint32_t unit_id, uint64_t addr)
{
	uint64_t k = ((uint64_t)unit_id << 32) ^ (addr >> 2);
	return &chains[(k * 0x9e3779b97f4a7c15ull) >> 58];     /* top 6 bits */
}

/* The key of the word at uaddr (mapped: the caller read it or checks). */
static int key_of(struct unit *u, uint64_t uaddr, uint32_t *unit_id, uint64_t *addr)
{
	uint64_t pa;
	bool owned;
	int err = arch_vm_translate(u, uaddr, false, &pa, &owned);
	if (err)
		return err;
	*unit_id = owned ? u->id : 0;
	*addr = owned ? uaddr : pa;
	return 0;
}

static void link_tail(struct futex_chain *c, struct thread *t)
{
	t->futex.next = NULL;
	t->futex.prev = c->tail;
	if (c->tail)
		c->tail->futex.next = t;
	else
		c->head = t;
	c->tail = t;
	t->futex.queued = true;
}

static void unlink(struct futex_chain *c, struct thread *t)
{
	if (t->futex.prev)
		t->futex.prev->futex.next = t->futex.next;
	else
		c->head = t->futex.next;
	if (t->futex.next)
		t->futex.next->futex.prev = t->futex.prev;
	else
		c->tail = t->futex.prev;
	t->futex.next = t->futex.prev = NULL;
	t->futex.queued = false;
}

void futex_thread_gone(struct thread *t)
{
	if (t->futex.queued)
		unlink(chain_of(t->futex.unit_id, t->futex.addr), t);
}

/* A futex word: 4-aligned (an atomic u32) in the user half. */
static int check_addr(uint64_t uaddr)
{
	if (uaddr & 3)
		return -AION_EINVAL;
	if (uaddr < AION_USER_MIN || uaddr > AION_USER_END - 4)
		return -AION_EFAULT;
	return 0;
}

int64_t sys_futex_wait(const struct sys_args *a)
{
	struct thread *t = sched_current();
	uint32_t word;

	int err = check_addr(a->a0);
	if (err)
		return err;
	/* The read and the link are one step under the kernel lock: a waker
	 * that changed the word before its FUTEX_WAKE cannot be missed. */
	if ((err = copy_from_user(&word, a->a0, sizeof(word))))
		return err;
	if (word != (uint32_t)a->a1)
		return -AION_EAGAIN;
	if (a->a2 && a->a2 <= arch_clock_ns())
		return -AION_ETIMEDOUT;
	if ((err = key_of(t->unit, a->a0, &t->futex.unit_id, &t->futex.addr)))
		return err;
	link_tail(chain_of(t->futex.unit_id, t->futex.addr), t);
	int64_t r = sched_block_current(a->a2);
	futex_thread_gone(t);           /* a deadline or a full sleep queue */
	return r;
}

int64_t sys_futex_wake(const struct sys_args *a)
{
	struct unit *u = sched_current()->unit;
	uint32_t woken = 0, unit_id;
	uint64_t addr;

	int err = check_addr(a->a0);
	if (err)
		return err;
	/* A word not mapped has no waiter: none is woken, as before. */
	if (key_of(u, a->a0, &unit_id, &addr))
		return 0;
	struct futex_chain *c = chain_of(unit_id, addr);
	/* Bounded by the chain: at most every waiting thread. A thread whose
	 * deadline passed is still linked until it runs; it is not blocked,
	 * so it is passed over and the wake goes to one that still waits. */
	for (struct thread *t = c->head, *next; t && woken < (uint32_t)a->a1; t = next) {
		next = t->futex.next;
		if (t->futex.unit_id != unit_id || t->futex.addr != addr ||
		    t->state != AION_THREAD_BLOCKED)
			continue;
		unlink(c, t);
		sched_wake(t, 0);
		woken++;
	}
	return woken;
}
