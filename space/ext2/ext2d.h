/*
 * ext2d's parts: open records and paths (ext2d.c), the VFS calls on them
 * (ext2d_ops.c). One call at a time, so the file system handle, the
 * records and the scratch buffers are plain globals.
 */
#ifndef AION_EXT2D_H
#define AION_EXT2D_H

#include <stdbool.h>
#include <stdint.h>
#include "aion/vfs.h"
#include "ext2ops.h"
#include "libaion/serve.h"

/* Open records: 128 of the unit's handle slots (each holds a minted copy). */
#define EXT2D_OPENS_MAX 128
/* The largest file a write or truncate may make: 1 TiB (an ext4 file may be
 * 16 TiB with 4 KiB blocks; the data region is far smaller anyway). */
#define EXT2D_FILE_MAX  (1ull << 40)

/* One open record: what a capability's badge names. */
struct ext2d_open {
	ext2_ino_t ino;                 /* 0: free */
	uint32_t gen;
	uint32_t flags;                 /* VFS_O_* */
	uint32_t holders;               /* VFS_RETAIN's count: the last close ends it */
	uint32_t rights;                /* VFS_RIGHT_*: over the tree below, kept by
					 * what is opened through it */
	bool dir;
	uint64_t pos;                   /* files: byte offset; directories: entry index */
	aion_handle_t cap;              /* the minted endpoint copy, revoked at close */
};

extern ext2_filsys ext2d_fs;
extern bool ext2d_rw;                   /* false: mounted read-only (EROFS) */

/* ext2d.c */
struct ext2d_open *ext2d_open_find(uint64_t badge);
/* A new record for ino and its capability. */
int64_t ext2d_open_new(ext2_ino_t ino, bool dir, uint32_t flags, struct ext2d_open **out);
/* Ends the record; an unlinked inode nobody has open goes with it. */
void ext2d_open_end(struct ext2d_open *o);
bool ext2d_ino_open(ext2_ino_t ino);
/* Ends the records whose capability no unit holds any more: how many. */
unsigned ext2d_reap(void);
unsigned ext2d_opens_used(void);
/*
 * `len` bytes of a call's path as a path below the record's directory,
 * which is "/" (ext2ops.h resolves it from the record's inode): "." and
 * ".." resolved by text, never above that directory (as vfsd's walks,
 * aion/vfs.h), repeated slashes as one. *want_dir: the path ended in "/".
 * -AION_ENOENT for an empty path, ENAMETOOLONG, EMALFORMED (a NUL inside).
 */
int ext2d_path(const char *path, size_t len, char *out, size_t cap, bool *want_dir);

/* Before a change: EROFS when read-only; the first after a sync marks the
 * disk not clean (ext2d.c's top comment). */
int ext2d_changing(void);
/* statfs(2) of the mounted file system. */
void ext2d_statfs(struct vfs_statfs *st);
/* Everything written back and flushed, the disk marked clean. */
int ext2d_sync(void);

/* ext2d_fsck.c: runs "e2fsck OPTION" ("-p" preen, "-y" repair all) on
 * region (ext2d's blkclient closed) in a child unit; e2fsck's exit code
 * (0 clean, 1 or 2 repaired, 4 errors left, 8 and up failed), or
 * -AION_E... when it did not run or end. */
int ext2d_fsck(aion_handle_t region, const char *option);

static inline struct ext2d_open *ext2d_req_open(const struct aion_serve_req *r)
{
	return (struct ext2d_open *)(uintptr_t)r->ctx;
}

/* ext2d_ops.c: the handlers, by label */
extern const struct aion_serve_table ext2d_table;

#endif /* AION_EXT2D_H */
