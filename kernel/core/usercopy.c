#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "common/string.h"
#include "layout.h"
#include "sched.h"
#include "thread.h"
#include "usercopy.h"
#include "hot.h"

KERNEL_HOT
int user_range_ok(struct unit *u, uint64_t uaddr, size_t len, bool write)
{
	if (uaddr < AION_USER_MIN || len > AION_USER_END ||
	    uaddr > AION_USER_END - len)
		return -AION_EFAULT;
	for (uint64_t p = uaddr & ~(PAGE_SIZE - 1); p < uaddr + len; p += PAGE_SIZE) {
		uint64_t pa;
		if (arch_vm_translate(u, p, write, &pa, NULL))
			return -AION_EFAULT;
	}
	return 0;
}

KERNEL_HOT
int user_copy(struct unit *u, uint64_t uaddr, void *kbuf, size_t len, bool to_user)
{
	char *k = kbuf;

	/* Check every page first: a failed copy changes nothing. */
	int err = user_range_ok(u, uaddr, len, to_user);
	if (err)
		return err;
	while (len) {
		uint64_t pa;
		size_t chunk = PAGE_SIZE - (uaddr & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		arch_vm_translate(u, uaddr, to_user, &pa, NULL);
		if (to_user)
			memcpy(phys_to_virt(pa), k, chunk);
		else
			memcpy(k, phys_to_virt(pa), chunk);
		uaddr += chunk;
		k += chunk;
		len -= chunk;
	}
	return 0;
}

int copy_from_user(void *dst, uint64_t usrc, size_t len)
{
	return user_copy(sched_current()->unit, usrc, dst, len, false);
}

int copy_to_user(uint64_t udst, const void *src, size_t len)
{
	return user_copy(sched_current()->unit, udst, (void *)src, len, true);
}
