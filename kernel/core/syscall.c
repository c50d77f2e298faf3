/*
 * System call dispatch, the decode helpers every handler uses, and the
 * calls that act on no object: the log, the clock, system information.
 * The path of a call: the entry stub (arch/x86_64/syscall.S) hands the
 * number and arguments to syscall_dispatch, which checks the number and
 * calls the handler the list in aion/syscall.h names, sys_<name> in the
 * file of its object.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "arch.h"
#include "endpoint.h"
#include "klock.h"
#include "kobj.h"
#include "log.h"
#include "memobj.h"
#include "memory.h"
#include "sched.h"
#include "syscalls.h"
#include "unit.h"
#include "usercopy.h"
#include "hot.h"

int64_t install(struct kobj *o, uint32_t rights)
{
	aion_handle_t h;
	int err = handle_alloc(&self_unit()->handles, o, rights, 0, NULL, &h);
	kobj_put(o);                    /* the creation reference */
	return err ? (int64_t)err : (int64_t)h;
}

/* Calls that returned SYS_RESTART since boot (SYSTEM_INFO shows it). */
static uint64_t syscall_restarts;

KERNEL_HOT
uint64_t deadline_after(uint64_t timeout_ns)
{
	return timeout_ns ? arch_clock_ns_entry() + timeout_ns : 0;
}

int64_t sys_debug_log(const struct sys_args *a)
{
	char msg[AION_LOG_MAX + 1];
	uint64_t len = a->a1;

	if (len > AION_LOG_MAX)
		return -AION_EINVAL;
	int err = copy_from_user(msg, a->a0, len);
	if (err)
		return err;
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	for (uint64_t i = 0; i < len; i++)      /* one event, one line */
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = '?';
	msg[len] = '\0';
	ulog(self_unit()->name, "%s", msg);
	return 0;
}

int64_t sys_clock_ns(const struct sys_args *a)
{
	(void)a;
	return (int64_t)arch_clock_ns();
}

int64_t sys_system_info(const struct sys_args *a)
{
	struct aion_system_info info = {
		.free_frames = memory_free_frames(),
		.total_frames = memory_total_frames(),
		.kernel_objects = kobj_live(),
		.uptime_ns = arch_clock_ns(),
		.time_slice_ns = SCHED_SLICE_NS,
		.idle_ns = sched_idle_ns_all(),
		.cpus = arch_cpus_count(),
		.idle_entries = sched_idle_entries_all(),
		.syscall_restarts = syscall_restarts,
		.realtime_boot_ns = realtime_boot_ns,
	};
	arch_clock_terms(&info.clock_base, &info.clock_mult);
	return copy_to_user(a->a0, &info, sizeof(info));
}

/*
 * Every slot is filled, so dispatch needs no NULL check: a number past
 * the array fails to compile, a number given twice too (-Woverride-init
 * under -Werror), and the count below rules out a hole.
 */
#define SYS_HANDLER(NAME, name, num, args, use, doc) [AION_SYS_##NAME] = sys_##name,
static int64_t (*const handlers[AION_SYS_COUNT])(const struct sys_args *) = {
	AION_SYSCALLS(SYS_HANDLER)
};
#undef SYS_HANDLER

#define SYS_ONE(NAME, name, num, args, use, doc) + 1
_Static_assert(0 AION_SYSCALLS(SYS_ONE) == AION_SYS_COUNT,
	       "aion/syscall.h: the numbers are 0..n-1, each once");
#undef SYS_ONE

/* Under the big lock: the call, and the work a cut call left behind. */
KERNEL_HOT
static int64_t dispatch_locked(struct thread *t, uint64_t n, const struct sys_args *a)
{
	int64_t r;

	kernel_lock();                  /* dropped on the way out (trap_return) */
	if (t->reap) {
		/* Its last call is done but for the orphans it was destroying. */
		r = unit_reap_continue(t);
	} else {
		if (t->revoking && n != AION_SYS_CAP_REVOKE)
			cap_revoke_unmark(t);   /* not back to its cut revoke: given up */
		if (t->anon.unit && n != t->anon.call)
			anon_map_abandon(t);    /* nor to its cut map: it never happened */
		if (t->destroying && n != AION_SYS_UNIT_DESTROY)
			unit_destroy_dropped(t);
		if (t->mocreate.mo && n != AION_SYS_MEMORY_CREATE)
			memobj_create_dropped(t);
		r = n < AION_SYS_COUNT ? handlers[n](a) : -AION_ENOSYS;
		if (unit_orphans)       /* units whose last outside handle went */
			r = unit_reap_orphans(t, r);
	}
	if (r == SYS_RESTART) {
		syscall_restarts++;
		r = arch_syscall_restart(t);
	}
	return r;
}

KERNEL_HOT
int64_t syscall_dispatch(uint64_t n, const struct sys_args *a)
{
	struct thread *t = sched_current();
	int64_t r;

	arch_clock_entry_begin();
	t->syscalls++;                  /* its own: no line shared between CPUs */
	bool cut = t->reap || t->revoking || t->anon.unit || t->destroying || t->mocreate.mo;
	if (cut || !ipc_local(n, a, &r))
		r = dispatch_locked(t, n, a);
	/* Come back locally (docs/smp.md): the lock, unless nothing is left
	 * to do but return. */
	if (kernel_lock_local() && (!sched_quiet() || t->upcall.pending))
		kernel_lock();
	sched_preempt_point();
	return upcall_on_return(t, r);
}
