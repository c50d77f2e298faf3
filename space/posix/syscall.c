/*
 * The POSIX layer's system call entry: musl's __syscallN (the arch
 * aion_x86_64's syscall_arch.h) all call __aion_syscall with the Linux
 * x86_64 call number and arguments. Each call is answered here, in the
 * program's own unit; calls that need shared state (files, processes,
 * signals) will become IPC to the POSIX servers (issue 17). The result
 * follows Linux: >= 0, or -errno with musl's errno numbers.
 *
 * Today: files and the fd table (files.c, paths.c, fd.c: the VFS), sockets
 * (sockets.c: netd), the
 * console as fds 0-2 (output: the log, one DEBUG_LOG per line), processes
 * (proc.c, fork.c: procd), exit/exit_group (THREAD_EXIT, UNIT_EXIT), threads (thread.c:
 * the thread pointer through arch_prctl(ARCH_SET_FS) and set_thread_area,
 * set_tid_address, gettid, futex, tkill, the exit of one thread), memory
 * (mem.c: brk, mmap, munmap, mprotect, madvise), the clocks and sleeps
 * (time.c). Everything else is -ENOSYS (docs/posix.md).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include "libaion/sys.h"
#include "posix.h"

#define ARCH_SET_FS     0x1002          /* Linux's arch_prctl code */

/*
 * Output of fds 1 and 2: bytes gather until a newline (or a full log
 * line), then go out as one DEBUG_LOG, so each printed line is one line
 * of the node's log. Both fds share the log; each keeps its own partial
 * line so that interleaved stdout and stderr do not mix within a line.
 */
struct out_line {
	char buf[AION_LOG_MAX];
	size_t len;
};
static struct out_line out[2];

static void out_flush(struct out_line *o)
{
	if (o->len) {
		aion_debug_log(o->buf, o->len);
		o->len = 0;
	}
}

static void out_put(struct out_line *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			/* An empty line is still a line of the log. */
			aion_debug_log(o->buf, o->len);
			o->len = 0;
			continue;
		}
		o->buf[o->len++] = p[i];
		if (o->len == sizeof(o->buf))
			out_flush(o);
	}
}

void __aion_posix_flush(void)
{
	out_flush(&out[0]);
	out_flush(&out[1]);
}

long __aion_console_write(enum posix_kind kind, const void *p, size_t n)
{
	out_put(&out[kind == POSIX_CONSOLE_ERR], p, n);
	return (long)n;
}

/* The whole process. */
__attribute__((noreturn)) static void sys_exit_group(long code)
{
	__aion_posix_flush();
	/* Open files end with the process: the VFS's records and locks go. */
	__aion_fd_close_all();
	__aion_proc_exit(code);
	/* POSIX keeps the low 8 bits of the status; other threads end too. */
	aion_unit_exit(code & 0xff);
}

long __aion_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	int handled;
	long r = __aion_files_syscall(n, a, b, c, d, e, &handled);
	if (!handled)
		r = __aion_paths_syscall(n, a, b, c, d, e, &handled);
	if (!handled)
		r = __aion_sockets_syscall(n, a, b, c, d, e, f, &handled);
	if (handled)
		return r;
	switch (n) {
	case SYS_exit:
		__aion_thread_exit(a);
	case SYS_exit_group:
		sys_exit_group(a);
	case SYS_set_tid_address:
		return __aion_set_tid_address((int *)a);
	case SYS_gettid:
		return __aion_gettid();
	case SYS_arch_prctl:
		if (a != ARCH_SET_FS)
			return -EINVAL;
		return __aion_set_tls((uintptr_t)b);
	case SYS_set_thread_area:
		return __aion_set_tls((uintptr_t)a);
	case SYS_futex:
		return __aion_futex((volatile int *)a, (int)b, (int)c,
				    (const struct timespec *)d, (volatile int *)e, (int)f);
	case SYS_tkill:
		return __aion_tkill(a, b);
	case SYS_sched_yield:
		return aion_yield();
	case SYS_brk:
		return __aion_brk((uintptr_t)a);
	case SYS_mmap:
		return __aion_mmap((uintptr_t)a, (size_t)b, (int)c, (int)d, (int)e, f);
	case SYS_munmap:
		return __aion_munmap((uintptr_t)a, (size_t)b);
	case SYS_mprotect:
		return __aion_mprotect((uintptr_t)a, (size_t)b, (int)c);
	case SYS_madvise:
		return __aion_madvise((uintptr_t)a, (size_t)b, (int)c);
	case SYS_msync:
		return __aion_msync((uintptr_t)a, (size_t)b, (int)c);
	case SYS_mlock:
	case SYS_munlock:
		return __aion_mlock((uintptr_t)a, (size_t)b);
	case SYS_mlockall:
		return a && !(a & ~(long)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ? 0 : -EINVAL;
	case SYS_munlockall:
		return 0;
	case SYS_prlimit64:
		return __aion_prlimit(a, (int)b, (const struct rlimit *)c, (struct rlimit *)d);
	case SYS_getrlimit:
		return __aion_prlimit(0, (int)a, NULL, (struct rlimit *)b);
	case SYS_setrlimit:
		return __aion_prlimit(0, (int)a, (const struct rlimit *)b, NULL);
	case SYS_clock_gettime:
		return __aion_clock_gettime(a, (struct timespec *)b);
	case SYS_clock_getres:
		return __aion_clock_getres(a, (struct timespec *)b);
	case SYS_clock_settime:
	case SYS_settimeofday:
		return -EPERM;          /* the host sets the wall clock (docs/posix.md) */
	case SYS_gettimeofday:
		return __aion_gettimeofday((struct timeval *)a);
	case SYS_time:
		return __aion_time((long *)a);
	case SYS_times:
		return __aion_times((struct tms *)a);
	case SYS_getrusage:
		return __aion_getrusage(a, (struct rusage *)b);
	case SYS_nanosleep:
		return __aion_nanosleep((const struct timespec *)a, (struct timespec *)b);
	case SYS_clock_nanosleep:
		return __aion_clock_nanosleep(a, b, (const struct timespec *)c,
					      (struct timespec *)d);
	/* Processes: proc.c and fork.c, through procd. */
	case SYS_getpid:
		return __aion_getpid();
	case SYS_getppid:
		return __aion_getppid();
	case SYS_fork:
	case SYS_vfork:
		return __aion_fork();
	case SYS_execve:
		return __aion_execve((const char *)a, (char *const *)b, (char *const *)c);
	case SYS_clone:
		return __aion_clone((unsigned long)a, (uintptr_t)b);
	case SYS_wait4:
		return __aion_wait4(a, (int *)b, c, (struct rusage *)d);
	case SYS_waitid:
		return __aion_waitid(a, b, (void *)c, d, (struct rusage *)e);
	case SYS_kill:
		return __aion_kill(a, b);
	case SYS_tgkill:
		return a == __aion_getpid() ? __aion_tkill(b, c) : -ESRCH;
	case SYS_rt_sigaction:
		return __aion_rt_sigaction(a, (const void *)b, (void *)c, d);
	case SYS_rt_sigprocmask:
		return __aion_rt_sigprocmask(a, (const uint64_t *)b, (uint64_t *)c, d);
	case SYS_rt_sigpending:
		return __aion_rt_sigpending((uint64_t *)a, b);
	case SYS_rt_sigsuspend:
		return __aion_rt_sigsuspend((const uint64_t *)a, b);
	case SYS_rt_sigtimedwait:
		return __aion_rt_sigtimedwait((const uint64_t *)a, (void *)b,
					      (const struct timespec *)c, d);
	case SYS_rt_sigqueueinfo:
		return __aion_sigqueue(a, b, (const void *)c);
	case SYS_sigaltstack:
		return __aion_sigaltstack((const struct sigaltstack *)a, (struct sigaltstack *)b);
	case SYS_pause:
		return __aion_pause();
	case SYS_setitimer:
		return __aion_setitimer(a, (const void *)b, (void *)c);
	case SYS_getitimer:
		return __aion_getitimer(a, (void *)b);
	case SYS_alarm: {
		/* musl's alarm uses setitimer; a direct call the same way. */
		struct { long s, us, s2, us2; } in = { 0, 0, a, 0 }, old;
		long r = __aion_setitimer(0, &in, &old);
		return r < 0 ? r : old.s2 + !!old.us2;
	}
	case SYS_setpgid:
		return __aion_setpgid(a, b);
	case SYS_getpgid:
		return __aion_getpgid(a);
	case SYS_setsid:
		return __aion_setsid();
	case SYS_getsid:
		return __aion_getsid(a);
	default:
		return -ENOSYS;
	}
}
