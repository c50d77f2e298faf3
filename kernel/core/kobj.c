#include "aion/object.h"
#include "kobj.h"
#include "endpoint.h"
#include "log.h"
#include "memobj.h"
#include "notification.h"
#include "platform.h"
#include "thread.h"
#include "unit.h"

static uint64_t live;

void kobj_init(struct kobj *o, uint32_t type)
{
	o->type = type;
	o->refs = 1;
}

void kobj_get(struct kobj *o)
{
	o->refs++;
}

void kobj_put(struct kobj *o)
{
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

void kobj_cap_added(struct kobj *o, uint32_t rights)
{
	if (o->type == AION_OBJ_ENDPOINT)
		endpoint_cap_changed((struct endpoint *)o, rights, 1);
}

void kobj_cap_removed(struct kobj *o, uint32_t rights)
{
	if (o->type == AION_OBJ_ENDPOINT)
		endpoint_cap_changed((struct endpoint *)o, rights, -1);
}

uint64_t kobj_live(void)
{
	return live;
}

void kobj_count(int delta)
{
	live += (uint64_t)(int64_t)delta;
}
