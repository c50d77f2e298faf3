/*
 * ramfs: the root file system, a tree in the server's heap (docs/fs.md).
 * Pure code: built into vfsd and into the host tests. Names are (pointer,
 * length) pairs, not NUL-terminated: they come straight out of a path.
 * Every call returns 0, a count, or -AION_E...
 */
#ifndef FS_RAMFS_H
#define FS_RAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fsmem.h"
#include "aion/vfs.h"

#define RAMFS_PAGE      4096u

struct vfs_lock;
struct pipe;

struct rnode_entry {
	char *name;                     /* NUL-terminated copy */
	uint8_t len;
	struct rnode *node;
};

struct rnode {
	uint64_t ino;
	uint32_t mode;                  /* VFS_S_IF* | permission bits */
	uint32_t nlink;                 /* names (directories: 2 + subdirectories) */
	uint32_t opens;                 /* open records: data lives while > 0 */
	unsigned dev;
	uint64_t size;
	uint64_t mtime_ns, ctime_ns;
	struct rnode *parent;           /* directories: "..", NULL at the top */
	/* directories */
	struct rnode_entry *ents;
	unsigned nents, ents_cap;
	struct rnode *mounted;          /* a file system's root mounted here */
	unsigned remote;                /* > 0: another server's directory is mounted
					 * here (vfsd's remote mount number): walks stop */
	unsigned remote_below;          /* > 0: each name below is another server's
					 * directory (/net/N): walks stop at the name */
	/* regular files: pages of RAMFS_PAGE bytes, NULL where never written */
	uint8_t **pages;
	uint64_t pages_cap;
	struct fs_window *shared;       /* pages [0, its npages) once mapped shared */
	struct vfs_lock *locks;         /* byte-range locks (lock.h) */
	struct pipe *pipe;              /* VFS_S_IFIFO: its buffer and ends (pipe.h) */
};

struct ramfs {
	struct rnode *root;
	uint64_t next_ino;
	unsigned dev;
};

static inline bool rnode_is_dir(const struct rnode *n)
{
	return (n->mode & VFS_S_IFMT) == VFS_S_IFDIR;
}

static inline bool rnode_is_fifo(const struct rnode *n)
{
	return (n->mode & VFS_S_IFMT) == VFS_S_IFIFO;
}

int ramfs_init(struct ramfs *fs, unsigned dev);
/* Frees every node (host tests; vfsd's tree lives as long as it does). */
void ramfs_destroy(struct ramfs *fs);

struct rnode *ramfs_lookup(const struct rnode *dir, const char *name, size_t len);
/* A new node (mode: type | permissions) named name in dir: EEXIST, ENOTDIR. */
int ramfs_create(struct ramfs *fs, struct rnode *dir, const char *name, size_t len,
		 uint32_t mode, struct rnode **out);
/* A node with no name (a pipe's): it lives while open records hold it,
 * so the caller opens it at once (ramfs_open). */
int ramfs_anon(struct ramfs *fs, uint32_t mode, struct rnode **out);
/* Removes name from dir: a directory only when want_dir (it must be
 * empty: ENOTEMPTY), anything else only when !want_dir (EISDIR, ENOTDIR).
 * An open file's data stays until its last close (ramfs_close). */
int ramfs_remove(struct rnode *dir, const char *name, size_t len, bool want_dir);
/* rename(2): replaces a target of the same kind (a directory only when
 * empty); a directory never moves under itself (EINVAL). */
int ramfs_rename(struct rnode *odir, const char *oname, size_t olen,
		 struct rnode *ndir, const char *nname, size_t nlen);

/* link(2): a second name for a file (EPERM for a directory, EEXIST). */
int ramfs_link(struct rnode *odir, const char *oname, size_t olen,
	       struct rnode *ndir, const char *nname, size_t nlen);

int64_t ramfs_read(const struct rnode *n, uint64_t off, void *buf, uint64_t len);
int64_t ramfs_write(struct rnode *n, uint64_t off, const void *buf, uint64_t len);
int ramfs_truncate(struct rnode *n, uint64_t size);
/*
 * The file's first `want` pages where other units can map them: its
 * window (fsmem.h), made at the first call with at least want pages and
 * the file's own (rounded up to RAMFS_SHARE_ROUND, at most
 * RAMFS_SHARE_MAX), its pages moved in; from then on the file's pages
 * below the window's end live there. ENOMEM past the window (made
 * earlier, smaller) or RAMFS_SHARE_MAX; ETYPE for anything but a file.
 */
#define RAMFS_SHARE_ROUND       16u
#define RAMFS_SHARE_MAX         512u    /* one memory object (2 MiB) */
int ramfs_share(struct rnode *n, uint64_t want, const struct fs_window **out);
void ramfs_stat(const struct rnode *n, struct vfs_stat *st);
void ramfs_chmod(struct rnode *n, uint32_t perm);

/* An open record begins and ends: an unlinked node goes with its last close. */
void ramfs_open(struct rnode *n);
void ramfs_close(struct rnode *n);

#endif /* FS_RAMFS_H */
