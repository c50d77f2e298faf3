/*
 * The terminal's line discipline (ldisc.h): POSIX's general terminal
 * interface, the part Aion's console needs: canonical input with erase,
 * kill and end of file, echo, raw input with VMIN, signals from ^C ^\ ^Z,
 * CR/NL mapping. Delivered bytes wait in a ring; in canonical mode the
 * ring's lines are counted so that a read returns at most one line.
 */
#include "common/string.h"
#include "ldisc.h"

void ldisc_init(struct ldisc *l)
{
	memset(l, 0, sizeof(*l));
	l->t.c_iflag = TTY_ICRNL;
	l->t.c_oflag = TTY_OPOST | TTY_ONLCR;
	l->t.c_cflag = TTY_CFLAG_DEFAULT;
	l->t.c_lflag = TTY_ISIG | TTY_ICANON | TTY_ECHO | TTY_ECHOE | TTY_ECHOK |
		       TTY_ECHOCTL | TTY_ECHOKE | TTY_IEXTEN;
	l->t.c_cc[TTY_VINTR] = 0x03;
	l->t.c_cc[TTY_VQUIT] = 0x1c;
	l->t.c_cc[TTY_VERASE] = 0x7f;
	l->t.c_cc[TTY_VKILL] = 0x15;
	l->t.c_cc[TTY_VEOF] = 0x04;
	l->t.c_cc[TTY_VMIN] = 1;
	l->t.c_cc[TTY_VSUSP] = 0x1a;
}

static void echo_put(struct ldisc_echo *e, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n && e->len < sizeof(e->buf); i++)
		e->buf[e->len++] = s[i];
}

/* A byte as echoed: control characters as ^X under ECHOCTL (not tab, NL). */
static void echo_char(const struct ldisc *l, struct ldisc_echo *e, uint8_t c)
{
	if ((l->t.c_lflag & TTY_ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') {
		char two[2] = { '^', (char)(c == 0x7f ? '?' : c + '@') };
		echo_put(e, two, 2);
	} else {
		echo_put(e, (const char *)&c, 1);
	}
}

static void erase_one(const struct ldisc *l, struct ldisc_echo *e)
{
	if (l->t.c_lflag & TTY_ECHOE)
		echo_put(e, "\b \b", 3);
	else
		echo_char(l, e, l->t.c_cc[TTY_VERASE]);
}

/* Appends n bytes to the ring; false (nothing taken) when they do not fit. */
static int queue_put(struct ldisc *l, const char *p, unsigned n)
{
	if (l->qlen + n > LDISC_QUEUE)
		return 0;
	for (unsigned i = 0; i < n; i++)
		l->q[(l->qhead + l->qlen + i) % LDISC_QUEUE] = p[i];
	l->qlen += n;
	return 1;
}

/* A finished canonical line (n 0: end of file) becomes readable; a full
 * queue drops it, as a terminal drops what overflows its buffer. */
static void deliver_line(struct ldisc *l, const char *p, unsigned n)
{
	if (l->lcount == LDISC_LINES || !queue_put(l, p, n))
		return;
	l->lines[(l->lhead + l->lcount++) % LDISC_LINES] = (uint16_t)n;
}

static int signal_of(const struct ldisc *l, uint8_t c)
{
	const uint8_t *cc = l->t.c_cc;
	/* A c_cc entry of 0 is disabled (_POSIX_VDISABLE). */
	if (c && c == cc[TTY_VINTR])
		return TTY_SIGINT;
	if (c && c == cc[TTY_VQUIT])
		return TTY_SIGQUIT;
	if (c && c == cc[TTY_VSUSP])
		return TTY_SIGTSTP;
	return 0;
}

static void canonical(struct ldisc *l, uint8_t c, struct ldisc_echo *e)
{
	const uint8_t *cc = l->t.c_cc;
	int echo = !!(l->t.c_lflag & TTY_ECHO);

	if (c && c == cc[TTY_VERASE]) {
		if (l->elen) {
			l->elen--;
			if (echo)
				erase_one(l, e);
		}
	} else if (c && c == cc[TTY_VKILL]) {
		if (echo && (l->t.c_lflag & TTY_ECHOKE))
			while (l->elen--)
				erase_one(l, e);
		else if (echo) {
			echo_char(l, e, c);
			if (l->t.c_lflag & TTY_ECHOK)
				echo_put(e, "\n", 1);
		}
		l->elen = 0;
	} else if (c && c == cc[TTY_VEOF]) {
		/* The line so far, without the ^D; on an empty line: end of file. */
		deliver_line(l, l->edit, l->elen);
		l->elen = 0;
	} else if (c == '\n') {
		l->edit[l->elen++] = '\n';      /* room kept: see below */
		deliver_line(l, l->edit, l->elen);
		l->elen = 0;
		if (echo || (l->t.c_lflag & TTY_ECHONL))
			echo_put(e, "\n", 1);
	} else if (l->elen < LDISC_EDIT_MAX - 1) {
		/* The last byte of edit is kept for the newline. */
		l->edit[l->elen++] = (char)c;
		if (echo)
			echo_char(l, e, c);
	}
}

int ldisc_input(struct ldisc *l, uint8_t c, struct ldisc_echo *e)
{
	const struct tty_termios *t = &l->t;

	if (c == '\r' && (t->c_iflag & TTY_IGNCR))
		return 0;
	if (c == '\r' && (t->c_iflag & TTY_ICRNL))
		c = '\n';
	else if (c == '\n' && (t->c_iflag & TTY_INLCR))
		c = '\r';
	int sig = (t->c_lflag & TTY_ISIG) ? signal_of(l, c) : 0;
	if (sig) {
		if (!(t->c_lflag & TTY_NOFLSH))
			l->elen = l->qlen = l->lcount = 0;
		if (t->c_lflag & TTY_ECHO)
			echo_char(l, e, c);
		return sig;
	}
	if (t->c_lflag & TTY_ICANON) {
		canonical(l, c, e);
	} else if (queue_put(l, (const char *)&c, 1) && (t->c_lflag & TTY_ECHO)) {
		echo_char(l, e, c);
	}
	return 0;
}

void ldisc_set(struct ldisc *l, const struct tty_termios *t, int flush)
{
	int was_canon = !!(l->t.c_lflag & TTY_ICANON), canon = !!(t->c_lflag & TTY_ICANON);

	l->t = *t;
	if (flush) {
		l->elen = l->qlen = l->lcount = 0;
		return;
	}
	if (was_canon && !canon) {
		queue_put(l, l->edit, l->elen);
		l->elen = 0;
		l->lcount = 0;
	} else if (!was_canon && canon) {
		l->lcount = 0;
		if (l->qlen) {
			l->lhead = 0;
			l->lines[l->lcount++] = (uint16_t)l->qlen;
		}
	}
}

int ldisc_ready(const struct ldisc *l, size_t want)
{
	if (l->t.c_lflag & TTY_ICANON)
		return l->lcount > 0;
	size_t vmin = l->t.c_cc[TTY_VMIN];
	return l->qlen >= (vmin < want ? vmin : want);
}

size_t ldisc_pending(const struct ldisc *l)
{
	if (!(l->t.c_lflag & TTY_ICANON))
		return l->qlen;
	size_t n = 0;
	for (unsigned i = 0; i < l->lcount; i++)
		n += l->lines[(l->lhead + i) % LDISC_LINES];
	return n;
}

static size_t queue_take(struct ldisc *l, char *out, size_t n)
{
	if (n > l->qlen)
		n = l->qlen;
	for (size_t i = 0; i < n; i++)
		out[i] = l->q[(l->qhead + i) % LDISC_QUEUE];
	l->qhead = (unsigned)((l->qhead + n) % LDISC_QUEUE);
	l->qlen -= (unsigned)n;
	return n;
}

size_t ldisc_read(struct ldisc *l, char *out, size_t n)
{
	if (!(l->t.c_lflag & TTY_ICANON))
		return queue_take(l, out, n);
	if (!l->lcount)
		return 0;
	uint16_t *line = &l->lines[l->lhead];
	size_t got = queue_take(l, out, n < *line ? n : *line);
	*line = (uint16_t)(*line - got);
	/* An end of file (a line of 0) is consumed by the read that sees it;
	 * a line read in parts goes once its last byte is taken. */
	if (!*line) {
		l->lhead = (l->lhead + 1) % LDISC_LINES;
		l->lcount--;
	}
	return got;
}

size_t ldisc_output(const struct ldisc *l, const char *in, size_t n, char *out)
{
	size_t o = 0;
	int crnl = (l->t.c_oflag & TTY_OPOST) && (l->t.c_oflag & TTY_ONLCR);
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && crnl)
			out[o++] = '\r';
		out[o++] = in[i];
	}
	return o;
}
