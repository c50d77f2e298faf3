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

void kobj_init(struct kobj *o, uint32_t type);
void kobj_get(struct kobj *o);
void kobj_put(struct kobj *o);          /* releases at zero (unit_release, thread_release) */

/* A capability slot naming o with `rights` appeared or went away. */
void kobj_cap_added(struct kobj *o, uint32_t rights);
void kobj_cap_removed(struct kobj *o, uint32_t rights);

/* Live kernel objects: the fuzzer and tests read this. */
uint64_t kobj_live(void);
void kobj_count(int delta);

#endif /* KERNEL_KOBJ_H */
