/*
 * Stop and continue (posix-diff: the same lines on Linux and Aion):
 * SIGSTOP stops a child (every thread of it), its parent's waitpid with
 * WUNTRACED and waitid with WSTOPPED report it once, SIGCONT goes on
 * (WCONTINUED), SIGCHLD says CLD_STOPPED and CLD_CONTINUED (not with
 * SA_NOCLDSTOP), a sleep stopped midway still ends well, a caught
 * SIGTSTP runs its handler instead, raise(SIGSTOP), SIGKILL of a stopped
 * child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile unsigned long *counter;
static volatile int chld_codes[8], chld_n;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (chld_n < 8)
		chld_codes[chld_n++] = si->si_code * 100 + si->si_status;
}

static void catch_chld(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
	sigaction(SIGCHLD, &sa, NULL);
	chld_n = 0;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *count_forever(void *arg)
{
	(void)arg;
	for (;;)
		(*counter)++;
	return NULL;
}

/* Waits until the child has counted past the value it had. */
static void counting(unsigned long from)
{
	for (int i = 0; i < 2000 && *counter == from; i++)
		msleep(5);
}

static const char *what(int st)
{
	static char b[64];
	if (WIFSTOPPED(st))
		snprintf(b, sizeof(b), "stopped %d", WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		snprintf(b, sizeof(b), "continued");
	else if (WIFSIGNALED(st))
		snprintf(b, sizeof(b), "killed %d", WTERMSIG(st));
	else
		snprintf(b, sizeof(b), "exited %d", WEXITSTATUS(st));
	return b;
}

static void stop_a_counter(int threaded)
{
	*counter = 0;
	catch_chld(0);
	pid_t c = fork();
	if (c == 0) {
		if (threaded) {
			pthread_t t;
			pthread_create(&t, NULL, count_forever, NULL);
			for (;;)
				pause();
		}
		count_forever(NULL);
	}
	counting(0);
	int st = 0;
	kill(c, SIGSTOP);
	pid_t w = waitpid(c, &st, WUNTRACED);
	printf("%s: waitpid WUNTRACED %s %s\n", threaded ? "threads" : "one", w == c ? "child" : "?",
	       what(st));
	msleep(200);
	unsigned long a = *counter;
	msleep(100);
	unsigned long b = *counter;
	printf("%s: stopped child counts %s\n", threaded ? "threads" : "one", a == b ? "no more" : "on");
	w = waitpid(c, &st, WUNTRACED | WNOHANG);
	printf("%s: told once: %d\n", threaded ? "threads" : "one", (int)w);
	kill(c, SIGCONT);
	w = waitpid(c, &st, WCONTINUED);
	printf("%s: waitpid WCONTINUED %s %s\n", threaded ? "threads" : "one",
	       w == c ? "child" : "?", what(st));
	counting(b);
	unsigned long d = *counter;
	printf("%s: continued child counts %s\n", threaded ? "threads" : "one", d != b ? "on" : "no more");
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	printf("%s: end %s; SIGCHLD codes", threaded ? "threads" : "one", what(st));
	for (int i = 0; i < chld_n; i++)
		printf(" %d", chld_codes[i]);
	printf("\n");
}

static void stop_a_sleeper(void)
{
	pid_t c = fork();
	if (c == 0) {
		struct timespec ts = { 0, 400000000L };
		int r = nanosleep(&ts, NULL);
		_exit(r == 0 ? 0 : 10 + errno);
	}
	msleep(100);
	int st = 0;
	kill(c, SIGSTOP);
	waitpid(c, &st, WUNTRACED);
	msleep(100);
	kill(c, SIGCONT);
	waitpid(c, &st, 0);
	printf("sleeper: %s\n", what(st));
}

static volatile int tstp_ran;
static void on_tstp(int sig)
{
	(void)sig;
	tstp_ran = 1;
}

static void caught_tstp(void)
{
	pid_t c = fork();
	if (c == 0) {
		signal(SIGTSTP, on_tstp);
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGTSTP);
		sigprocmask(SIG_BLOCK, &s, NULL);
		printf("tstp child: ready\n");
		fflush(stdout);
		int got = 0;
		sigwait(&s, &got);      /* SIGTSTP taken: the child does not stop */
		raise(SIGTSTP);         /* now the handler */
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		_exit(tstp_ran ? 3 : 4);
	}
	msleep(100);
	kill(c, SIGTSTP);
	int st = 0;
	waitpid(c, &st, WUNTRACED);
	printf("caught SIGTSTP: %s\n", what(st));
}

static void raise_stop(void)
{
	catch_chld(SA_NOCLDSTOP);
	/* The child waits on a pipe after it goes on, so that it has not yet
	 * exited when the parent asks for WCONTINUED: an exit first would
	 * replace the continued state (Linux then answers -1). */
	int go[2];
	if (pipe(go) != 0) {
		printf("raise: pipe %s\n", en(errno));
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(go[1]);
		raise(SIGSTOP);
		_exit(read(go[0], &b, 1) == 1 ? 7 : 8);
	}
	close(go[0]);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r = waitid(P_PID, c, &si, WSTOPPED);
	printf("raise: waitid %d code %s status %d\n", r,
	       si.si_code == CLD_STOPPED ? "CLD_STOPPED" : "?", si.si_status);
	kill(c, SIGCONT);
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, c, &si, WCONTINUED);
	printf("raise: waitid %d code %s\n", r, si.si_code == CLD_CONTINUED ? "CLD_CONTINUED" : "?");
	if (write(go[1], "g", 1) != 1)
		printf("raise: write %s\n", en(errno));
	close(go[1]);
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, c, &si, WEXITED);
	printf("raise: waitid %d code %s status %d; SIGCHLD (SA_NOCLDSTOP) codes", r,
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status);
	for (int i = 0; i < chld_n; i++)
		printf(" %d", chld_codes[i]);
	printf("\n");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED) {
		printf("mmap: %s\n", en(errno));
		return 1;
	}
	stop_a_counter(0);
	stop_a_counter(1);
	stop_a_sleeper();
	caught_tstp();
	raise_stop();
	return 0;
}
