/*
 * posix-diff (environ): the environment a program is given (the test
 * gives an empty one on both sides, then runs with variables of its own
 * through argv) and changes: setenv with and without overwrite, putenv,
 * unsetenv, clearenv, environ's order, and the errors of bad names.
 * With arguments NAME=VALUE it sets each first.
 */
#define _GNU_SOURCE     /* clearenv */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void dump(const char *when)
{
	int n = 0;
	printf("%s:", when);
	for (char **e = environ; e && *e; e++, n++)
		printf(" [%s]", *e);
	printf(" (%d)\n", n);
}

static const char *err(int r)
{
	return r == 0 ? "ok" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

int main(int argc, char **argv)
{
	dump("given");
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq) {
			*eq = 0;
			printf("setenv %s: %s\n", argv[i], err(setenv(argv[i], eq + 1, 1)));
		}
	}
	printf("HOME: %s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
	printf("setenv A=1: %s\n", err(setenv("A", "1", 0)));
	printf("setenv A=2 without overwrite: %s\n", err(setenv("A", "2", 0)));
	printf("A=%s\n", getenv("A"));
	printf("setenv A=3 with overwrite: %s\n", err(setenv("A", "3", 1)));
	printf("A=%s\n", getenv("A"));
	static char kv[] = "B=from putenv";
	printf("putenv: %d\n", putenv(kv));
	printf("B=%s\n", getenv("B"));
	kv[2] = 'F';
	printf("putenv keeps the caller's string: B=%s\n", getenv("B"));
	printf("setenv of an empty value: %s\n", err(setenv("C", "", 1)));
	printf("C=[%s]\n", getenv("C"));
	dump("now");
	printf("setenv of a name with '=': %s\n", err(setenv("D=E", "x", 1)));
	printf("setenv of an empty name: %s\n", err(setenv("", "x", 1)));
	printf("unsetenv A: %s\n", err(unsetenv("A")));
	printf("A is %s\n", getenv("A") ? "set" : "unset");
	printf("unsetenv of a missing name: %s\n", err(unsetenv("NOPE")));
	printf("unsetenv of a name with '=': %s\n", err(unsetenv("X=Y")));
	dump("after unsetenv");
	printf("clearenv: %d\n", clearenv());
	dump("after clearenv");
	printf("setenv after clearenv: %s\n", err(setenv("Z", "last", 1)));
	dump("at the end");
	return 0;
}
