/*
 * Resource limits (getrlimit, setrlimit, prlimit64). A process is
 * bounded by its unit's quota of frames, which no rlimit names; the
 * limits Aion keeps are the fd table's size, the stack's and the signal
 * queue's (fixed, as they are) and RLIMIT_AS, which mem.c enforces and which may be
 * lowered (never raised past its maximum: -EPERM, as for a process
 * without CAP_SYS_RESOURCE). Every other is RLIM_INFINITY (true:
 * nothing else limits it) and cannot be changed (-EPERM, rather than
 * accepting a limit nobody would keep; setting one to what it is
 * succeeds). A fork's child keeps RLIMIT_AS (memory), an exec does not
 * yet (docs/posix.md).
 */
#include <errno.h>
#include <sys/resource.h>
#include "aion/proc.h"
#include "libaion/sys.h"
#include "posix.h"

static struct rlimit as = { RLIM_INFINITY, RLIM_INFINITY };

static long get(int res, struct rlimit *out)
{
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	if (res == RLIMIT_AS) {
		*out = as;
		return 0;
	}
	rlim_t v = res == RLIMIT_NOFILE ? POSIX_FD_MAX :
		   res == RLIMIT_STACK ? (rlim_t)PROC_STACK_PAGES * 4096 :
		   res == RLIMIT_SIGPENDING ? PROC_SIGQ_MAX : RLIM_INFINITY;
	*out = (struct rlimit){ v, v };
	return 0;
}

long __aion_prlimit(long pid, int res, const struct rlimit *want, struct rlimit *old)
{
	if (pid != 0 && pid != __aion_getpid())
		return -EPERM;          /* another process's: not ours to read */
	struct rlimit now;
	long err = get(res, &now);
	if (err)
		return err;
	if (want && want->rlim_cur > want->rlim_max)
		return -EINVAL;
	if (want && res == RLIMIT_AS) {
		if (want->rlim_max > as.rlim_max)
			return -EPERM;
		as = *want;
		__aion_mem_as_limit(as.rlim_cur == RLIM_INFINITY ? 0 : as.rlim_cur);
	} else if (want && (want->rlim_cur != now.rlim_cur || want->rlim_max != now.rlim_max))
		return -EPERM;          /* the same again changes nothing: fine */
	if (old)
		*old = now;
	return 0;
}
