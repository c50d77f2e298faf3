/*
 * posix-diff (alarm): timer signals, run under procd: alarm's return
 * values, pause ended by SIGALRM, a one-shot and a periodic ITIMER_REAL
 * with getitimer, nanosleep cut short by a signal (EINTR and the time
 * left), sleep's remainder, and SIGALRM's default action ending a child.
 * Prints only what holds on any machine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile sig_atomic_t alarms;

static void on_alrm(int sig)
{
	(void)sig;
	alarms++;
}

static const char *yes(int c)
{
	return c ? "yes" : "no";
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alrm };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("alarm(5) first: %u\n", alarm(5));
	unsigned left = alarm(1);
	printf("alarm(1) then: %u left of the 5\n", left);
	const char *why = fails(pause());
	printf("pause: %s, alarms %d\n", why, alarms);
	printf("alarm(0) after it fired: %u\n", alarm(0));

	struct itimerval one = { .it_value = { 0, 50000 } }, now;
	setitimer(ITIMER_REAL, &one, NULL);
	getitimer(ITIMER_REAL, &now);
	printf("ITIMER_REAL armed: %s\n", yes(now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 &&
					       now.it_value.tv_usec <= 50000));
	while (alarms < 2)
		pause();
	getitimer(ITIMER_REAL, &now);
	printf("one-shot fired, then disarmed: %s\n",
	       yes(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0));

	struct itimerval every = { .it_interval = { 0, 20000 }, .it_value = { 0, 20000 } };
	setitimer(ITIMER_REAL, &every, NULL);
	while (alarms < 5)
		pause();
	struct itimerval off = { 0 }, was;
	setitimer(ITIMER_REAL, &off, &was);
	printf("periodic timer fired 3 more times; its interval was %ld us\n",
	       (long)was.it_interval.tv_usec);

	/* nanosleep of 5 s cut by a 30 ms timer. */
	struct itimerval cut = { .it_value = { 0, 30000 } };
	setitimer(ITIMER_REAL, &cut, NULL);
	struct timespec rem = { 0, 0 };
	errno = 0;
	int r = nanosleep(&(struct timespec){ 5, 0 }, &rem);
	printf("nanosleep(5 s) cut short: %d %s, time left between 3 and 5 s: %s\n", r, en(errno),
	       yes(rem.tv_sec >= 3 && rem.tv_sec < 5));
	setitimer(ITIMER_REAL, &cut, NULL);
	unsigned s = sleep(4);
	printf("sleep(4) cut short leaves 3 or 4: %s\n", yes(s == 3 || s == 4));
	printf("alarms in all: %d\n", alarms);

	/* SIGALRM's default action ends a process. */
	pid_t p = fork();
	if (p == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(1);
		for (;;)
			pause();
	}
	int st;
	waitpid(p, &st, 0);
	printf("child with SIGALRM's default: %s %d\n", WIFSIGNALED(st) ? "killed by signal" : "exited",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 0;
}
