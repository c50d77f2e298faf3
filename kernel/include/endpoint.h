/*
 * Endpoints: synchronous rendezvous IPC in the L4/seL4 line. A call blocks
 * the caller until a receiver takes it and then until the reply; the
 * receiver inherits the caller's priority while it handles the call.
 * Queues are FIFO; nothing here allocates (the message is staged in the
 * caller's thread, the payload goes user to user through a bounded kernel
 * buffer on the stack).
 */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include <stdint.h>
#include <stdbool.h>
#include "kobj.h"

struct thread;
struct unit;

/* A saved reply: answers one call, from any thread of the unit holding it. */
struct reply {
	struct kobj obj;
	struct thread *caller;          /* referenced; NULL once answered */
	uint64_t seq;
};

struct endpoint {
	struct kobj obj;
	struct thread *send_head, *send_tail;
	struct thread *recv_head, *recv_tail;
	uint32_t receivers;             /* live capabilities with the RECV right */
	/* Units whose end notice waits for a receiver (unit.notice_next),
	 * each referenced: one per unit, so none is ever dropped, and the
	 * endpoint holds no buffer for them. */
	struct unit *notice_head, *notice_tail;
	struct unit *fault_units;       /* units whose fault endpoint this is */
	uint32_t local_cpu;             /* 1 + the local CPU that has it, 0 if none */
};

/* Hands u's end notice to a waiting receiver, or queues u for the next. */
void endpoint_post_end(struct endpoint *ep, struct unit *u);

void endpoint_release(struct endpoint *ep);
void endpoint_cap_changed(struct endpoint *ep, uint32_t rights, int delta);
void reply_release(struct kobj *reply);

/*
 * Moves the payload and capabilities of tag from s's IPC buffer to r's
 * (endpoint.c). Checks everything, then commits; on failure nothing
 * changed and *blame says whose fault it was.
 */
enum ipc_blame { IPC_BLAME_SENDER, IPC_BLAME_RECEIVER };
int ipc_transfer(struct thread *s, struct thread *r, uint64_t tag, bool grant,
		 enum ipc_blame *blame);

/* t leaves IPC: off every queue, the caller it holds told -AION_EINDOUBT. */
void ipc_thread_gone(struct thread *t);

struct sys_args;
/* CALL or REPLY_RECV (number n) on the local path, without the big lock
 * (docs/smp.md): true and *ret its result if it could; false, nothing
 * done and this CPU maybe still local, if the locked way must do it. */
bool ipc_local(uint64_t n, const struct sys_args *a, int64_t *ret);
/* t's deadline passed while blocked in IPC. */
void ipc_timed_out(struct thread *t);

/* Writes a received message into t's saved registers. */
void ipc_set_msg(struct thread *t, uint64_t badge, uint64_t tag, const uint64_t w[3]);

#endif /* KERNEL_ENDPOINT_H */
