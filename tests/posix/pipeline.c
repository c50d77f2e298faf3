/*
 * posix-diff (pipeline): pipes between processes the way a shell builds a
 * pipeline, run under procd: three processes joined by two pipes through
 * dup2 onto stdin and stdout, each stage a filter; end of file only once
 * every writer's copy is closed; SIGPIPE's default action ending a writer
 * whose reader is gone, EPIPE when it is ignored; O_NONBLOCK's EAGAIN.
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
#include "errname.h"

/* Stage 1: the numbers 1..N, one a line. */
static void numbers(void)
{
	for (int i = 1; i <= 200; i++)
		printf("%d\n", i);
}

/* Stage 2: the squares of the odd ones. */
static void odd_squares(void)
{
	char line[32];
	while (fgets(line, sizeof(line), stdin)) {
		long v = atol(line);
		if (v % 2)
			printf("%ld\n", v * v);
	}
}

/* Stage 3: count and sum. */
static void total(void)
{
	char line[32];
	long n = 0, sum = 0;
	while (fgets(line, sizeof(line), stdin)) {
		n++;
		sum += atol(line);
	}
	printf("stage 3 read %ld lines, sum %ld\n", n, sum);
}

static pid_t stage(void (*fn)(void), int in, int out, int other[2])
{
	pid_t p = fork();
	if (p == 0) {
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0)
			dup2(out, 1);
		for (int i = 0; i < 2; i++)     /* every pipe end but stdio */
			if (other[i] > 2)
				close(other[i]);
		if (in > 2)
			close(in);
		if (out > 2)
			close(out);
		fn();
		fflush(stdout);
		_exit(0);
	}
	return p;
}

int main(void)
{
	int a[2], b[2], st;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fflush(stdout);
	pipe(a);
	pipe(b);
	pid_t p1 = stage(numbers, -1, a[1], (int[]){ a[0], b[0] });
	pid_t p2 = stage(odd_squares, a[0], b[1], (int[]){ a[1], b[0] });
	pid_t p3 = stage(total, b[0], -1, (int[]){ a[1], b[1] });
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	int st1, st2, st3;                 /* stage 3 prints: report after it */
	waitpid(p1, &st1, 0);
	waitpid(p2, &st2, 0);
	waitpid(p3, &st3, 0);
	status("stage 1", st1);
	status("stage 2", st2);
	status("stage 3", st3);

	/* A writer's copy left open keeps the reader from seeing the end. */
	pipe(a);
	int keep = dup(a[1]);
	write(a[1], "x", 1);
	close(a[1]);
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	char c;
	ssize_t r = read(a[0], &c, 1);
	printf("read the byte: %zd\n", r);
	printf("with a copy of the write end open: %s\n", fails((int)read(a[0], &c, 1)));
	close(keep);
	printf("with none: %zd\n", read(a[0], &c, 1));
	close(a[0]);

	/* The reader is gone: SIGPIPE kills a writer that did not ask otherwise. */
	pipe(a);
	close(a[0]);
	pid_t p = fork();
	if (p == 0) {
		write(a[1], "lost", 4);
		_exit(0);
	}
	waitpid(p, &st, 0);
	status("writer to a pipe without readers", st);
	signal(SIGPIPE, SIG_IGN);
	printf("the same with SIGPIPE ignored: %s\n", fails((int)write(a[1], "lost", 4)));
	close(a[1]);
	return 0;
}
