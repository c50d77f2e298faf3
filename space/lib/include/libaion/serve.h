/*
 * libaion: serving an endpoint from a table of labels (docs/services.md,
 * "Serving calls"). Every server repeated one shape by hand: branch on the
 * label (and the badge), close the capabilities the call brought and the
 * handler did not keep, reply with a status. Here that shape is written
 * once:
 *
 *     struct aion_serve_req r;
 *     aion_serve_begin(&r, &buf, &m, reply_label);
 *     aion_serve_end(&r, aion_serve_dispatch(&table, &r));
 *
 * (aion_serve does the three.) A handler returns the reply's w0: 0, a
 * count, or -AION_E...; it may fill r->reply.w[1..2], a payload
 * (aion_serve_put) and capabilities (aion_serve_give). A handler that
 * answers later saves the reply (aion_serve_save) and answers through the
 * handle with aion_serve_answer; one that must answer before it goes on
 * (netd replies to a socket's CLOSE before it revokes the socket's
 * capabilities) calls aion_serve_reply. Either way aion_serve_end sends
 * nothing more.
 */
#ifndef LIBAION_SERVE_H
#define LIBAION_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include "aion/ipc.h"
#include "aion/object.h"

/* An op's label that matches every label (badge-only dispatch). */
#define AION_SERVE_ANY_LABEL    0xffffffffu

/* How many capabilities an op's call must carry; otherwise -AION_EINVAL. */
enum aion_serve_caps {
	AION_SERVE_CAPS_ANY = 0,        /* any number (the handler decides) */
	AION_SERVE_CAPS_NONE,
	AION_SERVE_CAPS_ONE,
};

/* One call being served. Everything the call brought is copied in here at
 * the start, so a handler may use the IPC buffer for calls of its own. */
struct aion_serve_req {
	struct aion_msg msg;                    /* the request as received */
	uint32_t label;
	unsigned len, ncaps;
	uint8_t data[AION_IPC_PAYLOAD_MAX];     /* the request's payload */
	aion_handle_t caps[AION_IPC_CAPS_MAX];  /* the capabilities it brought */
	unsigned kept;                          /* bit i: caps[i] is the handler's now */
	struct aion_ipc_buffer *buf;            /* this thread's IPC buffer */
	int64_t ctx;                            /* the server's: which object (nested tables) */
	/* The reply: label, w[1] and w[2] (w[0] is the handler's result). */
	struct aion_msg reply;
	unsigned reply_len, reply_ncaps;
	bool answered;                          /* replied or saved already */
};

typedef int64_t aion_serve_fn(struct aion_serve_req *r);

struct aion_serve_op {
	uint32_t label;                 /* or AION_SERVE_ANY_LABEL */
	aion_serve_fn *fn;
	uint8_t caps;                   /* enum aion_serve_caps */
	/* The badges allowed, inclusive; both 0: any badge. A call whose label
	 * an op names but whose badge no op of that label allows: -AION_EPERM. */
	uint64_t badge_min, badge_max;
};

/* An op's badge rule, for its initializer: one badge, or a range. */
#define AION_SERVE_BADGE(b)             .badge_min = (b), .badge_max = (b)
#define AION_SERVE_BADGES(lo, hi)       .badge_min = (lo), .badge_max = (hi)

struct aion_serve_table {
	const struct aion_serve_op *ops;
	unsigned nops;
	int64_t unknown;                /* the answer to a label no op takes */
};

#define AION_SERVE_TABLE(ops_, unknown_) \
	{ .ops = (ops_), .nops = sizeof(ops_) / sizeof((ops_)[0]), .unknown = (unknown_) }

/*
 * The pure rule (host-tested): the first op whose label (or ANY) and badge
 * match; its capability count must fit. Returns the op, or NULL with
 * *status: -AION_EINVAL (count), -AION_EPERM (label named, badge not
 * allowed), t->unknown (nothing matched).
 */
const struct aion_serve_op *aion_serve_find(const struct aion_serve_table *t, uint32_t label,
					    uint64_t badge, unsigned ncaps, int64_t *status);

/* Copies what m (received into buf) brought; replies will carry reply_label. */
void aion_serve_begin(struct aion_serve_req *r, struct aion_ipc_buffer *buf,
		      const struct aion_msg *m, uint32_t reply_label);
/* Runs the op of t that takes r (a handler may dispatch again on a nested table). */
int64_t aion_serve_dispatch(const struct aion_serve_table *t, struct aion_serve_req *r);
/* Closes the capabilities nobody kept; replies with status unless answered.
 * Returns the reply's error (a caller that died meanwhile: -AION_EDEAD). */
int64_t aion_serve_end(struct aion_serve_req *r, int64_t status);
/* The three above. */
int64_t aion_serve(const struct aion_serve_table *t, struct aion_ipc_buffer *buf,
		   const struct aion_msg *m, uint32_t reply_label);

/* The request's payload as a NUL-terminated string, cut to fit size. */
void aion_serve_string(const struct aion_serve_req *r, char *out, unsigned size);
/* caps[i] becomes the handler's: it is not closed at the end. */
aion_handle_t aion_serve_keep(struct aion_serve_req *r, unsigned i);
/* The reply's payload (at most AION_IPC_PAYLOAD_MAX bytes are sent). */
void aion_serve_put(struct aion_serve_req *r, const void *data, unsigned len);
void aion_serve_put_text(struct aion_serve_req *r, const char *text);
/* Adds a capability to the reply (copied with rights, or moved with them
 * | AION_IPC_CAP_MOVE). */
void aion_serve_give(struct aion_serve_req *r, aion_handle_t cap, uint32_t rights);
/* Replies now (status as w0, and what the handler filled in). */
int64_t aion_serve_reply(struct aion_serve_req *r, int64_t status);
/* Replies now with m as it is (tag and words; payload and caps in buf). */
int64_t aion_serve_reply_msg(struct aion_serve_req *r, const struct aion_msg *m);
/* Saves the reply for later: its handle, or -AION_E... (then nothing is saved). */
int64_t aion_serve_save(struct aion_serve_req *r);

/* Answers a saved reply with m and closes the handle if that failed (the
 * kernel consumes it on success). Returns the error. */
int64_t aion_serve_answer(aion_handle_t saved, const struct aion_msg *m);
/* The same with a status alone: tag (label, 0, 0), w0 = status. */
int64_t aion_serve_answer_status(aion_handle_t saved, uint32_t label, int64_t status);

#endif /* LIBAION_SERVE_H */
