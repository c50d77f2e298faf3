/*
 * posix-diff (waits): how processes end and what their parent learns, run
 * under procd: exit codes past 255, atexit handlers and stdio flushed by
 * exit but not by _exit, abort and a fault as signals, wait() for any
 * child, waitpid's errors, waitid's siginfo (si_code, si_status), and a
 * waited-for child's CPU time in times() and getrusage(RUSAGE_CHILDREN).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "waitstatus.h"
#include "errname.h"

static int out[2];

static void bye(void)
{
	write(out[1], "atexit ran;", 11);
}

/* Runs fn in a child whose output goes to a pipe; prints its status and output. */
static void child(const char *what, void (*fn)(void))
{
	int st;
	char buf[128] = { 0 };
	pipe(out);
	pid_t p = fork();
	if (p == 0) {
		close(out[0]);
		fn();
		_exit(99);
	}
	close(out[1]);
	/* The child's end first, then what it left in the pipe up to the end
	 * of file, which comes however it ended: a fault too (docs/fs.md
	 * "Records of ended processes"). */
	waitpid(p, &st, 0);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(out[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(out[0]);
	status(what, st);
	printf("  it wrote: '%s'\n", buf);
}

static void exit_big(void)
{
	atexit(bye);
	exit(256 + 3);
}

static void exit_raw(void)
{
	atexit(bye);
	_exit(4);
}

static void stdio_exit(void)
{
	FILE *f = fdopen(out[1], "w");
	setvbuf(f, NULL, _IOFBF, 64);
	fprintf(f, "buffered;");
	exit(0);                        /* flushes f */
}

static void stdio_raw(void)
{
	FILE *f = fdopen(out[1], "w");
	setvbuf(f, NULL, _IOFBF, 64);
	fprintf(f, "lost;");
	_exit(0);                       /* does not */
}

static void aborts(void)
{
	write(out[1], "aborting;", 9);
	abort();
}

static void faults(void)
{
	volatile int *p;
	volatile uintptr_t at = 16;     /* volatile: the compiler may not see it */
	p = (volatile int *)at;
	write(out[1], "faulting;", 9);
	*p = 1;
}

static void kills_self(void)
{
	kill(getpid(), SIGTERM);
	write(out[1], "not reached;", 12);
}

int main(void)
{
	int st;
	setvbuf(stdout, NULL, _IOLBF, 0);
	child("exit(259) with an atexit handler", exit_big);
	child("_exit(4) with an atexit handler", exit_raw);
	child("exit with a full stdio buffer", stdio_exit);
	child("_exit with a full stdio buffer", stdio_raw);
	child("abort", aborts);
	child("a write to address 16", faults);
	child("kill(self, SIGTERM)", kills_self);

	/* wait() takes whichever ends: the sum of codes is what counts. */
	for (int i = 1; i <= 3; i++)
		if (fork() == 0)
			_exit(i * 10);
	int sum = 0;
	for (int i = 0; i < 3; i++) {
		pid_t p = wait(&st);
		sum += p > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
	}
	printf("three children through wait(): codes add up to %d\n", sum);
	printf("wait() with none left: %s\n", fails(wait(&st)));
	printf("waitpid(1) (not a child): %s\n", fails(waitpid(1, &st, 0)));
	printf("waitpid with a bad option: %s\n", fails(waitpid(-1, &st, 0x100)));

	/* waitid: the code and status in a siginfo. */
	pid_t a = fork();
	if (a == 0)
		_exit(42);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r = waitid(P_PID, (id_t)a, &si, WEXITED);
	printf("waitid: %d, CLD_EXITED %s, status %d, pid matches %s\n", r,
	       si.si_code == CLD_EXITED ? "yes" : "no", si.si_status, si.si_pid == a ? "yes" : "no");
	pid_t b = fork();
	if (b == 0) {
		pause();
		_exit(0);
	}
	kill(b, SIGUSR1);
	memset(&si, 0, sizeof(si));
	r = waitid(P_ALL, 0, &si, WEXITED);
	printf("waitid: %d, CLD_KILLED %s, status %d\n", r, si.si_code == CLD_KILLED ? "yes" : "no",
	       si.si_status);

	/* A child spins for 100 ms of CPU time (at most 10 s of the clock). */
	struct tms before, after;
	struct rusage ru0, ru1;
	times(&before);
	getrusage(RUSAGE_CHILDREN, &ru0);
	pid_t s = fork();
	if (s == 0) {
		struct timespec c, m0, m;
		clock_gettime(CLOCK_MONOTONIC, &m0);
		do {
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
			clock_gettime(CLOCK_MONOTONIC, &m);
		} while (c.tv_sec * 1000000000ll + c.tv_nsec < 100000000ll && m.tv_sec - m0.tv_sec < 10);
		_exit(0);
	}
	times(&after);
	printf("children's time before the wait: %s\n",
	       after.tms_cutime + after.tms_cstime == before.tms_cutime + before.tms_cstime ?
	       "same" : "grew");
	waitpid(s, &st, 0);
	times(&after);
	getrusage(RUSAGE_CHILDREN, &ru1);
	/* User and system time together: Linux splits them, Aion counts all as user. */
	long cut = (long)(after.tms_cutime + after.tms_cstime - before.tms_cutime -
			  before.tms_cstime);
	long long us = (ru1.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_utime.tv_sec -
			ru0.ru_stime.tv_sec) * 1000000ll +
		       (ru1.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_utime.tv_usec -
			ru0.ru_stime.tv_usec);
	printf("after: children's time grew by 5 ticks or more: %s, RUSAGE_CHILDREN by 50 ms or more: %s\n",
	       cut >= 5 ? "yes" : "no", us >= 50000 ? "yes" : "no");
	return 0;
}
