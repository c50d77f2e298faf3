/*
 * The initramfs: a newc ("070701") cpio archive unpacked into a ramfs
 * (docs/fs.md). Directories and regular files only; a directory must come
 * before what it holds (the build's mkinitramfs.py writes them so). Pure
 * code, host-tested: every length is checked against the archive's end.
 */
#ifndef FS_CPIO_H
#define FS_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include "ramfs.h"

struct cpio_stats {
	unsigned dirs, files;
	uint64_t bytes;
};

/* Unpacks the archive under root: 0, or -AION_EMALFORMED (a bad header,
 * a length past the end, no trailer), -AION_EINVAL (a kind other than a
 * directory or a regular file), or the ramfs' error (ENOENT: a parent
 * missing). What came before an error stays. */
int cpio_unpack(struct ramfs *fs, struct rnode *root, const uint8_t *a, size_t n,
		struct cpio_stats *stats);

#endif /* FS_CPIO_H */
