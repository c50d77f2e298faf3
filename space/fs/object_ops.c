/*
 * vfsd's open-object calls (aion/vfs.h): read, write, seek, stat,
 * truncate, sync, directory entries, flags, close. The record holds the
 * offset, so every copy of a capability (dup, later fork) shares it.
 */
#include "lock.h"
#include "vfsd.h"

static int64_t need(const struct vfs_open *o, uint32_t mode)
{
	return (o->flags & mode) ? 0 : -AION_EBADF;
}

int64_t vfs_on_read(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	uint8_t data[VFS_IO_MAX];
	uint64_t want = r->msg.w[1] < VFS_IO_MAX ? r->msg.w[1] : VFS_IO_MAX;
	bool at_pos = r->msg.w[2] == VFS_AT_POS;

	if (rnode_is_fifo(o->node))
		return vfs_pipe_read(r);
	int64_t err = need(o, VFS_O_READ);
	if (err)
		return rnode_is_dir(o->node) ? -AION_EISDIR : err;
	int64_t got = ramfs_read(o->node, at_pos ? o->pos : r->msg.w[2], data, want);
	if (got > 0) {
		aion_serve_put(r, data, (unsigned)got);
		if (at_pos)
			o->pos += (uint64_t)got;
	}
	return got;
}

int64_t vfs_on_write(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	if (rnode_is_fifo(o->node))
		return vfs_pipe_write(r);
	int64_t err = need(o, VFS_O_WRITE);
	if (err)
		return err;
	bool at_pos = r->msg.w[2] == VFS_AT_POS || (o->flags & VFS_O_APPEND);
	uint64_t off = o->flags & VFS_O_APPEND ? o->node->size :
		       r->msg.w[2] == VFS_AT_POS ? o->pos : r->msg.w[2];
	int64_t n = ramfs_write(o->node, off, r->data, r->len);
	if (n > 0 && at_pos)
		o->pos = off + (uint64_t)n;
	return n;
}

int64_t vfs_on_seek(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	int64_t off = (int64_t)r->msg.w[1], base, to;

	if (rnode_is_fifo(o->node))
		return -AION_EINVAL;    /* no offsets in a pipe (the POSIX layer says ESPIPE) */
	switch (r->msg.w[2]) {
	case VFS_SEEK_SET: base = 0; break;
	case VFS_SEEK_CUR: base = (int64_t)o->pos; break;
	case VFS_SEEK_END: base = rnode_is_dir(o->node) ? (int64_t)o->node->nents + 2 :
				  (int64_t)o->node->size; break;
	default: return -AION_EINVAL;
	}
	if (__builtin_add_overflow(base, off, &to) || to < 0)
		return -AION_EINVAL;
	o->pos = (uint64_t)to;
	return to;
}

int64_t vfs_on_fstat(struct aion_serve_req *r)
{
	struct vfs_stat st;
	ramfs_stat(vfs_req_open(r)->node, &st);
	aion_serve_put(r, &st, sizeof(st));
	return 0;
}

int64_t vfs_on_trunc(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	if (rnode_is_dir(o->node))
		return -AION_EISDIR;
	int64_t err = need(o, VFS_O_WRITE);
	return err || rnode_is_fifo(o->node) ? -AION_EINVAL : ramfs_truncate(o->node, r->msg.w[1]);
}

/* A ramfs keeps nothing anywhere else: done; the root's sync is sync(2),
 * which every remote mount's server makes too. A pipe has nothing to
 * flush at all: EINVAL, as Linux says. */
int64_t vfs_on_sync(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	if (vfs_open_index(o) == 0)
		return vfs_sync_remotes();
	return rnode_is_fifo(o->node) ? -AION_EINVAL : 0;
}

/* Entry i of a directory: ".", "..", then its names. */
static bool entry_at(const struct rnode *dir, uint64_t i, const char **name, size_t *len,
		     const struct rnode **n)
{
	if (i < 2) {
		*name = i ? ".." : ".";
		*len = i + 1;
		*n = i && dir->parent ? dir->parent : dir;
		return true;
	}
	if (i - 2 >= dir->nents)
		return false;
	*name = dir->ents[i - 2].name;
	*len = dir->ents[i - 2].len;
	*n = dir->ents[i - 2].node;
	return true;
}

int64_t vfs_on_getdents(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	uint8_t out[AION_IPC_PAYLOAD_MAX];
	uint64_t room = r->msg.w[1] < sizeof(out) ? r->msg.w[1] : sizeof(out);
	unsigned used = 0;
	const char *name;
	size_t len;
	const struct rnode *n;

	if (!rnode_is_dir(o->node))
		return -AION_ENOTDIR;
	while (entry_at(o->node, o->pos, &name, &len, &n)) {
		unsigned reclen = (unsigned)((sizeof(struct vfs_dirent) + len + 1 + 7) & ~7ul);
		if (used + reclen > room)
			break;
		struct vfs_dirent *d = (struct vfs_dirent *)(out + used);
		memset(d, 0, reclen);
		d->ino = n->ino;
		d->reclen = (uint16_t)reclen;
		d->type = (uint8_t)((n->mode & VFS_S_IFMT) >> 12);
		d->namelen = (uint8_t)len;
		memcpy(d->name, name, len);
		used += reclen;
		o->pos++;
	}
	r->reply.w[1] = o->pos;         /* the client numbers the entries it got */
	if (used == 0 && entry_at(o->node, o->pos, &name, &len, &n))
		return -AION_EINVAL;    /* not even one entry fits: Linux says so */
	aion_serve_put(r, out, used);
	return used;
}

int64_t vfs_on_getfl(struct aion_serve_req *r)
{
	return vfs_req_open(r)->flags;
}

int64_t vfs_on_setfl(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	uint32_t change = VFS_O_APPEND | VFS_O_NONBLOCK;
	o->flags = (o->flags & ~change) | ((uint32_t)r->msg.w[1] & change);
	return 0;
}

int64_t vfs_on_fchmod(struct aion_serve_req *r)
{
	ramfs_chmod(vfs_req_open(r)->node, (uint32_t)r->msg.w[1]);
	return 0;
}

/* statfs(2) of the ramfs: its room is what is left of vfsd's quota. */
int64_t vfs_on_statfs(struct aion_serve_req *r)
{
	struct aion_unit_info u;
	struct vfs_statfs st = { .bsize = 4096, .namemax = VFS_NAME_MAX,
				 .magic = 0x858458f6u /* Linux's RAMFS_MAGIC */, .type = "ramfs" };
	if (!aion_unit_info(AION_HANDLE_SELF, &u)) {
		st.blocks = u.quota_frames;
		st.bfree = st.bavail = u.quota_frames > u.used_frames ?
				       u.quota_frames - u.used_frames : 0;
	}
	aion_serve_put(r, &st, sizeof(st));
	return 0;
}

/* A new record of the same directory with fewer rights (aion/vfs.h). */
int64_t vfs_on_restrict(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r), *n;
	if (!rnode_is_dir(o->node))
		return -AION_ENOTDIR;
	if (r->msg.w[1] & ~(uint64_t)VFS_RIGHTS_ALL)
		return -AION_EINVAL;
	int64_t err = vfs_open_new(o->node, VFS_O_READ | VFS_O_DIRECTORY, &n);
	if (err)
		return err;
	n->rights = o->rights & (uint32_t)r->msg.w[1];
	aion_serve_give(r, n->cap, VFS_OBJECT_RIGHTS);
	return 0;
}

int64_t vfs_on_retain(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	if (o->holders >= VFS_HOLDERS_MAX)
		return -AION_ERANGE;
	return ++o->holders;
}

/* The name service's root record is everyone's: it never closes. */
int64_t vfs_on_close(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	if (vfs_open_index(o) < VFS_ROOT_RECORDS)
		return -AION_EPERM;
	if (r->msg.w[2] && !(r->msg.w[2] >> 63))
		vfs_lock_drop_owner(&o->node->locks, r->msg.w[2]);
	if (--o->holders) {
		/* A holder that ended without closing still counts (reap.c). */
		vfs_reap_mark(o);
		vfs_lock_waiters_run();
		return 0;
	}
	vfs_open_last(o, r, r->buf);
	vfs_arms_check();
	vfs_lock_waiters_run();
	return 0;
}

int64_t vfs_on_map(struct aion_serve_req *r)
{
	struct vfs_open *o = vfs_req_open(r);
	bool write = r->msg.w[2] & VFS_MAP_WRITE;
	const struct fs_window *w;

	if (r->msg.w[2] & ~(uint64_t)VFS_MAP_WRITE)
		return -AION_EINVAL;
	if (!(o->flags & VFS_O_READ) || (write && !(o->flags & VFS_O_WRITE)))
		return -AION_EACCES;
	int err = ramfs_share(o->node, r->msg.w[1], &w);
	if (err)
		return err;
	aion_serve_give(r, (aion_handle_t)w->handle,
			AION_RIGHT_READ | (write ? AION_RIGHT_WRITE : 0));
	return w->npages;
}
