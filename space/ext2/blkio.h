/*
 * A lib/ext2fs I/O manager over a block device of 512-byte sectors given
 * as function pointers (the shape of blkclient's: ctx, read, write, flush;
 * 0 or -AION_E...). On Aion the device is the node disk's "data" region
 * through blkclient; on the host, a RAM disk (tests/unit/test_ext2blkio.c).
 * Pure logic: no system call of its own.
 *
 * lib/ext2fs opens a device by name only, so a device is registered first
 * and its name ("aion-blk:N") passed to ext2fs_open with ext2_blkio:
 *
 *     char name[EXT2_BLKIO_NAME_MAX];
 *     ext2_blkio_register(&dev, name, sizeof(name));
 *     ext2ops_open(name, ext2_blkio, 1, &fs);
 */
#ifndef AION_EXT2_BLKIO_H
#define AION_EXT2_BLKIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ext2fs/ext2fs.h>

#define EXT2_BLKIO_SECTOR   512u
#define EXT2_BLKIO_DEVS_MAX 4
#define EXT2_BLKIO_NAME_MAX 16

struct ext2_blkdev {
	void *ctx;
	int (*read)(void *ctx, uint64_t sector, void *buf, uint32_t count);
	int (*write)(void *ctx, uint64_t sector, const void *buf, uint32_t count);
	int (*flush)(void *ctx);  /* every write before it is durable */
	uint64_t sectors;         /* the device's size */
};

/* Registers dev (kept by pointer: it must outlive its channels) and
 * writes its name: 0, or -AION_ENOSPC with every slot taken. */
int ext2_blkio_register(const struct ext2_blkdev *dev, char *name, size_t cap);
/* Forgets a registered device (its open channels keep working). */
void ext2_blkio_unregister(const struct ext2_blkdev *dev);

extern io_manager ext2_blkio;

#endif
