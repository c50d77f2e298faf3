/*
 * Process calls of the POSIX layer: each is a call to the process server
 * (procd, aion/proc.h) through the capability procd gave this process
 * (the startup record's posix_proc, or the fork's thread argument), badged
 * with our pid. Without one (a program started outside procd) they are
 * -ENOSYS, so such a program still runs. Results are Linux's: procd's
 * replies carry Linux errno values already. docs/posix.md "Processes".
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "aion/proc.h"
#include "libaion/sys.h"
#include "posix.h"

/* Set from the startup record (startup.c) or by a forked child (fork.c). */
uint64_t __aion_proc_ep POSIX_HIDDEN;
static long cached_pid;         /* 0: not asked yet (a pid never changes) */

#define WAIT_OPTS_KNOWN (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)

long __aion_proc_call(unsigned label, uint64_t a, uint64_t b, uint64_t c, uint64_t *w1)
{
	return __aion_proc_call2(label, a, b, c, w1, NULL);
}

long __aion_proc_call2(unsigned label, uint64_t a, uint64_t b, uint64_t c, uint64_t *w1,
		       uint64_t *w2)
{
	if (!__aion_proc_ep)
		return -ENOSYS;
	struct aion_msg m;
	int64_t err;
	/* EINTR: a signal came before procd took the call; it was not sent. */
	do {
		m = (struct aion_msg){ .tag = AION_TAG(label, 0, 0), .w = { a, b, c } };
		err = aion_call((aion_handle_t)__aion_proc_ep, &m, AION_FOREVER);
	} while (err == -AION_EINTR);
	if (err)
		return -EIO;            /* procd is gone */
	if (w1)
		*w1 = m.w[1];
	if (w2)
		*w2 = m.w[2];
	return (long)m.w[0];
}

void __aion_proc_forked(uint64_t ep)
{
	__aion_proc_ep = ep;
	cached_pid = 0;
}

long __aion_getpid(void)
{
	if (!cached_pid) {
		long r = __aion_proc_call(PROC_GETPID, 0, 0, 0, NULL);
		if (r < 0)
			return r;
		cached_pid = r;
	}
	return cached_pid;
}

long __aion_getppid(void)
{
	uint64_t ppid;
	long r = __aion_proc_call(PROC_GETPID, 0, 0, 0, &ppid);
	return r < 0 ? r : (long)ppid;
}

static void no_usage(struct rusage *ru)
{
	if (ru)
		memset(ru, 0, sizeof(*ru));     /* no accounting yet */
}

long __aion_wait4(long pid, int *status, long options, struct rusage *ru)
{
	uint64_t st;

	if (options & ~(long)WAIT_OPTS_KNOWN)
		return -EINVAL;
	/* procd answers EINTR when it sends us a signal: the wait goes on
	 * unless a handler without SA_RESTART ran. */
	uint32_t intr = __aion_sig_intr;
	long r;
	do
		r = __aion_proc_call(PROC_WAIT4, (uint64_t)pid,
				     (uint64_t)(options & (WNOHANG | WUNTRACED | WCONTINUED)), 0, &st);
	while (r == -EINTR && __aion_sig_intr == intr);
	if (r > 0) {
		if (status)
			*status = (int)st;
		no_usage(ru);
	}
	return r;
}

long __aion_waitid(long idtype, long id, void *out, long options, struct rusage *ru)
{
	siginfo_t *info = out;
	long pid;
	uint64_t st;

	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)) ||
	    (options & ~(long)(WEXITED | WNOHANG | WNOWAIT | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		pid = -1;
		break;
	case P_PID:
		if (id <= 0)
			return -EINVAL;
		pid = id;
		break;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		pid = id ? -id : 0;
		break;
	default:
		return -EINVAL;
	}
	uint64_t opts = (uint64_t)(options & (WNOHANG | WNOWAIT | WCONTINUED));
	opts |= options & WSTOPPED ? PROC_WUNTRACED : 0;
	opts |= options & WEXITED ? 0 : PROC_WNOEXITED;
	uint32_t intr = __aion_sig_intr;
	long r;
	do
		r = __aion_proc_call(PROC_WAIT4, (uint64_t)pid, opts, 0, &st);
	while (r == -EINTR && __aion_sig_intr == intr);
	if (r < 0)
		return r;
	if (info) {
		memset(info, 0, sizeof(*info));
		if (r > 0) {
			int s = (int)st;
			info->si_signo = SIGCHLD;
			info->si_pid = (pid_t)r;
			if (WIFSTOPPED(s)) {
				info->si_code = CLD_STOPPED;
				info->si_status = WSTOPSIG(s);
			} else if (WIFCONTINUED(s)) {
				info->si_code = CLD_CONTINUED;
				info->si_status = SIGCONT;
			} else {
				info->si_code = WIFEXITED(s) ? CLD_EXITED : CLD_KILLED;
				info->si_status = WIFEXITED(s) ? WEXITSTATUS(s) : WTERMSIG(s);
			}
		}
	}
	no_usage(ru);
	return 0;
}

long __aion_kill(long pid, long sig)
{
	return __aion_proc_call(PROC_KILL, (uint64_t)pid, (uint64_t)sig, 0, NULL);
}

long __aion_sigqueue(long pid, long sig, const void *infop)
{
	const siginfo_t *si = infop;
	/* Linux's rule: only the kernel's codes (>= 0) are not forged. */
	if (si->si_code >= 0 && pid != __aion_getpid())
		return -EPERM;
	return __aion_proc_call(PROC_QUEUE, (uint64_t)pid, (uint64_t)sig,
				(uint64_t)(uintptr_t)si->si_value.sival_ptr, NULL);
}

long __aion_setpgid(long pid, long pgid)
{
	return __aion_proc_call(PROC_SETPGID, (uint64_t)pid, (uint64_t)pgid, 0, NULL);
}

long __aion_getpgid(long pid)
{
	return __aion_proc_call(PROC_GETPGID, (uint64_t)pid, 0, 0, NULL);
}

long __aion_setsid(void)
{
	return __aion_proc_call(PROC_SETSID, 0, 0, 0, NULL);
}

long __aion_getsid(long pid)
{
	return __aion_proc_call(PROC_GETSID, (uint64_t)pid, 0, 0, NULL);
}

void __aion_proc_exit(long code)
{
	/* procd records the status and ends the unit; without procd we return. */
	__aion_proc_call(PROC_EXIT, (uint64_t)code, 0, 0, NULL);
}
