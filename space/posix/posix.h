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

/*
 * Calls fn(start, end, aion_prot, arg) for each mapped range of the brk
 * heap and the mmap area (fork copies them); stops at fn's first error.
 */
long __aion_mem_each(long (*fn)(uintptr_t start, uintptr_t end, unsigned prot, void *arg),
		     void *arg) POSIX_HIDDEN;

/* Processes (proc.c, fork.c): Linux's calls and results (-errno). */
struct rusage;
extern uint64_t __aion_proc_ep POSIX_HIDDEN;    /* procd's capability, 0: none */
long __aion_proc_call(unsigned label, uint64_t a, uint64_t b, uint64_t c, uint64_t *w1) POSIX_HIDDEN;
void __aion_proc_forked(uint64_t ep) POSIX_HIDDEN;
void __aion_proc_exit(long code) POSIX_HIDDEN;
long __aion_getpid(void) POSIX_HIDDEN;
long __aion_getppid(void) POSIX_HIDDEN;
long __aion_wait4(long pid, int *status, long options, struct rusage *ru) POSIX_HIDDEN;
long __aion_waitid(long idtype, long id, void *info, long options, struct rusage *ru) POSIX_HIDDEN;
long __aion_kill(long pid, long sig) POSIX_HIDDEN;
long __aion_setpgid(long pid, long pgid) POSIX_HIDDEN;
long __aion_getpgid(long pid) POSIX_HIDDEN;
long __aion_setsid(void) POSIX_HIDDEN;
long __aion_getsid(long pid) POSIX_HIDDEN;
long __aion_fork(void) POSIX_HIDDEN;
long __aion_clone(unsigned long flags, uintptr_t stack) POSIX_HIDDEN;

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

#endif
