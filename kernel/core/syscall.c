/*
 * System call decoding. Each handler first checks every argument, handle
 * type and right and copies user memory in; only then does it act
 * (seL4's decode-then-invoke). Pointers go through usercopy.c only.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "arch.h"
#include "arch/trap.h"
#include "handle.h"
#include "kstring.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "sched.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"
#include "vm.h"

#define MEM_MAP_MAX_PAGES 1024          /* 4 MiB per call: bounds its time */

typedef int64_t (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4);

static struct unit *self_unit(void)
{
	return sched_current()->unit;
}

static int lookup(aion_handle_t h, uint32_t type, uint32_t need, void **obj)
{
	return handle_lookup(self_unit()->handles, h, type, need, (struct kobj **)obj);
}

static int64_t sys_debug_log(uint64_t buf, uint64_t len, uint64_t a2,
			     uint64_t a3, uint64_t a4)
{
	char msg[AION_LOG_MAX + 1];
	(void)a2; (void)a3; (void)a4;

	if (len > AION_LOG_MAX)
		return -AION_EINVAL;
	int err = copy_from_user(msg, buf, len);
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

static int64_t sys_clock_ns(uint64_t a0, uint64_t a1, uint64_t a2,
			    uint64_t a3, uint64_t a4)
{
	(void)a0; (void)a1; (void)a2; (void)a3; (void)a4;
	return (int64_t)arch_clock_ns();
}

static int64_t sys_yield(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			 uint64_t a4)
{
	(void)a0; (void)a1; (void)a2; (void)a3; (void)a4;
	sched_yield();
	return 0;
}

static int64_t sys_sleep_until(uint64_t deadline, uint64_t a1, uint64_t a2,
			       uint64_t a3, uint64_t a4)
{
	(void)a1; (void)a2; (void)a3; (void)a4;
	return sched_sleep_until(deadline);
}

static int64_t sys_thread_exit(uint64_t code, uint64_t a1, uint64_t a2,
			       uint64_t a3, uint64_t a4)
{
	(void)a1; (void)a2; (void)a3; (void)a4;
	thread_exit_current((int32_t)code);
	return 0;                       /* not reached */
}

static int64_t sys_thread_create(uint64_t unit_h, uint64_t entry, uint64_t stack,
				 uint64_t arg, uint64_t prio)
{
	struct unit *u;
	struct thread *t;
	aion_handle_t h;

	int err = lookup((aion_handle_t)unit_h, AION_OBJ_UNIT, AION_RIGHT_CONTROL, (void **)&u);
	if (err)
		return err;
	if (prio > AION_PRIO_MAX)
		return -AION_EINVAL;
	if ((err = thread_create(u, entry, stack, arg, (unsigned)prio, &t)))
		return err;
	if ((err = handle_alloc(self_unit()->handles, &t->obj, AION_RIGHTS_ALL, &h))) {
		thread_reap(t);
		return err;
	}
	return h;
}

static int64_t sys_thread_start(uint64_t th, uint64_t a1, uint64_t a2,
				uint64_t a3, uint64_t a4)
{
	struct thread *t;
	(void)a1; (void)a2; (void)a3; (void)a4;

	int err = lookup((aion_handle_t)th, AION_OBJ_THREAD, AION_RIGHT_CONTROL, (void **)&t);
	return err ? err : thread_start(t);
}

static int64_t sys_thread_set_priority(uint64_t th, uint64_t prio, uint64_t a2,
				       uint64_t a3, uint64_t a4)
{
	struct thread *t;
	(void)a2; (void)a3; (void)a4;

	int err = lookup((aion_handle_t)th, AION_OBJ_THREAD, AION_RIGHT_CONTROL, (void **)&t);
	if (err)
		return err;
	if (prio > AION_PRIO_MAX)
		return -AION_EINVAL;
	return thread_set_priority(t, (unsigned)prio);
}

static int64_t sys_thread_info(uint64_t th, uint64_t out, uint64_t a2,
			       uint64_t a3, uint64_t a4)
{
	struct thread *t;
	(void)a2; (void)a3; (void)a4;

	int err = lookup((aion_handle_t)th, AION_OBJ_THREAD, AION_RIGHT_READ, (void **)&t);
	if (err)
		return err;
	struct aion_thread_info info = {
		.state = t->state,
		.priority = t->prio,
		.cpu_ns = t->cpu_ns,
		.switches = t->switches,
	};
	if (t == sched_current())
		info.cpu_ns += arch_clock_ns() - t->ran_since;
	return copy_to_user(out, &info, sizeof(info));
}

static int64_t sys_unit_create(uint64_t parent_h, uint64_t name, uint64_t name_len,
			       uint64_t quota, uint64_t max_prio)
{
	struct unit *parent, *child;
	char buf[UNIT_NAME_MAX];
	aion_handle_t h;

	int err = lookup((aion_handle_t)parent_h, AION_OBJ_UNIT, AION_RIGHT_SPAWN, (void **)&parent);
	if (err)
		return err;
	if (parent != self_unit())
		return -AION_EPERM;     /* quota comes only from one's own */
	if (name_len == 0 || name_len >= UNIT_NAME_MAX || max_prio > AION_PRIO_MAX)
		return -AION_EINVAL;
	if ((err = copy_from_user(buf, name, name_len)))
		return err;
	buf[name_len] = '\0';
	if ((err = unit_create(parent, buf, quota, (unsigned)max_prio, &child)))
		return err;
	err = handle_alloc(parent->handles, &child->obj, AION_RIGHTS_ALL, &h);
	if (err) {
		unit_destroy(child);
		kobj_put(&child->obj);
		return err;
	}
	kobj_put(&child->obj);          /* the handle holds it now */
	return h;
}

static int64_t sys_unit_destroy(uint64_t uh, uint64_t a1, uint64_t a2,
				uint64_t a3, uint64_t a4)
{
	struct unit *u;
	(void)a1; (void)a2; (void)a3; (void)a4;

	int err = lookup((aion_handle_t)uh, AION_OBJ_UNIT, AION_RIGHT_DESTROY, (void **)&u);
	return err ? err : unit_destroy(u);
}

static int64_t sys_unit_info(uint64_t uh, uint64_t out, uint64_t a2,
			     uint64_t a3, uint64_t a4)
{
	struct unit *u;
	(void)a2; (void)a3; (void)a4;

	int err = lookup((aion_handle_t)uh, AION_OBJ_UNIT, AION_RIGHT_READ, (void **)&u);
	if (err)
		return err;
	struct aion_unit_info info = {
		.state = u->state,
		.exit_code = u->exit_code,
		.fault_vector = u->fault_vector,
		.threads = u->live_threads,
		.fault_addr = u->fault_addr,
		.quota_frames = u->quota,
		.used_frames = u->used,
	};
	memcpy(info.name, u->name, sizeof(info.name));
	return copy_to_user(out, &info, sizeof(info));
}

/* Common checks of MEM_MAP/UNMAP: a page-aligned, bounded user range. */
static int mem_range(uint64_t unit_h, uint64_t va, uint64_t len, struct unit **u)
{
	int err = lookup((aion_handle_t)unit_h, AION_OBJ_UNIT, AION_RIGHT_WRITE, (void **)u);
	if (err)
		return err;
	if ((va | len) & (PAGE_SIZE - 1) || len == 0 ||
	    len > MEM_MAP_MAX_PAGES * PAGE_SIZE)
		return -AION_EINVAL;
	if (va < AION_USER_MIN || va > AION_USER_END - len)
		return -AION_EFAULT;
	if ((*u)->destroyed)
		return -AION_EDEAD;
	return 0;
}

static int64_t sys_mem_map(uint64_t unit_h, uint64_t va, uint64_t len,
			   uint64_t prot, uint64_t a4)
{
	struct unit *u;
	(void)a4;

	int err = mem_range(unit_h, va, len, &u);
	if (err)
		return err;
	if (prot & ~(uint64_t)(AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC))
		return -AION_EINVAL;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		int64_t pa = unit_frame_alloc(u);
		err = pa < 0 ? (int)pa : vm_map(u, va + off, (uint64_t)pa, (unsigned)prot, true);
		if (err) {
			if (pa >= 0)
				unit_frame_free(u, (uint64_t)pa);
			while (off) {           /* undo: all or nothing */
				off -= PAGE_SIZE;
				vm_unmap(u, va + off);
			}
			return err;
		}
	}
	return 0;
}

static int64_t sys_mem_unmap(uint64_t unit_h, uint64_t va, uint64_t len,
			     uint64_t a3, uint64_t a4)
{
	struct unit *u;
	int missing = 0;
	(void)a3; (void)a4;

	int err = mem_range(unit_h, va, len, &u);
	if (err)
		return err;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE)
		if (vm_unmap(u, va + off))
			missing = -AION_ENOENT;
	return missing;
}

/* Every page of [va, va+len) mapped in u (and owned by it, for a target). */
static int range_mapped(struct unit *u, uint64_t va, uint64_t len, bool target)
{
	for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE) {
		uint64_t pa;
		bool owned;
		if (vm_translate(u, p, false, &pa, &owned))
			return -AION_EFAULT;
		if (target && !owned)
			return -AION_EPERM;
	}
	return 0;
}

static int64_t sys_mem_write(uint64_t unit_h, uint64_t dst, uint64_t src,
			     uint64_t len, uint64_t a4)
{
	struct unit *u;
	(void)a4;

	int err = lookup((aion_handle_t)unit_h, AION_OBJ_UNIT, AION_RIGHT_WRITE, (void **)&u);
	if (err)
		return err;
	if (len > AION_MEM_WRITE_MAX)
		return -AION_EINVAL;
	if (u->destroyed)
		return -AION_EDEAD;
	if (dst < AION_USER_MIN || dst > AION_USER_END - len ||
	    src < AION_USER_MIN || src > AION_USER_END - len)
		return -AION_EFAULT;
	if ((err = range_mapped(u, dst, len, true)) ||
	    (err = range_mapped(self_unit(), src, len, false)))
		return err;
	/* Both ranges are mapped: copy page by page into the target's frames. */
	while (len) {
		uint64_t pa;
		uint64_t chunk = PAGE_SIZE - (dst & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		vm_translate(u, dst, false, &pa, NULL);
		if ((err = copy_from_user(phys_to_virt(pa), src, chunk)))
			return err;
		dst += chunk;
		src += chunk;
		len -= chunk;
	}
	return 0;
}

static int64_t sys_system_info(uint64_t out, uint64_t a1, uint64_t a2,
			       uint64_t a3, uint64_t a4)
{
	(void)a1; (void)a2; (void)a3; (void)a4;
	struct aion_system_info info = {
		.free_frames = memory_free_frames(),
		.total_frames = memory_total_frames(),
		.kernel_objects = kobj_live(),
		.uptime_ns = arch_clock_ns(),
		.time_slice_ns = SCHED_SLICE_NS,
	};
	return copy_to_user(out, &info, sizeof(info));
}

static int64_t sys_handle_close(uint64_t h, uint64_t a1, uint64_t a2,
				uint64_t a3, uint64_t a4)
{
	(void)a1; (void)a2; (void)a3; (void)a4;
	return handle_close(self_unit()->handles, (aion_handle_t)h);
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
};

void syscall_dispatch(struct trap_frame *f)
{
	uint64_t n = f->rax;
	int64_t r = -AION_ENOSYS;

	if (n < AION_SYS_COUNT && syscalls[n])
		r = syscalls[n](f->rdi, f->rsi, f->rdx, f->r10, f->r8);
	f->rax = (uint64_t)r;
	sched_preempt_point();
}
