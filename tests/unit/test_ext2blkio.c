/*
 * space/ext2/blkio.c, lib/ext2fs's I/O manager over a sector device
 * (blkclient's shape), on a RAM disk loaded from an image the host's
 * mke2fs made and written back for the host's e2fsck and debugfs: the
 * workload of test_ext2ops.c through it, a device that fails its reads
 * or is cut short. Then its write-back cache, with 1 and 4 KiB blocks:
 * files three times its size, a sync alone making the device whole, and
 * transfers of several blocks on blocks it holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <aion/error.h>

#include "blkio.h"
#include "ext2ops.h"
#include "ext2test.h"

/* A RAM disk of 512-byte sectors with blkclient's shape; reads fail from
 * fail_reads_after on (0: never). */
struct ramdisk {
	uint8_t *mem;
	uint64_t sectors;
	unsigned flushes, reads, fail_reads_after;
	unsigned read_calls, write_calls;       /* requests, whatever their size */
	uint64_t dirty;         /* sectors written since the last flush */
	uint64_t written;       /* sectors written, ever */
};

static int ram_read(void *ctx, uint64_t sector, void *buf, uint32_t count)
{
	struct ramdisk *r = ctx;

	assert_true(sector + count <= r->sectors);
	r->read_calls++;
	if (r->fail_reads_after && ++r->reads > r->fail_reads_after)
		return -AION_EIO;
	memcpy(buf, r->mem + sector * EXT2_BLKIO_SECTOR, (size_t)count * EXT2_BLKIO_SECTOR);
	return 0;
}

static int ram_write(void *ctx, uint64_t sector, const void *buf, uint32_t count)
{
	struct ramdisk *r = ctx;

	assert_true(sector + count <= r->sectors);
	memcpy(r->mem + sector * EXT2_BLKIO_SECTOR, buf, (size_t)count * EXT2_BLKIO_SECTOR);
	r->write_calls++;
	r->dirty += count;
	r->written += count;
	return 0;
}

static int ram_flush(void *ctx)
{
	struct ramdisk *r = ctx;

	r->flushes++;
	r->dirty = 0;
	return 0;
}

/* Through blkio.c on a RAM disk loaded from the host's image and written
 * back for the host's tools: the same workload, the same checks, and the
 * close flushes what it wrote. */
static void test_blkio(void **state)
{
	char img[96], name[EXT2_BLKIO_NAME_MAX];
	ext2_filsys fs;
	struct ramdisk r = { 0 };
	size_t len;
	uint8_t *data = malloc(BIG);
	FILE *f;

	(void)state;
	assert_non_null(data);
	fill(data, BIG, 11);
	make_image(img, sizeof(img), "blk.img", "24M");
	r.mem = slurp(img, &len);
	assert_non_null(r.mem);
	r.sectors = len / EXT2_BLKIO_SECTOR;
	struct ext2_blkdev dev = { &r, ram_read, ram_write, ram_flush, r.sectors };

	assert_int_equal(ext2_blkio_register(&dev, name, sizeof(name)), 0);
	assert_int_equal(ext2ops_open("aion-blk:9", ext2_blkio, 1, &fs), -AION_EIO);
	assert_int_equal(ext2ops_open(name, ext2_blkio, 1, &fs), 0);
	exercise(fs, data);
	/* A sync reaches the device: written, then flushed. */
	r.flushes = 0;
	assert_int_equal(ext2ops_sync(fs), 0);
	assert_true(r.flushes >= 1);
	assert_int_equal(r.dirty, 0);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_true(r.flushes >= 1);
	assert_int_equal(r.dirty, 0);
	f = fopen(img, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(r.mem, 1, len, f), len);
	fclose(f);
	check_image(img, data);

	/* A device that fails its reads: errors, never a crash or a hang. */
	assert_int_equal(ext2ops_open(name, ext2_blkio, 0, &fs), 0);
	r.reads = 0;
	r.fail_reads_after = 1;
	ext2_ino_t ino;
	int e = ext2ops_lookup(fs, EXT2_ROOT_INO, "/file-with-a-long-name-0150", &ino);
	assert_true(e == 0 || e == -AION_EIO);
	if (e == 0) {
		uint8_t buf[16];

		assert_int_equal(ext2ops_read(fs, ino, 0, buf, sizeof(buf)), -AION_EIO);
	}
	r.fail_reads_after = 0;
	assert_int_equal(ext2ops_close(fs), 0);
	/* A device cut short: the file system's end is past it. */
	dev.sectors = 64;
	assert_true(ext2ops_open(name, ext2_blkio, 0, &fs) < 0 ||
		    (ext2ops_close(fs), 0));
	ext2_blkio_unregister(&dev);
	free(r.mem);
	free(data);
}

/* --- blkio's write-back cache (BLKIO_CACHE_BYTES of single blocks,
 * direct-mapped) --- */

enum { CACHE_BYTES = 1 << 20 };  /* blkio.c's BLKIO_CACHE_BYTES */

/* n bytes of a pattern from position pos: unlike fill's, which repeats
 * every 128 KiB, no two blocks of it are alike, so a block served from
 * the wrong place, or an older generation of it (another seed), does not
 * compare equal. */
static void stamp(uint8_t *p, size_t n, uint64_t pos, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = (pos + i) * 0x9e3779b97f4a7c15ull + seed * 0xc2b2ae3d27d4eb4full;

		v ^= v >> 31;
		p[i] = (uint8_t)((v * 0xbf58476d1ce4e5b9ull) >> 56);
	}
}

/* A RAM disk loaded from the host's image and registered with blkio:
 * what is opened by its name goes through the cache under test. */
struct ramdev {
	struct ramdisk r;
	struct ext2_blkdev dev;
	char name[EXT2_BLKIO_NAME_MAX];
};

static void ramdev_load(struct ramdev *d, const char *img)
{
	size_t len;

	*d = (struct ramdev){ 0 };
	d->r.mem = slurp(img, &len);
	assert_non_null(d->r.mem);
	d->r.sectors = len / EXT2_BLKIO_SECTOR;
	d->dev = (struct ext2_blkdev){ &d->r, ram_read, ram_write, ram_flush, d->r.sectors };
	assert_int_equal(ext2_blkio_register(&d->dev, d->name, sizeof(d->name)), 0);
}

/* The device's bytes as they stand into the host's file path, for the
 * host's tools. */
static void ramdev_save(const struct ramdev *d, const char *path)
{
	size_t len = d->r.sectors * EXT2_BLKIO_SECTOR;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d->r.mem, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void ramdev_free(struct ramdev *d)
{
	ext2_blkio_unregister(&d->dev);
	free(d->r.mem);
}

/* The host's debugfs dumps path of img as data[0..len). */
static void assert_dumped(const char *img, const char *path, const void *data,
			  size_t len)
{
	char out[128];
	uint8_t *dumped;
	size_t dlen;

	/* debugfs leaves no file for a name it does not find: none stale. */
	snprintf(out, sizeof(out), "%s/dump.out", dir);
	assert_int_equal(sh("rm -f %s && debugfs -R 'dump %s %s' %s > /dev/null 2>&1",
			    out, path, out, img), 0);
	dumped = slurp(out, &dlen);
	assert_non_null(dumped);
	assert_int_equal(dlen, len);
	assert_memory_equal(dumped, data, len);
	free(dumped);
}

enum { EVICT_FILES = 6, EVICT_SIZE = 512 * 1024, EVICT_GROW = 64 * 1024 };

/* Files three times the cache, and what each should hold. */
struct evict {
	ext2_filsys fs;
	ext2_ino_t ino[EVICT_FILES];
	uint8_t *want[EVICT_FILES];     /* EVICT_SIZE + EVICT_GROW each */
	size_t size[EVICT_FILES];
	char path[EVICT_FILES][32];
};

static void evict_write(struct evict *e, unsigned f, size_t off, size_t len,
			unsigned seed)
{
	stamp(e->want[f] + off, len, off, seed);
	assert_int_equal(ext2ops_write(e->fs, e->ino[f], off, e->want[f] + off, len),
			 (int64_t)len);
	if (off + len > e->size[f])
		e->size[f] = off + len;
}

/* A piece of file f read back, mid-workload: its blocks pulled into
 * slots that dirty blocks of other files held. */
static void evict_check(struct evict *e, unsigned f, size_t off, size_t len)
{
	uint8_t *back = malloc(len);

	assert_non_null(back);
	if (off + len > e->size[f])
		len = e->size[f] - off;
	assert_int_equal(ext2ops_read(e->fs, e->ino[f], off, back, len), (int64_t)len);
	assert_memory_equal(back, e->want[f] + off, len);
	free(back);
}

/* 3 MiB of files through the 1 MiB cache, before any sync: written in
 * pieces in turn (dirty blocks of one file push out another's), then
 * rewritten in overlapping pieces of every size, a piece of a block
 * read, changed and written (its block most likely evicted dirty and read
 * back from the device), some growing the file; all read back and right;
 * then synced, closed, and the host's tools agree. */
static void test_blkio_evict(void **state)
{
	const char *opts = *state;
	char img[96];
	struct ramdev d;
	struct evict e = { 0 };
	const size_t total = EVICT_FILES * (size_t)EVICT_SIZE;

	make_image_opts(img, sizeof(img), "evict.img", "32M", opts);
	ramdev_load(&d, img);
	assert_int_equal(ext2ops_open(d.name, ext2_blkio, 1, &e.fs), 0);
	for (unsigned f = 0; f < EVICT_FILES; f++) {
		snprintf(e.path[f], sizeof(e.path[f]), "/evict-%u", f);
		assert_int_equal(ext2ops_create(e.fs, EXT2_ROOT_INO, e.path[f], 0644, &e.ino[f]), 0);
		e.want[f] = calloc(1, EVICT_SIZE + EVICT_GROW);
		assert_non_null(e.want[f]);
	}
	for (size_t off = 0; off < EVICT_SIZE; off += 40000)
		for (unsigned f = 0; f < EVICT_FILES; f++)
			evict_write(&e, f, off, off + 40000 > EVICT_SIZE ?
				    EVICT_SIZE - off : 40000, 1000 * f);
	for (unsigned i = 0; i < 150; i++) {
		unsigned f = (i * 5) % EVICT_FILES;
		size_t off = (i * 104729u) % EVICT_SIZE;
		size_t len = i % 3 ? 1 + (i * 7919u) % 60000 : 1 + (i * 37u) % 700;

		evict_write(&e, f, off, len, 1000 * f + i + 1);
		if (i % 10 == 9)
			evict_check(&e, (f + 3) % EVICT_FILES, (i * 3331u) % EVICT_SIZE, 20000);
	}
	/* Eviction happened: at most the cache's worth is still held back. */
	assert_true(d.r.written * EXT2_BLKIO_SECTOR >= total - CACHE_BYTES);
	for (unsigned f = 0; f < EVICT_FILES; f++)
		assert_content(e.fs, e.path[f], e.want[f], e.size[f]);
	d.r.flushes = 0;
	assert_int_equal(ext2ops_sync(e.fs), 0);
	assert_int_equal(d.r.dirty, 0);
	assert_true(d.r.flushes >= 1);
	assert_int_equal(ext2ops_close(e.fs), 0);
	ramdev_save(&d, img);
	assert_clean(img);
	for (unsigned f = 0; f < EVICT_FILES; f++) {
		assert_dumped(img, e.path[f], e.want[f], e.size[f]);
		free(e.want[f]);
	}
	ramdev_free(&d);
}

/* On a bare channel, where no ext2fs_flush comes first (it flushes the
 * channel before the primary superblock, at 1 KiB, changes the block
 * size, so it writes back what a lone flush or block size change would
 * lose): a flush writes every dirty block back before the device's own;
 * a new block size keeps what was written; a close writes back. The
 * device's bytes from 4 KiB to 12 KiB are overwritten. */
static void bare_channel_checks(struct ramdev *d)
{
	uint8_t want[3 * 4096], back[4096];
	io_channel ch;

	assert_int_equal(ext2_blkio->open(d->name, IO_FLAG_RW, &ch), 0);
	assert_int_equal(ch->block_size, 1024);
	stamp(want, 3072, 4096, 77);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(io_channel_write_blk64(ch, 4 + i, 1, want + 1024 * i), 0);
	assert_int_equal(io_channel_read_blk64(ch, 5, 1, back), 0);
	assert_memory_equal(back, want + 1024, 1024);
	d->r.flushes = 0;
	assert_int_equal(io_channel_flush(ch), 0);
	assert_int_equal(d->r.dirty, 0);
	assert_true(d->r.flushes >= 1);
	assert_memory_equal(d->r.mem + 4096, want, 3072);

	stamp(want + 1024, 1024, 5120, 78);
	assert_int_equal(io_channel_write_blk64(ch, 5, 1, want + 1024), 0);
	assert_int_equal(io_channel_set_blksize(ch, 4096), 0);
	memcpy(want + 3072, d->r.mem + 7168, 1024);
	assert_int_equal(io_channel_read_blk64(ch, 1, 1, back), 0);
	assert_memory_equal(back, want, 4096);

	stamp(want + 4096, 4096, 8192, 79);
	assert_int_equal(io_channel_write_blk64(ch, 2, 1, want + 4096), 0);
	assert_int_equal(io_channel_close(ch), 0);
	assert_memory_equal(d->r.mem + 4096, want, 2 * 4096);
}


/* A sync alone must leave a complete disk: the device got every dirty
 * block and a flush, and a copy taken now is clean for the host's e2fsck. */
static void sync_and_copy(struct ramdev *d, ext2_filsys fs, const char *copy)
{
	d->r.flushes = 0;
	assert_int_equal(ext2ops_sync(fs), 0);
	assert_int_equal(d->r.dirty, 0);
	assert_true(d->r.flushes >= 1);
	ramdev_save(d, copy);
	assert_clean(copy);
}
/* Written, not yet synced: the device may or may not have it (nothing
 * asserted). Synced: nothing written since the device's flush, and the
 * device as the sync left it, the file system still open, is a whole
 * file system for the host's tools. Then the bare channel's checks. */
static void test_blkio_sync(void **state)
{
	const char *opts = *state;
	static const char one[] = "one small file, held in the cache\n";
	static const char two[] = "and its second version, longer than the first\n";
	char img[96], copy[96];
	struct ramdev d;
	ext2_filsys fs;
	ext2_ino_t ino;

	make_image_opts(img, sizeof(img), "sync.img", "16M", opts);
	snprintf(copy, sizeof(copy), "%s/synced.img", dir);
	ramdev_load(&d, img);
	assert_int_equal(ext2ops_open(d.name, ext2_blkio, 1, &fs), 0);
	ino = make_file(fs, "/small", one);
	sync_and_copy(&d, fs, copy);
	assert_dumped(copy, "/small", one, strlen(one));

	/* Again over blocks the first sync wrote back (cached, clean). */
	assert_int_equal(ext2ops_write(fs, ino, 0, two, strlen(two)), (int64_t)strlen(two));
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d", 0755), 0);
	make_file(fs, "/d/other", one);
	sync_and_copy(&d, fs, copy);
	assert_dumped(copy, "/small", two, strlen(two));
	assert_dumped(copy, "/d/other", one, strlen(one));
	assert_int_equal(ext2ops_close(fs), 0);
	ramdev_save(&d, img);
	assert_clean(img);
	assert_dumped(img, "/small", two, strlen(two));

	bare_channel_checks(&d);
	ramdev_free(&d);
}

/* ino's first n blocks, in runs of physically adjacent blocks (at most
 * 5, so that transfers start within what the cache holds too), each run
 * read into rbuf (or written from wbuf) by one transfer of several
 * blocks, around the cache's single blocks: the longest run. */
static blk64_t raw_file_io(ext2_filsys fs, ext2_ino_t ino, blk64_t n,
			   uint8_t *rbuf, const uint8_t *wbuf)
{
	blk64_t longest = 0;

	for (blk64_t l = 0, len; l < n; l += len) {
		blk64_t p, q;

		assert_int_equal(ext2fs_bmap2(fs, ino, NULL, NULL, 0, l, NULL, &p), 0);
		assert_true(p != 0);
		for (len = 1; len < 5 && l + len < n; len++) {
			assert_int_equal(ext2fs_bmap2(fs, ino, NULL, NULL, 0, l + len, NULL, &q), 0);
			if (q != p + len)
				break;
		}
		size_t at = (size_t)l * fs->blocksize;
		if (wbuf)
			assert_int_equal(io_channel_write_blk64(fs->io, p, (int)len, wbuf + at), 0);
		else
			assert_int_equal(io_channel_read_blk64(fs->io, p, (int)len, rbuf + at), 0);
		if (len > longest)
			longest = len;
	}
	return longest;
}

/* Raw transfers on a run of free blocks, checked against a model of
 * its bytes. */
struct rawrun {
	ext2_filsys fs;
	blk64_t base;
	size_t bs;
	unsigned n;
	uint8_t *model, *buf;
};

/* count as lib/ext2fs passes it: blocks, or -count bytes. */
static size_t rawrun_len(const struct rawrun *rr, int count)
{
	return count < 0 ? (size_t)-count : (size_t)count * rr->bs;
}

static void rawrun_write(struct rawrun *rr, unsigned at, int count, unsigned seed)
{
	uint8_t *p = rr->model + (size_t)at * rr->bs;

	stamp(p, rawrun_len(rr, count), (rr->base + at) * rr->bs, seed);
	assert_int_equal(io_channel_write_blk64(rr->fs->io, rr->base + at, count, p), 0);
}

static void rawrun_check(struct rawrun *rr, unsigned at, int count)
{
	size_t len = rawrun_len(rr, count);

	memset(rr->buf, 0xa5, len);
	assert_int_equal(io_channel_read_blk64(rr->fs->io, rr->base + at, count, rr->buf), 0);
	assert_memory_equal(rr->buf, rr->model + (size_t)at * rr->bs, len);
}

/* The first of n free blocks in a row. */
static blk64_t free_run(ext2_filsys fs, blk64_t n)
{
	blk64_t start = fs->super->s_first_data_block;

	for (blk64_t b = start; b < ext2fs_blocks_count(fs->super); b++) {
		if (ext2fs_test_block_bitmap2(fs->block_map, b))
			start = b + 1;
		else if (b + 1 - start >= n)
			return start;
	}
	fail_msg("no %llu free blocks in a row", (unsigned long long)n);
	return 0;
}

/* Single blocks (cached) and transfers of several blocks (around the
 * cache) on free blocks of the file system, a run longer than the cache
 * so that both of drop_range's ways are taken (a few blocks, or more
 * blocks than slots): a transfer sees every dirty block, leaves no stale
 * one to be read, and no dirty one to be written back over it later;
 * single blocks that share a slot (slots apart) push each other out. */
static void raw_run_checks(ext2_filsys fs, struct ramdev *d)
{
	struct rawrun rr = { .fs = fs, .bs = fs->blocksize };
	const unsigned slots = CACHE_BYTES / fs->blocksize;

	rr.n = slots + 16;
	rr.base = free_run(fs, rr.n);
	rr.model = malloc((size_t)rr.n * rr.bs);
	rr.buf = malloc((size_t)rr.n * rr.bs);
	assert_non_null(rr.model);
	assert_non_null(rr.buf);
	rawrun_write(&rr, 0, (int)rr.n, 1);

	/* Dirty singles, slots apart: the later push the earlier out. */
	const unsigned dirty[] = { 0, 1, 2, 5, slots - 1, slots, slots + 1 };
	for (unsigned i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		rawrun_write(&rr, dirty[i], 1, 10 + i);
	for (unsigned i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		rawrun_check(&rr, dirty[i], 1);

	/* A few blocks, then all of them, over dirty ones. */
	rawrun_write(&rr, 3, 1, 20);
	rawrun_write(&rr, 4, 1, 21);
	rawrun_check(&rr, 0, 8);
	rawrun_write(&rr, 7, 1, 22);
	rawrun_write(&rr, slots + 2, 1, 23);
	rawrun_check(&rr, 0, (int)rr.n);

	/* Written over blocks held clean and dirty: none stale after. */
	for (unsigned b = 10; b < 14; b++)
		rawrun_check(&rr, b, 1);
	rawrun_write(&rr, 12, 1, 30);
	rawrun_write(&rr, 9, 6, 31);
	for (unsigned b = 9; b < 15; b++)
		rawrun_check(&rr, b, 1);
	rawrun_check(&rr, 20, 1);
	rawrun_write(&rr, 21, 1, 32);
	rawrun_write(&rr, slots + 3, 1, 33);
	rawrun_write(&rr, 0, (int)rr.n, 34);
	rawrun_check(&rr, 20, 1);
	rawrun_check(&rr, 21, 1);
	rawrun_check(&rr, slots + 3, 1);

	/* Byte counts over a dirty block: the rest of the block is the
	 * cached bytes, written back before the piece lands. */
	rawrun_write(&rr, 30, 1, 40);
	rawrun_write(&rr, 30, -100, 41);
	rawrun_check(&rr, 30, 1);
	rawrun_write(&rr, 31, 1, 42);
	rawrun_check(&rr, 31, -700);
	rawrun_write(&rr, 32, 1, 43);
	rawrun_write(&rr, 33, 1, 44);
	rawrun_write(&rr, 32, -(int)(rr.bs + 512), 45);
	rawrun_check(&rr, 32, 2);

	/* Flushed, dirty blocks among them: the device holds exactly the
	 * model, nothing older written back over a transfer. */
	rawrun_write(&rr, 40, 1, 50);
	rawrun_write(&rr, slots + 4, 1, 51);
	d->r.flushes = 0;
	assert_int_equal(io_channel_flush(fs->io), 0);
	assert_int_equal(d->r.dirty, 0);
	assert_true(d->r.flushes >= 1);
	assert_memory_equal(d->r.mem + rr.base * rr.bs, rr.model, (size_t)rr.n * rr.bs);
	free(rr.buf);
	free(rr.model);
}

enum { MIXED_BLOCKS = 24 };

/* The same blocks through ext2ops (single blocks, cached) and through
 * transfers of several blocks: a file's data made dirty by ext2ops_write
 * is what a transfer reads; a transfer written over its cached blocks is
 * what ext2ops_read returns and the host's debugfs dumps. Then the same
 * on free blocks with a model of their bytes. */
static void test_blkio_mixed(void **state)
{
	const char *opts = *state;
	char img[96];
	struct ramdev d;
	ext2_filsys fs;
	ext2_ino_t ino;
	uint8_t *want, *back;
	size_t len, bs;

	make_image_opts(img, sizeof(img), "mixed.img", "32M", opts);
	ramdev_load(&d, img);
	assert_int_equal(ext2ops_open(d.name, ext2_blkio, 1, &fs), 0);
	bs = fs->blocksize;
	len = MIXED_BLOCKS * bs;
	want = malloc(len);
	back = malloc(len);
	assert_non_null(want);
	assert_non_null(back);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/mixed", 0644, &ino), 0);
	/* On the device an older version, so that a transfer that missed
	 * the cache reads bytes known to be wrong. */
	stamp(want, len, 0, 1);
	assert_int_equal(ext2ops_write(fs, ino, 0, want, len), (int64_t)len);
	assert_int_equal(ext2ops_sync(fs), 0);
	stamp(want, len, 0, 2);
	assert_int_equal(ext2ops_write(fs, ino, 0, want, len), (int64_t)len);
	memset(back, 0, len);
	assert_true(raw_file_io(fs, ino, MIXED_BLOCKS, back, NULL) >= 2);
	assert_memory_equal(back, want, len);

	/* Over blocks ext2ops_read left cached clean, then dirty ones. */
	assert_content(fs, "/mixed", want, len);
	stamp(want, len, 0, 3);
	raw_file_io(fs, ino, MIXED_BLOCKS, NULL, want);
	assert_content(fs, "/mixed", want, len);
	stamp(back, len, 0, 4);
	assert_int_equal(ext2ops_write(fs, ino, 0, back, len), (int64_t)len);
	stamp(want, len, 0, 5);
	raw_file_io(fs, ino, MIXED_BLOCKS, NULL, want);
	assert_content(fs, "/mixed", want, len);
	/* A piece across two blocks: each read, changed, dirty again. */
	memcpy(want + bs - 5, "0123456789", 10);
	assert_int_equal(ext2ops_write(fs, ino, bs - 5, "0123456789", 10), 10);
	memset(back, 0, len);
	raw_file_io(fs, ino, MIXED_BLOCKS, back, NULL);
	assert_memory_equal(back, want, len);

	raw_run_checks(fs, &d);
	assert_int_equal(ext2ops_close(fs), 0);
	ramdev_save(&d, img);
	assert_clean(img);
	assert_dumped(img, "/mixed", want, len);
	ramdev_free(&d);
	free(back);
	free(want);
}

/* Runs of blocks as one request (blkio.c's top comment), on a bare
 * channel of 4 KiB blocks (256 slots) over the host's image: 200 blocks
 * written one at a time reach the device in a few requests at the flush;
 * a file read in order is read ahead, a random read is not, and a read
 * ahead never takes a slot whose block is not written back yet. */
static void test_blkio_runs(void **state)
{
	enum { BS = 4096, FIRST = 4, N = 200 };
	char img[96];
	static uint8_t want[N * BS], back[BS];
	struct ramdev d;
	io_channel ch;

	(void)state;
	make_image_opts(img, sizeof(img), "runs.img", "32M", "-t ext4 -b 4096");
	ramdev_load(&d, img);
	assert_int_equal(ext2_blkio->open(d.name, IO_FLAG_RW, &ch), 0);
	assert_int_equal(io_channel_set_blksize(ch, BS), 0);
	stamp(want, sizeof(want), 0, 91);
	for (unsigned b = 0; b < N; b++)
		assert_int_equal(io_channel_write_blk64(ch, FIRST + b, 1, want + b * BS), 0);
	d.r.write_calls = 0;
	assert_int_equal(io_channel_flush(ch), 0);
	assert_true(d.r.write_calls >= 1 && d.r.write_calls <= 4);     /* 64 a request */
	assert_memory_equal(d.r.mem + FIRST * BS, want, sizeof(want));

	/* In order from block 600: the first miss reads one block, the next
	 * ones a run each; block 866 (slot 98, as 610) dirty meanwhile. */
	stamp(back, BS, 866 * BS, 92);
	assert_int_equal(io_channel_write_blk64(ch, 866, 1, back), 0);
	d.r.read_calls = 0;
	for (unsigned b = 600; b < 800; b++) {
		assert_int_equal(io_channel_read_blk64(ch, b, 1, want), 0);
		assert_memory_equal(want, d.r.mem + (size_t)b * BS, BS);
	}
	assert_true(d.r.read_calls <= 8);
	assert_int_equal(d.r.dirty, (uint64_t)BS / 512);        /* 866, on its eviction */
	assert_memory_equal(d.r.mem + 866 * BS, back, BS);
	/* Out of order: one block each. */
	d.r.read_calls = 0;
	for (unsigned b = 1000; b < 1900; b += 300)
		assert_int_equal(io_channel_read_blk64(ch, b, 1, want), 0);
	assert_int_equal(d.r.read_calls, 3);
	assert_int_equal(io_channel_close(ch), 0);
	ramdev_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blkio),
		cmocka_unit_test(test_blkio_runs),
		{ "test_blkio_evict 1 KiB blocks", test_blkio_evict, NULL, NULL,
		  (void *)"-t ext4 -b 1024" },
		{ "test_blkio_evict 4 KiB blocks", test_blkio_evict, NULL, NULL,
		  (void *)"-t ext4 -b 4096" },
		{ "test_blkio_sync 1 KiB blocks", test_blkio_sync, NULL, NULL,
		  (void *)"-t ext4 -b 1024" },
		{ "test_blkio_sync 4 KiB blocks", test_blkio_sync, NULL, NULL,
		  (void *)"-t ext4 -b 4096" },
		{ "test_blkio_mixed 1 KiB blocks", test_blkio_mixed, NULL, NULL,
		  (void *)"-t ext4 -b 1024" },
		{ "test_blkio_mixed 4 KiB blocks", test_blkio_mixed, NULL, NULL,
		  (void *)"-t ext4 -b 4096" },
	};

	return cmocka_run_group_tests(tests, ext2test_setup, ext2test_teardown);
}
