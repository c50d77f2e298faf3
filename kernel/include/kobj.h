/*
 * Common header of reference-counted kernel objects. A handle holds one
 * reference; an object is released when its last reference goes.
 */
#ifndef KERNEL_KOBJ_H
#define KERNEL_KOBJ_H

#include <stdint.h>
#include "aion/object.h"
#include "common/slab.h"

struct handle_slot;
struct thread;
struct unit;

struct kobj {
	uint32_t type;                  /* enum aion_obj_type */
	uint32_t refs;
	struct unit *payer;             /* whose caches it lives in: referenced; NULL: boot's */
	struct thread *revoker;         /* whose cut CAP_REVOKE bars copies (captable.c) */
};

/* Slab caches, one per object type: each unit has a set, and the kernel one. */
#define KOBJ_KINDS      (AION_OBJ_IOPORT + 1)

/*
 * Every kernel object comes from a slab cache of its type. Objects a unit
 * asks for come from that unit's own caches, whose pages are frames
 * charged to its quota (kobj_caches_init_for), so no unit pins more
 * kernel memory than its quota; the root unit comes from the kernel's
 * caches (kobj_caches_init, at boot). Empty slab pages go back at once,
 * so frames used for kernel objects follow the live objects exactly.
 */
void kobj_caches_init(void);
void kobj_caches_init_for(struct slab_cache caches[KOBJ_KINDS], const struct slab_page_ops *ops);

/*
 * A zeroed object of `type` with one reference, from payer's caches (it
 * keeps a reference to payer until freed), or NULL: payer's quota cannot
 * give the slab page (-AION_ENOMEM to the caller) or no frame is left.
 */
void *kobj_alloc(uint32_t type, struct unit *payer);
/* Returns an object whose last reference is gone (from a *_release). */
void kobj_free(struct kobj *o);

void kobj_init(struct kobj *o, uint32_t type);
void kobj_get(struct kobj *o);
void kobj_put_checked(struct kobj *o);  /* releases at zero (unit_release, thread_release) */

/*
 * Drops a reference. A put that is not the last, on an object of a known
 * type, is inline: the IPC path makes several (queue, caller), and after
 * a TCG CR3 write a call out of line costs a lookup (hot.h). Anything
 * else, the last put and the insane ones, is checked out of line.
 */
static inline __attribute__((always_inline)) void kobj_put(struct kobj *o)
{
	if (o->refs > 1 && o->type >= AION_OBJ_UNIT && o->type <= AION_OBJ_PLATFORM) {
		o->refs--;
		return;
	}
	kobj_put_checked(o);
}

/* A capability slot naming o with `rights`, in holder's table (the unit),
 * appeared or went away. */
void kobj_cap_added(struct kobj *o, uint32_t rights, void *holder);
void kobj_cap_removed(struct kobj *o, uint32_t rights, void *holder);

/* Live kernel objects: the fuzzer and tests read this. */
uint64_t kobj_live(void);

#endif /* KERNEL_KOBJ_H */
