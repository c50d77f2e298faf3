/*
 * posix_spawn, posix_spawnp and vfork (docs/posix.md "posix_spawn"): a
 * child made from /bin with file actions (open, dup2, close, chdir),
 * attributes (a new process group, a new session), the parent's fds
 * without FD_CLOEXEC shared with it; errors come back as posix_spawn's
 * result; vfork behaves as fork. The spawned checks are this program
 * again as /bin/spawn "check": the bits of its exit code. Needs the
 * initramfs's /bin.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int failures;

static void say(const char *fmt, long a, long b)
{
	printf("spawn: ");
	printf(fmt, a, b);
	printf("\n");
	fflush(stdout);
}

static void check(int ok, const char *what, long got)
{
	if (!ok) {
		printf("spawn: FAIL %s got=%ld errno=%d\n", what, got, errno);
		fflush(stdout);
		failures++;
	}
}

static int status_of(pid_t pid)
{
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* As /bin/spawn check: what the file actions and attributes made. */
static int checks(void)
{
	char buf[32] = "";
	char cwd[16];
	int bad = 0;
	if (write(4, "hello", 5) != 5)
		bad |= 1;               /* dup2 of the opened fd 3 */
	if (fcntl(3, F_GETFD) != -1 || errno != EBADF)
		bad |= 2;               /* closed after the dup2 */
	if (read(5, buf, 16) != 16 || strncmp(buf, "Aion initramfs 1", 16))
		bad |= 4;               /* opened relative to the chdir'd /etc */
	if (fcntl(7, F_GETFD) != -1)
		bad |= 8;               /* the parent's FD_CLOEXEC fd */
	if (write(8, "Z", 1) != 1)
		bad |= 16;              /* the parent's fd, its offset shared */
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/etc"))
		bad |= 32;
	if (getpgid(0) != getpid() || getsid(0) != getpid())
		bad |= 64;              /* SETSID (and a group of its own) */
	if (!getenv("SPAWNED"))
		bad |= 128;
	return bad;
}

static int spawn_err(const char *path, posix_spawn_file_actions_t *fa, int search)
{
	char *argv[] = { "x", NULL };
	pid_t pid = 0;
	int r = search ? posix_spawnp(&pid, path, fa, NULL, argv, environ) :
			 posix_spawn(&pid, path, fa, NULL, argv, environ);
	return r;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "check"))
		return checks();
	char *args_argv[] = { "args", "s1", NULL };
	char *args_env[] = { "X=1", NULL };
	pid_t pid;

	int r = posix_spawn(&pid, "/bin/args", NULL, NULL, args_argv, args_env);
	int plain = r ? -r : status_of(pid);
	r = posix_spawnp(&pid, "args", NULL, NULL, args_argv, args_env);
	say("plain exit=%ld spawnp exit=%ld", plain, r ? -r : status_of(pid));

	int gone = open("/tmp/spawnshared", O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	check(gone >= 0 && dup2(gone, 8) == 8 && dup2(gone, 7) == 7, "dup2", gone);
	fcntl(7, F_SETFD, FD_CLOEXEC);
	check(write(8, "ab", 2) == 2 && lseek(8, 1, SEEK_SET) == 1, "shared", 0);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 3, "/tmp/spawnout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 3, 4);
	posix_spawn_file_actions_addclose(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, "/etc");
	posix_spawn_file_actions_addopen(&fa, 5, "aion-release", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	char *check_argv[] = { "spawn", "check", NULL };
	char *check_env[] = { "SPAWNED=1", NULL };
	r = posix_spawn(&pid, "/bin/spawn", &fa, &at, check_argv, check_env);
	int st = r ? -r : status_of(pid);
	char buf[8] = "";
	int out = open("/tmp/spawnout", O_RDONLY);
	check(out >= 0 && read(out, buf, 7) == 5, "spawnout", out);
	say("actions exit=%ld out=%ld", st, !strcmp(buf, "hello"));
	say("shared offset=%ld parent's fds intact=%ld", lseek(8, 0, SEEK_CUR),
	    fcntl(gone, F_GETFD) == FD_CLOEXEC && fcntl(8, F_GETFD) == 0);
	close(out);
	close(gone);
	close(7);
	close(8);

	posix_spawn_file_actions_t bad;
	posix_spawn_file_actions_init(&bad);
	posix_spawn_file_actions_adddup2(&bad, 9, 4);
	posix_spawn_file_actions_t missing;
	posix_spawn_file_actions_init(&missing);
	posix_spawn_file_actions_addopen(&missing, 4, "/tmp/none/x", O_RDONLY, 0);
	say("errors enoent=%ld eacces=%ld", spawn_err("/bin/none", NULL, 0) == ENOENT,
	    spawn_err("/etc/aion-release", NULL, 0) == EACCES);
	say("errors spawnp=%ld ebadf=%ld", spawn_err("none", NULL, 1) == ENOENT,
	    spawn_err("/bin/args", &bad, 0) == EBADF);
	say("errors action open=%ld", spawn_err("/bin/args", &missing, 0) == ENOENT, 0);

	pid = vfork();
	if (pid == 0)
		_exit(7);
	int vf = status_of(pid);
	pid = vfork();
	if (pid == 0) {
		execve("/bin/args", args_argv, args_env);
		_exit(126);
	}
	say("vfork exit=%ld vfork exec exit=%ld", vf, status_of(pid));
	unlink("/tmp/spawnout");
	unlink("/tmp/spawnshared");
	say("done failures=%ld", failures, 0);
	return failures ? 1 : 0;
}
