/*
 * The terminal's line discipline (docs/posix.md "The terminal"): input
 * bytes and the termios settings in, what a read delivers, what is echoed
 * and which signal is raised out. Pure logic, no system call: the console
 * unit (tty.c) runs it and tests/unit/test_tty_ldisc.c drives the same
 * file on the host.
 */
#ifndef CONSOLE_LDISC_H
#define CONSOLE_LDISC_H

#include <stddef.h>
#include <stdint.h>
#include "aion/tty.h"

#define LDISC_EDIT_MAX  255     /* a canonical line, its newline included */
#define LDISC_QUEUE     1024    /* delivered bytes not yet read */
#define LDISC_LINES     64      /* delivered canonical lines not yet read */
#define LDISC_ECHO_MAX  (3 * LDISC_EDIT_MAX + 8)

struct ldisc {
	struct tty_termios t;
	char edit[LDISC_EDIT_MAX];      /* the canonical line being edited */
	unsigned elen;
	char q[LDISC_QUEUE];            /* delivered bytes: a ring */
	unsigned qhead, qlen;
	/* Canonical mode: the lengths of the delivered lines in q, oldest
	 * first; a 0 is an end of file (^D on an empty line). */
	uint16_t lines[LDISC_LINES];
	unsigned lhead, lcount;
};

/* What one input byte makes the terminal write back. */
struct ldisc_echo {
	char buf[LDISC_ECHO_MAX];
	unsigned len;
};

/* Linux's defaults of a fresh terminal: canonical, echo, signals, CR->NL
 * on input, NL->CRNL on output; ^C ^\ DEL ^U ^D ^Z. */
void ldisc_init(struct ldisc *l);

/*
 * One input byte. Appends its echo to *e (which must have room for
 * LDISC_ECHO_MAX - e->len >= 3 * LDISC_EDIT_MAX bytes). Returns the signal
 * it raises (TTY_SIGINT, TTY_SIGQUIT, TTY_SIGTSTP) or 0.
 */
int ldisc_input(struct ldisc *l, uint8_t c, struct ldisc_echo *e);

/* New settings (TCSETS*): flush drops pending input (TCSETSF). A change
 * between canonical and raw keeps what was typed: raw makes the edited
 * line readable bytes, canonical makes the readable bytes one line. */
void ldisc_set(struct ldisc *l, const struct tty_termios *t, int flush);

/* Would a read of want bytes return now (canonical: a line is there;
 * raw: min(VMIN, want) bytes, VMIN 0: always)? */
int ldisc_ready(const struct ldisc *l, size_t want);

/* Takes up to n delivered bytes (canonical: from one line only; 0 at an
 * end of file, which it consumes). Call only when ldisc_ready. */
size_t ldisc_read(struct ldisc *l, char *out, size_t n);

/* Bytes a read could take now (FIONREAD). */
size_t ldisc_pending(const struct ldisc *l);

/*
 * Output processing (OPOST, ONLCR): in -> out, which has room for 2 * n
 * bytes. Returns the bytes written.
 */
size_t ldisc_output(const struct ldisc *l, const char *in, size_t n, char *out);

#endif /* CONSOLE_LDISC_H */
