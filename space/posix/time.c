/*
 * The clocks and sleeps of the POSIX layer, answered in the program's own
 * unit: no server is needed, since the kernel's CLOCK_NS is the monotonic
 * clock and SYSTEM_INFO tells where the wall clock stood at uptime 0
 * (realtime_boot_ns: the host's clock when it started the VM, whole
 * seconds, `aion.clock=`). Wall time is that plus CLOCK_NS; nothing on a
 * node can set it (docs/posix.md "Time"). CPU time is the kernel's count:
 * the process's is its unit's (every thread, ended ones too), a thread's
 * its own.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include "aion/proc.h"
#include "libaion/sys.h"
#include "posix.h"

#define NS_PER_S 1000000000ull

/* 0 until first asked; then the base, or UINT64_MAX for "not given". */
static uint64_t realtime_base;

static int realtime_ns(uint64_t *ns)
{
	if (!realtime_base) {
		struct aion_system_info info = { 0 };
		realtime_base = aion_system_info(&info) == 0 && info.realtime_boot_ns
			? info.realtime_boot_ns : UINT64_MAX;
	}
	if (realtime_base == UINT64_MAX)
		return -EINVAL;         /* no wall clock: no made-up date */
	*ns = realtime_base + aion_clock_ns();
	return 0;
}

static int process_cpu_ns(uint64_t *ns)
{
	struct aion_unit_info info;
	if (aion_unit_info(AION_HANDLE_SELF, &info))
		return -EINVAL;
	*ns = info.cpu_ns;
	return 0;
}

/*
 * The CPU clocks clock_getcpuclockid and pthread_getcpuclockid name, in
 * Linux's encoding: ~pid << 3 | 2 (a process's), ~tid << 3 | 6 (a
 * thread's); pid 0 is the caller. Ours and our threads' (thread.c's
 * table); another process's: -EINVAL (procd keeps none to read).
 */
static int cpu_clock_ns(long clock, uint64_t *ns)
{
	long id = ~(clock >> 3);
	if ((clock & 3) != 2)
		return -EINVAL;         /* the PROF and VIRT kinds: not kept */
	if (clock & 4)
		return __aion_thread_cpu_ns(id ? id : __aion_gettid(), ns);
	if (id && id != __aion_getpid())
		return -EINVAL;
	return process_cpu_ns(ns);
}

static int clock_ns(long clock, uint64_t *ns)
{
	switch (clock) {
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = aion_clock_ns();
		return 0;
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:                 /* no leap second table: TAI as UTC */
		return realtime_ns(ns);
	case CLOCK_PROCESS_CPUTIME_ID:
		return process_cpu_ns(ns);
	case CLOCK_THREAD_CPUTIME_ID: {
		struct aion_thread_info info;
		if (aion_thread_info(AION_HANDLE_SELF, &info))
			return -EINVAL;
		*ns = info.cpu_ns;
		return 0;
	}
	default:
		return clock < 0 ? cpu_clock_ns(clock, ns) : -EINVAL;
	}
}

long __aion_clock_gettime(long clock, struct timespec *ts)
{
	uint64_t ns;
	int err = clock_ns(clock, &ns);
	if (err)
		return err;
	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
	return 0;
}

long __aion_clock_getres(long clock, struct timespec *res)
{
	uint64_t ns;
	int err = clock_ns(clock, &ns);
	if (err)
		return err;
	if (res)
		*res = (struct timespec){ 0, 1 };       /* CLOCK_NS counts ns */
	return 0;
}

long __aion_gettimeofday(struct timeval *tv)
{
	uint64_t ns;
	int err = realtime_ns(&ns);
	if (err)
		return err;
	if (tv) {
		tv->tv_sec = (time_t)(ns / NS_PER_S);
		tv->tv_usec = (suseconds_t)(ns % NS_PER_S / 1000);
	}
	return 0;
}

long __aion_time(long *t)
{
	uint64_t ns;
	int err = realtime_ns(&ns);
	if (err)
		return err;
	if (t)
		*t = (long)(ns / NS_PER_S);
	return (long)(ns / NS_PER_S);
}

static int timespec_ns(const struct timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS_PER_S)
		return -EINVAL;
	*ns = (uint64_t)ts->tv_sec > UINT64_MAX / NS_PER_S - 1 ? UINT64_MAX
		: (uint64_t)ts->tv_sec * NS_PER_S + (uint64_t)ts->tv_nsec;
	return 0;
}

/* A signal whose handler has no SA_RESTART ends the sleep with EINTR and
 * the time left in rem; any other keeps it going to the same deadline. */
long __aion_clock_nanosleep(long clock, long flags, const struct timespec *req,
			    struct timespec *rem)
{
	uint64_t want, now;
	int err = timespec_ns(req, &want);
	if (!err)
		err = clock_ns(clock, &now);
	if (err)
		return err;
	if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME)
		return -EINVAL;         /* as Linux: the coarse and raw clocks cannot sleep */
	/* A deadline on the wall clock is one on the monotonic clock: the wall
	 * clock never jumps here. */
	uint64_t left = !(flags & TIMER_ABSTIME) ? want : want > now ? want - now : 0;
	uint64_t mono = aion_clock_ns();
	uint64_t deadline = left > UINT64_MAX - mono ? UINT64_MAX : mono + left;
	uint32_t intr = __aion_sig_intr;
	while (aion_sleep_until(deadline) == -AION_EINTR) {
		if (__aion_sig_intr == intr && !__aion_cancel_woken())
			continue;
		uint64_t now2 = aion_clock_ns(), rest = deadline > now2 ? deadline - now2 : 0;
		if (rem && !(flags & TIMER_ABSTIME))
			*rem = (struct timespec){ (time_t)(rest / NS_PER_S), (long)(rest % NS_PER_S) };
		return -EINTR;
	}
	if (rem && !(flags & TIMER_ABSTIME))
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

long __aion_nanosleep(const struct timespec *req, struct timespec *rem)
{
	return __aion_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
}

/* The waited-for children's CPU time, from procd (0 without one). */
static uint64_t children_cpu_ns(void)
{
	long ns = __aion_proc_ep ? __aion_proc_call(PROC_CHILD_CPU, 0, 0, 0, NULL) : 0;
	return ns > 0 ? (uint64_t)ns : 0;
}

/* No user/system split: the kernel's time for a call is the caller's, so
 * all of it is user time. */
long __aion_times(struct tms *t)
{
	uint64_t cpu = 0;
	long hz = 100;                  /* musl's sysconf(_SC_CLK_TCK) */
	process_cpu_ns(&cpu);
	if (t)
		*t = (struct tms){ .tms_utime = (clock_t)(cpu / (NS_PER_S / hz)),
				   .tms_cutime = (clock_t)(children_cpu_ns() / (NS_PER_S / hz)) };
	return (long)(aion_clock_ns() / (NS_PER_S / hz));
}

long __aion_getrusage(long who, struct rusage *ru)
{
	uint64_t cpu = 0;
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	if (who == RUSAGE_SELF)
		process_cpu_ns(&cpu);
	else if (who == RUSAGE_CHILDREN)
		cpu = children_cpu_ns();
	else if (who == RUSAGE_THREAD)
		clock_ns(CLOCK_THREAD_CPUTIME_ID, &cpu);
	*ru = (struct rusage){ .ru_utime = { .tv_sec = (time_t)(cpu / NS_PER_S),
					     .tv_usec = (suseconds_t)(cpu % NS_PER_S / 1000) } };
	return 0;
}
