/*
 * The system calls on the capability table: HANDLE_CLOSE and CAP_*. They
 * decode handles and rights here; the table's rules (derivation, revoke,
 * generations) are handle.c's pure code, which the host tests drive.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "handle.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"

#define REVOKE_CHUNK 16                 /* deletions between preemption points */

static struct handle_slot *slot_of(uint64_t h)
{
	return h > UINT32_MAX ? NULL : handle_slot_of(&self_unit()->handles, (aion_handle_t)h);
}

static int64_t derive(uint64_t h, uint64_t mask, uint64_t badge)
{
	struct handle_slot *s = slot_of(h);
	aion_handle_t out;

	if (!s)
		return -AION_ECAP;
	int err = handle_derive(s, &self_unit()->handles, (uint32_t)mask, badge, &out);
	return err ? (int64_t)err : (int64_t)out;
}

int64_t sys_cap_copy(const struct sys_args *a)
{
	return derive(a->a0, a->a1, 0);
}

/*
 * A badge names a caller to the server that receives on the endpoint, so
 * only a holder of RECV may set one: a client given an unbadged SEND copy
 * (a name's capability) could otherwise mint the badge of a socket or a
 * file of another unit and act as its owner (docs/abi.md).
 */
int64_t sys_cap_mint(const struct sys_args *a)
{
	struct handle_slot *s = slot_of(a->a0);

	if (!a->a2)
		return -AION_EINVAL;    /* a badge is never 0 */
	if (s && !s->badge && s->obj->type == AION_OBJ_ENDPOINT && !(s->rights & AION_RIGHT_RECV))
		return -AION_ERIGHTS;
	return derive(a->a0, a->a1, a->a2);
}

/* A copy into another unit's table: how a parent hands a child its first capabilities. */
int64_t sys_cap_give(const struct sys_args *a)
{
	struct unit *u;
	aion_handle_t out;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	if (err)
		return err;
	struct handle_slot *s = slot_of(a->a1);
	if (!s)
		return -AION_ECAP;
	if (u->dying)
		return -AION_EDEAD;
	err = handle_derive(s, &u->handles, (uint32_t)a->a2, 0, &out);
	return err ? (int64_t)err : (int64_t)out;
}

/*
 * The mark a cut revoke leaves on its object (kobj.revoker: no copy of
 * it is made) belongs to the thread whose call was cut and lasts only
 * until that thread is back in the kernel: this drops it. Called when the
 * thread enters CAP_REVOKE again (the call takes the mark anew if cut
 * again), makes any other call (it gave the revoke up) or dies
 * (thread_kill: its unit faulted or was destroyed mid-revoke). A mark on
 * a slot instead outlived its revoke: a unit that ended mid-revoke kept
 * copies of the object refused until it was destroyed, a slot moved away
 * took the mark to a unit that might never revoke.
 */
void cap_revoke_unmark(struct thread *t)
{
	struct kobj *o = t->revoking;

	if (!o)
		return;
	t->revoking = NULL;
	o->revoker = NULL;              /* only t's own revoke sets it to t */
	kobj_put(o);
}

/*
 * Preemptible and restartable: chunks of REVOKE_CHUNK deletions, and after
 * each one an interrupt pending ends the invocation with the call to run
 * again (SYS_RESTART). The progress is the tree itself, and while the cut
 * revoke is marked on the object no copy of it is made (EAGAIN), so the
 * tree only shrinks and the restarts end. Nothing else runs within one
 * invocation, so the mark is needed only from a cut to the next
 * invocation. A second revoke of the same object takes the mark at its
 * first cut after the first is done.
 */
int64_t sys_cap_revoke(const struct sys_args *a)
{
	struct thread *t = sched_current();

	cap_revoke_unmark(t);           /* this call takes it again if cut again */
	struct handle_slot *s = slot_of(a->a0);
	if (!s)
		return -AION_ECAP;
	struct kobj *o = s->obj;
	for (;;) {
		int err = handle_revoke(s, REVOKE_CHUNK);
		if (err != -AION_EAGAIN)
			return err;
		if (arch_irq_pending()) {
			if (!o->revoker) {
				o->revoker = t;
				t->revoking = o;
				kobj_get(o);    /* the slot may go before t is back */
			}
			return SYS_RESTART;
		}
	}
}

int64_t sys_cap_info(const struct sys_args *a)
{
	struct handle_slot *s = slot_of(a->a0);
	if (!s)
		return -AION_ECAP;
	struct aion_cap_info info = { s->obj->type, s->rights, s->badge,
				      s->child ? AION_CAP_COPIED : 0, 0 };
	return copy_to_user(a->a1, &info, sizeof(info));
}

/* What another unit holds: slot i of its table (for `caps UNIT`). */
int64_t sys_cap_list(const struct sys_args *a)
{
	struct unit *u;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_READ, &u);
	if (err)
		return err;
	if (a->a1 >= AION_HANDLE_SLOTS)
		return -AION_ERANGE;
	struct handle_slot *s = handle_slot_at(&u->handles, (unsigned)a->a1);
	if (!s || !s->obj)
		return -AION_ENOENT;
	struct aion_cap_info info = { s->obj->type, s->rights, s->badge,
				      s->child ? AION_CAP_COPIED : 0, 0 };
	if ((err = copy_to_user(a->a2, &info, sizeof(info))))
		return err;
	return (int64_t)AION_HANDLE(a->a1, s->gen);
}

int64_t sys_handle_close(const struct sys_args *a)
{
	if (a->a0 > UINT32_MAX)
		return -AION_ECAP;
	return handle_close(&self_unit()->handles, (aion_handle_t)a->a0);
}
