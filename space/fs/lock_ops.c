/*
 * VFS_LOCK: byte-range locks (lock.c) on a record's file. A SETW that
 * conflicts waits as a saved reply; whenever locks go away (an unlock, a
 * close) the waiting calls are tried again in arrival order. A waiter's
 * own record closing answers it -AION_EBADF.
 */
#include "lock.h"
#include "vfsd.h"

#define WAITERS_MAX     32

struct waiter {
	aion_handle_t reply;            /* 0: free */
	uint64_t badge;                 /* its record, checked again when it fits */
	uint64_t owner, start, end;
	uint32_t type;
};

static struct waiter waiters[WAITERS_MAX];

static uint64_t owner_of(const struct vfs_open *o, uint64_t token)
{
	return token ? token : vfs_open_owner(o);
}

/* The locks a record's open mode allows: read locks need reading, write locks writing. */
static int64_t mode_allows(const struct vfs_open *o, uint32_t type)
{
	if (type == VFS_LOCK_RD && !(o->flags & VFS_O_READ))
		return -AION_EBADF;
	if (type == VFS_LOCK_WR && !(o->flags & VFS_O_WRITE))
		return -AION_EBADF;
	return 0;
}

static int64_t lock_get(struct aion_serve_req *r, uint64_t owner, uint32_t type,
			uint64_t start, uint64_t end)
{
	const struct vfs_lock *c = vfs_lock_conflict(vfs_req_open(r)->node->locks, owner, type,
						     start, end);
	struct vfs_flock out = { .type = VFS_LOCK_UN, .whence = VFS_SEEK_SET };
	if (c)
		out = (struct vfs_flock){
			.type = c->type, .whence = VFS_SEEK_SET, .start = (int64_t)c->start,
			.len = c->end == VFS_LOCK_EOF ? 0 : (int64_t)(c->end - c->start),
			.owner = c->owner,
		};
	aion_serve_put(r, &out, sizeof(out));
	return 0;
}

static int64_t wait_for(struct aion_serve_req *r, uint64_t owner, uint32_t type,
			uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < WAITERS_MAX; i++) {
		if (waiters[i].reply)
			continue;
		int64_t saved = aion_serve_save(r);
		if (saved < 0)
			return saved;
		waiters[i] = (struct waiter){ (aion_handle_t)saved, r->msg.badge, owner,
					      start, end, type };
		return 0;
	}
	return -AION_EAGAIN;    /* too many waiting: the caller may retry */
}

int64_t vfs_on_lock(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	struct vfs_flock fl;
	uint64_t start, end, token = r->msg.w[2];

	if (r->len != sizeof(fl) || (token >> 63) || r->msg.w[1] > VFS_LOCK_SETW)
		return -AION_EINVAL;
	memcpy(&fl, r->data, sizeof(fl));
	int64_t err = vfs_lock_range(&fl, o->pos, o->node->size, &start, &end);
	if (err)
		return err;
	if (rnode_is_dir(o->node))
		return -AION_EISDIR;
	uint64_t owner = owner_of(o, token);
	if (r->msg.w[1] == VFS_LOCK_GET)
		return fl.type == VFS_LOCK_UN ? -AION_EINVAL : lock_get(r, owner, fl.type, start, end);
	if ((err = mode_allows(o, fl.type)))
		return err;
	err = vfs_lock_set(&o->node->locks, owner, fl.type, start, end);
	if (err == -AION_EAGAIN && r->msg.w[1] == VFS_LOCK_SETW)
		return wait_for(r, owner, fl.type, start, end);
	if (!err && fl.type == VFS_LOCK_UN)
		vfs_lock_waiters_run();
	return err;
}

void vfs_lock_waiters_run(void)
{
	for (unsigned i = 0; i < WAITERS_MAX; i++) {
		struct waiter *w = &waiters[i];
		if (!w->reply)
			continue;
		struct vfs_open *o = vfs_open_find(w->badge);
		int64_t err = o ? vfs_lock_set(&o->node->locks, w->owner, w->type, w->start,
					       w->end) : -AION_EBADF;
		if (err == -AION_EAGAIN)
			continue;
		aion_serve_answer_status(w->reply, VFS_LOCK, err);
		w->reply = 0;
	}
}

void vfs_lock_waiters_drop(const struct vfs_open *o)
{
	uint64_t badge = VFS_BADGE(vfs_open_index(o), o->gen);
	for (unsigned i = 0; i < WAITERS_MAX; i++) {
		if (!waiters[i].reply || waiters[i].badge != badge)
			continue;
		aion_serve_answer_status(waiters[i].reply, VFS_LOCK, -AION_EBADF);
		waiters[i].reply = 0;
	}
}
