/*
 * execve from the file tree (docs/posix.md "exec"): a forked child runs
 * /bin/args with arguments and an environment, and its status comes back
 * through waitpid; execvp finds a program on the default PATH; the errors
 * (ENOENT, ENOTDIR, EACCES, ENOEXEC, E2BIG, EFAULT) leave the caller
 * running; a process that execs keeps its pid, parent, group, current
 * directory, umask and its fds without FD_CLOEXEC with their offsets
 * (this program runs itself again as /bin/exec with "kept": its checks
 * are the bits of its exit code). Needs the initramfs's /bin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void say(const char *fmt, long a, long b)
{
	printf("exec: ");
	printf(fmt, a, b);
	printf("\n");
	fflush(stdout);
}

static void check(int ok, const char *what, long got)
{
	if (!ok) {
		printf("exec: FAIL %s got=%ld errno=%d\n", what, got, errno);
		fflush(stdout);
		failures++;
	}
}

/* The status of a forked child that runs fn; -1 if it did not exit. */
static int run(void (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(126);             /* the exec failed */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_args(void)
{
	char *argv[] = { "args", "one", "two words", NULL };
	char *envp[] = { "A=1", "B=2", NULL };
	execve("/bin/args", argv, envp);
}

static void run_path(void)
{
	char *argv[] = { "args", "viapath", NULL };
	execvp("args", argv);
}

/* The error of an execve that must fail, -1 if it returned otherwise. */
static int exec_err(const char *path, char **argv)
{
	char *envp[] = { NULL };
	errno = 0;
	return execve(path, argv, envp) == -1 ? errno : -1;
}

static void errors(void)
{
	char *argv[] = { "x", NULL };
	int fd = open("/tmp/notelf", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	check(fd >= 0 && write(fd, "#!/bin/sh\necho hi\n", 18) == 18, "notelf", fd);
	close(fd);
	say("enoent=%ld enotdir=%ld", exec_err("/bin/none", argv) == ENOENT,
	    exec_err("/etc/aion-release/x", argv) == ENOTDIR);
	say("eacces file=%ld dir=%ld", exec_err("/etc/aion-release", argv) == EACCES,
	    exec_err("/tmp", argv) == EACCES);
	say("enoexec=%ld efault=%ld", exec_err("/tmp/notelf", argv) == ENOEXEC,
	    exec_err(NULL, argv) == EFAULT);
	size_t big = 200 * 1024;
	char *s = malloc(big);
	check(s != NULL, "malloc", 0);
	memset(s, 'a', big - 1);
	s[big - 1] = '\0';
	char *bigv[] = { "args", s, NULL };
	say("e2big=%ld still here=%ld", exec_err("/bin/args", bigv) == E2BIG, 1);
	free(s);
	unlink("/tmp/notelf");
}

static char kept_args[2][16];

static void run_kept(void)
{
	char *argv[] = { "exec", "kept", kept_args[0], kept_args[1], NULL };
	char *envp[] = { "MODE=kept", NULL };
	int fd = open("/tmp/execkept", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int gone = open("/tmp/execkept", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || gone < 0 || write(fd, "kept!", 5) != 5 || lseek(fd, 2, SEEK_SET) != 2 ||
	    dup2(fd, 5) != 5 || dup2(gone, 6) != 6 || fcntl(6, F_SETFD, FD_CLOEXEC) ||
	    setpgid(0, 0) || chdir("/tmp") || (umask(027), 0))
		_exit(125);
	close(fd);
	snprintf(kept_args[0], sizeof(kept_args[0]), "%d", (int)getpid());
	snprintf(kept_args[1], sizeof(kept_args[1]), "%d", (int)getppid());
	execve("/bin/exec", argv, envp);
}

/* As /bin/exec kept PID PPID: what exec kept, one bit a check. */
static int kept(char **argv)
{
	char buf[8] = "";
	char cwd[32];
	int bad = 0;
	if (getpid() != atoi(argv[2]) || getppid() != atoi(argv[3]))
		bad |= 1;
	if (getpgid(0) != getpid())
		bad |= 2;
	if (read(5, buf, 3) != 3 || strcmp(buf, "pt!"))
		bad |= 4;       /* fd 5 kept, its offset 2 too */
	if (fcntl(6, F_GETFD) != -1 || errno != EBADF)
		bad |= 8;       /* FD_CLOEXEC closed it */
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/tmp"))
		bad |= 16;
	if (umask(0) != 027)
		bad |= 32;
	if (!getenv("MODE") || strcmp(getenv("MODE"), "kept"))
		bad |= 64;
	if (write(5, "X", 1) != 1 || close(5))
		bad |= 128 | 4;
	return bad;
}

/* busybox's applets, picked by argv[0]. */
static void run_echo(void)
{
	char *argv[] = { "echo", "hello", "from", "busybox", NULL };
	char *envp[] = { NULL };
	execve("/bin/busybox", argv, envp);
}

static void run_wc(void)
{
	char *argv[] = { "wc", "-c", "/etc/aion-release", NULL };
	char *envp[] = { NULL };
	execve("/bin/busybox", argv, envp);
}

static void run_ls(void)
{
	char *argv[] = { "/bin/ls", "/etc", NULL };
	char *envp[] = { NULL };
	execve("/bin/busybox", argv, envp);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "kept"))
		return kept(argv);
	int args_exit = run(run_args);
	say("args exit=%ld path exit=%ld", args_exit, run(run_path));
	int echo_exit = run(run_echo), wc_exit = run(run_wc);
	say("busybox echo exit=%ld wc exit=%ld", echo_exit, wc_exit);
	say("busybox ls exit=%ld", run(run_ls), 0);
	errors();
	int st = run(run_kept);
	char buf[8] = "";
	int fd = open("/tmp/execkept", O_RDONLY);
	check(fd >= 0 && read(fd, buf, 7) == 6, "read kept", fd);
	say("kept exit=%ld file=%ld", st, !strcmp(buf, "kept!X"));
	close(fd);
	unlink("/tmp/execkept");
	say("done failures=%ld", failures, 0);
	return failures ? 1 : 0;
}
