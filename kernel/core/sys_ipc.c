/* System calls on capabilities, endpoints, replies and notifications. */
#include <stddef.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "endpoint.h"
#include "layout.h"
#include "notification.h"
#include "syscalls.h"
#include "usercopy.h"

#define REVOKE_BUDGET 64                /* deletions per CAP_REVOKE call */

static struct handle_slot *slot_of(uint64_t h)
{
	return h > UINT32_MAX ? NULL : handle_slot_of(&self_unit()->handles, (aion_handle_t)h);
}

/* --- capabilities --- */

static int64_t derive(uint64_t h, uint64_t mask, uint64_t badge)
{
	struct handle_slot *s = slot_of(h);
	aion_handle_t out;

	if (!s)
		return -AION_ECAP;
	int err = handle_derive(s, &self_unit()->handles, (uint32_t)mask, badge, &out);
	return err ? (int64_t)err : (int64_t)out;
}

SYSCALL(cap_copy)
{
	return derive(a->a0, a->a1, 0);
}

SYSCALL(cap_mint)
{
	if (!a->a2)
		return -AION_EINVAL;    /* a badge is never 0 */
	return derive(a->a0, a->a1, a->a2);
}

/* A copy into another unit's table: how a parent hands a child its first capabilities. */
SYSCALL(cap_give)
{
	struct unit *u;
	aion_handle_t out;

	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	if (err)
		return err;
	struct handle_slot *s = slot_of(a->a1);
	if (!s)
		return -AION_ECAP;
	if (u->destroyed)
		return -AION_EDEAD;
	err = handle_derive(s, &u->handles, (uint32_t)a->a2, 0, &out);
	return err ? (int64_t)err : (int64_t)out;
}

SYSCALL(cap_revoke)
{
	struct handle_slot *s = slot_of(a->a0);
	return s ? handle_revoke(s, REVOKE_BUDGET) : -AION_ECAP;
}

SYSCALL(cap_info)
{
	struct handle_slot *s = slot_of(a->a0);
	if (!s)
		return -AION_ECAP;
	struct aion_cap_info info = { s->obj->type, s->rights, s->badge };
	return copy_to_user(a->a1, &info, sizeof(info));
}

/* What another unit holds: slot i of its table (for `caps UNIT`). */
SYSCALL(cap_list)
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
	struct aion_cap_info info = { s->obj->type, s->rights, s->badge };
	if ((err = copy_to_user(a->a2, &info, sizeof(info))))
		return err;
	return (int64_t)AION_HANDLE(a->a1, s->gen);
}

/* --- endpoints --- */

SYSCALL(endpoint_create)
{
	struct endpoint *ep;
	(void)a;
	int err = endpoint_create(&ep);
	return err ? err : install(&ep->obj, AION_RIGHTS_ALL);
}

/* A tag a thread may send: payload and capabilities within bounds. */
static int check_tag(uint64_t tag)
{
	if (AION_TAG_LEN(tag) > AION_IPC_PAYLOAD_MAX || AION_TAG_CAPS(tag) > AION_IPC_CAPS_MAX)
		return -AION_EINVAL;
	if ((AION_TAG_LEN(tag) || AION_TAG_CAPS(tag)) && !sched_current()->ipc_buffer)
		return -AION_EINVAL;    /* no IPC buffer registered */
	return 0;
}

SYSCALL(call)
{
	struct handle_slot *s;
	uint64_t w[3] = { a->a2, a->a3, a->a4 };

	int err = lookup_slot(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_SEND, &s);
	if (!err)
		err = check_tag(a->a1);
	if (err)
		return err;
	if (AION_TAG_CAPS(a->a1) && !(s->rights & AION_RIGHT_GRANT))
		return -AION_ERIGHTS;
	return ipc_call((struct endpoint *)s->obj, s->badge, s->rights & AION_RIGHT_GRANT,
			a->a1, w, deadline_after(a->a5));
}

SYSCALL(recv)
{
	struct endpoint *ep;
	int err = lookup(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_RECV, &ep);
	return err ? err : ipc_recv(ep, deadline_after(a->a5));
}

SYSCALL(reply)
{
	uint64_t w[3] = { a->a1, a->a2, a->a3 };
	int err = check_tag(a->a0);
	return err ? err : ipc_reply(a->a0, w);
}

SYSCALL(reply_recv)
{
	struct endpoint *ep;
	uint64_t w[3] = { a->a2, a->a3, a->a4 };

	int err = lookup(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_RECV, &ep);
	if (!err)
		err = check_tag(a->a1);
	if (err)
		return err;
	/* A caller that gave up is no reason not to receive the next call;
	 * a fault in our own buffer is. */
	int64_t r = sched_current()->reply_to ? ipc_reply(a->a1, w) : 0;
	if (r && sched_current()->reply_to)
		return r;               /* still pending: ours to fix and retry */
	return ipc_recv(ep, deadline_after(a->a5));
}

SYSCALL(reply_save)
{
	struct kobj *rp;
	(void)a;
	int err = ipc_reply_save(&rp);
	return err ? err : install(rp, AION_RIGHT_SEND);
}

SYSCALL(reply_to)
{
	struct handle_slot *s;
	uint64_t w[3] = { a->a2, a->a3, a->a4 };

	int err = lookup_slot(a->a0, AION_OBJ_REPLY, AION_RIGHT_SEND, &s);
	if (!err)
		err = check_tag(a->a1);
	if (err)
		return err;
	int64_t r = ipc_reply_to(s->obj, a->a1, w);
	if (reply_answered(s->obj))
		handle_delete(s);       /* a reply is used once */
	return r;
}

SYSCALL(ipc_buffer)
{
	uint64_t va = a->a0;

	if (va & (PAGE_SIZE - 1))
		return -AION_EINVAL;    /* one page: a message never straddles two */
	if (va && (va < AION_USER_MIN || va >= AION_USER_END))
		return -AION_EFAULT;
	sched_current()->ipc_buffer = va;
	return 0;
}

/* --- notifications --- */

SYSCALL(notify_create)
{
	struct notification *n;
	(void)a;
	int err = notification_create(&n);
	return err ? err : install(&n->obj, AION_RIGHTS_ALL);
}

SYSCALL(signal)
{
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_SEND, &n);
	if (err)
		return err;
	notification_signal(n, a->a1);
	return 0;
}

SYSCALL(wait)
{
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_RECV, &n);
	return err ? err : notification_wait(n, deadline_after(a->a5));
}

SYSCALL(poll)
{
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_NOTIFICATION, AION_RIGHT_RECV, &n);
	if (err)
		return err;
	uint64_t zero[3] = { 0, 0, 0 };
	ipc_set_msg(sched_current(), notification_poll(n), 0, zero);
	return 0;
}

SYSCALL(notify_bind)
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
