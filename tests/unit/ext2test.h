/*
 * What the ext2 host tests (test_ext2ops.c, test_ext2blkio.c) share: the
 * temporary directory their images go in, the host's shell and files,
 * images made by the host's mke2fs and checked by its e2fsck and debugfs,
 * and the workload that both I/O managers (lib/ext2fs's Unix one and
 * space/ext2/blkio.c) run. Helpers fail the running cmocka test.
 */
#ifndef TESTS_EXT2TEST_H
#define TESTS_EXT2TEST_H

#include <stddef.h>
#include <stdint.h>

#include "ext2ops.h"

enum { BIG = 300 * 1024, HOLE_AT = 1 << 20, FILES = 200 };

/* Where the images go: made by ext2test_setup, removed by
 * ext2test_teardown (a cmocka group's setup and teardown). */
extern char dir[64];
int ext2test_setup(void **state);
int ext2test_teardown(void **state);

/* The host's side: a shell command (its status), a pattern, a file. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fill(uint8_t *p, size_t n, unsigned seed);
uint8_t *slurp(const char *path, size_t *len);

/* Images by the host's mke2fs, checked by its e2fsck -fn. */
void make_image_opts(char *img, size_t cap, const char *file,
		     const char *size, const char *opts);
void make_image(char *img, size_t cap, const char *file, const char *size);
void assert_clean(const char *img);

/* The workload both I/O managers run, and the host's check of it. */
void exercise(ext2_filsys fs, const uint8_t *data);
void check_image(const char *img, const uint8_t *data);

/* Files through ext2ops. */
void assert_content(ext2_filsys fs, const char *path, const void *data,
		    size_t len);
ext2_ino_t make_file(ext2_filsys fs, const char *path, const char *text);

#endif
