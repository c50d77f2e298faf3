/*
 * The tty's output rendered as log lines (ttylog.h).
 */
#include "ttylog.h"

static void line_end(struct ttylog *t)
{
	t->emit(t->arg, t->line, t->len);
	t->len = t->col = 0;
}

static void put_one(struct ttylog *t, char c)
{
	if (t->esc == 1) {
		t->esc = c == '[' ? 2 : 0;
		return;
	}
	if (t->esc == 2) {
		/* Parameters and intermediates until the final byte, @..~. */
		if (c >= 0x40 && c <= 0x7e)
			t->esc = 0;
		return;
	}
	switch (c) {
	case '\n':
		line_end(t);
		return;
	case '\r':
		t->col = 0;
		return;
	case '\b':
		if (t->col)
			t->col--;
		return;
	case '\t':
		do
			put_one(t, ' ');
		while (t->col % 8 && t->col < TTYLOG_LINE_MAX);
		return;
	case 0x1b:
		t->esc = 1;
		return;
	default:
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return;
	}
	if (t->col == TTYLOG_LINE_MAX)
		line_end(t);
	t->line[t->col++] = c;
	if (t->col > t->len)
		t->len = t->col;
}

void ttylog_put(struct ttylog *t, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_one(t, p[i]);
}

void ttylog_flush(struct ttylog *t)
{
	if (t->len)
		line_end(t);
}
