/*
 * Threads: a kernel stack (two pages behind two guard pages, charged to
 * the unit), a saved user context at the top of it, a priority and the
 * scheduler's links.
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <stdint.h>
#include <stdbool.h>
#include "kobj.h"
#include "runq.h"
#include "sleepq.h"

struct unit;

#define THREAD_MAX      512             /* kernel stack slots */

struct thread {
	struct kobj obj;
	struct unit *unit;              /* referenced; NULL for the idle thread */
	struct thread *unit_next;
	uint32_t id;
	uint32_t state;                 /* enum aion_thread_state */
	uint32_t prio;
	int32_t exit_code;
	struct runq_link rq;
	struct sleepq_entry sleep;
	uint64_t kstack_top;            /* 0 once reaped */
	uint64_t saved_rsp;
	uint64_t cpu_ns, switches, ran_since, slice_end;
	uint64_t slice_left;            /* rest of the slice when preempted */
};

int thread_create(struct unit *u, uint64_t entry, uint64_t stack_top,
		  uint64_t arg, unsigned prio, struct thread **out);
int thread_start(struct thread *t);
int thread_set_priority(struct thread *t, unsigned prio);

/* The running thread leaves for good; does not return. */
void thread_exit_current(int32_t code);

/* Marks t dead and takes it off every queue (the unit is ending). */
void thread_kill(struct thread *t);

/* Frees the kernel stack of a dead thread and unlinks it from its unit. */
void thread_reap(struct thread *t);

void thread_release(struct thread *t);

/* The running thread faulted in user mode: end its unit, switch away. */
void thread_user_fault(uint32_t vector, const char *name, uint64_t err,
		       uint64_t addr, uint64_t rip);

#endif /* KERNEL_THREAD_H */
