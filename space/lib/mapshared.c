/* libaion: memory objects mapped into this unit: a new one of our own, or
 * one another unit gave (libaion/lib.h). */
#include "libaion/lib.h"

int64_t aion_memory_create_mapped(unsigned pages, uint64_t va)
{
	int64_t mo = aion_memory_create(pages);
	if (mo < 0)
		return mo;
	int64_t err = aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, va,
				      AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err) {
		aion_handle_close((aion_handle_t)mo);
		return err;
	}
	return mo;
}

/*
 * A page of our own maps at the object's last needed page only if the
 * object does not reach it (MEMORY_MAP and ANON_MAP fail with EEXIST on a
 * mapped page): so a giver cannot hand over an object smaller than the
 * structure it must hold and make us fault reading past its end.
 */
int64_t aion_map_shared(aion_handle_t mo, uint64_t va, unsigned pages)
{
	int64_t err = aion_memory_map(mo, AION_HANDLE_SELF, va, AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err)
		return err;
	uint64_t last = va + (uint64_t)(pages - 1) * 4096;
	err = pages ? aion_anon_map(AION_HANDLE_SELF, last, 4096, AION_PROT_READ) : -AION_EINVAL;
	if (err == -AION_EEXIST)
		return 0;
	if (!err) {
		aion_anon_unmap(AION_HANDLE_SELF, last, 4096);
		err = -AION_ERANGE;     /* too small */
	}
	aion_memory_unmap(AION_HANDLE_SELF, va);
	return err;
}
