/*
 * Signals and a read blocked on an empty pipe (docs/posix.md "Signals"):
 * a child blocked in read() while its parent holds the write end open
 * gets SIGTERM and ends killed by it (the default action); with a SIGTERM
 * handler without SA_RESTART the read returns -1 EINTR after the handler;
 * with SA_RESTART it goes on and returns the byte written later. Each
 * child has 3 s (generous: the signal takes milliseconds) before
 * the parent gives up, kills it and says so. Plain C: on Linux with
 * musl-gcc it prints the same.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_MS        3000

static volatile sig_atomic_t handled;

static void on_term(int sig)
{
	(void)sig;
	handled++;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The child's status within LIMIT_MS, or -1 (then it is SIGKILLed). */
static int wait_limited(pid_t child)
{
	int st;
	for (long waited = 0; waited < LIMIT_MS; waited += 10) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child)
			return st;
		if (r < 0)
			return -1;
		nap_ms(10);
	}
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return -1;
}

/*
 * A child that blocks in read on fds[0] (flags: 0 default action, else
 * a handler with those sa_flags) and exits with what the read said:
 * 3 for -1 EINTR after the handler, 4 for the byte 'x' after it, 5
 * otherwise.
 */
static pid_t blocked_reader(int fds[2], int with_handler, int sa_flags)
{
	pid_t child = fork();
	if (child)
		return child;
	if (with_handler) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sa.sa_flags = sa_flags;
		sigaction(SIGTERM, &sa, NULL);
	}
	close(fds[1]);
	char c = 0;
	ssize_t n = read(fds[0], &c, 1);
	if (n < 0 && errno == EINTR && handled == 1)
		_exit(3);
	if (n == 1 && c == 'x' && handled == 1)
		_exit(4);
	_exit(5);
}

/* A fresh pipe, a child blocked in its read, SIGTERM after 200 ms. */
static int run(int with_handler, int sa_flags, int write_after)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t child = blocked_reader(fds, with_handler, sa_flags);
	nap_ms(200);
	kill(child, SIGTERM);
	if (write_after) {
		nap_ms(200);
		if (write(fds[1], "x", 1) != 1)
			printf("pipesig: write failed errno=%d\n", errno);
	}
	int st = wait_limited(child);
	close(fds[0]);
	close(fds[1]);
	return st;
}

int main(void)
{
	int st = run(0, 0, 0);
	printf("pipesig: default ended=%d signaled=%d signal=%d\n", st != -1,
	       st != -1 && WIFSIGNALED(st), st != -1 && WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	st = run(1, 0, 0);
	printf("pipesig: handler ended=%d exit=%d\n", st != -1,
	       st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	st = run(1, SA_RESTART, 1);
	printf("pipesig: restart ended=%d exit=%d\n", st != -1,
	       st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("pipesig: done\n");
	return 0;
}
