/*
 * lib/ext2fs's I/O manager over a sector device (blkio.h). lib/ext2fs
 * speaks in its own blocks (1 KiB until the superblock says otherwise)
 * and, with a negative count, in bytes; the device in 512-byte sectors.
 * Whole sectors go straight through; a piece of a sector (a byte count
 * that is not a multiple, the superblock's 1 KiB at byte 1024 is not one)
 * goes through one sector of bounce buffer, read-modify-write for writes.
 *
 * A write-back cache of single blocks (BLKIO_CACHE_BYTES): lib/ext2fs
 * reads and writes one block at a time for file data, inode table blocks
 * and directories, and the ext2 server's every call would otherwise cost
 * several device round trips (a 512-byte append: the data block read and
 * written, the inode's block read and written). A block written stays
 * here, dirty, until its slot is wanted for another, a larger transfer
 * covers it, or the channel's flush, which writes every dirty block back
 * before the device's flush: so whatever was written before a flush is on
 * stable storage when it returns, as before, and nothing is promised of
 * the rest (what fsync is for). Direct-mapped: a block has one slot, so
 * consecutive blocks sit in consecutive slots, which is what lets the
 * cache move runs of them as one device request: a dirty block written
 * back takes the dirty blocks that follow it along (up to BLKIO_RUN_MAX),
 * and a read that misses right where the last miss's run ended (a file
 * read in order) reads the next BLKIO_RUN_MAX blocks at once, into slots
 * that hold nothing unwritten. Each device request costs a round trip to
 * the driver and a virtio request, whatever its size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aion/error.h>

#include "blkio.h"

#define BLKIO_CACHE_BYTES       (1u << 20)
#define BLKIO_RUN_MAX           64u     /* blocks of one clustered request */

static const struct ext2_blkdev *devs[EXT2_BLKIO_DEVS_MAX];

struct slot {
	uint64_t block;
	int valid, dirty;
};

/* A channel's state (io_channel's private_data). */
struct chan {
	const struct ext2_blkdev *dev;
	struct slot *slots;
	uint8_t *mem;                   /* nslots blocks */
	unsigned nslots;
	uint64_t next_read;             /* the block after the last read miss's run */
};

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

static struct chan *chan_of(io_channel ch)
{
	return ch->private_data;
}

static const struct ext2_blkdev *dev_of(io_channel ch)
{
	return chan_of(ch)->dev;
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

/* --- the cache --- */

static unsigned index_of(struct chan *c, uint64_t block)
{
	return (unsigned)(block % c->nslots);
}

static uint8_t *data_of(io_channel ch, unsigned i)
{
	return chan_of(ch)->mem + (size_t)i * (size_t)ch->block_size;
}

/* Slot i's block, when dirty, and the dirty blocks after it in the next
 * slots (up to the cache's end), written back as one request. */
static errcode_t write_back(io_channel ch, unsigned i)
{
	struct chan *c = chan_of(ch);
	struct slot *s = &c->slots[i];
	unsigned n = 1;

	if (!s->valid || !s->dirty)
		return 0;
	while (n < BLKIO_RUN_MAX && i + n < c->nslots) {
		struct slot *t = &c->slots[i + n];
		if (!t->valid || !t->dirty || t->block != s->block + n)
			break;
		n++;
	}
	errcode_t err = xfer(c->dev, s->block * (uint64_t)ch->block_size, NULL, data_of(ch, i),
			     (size_t)n * (size_t)ch->block_size);
	for (unsigned k = 0; !err && k < n; k++)
		c->slots[i + k].dirty = 0;
	return err;
}

/* Blocks [first, first + n) leave the cache, the dirty ones written back
 * first (a transfer of several blocks goes around the cache). */
static errcode_t drop_range(io_channel ch, uint64_t first, uint64_t n)
{
	struct chan *c = chan_of(ch);

	if (!c->nslots)
		return 0;
	for (uint64_t k = 0; k < n && k < c->nslots; k++) {
		/* Each slot once: all of them when the range is larger. */
		unsigned i = n > c->nslots ? (unsigned)k : index_of(c, first + k);
		struct slot *s = &c->slots[i];
		if (!s->valid || s->block < first || s->block - first >= n)
			continue;
		errcode_t err = write_back(ch, i);
		if (err)
			return err;
		s->valid = 0;
	}
	return 0;
}

/* How many blocks from block (in slot i) one read brings: 1, or on a miss
 * where the last run ended, up to BLKIO_RUN_MAX: never past the cache's
 * end or the device's, never over a dirty slot or one that has its block. */
static unsigned read_run(io_channel ch, unsigned i, uint64_t block)
{
	struct chan *c = chan_of(ch);
	uint64_t dev_blocks = c->dev->sectors * EXT2_BLKIO_SECTOR / (uint64_t)ch->block_size;
	unsigned n = 1;

	if (block != c->next_read)
		return 1;
	while (n < BLKIO_RUN_MAX && i + n < c->nslots && block + n < dev_blocks) {
		struct slot *t = &c->slots[i + n];
		if (t->valid && (t->dirty || t->block == block + n))
			break;
		n++;
	}
	return n;
}

/* The slot for block, holding it (read from the device unless whole). */
static errcode_t fill(io_channel ch, uint64_t block, int whole, uint8_t **out)
{
	struct chan *c = chan_of(ch);
	unsigned i = index_of(c, block);
	struct slot *s = &c->slots[i];

	*out = data_of(ch, i);
	if (s->valid && s->block == block)
		return 0;
	errcode_t err = write_back(ch, i);
	if (err)
		return err;
	s->valid = 0;
	if (whole) {
		*s = (struct slot){ .block = block, .valid = 1 };
		return 0;
	}
	unsigned n = read_run(ch, i, block);
	for (unsigned k = 1; k < n; k++)
		c->slots[i + k].valid = 0;      /* clean, or free: theirs goes */
	if ((err = xfer(c->dev, block * (uint64_t)ch->block_size, *out, NULL,
			(size_t)n * (size_t)ch->block_size)))
		return err;
	for (unsigned k = 0; k < n; k++)
		c->slots[i + k] = (struct slot){ .block = block + k, .valid = 1 };
	c->next_read = block + n;
	return 0;
}

/* Blocks touched by span(count) bytes from block's start. */
static uint64_t blocks_of(io_channel ch, int count)
{
	return (span(ch, count) + (size_t)ch->block_size - 1) / (size_t)ch->block_size;
}

static errcode_t blk_read64(io_channel ch, unsigned long long block,
			    int count, void *data)
{
	uint8_t *cached;
	errcode_t err;

	if (count == 1 && chan_of(ch)->nslots) {
		if ((err = fill(ch, block, 0, &cached)))
			return err;
		memcpy(data, cached, (size_t)ch->block_size);
		return 0;
	}
	if ((err = drop_range(ch, block, blocks_of(ch, count))))
		return err;
	return xfer(dev_of(ch), block * (uint64_t)ch->block_size, data, NULL,
		    span(ch, count));
}

static errcode_t blk_write64(io_channel ch, unsigned long long block,
			     int count, const void *data)
{
	uint8_t *cached;
	errcode_t err;

	if (count == 1 && chan_of(ch)->nslots) {
		if ((err = fill(ch, block, 1, &cached)))
			return err;
		memcpy(cached, data, (size_t)ch->block_size);
		chan_of(ch)->slots[index_of(chan_of(ch), block)].dirty = 1;
		return 0;
	}
	if ((err = drop_range(ch, block, blocks_of(ch, count))))
		return err;
	return xfer(dev_of(ch), block * (uint64_t)ch->block_size, NULL, data,
		    span(ch, count));
}

/* Every dirty block back to the device. */
static errcode_t write_all(io_channel ch)
{
	struct chan *c = chan_of(ch);

	for (unsigned i = 0; i < c->nslots; i++) {
		errcode_t err = write_back(ch, i);
		if (err)
			return err;
	}
	return 0;
}

/* A cache of BLKIO_CACHE_BYTES in blocks of the channel's size; the
 * old one written back and gone. */
static errcode_t cache_resize(io_channel ch, int blksize)
{
	struct chan *c = chan_of(ch);
	errcode_t err = write_all(ch);

	if (err)
		return err;
	/* lib/ext2fs sets 1 KiB and back around each superblock write: an
	 * unchanged size keeps the cache as it is (warm after a sync). */
	if (c->nslots && ch->block_size == blksize)
		return 0;
	free(c->slots);
	free(c->mem);
	c->nslots = BLKIO_CACHE_BYTES / (unsigned)blksize;
	c->next_read = 0;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	c->mem = malloc((size_t)c->nslots * (size_t)blksize);
	if (!c->slots || !c->mem) {
		free(c->slots);
		free(c->mem);
		*c = (struct chan){ .dev = c->dev };
		return EXT2_ET_NO_MEMORY;
	}
	return 0;
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
	errcode_t err = write_all(ch);

	if (err)
		return err;
	return d->flush(d->ctx) < 0 ? EXT2_ET_SHORT_WRITE : 0;
}

static errcode_t blk_set_blksize(io_channel ch, int blksize)
{
	if (blksize < (int)EXT2_BLKIO_SECTOR || blksize % EXT2_BLKIO_SECTOR ||
	    blksize > (int)BLKIO_CACHE_BYTES)
		return EXT2_ET_INVALID_ARGUMENT;
	errcode_t err = cache_resize(ch, blksize);
	if (!err)
		ch->block_size = blksize;
	return err;
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
	struct chan *c = chan_of(ch);

	if (--ch->refcount > 0)
		return 0;
	errcode_t err = write_all(ch);  /* lib/ext2fs flushed already, if it could */
	free(c->slots);
	free(c->mem);
	free(c);
	free(ch->name);
	free(ch);
	return err;
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
	struct chan *c = calloc(1, sizeof(*c));
	if (!ch || !c || !(ch->name = strdup(name))) {
		free(c);
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = ext2_blkio;
	ch->refcount = 1;
	c->dev = d;
	ch->private_data = c;
	errcode_t err = blk_set_blksize(ch, 1024);
	if (err) {
		blk_close(ch);
		return err;
	}
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
