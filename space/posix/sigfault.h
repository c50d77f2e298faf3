/*
 * Faults as signals: sigfault.c maps a fault upcall to its signal, and
 * signal.c runs that signal's handler on the faulting thread.
 */
#ifndef AION_POSIX_SIGFAULT_H
#define AION_POSIX_SIGFAULT_H

#include <signal.h>
#include "aion/upcall.h"
#include "posix.h"

/* A fault upcall (ctx->fault != 0) as its signal (sigfault.c). */
void __aion_sig_fault(const struct aion_upcall_context *ctx) POSIX_HIDDEN;
/* sig, caused by this thread's own instruction (signal.c): its handler runs
 * now with si (true); false, nothing done: blocked, ignored or SIG_DFL,
 * the caller ends the process with it. */
bool __aion_sig_sync(int sig, const siginfo_t *si, const struct aion_upcall_context *ctx)
	POSIX_HIDDEN;

#endif /* AION_POSIX_SIGFAULT_H */
