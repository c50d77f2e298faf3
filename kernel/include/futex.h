/*
 * Futex-like wait and wake (futex.c): the one blocking primitive POSIX
 * threads need, keyed by (unit, user address), with no allocation: each
 * waiter is linked through its own thread object.
 */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

struct thread;

/* Takes t off its wait chain, if on one (t died or gave up waiting). */
void futex_thread_gone(struct thread *t);

#endif /* KERNEL_FUTEX_H */
