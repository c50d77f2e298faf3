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
struct endpoint;
struct reply;
struct notification;
struct memobj;

enum ipc_state {
	IPC_NONE = 0,
	IPC_SEND,               /* a call waiting for a receiver */
	IPC_RECV,               /* waiting for a call (or a bound signal) */
	IPC_REPLY,              /* a call taken, waiting for the reply */
	IPC_WAIT,               /* waiting on a notification */
};

#define THREAD_MAX      2048            /* kernel stack slots */

struct thread {
	struct kobj obj;
	struct unit *unit;              /* referenced; NULL for the idle thread */
	struct thread *unit_next;
	uint32_t id;
	uint32_t state;                 /* enum aion_thread_state */
	uint32_t prio;                  /* effective: base or inherited */
	uint32_t base_prio;
	uint32_t cpu;                   /* whose queues it is on (docs/smp.md) */
	bool pinned;                    /* put there by THREAD_SET_CPU: never balanced */
	uint64_t ready_since;           /* when it last joined a run queue */
	int32_t exit_code;
	struct runq_link rq;
	struct sleepq_entry sleep;
	uint64_t kstack_top;            /* 0 once reaped */
	uint64_t saved_rsp;
	bool switched_local;            /* switched out locally, without the lock */
	uint64_t cpu_ns, switches, ran_since, slice_end;
	uint64_t syscalls;              /* made (its unit's count when reaped) */
	uint64_t slice_left;            /* rest of the slice when preempted */
	int64_t wake_result;            /* what a blocking call returns */
	struct kobj *revoking;          /* its cut CAP_REVOKE's object, referenced */
	struct {                        /* its cut ANON_MAP or ANON_UNMAP (anonmap.c) */
		struct unit *unit;      /* referenced; NULL: none */
		uint64_t va, len, done;
		unsigned call;          /* AION_SYS_ANON_MAP or AION_SYS_ANON_UNMAP */
		unsigned prot;          /* a map's */
		bool missing;           /* an unmap's: a page was not mapped */
	} anon;
	struct {                        /* its cut MEMORY_CREATE (memobj.c) */
		struct memobj *mo;      /* referenced, not installed; NULL: none */
		unsigned want;          /* pages asked for */
	} mocreate;
	struct unit *destroying;        /* its cut UNIT_DESTROY's unit, referenced */
	struct unit *reap;              /* orphans it destroys, cut (unit_destroy.c) */
	int64_t reap_result;            /* what its call returns once they are gone */

	/* IPC (endpoint.c, notification.c) */
	uint32_t ipc_state;
	bool ipc_grant;                 /* staged call may carry capabilities */
	struct endpoint *ipc_ep;        /* queued on, referenced */
	struct thread *ipc_next, *ipc_prev;
	uint64_t ipc_tag, ipc_w[3], ipc_badge;  /* staged call while IPC_SEND */
	uint64_t call_seq;              /* bumped per call: replies must match */
	struct thread *reply_to;        /* server side: caller to answer, referenced */
	uint64_t reply_seq;
	bool reply_lost;                /* server side: that caller gave up (EDEAD) */
	/* Caller side, while IPC_REPLY: the one holder of a reference to us,
	 * a server thread (its reply_to) or a saved reply (endpoint.c). */
	struct thread *answerer;
	struct reply *answer_rp;
	uint64_t ipc_buffer;            /* user address of struct aion_ipc_buffer */
	struct notification *bound;     /* referenced */
	struct notification *waiting_on;

	uint64_t fs_base;               /* THREAD_SET_TLS: loaded when it runs */
	struct {                        /* FUTEX_WAIT (futex.c) */
		uint64_t addr;          /* the word's key (futex.c): an address */
		uint32_t unit_id;       /* t->unit's id, or 0: addr is physical */
		struct thread *next, *prev;
		bool queued;            /* on a wait chain */
	} futex;
	struct {                        /* upcalls (upcall.c, aion/upcall.h) */
		uint64_t entry;         /* 0: none registered */
		uint64_t pending;       /* bits not yet given to the entry */
		uint32_t flags;         /* AION_UPCALL_FAULTS */
		bool masked;            /* in an entry until UPCALL_RETURN */
	} upcall;
};

/* Boot: page tables for every kernel stack slot. */
int thread_init(void);

int thread_create(struct unit *u, uint64_t entry, uint64_t stack_top,
		  uint64_t arg, unsigned prio, struct thread **out);
int thread_start(struct thread *t);

/* The running thread leaves for good; does not return. */
void thread_exit_current(int32_t code);

/* Marks t dead and takes it off every queue (the unit is ending). */
void thread_kill(struct thread *t);
/* Drops the mark t's cut CAP_REVOKE left on its object, if any (captable.c). */
void cap_revoke_unmark(struct thread *t);
/* t's cut ANON_MAP or ANON_UNMAP, if any: abandon unmaps what a map had
 * mapped (t made another call), dropped leaves it to the unit (t died)
 * (anonmap.c). */
void anon_map_abandon(struct thread *t);
void anon_map_dropped(struct thread *t);

/* Frees the kernel stack of a dead thread and unlinks it from its unit. */
void thread_reap(struct thread *t);

void thread_release(struct thread *t);

/*
 * The running thread t returns to user mode with rax: if bits are pending
 * for its upcall entry (upcall.c), it enters it; the rax it enters with.
 */
int64_t upcall_on_return(struct thread *t, int64_t rax);

/*
 * The running thread t faulted in user mode (rax: its register then):
 * if it asked for fault upcalls and may take one now, it enters its
 * entry with the fault in its context (true); false: nothing changed,
 * its unit must end (upcall.c).
 */
bool upcall_on_fault(struct thread *t, int64_t rax, uint32_t vector, uint64_t err,
		     uint64_t addr);

/* The running thread faulted in user mode: end its unit, switch away. */
void thread_user_fault(uint32_t vector, const char *name, uint64_t err,
		       uint64_t addr, uint64_t rip);

#endif /* KERNEL_THREAD_H */
