/*
 * posix-diff (clock): the wall clock, the monotonic clock and the sleeps.
 * Prints only what must hold on any machine (the values themselves differ
 * from run to run), so the host's run and Aion's print the same lines.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/time.h>
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

	char buf[64];
	time_t fixed = 1000000000;
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %A", gmtime(&fixed));
	printf("1000000000 is %s UTC\n", buf);
	return 0;
}
