/*
 * posix-diff (exitcodes): how a program ends: atexit handlers run in
 * reverse order and may register more, stdio buffers are flushed by
 * exit (a line without its newline too), and the status is the low 8
 * bits of exit's argument. The argument picks the way: "exit N" (exit),
 * "_exit N" (no handlers, no flush), "return N" (from main).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void first(void)
{
	printf("handler registered first, runs last\n");
}

static void late(void)
{
	printf("handler registered by a handler\n");
}

static void second(void)
{
	printf("handler registered second, runs first\n");
	atexit(late);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "return";
	int code = argc > 2 ? atoi(argv[2]) : 0;

	atexit(first);
	atexit(second);
	printf("ending by %s %d\n", how, code);
	printf("a partial line");
	if (!strcmp(how, "exit"))
		exit(code);
	if (!strcmp(how, "_exit")) {
		fflush(stdout);
		_exit(code);
	}
	printf(", then main returns\n");
	return code;
}
