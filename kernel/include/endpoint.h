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

#define ENDPOINT_NOTICES 16

struct thread;

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
	/* Kernel notices (a unit ended) waiting for a receiver; never blocks the kernel. */
	struct notice {
		uint64_t badge, tag, w[3];
	} notice[ENDPOINT_NOTICES];
	unsigned notice_head, notice_count;
	uint64_t notices_dropped;
};

/* Queues (or hands to a waiting receiver) a message from the kernel itself. */
void endpoint_post(struct endpoint *ep, uint64_t badge, uint64_t tag, const uint64_t w[3]);

int endpoint_create(struct endpoint **out);
void endpoint_release(struct endpoint *ep);
void endpoint_cap_changed(struct endpoint *ep, uint32_t rights, int delta);

/* The current thread calls: tag/words in, reply in its registers. */
int64_t ipc_call(struct endpoint *ep, uint64_t badge, bool grant, uint64_t tag,
		 const uint64_t w[3], uint64_t deadline);
/* The current thread receives a call (or its bound notification's signals). */
int64_t ipc_recv(struct endpoint *ep, uint64_t deadline);
/* The current thread answers the call it received last. */
int64_t ipc_reply(uint64_t tag, const uint64_t w[3]);
/* Turns that pending reply into a reply object the unit can keep. */
int64_t ipc_reply_save(struct kobj **out);
/* Answers through a reply object (from any thread of the unit). */
int64_t ipc_reply_to(struct kobj *reply, uint64_t tag, const uint64_t w[3]);
void reply_release(struct kobj *reply);
bool reply_answered(struct kobj *reply);        /* then its slot is deleted */

/* t leaves IPC: off every queue, its pending caller told -AION_EDEAD. */
void ipc_thread_gone(struct thread *t);
/* t's deadline passed while blocked in IPC. */
void ipc_timed_out(struct thread *t);

/* Writes a received message into t's saved registers. */
void ipc_set_msg(struct thread *t, uint64_t badge, uint64_t tag, const uint64_t w[3]);

#endif /* KERNEL_ENDPOINT_H */
