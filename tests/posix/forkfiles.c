/*
 * Files survive fork (docs/posix.md "fork and files"): the child holds
 * the parent's open file descriptions (one offset, shared), its current
 * directory and the file tree; the child's close leaves the parent's fd
 * working. The child's checks are the bits of its exit code. Plain C:
 * built for Linux with musl-gcc it prints the same lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void say(const char *fmt, const char *a, long b)
{
	printf("forkfiles: ");
	printf(fmt, a, b);
	printf("\n");
	fflush(stdout);
}

static void check(int ok, const char *what, long got)
{
	if (!ok) {
		say("FAIL %s got=%ld", what, got);
		failures++;
	}
}

/* Reads exactly n bytes (a NUL after them) or says what it got. */
static int read_str(int fd, char *buf, size_t n)
{
	ssize_t r = read(fd, buf, n);
	buf[r > 0 ? r : 0] = '\0';
	return r == (ssize_t)n;
}

/* The child: each failed check sets a bit of its exit code. */
static int child(int fd, int dir)
{
	char buf[16];
	int bad = 0;

	if (!read_str(fd, buf, 3) || strcmp(buf, "234"))
		bad |= 1;               /* the shared offset was 2 */
	if (write(fd, "AB", 2) != 2)
		bad |= 2;
	if (close(fd) != 0)
		bad |= 4;
	/* cwd is /tmp: a relative path, opened through the child's root. */
	int f = open("forkfiles-child", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (f < 0 || write(f, "child", 5) != 5 || close(f) != 0)
		bad |= 8;
	/* A directory fd of the parent's, used by the child. */
	int g = openat(dir, "forkfiles-at", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (g < 0 || close(g) != 0)
		bad |= 16;
	char cwd[64];
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/tmp"))
		bad |= 32;
	return bad;
}

int main(void)
{
	char buf[32];
	int status = -1;

	if (chdir("/tmp") != 0)
		check(0, "chdir", errno);
	int fd = open("forkfiles", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && dir >= 0, "open", errno);
	check(write(fd, "0123456789", 10) == 10, "write", errno);
	check(lseek(fd, 2, SEEK_SET) == 2, "lseek", errno);
	pid_t pid = fork();
	if (pid == 0)
		_exit(child(fd, dir));
	check(pid > 0, "fork", errno);
	check(waitpid(pid, &status, 0) == pid, "waitpid", errno);
	say("child%s exit=%ld", "", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* The child read 3 and wrote 2 through the description we share. */
	off_t at = lseek(fd, 0, SEEK_CUR);
	check(read_str(fd, buf, 3), "read rest", errno);
	say("parent's fd after the child's close: offset=7 %s", at == 7 ? "yes" : "no", 0);
	say("rest=%s", buf, 0);
	check(pread(fd, buf, sizeof(buf) - 1, 0) == 10, "pread", errno);
	buf[10] = '\0';
	say("whole=%s", buf, 0);
	check(close(fd) == 0, "close", errno);

	int f = open("/tmp/forkfiles-child", O_RDONLY);
	check(f >= 0 && read_str(f, buf, 5), "child's file", errno);
	say("child's file=%s", buf, 0);
	struct stat st;
	say("child's openat at the parent's dir fd=%s", stat("/tmp/forkfiles-at", &st) ? "missing" : "made", 0);
	close(f);
	close(dir);
	unlink("forkfiles");
	unlink("forkfiles-child");
	unlink("forkfiles-at");
	say("done%s failures=%ld", "", failures);
	return failures ? 1 : 0;
}
