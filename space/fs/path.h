/*
 * Path resolution over ramfs trees and the mount table (docs/fs.md).
 * A walk starts at a base directory, the one a capability names, and never
 * leaves it: ".." at the base stays there, as ".." at "/" does, and a
 * leading "/" means the base. Repeated slashes count as one; a trailing
 * slash asks for a directory. Pure code, host-tested.
 */
#ifndef FS_PATH_H
#define FS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include "ramfs.h"

/* The directory a path's last name lives in, and that name. */
struct vfs_where {
	struct rnode *dir;
	const char *name;               /* "" for the base itself ("/", ".") */
	size_t len;
	bool want_dir;                  /* the path ended in "/" */
};

/*
 * Where a walk met a directory another server serves (a remote mount,
 * rnode.remote): the walk ends with -AION_EREDIRECT and says which mount
 * and how many bytes of the path lead to it, its name included; the rest
 * of the path is that server's business (docs/fs.md "Remote mounts").
 * The last walk's, as vfsd serves one call at a time.
 */
struct vfs_redirect {
	unsigned remote;
	size_t at;
};
extern struct vfs_redirect vfs_redirected;

/* Walks every component but the last: ENOENT, ENOTDIR, ENAMETOOLONG,
 * EMALFORMED (a NUL inside). An empty path is ENOENT. A remote mount on
 * the way, or named by the last name: EREDIRECT (vfs_redirected). */
int vfs_walk_parent(struct rnode *base, const char *path, size_t len, struct vfs_where *w);
/* The node the last name names ("." and ".." included): ENOENT, ENOTDIR. */
int vfs_walk_last(struct rnode *base, const struct vfs_where *w, struct rnode **out);
/* Both: the node the whole path names. */
int vfs_resolve(struct rnode *base, const char *path, size_t len, struct rnode **out);
/* Is the last name "." or ".." (or the base itself)? Such a name cannot be
 * created, removed or renamed. */
bool vfs_where_is_dot(const struct vfs_where *w);

/* The mount table: a file system's root covers a directory. */
#define VFS_MOUNTS_MAX  8

struct vfs_mount {
	struct rnode *point;            /* NULL: the slot is free */
	struct rnode *root;
};

/* Mounts root on point (an empty directory): EBUSY, ENOTDIR, ENOSPC. */
int vfs_mount(struct vfs_mount *table, struct rnode *point, struct rnode *root);

#endif /* FS_PATH_H */
