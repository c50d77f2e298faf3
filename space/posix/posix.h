/*
 * The POSIX layer's own interface between its files (not for programs).
 */
#ifndef AION_POSIX_H
#define AION_POSIX_H

#include <stddef.h>
#include <stdint.h>

/* Writes out the partial output lines of fds 1 and 2. */
void __aion_posix_flush(void) __attribute__((visibility("hidden")));

/*
 * Builds the System V initial process stack (argc, argv, envp, auxv) that
 * musl's _start expects, below top, from the startup record at startup
 * (or none when it is not one); returns the new stack pointer.
 */
uint64_t *__aion_posix_stack(uint64_t startup, uint64_t *top)
	__attribute__((visibility("hidden")));
/* Bytes below the stack's top that block needs (start.S leaves them). */
uint64_t __aion_posix_block_bytes(uint64_t startup) __attribute__((visibility("hidden")));

/* Memory (mem.c): Linux's calls and results (-errno). */
#define POSIX_HIDDEN __attribute__((visibility("hidden")))
long __aion_brk(uintptr_t want) POSIX_HIDDEN;
long __aion_mmap(uintptr_t hint, size_t len, int prot, int flags, int fd, long off) POSIX_HIDDEN;
long __aion_munmap(uintptr_t a, size_t len) POSIX_HIDDEN;
long __aion_mprotect(uintptr_t a, size_t len, int prot) POSIX_HIDDEN;
long __aion_madvise(uintptr_t a, size_t len, int advice) POSIX_HIDDEN;

/* Clocks and sleeps (time.c): Linux's calls and results (-errno). */
struct timespec;
struct timeval;
long __aion_clock_gettime(long clock, struct timespec *ts) POSIX_HIDDEN;
long __aion_clock_getres(long clock, struct timespec *res) POSIX_HIDDEN;
long __aion_gettimeofday(struct timeval *tv) POSIX_HIDDEN;
long __aion_time(long *t) POSIX_HIDDEN;
long __aion_clock_nanosleep(long clock, long flags, const struct timespec *req,
			    struct timespec *rem) POSIX_HIDDEN;
long __aion_nanosleep(const struct timespec *req, struct timespec *rem) POSIX_HIDDEN;

/* Threads (thread.c): Linux's calls and results (-errno). */
long __aion_gettid(void) POSIX_HIDDEN;
long __aion_set_tid_address(int *ctid) POSIX_HIDDEN;
long __aion_set_tls(uintptr_t base) POSIX_HIDDEN;
long __aion_futex(volatile int *uaddr, int op, int val, const struct timespec *ts,
		  volatile int *uaddr2, int val3) POSIX_HIDDEN;
/* tkill: only musl's cancel signal, which needs no delivery (thread.c). */
long __aion_tkill(long tid, long sig) POSIX_HIDDEN;
/* SYS_exit: ends the calling thread only (its tid word cleared and woken). */
_Noreturn void __aion_thread_exit(long code) POSIX_HIDDEN;
/* musl's __unmapself: unmaps [base, base+size), this thread's stack and
 * TLS, then ends the thread (a detached thread's last step). */
_Noreturn void __aion_unmapself(void *base, size_t size) POSIX_HIDDEN;

#endif
