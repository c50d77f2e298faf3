/* System calls on threads, units and their memory. */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "arch.h"
#include "common/string.h"
#include "layout.h"
#include "syscalls.h"
#include "usercopy.h"
#include "vm.h"

#define MEM_MAP_MAX_PAGES 1024          /* 4 MiB per call: bounds its time */

SYSCALL(yield)
{
	(void)a;
	sched_yield();
	return 0;
}

SYSCALL(sleep_until)
{
	return sched_sleep_until(a->a0);
}

SYSCALL(thread_exit)
{
	thread_exit_current((int32_t)a->a0);
	return 0;                       /* not reached */
}

SYSCALL(thread_create)
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

SYSCALL(thread_start)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	return err ? err : thread_start(t);
}

SYSCALL(thread_set_priority)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	if (err)
		return err;
	if (a->a1 > AION_PRIO_MAX)
		return -AION_EINVAL;
	return thread_set_priority(t, (unsigned)a->a1);
}

SYSCALL(thread_info)
{
	struct thread *t;
	int err = lookup(a->a0, AION_OBJ_THREAD, AION_RIGHT_READ, &t);
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
	return copy_to_user(a->a1, &info, sizeof(info));
}

SYSCALL(unit_create)
{
	struct unit *parent, *child;
	char name[UNIT_NAME_MAX];
	uint64_t len = a->a2;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_SPAWN, &parent);
	if (err)
		return err;
	if (parent != self_unit())
		return -AION_EPERM;     /* quota comes only from one's own */
	if (len == 0 || len >= UNIT_NAME_MAX || a->a4 > AION_PRIO_MAX)
		return -AION_EINVAL;
	if ((err = copy_from_user(name, a->a1, len)))
		return err;
	name[len] = '\0';
	if ((err = unit_create(parent, name, a->a3, (unsigned)a->a4, &child)))
		return err;
	aion_handle_t h;
	err = handle_alloc(&parent->handles, &child->obj, AION_RIGHTS_ALL, 0, NULL, &h);
	if (err)
		unit_destroy(child);
	kobj_put(&child->obj);          /* the handle (if any) holds it now */
	return err ? (int64_t)err : (int64_t)h;
}

SYSCALL(unit_destroy)
{
	struct unit *u;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_DESTROY, &u);
	return err ? err : unit_destroy(u);
}

SYSCALL(unit_info)
{
	struct unit *u;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_READ, &u);
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
		.id = u->id,
	};
	memcpy(info.name, u->name, sizeof(info.name));
	return copy_to_user(a->a1, &info, sizeof(info));
}

/* Common checks of MEM_MAP/UNMAP: a page-aligned, bounded user range. */
static int mem_range(const struct syscall_args *a, struct unit **u)
{
	uint64_t va = a->a1, len = a->a2;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, u);
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

SYSCALL(mem_map)
{
	struct unit *u;
	uint64_t va = a->a1, len = a->a2, prot = a->a3;

	int err = mem_range(a, &u);
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

SYSCALL(mem_unmap)
{
	struct unit *u;
	int missing = 0;

	int err = mem_range(a, &u);
	if (err)
		return err;
	for (uint64_t off = 0; off < a->a2; off += PAGE_SIZE)
		if (vm_unmap(u, a->a1 + off))
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

SYSCALL(mem_write)
{
	struct unit *u;
	uint64_t dst = a->a1, src = a->a2, len = a->a3;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
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
