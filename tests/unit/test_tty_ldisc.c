/*
 * Host tests for the console terminal's pure parts (space/console): the
 * line discipline (ldisc.c: canonical editing, echo, raw mode and VMIN,
 * signals, CR/NL mapping, mode changes, FIONREAD) and the log screen
 * (ttylog.c: lines as a terminal would show them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ldisc.h"
#include "ttylog.h"

/* Types s; returns the last signal raised (0: none); the echo in *e. */
static int type(struct ldisc *l, const char *s, struct ldisc_echo *e)
{
	int sig = 0;
	e->len = 0;
	for (; *s; s++) {
		int r = ldisc_input(l, (uint8_t)*s, e);
		if (r)
			sig = r;
	}
	return sig;
}

static void assert_echo(const struct ldisc_echo *e, const char *want)
{
	assert_int_equal(e->len, strlen(want));
	assert_memory_equal(e->buf, want, e->len);
}

static void assert_read(struct ldisc *l, size_t n, const char *want)
{
	char buf[LDISC_QUEUE];
	assert_true(ldisc_ready(l, n));
	size_t got = ldisc_read(l, buf, n);
	assert_int_equal(got, strlen(want));
	assert_memory_equal(buf, want, got);
}

static void canonical_erase_kill(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	(void)state;
	ldisc_init(&l);
	assert_int_equal(type(&l, "abc\x7f" "d", &e), 0);
	assert_echo(&e, "abc\b \bd");
	assert_false(ldisc_ready(&l, 100));             /* no line yet */
	assert_int_equal(ldisc_pending(&l), 0);
	type(&l, "\r", &e);                             /* ICRNL: Enter ends it */
	assert_echo(&e, "\n");
	assert_int_equal(ldisc_pending(&l), 4);
	assert_read(&l, 100, "abd\n");
	assert_false(ldisc_ready(&l, 100));
	/* Erase on an empty line does nothing; kill (^U) takes the line back. */
	type(&l, "\x7fxy\x15z\n", &e);
	assert_echo(&e, "xy\b \b\b \bz\n");
	assert_read(&l, 100, "z\n");
}

static void canonical_one_line_per_read(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	(void)state;
	ldisc_init(&l);
	type(&l, "one\ntwo\n", &e);
	assert_int_equal(ldisc_pending(&l), 8);
	assert_read(&l, 2, "on");       /* a line read in parts */
	assert_read(&l, 100, "e\n");
	assert_read(&l, 100, "two\n");
	assert_false(ldisc_ready(&l, 1));
}

static void canonical_eof(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	(void)state;
	ldisc_init(&l);
	/* ^D after text: the text without a newline; on an empty line: EOF. */
	type(&l, "ab\x04\x04" "c\n", &e);
	assert_echo(&e, "abc\n");
	assert_read(&l, 100, "ab");
	assert_read(&l, 100, "");       /* end of file, consumed */
	assert_read(&l, 100, "c\n");
}

static void no_echo(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	struct tty_termios t;
	(void)state;
	ldisc_init(&l);
	t = l.t;
	t.c_lflag &= ~TTY_ECHO;
	ldisc_set(&l, &t, 0);
	type(&l, "secret\n", &e);
	assert_int_equal(e.len, 0);
	assert_read(&l, 100, "secret\n");
	/* ECHONL echoes the newline alone. */
	t.c_lflag |= TTY_ECHONL;
	ldisc_set(&l, &t, 0);
	type(&l, "pw\n", &e);
	assert_echo(&e, "\n");
}

static void raw_vmin(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	struct tty_termios t;
	(void)state;
	ldisc_init(&l);
	t = l.t;
	t.c_lflag &= ~(TTY_ICANON | TTY_ECHO);
	t.c_iflag &= ~TTY_ICRNL;
	t.c_cc[TTY_VMIN] = 1;
	ldisc_set(&l, &t, 0);
	assert_false(ldisc_ready(&l, 10));
	type(&l, "x\r\x7f", &e);        /* raw: no mapping, no editing */
	assert_int_equal(e.len, 0);
	assert_int_equal(ldisc_pending(&l), 3);
	assert_read(&l, 1, "x");
	assert_read(&l, 10, "\r\x7f");
	/* VMIN 3: a read of 10 waits for 3 bytes; a read of 2 for 2. */
	t.c_cc[TTY_VMIN] = 3;
	ldisc_set(&l, &t, 0);
	type(&l, "ab", &e);
	assert_false(ldisc_ready(&l, 10));
	assert_true(ldisc_ready(&l, 2));
	type(&l, "c", &e);
	assert_read(&l, 10, "abc");
	/* VMIN 0: a read never waits, and may return nothing. */
	t.c_cc[TTY_VMIN] = 0;
	ldisc_set(&l, &t, 0);
	assert_read(&l, 10, "");
}

static void signals(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	struct tty_termios t;
	(void)state;
	ldisc_init(&l);
	type(&l, "done\n", &e);
	assert_int_equal(type(&l, "half\x03", &e), TTY_SIGINT);
	assert_echo(&e, "half^C");
	/* The signal flushed the pending input, typed and delivered. */
	assert_int_equal(ldisc_pending(&l), 0);
	assert_false(ldisc_ready(&l, 1));
	assert_int_equal(type(&l, "\x1c", &e), TTY_SIGQUIT);
	assert_int_equal(type(&l, "\x1a", &e), TTY_SIGTSTP);
	/* NOFLSH keeps the input; without ISIG ^C is a byte like any other. */
	t = l.t;
	t.c_lflag |= TTY_NOFLSH;
	ldisc_set(&l, &t, 0);
	type(&l, "k\n", &e);
	assert_int_equal(type(&l, "\x03", &e), TTY_SIGINT);
	assert_read(&l, 10, "k\n");
	t.c_lflag &= ~(TTY_ISIG | TTY_ICANON);
	ldisc_set(&l, &t, 0);
	assert_int_equal(type(&l, "\x03", &e), 0);
	assert_read(&l, 10, "\x03");
	/* A disabled character (0) raises nothing, even for byte 0. */
	ldisc_init(&l);
	t = l.t;
	t.c_cc[TTY_VINTR] = 0;
	ldisc_set(&l, &t, 0);
	assert_int_equal(type(&l, "\x03", &e), 0);
	assert_int_equal(ldisc_input(&l, 0, &e), 0);
}

static void mode_changes(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	struct tty_termios canon, raw;
	(void)state;
	ldisc_init(&l);
	canon = raw = l.t;
	raw.c_lflag &= ~TTY_ICANON;
	type(&l, "part", &e);
	ldisc_set(&l, &raw, 0);         /* the edited line becomes bytes */
	assert_read(&l, 2, "pa");
	ldisc_set(&l, &canon, 0);       /* the rest becomes one line */
	assert_read(&l, 10, "rt");
	type(&l, "gone", &e);
	ldisc_set(&l, &canon, 1);       /* TCSETSF: input flushed */
	assert_int_equal(ldisc_pending(&l), 0);
	type(&l, "\n", &e);
	assert_read(&l, 10, "\n");
}

static void long_line_and_full_queue(void **state)
{
	struct ldisc l;
	struct ldisc_echo e;
	char big[LDISC_EDIT_MAX + 50];
	char want[LDISC_EDIT_MAX + 1];
	(void)state;
	ldisc_init(&l);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	type(&l, big, &e);
	type(&l, "\n", &e);
	/* The line stops at the edit buffer, its newline kept. */
	memset(want, 'x', LDISC_EDIT_MAX - 1);
	want[LDISC_EDIT_MAX - 1] = '\n';
	want[LDISC_EDIT_MAX] = '\0';
	assert_read(&l, sizeof(big), want);
	/* More lines than the queue holds: the ones that fit, in order. */
	for (unsigned i = 0; i < LDISC_LINES + 5; i++)
		type(&l, "ab\n", &e);
	assert_int_equal(ldisc_pending(&l), 3 * LDISC_LINES);
	for (unsigned i = 0; i < LDISC_LINES; i++)
		assert_read(&l, 10, "ab\n");
	assert_false(ldisc_ready(&l, 1));
}

static void output_onlcr(void **state)
{
	struct ldisc l;
	struct tty_termios t;
	char out[16];
	(void)state;
	ldisc_init(&l);
	assert_int_equal(ldisc_output(&l, "a\nb\n", 4, out), 6);
	assert_memory_equal(out, "a\r\nb\r\n", 6);
	t = l.t;
	t.c_oflag &= ~TTY_OPOST;
	ldisc_set(&l, &t, 0);
	assert_int_equal(ldisc_output(&l, "a\n", 2, out), 2);
	assert_memory_equal(out, "a\n", 2);
}

static char lines[8][TTYLOG_LINE_MAX + 1];
static unsigned nlines;

static void emit(void *arg, const char *line, unsigned len)
{
	(void)arg;
	assert_true(nlines < 8);
	memcpy(lines[nlines], line, len);
	lines[nlines++][len] = '\0';
}

static void screen_lines(void **state)
{
	struct ttylog t = { .emit = emit };
	const char *out = "$ \x1b[Jabc\b \b\r\nx\ty\r\n\r\nover\rOV\x01\n"
			  "prompt> ";
	(void)state;
	nlines = 0;
	ttylog_put(&t, out, strlen(out));
	assert_int_equal(nlines, 4);
	assert_string_equal(lines[0], "$ ab ");  /* the erased c's blank: tty.c trims it */
	assert_string_equal(lines[1], "x       y");
	assert_string_equal(lines[2], "");
	assert_string_equal(lines[3], "OVer");
	ttylog_flush(&t);
	assert_int_equal(nlines, 5);
	assert_string_equal(lines[4], "prompt> ");
	ttylog_flush(&t);               /* nothing pending: no line */
	assert_int_equal(nlines, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(canonical_erase_kill),
		cmocka_unit_test(canonical_one_line_per_read),
		cmocka_unit_test(canonical_eof),
		cmocka_unit_test(no_echo),
		cmocka_unit_test(raw_vmin),
		cmocka_unit_test(signals),
		cmocka_unit_test(mode_changes),
		cmocka_unit_test(long_line_and_full_queue),
		cmocka_unit_test(output_onlcr),
		cmocka_unit_test(screen_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
