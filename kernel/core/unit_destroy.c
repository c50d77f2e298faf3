/*
 * Destroying units: UNIT_DESTROY and the orphans (units whose last
 * capability outside themselves went).
 *
 * A tree of units can hold thousands of frames, so destruction is
 * preemptible and restartable as CAP_REVOKE is (docs/abi.md): it works in
 * slices of DESTROY_SLICE pages, handles and threads, and after each slice
 * an interrupt pending ends the invocation with the call to run again
 * (SYS_RESTART). The progress is the units themselves: a unit being
 * destroyed is `dying` (ended, its threads dead, nothing may be added to
 * it), and each step takes what is left (threads, regions, handles, page
 * tables) and clears it as it goes, so whoever runs next goes on where
 * the last one stopped: the cut caller, a later UNIT_DESTROY of it or of
 * an ancestor, or the orphan reaper once its last handle is gone.
 *
 * A tree goes leaves first: each step walks down from the top through
 * first children, ending each unit it passes (so no unit above the work
 * runs or makes children), and takes one slice off the unit at the bottom;
 * a finished unit leaves its parent's list of children at once, so the
 * walk never passes it again.
 */
#include "aion/error.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "arch.h"
#include "log.h"
#include "memobj.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"

#define DESTROY_SLICE 128u      /* pages, handles or threads between looks at the IRR */

struct unit *unit_orphans;      /* to destroy at the end of this call */

static void begin(struct unit *u)
{
	if (u->dying)
		return;
	u->dying = true;
	unit_end(u, AION_UNIT_EXITED, 0);       /* its threads die: bounded by its stacks */
}

/* Takes up to *budget off u, which has no child left; true when u is bare. */
static bool strip(struct unit *u, uint64_t *budget)
{
	while (u->threads) {
		if (!*budget)
			return false;
		(*budget)--;
		thread_reap(u->threads);
	}
	return memobj_unit_gone_some(u, budget) &&
	       handle_table_clear_some(&u->handles, budget) &&
	       arch_vm_destroy_some(u, budget);
}

static void unlink_child(struct unit *u)
{
	struct unit *p = u->parent;

	if (!p)
		return;
	for (struct unit **pp = &p->first_child; *pp; pp = &(*pp)->next_sibling)
		if (*pp == u) {         /* the first, but for the top of a tree */
			*pp = u->next_sibling;
			u->next_sibling = NULL;
			return;
		}
}

static void finish(struct unit *u)
{
	u->destroyed = true;
	unlink_child(u);        /* its quota goes back with the last reference */
	/* Left: memory objects it made that another unit still maps or holds;
	 * their frames come back when the last reference goes. */
	if (u->used)
		klog("unit destroy shared unit=%s frames=%lu", u->name, (unsigned long)u->used);
	if (unit_log_ok(u))
		klog("unit destroy unit=%s id=%u", u->name, u->id);
}

/*
 * Destroys u and its descendants: 0 when done, SYS_RESTART when cut by a
 * pending interrupt (only if preemptible; one slice is always done).
 * The caller holds a reference to u.
 */
static int64_t teardown(struct unit *u, bool preemptible)
{
	uint64_t budget = DESTROY_SLICE;

	while (!u->destroyed) {
		struct unit *v = u;
		begin(v);
		while (v->first_child) {        /* bounded by UNIT_MAX_DEPTH */
			v = v->first_child;
			begin(v);
		}
		kobj_get(&v->obj);      /* its last reference may go with its table */
		if (strip(v, &budget))
			finish(v);
		kobj_put(&v->obj);
		if (!budget && !u->destroyed) {
			if (preemptible && arch_irq_pending())
				return SYS_RESTART;
			budget = DESTROY_SLICE;
		}
	}
	return 0;
}

int unit_destroy(struct unit *u)
{
	if (u->destroyed)
		return -AION_ENOENT;
	if (unit_is_ancestor_or_self(u, sched_current()->unit))
		return -AION_EBUSY;
	kobj_get(&u->obj);              /* keep u while its table lets go of it */
	teardown(u, false);
	kobj_put(&u->obj);
	return 0;
}

void unit_destroy_dropped(struct thread *t)
{
	struct unit *u = t->destroying;

	if (!u)
		return;
	t->destroying = NULL;
	kobj_put(&u->obj);
}

/* The cut caller's restart finds the unit destroyed by another: success. */
int64_t sys_unit_destroy(const struct sys_args *a)
{
	struct thread *t = sched_current();
	struct unit *u;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_DESTROY, &u);
	bool again = !err && t->destroying == u;
	unit_destroy_dropped(t);
	if (err)
		return err;
	if (u->destroyed)
		return again ? 0 : -AION_ENOENT;
	if (unit_is_ancestor_or_self(u, t->unit))
		return -AION_EBUSY;
	kobj_get(&u->obj);
	int64_t r = teardown(u, true);
	if (r == SYS_RESTART)
		t->destroying = u;      /* the reference goes with it */
	else
		kobj_put(&u->obj);
	return r;
}

/* --- orphans --- */

void unit_outside_cap_changed(struct unit *u, int delta)
{
	u->outside_caps += (uint32_t)delta;
	if (u->outside_caps || u->destroyed || u->orphaned)
		return;
	u->orphaned = true;
	kobj_get(&u->obj);
	u->orphan_next = unit_orphans;
	unit_orphans = u;
}

/*
 * The thread takes the orphans it may destroy onto its own list (t->reap):
 * an orphan that is its own unit or an ancestor waits for a call from
 * outside its subtree (nobody destroys the stack it runs on).
 */
static void adopt_orphans(struct thread *t)
{
	struct unit *keep = NULL, *u;

	while ((u = unit_orphans)) {
		unit_orphans = u->orphan_next;
		if (unit_is_ancestor_or_self(u, t->unit) && !u->destroyed) {
			u->orphan_next = keep;
			keep = u;
		} else {
			u->orphan_next = t->reap;
			t->reap = u;
		}
	}
	unit_orphans = keep;
}

/*
 * Destroys t's list; SYS_RESTART when cut (the rest stays on it). Each
 * orphan's teardown does a slice at least, so every invocation advances.
 */
static int64_t reap_list(struct thread *t)
{
	struct unit *u;

	for (;;) {
		/* Each destruction may orphan more (the units it held). */
		if (unit_orphans)
			adopt_orphans(t);
		if (!(u = t->reap))
			return 0;
		if (!u->destroyed && (u->dying || !u->outside_caps)) {
			if (!u->dying)
				klog("unit orphan unit=%s id=%u", u->name, u->id);
			if (teardown(u, true) == SYS_RESTART)
				return SYS_RESTART;
		}
		t->reap = u->orphan_next;
		u->orphaned = false;
		kobj_put(&u->obj);
		if (t->reap && arch_irq_pending())
			return SYS_RESTART;
	}
}

int64_t unit_reap_orphans(struct thread *t, int64_t result)
{
	adopt_orphans(t);
	if (!t->reap)
		return result;
	t->reap_result = result;
	return reap_list(t) == SYS_RESTART ? SYS_RESTART : result;
}

int64_t unit_reap_continue(struct thread *t)
{
	return reap_list(t) == SYS_RESTART ? SYS_RESTART : t->reap_result;
}

void unit_reap_dropped(struct thread *t)
{
	struct unit *u;

	/* Back on the orphan list, for the next call made from outside them. */
	while ((u = t->reap)) {
		t->reap = u->orphan_next;
		u->orphan_next = unit_orphans;
		unit_orphans = u;
	}
}
