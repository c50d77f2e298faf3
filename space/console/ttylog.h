/*
 * The terminal's screen is the node's log (docs/posix.md "The terminal"):
 * what programs write to the tty becomes log lines, each line as a
 * terminal would show it when it ends: a backspace takes back the
 * character before it, a carriage return goes back to the line's start
 * (what follows overwrites), other control bytes and escape sequences
 * (ESC [ ... letter) leave no trace. So the kernel's own lines and the
 * tty's never mix within a line, and tests parse both alike. Pure logic:
 * tests/unit/test_tty_ldisc.c drives it on the host.
 */
#ifndef CONSOLE_TTYLOG_H
#define CONSOLE_TTYLOG_H

#include <stddef.h>

#define TTYLOG_LINE_MAX 200     /* a longer line is cut into several */

struct ttylog {
	char line[TTYLOG_LINE_MAX];
	unsigned len, col;
	int esc;                        /* 0 none, 1 after ESC, 2 in ESC [ */
	/* Emits one finished line (len may be 0: an empty line). */
	void (*emit)(void *arg, const char *line, unsigned len);
	void *arg;
};

void ttylog_put(struct ttylog *t, const char *p, size_t n);
/* Emits the unfinished line, if any (a prompt before a read waits). */
void ttylog_flush(struct ttylog *t);

#endif /* CONSOLE_TTYLOG_H */
