#include "aion/object.h"
#include "kobj.h"
#include "log.h"
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
	default:
		klog("kobj release unknown type=%u", o->type);
	}
}

uint64_t kobj_live(void)
{
	return live;
}

void kobj_count(int delta)
{
	live += (uint64_t)(int64_t)delta;
}
