/*
 * Notifications (notification.h) and the system calls on them at the end
 * of this file: NOTIFY_CREATE, SIGNAL, WAIT, POLL, NOTIFY_BIND.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "endpoint.h"
#include "notification.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "hot.h"

static int notification_create(struct unit *payer, struct notification **out)
{
	struct notification *n = kobj_alloc(AION_OBJ_NOTIFICATION, payer);
	if (!n)
		return -AION_ENOMEM;
	*out = n;
	return 0;
}

void notification_release(struct notification *n)
{
	kobj_free(&n->obj);
}

KERNEL_HOT
static void deliver_bits(struct thread *t, uint64_t tag, uint64_t bits)
{
	uint64_t w[3] = { bits, 0, 0 };
	/* WAIT returns the bits in rdi (the badge slot); RECV in its first word. */
	ipc_set_msg(t, tag ? 0 : bits, tag, w);
}

KERNEL_HOT
void notification_signal(struct notification *n, uint64_t bits)
{
	struct thread *t;

	n->bits |= bits;
	if (!n->bits)
		return;
	if ((t = n->waiter)) {
		n->waiter = NULL;
		t->waiting_on = NULL;
		t->ipc_state = IPC_NONE;
		deliver_bits(t, 0, n->bits);
		n->bits = 0;
		kobj_put(&n->obj);      /* the waiter's reference */
		sched_wake_near(t, 0);
	} else if ((t = n->bound) && t->ipc_state == IPC_RECV) {
		ipc_timed_out(t);       /* leaves the endpoint's queue */
		deliver_bits(t, AION_TAG_NOTIFY, n->bits);
		n->bits = 0;
		sched_wake_near(t, 0);
	}
}

KERNEL_HOT
static int64_t notification_wait(struct notification *n, uint64_t deadline)
{
	struct thread *t = sched_current();

	if (n->bits) {
		deliver_bits(t, 0, n->bits);
		n->bits = 0;
		return 0;
	}
	if (n->waiter)
		return -AION_EBUSY;
	n->waiter = t;
	t->waiting_on = n;
	kobj_get(&n->obj);
	t->ipc_state = IPC_WAIT;
	return sched_block_current(deadline);
}

static uint64_t notification_poll(struct notification *n)
{
	uint64_t bits = n->bits;
	n->bits = 0;
	return bits;
}

static int notification_bind(struct notification *n, struct thread *t)
{
	if (n->bound || t->bound)
		return -AION_EBUSY;
	n->bound = t;
	t->bound = n;
	kobj_get(&n->obj);
	return 0;
}

KERNEL_HOT
uint64_t notification_take_bound(struct thread *t)
{
	return t->bound ? notification_poll(t->bound) : 0;
}

void notification_cancel_wait(struct thread *t)
{
	struct notification *n = t->waiting_on;

	if (!n)
		return;
	n->waiter = NULL;
	t->waiting_on = NULL;
	kobj_put(&n->obj);
}

void notification_thread_gone(struct thread *t)
{
	struct notification *n = t->bound;

	notification_cancel_wait(t);
	if (n) {
		n->bound = NULL;
		t->bound = NULL;
		kobj_put(&n->obj);
	}
}

/* --- system calls: decode and check, then the functions above act --- */

int64_t sys_notify_create(const struct sys_args *a)
{
	struct notification *n;
	(void)a;
	int err = notification_create(self_unit(), &n);
	return err ? err : install(&n->obj, AION_RIGHTS_ALL);
}

KERNEL_HOT
int64_t sys_signal(const struct sys_args *a)
{
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_SEND, &n);
	if (err)
		return err;
	notification_signal(n, a->a1);
	return 0;
}

KERNEL_HOT
int64_t sys_wait(const struct sys_args *a)
{
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_RECV, &n);
	return err ? err : notification_wait(n, deadline_after(a->a5));
}

int64_t sys_poll(const struct sys_args *a)
{
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_RECV, &n);
	if (err)
		return err;
	uint64_t zero[3] = { 0, 0, 0 };
	ipc_set_msg(sched_current(), notification_poll(n), 0, zero);
	return 0;
}

int64_t sys_notify_bind(const struct sys_args *a)
{
	struct notification *n;
	struct thread *t;

	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_RECV, &n);
	if (!err)
		err = lookup(a->a1, AION_OBJ_THREAD, AION_RIGHT_CONTROL, &t);
	if (err)
		return err;
	if (t->state == AION_THREAD_DEAD)
		return -AION_EDEAD;
	return notification_bind(n, t);
}
