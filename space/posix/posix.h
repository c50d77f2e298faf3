/*
 * The POSIX layer's own interface between its files (not for programs).
 */
#ifndef AION_POSIX_H
#define AION_POSIX_H

#include <stdbool.h>
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
long __aion_msync(uintptr_t a, size_t len, int flags) POSIX_HIDDEN;
/* mlock and munlock: every page is resident (Aion never pages out), so
 * they only check that the range is mapped; mlockall checks its flags. */
long __aion_mlock(uintptr_t a, size_t len) POSIX_HIDDEN;
/* rlimit.c: prlimit64 for this process (getrlimit and setrlimit too). */
struct rlimit;
long __aion_prlimit(long pid, int res, const struct rlimit *want, struct rlimit *old) POSIX_HIDDEN;

/*
 * Calls fn(start, end, aion_prot, arg) for each mapped range of the brk
 * heap and the mmap area that is private (fork copies them); stops at
 * fn's first error.
 */
long __aion_mem_each(long (*fn)(uintptr_t start, uintptr_t end, unsigned prot, void *arg),
		     void *arg) POSIX_HIDDEN;
/* fork: each shared region's object given to the child's unit and mapped
 * there at the same address; the child's table names its own handles. */
long __aion_mem_fork_shared(aion_handle_t child) POSIX_HIDDEN;

/* Processes (proc.c, fork.c): Linux's calls and results (-errno). */
struct rusage;
extern uint64_t __aion_proc_ep POSIX_HIDDEN;    /* procd's capability, 0: none */
long __aion_proc_call(unsigned label, uint64_t a, uint64_t b, uint64_t c, uint64_t *w1) POSIX_HIDDEN;
/* The same, with the reply's third word in *w2. */
long __aion_proc_call2(unsigned label, uint64_t a, uint64_t b, uint64_t c, uint64_t *w1,
		       uint64_t *w2) POSIX_HIDDEN;
void __aion_proc_forked(uint64_t ep) POSIX_HIDDEN;
void __aion_thread_forked(void) POSIX_HIDDEN;     /* thread.c: tids anew */
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
#include "aion/vfs.h"

/* The VFS root directory the parent gave (startup record), 0: none. */
extern aion_handle_t __aion_posix_fs POSIX_HIDDEN;

/* What an fd names: the console (fds 0-2 at start), a VFS object or a
 * socket (sockets.c). */
enum posix_kind { POSIX_CONSOLE_IN, POSIX_CONSOLE_OUT, POSIX_CONSOLE_ERR, POSIX_VFS,
		  POSIX_SOCKET };

/* An open file description, shared by dup'd fds. */
struct posix_file {
	enum posix_kind kind;
	unsigned refs;                  /* fds naming it; 0: the slot is free */
	aion_handle_t cap;              /* POSIX_VFS: the object's capability */
	uint32_t type;                  /* VFS_S_IF* */
	char *path;                     /* directories: absolute path, for fchdir */
	struct sk *sock;                /* POSIX_SOCKET: its state (sockstate.h); cap: netd's
					 * socket once opened, 0 before */
	uint8_t bulk;                   /* POSIX_BULK_NO: its server has no bulk calls */
};
#define POSIX_BULK_NO   1

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
/* The i-th description slot (free or not), NULL past the last. */
struct posix_file *__aion_file_slot(unsigned i) POSIX_HIDDEN;

/*
 * caps.c: the capabilities this process holds for its POSIX state (the
 * VFS root, each open VFS description's), the one list fork and exec
 * walk. fn's slot is the variable that names the capability; a nonzero
 * return stops the walk and is returned.
 */
/* A socket's holders are netd's (SOCK_RETAIN), a file's, pipe's or tty's the VFS protocol's. */
enum posix_cap_kind { POSIX_CAP_FS_ROOT, POSIX_CAP_FILE, POSIX_CAP_SOCKET };
long __aion_caps_each(long (*fn)(aion_handle_t *slot, enum posix_cap_kind kind, void *arg),
		      void *arg) POSIX_HIDDEN;
/* One holder more (VFS_RETAIN) / less (VFS_CLOSE, no locks dropped). */
long __aion_cap_retain(aion_handle_t cap, enum posix_cap_kind kind) POSIX_HIDDEN;
void __aion_cap_release(aion_handle_t cap, enum posix_cap_kind kind) POSIX_HIDDEN;
/* The kind of an open description's capability. */
enum posix_cap_kind __aion_file_cap_kind(const struct posix_file *f) POSIX_HIDDEN;
/* fork: a copy of each into the child's unit, its memory patched to name
 * them; on failure every holder taken is given back. */
long __aion_caps_fork(aion_handle_t child) POSIX_HIDDEN;
/* A child given them did not start: every file's holder given back. */
void __aion_caps_fork_undo(void) POSIX_HIDDEN;
/* At start: fds 0, 1, 2 become one description of the terminal cap. */
void __aion_fd_use_tty(aion_handle_t cap) POSIX_HIDDEN;

/* vfsclient.c: one call on a VFS capability. in/out: payloads (out may be
 * NULL); caps_out: the capabilities the reply brought. Returns
 * the reply's w0 as -errno or >= 0; *w1 the reply's w1 when not NULL. */
struct posix_vfs_call {
	uint32_t label;
	uint64_t w0, w1, w2;            /* the VFS's calls leave w0 0 */
	const void *in;
	unsigned in_len;
	void *out;
	unsigned out_max, out_len;
	aion_handle_t cap_in;           /* sent when cap_in_len is 1 */
	unsigned cap_in_len;
	uint32_t cap_in_rights;         /* its rights (and AION_IPC_CAP_MOVE); 0: SEND, a copy */
	aion_handle_t caps_out[2];      /* what the reply brought (accept_cap: 0..2) */
	uint64_t reply_w1, reply_w2;
	unsigned accept_cap;
};
long __aion_vfs_call(aion_handle_t cap, struct posix_vfs_call *c) POSIX_HIDDEN;
/* paths.c: keeps only `rights` (VFS_RIGHT_*) over the file tree, for this
 * process and its children to come: 0 or -errno. */
long __aion_fs_restrict(unsigned rights) POSIX_HIDDEN;
long __aion_errno(int64_t aion_err) POSIX_HIDDEN;
/* The calling thread's notification for poll (a handle, or -errno). */
long __aion_poll_note(void) POSIX_HIDDEN;
/* Signals it (when the thread has one): an upcall ran, a waiting pipe
 * read looks again (pipe.c). */
void __aion_poll_note_wake(void) POSIX_HIDDEN;
/* pipe.c: takes back the arm of a pipe read this thread waits in, if any. */
void __aion_pipe_disarm(void) POSIX_HIDDEN;
/* A thread ends: its IPC buffer and notification go. */
void __aion_vfs_thread_end(void) POSIX_HIDDEN;
/* A forked child's first step: registers its copy of the thread's IPC
 * buffer again, forgets handles that were the parent's, and takes a new
 * POSIX lock owner (its locks are its own). */
void __aion_vfs_forked(void) POSIX_HIDDEN;
/* The POSIX lock owner of this process (never 0, bit 63 clear). */
uint64_t __aion_lock_owner(void) POSIX_HIDDEN;

/* pipe.c: pipe2, and read and write on a pipe's fds */
long __aion_pipe2(int *fds, long flags) POSIX_HIDDEN;
long __aion_pipe_read(struct posix_file *f, char *p, size_t n) POSIX_HIDDEN;
long __aion_pipe_write(struct posix_file *f, const char *p, size_t n) POSIX_HIDDEN;
/* poll.c: poll, ppoll, select, pselect6 (Linux's arguments) */
long __aion_poll_syscall(long n, long a, long b, long c, long d, long e, int *handled)
	POSIX_HIDDEN;
/* The console's readiness (Linux poll bits of events that hold now). */
unsigned __aion_console_ready(enum posix_kind kind, unsigned events) POSIX_HIDDEN;
static inline int __aion_is_pipe(const struct posix_file *f)
{
	return f->kind == POSIX_VFS && f->type == VFS_S_IFIFO;
}
/* syscall.c: every system call musl makes, by Linux number (the layer's own calls too). */
long __aion_syscall(long n, long a, long b, long c, long d, long e, long f);

/* bulk.c: a regular file's read or write (write: from p) of n bytes at off
 * (or VFS_AT_POS) through the thread's bulk object; -ENOSYS when the file's
 * server has none (the caller uses the payload), else as read/write. */
long __aion_bulk_io(struct posix_file *f, bool write, char *p, size_t n, uint64_t off) POSIX_HIDDEN;
void __aion_bulk_thread_end(void) POSIX_HIDDEN;
void __aion_bulk_forked(void) POSIX_HIDDEN;
/* mem.c: a memory object mapped whole at a free address, as a shared
 * region (munmap closes mo); the address or -errno. */
long __aion_mmap_object(aion_handle_t mo, size_t len, int prot) POSIX_HIDDEN;

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
/*
 * Sockets (sockets.c; docs/posix.md "Sockets"): AF_INET over netd's
 * socket protocol, reached through the "net" capability the parent gave
 * (startup record posix_net; 0: none, every socket() is EACCES).
 */
extern aion_handle_t __aion_posix_net POSIX_HIDDEN;
long __aion_sockets_syscall(long n, long a, long b, long c, long d, long e, long f,
			    int *handled) POSIX_HIDDEN;
/* read/write on a socket fd (files.c's loop), its close, F_GETFL/F_SETFL. */
long __aion_sock_rw(struct posix_file *f, void *p, size_t n, int write) POSIX_HIDDEN;
void __aion_sock_close(struct posix_file *f) POSIX_HIDDEN;
long __aion_sock_getfl(struct posix_file *f) POSIX_HIDDEN;
long __aion_sock_setfl(struct posix_file *f, long fl) POSIX_HIDDEN;

/* The capability of a file opened at (dirfd, path), and its VFS_S_IF* type. */
long __aion_open_cap(long dirfd, const char *path, long flags, aion_handle_t *cap,
		     uint32_t *type) POSIX_HIDDEN;
/* The same relative to dir (an absolute cwd, not the process's): spawn's
 * file actions. __aion_chdir_in: dir changed as chdir(path) from it. */
long __aion_open_cap_in(const char *dir, const char *path, long flags, long mode,
			aion_handle_t *cap, uint32_t *type) POSIX_HIDDEN;
long __aion_chdir_in(char *dir, const char *path) POSIX_HIDDEN;
/* Reads up to n bytes of cap at off (VFS_AT_POS: its offset): the count or -errno. */
long __aion_cap_read(aion_handle_t cap, void *p, size_t n, uint64_t off) POSIX_HIDDEN;
/* This thread's IPC buffer (registered at the first use), NULL: none. */
struct aion_ipc_buffer *__aion_ipc_buf(void) POSIX_HIDDEN;

/*
 * exec.c: execve from the file tree (docs/posix.md "exec"). What a new
 * image keeps is written into it as this block at POSIX_EXEC_VADDR (the
 * startup record's posix_exec): fds as (fd, kind, type, capability in the
 * new unit; fds naming one description share one capability), the
 * current directory, the umask, the POSIX lock owner (the process's
 * locks stay its own across exec).
 */
#define POSIX_EXEC_VADDR        0x0000000000330000ull   /* after the argv block */
#define POSIX_EXEC_MAGIC        0x434558454e4f4941ull
struct posix_exec_fd {
	int32_t fd;
	uint32_t kind;                  /* enum posix_kind */
	uint32_t type;                  /* VFS_S_IF* */
	aion_handle_t cap;              /* POSIX_VFS: in the new unit's table */
};
struct posix_exec_block {
	uint64_t magic;
	uint64_t lock_owner;
	uint32_t umask, nfds;
	uint64_t sig_ignored, sig_mask;         /* kept across exec (bit s-1) */
	char cwd[VFS_PATH_MAX + 1];
	struct posix_exec_fd fds[POSIX_FD_MAX];
};
long __aion_execve(const char *path, char *const argv[], char *const envp[]) POSIX_HIDDEN;
/* At start (startup.c): takes what the block keeps, if the record names one. */
void __aion_exec_inherit(uint64_t vaddr, uint64_t size) POSIX_HIDDEN;
/* Their parts: fd.c's table, paths.c's cwd and umask, vfsclient.c's owner. */
void __aion_fd_inherit(const struct posix_exec_fd *e, unsigned n) POSIX_HIDDEN;
void __aion_paths_inherit(const char *cwd, unsigned umask) POSIX_HIDDEN;
unsigned __aion_umask_get(void) POSIX_HIDDEN;
const char *__aion_cwd_get(void) POSIX_HIDDEN;
void __aion_lock_owner_set(uint64_t owner) POSIX_HIDDEN;
/* signal.c's part: the ignored set and the mask an exec keeps. */
void __aion_sig_kept(uint64_t *ignored, uint64_t *mask) POSIX_HIDDEN;
/* musl's internal cancel signal: only wakes a blocked thread (thread.c). */
#define POSIX_SIGCANCEL 33
/* Was this thread woken by a cancel (then a blocking call returns -EINTR
 * instead of going on, and the cancellation point acts)? Clears it. */
bool __aion_cancel_woken(void) POSIX_HIDDEN;
/* The upcall entry (sigentry.S): every thread registers it. */
void __aion_sig_entry(void) POSIX_HIDDEN;
void __aion_sig_inherit(uint64_t ignored, uint64_t mask) POSIX_HIDDEN;

/* Console output (syscall.c): fd kinds OUT and ERR. */
long __aion_console_write(enum posix_kind kind, const void *p, size_t n) POSIX_HIDDEN;
/* Threads (thread.c): Linux's calls and results (-errno). */
long __aion_gettid(void) POSIX_HIDDEN;
long __aion_set_tid_address(int *ctid) POSIX_HIDDEN;
long __aion_set_tls(uintptr_t base) POSIX_HIDDEN;
long __aion_futex(volatile int *uaddr, int op, int val, const struct timespec *ts,
		  volatile int *uaddr2, int val3) POSIX_HIDDEN;
/* tkill: a signal for one thread of this process (thread.c). */
long __aion_tkill(long tid, long sig) POSIX_HIDDEN;
/*
 * One thread's signal state (signal.c), kept in thread.c's table of the
 * process's threads so its siblings see its mask and mark its signals.
 */
struct posix_sigthread {
	volatile uint64_t mask;         /* blocked */
	volatile uint64_t pending;      /* sent to this thread, not acted on yet */
	volatile uint32_t cancel;       /* a cancel's wake came */
	/* real-time signals 32..64 sent to this thread: how many of each
	 * are pending (the bit in pending is set while one is) */
	volatile uint32_t rt_count[33];
	/* sigaltstack: the alternate stack's base and size (0: none) */
	uintptr_t alt_sp;
	size_t alt_size;
};
struct posix_sigthread *__aion_sig_self(void) POSIX_HIDDEN;
/* The first thread's, which exists before TLS does (exec's inherit). */
struct posix_sigthread *__aion_sig_first(void) POSIX_HIDDEN;
/* Marks sig (0: none; and a cancel) for thread tid and interrupts it; -ESRCH. */
long __aion_thread_signal(long tid, int sig, bool cancel) POSIX_HIDDEN;
/* Marks sig pending for thread t: a real-time one once more each time. */
void __aion_sig_mark(struct posix_sigthread *t, int sig) POSIX_HIDDEN;
/* Interrupts a sibling that does not block some of bits (process signals). */
void __aion_thread_offer(uint64_t bits) POSIX_HIDDEN;
/* From an upcall: false while this thread holds the thread table's lock
 * (the unlock then calls __aion_sig_deliver). */
bool __aion_sig_may_run(void) POSIX_HIDDEN;
/* RLIMIT_AS for mem.c (rlimit.c): bytes, 0 none. */
void __aion_mem_as_limit(uint64_t bytes) POSIX_HIDDEN;
/* A thread's CPU time (clock_gettime of pthread_getcpuclockid's clock). */
int __aion_thread_cpu_ns(long tid, uint64_t *ns) POSIX_HIDDEN;
/* Rings every sibling's doorbell. */
void __aion_thread_ring_all(void) POSIX_HIDDEN;
/* Runs what this thread may take, offers the rest of the process's. */
void __aion_sig_deliver(void) POSIX_HIDDEN;
/* SYS_exit: ends the calling thread only (its tid word cleared and woken). */
_Noreturn void __aion_thread_exit(long code) POSIX_HIDDEN;
/* musl's __unmapself: unmaps [base, base+size), this thread's stack and
 * TLS, then ends the thread (a detached thread's last step). */
_Noreturn void __aion_unmapself(void *base, size_t size) POSIX_HIDDEN;

/* Signals (signal.c, docs/posix.md "Signals"): Linux's calls and results. */
struct timespec;
union sigval;
long __aion_rt_sigaction(long sig, const void *sa, void *old, long size) POSIX_HIDDEN;
long __aion_rt_sigprocmask(long how, const uint64_t *set, uint64_t *old, long size) POSIX_HIDDEN;
long __aion_rt_sigpending(uint64_t *set, long size) POSIX_HIDDEN;
long __aion_rt_sigsuspend(const uint64_t *set, long size) POSIX_HIDDEN;
long __aion_rt_sigtimedwait(const uint64_t *set, void *info, const struct timespec *ts,
			    long size) POSIX_HIDDEN;
long __aion_pause(void) POSIX_HIDDEN;
/* rt_sigqueueinfo: PROC_QUEUE with the info's value. */
long __aion_sigqueue(long pid, long sig, const void *info) POSIX_HIDDEN;
struct sigaltstack;             /* stack_t */
long __aion_sigaltstack(const struct sigaltstack *ss, struct sigaltstack *old) POSIX_HIDDEN;
/* ITIMER_REAL (procd's PROC_ALARM); the others -EINVAL. */
long __aion_setitimer(long which, const void *in, void *old) POSIX_HIDDEN;
long __aion_getitimer(long which, void *cur) POSIX_HIDDEN;
/* tkill of the calling thread: the signal runs before it returns. */
long __aion_sig_raise(long sig) POSIX_HIDDEN;
/* The upcall entry registered (at start; forked: a child's first thread). */
void __aion_sig_start(int forked) POSIX_HIDDEN;
/* The default action "terminate": the process ends with sig as its status. */
_Noreturn void __aion_sig_exit(int sig) POSIX_HIDDEN;
/* What is at a faulting address (mem.c, for sigfault.c): FAULT_MEM_... of faultsig.h. */
int __aion_mem_fault_kind(uintptr_t addr) POSIX_HIDDEN;
/* Bumped when a handler without SA_RESTART ran: a blocking call that
 * returned EINTR ends with EINTR only when this moved (else it goes on). */
extern volatile uint32_t __aion_sig_intr POSIX_HIDDEN;
/* The IPC buffer's content kept aside (back 0) and put back (back 1). */
struct aion_ipc_buffer;
void __aion_vfs_buf_keep(struct aion_ipc_buffer *save, int back) POSIX_HIDDEN;

#endif
