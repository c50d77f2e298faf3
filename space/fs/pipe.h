/*
 * Pipes (aion/vfs.h, docs/fs.md "Pipes"): the bounded buffer, the counts
 * of open ends, and the calls that wait for them. Pure code, built into
 * vfsd and into the host tests; vfsd answers the waiters (pipe_ops.c).
 * Every call returns a count, 0, or -AION_E....
 */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include <stdbool.h>
#include <stdint.h>
#include "aion/vfs.h"

/* A write of several payloads that must not interleave: none lapses
 * sooner than this after its last call (a writer that died half way). */
#define PIPE_RESV_NS    (1000ull * 1000 * 1000)

struct pipe {
	uint8_t buf[VFS_PIPE_SIZE];     /* a ring: count bytes from head */
	uint32_t head, count;
	uint32_t readers, writers;      /* open records of each end */
	/* The room kept for the rest of one write (VFS_PIPE_ATOMIC), 0: none. */
	uint32_t resv;
	uint64_t resv_token, resv_badge, resv_at, next_token;
};

/* A new pipe with one read end and one write end open, or NULL. */
struct pipe *pipe_new(void);
void pipe_free(struct pipe *p);

/*
 * Takes up to n bytes: a count > 0; 0 at end of file (empty, no write end
 * left); -AION_EAGAIN when it is empty and a writer may still come.
 */
int64_t pipe_read(struct pipe *p, void *out, uint32_t n);
/*
 * Puts all n bytes (n <= VFS_IO_MAX) or none: n; -AION_EPIPE with no read
 * end left; -AION_EAGAIN when they do not fit yet, or another write's
 * reservation holds the pipe.
 */
int64_t pipe_write(struct pipe *p, const void *in, uint32_t n);
/*
 * The same, for one call of a write of several payloads (aion/vfs.h,
 * VFS_PIPE_ATOMIC). *token 0: total (VFS_IO_MAX < total <=
 * VFS_PIPE_ATOMIC, n < total) is the whole write's size; the call waits
 * (-AION_EAGAIN) until total bytes fit, writes its n and keeps the room
 * for the rest, for record badge; *token is then the reservation's. A
 * later call brings that token and always fits; -AION_ETIMEDOUT when its
 * reservation lapsed or was never there. total 0 with token 0: pipe_write.
 */
int64_t pipe_write_part(struct pipe *p, const void *in, uint32_t n, uint32_t total,
			uint64_t *token, uint64_t badge);
/* A reservation ends: its record closed (badge), or it lapsed (now). */
void pipe_resv_drop(struct pipe *p, uint64_t badge);
bool pipe_resv_lapse(struct pipe *p, uint64_t now);
/* Undoes the last read of n bytes (they go back to the front) or the
 * last write (its n bytes come off the end); nothing may come between. */
void pipe_unread(struct pipe *p, const void *data, uint32_t n);
void pipe_unwrite(struct pipe *p, uint32_t n);
/* The VFS_POLL_* events of one end (read_end, else the write end). */
uint32_t pipe_ready(const struct pipe *p, bool read_end);

/*
 * Calls that wait: a table shared by every pipe of the server, bounded
 * (VFS_PIPE_WAITERS). A waiter names its pipe, its record (badge) and
 * the saved reply; a writer keeps its bytes, a reader gets them here.
 */
struct pipe_waiter {
	struct pipe *pipe;              /* NULL: a free slot */
	uint64_t seq;                   /* arrival order */
	uint64_t badge;
	uint64_t reply;                 /* the server's handle of the saved reply */
	bool write;
	uint16_t len;                   /* bytes to write, or most bytes to read */
	uint32_t total;                 /* a write of several payloads: its size */
	uint64_t token;                 /* the reservation it began (answered in w1) */
	uint8_t data[VFS_IO_MAX];
};

struct pipe_waitq {
	struct pipe_waiter w[VFS_PIPE_WAITERS];
	uint64_t next_seq;
};

/* Answers one waiter: result as the call's (a read's bytes in w->data).
 * false: its caller is gone (died, timed out), so the call is undone: a
 * read's bytes go back to the front, a write's come out again. */
typedef bool pipe_done_fn(struct pipe_waiter *w, int64_t result, void *arg);

/* Queues a call (w's pipe, badge, reply, write, len, data): 0, or
 * -AION_EAGAIN when the table is full. */
int pipe_wait_add(struct pipe_waitq *q, const struct pipe_waiter *w);
/* Whether a writer waits on p: a new write queues behind it. */
bool pipe_writer_waits(const struct pipe_waitq *q, const struct pipe *p);
/*
 * Serves p's waiting calls that can complete now, in arrival order (a
 * writer that still does not fit holds back the writers after it; so
 * does a reader of an empty pipe for the readers after it), until none
 * can: each gets done() and leaves the table. Returns how many.
 */
unsigned pipe_wait_run(struct pipe_waitq *q, struct pipe *p, pipe_done_fn *done, void *arg);
/* The oldest waiter of any pipe, or NULL. */
struct pipe_waiter *pipe_wait_oldest(struct pipe_waitq *q);
/* Every waiter of the record badge gets done(-AION_EBADF). */
unsigned pipe_wait_drop(struct pipe_waitq *q, uint64_t badge, pipe_done_fn *done, void *arg);

#endif /* FS_PIPE_H */
