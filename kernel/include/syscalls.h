/*
 * System call handlers. Each call of aion/syscall.h's list has one,
 * int64_t sys_<name>(const struct sys_args *a), in the file of the object
 * it acts on (kernel/core/endpoint.c holds sys_call, sys_recv, ...);
 * syscall.c's table and the prototypes below come from the list. A
 * handler decodes and checks every argument, handle and right first, then
 * acts (decode, then invoke), and reads user memory only through
 * usercopy.h.
 */
#ifndef KERNEL_SYSCALLS_H
#define KERNEL_SYSCALLS_H

#include <stdint.h>
#include "aion/syscall.h"
#include "handle.h"
#include "sched.h"
#include "thread.h"
#include "unit.h"

/* The arguments in register order (rdi rsi rdx r10 r8 r9 on x86_64). */
struct sys_args {
	uint64_t a0, a1, a2, a3, a4, a5;
};
_Static_assert(sizeof(struct sys_args) == 6 * 8, "the entry stub pushes six words");

#define SYS_PROTOTYPE(NAME, name, num, args, use, doc) \
	int64_t sys_##name(const struct sys_args *a);
AION_SYSCALLS(SYS_PROTOTYPE)
#undef SYS_PROTOTYPE

/*
 * A handler's result that is no result: the call has done a chunk of its
 * work, kept its progress in the object, and an interrupt is pending;
 * dispatch returns to user mode with the same `syscall` to run again, so
 * the interrupt is taken and the call continues (seL4's preemption
 * points). Never reaches a unit: below every AION_E... error.
 */
#define SYS_RESTART     (-4095)

/* From the entry stub: runs call n, returns its result (-AION_ENOSYS if unknown). */
int64_t syscall_dispatch(uint64_t n, const struct sys_args *a);

static inline struct unit *self_unit(void)
{
	return sched_current()->unit;
}

/* A handle of the caller's table with type and rights checked. */
static inline int lookup_kobj(uint64_t h, uint32_t type, uint32_t need, struct kobj **obj)
{
	if (h > UINT32_MAX)
		return -AION_ECAP;
	return handle_lookup(&self_unit()->handles, (aion_handle_t)h, type, need, obj);
}

/*
 * The same into *out, a pointer of the object's own type (struct thread *,
 * struct endpoint *...), written as that type. Writing it through a
 * struct kobj ** instead breaks C's aliasing rules: once the kernel was
 * built with -flto, GCC inlined handle_lookup and kept the variable's old
 * value (THREAD_INFO answered for the caller: utest pi, 2026-12-07).
 */
#define lookup(h, type, need, out) ({                                         \
	struct kobj *lookup_obj_;                                             \
	int lookup_err_ = lookup_kobj((h), (type), (need), &lookup_obj_);     \
	if (!lookup_err_)                                                     \
		*(out) = (void *)lookup_obj_;                                 \
	lookup_err_;                                                          \
})

/* The caller's slot behind h with type and rights checked (for its badge or rights). */
static inline int lookup_slot(uint64_t h, uint32_t type, uint32_t need,
			      struct handle_slot **out)
{
	struct handle_slot *s = h > UINT32_MAX ? NULL :
		handle_slot_of(&self_unit()->handles, (aion_handle_t)h);
	int err = handle_check(s, type, need);

	if (!err)
		*out = s;
	return err;
}

/* Puts a new object in the caller's table; the table takes the reference. */
int64_t install(struct kobj *o, uint32_t rights);

/* SYSTEM_INFO's realtime_boot_ns (main.c, from `aion.clock=`). */
extern uint64_t realtime_boot_ns;

/* An absolute deadline from a relative timeout (0: none). */
uint64_t deadline_after(uint64_t timeout_ns);

#endif /* KERNEL_SYSCALLS_H */
