/*
 * space/ext2/ext2ops.c and ext2names.c on lib/ext2fs built from Debian's
 * e2fsprogs source, against the host's e2fsprogs as the oracle: an ext4
 * image made by the host's mke2fs -d (a preloaded file), opened through
 * lib/ext2fs's Unix I/O manager; files read, created (enough to grow the
 * root directory), written (a hole, an overwrite, more than one extent's
 * worth) and read back; the errors a caller relies on; then the host's
 * e2fsck -fn must find the image clean and debugfs must dump the same
 * bytes. Then the namespace (mkdir, rmdir, unlink and release, link,
 * rename), stat, chmod, truncate, readdir over thousands of names and
 * sync, on ext4 and ext2 images, each test ending with e2fsck -fn clean.
 * blkio.c, the I/O manager on Aion's block devices: test_ext2blkio.c.
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

#include "ext2ops.h"
#include "ext2test.h"

/* Through lib/ext2fs's own Unix I/O manager on the image file. */
static void test_ext2ops(void **state)
{
	char img[96];
	ext2_filsys fs;
	ext2_ino_t big, ino;
	int gone;
	uint8_t *data = malloc(BIG);

	(void)state;
	assert_non_null(data);
	fill(data, BIG, 7);
	make_image(img, sizeof(img), "unix.img", "16M");
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	exercise(fs, data);
	assert_int_equal(ext2ops_close(fs), 0);
	check_image(img, data);
	/* Opened again read-only: every change is refused. */
	assert_int_equal(ext2ops_open(img, unix_io_manager, 0, &fs), 0);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/big.bin", &big), 0);
	assert_int_equal(ext2ops_write(fs, big, 0, "x", 1), -AION_EACCES);
	assert_int_equal(ext2ops_truncate(fs, big, 0), -AION_EACCES);
	assert_int_equal(ext2ops_chmod(fs, big, 0600), -AION_EACCES);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d", 0755), -AION_EACCES);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/big.bin", &ino, &gone), -AION_EACCES);
	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/lost+found"), -AION_EACCES);
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/big.bin", "/b2"), -AION_EACCES);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/big.bin", "/b2", &ino), -AION_EACCES);
	assert_int_equal(ext2ops_release(fs, big), -AION_EACCES);
	assert_int_equal(ext2ops_sync(fs), 0);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_clean(img);
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

static struct ext2ops_stat stat_of(ext2_filsys fs, const char *path)
{
	struct ext2ops_stat st;
	ext2_ino_t ino;

	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, path, &ino), 0);
	assert_int_equal(ext2ops_stat(fs, ino, &st), 0);
	assert_int_equal(st.ino, ino);
	return st;
}

/* Output of the host's debugfs -R 'cmd' on img (a string to free). */
static char *debugfs(const char *img, const char *cmd)
{
	char path[128];
	size_t len;
	char *out;

	assert_int_equal(sh("debugfs -R '%s' %s > %s/debugfs.txt 2>/dev/null",
			    cmd, img, dir), 0);
	snprintf(path, sizeof(path), "%s/debugfs.txt", dir);
	out = (char *)slurp(path, &len);
	assert_non_null(out);
	out[len] = '\0';
	return out;
}

/* Root entries by name: the type readdir gave, bit 0x100 once seen. */
struct typed {
	unsigned hello, link, a;
};

static int note_type(void *ctx, const char *name, unsigned len,
		     ext2_ino_t ino, unsigned type)
{
	struct typed *t = ctx;

	(void)ino;
	if (len == 9 && !memcmp(name, "hello.txt", 9))
		t->hello += 0x100 | type;
	else if (len == 4 && !memcmp(name, "link", 4))
		t->link += 0x100 | type;
	else if (len == 1 && name[0] == 'a')
		t->a += 0x100 | type;
	return 0;
}

/* Directories: made, refused, removed; stat and chmod; then the host's
 * debugfs sees the names, modes and sizes. */
static void test_dirs(void **state)
{
	char img[96], *ls;
	ext2_filsys fs;
	ext2_ino_t ino, hello;
	struct ext2ops_stat st;
	struct typed types = { 0 };
	uint64_t next;
	int gone;
	unsigned root_links;

	(void)state;
	make_image(img, sizeof(img), "dirs.img", "16M");
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	root_links = stat_of(fs, "/").nlink;
	st = stat_of(fs, "/hello.txt");
	assert_int_equal(st.mode, LINUX_S_IFREG | 0644);
	assert_int_equal(st.size, 14);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(st.blocks, fs->blocksize / 512);
	assert_true(st.mtime > 0 && st.ctime > 0);
	hello = (ext2_ino_t)st.ino;

	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/a", 0750), 0);
	st = stat_of(fs, "/a");
	assert_int_equal(st.mode, LINUX_S_IFDIR | 0750);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(st.size, fs->blocksize);
	assert_int_equal(stat_of(fs, "/").nlink, root_links + 1);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/a", 0755), -AION_EEXIST);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/hello.txt", 0755), -AION_EEXIST);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/no/x", 0755), -AION_ENOENT);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/hello.txt/x", 0755), -AION_ENOTDIR);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/a/b", 0755), 0);
	assert_int_equal(stat_of(fs, "/a").nlink, 3);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/a/b/..", &ino), 0);
	assert_int_equal(ino, stat_of(fs, "/a").ino);
	make_file(fs, "/a/f", "content");

	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/a"), -AION_ENOTEMPTY);
	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/a/f"), -AION_ENOTDIR);
	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/"), -AION_EBUSY);
	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/a/b/."), -AION_EINVAL);
	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/a/none"), -AION_ENOENT);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/a/b", &ino, &gone), -AION_EISDIR);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/a/none", &ino, &gone), -AION_ENOENT);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/hello.txt/x", &ino, &gone), -AION_ENOTDIR);
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/a/b", "/a/b2"), -AION_EPERM);
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/a/f", "/hello.txt"), -AION_EEXIST);
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/a/none", "/a/g"), -AION_ENOENT);
	assert_int_equal(ext2ops_readdir(fs, hello, 0, NULL, NULL, &next), -AION_ENOTDIR);
	assert_int_equal(ext2ops_truncate(fs, stat_of(fs, "/a").ino, 0), -AION_EISDIR);

	assert_int_equal(ext2ops_chmod(fs, stat_of(fs, "/a/f").ino, 0104711), 0);
	assert_int_equal(stat_of(fs, "/a/f").mode, LINUX_S_IFREG | 04711);
	assert_int_equal(ext2ops_chmod(fs, stat_of(fs, "/a/b").ino, 0700), 0);
	assert_int_equal(stat_of(fs, "/a/b").mode, LINUX_S_IFDIR | 0700);
	assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, "/a/b"), 0);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/a/b", &ino), -AION_ENOENT);
	assert_int_equal(stat_of(fs, "/a").nlink, 2);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/a/c", 0755), 0);
	/* Paths from a directory's inode (a server's directory record):
	 * "/" is that directory, names are made and found below it. */
	ext2_ino_t a = stat_of(fs, "/a").ino;
	assert_int_equal(ext2ops_lookup(fs, a, "/", &ino), 0);
	assert_int_equal(ino, a);
	assert_int_equal(ext2ops_lookup(fs, a, "/f", &ino), 0);
	assert_int_equal(ino, stat_of(fs, "/a/f").ino);
	assert_int_equal(ext2ops_lookup(fs, a, "/hello.txt", &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_mkdir(fs, a, "/c/d", 0755), 0);
	assert_int_equal(ext2ops_create(fs, a, "/c/d/g", 0644, &ino), 0);
	assert_int_equal(ino, stat_of(fs, "/a/c/d/g").ino);
	assert_int_equal(ext2ops_link(fs, a, "/c/d/g", "/g2"), 0);
	assert_int_equal(ext2ops_rename(fs, a, "/g2", "/c/g3", &ino), 0);
	assert_int_equal(stat_of(fs, "/a/c/g3").nlink, 2);
	assert_int_equal(ext2ops_unlink(fs, a, "/c/g3", &ino, &gone), 0);
	assert_int_equal(ext2ops_unlink(fs, a, "/c/d/g", &ino, &gone), 0);
	assert_true(gone);
	assert_int_equal(ext2ops_release(fs, ino), 0);
	assert_int_equal(ext2ops_rmdir(fs, a, "/c/d"), 0);
	assert_int_equal(ext2ops_rmdir(fs, a, "/"), -AION_EBUSY);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/a/c/d", &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_readdir(fs, EXT2_ROOT_INO, 0, note_type, &types, &next), 0);
	assert_int_equal(types.hello, 0x100 | LINUX_S_IFREG >> 12);
	assert_int_equal(types.link, 0x100 | LINUX_S_IFLNK >> 12);
	assert_int_equal(types.a, 0x100 | LINUX_S_IFDIR >> 12);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_clean(img);

	/* debugfs ls -p: /ino/mode/uid/gid/name/size/ */
	ls = debugfs(img, "ls -p /a");
	assert_non_null(strstr(ls, "/104711/0/0/f/7/"));
	assert_non_null(strstr(ls, "/040755/0/0/c//"));
	assert_null(strstr(ls, "/b/"));
	free(ls);
}

/* rename(2)'s cases, and the link counts e2fsck checks after them. */
static void test_rename(void **state)
{
	char img[96], path[128], *ls;
	uint8_t *dumped;
	size_t dlen;
	ext2_filsys fs;
	ext2_ino_t ino, y, gone, w, z, d2;
	unsigned root_links;

	(void)state;
	make_image(img, sizeof(img), "rename.img", "16M");
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	root_links = stat_of(fs, "/").nlink;
	make_file(fs, "/x", "xxx");
	y = make_file(fs, "/y", "yy");
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/y", "/y2"), 0);
	assert_int_equal(stat_of(fs, "/y").nlink, 2);

	/* A file over a file with another name: its count drops, no more. */
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/x", "/y", &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/x", &ino), -AION_ENOENT);
	assert_content(fs, "/y", "xxx", 3);
	assert_content(fs, "/y2", "yy", 2);
	assert_int_equal(stat_of(fs, "/y2").nlink, 1);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/y2", "/z", &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(stat_of(fs, "/z").ino, y);
	/* Over its last name: the caller releases it. */
	w = make_file(fs, "/w", "w");
	z = (ext2_ino_t)stat_of(fs, "/z").ino;
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/w", "/z", &gone), 0);
	assert_int_equal(gone, z);
	assert_int_equal(stat_of(fs, "/z").ino, w);
	assert_int_equal(ext2ops_release(fs, gone), 0);
	assert_int_equal(ext2ops_release(fs, gone), -AION_EDOUBLE);
	assert_int_equal(ext2ops_release(fs, w), -AION_EBUSY);
	assert_int_equal(ext2ops_release(fs, EXT2_ROOT_INO), -AION_EINVAL);
	/* Two names of one file: nothing happens. */
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/z", "/z2"), 0);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/z", "/z2", &gone), 0);
	assert_int_equal(stat_of(fs, "/z").nlink, 2);

	/* Another type over a file: the entry's type follows. */
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/link", &ino), 0);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/link", "/z2", &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(stat_of(fs, "/z2").mode & LINUX_S_IFMT, LINUX_S_IFLNK);
	assert_int_equal(stat_of(fs, "/z").nlink, 1);

	/* A directory with contents to another parent: its ".." follows. */
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d1", 0755), 0);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d1/sub", 0755), 0);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d1/sub/deeper", 0755), 0);
	make_file(fs, "/d1/sub/file", "deep");
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d2", 0755), 0);
	d2 = (ext2_ino_t)stat_of(fs, "/d2").ino;
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d1/sub", "/d2/sub2", &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(stat_of(fs, "/d1").nlink, 2);
	assert_int_equal(stat_of(fs, "/d2").nlink, 3);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/d2/sub2/..", &ino), 0);
	assert_int_equal(ino, d2);
	assert_content(fs, "/d2/sub2/file", "deep", 4);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/d1/sub", &ino), -AION_ENOENT);

	/* The refusals. */
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2", "/d2/sub2/in", &gone), -AION_EINVAL);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2", "/d2/in", &gone), -AION_EINVAL);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2/sub2", "/d2/sub2/deeper/x", &gone),
			 -AION_EINVAL);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2", "/y", &gone), -AION_ENOTDIR);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/y", "/d1", &gone), -AION_EISDIR);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d1", "/d2", &gone), -AION_ENOTEMPTY);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/none", "/q", &gone), -AION_ENOENT);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/y", "/none/q", &gone), -AION_ENOENT);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2/.", "/q", &gone), -AION_EINVAL);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/y", "/d2/..", &gone), -AION_EINVAL);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/", "/q", &gone), -AION_EINVAL);
	assert_content(fs, "/y", "xxx", 3);

	/* A directory over an empty one in another parent, which goes;
	 * then one renamed within its parent. */
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2/sub2", "/d1", &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(stat_of(fs, "/d2").nlink, 2);
	assert_int_equal(stat_of(fs, "/d1").nlink, 3);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/d1/..", &ino), 0);
	assert_int_equal(ino, EXT2_ROOT_INO);
	assert_content(fs, "/d1/file", "deep", 4);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d2", "/d3", &gone), 0);
	assert_int_equal(ext2ops_rename(fs, EXT2_ROOT_INO, "/d1/deeper", "/d1/deepest", &gone), 0);
	assert_int_equal(stat_of(fs, "/").nlink, root_links + 2);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_clean(img);

	ls = debugfs(img, "ls -p /d1");
	assert_non_null(strstr(ls, "/file/4/"));
	assert_non_null(strstr(ls, "/deepest//"));
	free(ls);
	snprintf(path, sizeof(path), "%s/y.out", dir);
	assert_int_equal(sh("debugfs -R 'dump /y %s' %s > /dev/null 2>&1", path, img), 0);
	dumped = slurp(path, &dlen);
	assert_non_null(dumped);
	assert_int_equal(dlen, 3);
	assert_memory_equal(dumped, "xxx", 3);
	free(dumped);
}

/* A readdir in pieces: each name's count, by its number. */
struct seen {
	unsigned char *count;
	unsigned n, limit, calls, dot, dotdot;
};

/* Names are d%05u (directories, every third number) or f%05u. */
static int collect(void *ctx, const char *name, unsigned len, ext2_ino_t ino,
		   unsigned type)
{
	struct seen *s = ctx;
	char num[8];
	unsigned i;

	if (s->calls == s->limit)
		return 1;
	s->calls++;
	assert_true(ino != 0);
	if (len == 1 && name[0] == '.') {
		assert_int_equal(type, LINUX_S_IFDIR >> 12);
		s->dot++;
		return 0;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		assert_int_equal(type, LINUX_S_IFDIR >> 12);
		s->dotdot++;
		return 0;
	}
	assert_int_equal(len, 6);
	memcpy(num, name + 1, 5);
	num[5] = '\0';
	i = (unsigned)atoi(num);
	assert_true(i < s->n);
	assert_int_equal(name[0], i % 3 == 0 ? 'd' : 'f');
	assert_int_equal(type, (i % 3 == 0 ? LINUX_S_IFDIR : LINUX_S_IFREG) >> 12);
	s->count[i]++;
	return 0;
}

/* Reads all of dir limit entries at a time: the number of entries. */
static unsigned read_all(ext2_filsys fs, ext2_ino_t d, struct seen *s, unsigned limit)
{
	uint64_t pos = 0, next;
	unsigned total = 0;

	s->limit = limit;
	for (;;) {
		s->calls = 0;
		assert_int_equal(ext2ops_readdir(fs, d, pos, collect, s, &next), 0);
		assert_int_equal(next, pos + s->calls);
		if (next == pos)
			return total;
		total += s->calls;
		pos = next;
	}
}

struct many {
	const char *file, *size, *opts;
	unsigned n;
};

/* Thousands of names through mkdir and create; readdir in pieces sees
 * each once with its type, also after some went. */
static void test_many(void **state)
{
	const struct many *m = *state;
	char img[96], path[64], *ls;
	ext2_filsys fs;
	ext2_ino_t d, ino;
	struct seen s = { 0 };
	unsigned n = m->n, dirs = 0, left = 0;
	uint64_t next;
	int gone;

	make_image_opts(img, sizeof(img), m->file, m->size, m->opts);
	s.n = n;
	s.count = calloc(n, 1);
	assert_non_null(s.count);
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/many", 0755), 0);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/many", &d), 0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/many/%c%05u", i % 3 ? 'f' : 'd', i);
		if (i % 3)
			assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, path, 0644, &ino), 0);
		else
			assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, path, 0755), 0);
	}
	assert_true(stat_of(fs, "/many").size > 4 * fs->blocksize);
	assert_int_equal(read_all(fs, d, &s, 37), n + 2);
	assert_int_equal(s.dot, 1);
	assert_int_equal(s.dotdot, 1);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(s.count[i], 1);
	/* Past the end: nothing, and next stays. */
	s.calls = 0;
	assert_int_equal(ext2ops_readdir(fs, d, n + 2, collect, &s, &next), 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(next, n + 2);

	/* Every seventh name goes; the rest are seen once more. */
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/many/%c%05u", i % 3 ? 'f' : 'd', i);
		if (i % 7 == 0 && i % 3) {
			assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, path, &ino, &gone), 0);
			assert_true(gone);
			assert_int_equal(ext2ops_release(fs, ino), 0);
		} else if (i % 7 == 0) {
			assert_int_equal(ext2ops_rmdir(fs, EXT2_ROOT_INO, path), 0);
		} else {
			left++;
			dirs += i % 3 == 0;
		}
	}
	memset(s.count, 0, n);
	s.dot = s.dotdot = 0;
	assert_int_equal(read_all(fs, d, &s, 1000000), left + 2);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(s.count[i], i % 7 != 0);
	assert_int_equal(stat_of(fs, "/many").nlink, 2 + dirs);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_clean(img);
	ls = debugfs(img, "ls -p /many");
	assert_non_null(strstr(ls, "/f00001/0/"));
	assert_non_null(strstr(ls, "/d00003//"));
	assert_null(strstr(ls, "/f00007/"));
	free(ls);
	free(s.count);
}

/* Truncate down and up; a second name keeps a file's content; a big
 * file unlinked, then released, gives its blocks and inode back; sync
 * leaves the image clean while it is still open. */
static void test_truncate_unlink(void **state)
{
	const char *opts = *state;
	char img[96], path[128];
	ext2_filsys fs;
	ext2_ino_t big, ino, t, p, q;
	blk64_t free_blocks;
	uint32_t free_inodes;
	struct ext2ops_stat st;
	uint8_t *data = malloc(BIG), *back = malloc(BIG), *dumped;
	size_t dlen;
	int gone;

	assert_non_null(data);
	assert_non_null(back);
	fill(data, BIG, 3);
	make_image_opts(img, sizeof(img), "trunc.img", "16M", opts);
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	free_blocks = ext2fs_free_blocks_count(fs->super);
	free_inodes = fs->super->s_free_inodes_count;
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/big", 0644, &big), 0);
	assert_int_equal(ext2ops_write(fs, big, 0, data, BIG), BIG);
	assert_true(ext2fs_free_blocks_count(fs->super) <= free_blocks - BIG / fs->blocksize);
	assert_int_equal(ext2ops_stat(fs, big, &st), 0);
	assert_true(st.blocks >= BIG / 512);

	/* Two files written a block at a time in turn: many extents each,
	 * so a tree with its own blocks (ext4), and indirect blocks (ext2). */
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/p", 0644, &p), 0);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/q", 0644, &q), 0);
	for (uint64_t off = 0; off < 64 * fs->blocksize; off += fs->blocksize) {
		assert_int_equal(ext2ops_write(fs, p, off, data, fs->blocksize), fs->blocksize);
		assert_int_equal(ext2ops_write(fs, q, off, data, fs->blocksize), fs->blocksize);
	}
	assert_int_equal(ext2ops_stat(fs, p, &st), 0);
	assert_true(st.blocks > 64 * fs->blocksize / 512);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/p", &ino, &gone), 0);
	assert_int_equal(ext2ops_release(fs, p), 0);

	/* Down to a size within a block: the rest of the block reads 0
	 * once the file grows again, a hole. */
	t = make_file(fs, "/t", "");
	assert_int_equal(ext2ops_write(fs, t, 0, data, 70000), 70000);
	assert_int_equal(ext2ops_truncate(fs, t, 5000), 0);
	assert_content(fs, "/t", data, 5000);
	assert_int_equal(ext2ops_stat(fs, t, &st), 0);
	assert_int_equal(st.size, 5000);
	assert_true(st.blocks <= 2 * 5120 / 512 + 2 * fs->blocksize / 512);
	assert_int_equal(ext2ops_truncate(fs, t, 200000), 0);
	memset(back, 0xee, BIG);
	assert_int_equal(ext2ops_read(fs, t, 0, back, BIG), 200000);
	assert_memory_equal(back, data, 5000);
	for (size_t i = 5000; i < 200000; i++)
		if (back[i] != 0)
			fail_msg("byte %zu of /t is %u", i, back[i]);
	assert_int_equal(ext2ops_write(fs, t, 199999, "E", 1), 1);
	assert_int_equal(ext2ops_truncate(fs, t, 0), 0);
	assert_int_equal(ext2ops_stat(fs, t, &st), 0);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.blocks, 0);
	/* An extended attribute too big for the inode: a block of its own,
	 * freed with the file. */
	{
		struct ext2_xattr_handle *h;
		blk64_t before = ext2fs_free_blocks_count(fs->super);

		assert_int_equal(ext2fs_xattrs_open(fs, t, &h), 0);
		assert_int_equal(ext2fs_xattrs_read(h), 0);
		assert_int_equal(ext2fs_xattr_set(h, "user.big", data, 600), 0);
		assert_int_equal(ext2fs_xattrs_close(&h), 0);
		assert_int_equal(ext2fs_free_blocks_count(fs->super), before - 1);
	}
	assert_int_equal(ext2ops_write(fs, t, 0, "after", 5), 5);
	assert_int_equal(ext2ops_truncate(fs, t, 3), 0);
	assert_int_equal(ext2ops_truncate(fs, t, 8), 0);
	assert_content(fs, "/t", "aft\0\0\0\0\0", 8);

	/* A second name keeps the content when the first goes. */
	assert_int_equal(ext2ops_link(fs, EXT2_ROOT_INO, "/big", "/big2"), 0);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/big", &ino, &gone), 0);
	assert_int_equal(ino, big);
	assert_false(gone);
	assert_int_equal(ext2ops_release(fs, big), -AION_EBUSY);
	assert_content(fs, "/big2", data, BIG);
	assert_int_equal(ext2ops_sync(fs), 0);
	/* Synced: the open image is clean for the host as it stands. */
	assert_clean(img);
	snprintf(path, sizeof(path), "%s/big.out", dir);
	assert_int_equal(sh("debugfs -R 'dump /big2 %s' %s > /dev/null 2>&1", path, img), 0);
	dumped = slurp(path, &dlen);
	assert_non_null(dumped);
	assert_int_equal(dlen, BIG);
	assert_memory_equal(dumped, data, BIG);
	free(dumped);

	/* The last name: gone, still readable until released. */
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/big2", &ino, &gone), 0);
	assert_int_equal(ino, big);
	assert_true(gone);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/big2", &ino), -AION_ENOENT);
	assert_int_equal(ext2ops_read(fs, big, BIG - 100, back, 100), 100);
	assert_memory_equal(back, data + BIG - 100, 100);
	assert_int_equal(ext2ops_release(fs, big), 0);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/t", &ino, &gone), 0);
	assert_true(gone);
	assert_int_equal(ext2ops_release(fs, ino), 0);
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/q", &ino, &gone), 0);
	assert_int_equal(ext2ops_release(fs, q), 0);
	assert_int_equal(ext2fs_free_blocks_count(fs->super), free_blocks);
	assert_int_equal(fs->super->s_free_inodes_count, free_inodes);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_clean(img);
	free(back);
	free(data);
}

/* A full file system: a mkdir that gets its inode and block but cannot
 * grow its full parent fails with -AION_ENOSPC and leaves nothing
 * behind; a create likewise. */
static void test_full(void **state)
{
	char img[96], path[64];
	ext2_filsys fs;
	ext2_ino_t fill, spare, ino;
	uint8_t *block;
	uint64_t off = 0;
	uint32_t free_inodes;
	int64_t n;
	int r, gone;

	(void)state;
	make_image(img, sizeof(img), "full.img", "8M");
	assert_int_equal(ext2ops_open(img, unix_io_manager, 1, &fs), 0);
	block = calloc(1, fs->blocksize);
	assert_non_null(block);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d", 0755), 0);
	spare = make_file(fs, "/spare", "one block");
	fill = make_file(fs, "/fill", "");
	while ((n = ext2ops_write(fs, fill, off, block, fs->blocksize)) > 0)
		off += (uint64_t)n;
	assert_int_equal(n, -AION_ENOSPC);
	/* Names until /d is full and no block is left to grow it. */
	for (unsigned i = 0;; i++) {
		snprintf(path, sizeof(path), "/d/name-%04u", i);
		r = ext2ops_create(fs, EXT2_ROOT_INO, path, 0644, &ino);
		if (r < 0)
			break;
	}
	assert_int_equal(r, -AION_ENOSPC);
	assert_int_equal(ext2fs_free_blocks_count(fs->super), 0);
	/* One block free: the new directory's own. */
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/spare", &ino, &gone), 0);
	assert_true(gone);
	assert_int_equal(ino, spare);
	assert_int_equal(ext2ops_release(fs, spare), 0);
	assert_int_equal(ext2fs_free_blocks_count(fs->super), 1);
	free_inodes = fs->super->s_free_inodes_count;
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d/sub", 0755), -AION_ENOSPC);
	assert_int_equal(ext2ops_lookup(fs, EXT2_ROOT_INO, "/d/sub", &ino), -AION_ENOENT);
	assert_int_equal(ext2fs_free_blocks_count(fs->super), 1);
	assert_int_equal(fs->super->s_free_inodes_count, free_inodes);
	assert_int_equal(ext2ops_create(fs, EXT2_ROOT_INO, "/d/one-more", 0644, &ino), 0);
	assert_int_equal(ext2fs_free_blocks_count(fs->super), 0);
	/* The filler holds the file system's last block: released, all of
	 * its blocks come back, and the mkdir goes through. */
	assert_int_equal(ext2ops_unlink(fs, EXT2_ROOT_INO, "/fill", &ino, &gone), 0);
	assert_int_equal(ext2ops_release(fs, fill), 0);
	assert_true(ext2fs_free_blocks_count(fs->super) >= off / fs->blocksize);
	assert_int_equal(ext2ops_mkdir(fs, EXT2_ROOT_INO, "/d/sub", 0755), 0);
	assert_int_equal(ext2ops_close(fs), 0);
	assert_clean(img);
	free(block);
}

int main(void)
{
	static struct many many_ext4 = { "many4.img", "64M", "-t ext4", 3000 };
	static struct many many_ext2 = { "many2.img", "16M", "-t ext2 -O ^filetype", 1000 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_ext2ops),
		cmocka_unit_test(test_not_a_file_system),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_rename),
		{ "test_many ext4", test_many, NULL, NULL, &many_ext4 },
		{ "test_many ext2 without filetype", test_many, NULL, NULL, &many_ext2 },
		{ "test_truncate_unlink ext4", test_truncate_unlink, NULL, NULL,
		  (void *)"-t ext4" },
		{ "test_truncate_unlink ext2", test_truncate_unlink, NULL, NULL,
		  (void *)"-t ext2" },
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, ext2test_setup, ext2test_teardown);
}
