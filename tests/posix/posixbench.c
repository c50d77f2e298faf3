/*
 * posixbench: the costs of a few POSIX calls, measured the way the Linux
 * peer's `peerbench posix` and `local_ipc` measure them
 * (../shared/linux-peer/peerbench.c), so bench/posix can put the two side
 * by side (docs/posix.md "Benchmark: bench/posix"). Each iteration is timed
 * alone between two CLOCK_MONOTONIC reads (each sample includes one read,
 * printed as clock_gettime_ns); median is the lower middle sample, p99 the
 * nearest-rank 99th percentile, as peerbench computes them.
 *
 *   posixbench [syscall_iters] [file_iters] [pipe_iters] [proc_iters]
 *   posixbench noop            exits 0 at once (what fork_exec_wait execs)
 *
 * Figures (one `posixbench: fig NAME ...` line each, then `posixbench:
 * done ...`; a failure prints `posixbench: FAIL ...` and exits 1):
 *   null_syscall      getppid(): on Aion an IPC to procd
 *   null_local        getpid(): answered in the POSIX layer (cached pid)
 *   open_read_close   open + read 4 KiB + close of a 4 KiB file in /tmp
 *   pipe              round trip of a 64-byte message between this process
 *                     and a forked child over two pipes (peerbench's
 *                     local_ipc message size); every byte is checked
 *   fork_exec_wait    fork, the child execs /bin/posixbench noop, waitpid
 *   fork_exec_wait_busybox_true  the same with /bin/busybox as `true`
 *   fork_wait         fork, the child _exits 0, waitpid
 *   spawn_wait        posix_spawn of /bin/posixbench noop, waitpid
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_SYSCALL  1000
#define WARMUP_FILE     1000
#define WARMUP_PIPE     1000
#define WARMUP_PROC     20
#define FILE_PATH       "/tmp/posixbench-4k"
#define FILE_BYTES      4096
#define MSG_BYTES       64
#include "benchutil.h"

#define SELF_PATH       "/bin/posixbench"
#define BUSYBOX_PATH    "/bin/busybox"

extern char **environ;

static void fail(const char *what)
{
	bench_fail("posixbench", what);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v; prints median (lower middle), p99 (element ceil(0.99 n) - 1),
 * min, max, mean in ns, peerbench's definitions. */
static void report(const char *name, uint64_t *v, uint64_t n)
{
	uint64_t sum = 0;

	if (!n) {
		printf("posixbench: fig %s iters=0\n", name);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		sum += v[i];
	printf("posixbench: fig %s iters=%llu median_ns=%llu p99_ns=%llu min_ns=%llu max_ns=%llu "
	       "mean_ns=%llu\n", name, (unsigned long long)n, (unsigned long long)v[(n - 1) / 2],
	       (unsigned long long)v[(99 * n + 99) / 100 - 1], (unsigned long long)v[0],
	       (unsigned long long)v[n - 1], (unsigned long long)((sum + n / 2) / n));
	fflush(stdout);
}

static uint64_t *samples(uint64_t n)
{
	uint64_t *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		fail("calloc samples");
	return v;
}

/* A warm-up as long as the timed run when that is shorter (the smoke test). */
static uint64_t warmup(uint64_t want, uint64_t iters)
{
	return iters < want ? iters : want;
}

/* A call that must answer `want` every time: getppid (procd) or getpid
 * (the layer's cache). */
static void bench_call(const char *name, pid_t (*call)(void), pid_t want, uint64_t iters)
{
	uint64_t *lat = samples(iters), w = warmup(WARMUP_SYSCALL, iters);

	for (uint64_t i = 0; i < w + iters; i++) {
		uint64_t t0 = now_ns();
		pid_t p = call();
		uint64_t t1 = now_ns();

		if (p != want)
			fail(name);
		if (i >= w)
			lat[i - w] = t1 - t0;
	}
	report(name, lat, iters);
	free(lat);
}

static void bench_file(uint64_t iters)
{
	static char buf[FILE_BYTES];
	uint64_t *lat = samples(iters), w = warmup(WARMUP_FILE, iters), bytes = 0;
	int fd = open(FILE_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		fail("create " FILE_PATH);
	memset(buf, 'f', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || close(fd))
		fail("write " FILE_PATH);
	for (uint64_t i = 0; i < w + iters; i++) {
		buf[0] = 0;
		uint64_t t0 = now_ns();
		fd = open(FILE_PATH, O_RDONLY);
		if (fd < 0)
			fail("open " FILE_PATH);
		ssize_t r = read(fd, buf, sizeof(buf));
		if (close(fd))
			fail("close " FILE_PATH);
		uint64_t t1 = now_ns();

		if (r != (ssize_t)sizeof(buf) || buf[0] != 'f' || buf[FILE_BYTES - 1] != 'f')
			fail("read " FILE_PATH);
		bytes += (uint64_t)r;
		if (i >= w)
			lat[i - w] = t1 - t0;
	}
	report("open_read_close", lat, iters);
	printf("posixbench: file path=%s bytes_each=%d bytes_read=%llu\n", FILE_PATH, FILE_BYTES,
	       (unsigned long long)bytes);
	fflush(stdout);
	free(lat);
	if (unlink(FILE_PATH))
		fail("unlink " FILE_PATH);
}

/* Reads exactly n bytes; 0 on EOF first, -1 on an error. */
static int read_all(int fd, unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 0;
		b += r;
		n -= (size_t)r;
	}
	return 1;
}

static int write_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = write(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Message i: every byte (i + k) mod 251, so a lost, repeated or
 * reordered byte shows. */
static void fill(unsigned char *m, uint64_t i)
{
	for (unsigned k = 0; k < MSG_BYTES; k++)
		m[k] = (unsigned char)((i + k) % 251);
}

/* The child echoes total messages, checking each; exit 0 only when all
 * came whole and the pipe then reached EOF. */
static void pipe_child(int rx, int tx, uint64_t total)
{
	unsigned char m[MSG_BYTES], want[MSG_BYTES];

	for (uint64_t i = 0; i < total; i++) {
		if (read_all(rx, m, MSG_BYTES) != 1)
			_exit(2);
		fill(want, i);
		if (memcmp(m, want, MSG_BYTES))
			_exit(3);
		if (write_all(tx, m, MSG_BYTES))
			_exit(4);
	}
	_exit(read_all(rx, m, 1) == 0 ? 0 : 5);
}

static void bench_pipe(uint64_t iters)
{
	uint64_t *lat = samples(iters), w = warmup(WARMUP_PIPE, iters), echoed = 0;
	unsigned char m[MSG_BYTES], back[MSG_BYTES];
	int p2c[2], c2p[2], st = 0;

	if (pipe(p2c) || pipe(c2p))
		fail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		fail("fork (pipe)");
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		pipe_child(p2c[0], c2p[1], w + iters);
	}
	close(p2c[0]);
	close(c2p[1]);
	for (uint64_t i = 0; i < w + iters; i++) {
		fill(m, i);
		uint64_t t0 = now_ns();
		if (write_all(p2c[1], m, MSG_BYTES))
			fail("pipe write");
		if (read_all(c2p[0], back, MSG_BYTES) != 1)
			fail("pipe read");
		uint64_t t1 = now_ns();

		if (memcmp(m, back, MSG_BYTES))
			fail("pipe echo differs");
		echoed += MSG_BYTES;
		if (i >= w)
			lat[i - w] = t1 - t0;
	}
	close(p2c[1]);
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid (pipe)");
	close(c2p[0]);
	report("pipe", lat, iters);
	printf("posixbench: pipe msg_bytes=%d round_trips=%llu bytes_echoed=%llu child_exit=%d\n",
	       MSG_BYTES, (unsigned long long)(w + iters), (unsigned long long)echoed,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
	free(lat);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail("pipe child saw a wrong byte or no EOF");
}

enum proc_kind { PROC_FORK_EXEC, PROC_FORK, PROC_SPAWN };

/* One create-and-reap of a child, in ns; a child that does not exit 0
 * counts in *bad. */
static uint64_t proc_once(enum proc_kind k, const char *path, char *const argv[], uint64_t *bad)
{
	uint64_t t0 = now_ns();
	pid_t pid;
	int st = 0;

	if (k == PROC_SPAWN) {
		int e = posix_spawn(&pid, path, NULL, NULL, argv, environ);

		if (e) {
			errno = e;
			fail("posix_spawn");
		}
	} else {
		pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			if (k == PROC_FORK_EXEC)
				execve(path, argv, environ);
			_exit(k == PROC_FORK_EXEC ? 127 : 0);
		}
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail("waitpid");
	uint64_t t1 = now_ns();

	*bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return t1 - t0;
}

static void bench_proc(const char *name, enum proc_kind k, const char *path, char *const argv[],
		       uint64_t iters, uint64_t *bad)
{
	uint64_t *lat = samples(iters), w = warmup(WARMUP_PROC, iters);

	for (uint64_t i = 0; i < w; i++)
		(void)proc_once(k, path, argv, bad);
	for (uint64_t i = 0; i < iters; i++)
		lat[i] = proc_once(k, path, argv, bad);
	report(name, lat, iters);
	free(lat);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

static uint64_t arg(int argc, char **argv, int i, uint64_t def)
{
	return argc > i ? strtoull(argv[i], NULL, 0) : def;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "noop"))
		return 0;
	uint64_t sc_iters = arg(argc, argv, 1, 100000), file_iters = arg(argc, argv, 2, 20000);
	uint64_t pipe_iters = arg(argc, argv, 3, 20000), proc_iters = arg(argc, argv, 4, 500);
	uint64_t t0, t1, bad = 0;

	t0 = now_ns();
	for (int i = 0; i < 10000; i++)
		(void)now_ns();
	t1 = now_ns();
	printf("posixbench: start clock_gettime_ns=%llu pid=%d ppid=%d\n",
	       (unsigned long long)((t1 - t0) / 10000), (int)getpid(), (int)getppid());
	fflush(stdout);

	bench_call("null_syscall", getppid, getppid(), sc_iters);
	bench_call("null_local", getpid, getpid(), sc_iters);
	bench_file(file_iters);
	bench_pipe(pipe_iters);

	/* The sample arrays are freed by now: the forking process is small. */
	char *self_argv[] = { "posixbench", "noop", NULL };
	char *true_argv[] = { "true", NULL };

	bench_proc("fork_exec_wait", PROC_FORK_EXEC, SELF_PATH, self_argv, proc_iters, &bad);
	bench_proc("fork_exec_wait_busybox_true", PROC_FORK_EXEC, BUSYBOX_PATH, true_argv, proc_iters,
		   &bad);
	bench_proc("fork_wait", PROC_FORK, NULL, NULL, proc_iters, &bad);
	bench_proc("spawn_wait", PROC_SPAWN, SELF_PATH, self_argv, proc_iters, &bad);
	printf("posixbench: done self_bytes=%ld busybox_bytes=%ld children_failed=%llu\n",
	       file_size(SELF_PATH), file_size(BUSYBOX_PATH), (unsigned long long)bad);
	fflush(stdout);
	return bad ? 1 : 0;
}
