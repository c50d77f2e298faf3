/*
 * lib/ext2fs's I/O manager over a sector device (blkio.h). lib/ext2fs
 * speaks in its own blocks (1 KiB until the superblock says otherwise)
 * and, with a negative count, in bytes; the device in 512-byte sectors.
 * Whole sectors go straight through; a piece of a sector (a byte count
 * that is not a multiple, the superblock's 1 KiB at byte 1024 is not one)
 * goes through one sector of bounce buffer, read-modify-write for writes.
 * No cache: lib/ext2fs keeps what it rereads (bitmaps, the inode table's
 * blocks in its own small cache), and the ext2 server's page cache will
 * sit above this, not below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aion/error.h>

#include "blkio.h"

static const struct ext2_blkdev *devs[EXT2_BLKIO_DEVS_MAX];

int ext2_blkio_register(const struct ext2_blkdev *dev, char *name, size_t cap)
{
	for (int i = 0; i < EXT2_BLKIO_DEVS_MAX; i++) {
		if (devs[i] && devs[i] != dev)
			continue;
		devs[i] = dev;
		snprintf(name, cap, "aion-blk:%d", i);
		return 0;
	}
	return -AION_ENOSPC;
}

void ext2_blkio_unregister(const struct ext2_blkdev *dev)
{
	for (int i = 0; i < EXT2_BLKIO_DEVS_MAX; i++)
		if (devs[i] == dev)
			devs[i] = NULL;
}

static const struct ext2_blkdev *dev_of(io_channel ch)
{
	return ch->private_data;
}

/* len bytes at byte off, into rbuf or from wbuf (one of them). */
static errcode_t xfer(const struct ext2_blkdev *d, uint64_t off, uint8_t *rbuf,
		      const uint8_t *wbuf, size_t len)
{
	const errcode_t fail = wbuf ? EXT2_ET_SHORT_WRITE : EXT2_ET_SHORT_READ;
	uint8_t bounce[EXT2_BLKIO_SECTOR];

	while (len) {
		uint64_t sec = off / EXT2_BLKIO_SECTOR;
		size_t in = (size_t)(off % EXT2_BLKIO_SECTOR), done;

		if (sec >= d->sectors)
			return fail;            /* past the device's end */
		if (in == 0 && len >= EXT2_BLKIO_SECTOR) {
			uint64_t n = len / EXT2_BLKIO_SECTOR;

			if (n > d->sectors - sec)
				return fail;
			if (n > 0x10000)
				n = 0x10000;    /* a bounded call: 32 MiB */
			if ((wbuf ? d->write(d->ctx, sec, wbuf, (uint32_t)n) :
				    d->read(d->ctx, sec, rbuf, (uint32_t)n)) < 0)
				return fail;
			done = (size_t)n * EXT2_BLKIO_SECTOR;
		} else {
			done = EXT2_BLKIO_SECTOR - in < len ?
			       EXT2_BLKIO_SECTOR - in : len;
			if (d->read(d->ctx, sec, bounce, 1) < 0)
				return fail;
			if (wbuf) {
				memcpy(bounce + in, wbuf, done);
				if (d->write(d->ctx, sec, bounce, 1) < 0)
					return fail;
			} else {
				memcpy(rbuf, bounce + in, done);
			}
		}
		off += done;
		len -= done;
		if (rbuf)
			rbuf += done;
		else
			wbuf += done;
	}
	return 0;
}

/* lib/ext2fs's (block, count): count blocks, or -count bytes. */
static size_t span(io_channel ch, int count)
{
	return count < 0 ? (size_t)-(long)count :
	       (size_t)count * (size_t)ch->block_size;
}

static errcode_t blk_read64(io_channel ch, unsigned long long block,
			    int count, void *data)
{
	return xfer(dev_of(ch), block * (uint64_t)ch->block_size, data, NULL,
		    span(ch, count));
}

static errcode_t blk_write64(io_channel ch, unsigned long long block,
			     int count, const void *data)
{
	return xfer(dev_of(ch), block * (uint64_t)ch->block_size, NULL, data,
		    span(ch, count));
}

static errcode_t blk_read(io_channel ch, unsigned long block, int count,
			  void *data)
{
	return blk_read64(ch, block, count, data);
}

static errcode_t blk_write(io_channel ch, unsigned long block, int count,
			   const void *data)
{
	return blk_write64(ch, block, count, data);
}

static errcode_t blk_flush(io_channel ch)
{
	const struct ext2_blkdev *d = dev_of(ch);

	return d->flush(d->ctx) < 0 ? EXT2_ET_SHORT_WRITE : 0;
}

static errcode_t blk_set_blksize(io_channel ch, int blksize)
{
	if (blksize < (int)EXT2_BLKIO_SECTOR || blksize % EXT2_BLKIO_SECTOR)
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

static errcode_t blk_set_option(io_channel ch, const char *option,
				const char *arg)
{
	(void)ch;
	(void)option;
	(void)arg;
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t blk_close(io_channel ch)
{
	if (--ch->refcount > 0)
		return 0;
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t blk_open(const char *name, int flags, io_channel *out)
{
	const struct ext2_blkdev *d = NULL;
	io_channel ch;
	int i;

	(void)flags;    /* read-only is lib/ext2fs's to enforce */
	if (!name || sscanf(name, "aion-blk:%d", &i) != 1 || i < 0 ||
	    i >= EXT2_BLKIO_DEVS_MAX || !(d = devs[i]))
		return EXT2_ET_BAD_DEVICE_NAME;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return EXT2_ET_NO_MEMORY;
	ch->name = strdup(name);
	if (!ch->name) {
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = ext2_blkio;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = (void *)d;
	*out = ch;
	return 0;
}

static struct struct_io_manager blkio_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "Aion block I/O manager",
	.open = blk_open,
	.close = blk_close,
	.set_blksize = blk_set_blksize,
	.read_blk = blk_read,
	.write_blk = blk_write,
	.flush = blk_flush,
	.set_option = blk_set_option,
	.read_blk64 = blk_read64,
	.write_blk64 = blk_write64,
};

io_manager ext2_blkio = &blkio_manager;
