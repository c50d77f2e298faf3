/*
 * vfsd's path calls (aion/vfs.h): on a directory record, a path relative
 * to its directory. Every check comes before any change. Permission
 * bits are kept and reported but not enforced: every unit is uid 0 until
 * the process server brings users (docs/fs.md).
 */
#include "common/string.h"
#include "vfsd.h"

/* The record's directory (ENOTDIR for a file) and the path's parent. */
static int64_t where(struct aion_serve_req *r, const char *path, size_t len,
		     struct vfs_where *w)
{
	struct vfs_open *o = vfs_req_open(r);
	if (!rnode_is_dir(o->node))
		return -AION_ENOTDIR;
	return vfs_walk_parent(o->node, path, len, w);
}

static int64_t path_where(struct aion_serve_req *r, struct vfs_where *w)
{
	return where(r, (const char *)r->data, r->len, w);
}

/* The node an existing path names. */
static int64_t path_node(struct aion_serve_req *r, struct rnode **n)
{
	struct vfs_where w;
	int64_t err = path_where(r, &w);
	return err ? err : vfs_walk_last(vfs_req_open(r)->node, &w, n);
}

/* The node to open: found, or made with O_CREAT. */
static int64_t open_node(struct aion_serve_req *r, uint32_t flags, uint32_t mode,
			 struct rnode **n)
{
	struct vfs_where w;
	int64_t err = path_where(r, &w);
	if (err)
		return err;
	err = vfs_walk_last(vfs_req_open(r)->node, &w, n);
	if (!(flags & VFS_O_CREAT) || err != -AION_ENOENT) {
		if (!err && (flags & VFS_O_CREAT) && (flags & VFS_O_EXCL))
			return -AION_EEXIST;
		return err;
	}
	if (w.want_dir)
		return -AION_EISDIR;    /* O_CREAT of "name/": Linux says so too */
	return ramfs_create(&vfs_root_fs, w.dir, w.name, w.len,
			    VFS_S_IFREG | (mode & VFS_S_PERM), n);
}

int64_t vfs_on_open(struct aion_serve_req *r)
{
	uint32_t flags = (uint32_t)r->msg.w[1];
	struct rnode *n;
	struct vfs_open *o;

	if (r->msg.w[1] & ~(uint64_t)VFS_O_ALL)
		return -AION_EINVAL;
	int64_t err = open_node(r, flags, (uint32_t)r->msg.w[2], &n);
	if (err)
		return err;
	if (rnode_is_dir(n) && (flags & (VFS_O_WRITE | VFS_O_TRUNC)))
		return -AION_EISDIR;
	if (!rnode_is_dir(n) && (flags & VFS_O_DIRECTORY))
		return -AION_ENOTDIR;
	if ((err = vfs_open_new(n, flags & ~(VFS_O_CREAT | VFS_O_EXCL | VFS_O_TRUNC), &o)))
		return err;
	o->rights = vfs_req_open(r)->rights;
	if ((flags & VFS_O_TRUNC) && (flags & VFS_O_WRITE) && n->size)
		ramfs_truncate(n, 0);
	vfs_mounts_refresh(n);
	aion_serve_give(r, o->cap, VFS_OBJECT_RIGHTS);
	r->reply.w[1] = n->mode & VFS_S_IFMT;
	return 0;
}

/* The path's parent and last name; if_dot when that is ".", ".." or none. */
static int64_t path_name(struct aion_serve_req *r, struct vfs_where *w, int64_t if_dot)
{
	int64_t err = path_where(r, w);
	return err ? err : vfs_where_is_dot(w) ? if_dot : 0;
}

int64_t vfs_on_mkdir(struct aion_serve_req *r)
{
	struct vfs_where w;
	struct rnode *n;
	int64_t err = path_name(r, &w, -AION_EEXIST);
	if (err)
		return err;
	return ramfs_create(&vfs_root_fs, w.dir, w.name, w.len,
			    VFS_S_IFDIR | ((uint32_t)r->msg.w[2] & VFS_S_PERM), &n);
}

int64_t vfs_on_unlink(struct aion_serve_req *r)
{
	struct vfs_where w;
	struct rnode *n;
	int64_t err = path_name(r, &w, -AION_EISDIR);
	if (err)
		return err;
	if (w.want_dir && (err = vfs_walk_last(vfs_req_open(r)->node, &w, &n)))
		return err;     /* "file/": ENOTDIR, as Linux */
	return ramfs_remove(w.dir, w.name, w.len, false);
}

int64_t vfs_on_rmdir(struct aion_serve_req *r)
{
	struct vfs_where w;
	int64_t err = path_where(r, &w);
	if (err)
		return err;
	if (vfs_where_is_dot(&w))
		return w.len == 2 ? -AION_ENOTEMPTY : w.len == 0 ? -AION_EBUSY : -AION_EINVAL;
	return ramfs_remove(w.dir, w.name, w.len, true);
}

/* Payload "old\0new": both paths relative to this one directory. */
/* The payload's two paths (old, one NUL, new), each walked to its parent. */
static int64_t two_paths(struct aion_serve_req *r, struct vfs_where *from, struct vfs_where *to)
{
	const char *p = (const char *)r->data;
	size_t split = 0;
	while (split < r->len && p[split])
		split++;
	if (split == r->len)
		return -AION_EMALFORMED;
	int64_t err = where(r, p, split, from);
	struct vfs_redirect first = vfs_redirected;
	if (!err || err == -AION_EREDIRECT) {
		int64_t err2 = where(r, p + split + 1, r->len - split - 1, to);
		/* Both in one remote mount, reached by the same bytes: its
		 * server's call (the caller strips those bytes off both). */
		if (err == -AION_EREDIRECT || err2 == -AION_EREDIRECT)
			return err == err2 && first.remote == vfs_redirected.remote &&
			       first.at == vfs_redirected.at && first.at <= r->len - split - 1 &&
			       !memcmp(p, p + split + 1, first.at) ? err : -AION_EXDEV;
		err = err2;
	}
	if (err)
		return err;
	return vfs_where_is_dot(from) || vfs_where_is_dot(to) ? -AION_EBUSY : 0;
}

int64_t vfs_on_rename(struct aion_serve_req *r)
{
	struct vfs_where from, to;
	int64_t err = two_paths(r, &from, &to);
	return err ? err : ramfs_rename(from.dir, from.name, from.len, to.dir, to.name, to.len);
}

int64_t vfs_on_link(struct aion_serve_req *r)
{
	struct vfs_where from, to;
	int64_t err = two_paths(r, &from, &to);
	if (err == -AION_EBUSY)
		return -AION_EEXIST;    /* "." or "..": a name that exists */
	return err ? err : ramfs_link(from.dir, from.name, from.len, to.dir, to.name, to.len);
}

int64_t vfs_on_stat(struct aion_serve_req *r)
{
	struct rnode *n;
	struct vfs_stat st;
	int64_t err = path_node(r, &n);
	if (err)
		return err;
	ramfs_stat(n, &st);
	aion_serve_put(r, &st, sizeof(st));
	return 0;
}

int64_t vfs_on_chmod(struct aion_serve_req *r)
{
	struct rnode *n;
	int64_t err = path_node(r, &n);
	if (!err)
		ramfs_chmod(n, (uint32_t)r->msg.w[2]);
	return err;
}
