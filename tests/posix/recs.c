/*
 * Records of ended processes (docs/fs.md "Records of ended processes"):
 * a process that ends without closing its files (a fault, SIGKILL)
 * releases what it held in vfsd, and only that. Aion-only (it asks vfsd
 * for its count of open records, and tries VFS_REAP itself):
 *  - a child that faults holding a pipe's write end: the reader sees end
 *    of file; the same when the writer is SIGKILLed by its parent;
 *  - a forked child sharing the write end is SIGKILLed while the parent
 *    still holds it: no end of file, the pipe still carries bytes; the
 *    parent's close ends it;
 *  - LOOPS children that each open a file and a pipe and fault, while
 *    they share a file the parent opened: vfsd's count of open records
 *    is where it was, the parent's file still reads; once the parent
 *    closes it (its record had LOOPS holders more, which ended without
 *    closing) the count is one less;
 *  - VFS_REAP on a record's capability is refused (AION_EPERM), and the
 *    record stays open.
 * Each wait for an end of file has LIMIT_MS (generous: it takes
 * milliseconds); a poll that times out says eof=0 instead of hanging.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "aion/error.h"
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "posix.h"          /* space/posix: the layer's fd table */

#define LIMIT_MS        5000
#define QUIET_MS        300             /* no end of file: nothing within this */
#define LOOPS           300

static int failures;

static void say(const char *fmt, long a, long b, long c, long d)
{
	printf("recs: ");
	printf(fmt, a, b, c, d);
	printf("\n");
	fflush(stdout);
}

static void crash(void)
{
	volatile int *p = NULL;
	*p = 1;
}

/* A raw call on the root: w0 (a count or -AION_E...). */
static long vfs_label(aion_handle_t cap, unsigned label)
{
	struct aion_msg m = { .tag = AION_TAG(label, 0, 0) };
	int64_t err = aion_call(cap, &m, AION_FOREVER);
	return err ? (long)err : (long)m.w[0];
}

/* 1: end of file within LIMIT_MS (poll says HUP, read says 0). */
static int sees_eof(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1)
		return 0;
	char c;
	return read(fd, &c, 1) == 0;
}

/*
 * A new pipe (fds) and a child that writes `c` into its write end and
 * then faults (how 1) or sleeps; -1 when either fails.
 * It faults QUIET_MS later: vfsd's second looks after the parent's close
 * (64 ms at most, docs/fs.md) are over by then, so only the end's report
 * can release the write end.
 */
static pid_t writer(int fds[2], char c, int how)
{
	pid_t child = pipe(fds) ? -1 : fork();
	if (child < 0)
		failures++;
	if (child)
		return child;
	close(fds[0]);
	if (write(fds[1], &c, 1) != 1)
		_exit(5);
	if (how == 1) {
		usleep(QUIET_MS * 1000);
		crash();
	}
	for (;;)
		pause();
}

static int first_byte(int fd, char want)
{
	char c = 0;
	return read(fd, &c, 1) == 1 && c == want;
}

static void ended_by(pid_t child, int sig, int *signaled, int *signal)
{
	int st = 0;
	*signaled = waitpid(child, &st, 0) == child && WIFSIGNALED(st);
	*signal = *signaled ? WTERMSIG(st) : 0;
	failures += !*signaled || *signal != sig;
}

/* The child holds the write end alone; it faults (how 1) or the parent
 * SIGKILLs it (QUIET_MS after its byte, as writer's fault). */
static void lone_writer(const char *what, char c, int how)
{
	int fds[2], signaled, sig;
	pid_t child = writer(fds, c, how);
	if (child < 0)
		return;
	close(fds[1]);
	int data = first_byte(fds[0], c);
	if (how == 0) {
		usleep(QUIET_MS * 1000);
		kill(child, SIGKILL);
	}
	int eof = sees_eof(fds[0], LIMIT_MS);
	ended_by(child, how == 1 ? SIGSEGV : SIGKILL, &signaled, &sig);
	failures += !data || !eof;
	printf("recs: %s writer data=%d eof=%d signaled=%d signal=%d\n", what, data, eof,
	       signaled, sig);
	fflush(stdout);
	close(fds[0]);
}

/* The parent holds the write end too: the child's end takes nothing away. */
static void shared_writer(void)
{
	int fds[2], signaled, sig;
	pid_t child = writer(fds, 'c', 0);
	if (child < 0)
		return;
	int data = first_byte(fds[0], 'c');
	kill(child, SIGKILL);
	ended_by(child, SIGKILL, &signaled, &sig);
	int early = sees_eof(fds[0], QUIET_MS);
	int still = write(fds[1], "d", 1) == 1 && first_byte(fds[0], 'd');
	close(fds[1]);
	int eof = sees_eof(fds[0], LIMIT_MS);
	failures += !data || early || !still || !eof;
	say("shared writer killed=%ld eof_while_held=%ld still_carries=%ld eof_after_close=%ld",
	    signaled && sig == SIGKILL, early, still, eof);
	close(fds[0]);
}

/* vfsd's open records once they are fewer than `than` (LIMIT_MS at most). */
static long opens_below(long than)
{
	long n = vfs_label(__aion_posix_fs, VFS_OPENS);
	for (int ms = 0; n >= than && ms < LIMIT_MS; ms++) {
		usleep(1000);
		n = vfs_label(__aion_posix_fs, VFS_OPENS);
	}
	return n;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void faulting_openers(void)
{
	struct timespec t0;
	char c;
	int shared = open("/etc/aion-release", O_RDONLY);
	long before = vfs_label(__aion_posix_fs, VFS_OPENS);
	int faulted = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < LOOPS; i++) {
		pid_t child = fork();
		if (child == 0) {
			int fds[2];
			if (open("/etc/aion-release", O_RDONLY) < 0 || pipe(fds))
				_exit(7);
			crash();
		}
		int st = 0;
		faulted += child > 0 && waitpid(child, &st, 0) == child && WIFSIGNALED(st) &&
			   WTERMSIG(st) == SIGSEGV;
	}
	long ms = ms_since(&t0);
	long after = vfs_label(__aion_posix_fs, VFS_OPENS);
	int reads = read(shared, &c, 1) == 1;
	close(shared);
	long closed = opens_below(after);
	failures += shared < 0 || faulted != LOOPS || before <= 1 || after != before || !reads ||
		    closed != before - 1;
	printf("recs: faulting openers=%d faulted=%d opens before=%ld after=%ld shared reads=%d "
	       "after its close=%ld ms=%ld\n", LOOPS, faulted, before, after, reads, closed, ms);
	fflush(stdout);
}

/* A plain process may not reap: on the root's or a pipe's record. */
static void reap_refused(void)
{
	int fds[2];
	if (pipe(fds)) {
		failures++;
		return;
	}
	long root = vfs_label(__aion_posix_fs, VFS_REAP);
	long end = vfs_label(__aion_fd_get(fds[1])->cap, VFS_REAP);
	int still = write(fds[1], "e", 1) == 1 && first_byte(fds[0], 'e');
	failures += root != -AION_EPERM || end != -AION_EPERM || !still;
	printf("recs: reap by a process root=%s pipe=%s pipe still open=%d\n",
	       aion_error_name(root), aion_error_name(end), still);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	lone_writer("fault", 'a', 1);
	lone_writer("killed", 'b', 0);
	shared_writer();
	faulting_openers();
	reap_refused();
	printf("recs: done failures=%d\n", failures);
	return failures != 0;
}
