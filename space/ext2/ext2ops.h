/*
 * File operations on an ext2/3/4 file system through lib/ext2fs (Debian's
 * e2fsprogs 1.47, space/ext2/build.sh): ext2ops.c (bytes, inodes, sync)
 * and ext2names.c (names), the logic the ext2 server runs on Aion
 * (issue 18), with no system call of its own, so the host tests run
 * the same code on images the host's mke2fs makes and its e2fsck checks
 * (tests/unit/test_ext2ops.c). A path names something below the
 * directory inode `at` (EXT2_ROOT_INO: the whole file system) and starts
 * with "/", which is `at` itself: a server resolves a call's path from
 * the directory record it came on, so no record keeps a path and a tree
 * may be as deep as lib/ext2fs allows ("a/b/.." is namei's: the caller
 * normalizes a path it must keep below `at`).
 * Errors are -AION_E... (ext2ops_error maps lib/ext2fs's codes).
 */
#ifndef AION_EXT2OPS_H
#define AION_EXT2OPS_H

#include <stddef.h>
#include <stdint.h>
/* ext2fs.h names dev_t and mode_t but includes <sys/types.h> only when
 * its includer defined configure's HAVE_SYS_TYPES_H. */
#include <sys/types.h>
#include <time.h>
#include <ext2fs/ext2fs.h>

/* Seconds for a time stamp: the file system's clock when set (e2fsprogs'
 * tests set fs->now), else the system's. */
static inline __u32 ext2ops_now(ext2_filsys fs)
{
	return (__u32)(fs->now ? fs->now : time(NULL));
}

/* lib/ext2fs's error code (errno values and EXT2_ET_...) as -AION_E... */
int ext2ops_error(errcode_t err);

/* Opens the file system `name` through `io` (read-write when rw), with
 * its bitmaps read (a write allocates from them). */
int ext2ops_open(const char *name, io_manager io, int rw, ext2_filsys *out);

/* Writes back what changed (superblock, group descriptors, bitmaps) and
 * closes; the file system handle is freed even when that fails. */
int ext2ops_close(ext2_filsys fs);

/* The inode of path, or -AION_ENOENT / -AION_ENOTDIR. */
int ext2ops_lookup(ext2_filsys fs, ext2_ino_t at, const char *path, ext2_ino_t *ino);

/* Creates an empty regular file (mode: permission bits) in an existing
 * directory: -AION_EEXIST when the name is taken. */
int ext2ops_create(ext2_filsys fs, ext2_ino_t at, const char *path, unsigned mode,
		   ext2_ino_t *ino);

/* Reads up to len bytes at off: the count (0 at or past the end). */
int64_t ext2ops_read(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		     void *buf, size_t len);

/* Writes len bytes at off, growing the file: the count. */
int64_t ext2ops_write(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		      const void *buf, size_t len);

/* What VFS_STAT and VFS_FSTAT report of an inode (times: the inode's
 * seconds since 1970). */
struct ext2ops_stat {
	uint64_t ino, size, blocks;     /* blocks: 512-byte units held */
	uint64_t mtime, ctime;
	uint32_t mode;                  /* LINUX_S_IF* | permission bits */
	uint32_t nlink, uid, gid;
};

int ext2ops_stat(ext2_filsys fs, ext2_ino_t ino, struct ext2ops_stat *st);

/* A new empty directory ("." and ".."): -AION_EEXIST when the name is taken. */
int ext2ops_mkdir(ext2_filsys fs, ext2_ino_t at, const char *path, unsigned mode);

/* Removes a name of a file (-AION_EISDIR for a directory) and lowers its
 * link count. *gone: the count reached 0. Its inode and blocks stay until
 * ext2ops_release (the server releases once no open record uses it). */
int ext2ops_unlink(ext2_filsys fs, ext2_ino_t at, const char *path, ext2_ino_t *ino, int *gone);

/* Frees an inode whose link count is 0, with its blocks: -AION_EBUSY
 * while it has a name, -AION_EDOUBLE when it is free already. */
int ext2ops_release(ext2_filsys fs, ext2_ino_t ino);

/* Removes an empty directory (-AION_ENOTEMPTY, -AION_ENOTDIR; the root:
 * -AION_EBUSY), freeing it. */
int ext2ops_rmdir(ext2_filsys fs, ext2_ino_t at, const char *path);

/* rename(2): a file over a file (the old target's link count drops, as
 * ext2ops_unlink, *gone_ino its inode when the count reached 0, else 0),
 * a directory over an empty directory or nothing (its ".." follows);
 * -AION_EINVAL moving a directory into itself; -AION_EISDIR a file over a
 * directory, -AION_ENOTDIR a directory over a file. */
int ext2ops_rename(ext2_filsys fs, ext2_ino_t at, const char *from, const char *to,
		   ext2_ino_t *gone_ino);

/* link(2): a second name for a file; -AION_EPERM for a directory,
 * -AION_ERANGE at EXT2_LINK_MAX links. */
int ext2ops_link(ext2_filsys fs, ext2_ino_t at, const char *from, const char *to);

/* Sets a file's size: blocks past it are freed, a longer size is a hole. */
int ext2ops_truncate(ext2_filsys fs, ext2_ino_t ino, uint64_t size);

/* Sets the permission bits (07777), keeping the type. */
int ext2ops_chmod(ext2_filsys fs, ext2_ino_t ino, unsigned mode);

/* Directory entries from index pos (0 is the first live entry, "." and
 * ".." included, as the directory holds them): calls fn for each until it
 * returns nonzero (that entry is not consumed) or the directory ends.
 * *next: the index after the last consumed. -AION_ENOTDIR for a file. */
typedef int (*ext2ops_dirent_fn)(void *ctx, const char *name, unsigned len,
				 ext2_ino_t ino, unsigned type /* LINUX_S_IF* >> 12 */);
int ext2ops_readdir(ext2_filsys fs, ext2_ino_t dir, uint64_t pos,
		    ext2ops_dirent_fn fn, void *ctx, uint64_t *next);

/* Everything written so far is on the device and the device flushed:
 * the superblock, group descriptors and bitmaps written back
 * (ext2fs_flush), then the I/O channel's flush (blkio: the device's). */
int ext2ops_sync(ext2_filsys fs);

#endif
