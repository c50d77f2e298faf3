/*
 * ext2d and its e2fsck child (docs/storage.md "Recovery at mount"): the
 * child is e2fsck 1.47 from Debian's e2fsprogs, unedited, linked with
 * fsck_io.c, whose unix_io_manager opens the data region through blkclient
 * and blkio.c. ext2d gives the child the region capability as the only
 * handle of its table, so it lands in the first slot, and runs
 * "e2fsck -p aion-blk:0".
 */
#ifndef AION_EXT2_FSCK_H
#define AION_EXT2_FSCK_H

#include "aion/object.h"

#define EXT2_FSCK_REGION        AION_HANDLE(1, 1)
#define EXT2_FSCK_DEVICE        "aion-blk:0"
/* blkclient's shared buffer, in ext2d and in its child: past the POSIX
 * layer's mmap range (space/posix/mem.c), where no mapping of the
 * library's lands. */
#define EXT2_BLK_BUF_VA         0x0000480000000000ull

#endif
