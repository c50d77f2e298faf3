/*
 * vfsd's pipes (aion/vfs.h, docs/fs.md "Pipes"): VFS_PIPE makes one, the
 * open-object calls READ and WRITE move bytes through it (pipe.c), a
 * call that must wait is a saved reply in the waiting table, and VFS_ARM
 * tells a poller when a record becomes ready. vfsd never blocks: every
 * wait is a saved reply, answered when another call changes the pipe.
 */
#include "fsmem.h"
#include "pipe.h"
#include "vfsd.h"

static struct pipe_waitq waitq;

/*
 * VFS_ARM's one-shot notifications. Each holds one of vfsd's handle
 * slots, hence few; a new arm beyond them replaces the oldest, which is
 * signalled so its poller looks again (a spurious wake-up, never a lost one).
 */
#define ARMS_MAX        24

struct arm {
	aion_handle_t note;             /* 0: free */
	uint64_t badge, bits, seq;
	uint32_t events;
};

static struct arm arms[ARMS_MAX];
static uint64_t arm_seq;

static uint64_t badge_of(const struct vfs_open *o)
{
	return VFS_BADGE(vfs_open_index(o), o->gen);
}

/* Files are always ready; a pipe's end as pipe_ready says. */
static uint32_t ready_of(const struct vfs_open *o)
{
	if (!rnode_is_fifo(o->node))
		return VFS_POLL_IN | VFS_POLL_OUT;
	return pipe_ready(o->node->pipe, o->flags & VFS_O_READ);
}

static void arm_fire(struct arm *a)
{
	aion_signal(a->note, a->bits);
	aion_handle_close(a->note);
	a->note = 0;
}

/* Arms whose record became ready (errors and hang-ups always count) or closed. */
static void arms_check(void)
{
	for (unsigned i = 0; i < ARMS_MAX; i++) {
		struct arm *a = &arms[i];
		if (!a->note)
			continue;
		struct vfs_open *o = vfs_open_find(a->badge);
		if (!o || (ready_of(o) & (a->events | VFS_POLL_ERR | VFS_POLL_HUP)))
			arm_fire(a);
	}
}

static void arm_add(aion_handle_t note, uint64_t badge, uint64_t bits, uint32_t events)
{
	struct arm *slot = &arms[0];
	for (unsigned i = 0; i < ARMS_MAX; i++) {
		if (!arms[i].note) {
			slot = &arms[i];
			break;
		}
		if (arms[i].seq < slot->seq)
			slot = &arms[i];
	}
	if (slot->note)
		arm_fire(slot);         /* the oldest: its poller checks again */
	*slot = (struct arm){ note, badge, bits, arm_seq++, events };
}

int64_t vfs_on_arm(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	uint32_t all = VFS_POLL_IN | VFS_POLL_OUT | VFS_POLL_ERR | VFS_POLL_HUP;
	uint32_t events = (uint32_t)r->msg.w[1];

	if ((r->msg.w[1] & ~(uint64_t)all) || r->ncaps > 1 || (r->ncaps && !r->msg.w[2]))
		return -AION_EINVAL;
	uint32_t now = ready_of(o) & (events | VFS_POLL_ERR | VFS_POLL_HUP);
	if (!now && r->ncaps)
		arm_add(aion_serve_keep(r, 0), r->msg.badge, r->msg.w[2], events);
	return now;
}

int64_t vfs_on_disarm(struct aion_serve_req *r)
{
	uint64_t badge = r->msg.badge;
	int64_t n = 0;
	for (unsigned i = 0; i < ARMS_MAX; i++) {
		struct arm *a = &arms[i];
		if (a->note && a->badge == badge && a->bits == r->msg.w[2]) {
			aion_handle_close(a->note);
			a->note = 0;
			n++;
		}
	}
	return n;
}

/* Answers a waiting call; a read's bytes travel in vfsd's IPC buffer.
 * false: the caller is gone, and pipe.c undoes its call. */
static bool answer(struct pipe_waiter *w, int64_t result, void *arg)
{
	struct aion_ipc_buffer *buf = arg;
	unsigned len = !w->write && result > 0 ? (unsigned)result : 0;
	struct aion_msg m = { .tag = AION_TAG(w->write ? VFS_WRITE : VFS_READ, len, 0),
			      .w = { (uint64_t)result, w->write ? w->token : 0 } };
	if (len)
		memcpy(buf->payload, w->data, len);
	return aion_serve_answer((aion_handle_t)w->reply, &m) == 0;
}

/* After p changed: the calls that can go now, and the pollers. */
static void pipe_changed(struct pipe *p, struct aion_ipc_buffer *buf)
{
	pipe_wait_run(&waitq, p, answer, buf);
	arms_check();
}

static int64_t wait_for(struct aion_serve_req *r, struct pipe *p, bool write, uint64_t want,
			uint32_t total)
{
	struct pipe_waiter w = { .pipe = p, .badge = r->msg.badge, .write = write,
				 .len = (uint16_t)want, .total = total };
	if (write)
		memcpy(w.data, r->data, r->len);
	int64_t saved = aion_serve_save(r);
	if (saved < 0)
		return saved;
	w.reply = (uint64_t)saved;
	int64_t err = pipe_wait_add(&waitq, &w);
	if (err)
		aion_serve_answer_status((aion_handle_t)saved, r->label, err);
	return 0;
}

int64_t vfs_pipe_read(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	struct pipe *p = o->node->pipe;
	uint8_t data[VFS_IO_MAX];
	uint64_t want = r->msg.w[1] < VFS_IO_MAX ? r->msg.w[1] : VFS_IO_MAX;

	if (!(o->flags & VFS_O_READ))
		return -AION_EBADF;
	int64_t got = pipe_read(p, data, (uint32_t)want);
	if (got == -AION_EAGAIN && !(o->flags & VFS_O_NONBLOCK) &&
	    r->msg.w[2] != VFS_PIPE_NOWAIT)
		return wait_for(r, p, false, want, 0);
	if (got <= 0)
		return got;
	/* Answer first: the waiters' answers use the IPC buffer too. */
	aion_serve_put(r, data, (unsigned)got);
	aion_serve_reply(r, got);
	pipe_changed(p, r->buf);
	return got;
}

int64_t vfs_pipe_write(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	struct pipe *p = o->node->pipe;

	uint64_t token = r->msg.w[2];

	if (!(o->flags & VFS_O_WRITE))
		return -AION_EBADF;
	if (r->msg.w[1] > VFS_PIPE_ATOMIC)
		return -AION_EINVAL;
	uint32_t total = (uint32_t)r->msg.w[1];
	/* Behind a waiting writer: bytes keep the order they were sent in. A
	 * write's later call holds the room it needs, and goes. */
	int64_t n = !token && pipe_writer_waits(&waitq, p) && p->readers && r->len ?
		    -AION_EAGAIN : pipe_write_part(p, r->data, r->len, total, &token, r->msg.badge);
	if (n == -AION_EAGAIN && !(o->flags & VFS_O_NONBLOCK))
		return wait_for(r, p, true, r->len, total);
	if (n <= 0)
		return n;
	r->reply.w[1] = token;
	aion_serve_reply(r, n);
	pipe_changed(p, r->buf);
	return n;
}

int64_t vfs_on_pipe(struct aion_serve_req *r)
{
	uint32_t nb = (uint32_t)r->msg.w[1];
	struct rnode *node;
	struct vfs_open *ends[2] = { NULL, NULL };

	if ((r->msg.w[1] & ~(uint64_t)VFS_O_NONBLOCK) || AION_TAG_ACCEPTED(r->msg.tag) < 2)
		return -AION_EINVAL;
	struct pipe *p = pipe_new();
	if (!p)
		return -AION_ENOMEM;
	int64_t err = ramfs_anon(&vfs_root_fs, VFS_S_IFIFO | 0600, &node);
	if (err) {
		pipe_free(p);
		return err;
	}
	node->pipe = p;
	ramfs_open(node);               /* held here until the records hold it */
	err = vfs_open_new(node, VFS_O_READ | nb, &ends[0]);
	if (!err)
		err = vfs_open_new(node, VFS_O_WRITE | nb, &ends[1]);
	if (err) {
		node->pipe = NULL;
		pipe_free(p);
		if (ends[0])
			vfs_open_end(ends[0]);
	} else {
		aion_serve_give(r, ends[0]->cap, VFS_OBJECT_RIGHTS);
		aion_serve_give(r, ends[1]->cap, VFS_OBJECT_RIGHTS);
	}
	ramfs_close(node);
	return err;
}

void vfs_pipe_closing(struct vfs_open *o)
{
	struct pipe *p = o->node->pipe;
	pipe_wait_drop(&waitq, badge_of(o), answer, NULL);
	pipe_resv_drop(p, badge_of(o));
	if (o->flags & VFS_O_READ)
		p->readers--;
	else
		p->writers--;
}

void vfs_pipe_closed(struct rnode *node, struct aion_ipc_buffer *buf)
{
	struct pipe *p = node->pipe;
	pipe_changed(p, buf);
	if (!p->readers && !p->writers) {
		node->pipe = NULL;
		pipe_free(p);
	}
}

void vfs_arms_check(void)
{
	arms_check();
}

uint64_t vfs_pipe_tick(struct aion_ipc_buffer *buf)
{
	bool held = false;
	uint64_t now = fs_now();
	for (unsigned i = 0; i < VFS_OPENS_MAX; i++) {
		struct vfs_open *o = vfs_open_at(i);
		if (!o || !rnode_is_fifo(o->node) || !o->node->pipe->resv)
			continue;
		if (pipe_resv_lapse(o->node->pipe, now))
			pipe_changed(o->node->pipe, buf);
		else
			held = true;
	}
	return held ? PIPE_RESV_NS / 4 : AION_FOREVER;
}

/*
 * The handle table is full and a call that brings a capability cannot be
 * received (the kernel keeps it queued): an arm goes (signalled: its
 * poller checks again), else the oldest waiting pipe call is answered
 * -AION_EAGAIN (the POSIX layer calls again). False: nothing to free.
 */
bool vfs_pipe_reclaim(void)
{
	struct arm *oldest = NULL;
	for (unsigned i = 0; i < ARMS_MAX; i++)
		if (arms[i].note && (!oldest || arms[i].seq < oldest->seq))
			oldest = &arms[i];
	if (oldest) {
		arm_fire(oldest);
		return true;
	}
	struct pipe_waiter *w = pipe_wait_oldest(&waitq);
	if (!w)
		return false;
	w->pipe = NULL;
	aion_serve_answer_status((aion_handle_t)w->reply, w->write ? VFS_WRITE : VFS_READ,
				 -AION_EAGAIN);
	return true;
}
