/*
 * posix-diff (sessions): sessions and process groups as job control uses
 * them, run under procd: a new session's leader and its group, setsid's
 * EPERM for a group leader, setpgid's rules (EPERM across sessions, ESRCH
 * for a process that is not a child, EINVAL for a negative group), a
 * group signalled as one, and getpgrp/getsid agreeing with getpgid.
 * Prints relations, never pids.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static const char *yes(int c)
{
	return c ? "yes" : "no";
}

int main(void)
{
	int st, sync_[2], back[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("getpgrp is getpgid(0): %s; getsid(0) is getsid(self): %s\n",
	       yes(getpgrp() == getpgid(0)), yes(getsid(0) == getsid(getpid())));

	/* A child makes a session: it leads it and a group named for it. */
	pipe(sync_);
	pipe(back);
	pid_t c = fork();
	if (c == 0) {
		char r[4];
		pid_t s = setsid();
		r[0] = s == getpid();
		r[1] = getpgrp() == getpid();
		r[2] = getsid(0) == getpid();
		r[3] = setsid() < 0 && errno == EPERM;  /* a group leader already */
		write(back[1], r, 4);
		char go;
		read(sync_[0], &go, 1);
		_exit(0);
	}
	char r[4] = { 0 };
	read(back[0], r, 4);
	printf("child's setsid: leads the session %s, its group %s, getsid %s, again EPERM %s\n",
	       yes(r[0]), yes(r[1]), yes(r[2]), yes(r[3]));
	printf("parent's session differs from the child's: %s\n", yes(getsid(c) != getsid(0)));
	printf("setpgid of a child in another session: %s\n", fails(setpgid(c, getpgrp())));
	write(sync_[1], "g", 1);
	waitpid(c, &st, 0);
	printf("setpgid of a reaped child: %s\n", fails(setpgid(c, c)));
	printf("setpgid to a negative group: %s\n", fails(setpgid(0, -1)));
	printf("getpgid of a process that is not there: %s\n", fails(getpgid(c)));

	/* A group of three, signalled as one; the parent stays out of it. */
	pid_t g[3];
	for (int i = 0; i < 3; i++) {
		g[i] = fork();
		if (g[i] == 0) {
			setpgid(0, i ? g[0] : 0);
			for (;;)
				pause();
		}
		setpgid(g[i], g[0]);
	}
	int same = 1;
	for (int i = 0; i < 3; i++)
		same &= getpgid(g[i]) == g[0];
	printf("three children in one group: %s; the parent outside it: %s\n", yes(same),
	       yes(getpgrp() != g[0]));
	printf("killpg: %d\n", killpg(g[0], SIGTERM));
	int killed = 0;
	for (int i = 0; i < 3; i++) {
		waitpid(g[i], &st, 0);
		killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
	}
	printf("all three ended by SIGTERM: %d\n", killed);
	printf("killpg of the empty group: %s\n", fails(killpg(g[0], SIGTERM)));

	/* A child moved into its own group by the parent before it runs on. */
	c = fork();
	if (c == 0) {
		char go;
		read(sync_[0], &go, 1);
		_exit(getpgrp() == getpid() ? 0 : 1);
	}
	printf("parent puts the child in a group of its own: %d\n", setpgid(c, c));
	write(sync_[1], "g", 1);
	waitpid(c, &st, 0);
	printf("the child saw it: %s\n", yes(WIFEXITED(st) && WEXITSTATUS(st) == 0));
	return 0;
}
