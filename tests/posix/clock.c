/*
 * posix-diff (clock): the wall clock, the monotonic clock, the sleeps and
 * CPU time (clock_gettime's CPU clocks, clock(), times(), getrusage()).
 * Prints only what must hold on any machine (the values themselves differ
 * from run to run), so the host's run and Aion's print the same lines.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static const char *yes(int c)
{
	return c ? "yes" : "no";
}

int main(void)
{
	struct timespec rt, m0, m1, res;
	struct timeval tv;
	time_t t = time(NULL);

	clock_gettime(CLOCK_REALTIME, &rt);
	gettimeofday(&tv, NULL);
	printf("time() is after 2023: %s\n", yes(t > 1700000000));
	printf("time, CLOCK_REALTIME and gettimeofday agree: %s\n",
	       yes(rt.tv_sec >= t && rt.tv_sec - t <= 1 && tv.tv_sec >= rt.tv_sec &&
		   tv.tv_sec - rt.tv_sec <= 1));

	clock_gettime(CLOCK_MONOTONIC, &m0);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	printf("nanosleep of 20 ms slept at least 20 ms: %s\n",
	       yes(ns_of(&m1) - ns_of(&m0) >= 20000000));

	struct timespec deadline = m1;
	deadline.tv_nsec += 10000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	printf("clock_nanosleep to a deadline: %d, reached it: %s\n", r,
	       yes(ns_of(&m1) >= ns_of(&deadline)));

	errno = 0;
	r = nanosleep(&(struct timespec){ 0, 1000000000 }, NULL);
	printf("nanosleep of tv_nsec 1e9: %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");

	clock_getres(CLOCK_MONOTONIC, &res);
	printf("CLOCK_MONOTONIC resolution under 1 ms: %s\n", yes(ns_of(&res) < 1000000));

	/* Spinning costs CPU time; a thread's is part of its process's. The
	 * spin lasts until 50 ms of CPU time (at most 10 s on a busy host),
	 * so times()' 10 ms ticks see some too. */
	struct timespec c0, c1, th, now;
	clock_t k0 = clock();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_MONOTONIC, &m0);
	do {
		/* Work in user mode between the reads: where clock_gettime is a
		 * system call (no vDSO clock), the reads alone are system time
		 * and times()' user time may stay 0. */
		for (volatile int i = 0; i < 20000; i++)
			;
		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	} while ((ns_of(&m1) - ns_of(&m0) < 30000000 || ns_of(&now) - ns_of(&c0) < 50000000) &&
		 ns_of(&m1) - ns_of(&m0) < 10000000000ll);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &th);      /* first: it can only lag */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_t k1 = clock();
	printf("process CPU time grew by at least 1 ms while spinning: %s\n",
	       yes(ns_of(&c1) - ns_of(&c0) >= 1000000));
	printf("the thread's CPU time is at most the process's: %s\n", yes(ns_of(&th) <= ns_of(&c1)));
	printf("clock() grew: %s\n", yes(k1 > k0));
	struct tms tms;
	clock_t ticks = times(&tms);
	struct rusage ru;
	int rr = getrusage(RUSAGE_SELF, &ru);
	printf("times() ticks > 0 and user time > 0: %s\n", yes(ticks > 0 && tms.tms_utime > 0));
	printf("getrusage: %d, user time > 0: %s\n", rr,
	       yes(ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0));
	errno = 0;
	r = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &(struct timespec){ 0, 1000 }, NULL);
	printf("clock_nanosleep on the thread's CPU clock: %s\n",
	       r == EINVAL ? "EINVAL" : r == ENOTSUP ? "ENOTSUP" : "?");

	char buf[64];
	time_t fixed = 1000000000;
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %A", gmtime(&fixed));
	printf("1000000000 is %s UTC\n", buf);
	return 0;
}
