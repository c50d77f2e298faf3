/*
 * The console's terminal (aion/tty.h, docs/posix.md "The terminal"): open
 * records with holders, as vfsd's (VFS_RETAIN, VFS_CLOSE), over one line
 * discipline (ldisc.c) and one screen, the node's log (ttylog.c). A read
 * that finds nothing saves its reply and is answered when input arrives,
 * so the server never blocks on a client. The signals of ^C, ^\ and ^Z go
 * to the foreground process group through the capability the session
 * leader gave with TIOCSCTTY.
 */
#include "aion/proc.h"
#include "aion/tty.h"
#include "ldisc.h"
#include "ttylog.h"
#include "tty.h"

#define RECORDS         16
#define READERS         16
#define WINSZ_ROWS      24
#define WINSZ_COLS      80
/* procd may itself be calling us (a spawn retains the record): a kill
 * that waits longer is dropped rather than deadlocking the two. */
#define SIGNAL_TIMEOUT_NS       (1000 * 1000000ull)

struct record {
	uint32_t gen, holders, flags;   /* flags: VFS_O_READ/WRITE/NONBLOCK */
	aion_handle_t cap;
};

/* A VFS_READ waiting for input: its saved reply. */
struct reader {
	bool used;
	unsigned rec;
	uint32_t gen;
	aion_handle_t reply;
	uint64_t want;
};

static struct {
	aion_handle_t ep;
	struct aion_ipc_buffer *buf;
	struct ldisc l;
	struct ttylog log;
	struct tty_winsize ws;
	int32_t fg_pgrp;
	aion_handle_t proc;             /* the session leader's procd capability */
	struct record rec[RECORDS];
	struct reader rd[READERS];      /* in arrival order of their slots */
	uint64_t rd_seq[READERS];
	uint64_t seq;
} tty;

static void log_line(void *arg, const char *line, unsigned len)
{
	(void)arg;
	/* A terminal shows no trailing blanks ("\b \b" leaves one behind). */
	while (len && line[len - 1] == ' ')
		len--;
	aion_debug_log(line, len);
}

static void reset(void)
{
	ldisc_init(&tty.l);
	tty.ws = (struct tty_winsize){ .ws_row = WINSZ_ROWS, .ws_col = WINSZ_COLS };
	tty.fg_pgrp = 0;
	if (tty.proc)
		aion_handle_close(tty.proc);
	tty.proc = 0;
}

void tty_init(aion_handle_t ep, struct aion_ipc_buffer *buf)
{
	tty.ep = ep;
	tty.buf = buf;
	tty.log.emit = log_line;
	reset();
}

bool tty_active(void)
{
	for (unsigned i = 0; i < RECORDS; i++)
		if (tty.rec[i].holders)
			return true;
	return false;
}

/* Output through OPOST to the screen. */
static void show(const char *p, size_t n)
{
	char out[2 * 64];
	while (n) {
		size_t k = n < 64 ? n : 64;
		ttylog_put(&tty.log, out, ldisc_output(&tty.l, p, k, out));
		p += k;
		n -= k;
	}
}

static int64_t reply_words(int64_t w0, uint64_t w1, unsigned len, unsigned caps)
{
	struct aion_msg r = { .tag = AION_TAG(0, len, caps), .w = { (uint64_t)w0, w1, 0 } };
	int64_t err = aion_reply(&r);
	if (err)
		aion_printf("tty: reply failed err=%s", aion_error_name(err));
	return err;
}

/* Answers the waiting reads that input now satisfies, oldest first. */
static void wake_readers(void)
{
	for (;;) {
		int best = -1;
		for (int i = 0; i < READERS; i++)
			if (tty.rd[i].used && ldisc_ready(&tty.l, tty.rd[i].want) &&
			    (best < 0 || tty.rd_seq[i] < tty.rd_seq[best]))
				best = i;
		if (best < 0)
			return;
		struct reader *r = &tty.rd[best];
		ttylog_flush(&tty.log);
		size_t n = ldisc_read(&tty.l, (char *)tty.buf->payload, r->want);
		struct aion_msg m = { .tag = AION_TAG(0, n, 0), .w = { n, 0, 0 } };
		aion_reply_to(r->reply, &m);    /* a caller that died meanwhile: nothing to do */
		r->used = false;
	}
}

/* Sends sig to the foreground group, as the session leader. */
static void signal_fg(int sig)
{
	if (!tty.proc || tty.fg_pgrp <= 0)
		return;
	struct aion_msg m = { .tag = AION_TAG(PROC_KILL, 0, 0),
			      .w = { (uint64_t)(int64_t)-tty.fg_pgrp, (uint64_t)sig, 0 } };
	int64_t err = aion_call(tty.proc, &m, SIGNAL_TIMEOUT_NS);
	int64_t r = err ? err : (int64_t)m.w[0];
	aion_printf("tty: signal=%d pgrp=%d result=%ld", sig, tty.fg_pgrp, (long)r);
}

void tty_input(uint8_t c)
{
	struct ldisc_echo e = { .len = 0 };
	int sig = ldisc_input(&tty.l, c, &e);
	show(e.buf, e.len);
	if (sig)
		signal_fg(sig);
	wake_readers();
}

static struct record *record_of(uint64_t badge)
{
	if (!VFS_BADGE_VALID(badge) || VFS_BADGE_INDEX(badge) >= RECORDS)
		return NULL;
	struct record *r = &tty.rec[VFS_BADGE_INDEX(badge)];
	return r->holders && r->gen == VFS_BADGE_GEN(badge) ? r : NULL;
}

static void record_end(struct record *r);

static void serve_open(const struct aion_msg *m)
{
	for (unsigned i = 0; i < RECORDS; i++) {
		struct record *r = &tty.rec[i];
		if (r->holders)
			continue;
		r->gen = (r->gen + 1) & 0xffffff;
		int64_t cap = aion_cap_mint(tty.ep, AION_RIGHT_SEND | AION_RIGHT_GRANT,
					    VFS_BADGE(i, r->gen));
		if (cap < 0) {
			reply_words(cap, 0, 0, 0);
			return;
		}
		r->cap = (aion_handle_t)cap;
		r->holders = 1;
		r->flags = (uint32_t)m->w[1] & (VFS_O_READ | VFS_O_WRITE | VFS_O_NONBLOCK);
		tty.buf->caps[0] = r->cap;
		tty.buf->cap_rights[0] = AION_RIGHT_SEND | AION_RIGHT_GRANT;
		/* A caller that accepts no capability gets nothing: no holder. */
		if (reply_words(0, VFS_S_IFCHR, 0, 1)) {
			r->holders = 0;
			record_end(r);
		}
		return;
	}
	reply_words(-AION_ENOSPC, 0, 0, 0);
}

static void serve_read(struct record *r, const struct aion_msg *m)
{
	uint64_t want = m->w[1] < VFS_IO_MAX ? m->w[1] : VFS_IO_MAX;
	if (!(r->flags & VFS_O_READ)) {
		reply_words(-AION_EBADF, 0, 0, 0);
		return;
	}
	if (!want || ldisc_ready(&tty.l, want)) {
		/* What was written before a read (a prompt) is its own line,
		 * whether input was typed ahead or not. */
		ttylog_flush(&tty.log);
		size_t n = want ? ldisc_read(&tty.l, (char *)tty.buf->payload, want) : 0;
		reply_words((int64_t)n, 0, (unsigned)n, 0);
		return;
	}
	if (r->flags & VFS_O_NONBLOCK) {
		reply_words(-AION_EAGAIN, 0, 0, 0);
		return;
	}
	for (int i = 0; i < READERS; i++) {
		if (tty.rd[i].used)
			continue;
		int64_t h = aion_reply_save();
		if (h < 0) {
			reply_words(h, 0, 0, 0);
			return;
		}
		tty.rd[i] = (struct reader){ .used = true, .rec = (unsigned)(r - tty.rec),
					     .gen = r->gen, .reply = (aion_handle_t)h, .want = want };
		tty.rd_seq[i] = ++tty.seq;
		/* The reader waits: what was written so far is on the screen
		 * (a prompt has no newline). */
		ttylog_flush(&tty.log);
		return;
	}
	reply_words(-AION_EAGAIN, 0, 0, 0);     /* READERS reads wait already */
}

static void serve_write(struct record *r, const struct aion_msg *m)
{
	unsigned n = AION_TAG_LEN(m->tag);
	if (!(r->flags & VFS_O_WRITE)) {
		reply_words(-AION_EBADF, 0, 0, 0);
		return;
	}
	show((const char *)tty.buf->payload, n);
	reply_words(n, 0, 0, 0);
}

/* The last holder went: its waiting reads fail, the capability goes. */
static void record_end(struct record *r)
{
	unsigned idx = (unsigned)(r - tty.rec);
	for (int i = 0; i < READERS; i++) {
		struct reader *rd = &tty.rd[i];
		if (rd->used && rd->rec == idx) {
			struct aion_msg m = { .w = { (uint64_t)-AION_EBADF, 0, 0 } };
			aion_reply_to(rd->reply, &m);
			rd->used = false;
		}
	}
	aion_cap_revoke(r->cap);
	aion_handle_close(r->cap);
	r->cap = 0;
	if (!tty_active()) {
		/* The session is over: the next one finds a fresh terminal. */
		ttylog_flush(&tty.log);
		reset();
	}
}

static int64_t ioctl_in(const struct aion_msg *m, void *p, unsigned size)
{
	if (AION_TAG_LEN(m->tag) != size)
		return -AION_EINVAL;
	memcpy(p, tty.buf->payload, size);
	return 0;
}

/* VFS_IOCTL: the reply's w0, with *len bytes of payload put in the buffer. */
static int64_t ioctl(const struct aion_msg *m, unsigned *len)
{
	struct tty_termios t;
	struct tty_winsize ws;
	int64_t err;

	*len = 0;
	switch (m->w[1]) {
	case TTY_TCGETS:
		memcpy(tty.buf->payload, &tty.l.t, sizeof(tty.l.t));
		*len = sizeof(tty.l.t);
		return 0;
	case TTY_TCSETS: case TTY_TCSETSW: case TTY_TCSETSF:
		if ((err = ioctl_in(m, &t, sizeof(t))))
			return err;
		ldisc_set(&tty.l, &t, m->w[1] == TTY_TCSETSF);
		wake_readers();         /* raw mode may make typed bytes readable */
		return 0;
	case TTY_TIOCGWINSZ:
		memcpy(tty.buf->payload, &tty.ws, sizeof(tty.ws));
		*len = sizeof(tty.ws);
		return 0;
	case TTY_TIOCSWINSZ:
		if ((err = ioctl_in(m, &ws, sizeof(ws))))
			return err;
		tty.ws = ws;
		return 0;
	case TTY_TIOCGPGRP:
		return tty.fg_pgrp;
	case TTY_TIOCSPGRP:
		if ((int64_t)m->w[2] <= 0 || (int64_t)m->w[2] > PROC_PID_MAX)
			return -AION_EINVAL;
		tty.fg_pgrp = (int32_t)m->w[2];
		return 0;
	case TTY_TIOCSCTTY:
		if (AION_TAG_CAPS(m->tag) != 1 || (int64_t)m->w[2] <= 0 ||
		    (int64_t)m->w[2] > PROC_PID_MAX)
			return -AION_EINVAL;
		if (tty.proc)
			aion_handle_close(tty.proc);
		tty.proc = tty.buf->caps[0];
		tty.fg_pgrp = (int32_t)m->w[2];
		return 0;
	case TTY_FIONREAD:
		return (int64_t)ldisc_pending(&tty.l);
	default:
		return -AION_ENOSYS;
	}
}

static void serve_record(struct record *r, const struct aion_msg *m)
{
	struct vfs_stat st = { .mode = VFS_S_IFCHR | 0620, .nlink = 1, .ino = 1 };
	unsigned len = 0;
	int64_t res;

	switch (AION_TAG_LABEL(m->tag)) {
	case VFS_READ:
		serve_read(r, m);
		return;
	case VFS_WRITE:
		serve_write(r, m);
		return;
	case VFS_FSTAT:
		memcpy(tty.buf->payload, &st, sizeof(st));
		reply_words(0, 0, sizeof(st), 0);
		return;
	case VFS_GETFL:
		reply_words(r->flags, 0, 0, 0);
		return;
	case VFS_SETFL:
		r->flags = (r->flags & ~VFS_O_NONBLOCK) | ((uint32_t)m->w[1] & VFS_O_NONBLOCK);
		reply_words(0, 0, 0, 0);
		return;
	case VFS_SYNC:
		reply_words(0, 0, 0, 0);
		return;
	case VFS_RETAIN:
		if (r->holders >= VFS_HOLDERS_MAX) {
			reply_words(-AION_ERANGE, 0, 0, 0);
			return;
		}
		reply_words(++r->holders, 0, 0, 0);
		return;
	case VFS_CLOSE:
		reply_words(0, 0, 0, 0);
		if (!--r->holders)
			record_end(r);
		return;
	case VFS_IOCTL:
		res = ioctl(m, &len);
		reply_words(res, 0, len, 0);
		return;
	default:
		/* Seeking a terminal, truncating it...: Linux's ESPIPE/EINVAL. */
		reply_words(-AION_EINVAL, 0, 0, 0);
	}
}

void tty_serve(const struct aion_msg *m)
{
	struct record *r;

	if (m->badge == TTY_BADGE_OPEN && AION_TAG_LABEL(m->tag) == VFS_OPEN)
		serve_open(m);
	else if ((r = record_of(m->badge)))
		serve_record(r, m);
	else
		reply_words(m->badge == TTY_BADGE_OPEN ? -AION_ENOSYS : -AION_EBADF, 0, 0, 0);
	/* A capability a call brought and nobody kept (TIOCSCTTY refused). */
	if (AION_TAG_CAPS(m->tag) && tty.buf->caps[0] != tty.proc)
		aion_handle_close(tty.buf->caps[0]);
}
