/*
 * Signals (docs/posix.md "Signals"): handlers run by raise before it
 * returns, a masked signal stays pending until unmasked, sigsuspend,
 * kill from a child, SIGCHLD, nanosleep and wait4 cut short (EINTR, the
 * time left) or not (SA_RESTART), SA_RESETHAND, SIG_IGN, siginfo's
 * signo, code and pid, a computation in registers and SSE interrupted
 * many times and still right, a masked default-terminating signal held
 * until unmasked. Plain C: on Linux with musl-gcc it prints the same.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sigblock.h"

static volatile sig_atomic_t usr1, usr2, chld;
static volatile int last_signo, last_code, last_pid, last_status;
static volatile double handler_fp;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("signals: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
	/* SSE work of its own: the interrupted code's registers must survive. */
	double x = handler_fp;
	for (int i = 0; i < 8; i++)
		x = x * 1.5 + 0.25;
	handler_fp = x;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGCHLD)
		chld++;
	else
		usr1++;
	last_signo = si->si_signo;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_status = si->si_status;
}

static void catch(int sig, void (*h)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void catch_info(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A child that waits ms, sends sig to its parent n times, exits code. */
static pid_t sender(long ms, int sig, int n, long gap_ms, int code)
{
	pid_t pid = fork();
	if (pid == 0) {
		nap_ms(ms);
		for (int i = 0; i < n; i++) {
			kill(getppid(), sig);
			if (gap_ms)
				nap_ms(gap_ms);
		}
		_exit(code);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void raise_and_mask(void)
{
	catch(SIGUSR1, on_usr1, 0);
	usr1 = 0;
	raise(SIGUSR1);
	say("raise handled=%d", usr1);

	catch(SIGUSR2, on_usr2, 0);
	usr2 = 0;
	block(SIGUSR2, SIG_BLOCK);
	raise(SIGUSR2);
	sigset_t p;
	sigpending(&p);
	int ran = usr2, pend = sigismember(&p, SIGUSR2);
	block(SIGUSR2, SIG_UNBLOCK);
	sigpending(&p);
	say("masked ran=%d pending=%d unmasked ran=%d pending=%d", ran, pend, usr2,
	    sigismember(&p, SIGUSR2));
}

static void info_and_kill(void)
{
	catch_info(SIGUSR1, 0);
	raise(SIGUSR1);
	say("raise siginfo signo=%d code_tkill=%d pid_self=%d", last_signo,
	    last_code == SI_TKILL, last_pid == getpid());
	last_signo = 0;
	int r = kill(getpid(), SIGUSR1);
	say("kill self r=%d signo=%d code_user=%d pid_self=%d", r, last_signo,
	    last_code == SI_USER, last_pid == getpid());
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr2;
	errno = 0;
	r = sigaction(SIGKILL, &sa, NULL);
	say("sigkill catch r=%d einval=%d", r, errno == EINVAL);
}

static void suspend_and_child(void)
{
	catch_info(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	usr1 = 0;
	pid_t child = sender(30, SIGUSR1, 1, 0, 0);
	sigset_t none;
	sigemptyset(&none);
	errno = 0;
	int r = sigsuspend(&none);
	int e = errno;
	say("sigsuspend r=%d eintr=%d handled=%d from_child=%d", r, e == EINTR, usr1,
	    last_pid == child);
	block(SIGUSR1, SIG_UNBLOCK);
	reap(child);

	chld = 0;
	catch_info(SIGCHLD, 0);
	child = fork();
	if (child == 0)
		_exit(3);
	int st = reap(child);
	for (int i = 0; i < 100 && !chld; i++)
		nap_ms(1);
	say("sigchld handled=%d pid_child=%d code_exited=%d status=%d exit=%d", chld,
	    last_pid == child, last_code == CLD_EXITED, last_status, WEXITSTATUS(st));
	signal(SIGCHLD, SIG_DFL);
}

static void interrupted_calls(void)
{
	catch(SIGUSR1, on_usr1, 0);
	usr1 = 0;
	pid_t child = sender(50, SIGUSR1, 1, 0, 0);
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	errno = 0;
	int r = nanosleep(&req, &rem);
	say("nanosleep r=%d eintr=%d handled=%d rem_ok=%d", r, errno == EINTR, usr1,
	    rem.tv_sec == 1 || (rem.tv_sec == 0 && rem.tv_nsec > 0));
	reap(child);

	/* Without SA_RESTART wait4 ends EINTR; with it, it waits on. The
	 * child lives on a while after its kill, so its end is not what
	 * ends the wait. */
	usr1 = 0;
	child = sender(30, SIGUSR1, 1, 100, 4);
	int st;
	errno = 0;
	pid_t w = waitpid(child, &st, 0);
	say("wait4 r=%d eintr=%d handled=%d", (int)w, errno == EINTR, usr1);
	reap(child);
	catch(SIGUSR1, on_usr1, SA_RESTART);
	usr1 = 0;
	child = sender(30, SIGUSR1, 1, 20, 5);
	w = waitpid(child, &st, 0);
	say("wait4 restart child=%d handled=%d exit=%d", w == child, usr1, WEXITSTATUS(st));
}

static void resethand_and_ignore(void)
{
	catch(SIGUSR2, on_usr2, SA_RESETHAND);
	usr2 = 0;
	raise(SIGUSR2);
	struct sigaction now;
	sigaction(SIGUSR2, NULL, &now);
	say("resethand handled=%d now_default=%d", usr2, now.sa_handler == SIG_DFL);

	signal(SIGUSR2, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	raise(SIGUSR2);
	int r = kill(getpid(), SIGTERM);
	say("ignored alive=1 kill=%d", r);
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/* A computation in registers and SSE while a child interrupts it. */
static void computation(void)
{
	catch(SIGUSR1, on_usr1, SA_RESTART);
	usr1 = 0;
	handler_fp = 1.0;
	pid_t child = sender(10, SIGUSR1, 20, 5, 0);
	double acc = 0;
	unsigned long n = 0, h = 0;
	int st = 0;
	/* Until the child is done: a look every 2^16 rounds, so the loop
	 * runs in registers between them. */
	for (;;) {
		acc += sqrt((double)n) * 0.5 + (double)(n & 7);
		h = h * 31 + n;
		n++;
		if (!(n & 0xffff) && waitpid(child, &st, WNOHANG) == child)
			break;
	}
	double acc2 = 0;
	unsigned long h2 = 0;
	for (unsigned long i = 0; i < n; i++) {
		acc2 += sqrt((double)i) * 0.5 + (double)(i & 7);
		h2 = h2 * 31 + i;
	}
	/* Linux merges a signal sent while one is pending: at least some. */
	say("computation interrupted=%d same=%d exit=%d", usr1 >= 5, acc == acc2 && h == h2,
	    WEXITSTATUS(st));
}

static volatile sig_atomic_t alrm;

static void on_alrm(int sig)
{
	(void)sig;
	alrm++;
}

static void on_alrm_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	alrm++;
	last_code = si->si_code;
}

/* setitimer(ITIMER_REAL): once, then every 20 ms; alarm's seconds left. */
static void timers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alrm_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval once = { { 0, 0 }, { 0, 50000 } }, every = { { 0, 20000 }, { 0, 20000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } }, cur;
	alrm = 0;
	setitimer(ITIMER_REAL, &once, NULL);
	errno = 0;
	int r = pause();
	say("setitimer pause r=%d eintr=%d handled=%d code_kernel=%d", r, errno == EINTR, alrm,
	    last_code == SI_KERNEL);
	catch(SIGALRM, on_alrm, 0);
	alrm = 0;
	setitimer(ITIMER_REAL, &every, NULL);
	while (alrm < 3)
		pause();
	getitimer(ITIMER_REAL, &cur);
	setitimer(ITIMER_REAL, &off, NULL);
	say("setitimer interval ticks=%d armed=%d every_us=%ld", alrm,
	    cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0, (long)cur.it_interval.tv_usec);
	alarm(5);
	unsigned left = alarm(0);
	say("alarm left=%u", left);
	signal(SIGALRM, SIG_DFL);
}

/* SIGTERM masked in a child stays pending; unmasked, it ends the child. */
static void held_default(void)
{
	pid_t child = fork();
	if (child == 0) {
		block(SIGTERM, SIG_BLOCK);
		raise(SIGTERM);
		nap_ms(10);
		sigset_t p;
		sigpending(&p);
		if (!sigismember(&p, SIGTERM))
			_exit(9);
		block(SIGTERM, SIG_UNBLOCK);
		_exit(8);                       /* not reached */
	}
	int st = reap(child);
	say("held default signaled=%d signal=%d", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int main(void)
{
	raise_and_mask();
	info_and_kill();
	suspend_and_child();
	interrupted_calls();
	resethand_and_ignore();
	computation();
	held_default();
	timers();
	say("done");
	return 0;
}
