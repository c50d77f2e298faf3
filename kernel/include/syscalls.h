/*
 * System call handlers (core/syscall.c, sys_unit.c, sys_ipc.c). Each
 * decodes and checks everything first, then acts (decode, then invoke).
 */
#ifndef KERNEL_SYSCALLS_H
#define KERNEL_SYSCALLS_H

#include <stdint.h>
#include "handle.h"
#include "sched.h"
#include "thread.h"
#include "unit.h"

struct syscall_args {
	uint64_t a0, a1, a2, a3, a4, a5;        /* rdi rsi rdx r10 r8 r9 */
};

typedef int64_t (*syscall_fn)(const struct syscall_args *a);

static inline struct unit *self_unit(void)
{
	return sched_current()->unit;
}

/* A handle of the caller's table with type and rights checked. */
static inline int lookup(uint64_t h, uint32_t type, uint32_t need, void *obj)
{
	if (h > UINT32_MAX)
		return -AION_ECAP;
	return handle_lookup(&self_unit()->handles, (aion_handle_t)h, type, need,
			     (struct kobj **)obj);
}

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

/* An absolute deadline from a relative timeout (0: none). */
uint64_t deadline_after(uint64_t timeout_ns);

#define SYSCALL(name) int64_t sys_##name(const struct syscall_args *a)

SYSCALL(debug_log); SYSCALL(clock_ns); SYSCALL(system_info); SYSCALL(handle_close);
SYSCALL(yield); SYSCALL(sleep_until); SYSCALL(thread_exit); SYSCALL(thread_create);
SYSCALL(thread_start); SYSCALL(thread_set_priority); SYSCALL(thread_info);
SYSCALL(unit_create); SYSCALL(unit_destroy); SYSCALL(unit_info);
SYSCALL(mem_map); SYSCALL(mem_unmap); SYSCALL(mem_write);
SYSCALL(cap_copy); SYSCALL(cap_mint); SYSCALL(cap_revoke); SYSCALL(cap_info);
SYSCALL(endpoint_create); SYSCALL(call); SYSCALL(recv); SYSCALL(reply);
SYSCALL(reply_recv); SYSCALL(reply_save); SYSCALL(reply_to); SYSCALL(ipc_buffer);
SYSCALL(notify_create); SYSCALL(signal); SYSCALL(wait); SYSCALL(poll);
SYSCALL(notify_bind); SYSCALL(cap_give);
SYSCALL(memory_create); SYSCALL(memory_map); SYSCALL(memory_unmap); SYSCALL(memory_phys);
SYSCALL(device_memory); SYSCALL(ioport_create); SYSCALL(ioport_enable);
SYSCALL(irq_create); SYSCALL(irq_set_notify); SYSCALL(irq_ack); SYSCALL(unit_fault_ep);
SYSCALL(cap_list);

#endif /* KERNEL_SYSCALLS_H */
