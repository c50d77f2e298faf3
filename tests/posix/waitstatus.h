/*
 * A wait status in words, for the test programs of tests/posix that
 * fork (procs, waits, pipeline): one line, the same on every libc.
 */
#ifndef TESTS_POSIX_WAITSTATUS_H
#define TESTS_POSIX_WAITSTATUS_H

#include <stdio.h>
#include <sys/wait.h>

static void status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: other 0x%x\n", what, st);
}

#endif
