/*
 * posix-diff (forkthreads): threads and fork together, run under procd.
 * A process runs threads, joins them, then forks (fork is for a process
 * with one thread: docs/posix.md); the child starts threads of its own,
 * which see the child's copy of memory and thread-local storage, and sends
 * its result up a pipe; the parent's memory is untouched by the child's
 * writes. Then two children at once each run threads. Last a thread
 * other than the first forks while the first waits for it: the child
 * resumes on its copy of that thread's stack (PTS pthread_atfork).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 3
#define N       10000

static long shared_total;
static __thread long mine = 5;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *add(void *arg)
{
	long from = (long)(intptr_t)arg, sum = 0;
	for (long i = from; i < from + N; i++)
		sum += i;
	mine += sum;                    /* this thread's copy only */
	pthread_mutex_lock(&mu);
	shared_total += sum;
	pthread_mutex_unlock(&mu);
	return (void *)(intptr_t)(mine == sum + 5);
}

static long run_threads(long base)
{
	pthread_t t[THREADS];
	int ok = 1;
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, add, (void *)(intptr_t)(base + i * N));
	for (int i = 0; i < THREADS; i++) {
		void *v;
		pthread_join(t[i], &v);
		ok &= (int)(intptr_t)v;
	}
	return ok ? shared_total : -1;
}

static void report(const char *who, int fd)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "%s: total %ld, main's tls %ld\n", who,
			 shared_total, mine);
	write(fd, line, (size_t)n);
}

/* fork from a thread of our own: the child's only thread is this one. */
static void *fork_here(void *arg)
{
	(void)arg;
	char local[64];
	snprintf(local, sizeof(local), "on the thread's stack");
	pid_t c = fork();
	if (c == 0)
		_exit(strcmp(local, "on the thread's stack") == 0 ? 42 : 1);
	if (c < 0)
		return "fork failed";
	int st;
	waitpid(c, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 42 ? "child exited 42" : "child went wrong";
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("parent threads: %ld\n", run_threads(0));

	int up[2];
	pipe(up);
	pid_t p = fork();
	if (p == 0) {
		close(up[0]);
		mine = 7;
		shared_total = 0;
		run_threads(1000000);
		report("child", up[1]);
		_exit(0);
	}
	close(up[1]);
	char buf[128] = { 0 };
	size_t n = 0;
	ssize_t r;
	while ((r = read(up[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(up[0]);
	int st;
	waitpid(p, &st, 0);
	printf("%s", buf);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("parent after: total %ld, main's tls %ld\n", shared_total, mine);

	/* Two children at once, each with threads; their totals come back
	 * as exit codes (mod 256 of a known sum). */
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			shared_total = 0;
			_exit((int)(run_threads(k * 7) % 251));
		}
	}
	for (int k = 0; k < 2; k++) {
		waitpid(kids[k], &st, 0);
		printf("child %d: total mod 251 = %d\n", k, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	printf("and again in the parent: %ld\n", (shared_total = 0, run_threads(3)));
	pthread_t t;
	pthread_create(&t, NULL, fork_here, NULL);
	void *res;
	pthread_join(t, &res);
	printf("a thread's fork: %s\n", (char *)res);
	return 0;
}
