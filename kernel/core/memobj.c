/*
 * Memory objects (memobj.h) and the system calls on them at the end of
 * this file: MEMORY_CREATE, MEMORY_MAP, MEMORY_UNMAP, MEMORY_PHYS and
 * DEVICE_MEMORY (made from the platform capability).
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
#include "syscalls.h"
#include "unit.h"

#define PROT_ALL (AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC)

static void free_frames(struct memobj *mo, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		unit_frame_free(mo->owner, mo->frames[i]);
	unit_frame_free(mo->owner, virt_to_phys(mo->frames));
}

static int memobj_create(struct unit *owner, unsigned npages, struct memobj **out)
{
	if (npages == 0 || npages > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	struct memobj *mo = kobj_alloc(AION_OBJ_MEMORY, owner);
	if (!mo)
		return -AION_ENOMEM;
	int64_t list = unit_frame_alloc(owner);
	unsigned got = 0;
	if (list >= 0) {
		mo->owner = owner;
		mo->frames = phys_to_virt((uint64_t)list);
		for (; got < npages; got++) {
			int64_t pa = unit_frame_alloc(owner);
			if (pa < 0)
				break;
			mo->frames[got] = (uint64_t)pa;
		}
	}
	if (list < 0 || got < npages) {
		if (list >= 0)
			free_frames(mo, got);
		kobj_free(&mo->obj);
		return -AION_ENOMEM;
	}
	mo->npages = npages;
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

/* prot: AION_PROT_*; the caller checked the capability's rights. */
static int memobj_map(struct memobj *mo, struct unit *u, uint64_t va, unsigned prot)
{
	struct region *r = NULL;

	if (va & (PAGE_SIZE - 1))
		return -AION_EINVAL;
	if (va < AION_USER_MIN || va > AION_USER_END - (uint64_t)mo->npages * PAGE_SIZE)
		return -AION_EFAULT;
	for (unsigned i = 0; i < UNIT_REGIONS && !r; i++)
		if (!u->regions[i].mo)
			r = &u->regions[i];
	if (!r)
		return -AION_ENOSPC;
	if (mo->device)
		prot |= VM_DEVICE;
	for (unsigned i = 0; i < mo->npages; i++) {
		int err = arch_vm_map(u, va + i * PAGE_SIZE, memobj_phys(mo, i), prot, false);
		if (err) {
			while (i--)
				arch_vm_unmap(u, va + i * PAGE_SIZE);
			return err;
		}
	}
	r->va = va;
	r->mo = mo;
	r->writable = prot & AION_PROT_WRITE;
	kobj_get(&mo->obj);
	return 0;
}

static void region_drop(struct unit *u, struct region *r, bool unmap)
{
	struct memobj *mo = r->mo;

	if (unmap)
		for (unsigned i = 0; i < mo->npages; i++)
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

void memobj_unit_gone(struct unit *u)
{
	for (unsigned i = 0; i < UNIT_REGIONS; i++)
		if (u->regions[i].mo)
			region_drop(u, &u->regions[i], true);
}

/* --- system calls: decode and check, then the functions above act --- */

int64_t sys_memory_create(const struct sys_args *a)
{
	struct memobj *mo;
	if (a->a0 == 0 || a->a0 > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	int err = memobj_create(self_unit(), (unsigned)a->a0, &mo);
	return err ? err : install(&mo->obj, AION_RIGHTS_ALL);
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
	if (u->destroyed)
		return -AION_EDEAD;
	/* A mapping lasts while its unit holds the capability: into another
	 * unit only if that unit holds one too. */
	if (u != self_unit() && !handle_holds(&u->handles, &mo->obj, need))
		return -AION_EPERM;
	return memobj_map(mo, u, a->a2, (unsigned)prot);
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
