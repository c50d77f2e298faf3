/*
 * Memory objects (memobj.h) and the system calls on them at the end of
 * this file: MEMORY_CREATE, MEMORY_MAP, MEMORY_UNMAP, MEMORY_PHYS,
 * DEVICE_MEMORY (made from the platform capability), MEMORY_READ and
 * MEMORY_WRITE.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "handle.h"
#include "layout.h"
#include "memobj.h"
#include "memory.h"
#include "platform.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"

#define PROT_ALL (AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC)
#define CREATE_CHUNK 64         /* pages zeroed between looks at the IRR */

static void free_frames(struct memobj *mo, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		unit_frame_free(mo->owner, mo->frames[i]);
	unit_frame_free(mo->owner, virt_to_phys(mo->frames));
}

/* An object with no page yet, its frame list on owner's quota. */
static int memobj_begin(struct unit *owner, struct memobj **out)
{
	struct memobj *mo = kobj_alloc(AION_OBJ_MEMORY, owner);
	if (!mo)
		return -AION_ENOMEM;
	int64_t list = unit_frame_alloc(owner);
	if (list < 0) {
		kobj_free(&mo->obj);
		return (int)list;
	}
	mo->owner = owner;
	mo->frames = phys_to_virt((uint64_t)list);
	kobj_get(&owner->obj);
	*out = mo;
	return 0;
}

static int memobj_device(struct unit *payer, uint64_t phys, unsigned npages,
			 struct memobj **out)
{
	uint64_t len = (uint64_t)npages * PAGE_SIZE;

	if ((phys & (PAGE_SIZE - 1)) || npages == 0 || npages > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	/* Checked before the RAM test, which cannot see a range that wraps
	 * past 2^64 onto physical 0 (the kernel's first MiBs). */
	if (phys >= arch_phys_end() || len > arch_phys_end() - phys)
		return -AION_EINVAL;
	if (memory_is_ram(phys, len))
		return -AION_EPERM;     /* RAM is handed out as RAM objects only */
	struct memobj *mo = kobj_alloc(AION_OBJ_MEMORY, payer);
	if (!mo)
		return -AION_ENOMEM;
	mo->device = true;
	mo->base = phys;
	mo->npages = npages;
	*out = mo;
	return 0;
}

void memobj_release(struct memobj *mo)
{
	struct unit *owner = mo->owner;

	if (!mo->device)
		free_frames(mo, mo->npages);
	kobj_free(&mo->obj);
	if (owner)
		kobj_put(&owner->obj);
}

static uint64_t memobj_phys(const struct memobj *mo, unsigned page)
{
	return mo->device ? mo->base + (uint64_t)page * PAGE_SIZE : mo->frames[page];
}

/*
 * Pages [first, first + n) of mo at va. prot: AION_PROT_*; the caller
 * checked the capability's rights and the range.
 */
static int memobj_map(struct memobj *mo, struct unit *u, uint64_t va, unsigned prot,
		      unsigned first, unsigned n)
{
	struct region *r = NULL;

	if (va & (PAGE_SIZE - 1))
		return -AION_EINVAL;
	if (va < AION_USER_MIN || va > AION_USER_END - (uint64_t)n * PAGE_SIZE)
		return -AION_EFAULT;
	for (unsigned i = 0; i < UNIT_REGIONS && !r; i++)
		if (!u->regions[i].mo)
			r = &u->regions[i];
	if (!r)
		return -AION_ENOSPC;
	if (mo->device)
		prot |= VM_DEVICE;
	for (unsigned i = 0; i < n; i++) {
		int err = arch_vm_map(u, va + i * PAGE_SIZE, memobj_phys(mo, first + i), prot, false);
		if (err) {
			while (i--)
				arch_vm_unmap(u, va + i * PAGE_SIZE);
			return err;
		}
	}
	r->va = va;
	r->mo = mo;
	r->first = (uint16_t)first;
	r->npages = (uint16_t)n;
	r->writable = prot & AION_PROT_WRITE;
	kobj_get(&mo->obj);
	return 0;
}

static void region_drop(struct unit *u, struct region *r, bool unmap)
{
	struct memobj *mo = r->mo;

	if (unmap)
		for (unsigned i = 0; i < r->npages; i++)
			arch_vm_unmap(u, r->va + i * PAGE_SIZE);
	r->mo = NULL;
	kobj_put(&mo->obj);
}

static int memobj_unmap(struct unit *u, uint64_t va)
{
	for (unsigned i = 0; i < UNIT_REGIONS; i++)
		if (u->regions[i].mo && u->regions[i].va == va) {
			region_drop(u, &u->regions[i], true);
			return 0;
		}
	return -AION_ENOENT;
}

static uint32_t rights_for(const struct region *r)
{
	return AION_RIGHT_READ | (r->writable ? AION_RIGHT_WRITE : 0);
}

void memobj_cap_lost(struct unit *u, struct memobj *mo)
{
	for (unsigned i = 0; i < UNIT_REGIONS; i++) {
		struct region *r = &u->regions[i];
		/* The table is scanned only for a mapping of mo. The put is
		 * never the last: the caller's slot holds a reference. */
		if (r->mo == mo && !handle_holds(&u->handles, &mo->obj, rights_for(r)))
			region_drop(u, r, true);
	}
}

bool memobj_unit_gone_some(struct unit *u, uint64_t *budget)
{
	for (unsigned i = 0; i < UNIT_REGIONS; i++) {
		struct memobj *mo = u->regions[i].mo;
		if (!mo)
			continue;
		if (!*budget)
			return false;
		*budget -= *budget < u->regions[i].npages ? *budget : u->regions[i].npages;
		region_drop(u, &u->regions[i], true);
	}
	return true;
}

/*
 * Bytes [off, off+len) of mo to or from the caller's [va, va+len). Under
 * the big lock the frames cannot go while they are copied, which is the
 * point: a server copies a client's object this way and the client's
 * revoke, before or after, is an error to the server, never a fault.
 */
static int memobj_copy(struct memobj *mo, uint64_t off, uint64_t va, uint64_t len,
		       bool to_obj)
{
	uint64_t size = (uint64_t)mo->npages * PAGE_SIZE;

	if (len > AION_MEM_WRITE_MAX || mo->device)
		return -AION_EINVAL;    /* registers are mapped, not copied */
	if (off > size || len > size - off)
		return -AION_ERANGE;
	int err = user_range_ok(self_unit(), va, len, !to_obj);
	if (err)
		return err;
	while (len) {
		uint64_t in = off & (PAGE_SIZE - 1), chunk = PAGE_SIZE - in;
		if (chunk > len)
			chunk = len;
		void *k = (char *)phys_to_virt(mo->frames[off / PAGE_SIZE]) + in;
		user_copy(self_unit(), va, k, chunk, !to_obj);  /* checked above */
		off += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

/* --- system calls: decode and check, then the functions above act --- */

/*
 * t's cut MEMORY_CREATE, if any, is given up: its object, with the pages
 * it has so far, goes (it was never installed; the reference is t's).
 */
void memobj_create_dropped(struct thread *t)
{
	struct memobj *mo = t->mocreate.mo;

	if (!mo)
		return;
	t->mocreate.mo = NULL;
	kobj_put(&mo->obj);
}

/*
 * All or nothing, and preemptible and restartable as ANON_MAP is
 * (anonmap.c): after each CREATE_CHUNK zeroed pages an interrupt pending
 * cuts the call, and the object so far waits in t->mocreate for the same
 * call to come back; any other call or the thread's death drops it.
 */
int64_t sys_memory_create(const struct sys_args *a)
{
	struct thread *t = sched_current();
	struct memobj *mo = t->mocreate.mo;
	int err = 0;

	if (a->a0 == 0 || a->a0 > MEMOBJ_MAX_PAGES)
		err = -AION_EINVAL;
	if (mo && (err || t->mocreate.want != a->a0))
		memobj_create_dropped(t);       /* not the cut call: another */
	if (err)
		return err;
	t->mocreate.mo = NULL;
	if (!mo && (err = memobj_begin(self_unit(), &mo)))
		return err;
	for (unsigned done = 0; mo->npages < a->a0; done++) {
		if (done && done % CREATE_CHUNK == 0 && arch_irq_pending()) {
			t->mocreate.mo = mo;
			t->mocreate.want = (unsigned)a->a0;
			return SYS_RESTART;
		}
		int64_t pa = unit_frame_alloc(mo->owner);
		if (pa < 0) {
			kobj_put(&mo->obj);     /* every page so far goes with it */
			return (int)pa;
		}
		mo->frames[mo->npages++] = (uint64_t)pa;
	}
	return install(&mo->obj, AION_RIGHTS_ALL);
}

int64_t sys_memory_map(const struct sys_args *a)
{
	struct memobj *mo;
	struct unit *u;
	uint64_t prot = a->a3;

	if (prot & ~(uint64_t)PROT_ALL || !(prot & AION_PROT_READ))
		return -AION_EINVAL;
	/* Rights bound the mapping: a read-only capability maps read-only. */
	uint32_t need = AION_RIGHT_READ | ((prot & AION_PROT_WRITE) ? AION_RIGHT_WRITE : 0);
	int err = lookup(a->a0, AION_OBJ_MEMORY, need, &mo);
	if (!err)
		err = lookup(a->a1, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	if (err)
		return err;
	if (u->dying)
		return -AION_EDEAD;
	/* A mapping lasts while its unit holds the capability: into another
	 * unit only if that unit holds one too. */
	if (u != self_unit() && !handle_holds(&u->handles, &mo->obj, need))
		return -AION_EPERM;
	/* pages: 0 for the whole object, else AION_MEM_PAGES(first, count). */
	uint64_t first = a->a4 & 0xffffffffu, n = a->a4 >> 32;
	if (!a->a4)
		n = mo->npages;
	else if (!n)
		return -AION_EINVAL;
	if (first >= mo->npages || n > mo->npages - first)
		return -AION_ERANGE;
	return memobj_map(mo, u, a->a2, (unsigned)prot, (unsigned)first, (unsigned)n);
}

int64_t sys_memory_unmap(const struct sys_args *a)
{
	struct unit *u;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	if (err)
		return err;
	/* As every address argument: outside the user half is EFAULT. */
	if (a->a1 < AION_USER_MIN || a->a1 >= AION_USER_END)
		return -AION_EFAULT;
	return memobj_unmap(u, a->a1);
}

int64_t sys_memory_phys(const struct sys_args *a)
{
	struct memobj *mo;
	int err = lookup(a->a0, AION_OBJ_MEMORY, AION_RIGHT_PHYS, &mo);
	if (err)
		return err;
	if (a->a1 >= mo->npages)
		return -AION_ERANGE;
	return (int64_t)memobj_phys(mo, (unsigned)a->a1);
}

int64_t sys_device_memory(const struct sys_args *a)
{
	struct memobj *mo;
	int err = platform_lookup(a->a0);
	if (err)
		return err;
	if (a->a2 == 0 || a->a2 > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	if ((err = memobj_device(self_unit(), a->a1, (unsigned)a->a2, &mo)))
		return err;
	/* Device registers are no DMA buffer: no PHYS right. */
	return install(&mo->obj, AION_RIGHTS_ALL & ~AION_RIGHT_PHYS);
}

int64_t sys_memory_read(const struct sys_args *a)
{
	struct memobj *mo;
	int err = lookup(a->a0, AION_OBJ_MEMORY, AION_RIGHT_READ, &mo);
	return err ? err : memobj_copy(mo, a->a1, a->a2, a->a3, false);
}

int64_t sys_memory_write(const struct sys_args *a)
{
	struct memobj *mo;
	int err = lookup(a->a0, AION_OBJ_MEMORY, AION_RIGHT_WRITE, &mo);
	return err ? err : memobj_copy(mo, a->a1, a->a2, a->a3, true);
}
