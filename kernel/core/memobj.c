#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "layout.h"
#include "memobj.h"
#include "memory.h"
#include "unit.h"
#include "vm.h"

static void free_frames(struct memobj *mo, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		unit_frame_free(mo->owner, mo->frames[i]);
	unit_frame_free(mo->owner, virt_to_phys(mo->frames));
}

int memobj_create(struct unit *owner, unsigned npages, struct memobj **out)
{
	if (npages == 0 || npages > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	struct memobj *mo = kobj_alloc(AION_OBJ_MEMORY);
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

int memobj_device(uint64_t phys, unsigned npages, struct memobj **out)
{
	if ((phys & (PAGE_SIZE - 1)) || npages == 0 || npages > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	if (memory_is_ram(phys, (uint64_t)npages * PAGE_SIZE))
		return -AION_EPERM;     /* RAM is handed out as RAM objects only */
	struct memobj *mo = kobj_alloc(AION_OBJ_MEMORY);
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

uint64_t memobj_phys(const struct memobj *mo, unsigned page)
{
	return mo->device ? mo->base + (uint64_t)page * PAGE_SIZE : mo->frames[page];
}

int memobj_map(struct memobj *mo, struct unit *u, uint64_t va, unsigned prot)
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
		prot |= VM_UNCACHED;
	for (unsigned i = 0; i < mo->npages; i++) {
		int err = vm_map(u, va + i * PAGE_SIZE, memobj_phys(mo, i), prot, false);
		if (err) {
			while (i--)
				vm_unmap(u, va + i * PAGE_SIZE);
			return err;
		}
	}
	r->va = va;
	r->mo = mo;
	kobj_get(&mo->obj);
	return 0;
}

static void region_drop(struct unit *u, struct region *r, bool unmap)
{
	struct memobj *mo = r->mo;

	if (unmap)
		for (unsigned i = 0; i < mo->npages; i++)
			vm_unmap(u, r->va + i * PAGE_SIZE);
	r->mo = NULL;
	kobj_put(&mo->obj);
}

int memobj_unmap(struct unit *u, uint64_t va)
{
	for (unsigned i = 0; i < UNIT_REGIONS; i++)
		if (u->regions[i].mo && u->regions[i].va == va) {
			region_drop(u, &u->regions[i], true);
			return 0;
		}
	return -AION_ENOENT;
}

void memobj_unit_gone(struct unit *u)
{
	for (unsigned i = 0; i < UNIT_REGIONS; i++)
		if (u->regions[i].mo)
			region_drop(u, &u->regions[i], true);
}
