/*
 * Queued signals, the alternate stack and waits for a signal (posix-diff:
 * the same lines on Linux and Aion): sigqueue delivers each real-time
 * signal as many times as sent, lowest number first, with its value and
 * SI_QUEUE; a raise of a blocked real-time signal is pending twice after
 * two; SIGRTMAX (signal 64) arrives; a handler of SA_ONSTACK runs on the
 * sigaltstack; sigwaitinfo takes a signal it waits for even when it is
 * not blocked, and its handler does not run; SA_NOCLDWAIT leaves no
 * zombie to wait for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "sigblock.h"

#define SEEN_MAX 16

static volatile int seen_sig[SEEN_MAX], seen_val[SEEN_MAX], seen_code[SEEN_MAX], seen;
static volatile int on_alt, plain_runs;
static char *alt;

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (seen < SEEN_MAX) {
		seen_sig[seen] = sig;
		seen_val[seen] = si->si_value.sival_int;
		seen_code[seen] = si->si_code;
		seen++;
	}
}

static void plain(int sig)
{
	(void)sig;
	plain_runs++;
}

static void where(int sig)
{
	(void)sig;
	stack_t now;
	char here;
	sigaltstack(NULL, &now);
	on_alt = (now.ss_flags & SS_ONSTACK) && &here >= alt && &here < alt + SIGSTKSZ;
}

static void catch(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static void queue_order(void)
{
	int lo = SIGRTMIN, hi = SIGRTMIN + 1;
	catch(lo, record);
	catch(hi, record);
	block(lo, SIG_BLOCK);
	block(hi, SIG_BLOCK);
	seen = 0;
	union sigval v;
	int r = 0;
	for (int i = 0; i < 3; i++) {
		v.sival_int = 10 + i;
		r |= sigqueue(getpid(), hi, v);
		v.sival_int = 20 + i;
		r |= sigqueue(getpid(), lo, v);
	}
	printf("queued r=%d seen before unblock=%d\n", r, seen);
	block(lo, SIG_UNBLOCK);
	block(hi, SIG_UNBLOCK);
	printf("delivered %d:", seen);
	for (int i = 0; i < seen; i++)
		printf(" %s%d=%d%s", seen_sig[i] == lo ? "lo" : "hi", i, seen_val[i],
		       seen_code[i] == SI_QUEUE ? "" : "(not SI_QUEUE)");
	printf("\n");
	v.sival_int = 1;
	printf("sigqueue bad signal: %s, no process: %s\n",
	       sigqueue(getpid(), 65, v) ? en(errno) : "0",
	       sigqueue(999999, lo, v) ? en(errno) : "0");
}

static void raised_twice(void)
{
	int sig = SIGRTMIN + 2;
	signal(sig, plain);
	block(sig, SIG_BLOCK);
	plain_runs = 0;
	raise(sig);
	raise(sig);
	sigset_t w, p;
	sigemptyset(&w);
	sigaddset(&w, sig);
	int n = 0;
	for (;;) {
		sigpending(&p);
		if (!sigismember(&p, sig))
			break;
		siginfo_t si;
		struct timespec zero = { 0, 0 };
		if (sigtimedwait(&w, &si, &zero) != sig)
			break;
		n++;
	}
	block(sig, SIG_UNBLOCK);
	printf("raised twice: taken %d, handler ran %d\n", n, plain_runs);
	catch(SIGRTMAX, record);
	seen = 0;
	union sigval v = { .sival_int = 64 };
	sigqueue(getpid(), SIGRTMAX, v);
	printf("SIGRTMAX: seen %d value %d\n", seen, seen ? seen_val[0] : -1);
}

static void alternate_stack(void)
{
	alt = malloc(SIGSTKSZ);
	stack_t ss = { .ss_sp = alt, .ss_size = SIGSTKSZ, .ss_flags = 0 }, old;
	int r = sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = where;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	int first = on_alt;
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	stack_t small = { .ss_sp = alt, .ss_size = 16, .ss_flags = 0 };
	int too_small = sigaltstack(&small, NULL) ? errno : 0;
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &old);
	printf("altstack r=%d SA_ONSTACK on it=%d without=%d small=%s disabled=%d\n", r, first,
	       on_alt, en(too_small), !!(old.ss_flags & SS_DISABLE));
}

static void wait_unblocked(void)
{
	signal(SIGUSR2, plain);
	plain_runs = 0;
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		usleep(100000);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGUSR2);
	siginfo_t si;
	int got = sigwaitinfo(&w, &si);
	waitpid(child, NULL, 0);
	printf("sigwaitinfo unblocked: got %s from child %d, handler ran %d\n",
	       got == SIGUSR2 ? "SIGUSR2" : "other", si.si_pid == child, plain_runs);
}

static void no_zombies(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	pid_t c = fork();
	if (c == 0)
		_exit(5);
	int st;
	pid_t r = wait(&st);
	printf("SA_NOCLDWAIT: wait %s\n", r < 0 ? en(errno) : "a zombie");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	queue_order();
	raised_twice();
	alternate_stack();
	wait_unblocked();
	no_zombies();
	return 0;
}
