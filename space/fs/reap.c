/*
 * Records of ended processes (docs/fs.md "Records of ended processes").
 * A process that faults or is killed closes nothing, so its holds on
 * records are never given back by VFS_CLOSE. The kernel knows better
 * than any client whether a record is still held: the server's own copy
 * of a record's capability (vfs_open.cap) is the root of every copy a
 * client has, and CAP_INFO says AION_CAP_COPIED while one exists in any
 * unit. A record with no copy left can never be used or closed again,
 * so ending it is what its last holder's close would have done. No
 * client's word is taken: a process can end no record it does not hold,
 * and none that another live unit holds.
 *
 * When to look: the process server calls VFS_REAP after every process
 * end (a full sweep), and a close that leaves holders (a holder that
 * ended without closing still counts) has its record looked at again
 * shortly after, when the closer has closed its own handle too.
 */
#include "fsmem.h"
#include "lock.h"
#include "vfsd.h"

/* Looks at a marked record this many times: 1, 8, 64 ms after its close. */
#define RECHECKS        3
#define RECHECK_FIRST   (1000 * 1000ull)

static uint64_t recheck_at;             /* 0: no record is marked */
static uint64_t recheck_step;

/* Held by some unit besides the server; an error keeps the record. */
static bool held(const struct vfs_open *o)
{
	struct aion_cap_info ci;
	return aion_cap_info(o->cap, &ci) || (ci.flags & AION_CAP_COPIED);
}

void vfs_open_last(struct vfs_open *o, struct aion_serve_req *r, struct aion_ipc_buffer *buf)
{
	vfs_lock_drop_owner(&o->node->locks, vfs_open_owner(o));
	vfs_lock_waiters_drop(o);
	struct rnode *fifo = rnode_is_fifo(o->node) ? o->node : NULL;
	if (fifo)
		vfs_pipe_closing(o);
	/* Answer first: the revoke may not take the reply's way away. */
	if (r)
		aion_serve_reply(r, 0);
	if (fifo)
		vfs_pipe_closed(fifo, buf);
	vfs_open_end(o);
}

/* Ends the records no unit holds (only the marked ones: marked_only). */
static unsigned sweep(bool marked_only, struct aion_ipc_buffer *buf)
{
	unsigned n = 0;
	/* The roots (records 0 and 1) are everyone's: never. */
	for (unsigned i = VFS_ROOT_RECORDS; i < VFS_OPENS_MAX; i++) {
		struct vfs_open *o = vfs_open_at(i);
		if (!o || (marked_only && !o->recheck))
			continue;
		if (held(o)) {
			if (marked_only)
				o->recheck--;
			continue;
		}
		vfs_open_last(o, NULL, buf);
		n++;
	}
	if (n) {
		vfs_arms_check();
		vfs_lock_waiters_run();
	}
	return n;
}

void vfs_reap_mark(struct vfs_open *o)
{
	o->recheck = RECHECKS;
	recheck_step = RECHECK_FIRST;
	recheck_at = fs_now() + recheck_step;
}

uint64_t vfs_reap_tick(struct aion_ipc_buffer *buf)
{
	if (!recheck_at)
		return AION_FOREVER;
	uint64_t now = fs_now();
	if (now < recheck_at)
		return recheck_at - now;
	sweep(true, buf);
	bool marked = false;
	for (unsigned i = VFS_ROOT_RECORDS; i < VFS_OPENS_MAX && !marked; i++) {
		struct vfs_open *o = vfs_open_at(i);
		marked = o && o->recheck;
	}
	recheck_step *= 8;
	recheck_at = marked ? now + recheck_step : 0;
	return marked ? recheck_step : AION_FOREVER;
}

/* On the capability VFS_REAP_NAME names (vfsd.c's serve_one). */
int64_t vfs_reap(struct aion_serve_req *r)
{
	if (r->label != VFS_REAP)
		return -AION_ENOSYS;
	int64_t n = sweep(false, r->buf);
	r->reply.w[1] = vfs_opens_used();
	return n;
}

/* VFS_REAP on a record's capability: a process may not ask. */
int64_t vfs_on_reap(struct aion_serve_req *r)
{
	(void)r;
	return -AION_EPERM;
}

int64_t vfs_on_opens(struct aion_serve_req *r)
{
	(void)r;
	return vfs_opens_used();
}
