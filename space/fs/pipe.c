/*
 * Pipes: a ring of VFS_PIPE_SIZE bytes and the table of calls waiting on
 * them. A call's write is all or nothing (at most one payload, which
 * always fits an empty pipe); a write of several calls reserves the room
 * for all of them first, so writes of up to VFS_PIPE_ATOMIC bytes never
 * interleave. Readers take what is there. No locking: vfsd serves one
 * call at a time.
 */
#include "aion/error.h"
#include "common/string.h"
#include "fsmem.h"
#include "pipe.h"

struct pipe *pipe_new(void)
{
	struct pipe *p = fs_alloc(sizeof(*p));
	if (p)
		*p = (struct pipe){ .readers = 1, .writers = 1 };
	return p;
}

void pipe_free(struct pipe *p)
{
	fs_free(p);
}

int64_t pipe_read(struct pipe *p, void *out, uint32_t n)
{
	if (n == 0)
		return 0;
	if (p->count == 0)
		return p->writers ? -AION_EAGAIN : 0;
	uint32_t take = n < p->count ? n : p->count;
	uint32_t first = VFS_PIPE_SIZE - p->head;
	if (first > take)
		first = take;
	memcpy(out, p->buf + p->head, first);
	memcpy((uint8_t *)out + first, p->buf, take - first);
	p->head = (p->head + take) % VFS_PIPE_SIZE;
	p->count -= take;
	if (p->count == 0)
		p->head = 0;            /* keeps later writes in one piece */
	return take;
}

static void put(struct pipe *p, const void *in, uint32_t n)
{
	uint32_t tail = (p->head + p->count) % VFS_PIPE_SIZE;
	uint32_t first = VFS_PIPE_SIZE - tail;
	if (first > n)
		first = n;
	memcpy(p->buf + tail, in, first);
	memcpy(p->buf, (const uint8_t *)in + first, n - first);
	p->count += n;
}

static void resv_end(struct pipe *p)
{
	p->resv = 0;
	p->resv_token = 0;
}

int64_t pipe_write_part(struct pipe *p, const void *in, uint32_t n, uint32_t total,
			uint64_t *token, uint64_t badge)
{
	bool mine = *token && *token == p->resv_token;
	if (n == 0)
		return 0;
	if (!p->readers) {
		if (mine)
			resv_end(p);
		return -AION_EPIPE;
	}
	if (n > VFS_IO_MAX || total > VFS_PIPE_ATOMIC || (total && total <= n))
		return -AION_EINVAL;
	if (*token) {
		if (!mine || n > p->resv)
			return -AION_ETIMEDOUT;
		put(p, in, n);
		p->resv -= n;
		p->resv_at = fs_now();
		if (!p->resv)
			resv_end(p);
		return n;
	}
	uint32_t need = total ? total : n;
	if (p->resv || VFS_PIPE_SIZE - p->count < need)
		return -AION_EAGAIN;
	put(p, in, n);
	if (total) {
		if (++p->next_token == 0)
			p->next_token = 1;
		*token = p->resv_token = p->next_token;
		p->resv = total - n;
		p->resv_badge = badge;
		p->resv_at = fs_now();
	}
	return n;
}

int64_t pipe_write(struct pipe *p, const void *in, uint32_t n)
{
	uint64_t token = 0;
	return pipe_write_part(p, in, n, 0, &token, 0);
}

void pipe_resv_drop(struct pipe *p, uint64_t badge)
{
	if (p->resv && p->resv_badge == badge)
		resv_end(p);
}

bool pipe_resv_lapse(struct pipe *p, uint64_t now)
{
	if (!p->resv || now - p->resv_at < PIPE_RESV_NS)
		return false;
	resv_end(p);
	return true;
}

void pipe_unread(struct pipe *p, const void *data, uint32_t n)
{
	p->head = (p->head + VFS_PIPE_SIZE - n) % VFS_PIPE_SIZE;
	uint32_t first = VFS_PIPE_SIZE - p->head;
	if (first > n)
		first = n;
	memcpy(p->buf + p->head, data, first);
	memcpy(p->buf, (const uint8_t *)data + first, n - first);
	p->count += n;
}

void pipe_unwrite(struct pipe *p, uint32_t n)
{
	p->count -= n;
}

/* A waiting write whose caller is gone: its bytes and its reservation go. */
static void undo_write(struct pipe *p, struct pipe_waiter *w, uint32_t n)
{
	pipe_unwrite(p, n);
	if (w->token && w->token == p->resv_token)
		resv_end(p);
}

/* As Linux: HUP without IN once drained, ERR beside OUT. */
uint32_t pipe_ready(const struct pipe *p, bool read_end)
{
	if (read_end)
		return (p->count ? VFS_POLL_IN : 0) | (p->writers ? 0 : VFS_POLL_HUP);
	return (!p->resv && VFS_PIPE_SIZE - p->count >= VFS_IO_MAX ? VFS_POLL_OUT : 0) |
	       (p->readers ? 0 : VFS_POLL_ERR);
}

int pipe_wait_add(struct pipe_waitq *q, const struct pipe_waiter *w)
{
	for (unsigned i = 0; i < VFS_PIPE_WAITERS; i++) {
		if (q->w[i].pipe)
			continue;
		q->w[i] = *w;
		q->w[i].seq = q->next_seq++;
		return 0;
	}
	return -AION_EAGAIN;
}

bool pipe_writer_waits(const struct pipe_waitq *q, const struct pipe *p)
{
	for (unsigned i = 0; i < VFS_PIPE_WAITERS; i++)
		if (q->w[i].pipe == p && q->w[i].write)
			return true;
	return false;
}

/* The first waiting reader (write false) or writer of p (NULL: of any pipe). */
static struct pipe_waiter *oldest(struct pipe_waitq *q, const struct pipe *p, bool write)
{
	struct pipe_waiter *best = NULL;
	for (unsigned i = 0; i < VFS_PIPE_WAITERS; i++) {
		struct pipe_waiter *w = &q->w[i];
		if (w->pipe && (!p || (w->pipe == p && w->write == write)) &&
		    (!best || w->seq < best->seq))
			best = w;
	}
	return best;
}

struct pipe_waiter *pipe_wait_oldest(struct pipe_waitq *q)
{
	return oldest(q, NULL, false);
}

/* Tries w's call: true when it completed (answered and gone). */
static bool try_one(struct pipe_waiter *w, struct pipe *p, pipe_done_fn *done, void *arg)
{
	int64_t r = w->write ? pipe_write_part(p, w->data, w->len, w->total, &w->token, w->badge)
			     : pipe_read(p, w->data, w->len);
	if (r == -AION_EAGAIN)
		return false;
	w->pipe = NULL;
	if (!done(w, r, arg) && r > 0) {
		if (w->write)
			undo_write(p, w, (uint32_t)r);
		else
			pipe_unread(p, w->data, (uint32_t)r);
	}
	return true;
}

unsigned pipe_wait_run(struct pipe_waitq *q, struct pipe *p, pipe_done_fn *done, void *arg)
{
	unsigned n = 0;
	/* Each round answers at least one waiter, so at most the table's size. */
	for (;;) {
		struct pipe_waiter *r = oldest(q, p, false), *w = oldest(q, p, true);
		unsigned before = n;
		if (r && try_one(r, p, done, arg))
			n++;
		if (w && try_one(w, p, done, arg))
			n++;
		if (n == before)
			return n;
	}
}

unsigned pipe_wait_drop(struct pipe_waitq *q, uint64_t badge, pipe_done_fn *done, void *arg)
{
	unsigned n = 0;
	for (unsigned i = 0; i < VFS_PIPE_WAITERS; i++) {
		struct pipe_waiter *w = &q->w[i];
		if (!w->pipe || w->badge != badge)
			continue;
		w->pipe = NULL;
		done(w, -AION_EBADF, arg);
		n++;
	}
	return n;
}
