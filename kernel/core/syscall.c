/*
 * System call dispatch and the calls that touch no object: the log, the
 * clock, system information, closing a handle.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "arch.h"
#include "arch/trap.h"
#include "kobj.h"
#include "log.h"
#include "memory.h"
#include "sched.h"
#include "syscalls.h"
#include "usercopy.h"

int64_t install(struct kobj *o, uint32_t rights)
{
	aion_handle_t h;
	int err = handle_alloc(&self_unit()->handles, o, rights, 0, NULL, &h);
	kobj_put(o);                    /* the creation reference */
	return err ? (int64_t)err : (int64_t)h;
}

uint64_t deadline_after(uint64_t timeout_ns)
{
	return timeout_ns ? arch_clock_ns() + timeout_ns : 0;
}

SYSCALL(debug_log)
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

SYSCALL(clock_ns)
{
	(void)a;
	return (int64_t)arch_clock_ns();
}

SYSCALL(system_info)
{
	struct aion_system_info info = {
		.free_frames = memory_free_frames(),
		.total_frames = memory_total_frames(),
		.kernel_objects = kobj_live(),
		.uptime_ns = arch_clock_ns(),
		.time_slice_ns = SCHED_SLICE_NS,
		.idle_ns = sched_idle_ns(),
	};
	return copy_to_user(a->a0, &info, sizeof(info));
}

SYSCALL(handle_close)
{
	if (a->a0 > UINT32_MAX)
		return -AION_ECAP;
	return handle_close(&self_unit()->handles, (aion_handle_t)a->a0);
}

static const syscall_fn syscalls[AION_SYS_COUNT] = {
	[AION_SYS_DEBUG_LOG] = sys_debug_log,
	[AION_SYS_CLOCK_NS] = sys_clock_ns,
	[AION_SYS_YIELD] = sys_yield,
	[AION_SYS_SLEEP_UNTIL] = sys_sleep_until,
	[AION_SYS_THREAD_EXIT] = sys_thread_exit,
	[AION_SYS_THREAD_CREATE] = sys_thread_create,
	[AION_SYS_THREAD_START] = sys_thread_start,
	[AION_SYS_THREAD_SET_PRIORITY] = sys_thread_set_priority,
	[AION_SYS_THREAD_INFO] = sys_thread_info,
	[AION_SYS_UNIT_CREATE] = sys_unit_create,
	[AION_SYS_UNIT_DESTROY] = sys_unit_destroy,
	[AION_SYS_UNIT_INFO] = sys_unit_info,
	[AION_SYS_MEM_MAP] = sys_mem_map,
	[AION_SYS_MEM_UNMAP] = sys_mem_unmap,
	[AION_SYS_MEM_WRITE] = sys_mem_write,
	[AION_SYS_SYSTEM_INFO] = sys_system_info,
	[AION_SYS_HANDLE_CLOSE] = sys_handle_close,
	[AION_SYS_CAP_COPY] = sys_cap_copy,
	[AION_SYS_CAP_MINT] = sys_cap_mint,
	[AION_SYS_CAP_REVOKE] = sys_cap_revoke,
	[AION_SYS_CAP_INFO] = sys_cap_info,
	[AION_SYS_ENDPOINT_CREATE] = sys_endpoint_create,
	[AION_SYS_CALL] = sys_call,
	[AION_SYS_RECV] = sys_recv,
	[AION_SYS_REPLY] = sys_reply,
	[AION_SYS_REPLY_RECV] = sys_reply_recv,
	[AION_SYS_REPLY_SAVE] = sys_reply_save,
	[AION_SYS_REPLY_TO] = sys_reply_to,
	[AION_SYS_IPC_BUFFER] = sys_ipc_buffer,
	[AION_SYS_NOTIFY_CREATE] = sys_notify_create,
	[AION_SYS_SIGNAL] = sys_signal,
	[AION_SYS_WAIT] = sys_wait,
	[AION_SYS_POLL] = sys_poll,
	[AION_SYS_NOTIFY_BIND] = sys_notify_bind,
	[AION_SYS_CAP_GIVE] = sys_cap_give,
	[AION_SYS_MEMORY_CREATE] = sys_memory_create,
	[AION_SYS_MEMORY_MAP] = sys_memory_map,
	[AION_SYS_MEMORY_UNMAP] = sys_memory_unmap,
	[AION_SYS_MEMORY_PHYS] = sys_memory_phys,
	[AION_SYS_DEVICE_MEMORY] = sys_device_memory,
	[AION_SYS_IOPORT_CREATE] = sys_ioport_create,
	[AION_SYS_IOPORT_ENABLE] = sys_ioport_enable,
	[AION_SYS_IRQ_CREATE] = sys_irq_create,
	[AION_SYS_IRQ_SET_NOTIFY] = sys_irq_set_notify,
	[AION_SYS_IRQ_ACK] = sys_irq_ack,
	[AION_SYS_UNIT_FAULT_EP] = sys_unit_fault_ep,
	[AION_SYS_CAP_LIST] = sys_cap_list,
};

void syscall_dispatch(struct trap_frame *f)
{
	uint64_t n = f->rax;
	int64_t r = -AION_ENOSYS;
	struct syscall_args a = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };

	if (n < AION_SYS_COUNT && syscalls[n])
		r = syscalls[n](&a);
	f->rax = (uint64_t)r;
	sched_preempt_point();
}
