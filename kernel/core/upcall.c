/*
 * Upcalls (aion/upcall.h): THREAD_INTERRUPT, UPCALL_SET, UPCALL_RETURN,
 * and the check every return to user mode makes. The kernel keeps three
 * words per thread (entry, pending bits, masked) and never queues more:
 * bits merge, so nothing here allocates or loops over user counts.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/upcall.h"
#include "arch.h"
#include "endpoint.h"
#include "futex.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"
#include "hot.h"

/*
 * Cuts t's blocking call short with -AION_EINTR where no message can be
 * lost: a sleep, a futex wait, a wait on a notification, a receive, and
 * a call still queued for a receiver (not delivered: it leaves the queue,
 * so it is never taken later). A call a server took (IPC_REPLY) runs to
 * its reply; the upcall follows it.
 */
static void interrupt_blocked(struct thread *t)
{
	if (t->state == AION_THREAD_SLEEPING) {
		sched_unqueue(t);
		t->wake_result = -AION_EINTR;
		sched_ready(t);
		return;
	}
	if (t->state != AION_THREAD_BLOCKED)
		return;                 /* running or ready: the upcall comes on its way out */
	if (t->futex.queued) {
		futex_thread_gone(t);
		sched_wake(t, -AION_EINTR);
		return;
	}
	if (t->ipc_state == IPC_SEND || t->ipc_state == IPC_RECV || t->ipc_state == IPC_WAIT) {
		ipc_timed_out(t);       /* leaves its queue or its notification */
		sched_wake(t, -AION_EINTR);
	}
}

KERNEL_HOT
int64_t upcall_on_return(struct thread *t, int64_t rax)
{
	if (!t->upcall.pending || t->upcall.masked || !t->upcall.entry ||
	    t->state == AION_THREAD_DEAD)
		return rax;
	uint64_t bits = t->upcall.pending, at;
	/* Not the bits' sign: bit 63 is signal 64's (SIGRTMAX). */
	if (arch_upcall_enter(t, rax, t->upcall.entry, bits, NULL, &at)) {
		/* The stack cannot take the context: the unit ends, as on a
		 * page fault there; the kernel goes on. */
		thread_user_fault(14, "#PF", 0, at, t->upcall.entry);
		return rax;             /* not reached */
	}
	t->upcall.pending = 0;
	t->upcall.masked = true;
	return (int64_t)bits;           /* the entry's rax */
}

/*
 * The vectors a thread's own instruction raises, which its entry may
 * handle: #DE #DB #BP #OF #BR #UD #NM #TS #NP #SS #GP #PF #MF #AC #XM.
 * Never NMI, #DF, #MC (the machine's, not the thread's) nor the reserved.
 */
#define FAULT_VECTORS   ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) | \
			 (1u << 6) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 12) | \
			 (1u << 13) | (1u << 14) | (1u << 16) | (1u << 17) | (1u << 19))

/*
 * A fault while masked (in the entry, before it unmasked) ends the unit:
 * the entry itself is broken, and entering it again would only fault
 * again. A handler that returns to an instruction that faults again
 * loops through here, but each round returns to user mode, where the
 * timer preempts it: it costs its own unit's time, never the node's.
 */
bool upcall_on_fault(struct thread *t, int64_t rax, uint32_t vector, uint64_t err,
		     uint64_t addr)
{
	if (!(t->upcall.flags & AION_UPCALL_FAULTS) || t->upcall.masked || !t->upcall.entry ||
	    vector >= 32 || !(FAULT_VECTORS & (1u << vector)) || t->state == AION_THREAD_DEAD)
		return false;
	struct upcall_fault f = { .vector = vector, .addr = addr, .error = err };
	uint64_t at;
	if (arch_upcall_enter(t, rax, t->upcall.entry, 0, &f, &at))
		return false;           /* the stack cannot take it: as without the flag */
	t->upcall.masked = true;
	return true;
}

/* --- system calls: decode and check, then act --- */

int64_t sys_thread_interrupt(const struct sys_args *a)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	if (err)
		return err;
	if (!a->a1)
		return -AION_EINVAL;
	if (t->state == AION_THREAD_DEAD)
		return -AION_EDEAD;
	if (!t->upcall.entry)
		return -AION_ENOENT;
	t->upcall.pending |= a->a1;
	if (!t->upcall.masked)
		interrupt_blocked(t);
	return 0;
}

int64_t sys_upcall_set(const struct sys_args *a)
{
	if (a->a0 && (a->a0 < AION_USER_MIN || a->a0 >= AION_USER_END))
		return -AION_EFAULT;
	if (a->a1 & ~(uint64_t)AION_UPCALL_FLAGS_ALL)
		return -AION_EINVAL;
	struct thread *t = sched_current();
	t->upcall.entry = a->a0;
	t->upcall.flags = (uint32_t)a->a1;
	return 0;
}

int64_t sys_upcall_return(const struct sys_args *a)
{
	struct thread *t = sched_current();
	struct aion_upcall_context c;

	if (!a->a0) {
		t->upcall.masked = false;
		return 0;
	}
	int err = copy_from_user(&c, a->a0, sizeof(c));
	if (err)
		return err;
	/* Every rip and rsp the frame takes must be a user-half address:
	 * iretq to a non-canonical one would fault in the kernel. */
	if (c.magic != AION_UPCALL_MAGIC || c.rip < AION_USER_MIN || c.rip >= AION_USER_END ||
	    c.rsp >= AION_USER_END)
		return -AION_EINVAL;
	arch_upcall_restore(t, &c);
	t->upcall.masked = false;
	return (int64_t)c.rax;          /* what rax holds when it resumes */
}
