/*
 * What the benchmark programs of tests/posix share (posixbench, diskbench):
 * the monotonic clock in ns, and the failure line bench/ scripts look for
 * ("NAME: FAIL what errno=N (text)", then exit status 1).
 */
#ifndef TESTS_POSIX_BENCHUTIL_H
#define TESTS_POSIX_BENCHUTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void bench_fail(const char *prog, const char *what)
{
	printf("%s: FAIL %s errno=%d (%s)\n", prog, what, errno, strerror(errno));
	fflush(stdout);
	exit(1);
}

#endif
