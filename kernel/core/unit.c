/*
 * Unit lifecycle and frame accounting. Creation and destruction are the
 * only operations whose time grows with the unit (destruction walks what
 * it holds, bounded by its quota).
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/ipc.h"
#include "endpoint.h"
#include "handle.h"
#include "common/string.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "sched.h"
#include "thread.h"
#include "unit.h"
#include "vm.h"

static uint32_t next_unit_id = 1;

int64_t unit_frame_alloc(struct unit *u)
{
	if (u->used >= u->quota)
		return -AION_ENOMEM;
	int64_t pa = memory_alloc_frame();
	if (pa < 0)
		return pa;
	memset(phys_to_virt((uint64_t)pa), 0, PAGE_SIZE);
	u->used++;
	return pa;
}

void unit_frame_free(struct unit *u, uint64_t pa)
{
	int err = memory_free_frame(pa);
	if (err)
		klog("unit frame free failed unit=%s pa=0x%lx err=%s", u->name,
		     (unsigned long)pa, aion_error_name(err));
	u->used--;
}

static void *table_page_get(void *ctx)
{
	int64_t pa = unit_frame_alloc(ctx);
	return pa < 0 ? NULL : phys_to_virt((uint64_t)pa);
}

static void table_page_put(void *ctx, void *page)
{
	unit_frame_free(ctx, virt_to_phys(page));
}

static int unit_alloc(const char *name, uint64_t quota, unsigned max_prio,
		      struct unit **out)
{
	struct unit *u = kobj_alloc(AION_OBJ_UNIT);
	if (!u)
		return -AION_ENOMEM;
	size_t n = strlen(name);
	memcpy(u->name, name, n < UNIT_NAME_MAX - 1 ? n : UNIT_NAME_MAX - 1);
	u->id = next_unit_id++;
	u->state = AION_UNIT_RUNNING;
	u->quota = quota;
	u->max_prio = (uint8_t)max_prio;

	struct handle_pages pages = { table_page_get, table_page_put, u };
	handle_table_init(&u->handles, &pages);
	int err = vm_create(u);
	if (!err && (err = handle_set_self(&u->handles, &u->obj, AION_RIGHTS_ALL)))
		vm_destroy(u);
	if (err) {
		kobj_free(&u->obj);
		return err;
	}
	*out = u;   /* the creation reference goes to the caller */
	return 0;
}

int unit_create_root(const char *name, uint64_t quota, struct unit **out)
{
	return unit_alloc(name, quota, AION_PRIO_MAX, out);
}

int unit_create(struct unit *parent, const char *name, uint64_t quota,
		unsigned max_prio, struct unit **out)
{
	if (max_prio > parent->max_prio || parent->depth >= UNIT_MAX_DEPTH)
		return -AION_EPERM;
	if (quota > parent->quota - parent->used)
		return -AION_ENOMEM;
	parent->quota -= quota;
	int err = unit_alloc(name, quota, max_prio, out);
	if (err) {
		parent->quota += quota;
		return err;
	}
	(*out)->parent = parent;
	(*out)->depth = parent->depth + 1;
	(*out)->next_sibling = parent->first_child;
	parent->first_child = *out;
	kobj_get(&parent->obj);
	klog("unit create unit=%s id=%u parent=%s quota=%lu", (*out)->name,
	     (*out)->id, parent->name, (unsigned long)quota);
	return 0;
}

/* Tells the unit's fault endpoint, if it has one, how it ended. */
static void notify_end(struct unit *u)
{
	if (!u->fault_ep)
		return;
	uint64_t w[3] = { u->id, u->state | (uint64_t)u->fault_vector << 8,
			  u->state == AION_UNIT_FAULTED ? u->fault_addr : (uint64_t)(int64_t)u->exit_code };
	endpoint_post((struct endpoint *)u->fault_ep, u->fault_badge,
		      AION_TAG(AION_NOTICE_UNIT_ENDED, 0, 0), w);
}

void unit_end(struct unit *u, uint32_t state, int32_t code)
{
	if (u->state != AION_UNIT_RUNNING)
		return;
	u->state = state;
	u->exit_code = code;
	notify_end(u);
	for (struct thread *t = u->threads; t; t = t->unit_next)
		thread_kill(t);
}

void unit_thread_gone(struct unit *u, int32_t code)
{
	if (--u->live_threads == 0 && u->state == AION_UNIT_RUNNING) {
		klog("unit exit unit=%s id=%u code=%d", u->name, u->id, code);
		unit_end(u, AION_UNIT_EXITED, code);    /* threads never started die too */
	}
}

static bool is_ancestor_or_self(const struct unit *a, const struct unit *u)
{
	for (; u; u = u->parent)        /* bounded by UNIT_MAX_DEPTH */
		if (u == a)
			return true;
	return false;
}

/* Depth-first: recursion bounded by UNIT_MAX_DEPTH. */
static void destroy_children(struct unit *u)
{
	for (struct unit *c = u->first_child, *next; c; c = next) {
		kobj_get(&c->obj);
		if (!c->destroyed)
			unit_destroy(c);
		next = c->next_sibling;
		kobj_put(&c->obj);
	}
}

int unit_destroy(struct unit *u)
{
	struct thread *self = sched_current();

	if (u->destroyed)
		return -AION_ENOENT;
	if (is_ancestor_or_self(u, self->unit))
		return -AION_EBUSY;
	kobj_get(&u->obj);              /* keep u while its table lets go of it */
	destroy_children(u);
	unit_end(u, AION_UNIT_EXITED, 0);
	while (u->threads)
		thread_reap(u->threads);
	memobj_unit_gone(u);
	handle_table_clear(&u->handles);
	vm_destroy(u);
	u->destroyed = true;
	/* Left: memory objects it made that another unit still maps or holds;
	 * their frames come back when the last reference goes. */
	if (u->used)
		klog("unit destroy shared unit=%s frames=%lu", u->name, (unsigned long)u->used);
	klog("unit destroy unit=%s id=%u", u->name, u->id);
	kobj_put(&u->obj);
	return 0;
}

void unit_release(struct unit *u)
{
	struct unit *parent = u->parent;

	if (parent) {
		parent->quota += u->quota;
		for (struct unit **pp = &parent->first_child; *pp; pp = &(*pp)->next_sibling)
			if (*pp == u) {
				*pp = u->next_sibling;
				break;
			}
	}
	if (u->fault_ep)
		kobj_put(u->fault_ep);
	kobj_free(&u->obj);
	if (parent)
		kobj_put(&parent->obj);
}
