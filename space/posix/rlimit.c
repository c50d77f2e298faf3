/*
 * Resource limits (getrlimit, setrlimit, prlimit64). Aion enforces no
 * per-process limit of these kinds but the fd table's size and the
 * stack's: a process is bounded by its unit's quota of frames, which no
 * rlimit names. So the two real ones are reported as they are, every
 * other as RLIM_INFINITY (true: nothing else limits it), and no limit
 * can be changed (-EPERM, rather than accepting a limit nobody would
 * keep; setting one to what it is succeeds).
 */
#include <errno.h>
#include <sys/resource.h>
#include "aion/proc.h"
#include "libaion/sys.h"
#include "posix.h"

static long get(int res, struct rlimit *out)
{
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	rlim_t v = res == RLIMIT_NOFILE ? POSIX_FD_MAX :
		   res == RLIMIT_STACK ? (rlim_t)PROC_STACK_PAGES * 4096 : RLIM_INFINITY;
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
	if (want && (want->rlim_cur != now.rlim_cur || want->rlim_max != now.rlim_max))
		return -EPERM;          /* the same again changes nothing: fine */
	if (old)
		*old = now;
	return 0;
}
