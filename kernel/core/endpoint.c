/*
 * Endpoint IPC: call, receive, reply, saved replies (endpoint.h), and the
 * system calls on endpoints and replies at the end of this file: what
 * happens on CALL is sys_call, then ipc_call, which moves the message
 * with ipc_transfer.
 *
 * A delivery can fail because of the sender (bad buffer, bad handle) or
 * the receiver (no buffer, no free slot). The side at fault gets the
 * error; the other stays as it was, so no message is lost silently.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "arch.h"
#include "endpoint.h"
#include "handle.h"
#include "klock.h"
#include "layout.h"
#include "notification.h"
#include "sched.h"
#include "syscalls.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"
#include "hot.h"

static int endpoint_create(struct unit *payer, struct endpoint **out)
{
	struct endpoint *ep = kobj_alloc(AION_OBJ_ENDPOINT, payer);

	if (!ep)
		return -AION_ENOMEM;
	*out = ep;
	return 0;
}

void endpoint_release(struct endpoint *ep)
{
	struct unit *u;

	while ((u = ep->notice_head)) {         /* nobody will hear of them */
		ep->notice_head = u->notice_next;
		u->notice_next = NULL;
		kobj_put(&u->obj);
	}
	kobj_free(&ep->obj);
}

/* --- the message: payload and capabilities (endpoint.h: ipc_transfer) ---
 * Every check comes before the first write, so a failed transfer changes
 * nothing; the side at fault is told through *blame. */

#define PAYLOAD_OFF     offsetof(struct aion_ipc_buffer, payload)
#define CAPS_OFF        offsetof(struct aion_ipc_buffer, caps)
#define RIGHTS_OFF      offsetof(struct aion_ipc_buffer, cap_rights)

KERNEL_HOT
static bool buffer_writable(struct thread *t)
{
	uint64_t pa;
	return t->ipc_buffer && !arch_vm_translate(t->unit, t->ipc_buffer, true, &pa, NULL);
}

static int read_caps(struct thread *s, unsigned n, struct handle_slot **slot,
		     uint32_t *rights)
{
	aion_handle_t h[AION_IPC_CAPS_MAX];

	if (user_copy(s->unit, s->ipc_buffer + CAPS_OFF, h, n * sizeof(h[0]), false) ||
	    user_copy(s->unit, s->ipc_buffer + RIGHTS_OFF, rights, n * sizeof(rights[0]), false))
		return -AION_EFAULT;
	for (unsigned i = 0; i < n; i++) {
		slot[i] = handle_slot_of(&s->unit->handles, h[i]);
		if (!slot[i])
			return -AION_ECAP;
		if ((rights[i] & AION_IPC_CAP_MOVE) && h[i] == AION_HANDLE_SELF)
			return -AION_EPERM;
		if (!(rights[i] & AION_IPC_CAP_MOVE) && slot[i]->obj->revoker)
			return -AION_EAGAIN;    /* as handle_derive, before the commit */
		for (unsigned j = 0; j < i; j++)
			if (slot[j] == slot[i] && ((rights[i] | rights[j]) & AION_IPC_CAP_MOVE))
				return -AION_EINVAL;
	}
	return 0;
}

/* A message with a payload or capabilities (ipc_transfer tests that). */
static int transfer(struct thread *s, struct thread *r, uint64_t tag, bool grant,
		    enum ipc_blame *blame)
{
	unsigned len = AION_TAG_LEN(tag), ncaps = AION_TAG_CAPS(tag);
	uint8_t payload[AION_IPC_PAYLOAD_MAX];
	struct handle_slot *slot[AION_IPC_CAPS_MAX];
	uint32_t rights[AION_IPC_CAPS_MAX];
	aion_handle_t got[AION_IPC_CAPS_MAX];

	*blame = IPC_BLAME_SENDER;
	if (ncaps && !grant)
		return -AION_ERIGHTS;   /* before the receiver is looked at */
	*blame = IPC_BLAME_RECEIVER;
	if (!buffer_writable(r))
		return -AION_EFAULT;
	*blame = IPC_BLAME_SENDER;
	if (user_copy(s->unit, s->ipc_buffer + PAYLOAD_OFF, payload, len, false))
		return -AION_EFAULT;
	int err = ncaps ? read_caps(s, ncaps, slot, rights) : 0;
	if (err)
		return err;
	*blame = IPC_BLAME_RECEIVER;
	if (ncaps && (err = handle_reserve(&r->unit->handles, ncaps)))
		return err;

	/* Commit: the receiver's buffer page is mapped and writable, and its
	 * table has the slots on pages it holds, so nothing below fails. */
	user_copy(r->unit, r->ipc_buffer + PAYLOAD_OFF, payload, len, true);
	for (unsigned i = 0; i < ncaps; i++) {
		err = (rights[i] & AION_IPC_CAP_MOVE) ?
			handle_move(slot[i], &r->unit->handles, &got[i]) :
			handle_derive(slot[i], &r->unit->handles, rights[i], 0, &got[i]);
		if (err)
			got[i] = 0;     /* not after the reserve; never garbage */
	}
	if (ncaps)
		user_copy(r->unit, r->ipc_buffer + CAPS_OFF, got, ncaps * sizeof(got[0]), true);
	return err;
}

/* Most messages are registers only: the test on the path, the copy off it. */
KERNEL_HOT
int ipc_transfer(struct thread *s, struct thread *r, uint64_t tag, bool grant,
		 enum ipc_blame *blame)
{
	return AION_TAG_LEN(tag) || AION_TAG_CAPS(tag) ? transfer(s, r, tag, grant, blame) : 0;
}

/* --- queues (FIFO, intrusive) --- */

KERNEL_HOT
static struct thread **head_of(struct endpoint *ep, struct thread *t)
{
	return t->ipc_state == IPC_RECV ? &ep->recv_head : &ep->send_head;
}

KERNEL_HOT
static struct thread **tail_of(struct endpoint *ep, struct thread *t)
{
	return t->ipc_state == IPC_RECV ? &ep->recv_tail : &ep->send_tail;
}

/* Precondition: t->ipc_state says which queue. */
KERNEL_HOT
static void enqueue(struct endpoint *ep, struct thread *t, bool front)
{
	struct thread **head = head_of(ep, t), **tail = tail_of(ep, t);

	t->ipc_ep = ep;
	kobj_get(&ep->obj);             /* the queue keeps ep alive */
	if (front) {
		t->ipc_prev = NULL;
		t->ipc_next = *head;
		if (*head)
			(*head)->ipc_prev = t;
		else
			*tail = t;
		*head = t;
	} else {
		t->ipc_next = NULL;
		t->ipc_prev = *tail;
		if (*tail)
			(*tail)->ipc_next = t;
		else
			*head = t;
		*tail = t;
	}
}

KERNEL_HOT_INLINE
static void dequeue(struct thread *t)
{
	struct endpoint *ep = t->ipc_ep;
	struct thread **head = head_of(ep, t), **tail = tail_of(ep, t);

	if (t->ipc_prev)
		t->ipc_prev->ipc_next = t->ipc_next;
	else
		*head = t->ipc_next;
	if (t->ipc_next)
		t->ipc_next->ipc_prev = t->ipc_prev;
	else
		*tail = t->ipc_prev;
	t->ipc_next = t->ipc_prev = NULL;
	t->ipc_ep = NULL;
	kobj_put(&ep->obj);
}

KERNEL_HOT
void ipc_set_msg(struct thread *t, uint64_t badge, uint64_t tag, const uint64_t w[3])
{
	arch_thread_set_msg(t, badge, tag, w[0], w[1], w[2]);
}

/* --- priority inheritance --- */

KERNEL_HOT
static void release_boost(struct thread *t)
{
	if (t->prio != t->base_prio)
		sched_set_prio(t, t->base_prio);
}

/*
 * Who may answer a caller holds a reference to it only while it waits for
 * that answer: one server thread (its reply_to) or one saved reply. When
 * the caller stops waiting (timed out, killed), the holder lets go at
 * once, so a dead unit's threads go with it rather than whenever some
 * server gets round to answering (a server that saves replies would
 * otherwise pin frames of its callers' quotas).
 */
KERNEL_HOT
static void hold_caller(struct thread *c, struct thread *srv, struct reply *rp)
{
	c->answerer = srv;
	c->answer_rp = rp;
}

/* The holder's reference goes: the call was answered or dropped. */
KERNEL_HOT
static void unhold_caller(struct thread *c)
{
	c->answerer = NULL;
	c->answer_rp = NULL;
	kobj_put(&c->obj);
}

/* c no longer waits for its answer: the holder forgets it (EDEAD to a
 * server's later reply, as from a saved reply with no caller). */
static void caller_gave_up(struct thread *c)
{
	if (c->answerer) {
		c->answerer->reply_to = NULL;
		c->answerer->reply_lost = true;
	} else if (c->answer_rp) {
		c->answer_rp->caller = NULL;
	} else {
		return;
	}
	unhold_caller(c);
}

/* Tells the caller waiting on t's pending reply that none will come. t
 * took the call, so it may have acted on it: EINDOUBT, never the EDEAD
 * that says a call was not taken (a client retries only what is safe). */
KERNEL_HOT_INLINE
static void drop_reply_to(struct thread *t)
{
	struct thread *c = t->reply_to;

	t->reply_lost = false;
	if (!c)
		return;
	t->reply_to = NULL;
	if (c->ipc_state == IPC_REPLY && c->call_seq == t->reply_seq) {
		c->ipc_state = IPC_NONE;
		sched_wake(c, -AION_EINDOUBT);
	}
	unhold_caller(c);
}

/* --- call and receive --- */

/* A local CPU's hold on ep (ipc_local); under the big lock, none is held. */
KERNEL_HOT
static bool ep_claim(struct endpoint *ep)
{
	uint32_t none = 0;
	return __atomic_compare_exchange_n(&ep->local_cpu, &none, arch_cpu_id() + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

KERNEL_HOT
static void ep_let_go(struct endpoint *ep)
{
	if (__atomic_load_n(&ep->local_cpu, __ATOMIC_RELAXED) == arch_cpu_id() + 1)
		__atomic_store_n(&ep->local_cpu, 0, __ATOMIC_RELEASE);
}

/* The current thread waits; a local CPU lets go of ep before it switches. */
KERNEL_HOT
static int64_t block_on(struct endpoint *ep, uint64_t deadline)
{
	ep_let_go(ep);
	return sched_block_current(deadline);
}

KERNEL_HOT_INLINE
static int deliver_call(struct thread *s, struct thread *r, enum ipc_blame *blame)
{
	int err = ipc_transfer(s, r, s->ipc_tag, s->ipc_grant, blame);
	if (err)
		return err;
	ipc_set_msg(r, s->ipc_badge, s->ipc_tag & ~AION_TAG_NOTIFY, s->ipc_w);
	drop_reply_to(r);
	r->reply_to = s;
	kobj_get(&s->obj);
	hold_caller(s, r, NULL);
	r->reply_seq = s->call_seq;
	s->ipc_state = IPC_REPLY;
	if (s->prio > r->prio)
		sched_set_prio(r, s->prio);
	return 0;
}

KERNEL_HOT
static int64_t ipc_call(struct endpoint *ep, uint64_t badge, bool grant, uint64_t tag,
			const uint64_t w[3], uint64_t deadline)
{
	struct thread *c = sched_current();
	struct thread *r;
	enum ipc_blame blame;

	if (!ep->receivers)
		return -AION_EDEAD;
	c->ipc_tag = tag;
	for (int i = 0; i < 3; i++)
		c->ipc_w[i] = w[i];
	c->ipc_badge = badge;
	c->ipc_grant = grant;
	c->call_seq++;
	c->ipc_state = IPC_SEND;
	/* Each failed receiver leaves the queue: bounded by the thread count. */
	while ((r = ep->recv_head)) {
		dequeue(r);
		r->ipc_state = IPC_NONE;
		int err = deliver_call(c, r, &blame);
		if (!err) {
			sched_wake_here(r, 0);  /* the caller blocks next */
			break;
		}
		if (blame == IPC_BLAME_SENDER) {
			r->ipc_state = IPC_RECV;
			enqueue(ep, r, true);
			c->ipc_state = IPC_NONE;
			return err;
		}
		sched_wake(r, err);
	}
	if (c->ipc_state == IPC_SEND)
		enqueue(ep, c, false);
	return block_on(ep, deadline);
}

/* r receives u's end notice: label, badge and words (docs/abi.md). */
static void deliver_end(struct thread *r, const struct unit *u)
{
	uint64_t w[3] = { u->id, u->state | (uint64_t)u->fault_vector << 8,
			  u->state == AION_UNIT_FAULTED ? u->fault_addr :
			  (uint64_t)(int64_t)u->exit_code };
	ipc_set_msg(r, u->notice_badge, AION_TAG(AION_NOTICE_UNIT_ENDED, 0, 0), w);
}

KERNEL_HOT
static int64_t ipc_recv(struct endpoint *ep, uint64_t deadline)
{
	struct thread *r = sched_current();
	struct thread *s;
	enum ipc_blame blame;

	drop_reply_to(r);
	release_boost(r);
	uint64_t bits = notification_take_bound(r);
	if (bits) {
		uint64_t w[3] = { bits, 0, 0 };
		ipc_set_msg(r, 0, AION_TAG_NOTIFY, w);
		return 0;
	}
	struct unit *u = ep->notice_head;
	if (u) {
		ep->notice_head = u->notice_next;
		if (!ep->notice_head)
			ep->notice_tail = NULL;
		u->notice_next = NULL;
		deliver_end(r, u);
		kobj_put(&u->obj);      /* the queue's */
		return 0;
	}
	while ((s = ep->send_head)) {
		dequeue(s);
		int err = deliver_call(s, r, &blame);
		if (!err)
			return 0;       /* s now waits for our reply */
		if (blame == IPC_BLAME_RECEIVER) {
			enqueue(ep, s, true);
			return err;
		}
		s->ipc_state = IPC_NONE;
		sched_wake(s, err);
	}
	r->ipc_state = IPC_RECV;
	enqueue(ep, r, false);
	return block_on(ep, deadline);
}

void endpoint_post_end(struct endpoint *ep, struct unit *u)
{
	struct thread *r = ep->recv_head;

	if (r) {
		dequeue(r);
		r->ipc_state = IPC_NONE;
		deliver_end(r, u);
		sched_wake(r, 0);
		return;
	}
	kobj_get(&u->obj);
	u->notice_next = NULL;
	if (ep->notice_tail)
		ep->notice_tail->notice_next = u;
	else
		ep->notice_head = u;
	ep->notice_tail = u;
}

/* --- replies --- */

/*
 * Answers caller c (call number seq) from `from`'s registers and buffer.
 * *consumed: false when the fault is the replier's and it may try again.
 */
KERNEL_HOT_INLINE
static int64_t answer(struct thread *from, struct thread *c, uint64_t seq,
		      uint64_t tag, const uint64_t w[3], bool *consumed)
{
	enum ipc_blame blame;

	*consumed = true;
	if (c->ipc_state != IPC_REPLY || c->call_seq != seq)
		return -AION_EDEAD;     /* it timed out or died */
	/* Only as many capabilities as the caller's call accepted (its staged
	 * tag): a server cannot fill its caller's table or spend its quota. */
	bool grant = AION_TAG_CAPS(tag) <= AION_TAG_ACCEPTED(c->ipc_tag);
	int err = ipc_transfer(from, c, tag, grant, &blame);
	if (err && blame == IPC_BLAME_SENDER) {
		*consumed = false;
		return err;
	}
	c->ipc_state = IPC_NONE;
	if (err) {
		sched_wake(c, err);
		return err;
	}
	ipc_set_msg(c, 0, tag & ~(AION_TAG_NOTIFY | AION_TAG_ACCEPT_MASK), w);
	sched_wake_near(c, 0);          /* a caller and its server gather */
	return 0;
}

KERNEL_HOT
static int64_t ipc_reply(uint64_t tag, const uint64_t w[3])
{
	struct thread *srv = sched_current();
	struct thread *c = srv->reply_to;
	bool consumed;

	if (!c && srv->reply_lost) {
		srv->reply_lost = false;
		release_boost(srv);
		return -AION_EDEAD;     /* it timed out or died */
	}
	if (!c)
		return -AION_ENOENT;
	int64_t r = answer(srv, c, srv->reply_seq, tag, w, &consumed);
	if (!consumed)
		return r;
	srv->reply_to = NULL;
	unhold_caller(c);
	release_boost(srv);
	return r;
}

static int64_t ipc_reply_save(struct kobj **out)
{
	struct thread *srv = sched_current();

	if (!srv->reply_to && !srv->reply_lost)
		return -AION_ENOENT;
	struct reply *rp = kobj_alloc(AION_OBJ_REPLY, srv->unit);
	if (!rp)
		return -AION_ENOMEM;
	rp->caller = srv->reply_to;     /* the reference moves with it; NULL: gave up */
	rp->seq = srv->reply_seq;
	if (rp->caller)
		hold_caller(rp->caller, NULL, rp);
	srv->reply_to = NULL;
	srv->reply_lost = false;
	release_boost(srv);
	*out = &rp->obj;
	return 0;
}

static int64_t ipc_reply_to(struct kobj *reply, uint64_t tag, const uint64_t w[3])
{
	struct reply *rp = (struct reply *)reply;
	bool consumed;

	if (!rp->caller)
		return -AION_EDEAD;
	struct thread *c = rp->caller;
	int64_t r = answer(sched_current(), c, rp->seq, tag, w, &consumed);
	if (consumed) {
		rp->caller = NULL;
		unhold_caller(c);
	}
	return r;
}

static bool reply_answered(struct kobj *reply)
{
	return !((struct reply *)reply)->caller;
}

void reply_release(struct kobj *reply)
{
	struct reply *rp = (struct reply *)reply;
	struct thread *c = rp->caller;

	if (c) {
		if (c->ipc_state == IPC_REPLY && c->call_seq == rp->seq) {
			c->ipc_state = IPC_NONE;
			sched_wake(c, -AION_EINDOUBT);  /* taken, never answered */
		}
		rp->caller = NULL;
		unhold_caller(c);
	}
	kobj_free(&rp->obj);
}

/* --- endpoint and thread lifetimes --- */

static void wake_all(struct thread **head, int64_t result)
{
	struct thread *t;
	while ((t = *head)) {
		dequeue(t);
		t->ipc_state = IPC_NONE;
		sched_wake(t, result);
	}
}

void endpoint_cap_changed(struct endpoint *ep, uint32_t rights, int delta)
{
	if (!(rights & AION_RIGHT_RECV))
		return;
	ep->receivers += (uint32_t)delta;
	if (ep->receivers)
		return;
	/* Nobody can ever receive here again: no caller may hang. */
	kobj_get(&ep->obj);
	wake_all(&ep->send_head, -AION_EDEAD);
	wake_all(&ep->recv_head, -AION_EDEAD);
	kobj_put(&ep->obj);
}

void ipc_thread_gone(struct thread *t)
{
	if (t->ipc_ep)
		dequeue(t);
	caller_gave_up(t);
	t->ipc_state = IPC_NONE;
	drop_reply_to(t);
	notification_thread_gone(t);
}

void ipc_timed_out(struct thread *t)
{
	if (t->ipc_ep)
		dequeue(t);
	if (t->ipc_state == IPC_WAIT)
		notification_cancel_wait(t);
	caller_gave_up(t);
	t->ipc_state = IPC_NONE;
}

/* --- system calls: decode and check, then the functions above act --- */

int64_t sys_endpoint_create(const struct sys_args *a)
{
	struct endpoint *ep;
	(void)a;
	int err = endpoint_create(self_unit(), &ep);
	return err ? err : install(&ep->obj, AION_RIGHTS_ALL);
}

/*
 * A tag a thread may send: payload and capabilities within bounds. A
 * call's accepted reply capabilities too (a reply's are ignored).
 */
KERNEL_HOT_INLINE
static int check_tag(uint64_t tag, bool call)
{
	unsigned accept = call ? AION_TAG_ACCEPTED(tag) : 0;

	if (AION_TAG_LEN(tag) > AION_IPC_PAYLOAD_MAX || AION_TAG_CAPS(tag) > AION_IPC_CAPS_MAX ||
	    accept > AION_IPC_CAPS_MAX)
		return -AION_EINVAL;
	if ((AION_TAG_LEN(tag) || AION_TAG_CAPS(tag) || accept) && !sched_current()->ipc_buffer)
		return -AION_EINVAL;    /* no IPC buffer registered */
	return 0;
}

KERNEL_HOT
int64_t sys_call(const struct sys_args *a)
{
	struct handle_slot *s;
	uint64_t w[3] = { a->a2, a->a3, a->a4 };

	int err = lookup_slot(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_SEND, &s);
	if (!err)
		err = check_tag(a->a1, true);
	if (err)
		return err;
	if (AION_TAG_CAPS(a->a1) && !(s->rights & AION_RIGHT_GRANT))
		return -AION_ERIGHTS;
	return ipc_call((struct endpoint *)s->obj, s->badge, s->rights & AION_RIGHT_GRANT,
			a->a1, w, deadline_after(a->a5));
}

KERNEL_HOT
int64_t sys_recv(const struct sys_args *a)
{
	struct endpoint *ep;
	int err = lookup(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_RECV, &ep);
	return err ? err : ipc_recv(ep, deadline_after(a->a5));
}

/*
 * The signal's waiter is made ready but does not run before the receive
 * blocks (switches happen at the preempt point on the way out, or when
 * this thread blocks): a producer hands work to its consumer and waits
 * for more in one switch instead of two. Both handles are checked before
 * anything happens.
 */
KERNEL_HOT
int64_t sys_signal_recv(const struct sys_args *a)
{
	struct endpoint *ep;
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_RECV, &ep);
	if (!err)
		err = lookup(a->a1, AION_OBJ_NOTIFICATION, AION_RIGHT_SEND, &n);
	if (err)
		return err;
	notification_signal(n, a->a2);
	return ipc_recv(ep, deadline_after(a->a5));
}

KERNEL_HOT
int64_t sys_reply(const struct sys_args *a)
{
	uint64_t w[3] = { a->a1, a->a2, a->a3 };
	int err = check_tag(a->a0, false);
	return err ? err : ipc_reply(a->a0, w);
}

KERNEL_HOT
int64_t sys_reply_recv(const struct sys_args *a)
{
	struct endpoint *ep;
	uint64_t w[3] = { a->a2, a->a3, a->a4 };

	int err = lookup(a->a0, AION_OBJ_ENDPOINT, AION_RIGHT_RECV, &ep);
	if (!err)
		err = check_tag(a->a1, false);
	if (err)
		return err;
	/* A caller that gave up is no reason not to receive the next call;
	 * a fault in our own buffer is. */
	int64_t r = sched_current()->reply_to ? ipc_reply(a->a1, w) : 0;
	if (r && sched_current()->reply_to)
		return r;               /* still pending: ours to fix and retry */
	return ipc_recv(ep, deadline_after(a->a5));
}

/*
 * The local path (docs/smp.md): CALL and REPLY_RECV without the big lock
 * when all they touch is this CPU's own or ep, claimed: the current
 * thread and its partner on this CPU (their queues, sleepers and
 * references), no capabilities moved, no receiver's fault possible, no
 * third thread woken. The functions above then act exactly as under the
 * lock. Anything else, even an error, goes the locked way: false, and
 * nothing was done.
 */
KERNEL_HOT
static bool local_call(const struct sys_args *a, struct thread *c, struct endpoint *ep)
{
	struct thread *r = ep->recv_head;

	return ep->receivers && r && r->cpu == c->cpu && !r->reply_to &&
	       (!AION_TAG_LEN(a->a1) || buffer_writable(r));
}

KERNEL_HOT
static bool local_reply_recv(const struct sys_args *a, struct thread *srv, struct endpoint *ep)
{
	struct thread *c = srv->reply_to;

	if (srv->bound || ep->notice_head || ep->send_head)
		return false;
	return !c || (c->cpu == srv->cpu && c->ipc_state == IPC_REPLY &&
		      c->call_seq == srv->reply_seq &&
		      (!AION_TAG_LEN(a->a1) || buffer_writable(c)));
}

KERNEL_HOT
bool ipc_local(uint64_t n, const struct sys_args *a, int64_t *ret)
{
	struct thread *t = sched_current();
	struct handle_slot *s;
	uint32_t need = n == AION_SYS_CALL ? AION_RIGHT_SEND : AION_RIGHT_RECV;

	if ((n != AION_SYS_CALL && n != AION_SYS_REPLY_RECV) || !kernel_lock_try_local())
		return false;
	if (t->cpu != arch_cpu_id() || AION_TAG_CAPS(a->a1) ||
	    lookup_slot(a->a0, AION_OBJ_ENDPOINT, need, &s) ||
	    check_tag(a->a1, n == AION_SYS_CALL))
		return false;
	struct endpoint *ep = (struct endpoint *)s->obj;
	if (!ep_claim(ep))
		return false;
	if (n == AION_SYS_CALL ? !local_call(a, t, ep) : !local_reply_recv(a, t, ep)) {
		ep_let_go(ep);
		return false;
	}
	*ret = n == AION_SYS_CALL ? sys_call(a) : sys_reply_recv(a);
	ep_let_go(ep);                  /* if it did not block */
	return true;
}

int64_t sys_reply_save(const struct sys_args *a)
{
	struct kobj *rp;
	(void)a;
	int err = ipc_reply_save(&rp);
	return err ? err : install(rp, AION_RIGHT_SEND);
}

int64_t sys_reply_to(const struct sys_args *a)
{
	struct handle_slot *s;
	uint64_t w[3] = { a->a2, a->a3, a->a4 };

	int err = lookup_slot(a->a0, AION_OBJ_REPLY, AION_RIGHT_SEND, &s);
	if (!err)
		err = check_tag(a->a1, false);
	if (err)
		return err;
	/* The message may move this very capability away: keep the object
	 * and the slot's generation, and delete the slot only if it still
	 * holds it. */
	struct kobj *rp = s->obj;
	uint32_t gen = s->gen;
	kobj_get(rp);
	int64_t r = ipc_reply_to(rp, a->a1, w);
	if (reply_answered(rp) && s->obj == rp && s->gen == gen)
		handle_delete(s);       /* a reply is used once */
	kobj_put(rp);
	return r;
}

int64_t sys_ipc_buffer(const struct sys_args *a)
{
	uint64_t va = a->a0;

	if (va & (PAGE_SIZE - 1))
		return -AION_EINVAL;    /* one page: a message never straddles two */
	if (va && (va < AION_USER_MIN || va >= AION_USER_END))
		return -AION_EFAULT;
	sched_current()->ipc_buffer = va;
	return 0;
}
