/*
 * Notifications: a word of signal bits. SIGNAL ors bits in and wakes the
 * waiter (or the bound thread blocked in RECV); WAIT blocks until some bit
 * is set; POLL takes the bits without blocking. Both take and clear.
 */
#ifndef KERNEL_NOTIFICATION_H
#define KERNEL_NOTIFICATION_H

#include <stdint.h>
#include "kobj.h"

struct thread;

struct notification {
	struct kobj obj;
	uint64_t bits;
	struct thread *waiter;          /* one thread in WAIT */
	struct thread *bound;           /* RECV on any endpoint also returns our signals */
};

void notification_release(struct notification *n);

void notification_signal(struct notification *n, uint64_t bits);

/* Pending bits for a thread entering RECV (0: none), taken. */
uint64_t notification_take_bound(struct thread *t);
void notification_cancel_wait(struct thread *t);        /* its WAIT timed out */
void notification_thread_gone(struct thread *t);        /* also unbinds */

#endif /* KERNEL_NOTIFICATION_H */
