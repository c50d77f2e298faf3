/*
 * Common header of reference-counted kernel objects. A handle holds one
 * reference; an object is released when its last reference goes.
 */
#ifndef KERNEL_KOBJ_H
#define KERNEL_KOBJ_H

#include <stdint.h>

struct kobj {
	uint32_t type;                  /* enum aion_obj_type */
	uint32_t refs;
};

/*
 * Every kernel object comes from one slab cache per type (created at boot
 * by kobj_caches_init). Empty slab pages go back to the frame allocator at
 * once, so frames used for kernel objects follow the live objects exactly.
 */
void kobj_caches_init(void);

/* A zeroed object of `type` with one reference, or NULL. */
void *kobj_alloc(uint32_t type);
/* Returns an object whose last reference is gone (from a *_release). */
void kobj_free(struct kobj *o);

void kobj_init(struct kobj *o, uint32_t type);
void kobj_get(struct kobj *o);
void kobj_put(struct kobj *o);          /* releases at zero (unit_release, thread_release) */

/* A capability slot naming o with `rights`, in holder's table (the unit),
 * appeared or went away. */
void kobj_cap_added(struct kobj *o, uint32_t rights, void *holder);
void kobj_cap_removed(struct kobj *o, uint32_t rights, void *holder);

/* Live kernel objects: the fuzzer and tests read this. */
uint64_t kobj_live(void);

#endif /* KERNEL_KOBJ_H */
