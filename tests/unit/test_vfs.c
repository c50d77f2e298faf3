/* Host tests for space/fs: ramfs, path walks and mounts, byte-range locks, cpio. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "cpio.h"
#include "fs_host.h"
#include "fsmem.h"
#include "lock.h"
#include "path.h"
#include "ramfs.h"


static struct ramfs fs;

static int setup(void **state)
{
	(void)state;
	fs_host_live_blocks = 0;
	fs_host_fail_after = -1;
	return ramfs_init(&fs, 1);
}

static int teardown(void **state)
{
	(void)state;
	ramfs_destroy(&fs);
	assert_int_equal(fs_host_live_blocks, 0);
	return 0;
}

static struct rnode *get(const char *path)
{
	struct rnode *n = NULL;
	return vfs_resolve(fs.root, path, strlen(path), &n) ? NULL : n;
}

static int mk(const char *path, uint32_t mode)
{
	struct vfs_where w;
	struct rnode *n;
	int err = vfs_walk_parent(fs.root, path, strlen(path), &w);
	if (err)
		return err;
	if (vfs_where_is_dot(&w))
		return -AION_EEXIST;
	return ramfs_create(&fs, w.dir, w.name, w.len, mode, &n);
}

static int64_t put(const char *path, uint64_t off, const char *text)
{
	struct rnode *n = get(path);
	return n ? ramfs_write(n, off, text, strlen(text)) : -AION_ENOENT;
}

static void test_paths(void **state)
{
	(void)state;
	assert_int_equal(mk("/a", VFS_S_IFDIR | 0755), 0);
	assert_int_equal(mk("a/b", VFS_S_IFDIR | 0700), 0);
	assert_int_equal(mk("/a/b/f", VFS_S_IFREG | 0644), 0);
	assert_ptr_equal(get("//a///b/./f"), get("/a/b/f"));
	assert_ptr_equal(get("a/b/../b/f"), get("/a/b/f"));
	assert_ptr_equal(get("/../../a"), get("/a"));          /* never above the base */
	assert_ptr_equal(get("/"), fs.root);
	assert_ptr_equal(get("."), fs.root);
	assert_null(get(""));
	struct rnode *n;
	assert_int_equal(vfs_resolve(fs.root, "/a/x/f", 6, &n), -AION_ENOENT);
	assert_int_equal(vfs_resolve(fs.root, "/a/b/f/g", 8, &n), -AION_ENOTDIR);
	assert_int_equal(vfs_resolve(fs.root, "/a/b/f/", 7, &n), -AION_ENOTDIR);
	assert_int_equal(mk("/a", VFS_S_IFDIR | 0755), -AION_EEXIST);
	assert_int_equal(mk("/a/..", VFS_S_IFDIR | 0755), -AION_EEXIST);
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	longname[0] = '/';
	assert_int_equal(vfs_resolve(fs.root, longname, 257, &n), -AION_ENAMETOOLONG);
	assert_int_equal(vfs_resolve(fs.root, "a\0b", 3, &n), -AION_EMALFORMED);
	/* A walk based at /a/b cannot climb out. */
	struct rnode *b = get("/a/b");
	assert_int_equal(vfs_resolve(b, "../../..", 8, &n), 0);
	assert_ptr_equal(n, b);
	assert_int_equal(vfs_resolve(b, "/f", 2, &n), 0);
	assert_ptr_equal(n, get("/a/b/f"));
}

static void test_files(void **state)
{
	(void)state;
	assert_int_equal(mk("/f", VFS_S_IFREG | 0640), 0);
	struct rnode *f = get("/f");
	assert_int_equal(put("/f", 0, "hello"), 5);
	assert_int_equal(put("/f", 10000, "far"), 3);       /* a hole between */
	char buf[16] = { 0 };
	assert_int_equal(ramfs_read(f, 0, buf, 5), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(ramfs_read(f, 5000, buf, 4), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(ramfs_read(f, 10001, buf, 16), 2);
	assert_int_equal(ramfs_read(f, 20000, buf, 16), 0);
	struct vfs_stat st;
	ramfs_stat(f, &st);
	assert_int_equal(st.size, 10003);
	assert_int_equal(st.mode, VFS_S_IFREG | 0640);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(st.blocks, 2 * 8);                 /* two pages held */
	assert_int_equal(ramfs_truncate(f, 3), 0);
	assert_int_equal(ramfs_truncate(f, 8), 0);
	memset(buf, 1, sizeof(buf));
	assert_int_equal(ramfs_read(f, 0, buf, 16), 8);
	assert_memory_equal(buf, "hel\0\0\0\0\0", 8);       /* the cut part is zero */
	assert_int_equal(ramfs_write(f, VFS_FILE_MAX, "x", 1), -AION_EFBIG);
	assert_int_equal(ramfs_truncate(f, VFS_FILE_MAX + 1), -AION_EFBIG);
	assert_int_equal(ramfs_read(fs.root, 0, buf, 1), -AION_EISDIR);
	ramfs_chmod(f, 04711 | VFS_S_IFDIR);
	ramfs_stat(f, &st);
	assert_int_equal(st.mode, VFS_S_IFREG | 04711);     /* the type never changes */
	/* Out of memory: a failed write leaves the file as it was. */
	fs_host_fail_after = 0;
	assert_int_equal(ramfs_write(f, 1 << 20, "x", 1), -AION_ENOMEM);
	fs_host_fail_after = -1;
	ramfs_stat(f, &st);
	assert_int_equal(st.size, 8);
}

/* A shared window: the file's pages and the mapped bytes are the same. */
static void test_share(void **state)
{
	(void)state;
	const struct fs_window *w;
	assert_int_equal(mk("/s", VFS_S_IFREG | 0600), 0);
	struct rnode *f = get("/s");
	assert_int_equal(put("/s", 4090, "abcdefghijklmnop"), 16); /* pages 0 and 1: size 4106 */
	assert_int_equal(ramfs_share(f, 0, &w), -AION_EINVAL);
	assert_int_equal(ramfs_share(f, 3, &w), 0);
	assert_int_equal(w->npages, RAMFS_SHARE_ROUND);
	assert_memory_equal(w->base + 4090, "abcdefghijklmnop", 16);
	/* A write through the window, read through the file, and back. */
	memcpy(w->base + 4096 + 1, "map", 3);
	char buf[8] = { 0 };
	assert_int_equal(ramfs_read(f, 4096 + 1, buf, 3), 3);
	assert_string_equal(buf, "map");
	assert_int_equal(put("/s", 8192, "grow"), 4);       /* page 2: in the window */
	assert_memory_equal(w->base + 8192, "grow", 4);
	/* Cut: the window's pages past the end read as zero, and stay its. */
	assert_int_equal(ramfs_truncate(f, 100), 0);
	assert_int_equal(w->base[4096 + 1], 0);
	assert_int_equal(w->base[8192], 0);
	assert_int_equal(put("/s", 4096, "again"), 5);
	assert_memory_equal(w->base + 4096, "again", 5);
	/* A write past the end through the window is not the file's. */
	assert_int_equal(ramfs_truncate(f, 100), 0);
	w->base[200] = 'x';
	assert_int_equal(ramfs_truncate(f, 300), 0);
	assert_int_equal(ramfs_read(f, 200, buf, 1), 1);
	assert_int_equal(buf[0], 0);
	w->base[400] = 'y';
	assert_int_equal(put("/s", 500, "z"), 1);
	assert_int_equal(ramfs_read(f, 400, buf, 1), 1);
	assert_int_equal(buf[0], 0);
	/* The same window each time; never more than it holds. */
	const struct fs_window *w2;
	assert_int_equal(ramfs_share(f, RAMFS_SHARE_ROUND, &w2), 0);
	assert_ptr_equal(w2, w);
	assert_int_equal(ramfs_share(f, RAMFS_SHARE_ROUND + 1, &w2), -AION_ENOMEM);
	/* A page past the window is a file page of its own again. */
	assert_int_equal(put("/s", RAMFS_SHARE_ROUND * 4096ull, "out"), 3);
	assert_int_equal(ramfs_read(f, RAMFS_SHARE_ROUND * 4096ull, buf, 3), 3);
	assert_memory_equal(buf, "out", 3);
	assert_int_equal(ramfs_share(fs.root, 1, &w2), -AION_ETYPE);
	assert_int_equal(mk("/big", VFS_S_IFREG | 0600), 0);
	assert_int_equal(ramfs_share(get("/big"), RAMFS_SHARE_MAX + 1, &w2), -AION_ENOMEM);
	/* Out of memory: the file keeps its own pages. */
	assert_int_equal(put("/big", 0, "kept"), 4);
	fs_host_fail_after = 1;                             /* the window's record only */
	assert_int_equal(ramfs_share(get("/big"), 1, &w2), -AION_ENOMEM);
	fs_host_fail_after = -1;
	assert_int_equal(ramfs_read(get("/big"), 0, buf, 4), 4);
	assert_memory_equal(buf, "kept", 4);
	/* teardown: the window goes with the node (live blocks back to 0) */
}

/* A mapping outlives the file's last name: its bytes stay as they were
 * (PTS shm_open/28-2; a named semaphore after sem_unlink). */
static void test_share_outlives_unlink(void **state)
{
	(void)state;
	const struct fs_window *w;
	assert_int_equal(mk("/shm", VFS_S_IFREG | 0600), 0);
	assert_int_equal(put("/shm", 0, "file"), 4);
	assert_int_equal(ramfs_share(get("/shm"), 1, &w), 0);
	memcpy(w->base, "qwerty", 6);
	memset(fs_host_window_left, 0, sizeof(fs_host_window_left));
	assert_int_equal(ramfs_remove(fs.root, "shm", 3, false), 0);
	assert_memory_equal(fs_host_window_left, "qwerty", 6);
}

/* link(2): two names, one node; the data lives until the last name goes. */
static void test_link(void **state)
{
	(void)state;
	struct vfs_stat st;
	assert_int_equal(mk("/d", VFS_S_IFDIR | 0755), 0);
	assert_int_equal(mk("/a", VFS_S_IFREG | 0644), 0);
	assert_int_equal(put("/a", 0, "shared"), 6);
	assert_int_equal(ramfs_link(fs.root, "a", 1, get("/d"), "b", 1), 0);
	assert_ptr_equal(get("/d/b"), get("/a"));
	ramfs_stat(get("/a"), &st);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(ramfs_link(fs.root, "a", 1, get("/d"), "b", 1), -AION_EEXIST);
	assert_int_equal(ramfs_link(fs.root, "zz", 2, fs.root, "y", 1), -AION_ENOENT);
	assert_int_equal(ramfs_link(fs.root, "d", 1, fs.root, "e", 1), -AION_EPERM);
	assert_int_equal(ramfs_remove(fs.root, "a", 1, false), 0);
	char buf[8] = { 0 };
	assert_int_equal(ramfs_read(get("/d/b"), 0, buf, 6), 6);
	assert_string_equal(buf, "shared");
	ramfs_stat(get("/d/b"), &st);
	assert_int_equal(st.nlink, 1);
	/* teardown: the node goes with its last name (live blocks back to 0) */
}

static void test_remove(void **state)
{
	(void)state;
	assert_int_equal(mk("/d", VFS_S_IFDIR | 0755), 0);
	assert_int_equal(mk("/d/f", VFS_S_IFREG | 0644), 0);
	assert_int_equal(fs.root->nlink, 3);
	assert_int_equal(ramfs_remove(fs.root, "d", 1, true), -AION_ENOTEMPTY);
	assert_int_equal(ramfs_remove(fs.root, "d", 1, false), -AION_EISDIR);
	struct rnode *d = get("/d");
	assert_int_equal(ramfs_remove(d, "f", 1, true), -AION_ENOTDIR);
	/* Unlinked while open: the data stays until the last close. */
	struct rnode *f = get("/d/f");
	ramfs_open(f);
	assert_int_equal(put("/d/f", 0, "kept"), 4);
	assert_int_equal(ramfs_remove(d, "f", 1, false), 0);
	assert_null(get("/d/f"));
	char buf[8] = { 0 };
	assert_int_equal(ramfs_read(f, 0, buf, 8), 4);
	assert_string_equal(buf, "kept");
	struct vfs_stat st;
	ramfs_stat(f, &st);
	assert_int_equal(st.nlink, 0);
	ramfs_close(f);                                     /* freed now (teardown counts) */
	assert_int_equal(ramfs_remove(fs.root, "d", 1, true), 0);
	assert_int_equal(fs.root->nlink, 2);
	assert_int_equal(ramfs_remove(fs.root, "d", 1, true), -AION_ENOENT);
}

static void test_rename(void **state)
{
	(void)state;
	assert_int_equal(mk("/a", VFS_S_IFDIR | 0755), 0);
	assert_int_equal(mk("/b", VFS_S_IFDIR | 0755), 0);
	assert_int_equal(mk("/a/f", VFS_S_IFREG | 0644), 0);
	assert_int_equal(mk("/b/g", VFS_S_IFREG | 0644), 0);
	struct rnode *a = get("/a"), *b = get("/b"), *f = get("/a/f");
	/* Across directories, replacing a file. */
	assert_int_equal(ramfs_rename(a, "f", 1, b, "g", 1), 0);
	assert_ptr_equal(get("/b/g"), f);
	assert_null(get("/a/f"));
	assert_int_equal(b->nents, 1);
	/* A directory moves, its ".." follows; never into itself. */
	assert_int_equal(ramfs_rename(fs.root, "a", 1, b, "a2", 2), 0);
	assert_ptr_equal(get("/b/a2/.."), b);
	assert_int_equal(fs.root->nlink, 3);
	assert_int_equal(b->nlink, 3);
	assert_int_equal(ramfs_rename(fs.root, "b", 1, a, "x", 1), -AION_EINVAL);
	assert_int_equal(ramfs_rename(b, "g", 1, b, "a2", 2), -AION_EISDIR);
	assert_int_equal(ramfs_rename(b, "a2", 2, b, "g", 1), -AION_ENOTDIR);
	assert_int_equal(ramfs_rename(b, "nope", 4, b, "x", 1), -AION_ENOENT);
	assert_int_equal(ramfs_rename(b, "g", 1, b, "g", 1), 0);
	/* Memory runs out: nothing moved. */
	fs_host_fail_after = 0;
	assert_int_equal(ramfs_rename(b, "g", 1, fs.root, "h", 1), -AION_ENOMEM);
	fs_host_fail_after = -1;
	assert_ptr_equal(get("/b/g"), f);
}

static void test_mount(void **state)
{
	(void)state;
	struct ramfs data;
	struct vfs_mount table[VFS_MOUNTS_MAX] = { 0 };
	assert_int_equal(ramfs_init(&data, 2), 0);
	assert_int_equal(mk("/data", VFS_S_IFDIR | 0755), 0);
	struct rnode *n;
	assert_int_equal(ramfs_create(&data, data.root, "x", 1, VFS_S_IFREG | 0644, &n), 0);
	assert_int_equal(vfs_mount(table, get("/data"), data.root), 0);
	assert_ptr_equal(get("/data/x"), n);
	assert_ptr_equal(get("/data/.."), fs.root);
	assert_int_equal(vfs_mount(table, get("/data"), data.root), -AION_EBUSY);
	struct vfs_stat st;
	ramfs_stat(get("/data/x"), &st);
	assert_int_equal(st.dev, 2);
	assert_int_equal(ramfs_remove(fs.root, "data", 4, true), -AION_EBUSY);
	ramfs_destroy(&data);
}

/* The walk's answer for path: 0, or the error with vfs_redirected's fields. */
static int walk(const char *path, unsigned *remote, size_t *at)
{
	struct rnode *n;
	vfs_redirected = (struct vfs_redirect){ 0, 0 };
	int err = vfs_resolve(fs.root, path, strlen(path), &n);
	*remote = vfs_redirected.remote;
	*at = vfs_redirected.at;
	return err;
}

/* A remote mount (docs/fs.md): every walk that reaches the point, on the
 * way or as its last name, stops there and says how many bytes led to it. */
static void test_remote(void **state)
{
	unsigned remote;
	size_t at;
	(void)state;
	assert_int_equal(mk("/data", VFS_S_IFDIR | 0755), 0);
	assert_int_equal(mk("/etc", VFS_S_IFDIR | 0755), 0);
	get("/data")->remote = 3;
	assert_int_equal(walk("/data/x/y", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(remote, 3);
	assert_int_equal(at, 5);                        /* "/data" */
	assert_int_equal(walk("//data//x", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 6);                        /* "//data" */
	assert_int_equal(walk("/data", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 5);
	assert_int_equal(walk("data/", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 4);                        /* the slash is the rest's */
	assert_int_equal(walk("/etc/../data/z", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 12);
	assert_int_equal(walk("/etc", &remote, &at), 0);        /* elsewhere: as before */
	assert_int_equal(remote, 0);
	assert_int_equal(walk("/etc/nothing", &remote, &at), -AION_ENOENT);
	/* The point itself is never made or removed in the ramfs: the walk to
	 * its parent for "/data" already redirects. */
	struct vfs_where w;
	assert_int_equal(vfs_walk_parent(fs.root, "/data", 5, &w), -AION_EREDIRECT);
}

/* A directory whose every name is another server's (/net/N, docs/fs.md
 * "/net"): the directory itself is ours, each name below redirects, on
 * the way or as the last name, with the bytes through that name. */
static void test_remote_below(void **state)
{
	unsigned remote;
	size_t at;
	struct rnode *n;
	(void)state;
	assert_int_equal(mk("/net", VFS_S_IFDIR | 0755), 0);
	get("/net")->remote_below = 4;
	assert_int_equal(walk("/net/2/data/x", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(remote, 4);
	assert_int_equal(at, 6);                        /* "/net/2" */
	assert_int_equal(walk("/net/17", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 7);
	assert_int_equal(walk("/net//3/", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 7);                        /* "/net//3": the slash is the rest's */
	assert_int_equal(walk("/net", &remote, &at), 0);        /* the directory is ours */
	assert_int_equal(remote, 0);
	assert_int_equal(walk("/net/.", &remote, &at), 0);
	assert_int_equal(walk("/net/..", &remote, &at), 0);
	assert_int_equal(walk("/net/../net/5/a", &remote, &at), -AION_EREDIRECT);
	assert_int_equal(at, 13);
	/* A name made there anyway is not reached: every walk redirects. */
	assert_int_equal(ramfs_create(&fs, get("/net"), "x", 1, VFS_S_IFREG | 0644, &n), 0);
	assert_int_equal(walk("/net/x", &remote, &at), -AION_EREDIRECT);
}

static void test_lock_range(void **state)
{
	(void)state;
	uint64_t s, e;
	struct vfs_flock fl = { .type = VFS_LOCK_WR, .whence = VFS_SEEK_CUR, .start = 5, .len = 10 };
	assert_int_equal(vfs_lock_range(&fl, 100, 0, &s, &e), 0);
	assert_true(s == 105 && e == 115);
	fl = (struct vfs_flock){ .type = VFS_LOCK_RD, .whence = VFS_SEEK_END, .start = -4, .len = 0 };
	assert_int_equal(vfs_lock_range(&fl, 0, 10, &s, &e), 0);
	assert_true(s == 6 && e == VFS_LOCK_EOF);
	fl = (struct vfs_flock){ .type = VFS_LOCK_RD, .whence = VFS_SEEK_SET, .start = 10, .len = -4 };
	assert_int_equal(vfs_lock_range(&fl, 0, 0, &s, &e), 0);
	assert_true(s == 6 && e == 10);
	fl.len = -11;
	assert_int_equal(vfs_lock_range(&fl, 0, 0, &s, &e), -AION_EINVAL);
	fl = (struct vfs_flock){ .type = 7 };
	assert_int_equal(vfs_lock_range(&fl, 0, 0, &s, &e), -AION_EINVAL);
	fl = (struct vfs_flock){ .type = VFS_LOCK_RD, .whence = 9 };
	assert_int_equal(vfs_lock_range(&fl, 0, 0, &s, &e), -AION_EINVAL);
	fl = (struct vfs_flock){ .type = VFS_LOCK_RD, .start = INT64_MAX, .len = 2 };
	assert_int_equal(vfs_lock_range(&fl, 0, 0, &s, &e), -AION_EINVAL);
}

static unsigned count(const struct vfs_lock *l)
{
	unsigned n = 0;
	for (; l; l = l->next)
		n++;
	return n;
}

static void test_locks(void **state)
{
	(void)state;
	struct vfs_lock *list = NULL;
	const struct vfs_lock *c;
	assert_int_equal(vfs_lock_set(&list, 1, VFS_LOCK_RD, 0, 100), 0);
	assert_int_equal(vfs_lock_set(&list, 2, VFS_LOCK_RD, 50, 150), 0);     /* reads share */
	assert_int_equal(vfs_lock_set(&list, 2, VFS_LOCK_WR, 90, 120), -AION_EAGAIN);
	c = vfs_lock_conflict(list, 2, VFS_LOCK_WR, 90, 120);
	assert_non_null(c);
	assert_int_equal(c->owner, 1);
	assert_null(vfs_lock_conflict(list, 2, VFS_LOCK_WR, 100, 120));
	assert_int_equal(vfs_lock_set(&list, 2, VFS_LOCK_WR, 100, 120), 0);    /* splits 2's read */
	assert_int_equal(count(list), 4);
	/* An owner's own locks never conflict: 1 turns the middle of its read into a write. */
	assert_int_equal(vfs_lock_set(&list, 1, VFS_LOCK_WR, 10, 20), 0);
	assert_int_equal(count(list), 6);
	assert_non_null(vfs_lock_conflict(list, 3, VFS_LOCK_RD, 15, 16));
	assert_null(vfs_lock_conflict(list, 3, VFS_LOCK_RD, 0, 10));
	/* Back to a read: adjacent reads of one owner merge again. */
	assert_int_equal(vfs_lock_set(&list, 1, VFS_LOCK_RD, 10, 20), 0);
	assert_int_equal(count(list), 4);
	assert_int_equal(vfs_lock_set(&list, 1, VFS_LOCK_UN, 0, VFS_LOCK_EOF), 0);
	assert_int_equal(count(list), 3);
	assert_int_equal(vfs_lock_set(&list, 3, VFS_LOCK_WR, 0, 50), 0);
	assert_int_equal(vfs_lock_set(&list, 3, VFS_LOCK_WR, 200, VFS_LOCK_EOF), 0);
	assert_non_null(vfs_lock_conflict(list, 4, VFS_LOCK_RD, 1000000, 1000001));
	vfs_lock_drop_owner(&list, 3);
	assert_int_equal(count(list), 3);
	assert_int_equal(vfs_lock_set(&list, 2, VFS_LOCK_UN, 5, 4), -AION_EINVAL);
	fs_host_fail_after = 0;
	assert_int_equal(vfs_lock_set(&list, 5, VFS_LOCK_RD, 0, 1), -AION_ENOMEM);
	fs_host_fail_after = -1;
	assert_int_equal(count(list), 3);
	vfs_lock_drop_all(&list);
	assert_null(list);
}

/* Appends one newc entry to a. */
static size_t entry(uint8_t *a, size_t at, const char *name, uint32_t mode, const char *data)
{
	size_t nlen = strlen(name) + 1, dlen = data ? strlen(data) : 0;
	at += (size_t)sprintf((char *)a + at, "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
			      1, mode, 0, 0, 1, 0, dlen, 0, 0, 0, 0, nlen, 0);
	memcpy(a + at, name, nlen);
	at = (at + nlen + 3) & ~(size_t)3;
	if (dlen)
		memcpy(a + at, data, dlen);
	return (at + dlen + 3) & ~(size_t)3;
}

static void test_cpio(void **state)
{
	(void)state;
	static uint8_t a[4096];
	memset(a, 0, sizeof(a));
	size_t n = entry(a, 0, ".", 040755, NULL);
	n = entry(a, n, "etc", 040755, NULL);
	n = entry(a, n, "etc/motd", 0100644, "welcome\n");
	n = entry(a, n, "bin", 040711, NULL);
	n = entry(a, n, "TRAILER!!!", 0, NULL);
	struct cpio_stats st;
	assert_int_equal(cpio_unpack(&fs, fs.root, a, n, &st), 0);
	assert_int_equal(st.dirs, 2);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.bytes, 8);
	char buf[16] = { 0 };
	assert_int_equal(ramfs_read(get("/etc/motd"), 0, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "welcome\n");
	assert_int_equal(get("/bin")->mode, VFS_S_IFDIR | 0711);
	/* Cut anywhere, the archive is refused, never read past its end. */
	for (size_t cutn = 0; cutn < n - 1; cutn += 7) {
		struct ramfs other;
		assert_int_equal(ramfs_init(&other, 3), 0);
		int err = cpio_unpack(&other, other.root, a, cutn, &st);
		assert_true(err == -AION_EMALFORMED || err == -AION_ENOENT);
		ramfs_destroy(&other);
	}
	/* A file before its directory, and a kind ramfs does not keep. */
	n = entry(a, 0, "x/y", 0100644, "");
	assert_int_equal(cpio_unpack(&fs, fs.root, a, n, &st), -AION_ENOENT);
	n = entry(a, 0, "link", 0120777, "target");
	assert_int_equal(cpio_unpack(&fs, fs.root, a, n, &st), -AION_EINVAL);
	memcpy(a, "070702", 6);
	assert_int_equal(cpio_unpack(&fs, fs.root, a, n, &st), -AION_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_share_outlives_unlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_below, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpio, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
