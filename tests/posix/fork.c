/*
 * Processes (docs/posix.md "Processes"): fork copies memory, wait4 gives
 * each child's status, a crash is a signal, kill ends a child, process
 * groups and sessions, and an orphan is adopted. Plain C: built for Linux
 * with musl-gcc it prints the same lines (but the timing figure).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN        4
#define TIMED_FORKS     20

static int data_var = 100;
static int failures;

/* Each line goes out before a fork, so no child prints it again. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("fork: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static void fail(const char *what, long got)
{
	say("FAIL %s got=%ld errno=%d", what, got, errno);
	failures++;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Children change their copies; each exits with 10 + i if it saw its own. */
static void copies(pid_t me)
{
	int *heap = malloc(sizeof(*heap));
	volatile int stack_var = 10;
	pid_t kids[CHILDREN];
	int st;

	*heap = 1000;
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			*heap += i + 1;
			stack_var += i + 1;
			data_var += i + 1;
			int ok = *heap == 1001 + i && stack_var == 11 + i && data_var == 101 + i &&
				 getppid() == me && getpid() != me;
			_exit(ok ? 10 + i : 1);
		}
		if (pid < 0)
			fail("fork", pid);
		kids[i] = pid;
	}
	for (int i = CHILDREN - 1; i >= 0; i--) {
		pid_t r = waitpid(kids[i], &st, 0);
		if (r != kids[i] || !WIFEXITED(st))
			fail("waitpid", r);
	}
	say("children %d exited", CHILDREN);
	say("parent copy heap=%d stack=%d data=%d", *heap, stack_var, data_var);
	free(heap);
}

static void statuses(void)
{
	int st[CHILDREN];
	pid_t kids[CHILDREN];

	for (int i = 0; i < CHILDREN; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(20 + i * 7);
	}
	for (int i = 0; i < CHILDREN; i++)
		if (waitpid(kids[i], &st[i], 0) != kids[i] || !WIFEXITED(st[i]))
			fail("waitpid statuses", i);
	say("statuses %d %d %d %d", WEXITSTATUS(st[0]), WEXITSTATUS(st[1]),
	    WEXITSTATUS(st[2]), WEXITSTATUS(st[3]));
}

static void signals(void)
{
	int st = 0;
	pid_t pid = fork();
	if (pid == 0) {
		volatile int *p = NULL;
		*p = 1;
		_exit(99);
	}
	waitpid(pid, &st, 0);
	say("null child signaled=%d signal=%d", WIFSIGNALED(st), WTERMSIG(st));

	/* raise and abort: the signal's default action, on the process. */
	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(95);
	}
	waitpid(pid, &st, 0);
	int raised = WIFSIGNALED(st) ? WTERMSIG(st) : -1;
	pid = fork();
	if (pid == 0)
		abort();
	waitpid(pid, &st, 0);
	say("raise signal=%d abort signal=%d", raised, WIFSIGNALED(st) ? WTERMSIG(st) : -1);

	pid = fork();
	if (pid == 0) {
		sleep_ms(30000);
		_exit(98);
	}
	sleep_ms(50);
	long r = kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	say("sleeping child kill=%ld signaled=%d signal=%d", r, WIFSIGNALED(st), WTERMSIG(st));

	/* A group: the child leads its own, the parent signals the group. */
	pid = fork();
	if (pid == 0) {
		sleep_ms(30000);
		_exit(97);
	}
	if (setpgid(pid, pid))
		fail("setpgid", errno);
	long g = getpgid(pid);
	r = kill(-pid, SIGTERM);
	waitpid(pid, &st, 0);
	say("group leader=%d kill=%ld signal=%d", g == pid, r, WTERMSIG(st));
}

static void waiting(pid_t me)
{
	int st = 0;
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(200);
		_exit(3);
	}
	long first = waitpid(pid, &st, WNOHANG);
	long second = waitpid(pid, &st, 0);
	say("wnohang=%ld then same pid=%d status=%d", first, second == pid, WEXITSTATUS(st));

	pid = fork();
	if (pid == 0) {
		/* Not our child (the parent): ESRCH. A new session: ours. */
		int e1 = setpgid(getppid(), 0) == -1 ? errno : 0;
		long sid = setsid();
		int ok = e1 == ESRCH && sid == getpid() && getsid(0) == getpid() &&
			 getpgid(0) == getpid() && getsid(me) != getpid();
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	say("child session ok=%d", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	long r = waitpid(-1, &st, 0);
	say("no children r=%ld echild=%d", r, errno == ECHILD);
}

/* waitid: a peek (WNOWAIT) leaves the zombie; the caller's group by 0. */
static void waitids(void)
{
	siginfo_t si;
	pid_t pid = fork();
	if (pid == 0)
		_exit(42);
	memset(&si, 0, sizeof(si));
	int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	int peek = r == 0 && si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 42;
	memset(&si, 0, sizeof(si));
	r = waitid(P_ALL, 0, &si, WEXITED);
	int took = r == 0 && si.si_pid == pid && si.si_signo == SIGCHLD;
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	int echild = r == -1 && errno == ECHILD;
	pid = fork();
	if (pid == 0) {
		sleep_ms(30000);
		_exit(96);
	}
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	r = waitid(P_PGID, 0, &si, WEXITED);
	say("waitid peek=%d took=%d echild=%d killed=%d signal=%d", peek, took, echild,
	    r == 0 && si.si_pid == pid && si.si_code == CLD_KILLED, si.si_status);
}

/* A child whose child outlives it: the grandchild is adopted. */
static void orphan(void)
{
	int st = 0;
	pid_t pid = fork();
	if (pid == 0) {
		pid_t parent = getpid();
		pid_t g = fork();
		if (g == 0) {
			for (int i = 0; i < 300 && getppid() == parent; i++)
				sleep_ms(10);
			say("orphan adopted=%d", getppid() != parent);
			_exit(7);
		}
		_exit(g > 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	say("orphan's parent exited=%d status=%d", WIFEXITED(st), WEXITSTATUS(st));
}

static void timing(void)
{
	double t0 = now_ms();
	int st;
	for (int i = 0; i < TIMED_FORKS; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, &st, 0);
	}
	say("timing fork+wait %.2f ms each", (now_ms() - t0) / TIMED_FORKS);
}

int main(void)
{
	pid_t me = getpid();
	say("pid positive=%d parent positive=%d", me > 0, getppid() > 0);
	copies(me);
	statuses();
	signals();
	waiting(me);
	waitids();
	orphan();
	timing();
	say("done failures=%d", failures);
	return failures ? 1 : 0;
}
