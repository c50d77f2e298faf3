/*
 * File operations on an ext2/3/4 file system through lib/ext2fs (Debian's
 * e2fsprogs 1.47, space/ext2/build.sh): the logic the ext2 server runs on
 * Aion (issue 18), with no system call of its own, so the host tests run
 * the same code on images the host's mke2fs makes and its e2fsck checks
 * (tests/unit/test_ext2ops.c). Paths are absolute within the file system.
 * Errors are -AION_E... (ext2ops_error maps lib/ext2fs's codes).
 */
#ifndef AION_EXT2OPS_H
#define AION_EXT2OPS_H

#include <stddef.h>
#include <stdint.h>
/* ext2fs.h names dev_t and mode_t but includes <sys/types.h> only when
 * its includer defined configure's HAVE_SYS_TYPES_H. */
#include <sys/types.h>
#include <ext2fs/ext2fs.h>

/* lib/ext2fs's error code (errno values and EXT2_ET_...) as -AION_E... */
int ext2ops_error(errcode_t err);

/* Opens the file system `name` through `io` (read-write when rw), with
 * its bitmaps read (a write allocates from them). */
int ext2ops_open(const char *name, io_manager io, int rw, ext2_filsys *out);

/* Writes back what changed (superblock, group descriptors, bitmaps) and
 * closes; the file system handle is freed even when that fails. */
int ext2ops_close(ext2_filsys fs);

/* The inode of path, or -AION_ENOENT / -AION_ENOTDIR. */
int ext2ops_lookup(ext2_filsys fs, const char *path, ext2_ino_t *ino);

/* Creates an empty regular file (mode: permission bits) in an existing
 * directory: -AION_EEXIST when the name is taken. */
int ext2ops_create(ext2_filsys fs, const char *path, unsigned mode,
		   ext2_ino_t *ino);

/* Reads up to len bytes at off: the count (0 at or past the end). */
int64_t ext2ops_read(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		     void *buf, size_t len);

/* Writes len bytes at off, growing the file: the count. */
int64_t ext2ops_write(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		      const void *buf, size_t len);

#endif
