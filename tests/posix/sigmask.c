/*
 * posix-diff (sigmask): one process's signals, run under procd: masks and
 * pending signals, the order of delivery on unblock, a handler's sa_mask
 * and its own signal blocked while it runs, SA_RESETHAND, SA_SIGINFO's
 * fields, sigsuspend, SIG_IGN, kill's errors, and what a forked child
 * inherits (the mask, not the pending set).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile sig_atomic_t seen[8], nseen;
static volatile sig_atomic_t own_blocked, info_signo, info_code, info_pid_ok;

static void note(int sig)
{
	if (nseen < 8)
		seen[nseen++] = sig;
}

static void on_sig(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	own_blocked = sigismember(&cur, sig);
	note(sig);
}

/* Raises SIGUSR2, which its sa_mask holds back until it returns. */
static void on_usr1_raise(int sig)
{
	note(sig);
	raise(SIGUSR2);
	note(100);                      /* still inside: SIGUSR2 not yet run */
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	info_signo = si->si_signo;
	info_code = si->si_code;
	info_pid_ok = si->si_pid == getpid();
	note(sig);
}

static void show(const char *what)
{
	printf("%s:", what);
	for (int i = 0; i < nseen; i++)
		printf(" %d", seen[i]);
	printf("\n");
	nseen = 0;
}

static void handle(int sig, void (*fn)(int), int flags, int masked)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	sigaction(sig, &sa, NULL);
}

int main(void)
{
	sigset_t set, old, pend;
	setvbuf(stdout, NULL, _IOLBF, 0);

	handle(SIGUSR1, on_sig, 0, 0);
	handle(SIGUSR2, on_sig, 0, 0);
	raise(SIGUSR1);
	show("raise(SIGUSR1) ran the handler");
	printf("its own signal blocked inside the handler: %s\n", own_blocked ? "yes" : "no");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	printf("SIGUSR1 blocked before: %s\n", sigismember(&old, SIGUSR1) ? "yes" : "no");
	kill(getpid(), SIGUSR2);
	raise(SIGUSR1);
	raise(SIGUSR1);                 /* a second one merges with the first */
	show("while blocked, handlers run");
	sigpending(&pend);
	printf("pending: SIGUSR1 %d SIGUSR2 %d SIGINT %d\n", sigismember(&pend, SIGUSR1),
	       sigismember(&pend, SIGUSR2), sigismember(&pend, SIGINT));
	sigprocmask(SIG_SETMASK, &old, NULL);
	show("unblocked, delivered in order");
	sigpending(&pend);
	printf("pending after: SIGUSR1 %d SIGUSR2 %d\n", sigismember(&pend, SIGUSR1),
	       sigismember(&pend, SIGUSR2));

	handle(SIGUSR1, on_usr1_raise, 0, SIGUSR2);
	raise(SIGUSR1);
	show("sa_mask holds SIGUSR2 until the handler returns");

	handle(SIGUSR1, on_sig, SA_RESETHAND, 0);
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	show("SA_RESETHAND's one run");
	printf("then the action is SIG_DFL: %s\n", now.sa_handler == SIG_DFL ? "yes" : "no");

	struct sigaction si = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
	sigemptyset(&si.sa_mask);
	sigaction(SIGUSR2, &si, NULL);
	kill(getpid(), SIGUSR2);
	show("SA_SIGINFO");
	printf("si_signo %d, si_code is SI_USER: %s, si_pid is mine: %s\n", info_signo,
	       info_code == SI_USER ? "yes" : "no", info_pid_ok ? "yes" : "no");

	handle(SIGUSR1, on_sig, 0, 0);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	errno = 0;
	int r = sigsuspend(&none);
	printf("sigsuspend: %d %s\n", r, en(errno));
	show("it ran the pending handler");
	sigprocmask(SIG_BLOCK, NULL, &old);
	printf("the mask is back after sigsuspend: %s\n", sigismember(&old, SIGUSR1) ? "yes" : "no");

	/* A forked child inherits the mask, not what is pending. */
	raise(SIGUSR2);
	pid_t p = fork();
	if (p == 0) {
		sigset_t m, pd;
		sigprocmask(SIG_BLOCK, NULL, &m);
		sigpending(&pd);
		_exit(sigismember(&m, SIGUSR1) * 10 + sigismember(&pd, SIGUSR2));
	}
	int st;
	waitpid(p, &st, 0);
	printf("child: mask inherited %d, pending inherited %d\n", WEXITSTATUS(st) / 10,
	       WEXITSTATUS(st) % 10);
	sigprocmask(SIG_SETMASK, &none, NULL);
	show("parent's pending SIGUSR2 then");

	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	show("SIG_IGN");

	printf("kill(self, 0): %d\n", kill(getpid(), 0));
	printf("kill(self, 999): %s\n", fails(kill(getpid(), 999)));
	printf("kill(reaped child, 0): %s\n", fails(kill(p, 0)));
	printf("sigaction(SIGKILL): %s\n", fails(sigaction(SIGKILL, &si, NULL)));
	printf("signal(SIGSTOP): %s\n", signal(SIGSTOP, on_sig) == SIG_ERR ? en(errno) : "none");
	return 0;
}
