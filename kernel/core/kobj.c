#include "aion/error.h"
#include "aion/object.h"
#include "kobj.h"
#include "endpoint.h"
#include "ksyms.h"
#include "log.h"
#include "common/slab.h"
#include "memory.h"
#include "memobj.h"
#include "notification.h"
#include "platform.h"
#include "thread.h"
#include "unit.h"
#include "hot.h"

static uint64_t live;

/* Object sizes by type; a cache per type (kobj.h). */
static const struct {
	const char *name;
	size_t size;
} kinds[KOBJ_KINDS] = {
	[AION_OBJ_UNIT] = { "unit", sizeof(struct unit) },
	[AION_OBJ_THREAD] = { "thread", sizeof(struct thread) },
	[AION_OBJ_ENDPOINT] = { "endpoint", sizeof(struct endpoint) },
	[AION_OBJ_NOTIFICATION] = { "notification", sizeof(struct notification) },
	[AION_OBJ_REPLY] = { "reply", sizeof(struct reply) },
	[AION_OBJ_MEMORY] = { "memory", sizeof(struct memobj) },
	[AION_OBJ_IRQ] = { "irq", sizeof(struct irq) },
	[AION_OBJ_IOPORT] = { "ioport", sizeof(struct ioport) },
};

#define NKINDS KOBJ_KINDS
static struct slab_cache caches[NKINDS];       /* the root unit's (no payer) */

void kobj_caches_init_for(struct slab_cache c[KOBJ_KINDS], const struct slab_page_ops *ops)
{
	for (unsigned t = 1; t < NKINDS; t++)
		if (kinds[t].name && slab_cache_init(&c[t], kinds[t].name, kinds[t].size, ops))
			klog("kobj cache failed type=%u", t);
}

void kobj_caches_init(void)
{
	kobj_caches_init_for(caches, &memory_slab_pages);
}

static struct slab_cache *cache_of(uint32_t type, struct unit *payer)
{
	return payer ? &payer->caches[type] : &caches[type];
}

void *kobj_alloc(uint32_t type, struct unit *payer)
{
	if (type >= NKINDS || !kinds[type].name)
		return NULL;
	struct kobj *o = slab_alloc(cache_of(type, payer));
	if (o) {
		kobj_init(o, type);
		o->payer = payer;
		if (payer)
			kobj_get(&payer->obj);
		live++;
	}
	return o;
}

void kobj_free(struct kobj *o)
{
	struct unit *payer = o->payer;
	struct slab_cache *c = cache_of(o->type, payer);     /* o is garbage once freed */
	int err = slab_free(c, o);

	if (err)
		klog("kobj free failed obj=%p err=%s", (void *)o, aion_error_name(err));
	live--;
	/* An empty page goes back at once: kernel memory use tracks live objects. */
	slab_trim(c);
	if (payer)
		kobj_put(&payer->obj);  /* depth: a unit's payer is its parent (<= 16) */
}

void kobj_init(struct kobj *o, uint32_t type)
{
	o->type = type;
	o->refs = 1;
	o->revoker = NULL;
}

KERNEL_HOT
void kobj_get(struct kobj *o)
{
	o->refs++;
}

/* A reference count bug must show, not corrupt: log who did it and stop there. */
KERNEL_HOT
static bool kobj_sane(const struct kobj *o, const char *what, uint64_t caller)
{
	if (o->type < NKINDS && kinds[o->type].name && o->refs)
		return true;
	if (o->type == AION_OBJ_PLATFORM && o->refs)
		return true;
	char sym[KSYMS_NAME_MAX];
	uint64_t off = 0;
	if (ksyms_lookup(caller, sym, sizeof(sym), &off))
		sym[0] = '?', sym[1] = '\0';
	klog("kobj bad %s obj=%p type=%u refs=%u caller=%s+0x%lx", what, (const void *)o,
	     o->type, o->refs, sym, (unsigned long)off);
	return false;
}

KERNEL_HOT
void kobj_put_checked(struct kobj *o)
{
	if (!kobj_sane(o, "put", (uint64_t)(uintptr_t)__builtin_return_address(0)))
		return;
	if (--o->refs)
		return;
	switch (o->type) {
	case AION_OBJ_UNIT:
		unit_release((struct unit *)o);
		break;
	case AION_OBJ_THREAD:
		thread_release((struct thread *)o);
		break;
	case AION_OBJ_ENDPOINT:
		endpoint_release((struct endpoint *)o);
		break;
	case AION_OBJ_NOTIFICATION:
		notification_release((struct notification *)o);
		break;
	case AION_OBJ_REPLY:
		reply_release(o);
		break;
	case AION_OBJ_MEMORY:
		memobj_release((struct memobj *)o);
		break;
	case AION_OBJ_IRQ:
		irq_release((struct irq *)o);
		break;
	case AION_OBJ_IOPORT:
		ioport_release((struct ioport *)o);
		break;
	default:
		klog("kobj release unknown type=%u", o->type);
	}
}

void kobj_cap_added(struct kobj *o, uint32_t rights, void *holder)
{
	if (o->type == AION_OBJ_ENDPOINT)
		endpoint_cap_changed((struct endpoint *)o, rights, 1);
	else if (o->type == AION_OBJ_UNIT && holder != o)
		unit_outside_cap_changed((struct unit *)o, 1);
}

void kobj_cap_removed(struct kobj *o, uint32_t rights, void *holder)
{
	switch (o->type) {
	case AION_OBJ_ENDPOINT:
		endpoint_cap_changed((struct endpoint *)o, rights, -1);
		if (rights & AION_RIGHT_SEND)
			unit_fault_ep_cap_lost(holder, (struct endpoint *)o);
		break;
	case AION_OBJ_UNIT:
		if (holder != o)
			unit_outside_cap_changed((struct unit *)o, -1);
		break;
	/* Revoke reaches what the kernel keeps on a capability's authority. */
	case AION_OBJ_IOPORT:
		if (rights & AION_RIGHT_WRITE)
			ioport_cap_lost(holder, (struct ioport *)o);
		break;
	case AION_OBJ_MEMORY:
		memobj_cap_lost(holder, (struct memobj *)o);
		break;
	case AION_OBJ_NOTIFICATION:
		if (rights & AION_RIGHT_SEND)
			irq_cap_lost(holder, (struct notification *)o);
		break;
	}
}

uint64_t kobj_live(void)
{
	return live;
}
