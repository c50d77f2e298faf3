/*
 * Path walks and mounts. A mounted root's parent is its mount point's
 * parent, so ".." from it leaves the mounted file system as it should.
 */
#include "aion/error.h"
#include "common/pathname.h"
#include "common/string.h"
#include "path.h"

struct vfs_redirect vfs_redirected;

static bool is_name(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(s, name, len);
}

/* One step from dir by name, never above base; crosses into mounts. */
static int step(struct rnode *base, struct rnode *dir, const char *name, size_t len,
		struct rnode **out)
{
	if (!rnode_is_dir(dir))
		return -AION_ENOTDIR;
	if (len == 0 || is_name(name, len, ".")) {
		*out = dir;
		return 0;
	}
	if (is_name(name, len, "..")) {
		*out = dir == base || !dir->parent ? dir : dir->parent;
		return 0;
	}
	if (len > VFS_NAME_MAX)
		return -AION_ENAMETOOLONG;
	if (dir->remote_below) {
		vfs_redirected.remote = dir->remote_below;
		return -AION_EREDIRECT;
	}
	struct rnode *n = ramfs_lookup(dir, name, len);
	if (!n)
		return -AION_ENOENT;
	if (n->remote) {
		vfs_redirected.remote = n->remote;
		return -AION_EREDIRECT;
	}
	*out = n->mounted ? n->mounted : n;
	return 0;
}

/* The last name of a walk: a remote mount point redirects there too, so
 * every call on "/data" itself is its server's (its root's); so does any
 * name in a directory whose names are all remote ("/net/2"). */
static int last_name(struct vfs_where *w, size_t end)
{
	struct rnode *n = w->len > VFS_NAME_MAX ? NULL : ramfs_lookup(w->dir, w->name, w->len);

	if (w->len > VFS_NAME_MAX)
		return -AION_ENAMETOOLONG;
	if (vfs_where_is_dot(w))
		return 0;
	if (w->dir->remote_below) {
		vfs_redirected = (struct vfs_redirect){ w->dir->remote_below, end };
		return -AION_EREDIRECT;
	}
	if (n && n->remote) {
		vfs_redirected = (struct vfs_redirect){ n->remote, end };
		return -AION_EREDIRECT;
	}
	return 0;
}

int vfs_walk_parent(struct rnode *base, const char *path, size_t len, struct vfs_where *w)
{
	if (len == 0)
		return -AION_ENOENT;
	if (len > VFS_PATH_MAX)
		return -AION_ENAMETOOLONG;
	for (size_t k = 0; k < len; k++)
		if (path[k] == '\0')
			return -AION_EMALFORMED;
	*w = (struct vfs_where){ .dir = base, .name = "", .len = 0 };
	size_t i = 0;
	while (i < len) {
		size_t s;
		if (!path_name_next(path, len, &i, &s))
			break;          /* only slashes were left */
		size_t j = i;
		while (j < len && path[j] == '/')
			j++;
		if (j == len) {         /* the last name */
			w->name = path + s;
			w->len = i - s;
			w->want_dir = i < len;
			return last_name(w, i);
		}
		int err = step(base, w->dir, path + s, i - s, &w->dir);
		if (err == -AION_EREDIRECT)
			vfs_redirected.at = i;
		if (err)
			return err;
		if (!rnode_is_dir(w->dir))
			return -AION_ENOTDIR;
	}
	w->want_dir = true;             /* "/" or "//": the base itself */
	return 0;
}

int vfs_walk_last(struct rnode *base, const struct vfs_where *w, struct rnode **out)
{
	int err = step(base, w->dir, w->name, w->len, out);
	if (!err && w->want_dir && !rnode_is_dir(*out))
		return -AION_ENOTDIR;
	return err;
}

int vfs_resolve(struct rnode *base, const char *path, size_t len, struct rnode **out)
{
	struct vfs_where w;
	int err = vfs_walk_parent(base, path, len, &w);
	return err ? err : vfs_walk_last(base, &w, out);
}

bool vfs_where_is_dot(const struct vfs_where *w)
{
	return w->len == 0 || is_name(w->name, w->len, ".") || is_name(w->name, w->len, "..");
}

int vfs_mount(struct vfs_mount *table, struct rnode *point, struct rnode *root)
{
	if (!rnode_is_dir(point) || !rnode_is_dir(root))
		return -AION_ENOTDIR;
	if (point->mounted || point->nents)
		return -AION_EBUSY;
	for (unsigned i = 0; i < VFS_MOUNTS_MAX; i++) {
		if (table[i].point)
			continue;
		table[i] = (struct vfs_mount){ point, root };
		point->mounted = root;
		root->parent = point->parent;
		return 0;
	}
	return -AION_ENOSPC;
}
