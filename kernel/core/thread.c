/*
 * Thread lifecycle. A new thread's kernel stack is built so that the
 * first switch to it "returns" into thread_trampoline, which leaves for
 * user mode through the trap frame at the top of the stack. The system
 * calls on threads (THREAD_*, YIELD, SLEEP_UNTIL) are at the end.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "common/string.h"
#include "endpoint.h"
#include "futex.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "memobj.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"
#include "hot.h"

#define KSTACK_AREA     0xffffffffc0000000ull   /* the top 1 GiB */
#define KSTACK_PAGES    2
#define KSTACK_SLOT     (4 * PAGE_SIZE)         /* 2 guard pages below */

static uint16_t free_slots[THREAD_MAX];
static unsigned nfree_slots;
static bool slots_ready;

static uint64_t slot_top(uint32_t slot)
{
	return KSTACK_AREA + (uint64_t)(slot + 1) * KSTACK_SLOT;
}

static void kstack_free(struct unit *u, uint32_t slot)
{
	for (unsigned i = 0; i < KSTACK_PAGES; i++) {
		uint64_t pa = arch_vm_kunmap(slot_top(slot) - (i + 1) * PAGE_SIZE);
		if (pa)
			unit_frame_free(u, pa);
	}
	/* Other CPUs may still hold the stack's global translations: a
	 * stack later made in this slot must not reach the old frames. */
	arch_tlb_shootdown_kernel();
	free_slots[nfree_slots++] = (uint16_t)slot;
	u->stacks_used--;
}

static int kstack_alloc(struct unit *u, uint32_t *slot)
{
	if (!slots_ready) {
		for (unsigned i = 0; i < THREAD_MAX; i++)
			free_slots[i] = (uint16_t)(THREAD_MAX - 1 - i);
		nfree_slots = THREAD_MAX;
		slots_ready = true;
	}
	/* Its share first (unit.c: a child's is part of its parent's), so
	 * no unit can take every slot. */
	if (!nfree_slots || u->stacks_used >= u->stacks)
		return -AION_ENOSPC;
	*slot = free_slots[--nfree_slots];
	u->stacks_used++;
	for (unsigned i = 0; i < KSTACK_PAGES; i++) {
		int64_t pa = unit_frame_alloc(u);
		int err = pa < 0 ? (int)pa :
			  arch_vm_kmap(slot_top(*slot) - (i + 1) * PAGE_SIZE, (uint64_t)pa);
		if (err) {
			if (pa >= 0)
				unit_frame_free(u, (uint64_t)pa);
			kstack_free(u, *slot);
			return err;
		}
	}
	return 0;
}

int thread_init(void)
{
	return arch_vm_kreserve(KSTACK_AREA, (uint64_t)THREAD_MAX * KSTACK_SLOT);
}

int thread_create(struct unit *u, uint64_t entry, uint64_t stack_top,
		  uint64_t arg, unsigned prio, struct thread **out)
{
	if (prio > u->max_prio)
		return -AION_EPERM;
	if (entry < AION_USER_MIN || entry >= AION_USER_END ||
	    stack_top < AION_USER_MIN || stack_top > AION_USER_END)
		return -AION_EFAULT;
	if (u->state != AION_UNIT_RUNNING)
		return -AION_EDEAD;
	struct thread *t = kobj_alloc(AION_OBJ_THREAD, u);      /* its reference: the unit's list */
	if (!t)
		return -AION_ENOMEM;
	int err = kstack_alloc(u, &t->id);
	if (err) {
		kobj_free(&t->obj);
		return err;
	}
	t->unit = u;
	kobj_get(&u->obj);
	t->state = AION_THREAD_CREATED;
	t->prio = t->base_prio = prio;
	t->cpu = arch_cpu_id();         /* its creator's, until THREAD_SET_CPU */
	runq_link_init(&t->rq);
	sleepq_entry_init(&t->sleep);
	t->kstack_top = slot_top(t->id);
	arch_thread_init_context(t, entry, stack_top, arg);
	t->unit_next = u->threads;
	u->threads = t;
	*out = t;
	return 0;
}

int thread_start(struct thread *t)
{
	if (t->state != AION_THREAD_CREATED)
		return t->state == AION_THREAD_DEAD ? -AION_EDEAD : -AION_EBUSY;
	if (t->unit->state != AION_UNIT_RUNNING)
		return -AION_EDEAD;
	t->unit->live_threads++;        /* a unit lives while a started thread does */
	sched_ready(t);
	return 0;
}

static int thread_set_priority(struct thread *t, unsigned prio)
{
	if (prio > AION_PRIO_MAX || prio > t->unit->max_prio)
		return -AION_EPERM;
	if (t->state == AION_THREAD_DEAD)
		return -AION_EDEAD;
	bool inherited = t->prio != t->base_prio;
	t->base_prio = prio;
	if (!inherited || prio > t->prio)
		sched_set_prio(t, prio);
	return 0;
}

void thread_kill(struct thread *t)
{
	bool started = t->state != AION_THREAD_CREATED;

	cap_revoke_unmark(t);           /* it will never come back to its revoke */
	anon_map_dropped(t);            /* nor to its map: the unit ends */
	unit_destroy_dropped(t);        /* nor to its destroy */
	memobj_create_dropped(t);       /* nor to its MEMORY_CREATE */
	unit_reap_dropped(t);           /* its orphans go to another */
	if (t->state == AION_THREAD_DEAD)
		return;
	sched_evict(t);                 /* off any other CPU before it goes */
	sched_unqueue(t);
	ipc_thread_gone(t);
	futex_thread_gone(t);
	t->state = AION_THREAD_DEAD;
	if (started)
		unit_thread_gone(t->unit, t->exit_code);
}

void thread_exit_current(int32_t code)
{
	struct thread *t = sched_current();

	t->exit_code = code;
	thread_kill(t);
	sched_block();
}

void thread_reap(struct thread *t)
{
	struct unit *u = t->unit;

	if (!t->kstack_top)
		return;
	thread_kill(t);
	for (struct thread **pp = &u->threads; *pp; pp = &(*pp)->unit_next) {
		if (*pp == t) {
			*pp = t->unit_next;
			break;
		}
	}
	kstack_free(u, t->id);
	t->kstack_top = 0;
	u->cpu_ns += t->cpu_ns;         /* off the list: its counts go to the unit */
	u->syscalls += t->syscalls;
	kobj_put(&t->obj);              /* the unit's list reference */
}

void thread_release(struct thread *t)
{
	struct unit *u = t->unit;

	kobj_free(&t->obj);
	kobj_put(&u->obj);
}

void thread_user_fault(uint32_t vector, const char *name, uint64_t err,
		       uint64_t addr, uint64_t rip)
{
	struct thread *t = sched_current();
	struct unit *u = t->unit;

	if (unit_log_ok(u))
		klog("unit fault unit=%s id=%u thread=%u vector=%u name=%s err=0x%lx addr=0x%lx rip=0x%lx",
		     u->name, u->id, t->id, vector, name, (unsigned long)err,
		     (unsigned long)addr, (unsigned long)rip);
	u->fault_vector = vector;
	u->fault_addr = addr;
	unit_end(u, AION_UNIT_FAULTED, -AION_EFAULT);   /* tells its fault endpoint */
	/* Reap the others now; the faulting thread is reaped once off its stack. */
	for (struct thread *o = u->threads, *next; o; o = next) {
		next = o->unit_next;
		if (o != t)
			thread_reap(o);
	}
	sched_block();
}

/* --- system calls: decode and check, then the functions above act --- */

KERNEL_HOT
int64_t sys_yield(const struct sys_args *a)
{
	(void)a;
	sched_yield();
	return 0;
}

int64_t sys_sleep_until(const struct sys_args *a)
{
	return sched_sleep_until(a->a0);
}

int64_t sys_thread_exit(const struct sys_args *a)
{
	thread_exit_current((int32_t)a->a0);
	return 0;                       /* not reached */
}

int64_t sys_thread_create(const struct sys_args *a)
{
	struct unit *u;
	struct thread *t;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_CONTROL, &u);
	if (err)
		return err;
	if (a->a4 > AION_PRIO_MAX)
		return -AION_EINVAL;
	if ((err = thread_create(u, a->a1, a->a2, a->a3, (unsigned)a->a4, &t)))
		return err;
	aion_handle_t h;
	if ((err = handle_alloc(&self_unit()->handles, &t->obj, AION_RIGHTS_ALL, 0, NULL, &h))) {
		thread_reap(t);
		return err;
	}
	return h;
}

int64_t sys_thread_start(const struct sys_args *a)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	return err ? err : thread_start(t);
}

int64_t sys_thread_set_priority(const struct sys_args *a)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	if (err)
		return err;
	if (a->a1 > AION_PRIO_MAX)
		return -AION_EINVAL;
	return thread_set_priority(t, (unsigned)a->a1);
}

int64_t sys_thread_info(const struct sys_args *a)
{
	struct thread *t = sched_current();
	/* AION_HANDLE_SELF: the caller (a program's first thread holds no
	 * handle to itself; CLOCK_THREAD_CPUTIME_ID asks this way). */
	int err = a->a0 == AION_HANDLE_SELF ? 0 :
		  lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_READ, &t);
	if (err)
		return err;
	struct aion_thread_info info = {
		.state = t->state,
		.priority = t->prio,
		.cpu_ns = t->cpu_ns,
		.switches = t->switches,
		.exit_code = t->exit_code,
		.cpu = t->cpu,
	};
	if (t == sched_current())
		info.cpu_ns += arch_clock_ns() - t->ran_since;
	return copy_to_user(a->a1, &info, sizeof(info));
}

int64_t sys_thread_set_cpu(const struct sys_args *a)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	if (err)
		return err;
	if (a->a1 >= CPU_MAX || !arch_cpu_online((unsigned)a->a1))
		return -AION_EINVAL;
	if (t->state == AION_THREAD_DEAD)
		return -AION_EDEAD;
	t->pinned = true;
	sched_set_cpu(t, (unsigned)a->a1);
	return 0;
}

/*
 * A handle to the calling thread in its own unit's table, so its sibling
 * threads can interrupt it (the POSIX layer's per-thread signals). The
 * unit already runs this thread's code and owns its memory: the handle
 * gives it nothing it lacks. Not derived from the creator's handle: a
 * revoke of that one leaves it, and it dies with the unit's table.
 */
int64_t sys_thread_self(const struct sys_args *a)
{
	(void)a;
	struct thread *t = sched_current();
	aion_handle_t h;
	int err = handle_alloc(&t->unit->handles, &t->obj, AION_RIGHTS_ALL, 0, NULL, &h);
	return err ? (int64_t)err : (int64_t)h;
}

int64_t sys_thread_set_tls(const struct sys_args *a)
{
	struct thread *t = sched_current();
	/* AION_HANDLE_SELF: the calling thread, which holds no handle to
	 * itself (a program's first thread). */
	int err = a->a0 == AION_HANDLE_SELF ? 0 :
		  lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	if (err)
		return err;
	/* 0 or a user-half address: never a kernel one, never non-canonical
	 * (WRMSR would #GP in the kernel). */
	if (a->a1 >= AION_USER_END)
		return -AION_EFAULT;
	if (t->state == AION_THREAD_DEAD)
		return -AION_EDEAD;
	t->fs_base = a->a1;
	if (t == sched_current())
		arch_thread_tls_load(t);
	return 0;
}
