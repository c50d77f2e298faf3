/*
 * Unit lifecycle and frame accounting; destruction is in unit_destroy.c.
 * The system calls on units and their memory (UNIT_CREATE, UNIT_INFO,
 * UNIT_FAULT_EP, MEM_WRITE) are at the end.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "aion/ipc.h"
#include "arch.h"
#include "endpoint.h"
#include "handle.h"
#include "common/string.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"

/* Lines about one parent's children: a burst, then a steady rate. */
#define UNIT_LOG_BURST    32u
#define UNIT_LOG_PER_S    16u
#define UNIT_LOG_REFILL_NS (1000000000ull / UNIT_LOG_PER_S)

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

/* Pages on the unit's quota: its handle table's and its objects' slabs. */
static void *table_page_get(void *ctx)
{
	int64_t pa = unit_frame_alloc(ctx);
	return pa < 0 ? NULL : phys_to_virt((uint64_t)pa);
}

static void table_page_put(void *ctx, void *page)
{
	unit_frame_free(ctx, virt_to_phys(page));
}

/* The unit object is charged to its maker (payer), NULL for the root. */
static int unit_alloc(const char *name, uint64_t quota, unsigned max_prio,
		      struct unit *payer, struct unit **out)
{
	struct unit *u = kobj_alloc(AION_OBJ_UNIT, payer);
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
	struct slab_page_ops slab_pages = { table_page_get, table_page_put, u };
	kobj_caches_init_for(u->caches, &slab_pages);
	int err = arch_vm_create(u);
	if (!err && (err = handle_set_self(&u->handles, &u->obj, AION_RIGHTS_ALL)))
		arch_vm_destroy(u);
	if (err) {
		kobj_free(&u->obj);
		return err;
	}
	*out = u;   /* the creation reference goes to the caller */
	return 0;
}

int unit_create_root(const char *name, uint64_t quota, struct unit **out)
{
	int err = unit_alloc(name, quota, AION_PRIO_MAX, NULL, out);
	if (!err)
		(*out)->stacks = THREAD_MAX;    /* every kernel stack slot */
	return err;
}

/*
 * The kernel stack slots a child gets from its parent's: the share of its
 * quota in the parent's unused quota, at least UNIT_MIN_STACKS, at most
 * what the parent has left; 0 if the parent has none.
 */
static uint32_t stack_share(const struct unit *parent, uint64_t quota)
{
	uint64_t free = parent->stacks - parent->stacks_used;
	uint64_t unused = parent->quota - parent->used;
	uint64_t share = unused ? free * quota / unused : 0;

	if (share < UNIT_MIN_STACKS)
		share = UNIT_MIN_STACKS;
	return (uint32_t)(share < free ? share : free);
}

int unit_create(struct unit *parent, struct unit *maker, const char *name, uint64_t quota,
		unsigned max_prio, struct unit **out)
{
	if (max_prio > parent->max_prio || parent->depth >= UNIT_MAX_DEPTH)
		return -AION_EPERM;
	if (quota > maker->quota - maker->used)
		return -AION_ENOMEM;
	uint32_t stacks = stack_share(maker, quota);
	if (!stacks)
		return -AION_ENOSPC;    /* it could never run a thread */
	maker->quota -= quota;
	int err = unit_alloc(name, quota, max_prio, maker, out);
	if (err) {
		maker->quota += quota;
		return err;
	}
	maker->stacks_used += stacks;
	(*out)->stacks = stacks;
	(*out)->parent = parent;
	(*out)->depth = parent->depth + 1;
	(*out)->next_sibling = parent->first_child;
	parent->first_child = *out;
	kobj_get(&parent->obj);
	if (unit_log_ok(*out))
		klog("unit create unit=%s id=%u parent=%s quota=%lu pt=0x%lx", (*out)->name,
		     (*out)->id, parent->name, (unsigned long)quota,
		     (unsigned long)(*out)->pml4);     /* bench/profile: CR3 -> unit */
	return 0;
}

bool unit_log_ok(struct unit *u)
{
	struct unit *p = u->parent;

	if (!p)
		return true;
	/* The whole tree under one child of init shares a budget: a unit's
	 * children could make grandchildren to get more (≤ UNIT_MAX_DEPTH). */
	while (p->parent && p->parent->parent)
		p = p->parent;
	uint64_t now = arch_clock_ns();
	if (!p->log.at) {
		p->log.at = now;
		p->log.tokens = UNIT_LOG_BURST;
	}
	uint64_t add = (now - p->log.at) / UNIT_LOG_REFILL_NS;
	if (add) {
		p->log.tokens = add >= UNIT_LOG_BURST - p->log.tokens ?
				UNIT_LOG_BURST : p->log.tokens + (uint32_t)add;
		p->log.at += add * UNIT_LOG_REFILL_NS;
	}
	if (!p->log.tokens) {
		p->log.suppressed++;
		return false;
	}
	p->log.tokens--;
	if (p->log.suppressed) {
		klog("unit lines held back parent=%s id=%u count=%u", p->name, p->id,
		     p->log.suppressed);
		p->log.suppressed = 0;
	}
	return true;
}

/* u no longer reports to a fault endpoint. */
static void fault_ep_clear(struct unit *u)
{
	struct endpoint *ep = (struct endpoint *)u->fault_ep;

	if (!ep)
		return;
	if (u->fault_prev)
		u->fault_prev->fault_next = u->fault_next;
	else
		ep->fault_units = u->fault_next;
	if (u->fault_next)
		u->fault_next->fault_prev = u->fault_prev;
	u->fault_next = u->fault_prev = NULL;
	u->fault_ep = NULL;
	u->fault_setter = NULL;
	kobj_put(&ep->obj);
}

/* Tells the unit's fault endpoint, if it has one, how it ended. */
static void notify_end(struct unit *u)
{
	if (!u->fault_ep)
		return;
	u->notice_badge = u->fault_badge;       /* as it was when u ended */
	endpoint_post_end((struct endpoint *)u->fault_ep, u);
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
		if (unit_log_ok(u))
			klog("unit exit unit=%s id=%u code=%d", u->name, u->id, code);
		unit_end(u, AION_UNIT_EXITED, code);    /* threads never started die too */
	}
}

void unit_release(struct unit *u)
{
	struct unit *parent = u->parent, *maker = u->obj.payer;

	if (maker) {            /* its quota and stack slots were its maker's */
		maker->quota += u->quota;
		maker->stacks_used -= u->stacks;
	}
	if (parent) {
		for (struct unit **pp = &parent->first_child; *pp; pp = &(*pp)->next_sibling)
			if (*pp == u) {
				*pp = u->next_sibling;
				break;
			}
	}
	fault_ep_clear(u);
	/* Its objects held it, so its caches are empty: any frame left is lost. */
	if (u->used)
		klog("unit destroy leak unit=%s frames=%lu", u->name, (unsigned long)u->used);
	kobj_free(&u->obj);
	if (parent)
		kobj_put(&parent->obj);
}

/* --- system calls: decode and check, then the functions above act --- */

int64_t sys_unit_create(const struct sys_args *a)
{
	struct unit *parent, *child;
	char name[UNIT_NAME_MAX];
	uint64_t len = a->a2;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_SPAWN, &parent);
	if (err)
		return err;
	/* Quota comes only from one's own tree: a descendant's was the
	 * caller's (UNIT_COLOCATE's guest is made under its host this way). */
	if (!unit_is_ancestor_or_self(self_unit(), parent))
		return -AION_EPERM;
	if (parent->dying)
		return -AION_EDEAD;
	if (len == 0 || len >= UNIT_NAME_MAX || a->a4 > AION_PRIO_MAX)
		return -AION_EINVAL;
	if ((err = copy_from_user(name, a->a1, len)))
		return err;
	name[len] = '\0';
	if ((err = unit_create(parent, self_unit(), name, a->a3, (unsigned)a->a4, &child)))
		return err;
	aion_handle_t h;
	err = handle_alloc(&self_unit()->handles, &child->obj, AION_RIGHTS_ALL, 0, NULL, &h);
	if (err)
		unit_destroy(child);
	kobj_put(&child->obj);          /* the handle (if any) holds it now */
	return err ? (int64_t)err : (int64_t)h;
}

int64_t sys_unit_info(const struct sys_args *a)
{
	struct unit *u;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_READ, &u);
	if (err)
		return err;
	struct aion_unit_info info = {
		.state = u->state,
		.exit_code = u->exit_code,
		.fault_vector = u->fault_vector,
		.threads = u->live_threads,
		.fault_addr = u->fault_addr,
		.quota_frames = u->quota,
		.used_frames = u->used,
		.id = u->id,
		.max_prio = u->max_prio,
		.syscalls = u->syscalls,
		.cpu_ns = u->cpu_ns,
		.loads = __atomic_load_n(&u->loads, __ATOMIC_RELAXED),
	};
	/* Bounded by its kernel stacks (at most 512, as UNIT_EXIT). The
	 * counts of threads not yet reaped are their own. */
	for (struct thread *t = u->threads; t; t = t->unit_next) {
		info.syscalls += t->syscalls;
		info.cpu_ns += t->cpu_ns;
		if (t->state != AION_THREAD_DEAD && t->state != AION_THREAD_CREATED)
			info.cpu_mask |= 1u << t->cpu;
	}
	struct thread *cur = sched_current();
	if (cur->unit == u)             /* the running slice counts too */
		info.cpu_ns += arch_clock_ns() - cur->ran_since;
	memcpy(info.name, u->name, sizeof(info.name));
	return copy_to_user(a->a1, &info, sizeof(info));
}

/* Every page of [va, va+len) mapped in u (and owned by it, for a target). */
static int range_mapped(struct unit *u, uint64_t va, uint64_t len, bool target)
{
	for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE) {
		uint64_t pa;
		bool owned;
		if (arch_vm_translate(u, p, false, &pa, &owned))
			return -AION_EFAULT;
		if (target && !owned)
			return -AION_EPERM;
	}
	return 0;
}

/* Copies the caller's [src, src+len) into u's frames at dst. Both are mapped. */
static int unit_write(struct unit *u, uint64_t dst, uint64_t src, uint64_t len)
{
	int err;

	while (len) {
		uint64_t pa;
		uint64_t chunk = PAGE_SIZE - (dst & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		arch_vm_translate(u, dst, false, &pa, NULL);
		if ((err = copy_from_user(phys_to_virt(pa), src, chunk)))
			return err;
		dst += chunk;
		src += chunk;
		len -= chunk;
	}
	return 0;
}

int64_t sys_mem_write(const struct sys_args *a)
{
	struct unit *u;
	uint64_t dst = a->a1, src = a->a2, len = a->a3;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	if (err)
		return err;
	if (len > AION_MEM_WRITE_MAX)
		return -AION_EINVAL;
	if (u->dying)
		return -AION_EDEAD;
	if (dst < AION_USER_MIN || dst > AION_USER_END - len ||
	    src < AION_USER_MIN || src > AION_USER_END - len)
		return -AION_EFAULT;
	if ((err = range_mapped(u, dst, len, true)) ||
	    (err = range_mapped(self_unit(), src, len, false)))
		return err;
	return unit_write(u, dst, src, len);
}

/* ep (a reference is taken) hears of u's end with badge, while setter holds it. */
static void unit_set_fault_ep(struct unit *u, struct kobj *ep, uint64_t badge,
			      struct unit *setter)
{
	struct endpoint *e = (struct endpoint *)ep;

	fault_ep_clear(u);
	kobj_get(ep);
	u->fault_ep = ep;
	u->fault_badge = badge;
	u->fault_setter = setter;
	u->fault_next = e->fault_units;
	if (e->fault_units)
		e->fault_units->fault_prev = u;
	e->fault_units = u;
}

void unit_fault_ep_cap_lost(struct unit *holder, struct endpoint *ep)
{
	int holds = -1;         /* the table is scanned only if holder set one */

	for (struct unit *u = ep->fault_units, *next; u; u = next) {
		next = u->fault_next;
		if (u->fault_setter != holder)
			continue;
		if (holds < 0)
			holds = handle_holds(&holder->handles, &ep->obj, AION_RIGHT_SEND);
		if (holds)
			return;
		fault_ep_clear(u);      /* not the last reference: the slot's */
	}
}

int64_t sys_unit_fault_ep(const struct sys_args *a)
{
	struct unit *u;
	struct handle_slot *s;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_CONTROL, &u);
	if (err)
		return err;
	if ((err = lookup_slot(a->a1, AION_OBJ_ENDPOINT, AION_RIGHT_SEND, &s)))
		return err;
	unit_set_fault_ep(u, s->obj, a->a2 ? a->a2 : s->badge, self_unit());
	return 0;
}

/*
 * a0 (a child of a1, nothing mapped, no thread or child yet) moves into
 * a1's address space at window a2 (docs/abi.md "Co-located units"). No
 * nesting: a guest hosts nobody (it may have no guest child when it
 * moves, and a host must not be a guest). A guest is its host's child, so
 * it is destroyed before its host's tables are (unit_destroy.c).
 */
int64_t sys_unit_colocate(const struct sys_args *a)
{
	struct unit *g, *h;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &g);
	if (!err)
		err = lookup(a->a1, AION_OBJ_UNIT, AION_RIGHT_WRITE, &h);
	if (err)
		return err;
	if (a->a2 < AION_WINDOW_MIN || a->a2 > AION_WINDOW_MAX || g->parent != h ||
	    g->window || h->window)
		return -AION_EINVAL;
	if (g->dying || h->dying)
		return -AION_EDEAD;
	if (g->threads || g->first_child)
		return -AION_EBUSY;
	if ((err = arch_vm_colocate(g, h, (unsigned)a->a2)))
		return err;
	if (unit_log_ok(g))
		klog("unit colocate unit=%s id=%u host=%s window=%u", g->name, g->id, h->name,
		     g->window);
	return 0;
}

/*
 * The caller's unit ends with a0 as its code (POSIX exit with threads
 * alive): every thread dies; the others are reaped now, as a fault does,
 * and the caller once off its stack.
 */
int64_t sys_unit_exit(const struct sys_args *a)
{
	struct thread *t = sched_current();
	struct unit *u = t->unit;

	if (unit_log_ok(u))
		klog("unit exit unit=%s id=%u code=%d", u->name, u->id, (int32_t)a->a0);
	t->exit_code = (int32_t)a->a0;
	unit_end(u, AION_UNIT_EXITED, (int32_t)a->a0);
	for (struct thread *o = u->threads, *next; o; o = next) {
		next = o->unit_next;
		if (o != t)
			thread_reap(o);
	}
	sched_block();
	return 0;                       /* not reached */
}
