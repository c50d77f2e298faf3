/*
 * posix-diff (execs): execve and its family, run under procd: the
 * environment passed, argv[0] chosen by the caller, execvp's search of
 * PATH, what survives an exec (pid, fds without FD_CLOEXEC, ignored
 * signals, the mask) and what does not (O_CLOEXEC fds, handlers), and
 * the errors of files that are not programs. It execs itself (bin/execs,
 * relative: the node's /bin, the host's folder made alike) as a probe:
 *   execs probe PID FD_KEPT FD_CLOSED
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static void on_usr2(int sig)
{
	(void)sig;
}

static int probe(char **argv)
{
	int kept = atoi(argv[3]), closed = atoi(argv[4]);
	struct sigaction a1, a2;
	sigset_t m;
	sigaction(SIGUSR1, NULL, &a1);
	sigaction(SIGUSR2, NULL, &a2);
	sigprocmask(SIG_BLOCK, NULL, &m);
	printf("probe: pid kept %s\n", getpid() == atoi(argv[2]) ? "yes" : "no");
	printf("probe: plain fd open %s, O_CLOEXEC fd %s\n",
	       fcntl(kept, F_GETFD) >= 0 ? "yes" : en(errno),
	       fcntl(closed, F_GETFD) >= 0 ? "open" : en(errno));
	char buf[16] = { 0 };
	lseek(kept, 0, SEEK_SET);
	printf("probe: reads '%s' from it\n", read(kept, buf, 15) > 0 ? buf : "?");
	printf("probe: SIGUSR1 ignored %s, SIGUSR2 handler reset to default %s, SIGINT blocked %s\n",
	       a1.sa_handler == SIG_IGN ? "yes" : "no", a2.sa_handler == SIG_DFL ? "yes" : "no",
	       sigismember(&m, SIGINT) ? "yes" : "no");
	return 9;
}

/*
 * Forks, runs fn(arg) in the child (which should exec) with its stdout a
 * file, then prints the status and what the child printed: on Aion an
 * exec'd program is a unit named for its file, whose lines are not this
 * program's.
 */
static void run(const char *what, void (*fn)(const char *), const char *arg)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int fd = open("tmp/execs.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(125);
		close(fd);
		fn(arg);
		printf("exec failed: %s\n", en(errno));
		fflush(stdout);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	printf("%s: exited %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	FILE *out = fopen("tmp/execs.out", "r");
	char line[160];
	while (out && fgets(line, sizeof(line), out))
		printf("  %s", line);
	if (out)
		fclose(out);
}

static void with_env(const char *arg)
{
	char *argv[] = { "renamed", (char *)arg, NULL };
	char *envp[] = { "A=1", "B=two words", NULL };
	execve("bin/args", argv, envp);
}

static void by_path(const char *path)
{
	setenv("PATH", path, 1);
	execlp("args", "args", "found", (char *)NULL);
}

static void plain(const char *file)
{
	execl(file, file, (char *)NULL);
}

static void to_probe(const char *arg)
{
	(void)arg;
	char pid[16], kept[16], closed[16];
	int a = open("tmp/execs.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int b = open("tmp/execs.txt", O_RDONLY | O_CLOEXEC);
	write(a, "kept contents", 13);
	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(kept, sizeof(kept), "%d", a);
	snprintf(closed, sizeof(closed), "%d", b);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, on_usr2);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGINT);
	sigprocmask(SIG_BLOCK, &m, NULL);
	execl("bin/execs", "execs", "probe", pid, kept, closed, (char *)NULL);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "probe"))
		return probe(argv);
	run("execve with an environment", with_env, "x y");
	run("execlp along PATH", by_path, "nowhere:tmp:bin");
	run("execlp with no match on PATH", by_path, "nowhere:tmp");
	run("exec into a probe", to_probe, NULL);

	int fd = open("tmp/execs.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	write(fd, "echo not an ELF file\n", 21);
	close(fd);
	fd = open("tmp/execs.noexec", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, "\177ELF", 4);
	close(fd);
	chmod("tmp/execs.noexec", 0644);
	mkdir("tmp/execs.dir", 0755);
	run("a text file with no #!", plain, "tmp/execs.sh");
	run("a file without execute permission", plain, "tmp/execs.noexec");
	run("a directory", plain, "tmp/execs.dir");
	run("a missing file", plain, "tmp/execs.none");
	run("a path through a file", plain, "tmp/execs.sh/x");
	unlink("tmp/execs.sh");
	unlink("tmp/execs.noexec");
	unlink("tmp/execs.txt");
	unlink("tmp/execs.out");
	rmdir("tmp/execs.dir");
	return 0;
}
