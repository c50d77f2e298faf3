/*
 * Another node's files through /net (issue 18, Done when 3; docs/fs.md
 * "/net"). Aion-only: it drops its rights with the POSIX layer's
 * __aion_fs_restrict (aion/vfs.h VFS_RESTRICT).
 *
 *   netfs rights DIR FILE   FILE (in DIR, both on another node) must read
 *                           with the rights this process was given; with
 *                           its tree made read-only every change below DIR
 *                           must be EACCES, by path and through DIR opened
 *                           as a directory (node 2's server refuses those
 *                           itself), also in a forked child, and
 *                           asking for the rights back gives none; FILE
 *                           still reads; with no rights left, reading FILE
 *                           and stat are EACCES too.
 *   netfs hold FILE         opens FILE, says "netfs: holding", then reads
 *                           it from the start every 20 ms; the first read
 *                           that fails is reported with its errno and how
 *                           long after the last good one, then a new open
 *                           of FILE (its errno and time). Exit 0 when both
 *                           failed with EIO or ENOENT in time, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "aion/vfs.h"
#include "errname.h"
#include "posix.h"          /* space/posix: __aion_fs_restrict */

#define HOLD_LIMIT_S    120     /* no failure by then: the test says so */

static int failures;

static void expect(const char *what, int got, int want)
{
	if (got == want) {
		printf("netfs: %s: %s as expected\n", what, en(want));
		return;
	}
	printf("netfs: FAIL %s: %s, wanted %s\n", what, en(got), en(want));
	failures++;
}

/* 0 or the errno of one call. */
#define ERR(call)       ((call) < 0 ? errno : 0)

static int read_file(const char *file)
{
	char buf[512];
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		return errno;
	ssize_t n = read(fd, buf, sizeof(buf));
	int e = n < 0 ? errno : 0;
	close(fd);
	return e;
}

static void changes(const char *dir, const char *file, const char *who)
{
	char path[512], to[512], what[160];
	snprintf(path, sizeof(path), "%s/netfs-new", dir);
	snprintf(to, sizeof(to), "%s/netfs-moved", dir);

	snprintf(what, sizeof(what), "%s: create", who);
	expect(what, ERR(open(path, O_WRONLY | O_CREAT, 0644)), EACCES);
	snprintf(what, sizeof(what), "%s: open for writing", who);
	expect(what, ERR(open(file, O_WRONLY)), EACCES);
	snprintf(what, sizeof(what), "%s: truncate", who);
	expect(what, ERR(truncate(file, 0)), EACCES);
	snprintf(what, sizeof(what), "%s: mkdir", who);
	expect(what, ERR(mkdir(path, 0755)), EACCES);
	snprintf(what, sizeof(what), "%s: unlink", who);
	expect(what, ERR(unlink(file)), EACCES);
	snprintf(what, sizeof(what), "%s: rename", who);
	expect(what, ERR(rename(file, to)), EACCES);
	snprintf(what, sizeof(what), "%s: chmod", who);
	expect(what, ERR(chmod(file, 0600)), EACCES);
	snprintf(what, sizeof(what), "%s: read", who);
	expect(what, read_file(file), 0);
}

/* Through a directory fd opened read-only-restricted: no path crosses
 * this node's vfsd, so node 2's server itself refuses (the record it made
 * for us keeps the rights it was reached with). */
static void changes_at(const char *dir, const char *name)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	expect("read-only: open the directory", d < 0 ? errno : 0, 0);
	if (d < 0)
		return;
	expect("read-only at the directory: create", ERR(openat(d, "netfs-new", O_WRONLY | O_CREAT, 0644)),
	       EACCES);
	expect("read-only at the directory: open for writing", ERR(openat(d, name, O_RDWR)), EACCES);
	expect("read-only at the directory: mkdir", ERR(mkdirat(d, "netfs-dir", 0755)), EACCES);
	expect("read-only at the directory: unlink", ERR(unlinkat(d, name, 0)), EACCES);
	expect("read-only at the directory: rename", ERR(renameat(d, name, d, "netfs-moved")),
	       EACCES);
	int f = openat(d, name, O_RDONLY);
	expect("read-only at the directory: open for reading", f < 0 ? errno : 0, 0);
	if (f >= 0)
		close(f);
	close(d);
}

static int rights(const char *dir, const char *file)
{
	struct stat st;

	expect("full rights: read", read_file(file), 0);
	expect("full rights: stat", ERR(stat(file, &st)), 0);
	expect("restrict to read", (int)-__aion_fs_restrict(VFS_RIGHT_READ), 0);
	changes(dir, file, "read-only");
	changes_at(dir, strrchr(file, '/') + 1);
	pid_t pid = fork();
	if (pid == 0) {
		failures = 0;
		changes(dir, file, "read-only child");
		_exit(failures ? 1 : 0);
	}
	int status = 0;
	expect("child", pid < 0 ? errno : waitpid(pid, &status, 0) < 0 ? errno :
	       WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : EPERM, 0);
	expect("ask the rights back", (int)-__aion_fs_restrict(VFS_RIGHTS_ALL), 0);
	changes(dir, file, "after asking back");
	expect("restrict to none", (int)-__aion_fs_restrict(0), 0);
	expect("no rights: read", read_file(file), EACCES);
	expect("no rights: stat", ERR(stat(file, &st)), EACCES);
	printf("netfs: rights %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
	return failures ? 1 : 0;
}

/* Milliseconds (built with the POSIX layer's flags: no floating point). */
static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int hold(const char *file)
{
	char buf[512];
	int fd = open(file, O_RDONLY);
	if (fd < 0) {
		printf("netfs: FAIL open %s: %s\n", file, en(errno));
		return 1;
	}
	printf("netfs: holding %s\n", file);
	fflush(stdout);
	long good = now_ms(), start = good;
	for (;;) {
		long before = now_ms();
		ssize_t n = pread(fd, buf, sizeof(buf), 0);
		long after = now_ms();
		if (n < 0) {
			int e = errno;
			printf("netfs: read failed errno=%s after_ok_ms=%ld call_ms=%ld\n", en(e),
			       after - good, after - before);
			before = now_ms();
			int e2 = read_file(file);
			printf("netfs: open again errno=%s call_ms=%ld\n", en(e2), now_ms() - before);
			close(fd);
			return e == EIO && (e2 == EIO || e2 == ENOENT) ? 0 : 1;
		}
		good = after;
		if (after - start > HOLD_LIMIT_S * 1000L) {
			printf("netfs: FAIL still reading after %d s\n", HOLD_LIMIT_S);
			return 1;
		}
		usleep(20000);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "rights"))
		return rights(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	fprintf(stderr, "usage: netfs rights DIR FILE | netfs hold FILE\n");
	return 2;
}
