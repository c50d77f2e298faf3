/*
 * posix-diff (procs): processes as a shell uses them, run under procd:
 * fork and wait4's statuses (exit codes, a signal, WNOHANG), a pipe
 * between parent and child carrying a request and its answer, execve
 * of a program from /bin with its status, a SIGCHLD handler, kill of a
 * child blocked in read, and process groups. Prints only what holds on
 * any machine (no pids).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "waitstatus.h"

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
	(void)sig;
	chld++;
}

int main(int argc, char **argv)
{
	int st;
	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Exit codes, in the order the children end. */
	for (int code = 0; code < 3; code++) {
		pid_t p = fork();
		if (p == 0)
			_exit(code * 7);
		waitpid(p, &st, 0);
		char what[32];
		snprintf(what, sizeof(what), "child %d", code);
		status(what, st);
	}

	/* WNOHANG on a child that is still running, then its end by SIGKILL.
	 * (SIGTERM would do on Linux; on Aion a default-terminating signal
	 * goes through the process, and a read vfsd holds is not cut yet:
	 * docs/posix.md "Signals".) */
	int go[2];
	pipe(go);
	pid_t p = fork();
	if (p == 0) {
		char c;
		close(go[1]);
		read(go[0], &c, 1);             /* waits: nobody writes */
		_exit(1);
	}
	close(go[0]);
	printf("WNOHANG while it runs: %d\n", waitpid(p, &st, WNOHANG));
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	status("blocked child after SIGKILL", st);
	close(go[1]);

	/* A request down one pipe and the answer up another. */
	int down[2], up[2];
	pipe(down);
	pipe(up);
	p = fork();
	if (p == 0) {
		char buf[64] = { 0 };
		close(down[1]);
		close(up[0]);
		ssize_t n = read(down[0], buf, sizeof(buf) - 1);
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
		write(up[1], buf, (size_t)n);
		_exit(n > 0 ? 0 : 3);
	}
	close(down[0]);
	close(up[1]);
	write(down[1], "make me loud", 12);
	close(down[1]);
	char got[64] = { 0 };
	ssize_t n = read(up[0], got, sizeof(got) - 1);
	printf("the child answered %zd bytes: %s\n", n, got);
	printf("then end of file: %zd\n", read(up[0], got, 1));
	close(up[0]);
	waitpid(p, &st, 0);
	status("pipe child", st);

	/* SIGCHLD with a handler: counted once the child is reaped. */
	struct sigaction sa = { .sa_handler = on_chld };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	p = fork();
	if (p == 0)
		_exit(5);
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	status("child with SIGCHLD caught", st);
	printf("SIGCHLD handler ran: %s\n", chld >= 1 ? "yes" : "no");
	signal(SIGCHLD, SIG_DFL);

	/* exec of bin/args (relative: the node's /bin, the host's folder made
	 * alike), its stdout a file the parent reads back: an fd kept across
	 * exec, and output that stays this program's. */
	p = fork();
	if (p == 0) {
		char *args[] = { "args", "from", "exec", NULL };
		int fd = open("tmp/procs.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(125);
		close(fd);
		execv("bin/args", args);
		_exit(126);
	}
	waitpid(p, &st, 0);
	status("exec'd bin/args", st);
	FILE *out = fopen("tmp/procs.out", "r");
	char line[128];
	while (out && fgets(line, sizeof(line), out))
		printf("  args said: %s", line);
	if (out)
		fclose(out);
	unlink("tmp/procs.out");
	p = fork();
	if (p == 0) {
		execl("/no/such/program", "x", (char *)NULL);
		_exit(errno == ENOENT ? 44 : 45);
	}
	waitpid(p, &st, 0);
	status("exec of a missing file", st);

	/* A process group of two children, ended together. */
	pid_t a = fork();
	if (a == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(a, a);
	pid_t b = fork();
	if (b == 0) {
		setpgid(0, a);
		pause();
		_exit(0);
	}
	setpgid(b, a);
	printf("second child in the first's group: %s\n", getpgid(b) == a ? "yes" : "no");
	kill(-a, SIGINT);
	int sa_st, sb_st;
	waitpid(a, &sa_st, 0);
	waitpid(b, &sb_st, 0);
	status("group member 1", sa_st);
	status("group member 2", sb_st);
	printf("no children left: %s\n", waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD ? "ECHILD" : "?");
	(void)argv;
	return 0;
}
