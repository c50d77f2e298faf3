/*
 * The device of ext2d's e2fsck child (fsck.h): e2fsck opens the file system
 * it checks through the I/O manager named unix_io_manager (e2fsck/unix.c),
 * which lib/ext2fs defines for Unix devices. build.sh's copy of the
 * library has that definition weak, so this one is linked instead: the
 * same manager as ext2d's (blkio.c), over the data region the child was
 * given. Its open attaches the region on first use, then hands the name
 * to blkio; every other operation is blkio's, as the channel is its.
 * e2fsck also asks the device's size by name (ext2fs_get_device_size2,
 * weak in that copy too): the region's, answered here.
 */
#include <stdbool.h>
#include <string.h>
#include "aion/error.h"
#include "blkio.h"
#include "fsck.h"
#include "libaion/blkclient.h"

/* The POSIX layer's registered IPC buffer of the calling thread (vfsclient.c):
 * shared, so that a file call of e2fsck does not unregister ours. */
struct aion_ipc_buffer *__aion_ipc_buf(void);

io_manager unix_io_manager;

static struct struct_io_manager region_manager;
static struct blkclient disk;
static struct ext2_blkdev dev;
static bool attached;

static errcode_t region_open(const char *name, int flags, io_channel *channel)
{
	if (!attached) {
		char registered[EXT2_BLKIO_NAME_MAX];
		struct aion_ipc_buffer *ipc = __aion_ipc_buf();
		if (!ipc || blkclient_open(&disk, EXT2_FSCK_REGION, ipc, EXT2_BLK_BUF_VA))
			return EXT2_ET_BAD_DEVICE_NAME;
		dev = (struct ext2_blkdev){ .ctx = &disk, .read = blkclient_read,
					    .write = blkclient_write, .flush = blkclient_flush,
					    .sectors = disk.blocks };
		if (ext2_blkio_register(&dev, registered, sizeof(registered)) ||
		    strcmp(registered, EXT2_FSCK_DEVICE)) {
			blkclient_close(&disk);
			return EXT2_ET_BAD_DEVICE_NAME;
		}
		attached = true;
	}
	return ext2_blkio->open(name, flags, channel);
}

__attribute__((constructor)) static void fsck_io_init(void)
{
	region_manager = *ext2_blkio;
	region_manager.name = "Aion data region";
	region_manager.open = region_open;
	unix_io_manager = &region_manager;
}

errcode_t ext2fs_get_device_size2(const char *file, int blocksize, blk64_t *retblocks)
{
	if (!attached || strcmp(file, EXT2_FSCK_DEVICE) || blocksize <= 0)
		return EXT2_ET_UNIMPLEMENTED;   /* e2fsck then trusts the superblock */
	*retblocks = disk.blocks * BLK_SIZE / (unsigned)blocksize;
	return 0;
}
