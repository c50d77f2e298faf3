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
struct tms;
long __aion_times(struct tms *t) POSIX_HIDDEN;
long __aion_getrusage(long who, struct rusage *ru) POSIX_HIDDEN;
long __aion_clock_nanosleep(long clock, long flags, const struct timespec *req,
			    struct timespec *rem) POSIX_HIDDEN;
long __aion_nanosleep(const struct timespec *req, struct timespec *rem) POSIX_HIDDEN;

/*
 * Files (fd.c, files.c, paths.c, vfsclient.c; docs/posix.md "Files").
 * Each returns Linux's result: >= 0 or -errno.
 */
#include "aion/object.h"

/* The VFS root directory the parent gave (startup record), 0: none. */
extern aion_handle_t __aion_posix_fs POSIX_HIDDEN;

/* What an fd names: the console (fds 0-2 at start) or a VFS object. */
enum posix_kind { POSIX_CONSOLE_IN, POSIX_CONSOLE_OUT, POSIX_CONSOLE_ERR, POSIX_VFS };

/* An open file description, shared by dup'd fds. */
struct posix_file {
	enum posix_kind kind;
	unsigned refs;                  /* fds naming it; 0: the slot is free */
	aion_handle_t cap;              /* POSIX_VFS: the object's capability */
	uint32_t type;                  /* VFS_S_IF* */
	char *path;                     /* directories: absolute path, for fchdir */
};

#define POSIX_FD_MAX    256

/* fd.c: the table */
struct posix_file *__aion_fd_get(long fd) POSIX_HIDDEN;         /* NULL: EBADF */
long __aion_fd_install(struct posix_file *f, long min, int cloexec) POSIX_HIDDEN;
struct posix_file *__aion_file_new(enum posix_kind kind) POSIX_HIDDEN;
void __aion_file_put(struct posix_file *f) POSIX_HIDDEN;        /* one reference less */
long __aion_fd_close(long fd) POSIX_HIDDEN;
long __aion_fd_dup3(long old, long new, int flags) POSIX_HIDDEN;
long __aion_fd_getfd(long fd) POSIX_HIDDEN;
long __aion_fd_setfd(long fd, long flags) POSIX_HIDDEN;
void __aion_fd_close_all(void) POSIX_HIDDEN;                    /* at exit */
/* At start: fds 0, 1, 2 become one description of the terminal cap. */
void __aion_fd_use_tty(aion_handle_t cap) POSIX_HIDDEN;

/* vfsclient.c: one call on a VFS capability. in/out: payloads (out may be
 * NULL); *cap_out (may be NULL): a capability the reply brought. Returns
 * the reply's w0 as -errno or >= 0; *w1 the reply's w1 when not NULL. */
struct posix_vfs_call {
	uint32_t label;
	uint64_t w1, w2;
	const void *in;
	unsigned in_len;
	void *out;
	unsigned out_max, out_len;
	aion_handle_t cap_out;
	uint64_t reply_w1;
	int accept_cap;
	aion_handle_t cap_in;           /* a capability to move to the server, 0: none */
};
long __aion_vfs_call(aion_handle_t cap, struct posix_vfs_call *c) POSIX_HIDDEN;
long __aion_errno(int64_t aion_err) POSIX_HIDDEN;
/* The POSIX lock owner of this process (never 0, bit 63 clear). */
uint64_t __aion_lock_owner(void) POSIX_HIDDEN;

/* syscall.c: every system call musl makes, by Linux number (the layer's own calls too). */
long __aion_syscall(long n, long a, long b, long c, long d, long e, long f);

/* files.c: calls on fds */
long __aion_files_syscall(long n, long a, long b, long c, long d, long e, int *handled)
	POSIX_HIDDEN;
/* ioctl.c: ioctl on an fd (terminals: aion/tty.h) */
long __aion_ioctl(long fd, unsigned long req, long arg) POSIX_HIDDEN;
/* paths.c: calls on paths */
long __aion_paths_syscall(long n, long a, long b, long c, long d, long e, int *handled)
	POSIX_HIDDEN;
/* The capability and path a (dirfd, path) pair resolves against; buf
 * holds the path sent (VFS_PATH_MAX + 1 bytes). */
long __aion_path_at(long dirfd, const char *path, aion_handle_t *cap, char *buf) POSIX_HIDDEN;
/* Opens path (flags, mode Linux's) and installs an fd. */
long __aion_open_at(long dirfd, const char *path, long flags, long mode) POSIX_HIDDEN;
/* Console output (syscall.c): fd kinds OUT and ERR. */
long __aion_console_write(enum posix_kind kind, const void *p, size_t n) POSIX_HIDDEN;
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
