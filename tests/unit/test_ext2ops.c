/*
 * space/ext2/ext2ops.c on lib/ext2fs built from Debian's e2fsprogs source,
 * against the host's e2fsprogs as the oracle: an ext4 image made by the
 * host's mke2fs -d (a preloaded file), opened through lib/ext2fs's Unix
 * I/O manager; files read, created (enough to grow the root directory),
 * written (a hole, an overwrite, more than one extent's worth) and read
 * back; the errors a caller relies on; then the host's e2fsck -fn must
 * find the image clean and debugfs must dump the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <aion/error.h>

#include "blkio.h"
#include "ext2ops.h"

static char dir[64];

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 9));
}

/* A file of the host's, or NULL; *len its size. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

enum { BIG = 300 * 1024, HOLE_AT = 1 << 20, FILES = 200 };

/* Makes an ext4 image of size with the host's mke2fs -d (one file,
 * /hello.txt); its path into img. */
static void make_image(char *img, size_t cap, const char *file, const char *size)
{
	snprintf(img, cap, "%s/%s", dir, file);
	assert_int_equal(sh("mkdir -p %s/pre && printf 'from the host\\n' > %s/pre/hello.txt",
			    dir, dir), 0);
	assert_int_equal(sh("mke2fs -q -F -t ext4 -d %s/pre %s %s", dir, img, size), 0);
}

/* The workload both I/O managers run: the host's file read; the errors a
 * caller relies on; a big file written in two overlapping pieces and a
 * byte far beyond (a hole), read back; enough names to grow the root. */
static void exercise(ext2_filsys fs, const uint8_t *data)
{
	char path[128];
	ext2_ino_t ino, big;
	uint8_t buf[64], *back = malloc(BIG);

	assert_non_null(back);
	assert_int_equal(ext2ops_lookup(fs, "/hello.txt", &ino), 0);
	assert_int_equal(ext2ops_read(fs, ino, 0, buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "from the host\n", 14);
	assert_int_equal(ext2ops_read(fs, ino, 14, buf, sizeof(buf)), 0);
	assert_int_equal(ext2ops_lookup(fs, "/none", &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_lookup(fs, "relative", &ino), -AION_EINVAL);
	assert_int_equal(ext2ops_create(fs, "/hello.txt", 0644, &ino), -AION_EEXIST);
	assert_int_equal(ext2ops_create(fs, "/hello.txt/x", 0644, &ino), -AION_ENOTDIR);
	assert_int_equal(ext2ops_create(fs, "/no/x", 0644, &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_create(fs, "/", 0644, &ino), -AION_EINVAL);
	assert_int_equal(ext2ops_create(fs, "/big.bin", 0600, &big), 0);
	assert_int_equal(ext2ops_write(fs, big, 0, data, BIG / 2 + 100), BIG / 2 + 100);
	assert_int_equal(ext2ops_write(fs, big, BIG / 2, data + BIG / 2, BIG / 2), BIG / 2);
	assert_int_equal(ext2ops_write(fs, big, HOLE_AT, "Z", 1), 1);
	assert_int_equal(ext2ops_read(fs, big, 0, back, BIG), BIG);
	assert_memory_equal(back, data, BIG);
	assert_int_equal(ext2ops_read(fs, big, BIG, back, 16), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(back[i], 0);
	assert_int_equal(ext2ops_read(fs, big, HOLE_AT, back, 16), 1);
	assert_int_equal(back[0], 'Z');
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "/file-with-a-long-name-%04d", i);
		assert_int_equal(ext2ops_create(fs, path, 0644, &ino), 0);
		assert_int_equal(ext2ops_write(fs, ino, 0, path, strlen(path)),
				 (int64_t)strlen(path));
	}
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "/file-with-a-long-name-%04d", i);
		assert_int_equal(ext2ops_lookup(fs, path, &ino), 0);
		assert_int_equal(ext2ops_read(fs, ino, 0, buf, sizeof(buf)),
				 (int64_t)strlen(path));
		assert_memory_equal(buf, path, strlen(path));
	}
	free(back);
}

/* The host's tools on the image: clean, and /big.bin's bytes. */
static void check_image(const char *img, const uint8_t *data)
{
	char path[128];
	uint8_t *dumped;
	size_t dlen;

	assert_int_equal(sh("e2fsck -fn %s > %s/fsck.txt 2>&1", img, dir), 0);
	assert_int_equal(sh("debugfs -R 'dump /big.bin %s/big.out' %s > /dev/null 2>&1",
			    dir, img), 0);
	snprintf(path, sizeof(path), "%s/big.out", dir);
	dumped = slurp(path, &dlen);
	assert_non_null(dumped);
	assert_int_equal(dlen, HOLE_AT + 1);
	assert_memory_equal(dumped, data, BIG);
	assert_int_equal(dumped[HOLE_AT], 'Z');
	free(dumped);
}

/* Through lib/ext2fs's own Unix I/O manager on the image file. */
static void test_ext2ops(void **state)
{
	char img[96];
	ext2_filsys fs;
	ext2_ino_t big;
	uint8_t *data = malloc(BIG);

	(void)state;
	assert_non_null(data);
	fill(data, BIG, 7);
	make_image(img, sizeof(img), "unix.img", "16M");
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	exercise(fs, data);
	assert_int_equal(ext2ops_close(fs), 0);
	check_image(img, data);
	/* Opened again read-only: a write is refused. */
	assert_int_equal(ext2ops_open(img, unix_io_manager, 0, &fs), 0);
	assert_int_equal(ext2ops_lookup(fs, "/big.bin", &big), 0);
	assert_int_equal(ext2ops_write(fs, big, 0, "x", 1), -AION_EACCES);
	assert_int_equal(ext2ops_close(fs), 0);
	free(data);
}

/* A RAM disk of 512-byte sectors with blkclient's shape; reads fail from
 * fail_reads_after on (0: never). */
struct ramdisk {
	uint8_t *mem;
	uint64_t sectors;
	unsigned flushes, reads, fail_reads_after;
	uint64_t dirty;         /* sectors written since the last flush */
};

static int ram_read(void *ctx, uint64_t sector, void *buf, uint32_t count)
{
	struct ramdisk *r = ctx;

	assert_true(sector + count <= r->sectors);
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
	r->dirty += count;
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
	int e = ext2ops_lookup(fs, "/file-with-a-long-name-0150", &ino);
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

static void test_error_names(void **state)
{
	(void)state;
	assert_int_equal(ext2ops_error(0), 0);
	assert_int_equal(ext2ops_error(EXT2_ET_BAD_MAGIC), -AION_ECORRUPT);
	assert_int_equal(ext2ops_error(EXT2_ET_BLOCK_ALLOC_FAIL), -AION_ENOSPC);
	assert_int_equal(ext2ops_error(EXT2_ET_SHORT_READ), -AION_EIO);
	assert_int_equal(ext2ops_error(ENOMEM), -AION_ENOMEM);
}

/* A file system that is not one: a clear error, not a crash. */
static void test_not_a_file_system(void **state)
{
	char img[96];
	ext2_filsys fs;

	(void)state;
	snprintf(img, sizeof(img), "%s/zero.img", dir);
	assert_int_equal(sh("dd if=/dev/zero of=%s bs=1k count=1024 status=none", img), 0);
	assert_int_equal(ext2ops_open(img, unix_io_manager, 0, &fs), -AION_ECORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_ext2ops),
		cmocka_unit_test(test_blkio),
		cmocka_unit_test(test_not_a_file_system),
	};
	int r;

	snprintf(dir, sizeof(dir), "/tmp/aion-ext2ops-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	sh("rm -rf %s", dir);
	return r;
}
