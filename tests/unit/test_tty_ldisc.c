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

/* Each discipline test starts from a fresh line discipline and echo. */
struct term {
	struct ldisc l;
	struct ldisc_echo e;
};

static int term_setup(void **state)
{
	struct term *f = test_calloc(1, sizeof(*f));
	if (!f)
		return -1;
	ldisc_init(&f->l);
	*state = f;
	return 0;
}

static int term_teardown(void **state)
{
	test_free(*state);
	return 0;
}

static void canonical_erase_kill(void **state)
{
	struct term *f = *state;
	assert_int_equal(type(&f->l, "abc\x7f" "d", &f->e), 0);
	assert_echo(&f->e, "abc\b \bd");
	assert_false(ldisc_ready(&f->l, 100));          /* no line yet */
	assert_int_equal(ldisc_pending(&f->l), 0);
	type(&f->l, "\r", &f->e);                       /* ICRNL: Enter ends it */
	assert_echo(&f->e, "\n");
	assert_int_equal(ldisc_pending(&f->l), 4);
	assert_read(&f->l, 100, "abd\n");
	assert_false(ldisc_ready(&f->l, 100));
	/* Erase on an empty line does nothing; kill (^U) takes the line back. */
	type(&f->l, "\x7fxy\x15z\n", &f->e);
	assert_echo(&f->e, "xy\b \b\b \bz\n");
	assert_read(&f->l, 100, "z\n");
}

static void canonical_one_line_per_read(void **state)
{
	struct term *f = *state;
	type(&f->l, "one\ntwo\n", &f->e);
	assert_int_equal(ldisc_pending(&f->l), 8);
	assert_read(&f->l, 2, "on");    /* a line read in parts */
	assert_read(&f->l, 100, "e\n");
	assert_read(&f->l, 100, "two\n");
	assert_false(ldisc_ready(&f->l, 1));
}

static void canonical_eof(void **state)
{
	struct term *f = *state;
	/* ^D after text: the text without a newline; on an empty line: EOF. */
	type(&f->l, "ab\x04\x04" "c\n", &f->e);
	assert_echo(&f->e, "abc\n");
	assert_read(&f->l, 100, "ab");
	assert_read(&f->l, 100, "");    /* end of file, consumed */
	assert_read(&f->l, 100, "c\n");
}

static void no_echo(void **state)
{
	struct term *f = *state;
	struct tty_termios t;
	t = f->l.t;
	t.c_lflag &= ~TTY_ECHO;
	ldisc_set(&f->l, &t, 0);
	type(&f->l, "secret\n", &f->e);
	assert_int_equal(f->e.len, 0);
	assert_read(&f->l, 100, "secret\n");
	/* ECHONL echoes the newline alone. */
	t.c_lflag |= TTY_ECHONL;
	ldisc_set(&f->l, &t, 0);
	type(&f->l, "pw\n", &f->e);
	assert_echo(&f->e, "\n");
}

static void raw_vmin(void **state)
{
	struct term *f = *state;
	struct tty_termios t;
	t = f->l.t;
	t.c_lflag &= ~(TTY_ICANON | TTY_ECHO);
	t.c_iflag &= ~TTY_ICRNL;
	t.c_cc[TTY_VMIN] = 1;
	ldisc_set(&f->l, &t, 0);
	assert_false(ldisc_ready(&f->l, 10));
	type(&f->l, "x\r\x7f", &f->e);  /* raw: no mapping, no editing */
	assert_int_equal(f->e.len, 0);
	assert_int_equal(ldisc_pending(&f->l), 3);
	assert_read(&f->l, 1, "x");
	assert_read(&f->l, 10, "\r\x7f");
	/* VMIN 3: a read of 10 waits for 3 bytes; a read of 2 for 2. */
	t.c_cc[TTY_VMIN] = 3;
	ldisc_set(&f->l, &t, 0);
	type(&f->l, "ab", &f->e);
	assert_false(ldisc_ready(&f->l, 10));
	assert_true(ldisc_ready(&f->l, 2));
	type(&f->l, "c", &f->e);
	assert_read(&f->l, 10, "abc");
	/* VMIN 0: a read never waits, and may return nothing. */
	t.c_cc[TTY_VMIN] = 0;
	ldisc_set(&f->l, &t, 0);
	assert_read(&f->l, 10, "");
}

static void signals(void **state)
{
	struct term *f = *state;
	struct tty_termios t;
	type(&f->l, "done\n", &f->e);
	assert_int_equal(type(&f->l, "half\x03", &f->e), TTY_SIGINT);
	assert_echo(&f->e, "half^C");
	/* The signal flushed the pending input, typed and delivered. */
	assert_int_equal(ldisc_pending(&f->l), 0);
	assert_false(ldisc_ready(&f->l, 1));
	assert_int_equal(type(&f->l, "\x1c", &f->e), TTY_SIGQUIT);
	assert_int_equal(type(&f->l, "\x1a", &f->e), TTY_SIGTSTP);
	/* NOFLSH keeps the input; without ISIG ^C is a byte like any other. */
	t = f->l.t;
	t.c_lflag |= TTY_NOFLSH;
	ldisc_set(&f->l, &t, 0);
	type(&f->l, "k\n", &f->e);
	assert_int_equal(type(&f->l, "\x03", &f->e), TTY_SIGINT);
	assert_read(&f->l, 10, "k\n");
	t.c_lflag &= ~(TTY_ISIG | TTY_ICANON);
	ldisc_set(&f->l, &t, 0);
	assert_int_equal(type(&f->l, "\x03", &f->e), 0);
	assert_read(&f->l, 10, "\x03");
	/* A disabled character (0) raises nothing, even for byte 0. */
	ldisc_init(&f->l);
	t = f->l.t;
	t.c_cc[TTY_VINTR] = 0;
	ldisc_set(&f->l, &t, 0);
	assert_int_equal(type(&f->l, "\x03", &f->e), 0);
	assert_int_equal(ldisc_input(&f->l, 0, &f->e), 0);
}

static void mode_changes(void **state)
{
	struct term *f = *state;
	struct tty_termios canon, raw;
	canon = raw = f->l.t;
	raw.c_lflag &= ~TTY_ICANON;
	type(&f->l, "part", &f->e);
	ldisc_set(&f->l, &raw, 0);      /* the edited line becomes bytes */
	assert_read(&f->l, 2, "pa");
	ldisc_set(&f->l, &canon, 0);    /* the rest becomes one line */
	assert_read(&f->l, 10, "rt");
	type(&f->l, "gone", &f->e);
	ldisc_set(&f->l, &canon, 1);    /* TCSETSF: input flushed */
	assert_int_equal(ldisc_pending(&f->l), 0);
	type(&f->l, "\n", &f->e);
	assert_read(&f->l, 10, "\n");
}

static void long_line_and_full_queue(void **state)
{
	struct term *f = *state;
	char big[LDISC_EDIT_MAX + 50];
	char want[LDISC_EDIT_MAX + 1];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	type(&f->l, big, &f->e);
	type(&f->l, "\n", &f->e);
	/* The line stops at the edit buffer, its newline kept. */
	memset(want, 'x', LDISC_EDIT_MAX - 1);
	want[LDISC_EDIT_MAX - 1] = '\n';
	want[LDISC_EDIT_MAX] = '\0';
	assert_read(&f->l, sizeof(big), want);
	/* More lines than the queue holds: the ones that fit, in order. */
	for (unsigned i = 0; i < LDISC_LINES + 5; i++)
		type(&f->l, "ab\n", &f->e);
	assert_int_equal(ldisc_pending(&f->l), 3 * LDISC_LINES);
	for (unsigned i = 0; i < LDISC_LINES; i++)
		assert_read(&f->l, 10, "ab\n");
	assert_false(ldisc_ready(&f->l, 1));
}

static void output_onlcr(void **state)
{
	struct term *f = *state;
	struct tty_termios t;
	char out[16];
	assert_int_equal(ldisc_output(&f->l, "a\nb\n", 4, out), 6);
	assert_memory_equal(out, "a\r\nb\r\n", 6);
	t = f->l.t;
	t.c_oflag &= ~TTY_OPOST;
	ldisc_set(&f->l, &t, 0);
	assert_int_equal(ldisc_output(&f->l, "a\n", 2, out), 2);
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
		cmocka_unit_test_setup_teardown(canonical_erase_kill, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(canonical_one_line_per_read, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(canonical_eof, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(no_echo, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(raw_vmin, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(signals, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(mode_changes, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(long_line_and_full_queue, term_setup, term_teardown),
		cmocka_unit_test_setup_teardown(output_onlcr, term_setup, term_teardown),
		cmocka_unit_test(screen_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
