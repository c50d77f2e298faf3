/*
 * The helpers test_ext2ops.c and test_ext2blkio.c share (ext2test.h), in
 * one place so that both programs make and check images the same way.
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

#include "ext2test.h"

char dir[64];

/* A fresh directory per run, so that two test programs (or two runs) do
 * not share images. *state is left alone: cmocka hands a group state to
 * every test in place of its own (the image options). */
int ext2test_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/aion-ext2ops-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

int ext2test_teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 9));
}

/* A file of the host's, or NULL; *len its size. */
uint8_t *slurp(const char *path, size_t *len)
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

/* Makes an image of size with the host's mke2fs -d (a file, /hello.txt,
 * and a symbolic link to it, /link) and its options opts ("-t ext4"); its path into img. */
void make_image_opts(char *img, size_t cap, const char *file,
		     const char *size, const char *opts)
{
	snprintf(img, cap, "%s/%s", dir, file);
	assert_int_equal(sh("mkdir -p %s/pre && printf 'from the host\\n' > %s/pre/hello.txt"
			    " && ln -sf hello.txt %s/pre/link", dir, dir, dir), 0);
	assert_int_equal(sh("mke2fs -q -F %s -d %s/pre %s %s", opts, dir, img, size), 0);
}

void make_image(char *img, size_t cap, const char *file, const char *size)
{
	make_image_opts(img, cap, file, size, "-t ext4");
}

/* The host's e2fsck -fn finds img clean (its report shown when not). */
void assert_clean(const char *img)
{
	int r = sh("e2fsck -fn %s > %s/fsck.txt 2>&1", img, dir);

	if (r != 0)
		sh("cat %s/fsck.txt", dir);
	assert_int_equal(r, 0);
}

/* The workload both I/O managers run: the host's file read; the errors a
 * caller relies on; a big file written in two overlapping pieces and a
 * byte far beyond (a hole), read back; enough names to grow the root. */
void exercise(ext2_filsys fs, const uint8_t *data)
{
	char path[128];
	ext2_ino_t ino, big;
	uint8_t buf[64], *back = malloc(BIG);

	assert_non_null(back);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/hello.txt", &ino), 0);
	assert_int_equal(ext2ops_read(fs, ino, 0, buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "from the host\n", 14);
	assert_int_equal(ext2ops_read(fs, ino, 14, buf, sizeof(buf)), 0);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/none", &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "relative", &ino), -AION_EINVAL);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/hello.txt", 0644, &ino), -AION_EEXIST);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/hello.txt/x", 0644, &ino), -AION_ENOTDIR);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/no/x", 0644, &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/", 0644, &ino), -AION_EINVAL);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/big.bin", 0600, &big), 0);
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
		assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, path, 0644, &ino), 0);
		assert_int_equal(ext2ops_write(fs, ino, 0, path, strlen(path)),
				 (int64_t)strlen(path));
	}
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "/file-with-a-long-name-%04d", i);
		assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, path, &ino), 0);
		assert_int_equal(ext2ops_read(fs, ino, 0, buf, sizeof(buf)),
				 (int64_t)strlen(path));
		assert_memory_equal(buf, path, strlen(path));
	}
	free(back);
}

/* The host's tools on the image: clean, and /big.bin's bytes. */
void check_image(const char *img, const uint8_t *data)
{
	char path[128];
	uint8_t *dumped;
	size_t dlen;

	assert_clean(img);
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

/* path's bytes through ext2ops_read are data[0..len). */
void assert_content(ext2_filsys fs, const char *path, const void *data,
		    size_t len)
{
	ext2_ino_t ino;
	uint8_t *back = malloc(len + 16);

	assert_non_null(back);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, path, &ino), 0);
	assert_int_equal(ext2ops_read(fs, ino, 0, back, len + 16), (int64_t)len);
	assert_memory_equal(back, data, len);
	free(back);
}

ext2_ino_t make_file(ext2_filsys fs, const char *path, const char *text)
{
	ext2_ino_t ino;

	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, path, 0644, &ino), 0);
	assert_int_equal(ext2ops_write(fs, ino, 0, text, strlen(text)),
			 (int64_t)strlen(text));
	return ino;
}
