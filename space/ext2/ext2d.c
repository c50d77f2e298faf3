/*
 * ext2d: the node disk's file system (docs/storage.md "The data file
 * system"). A program of the POSIX personality, because lib/ext2fs (Debian's
 * e2fsprogs 1.47, build.sh) needs a C library, but a service of init's
 * manifest: it has no process server, no files of its own and no terminal,
 * only what init gave it: init's endpoint (SVC_INIT_EP) and the disk's
 * "data" region (SVC_EXT2D_DISK). It opens the ext2/3/4 file system there
 * through blkio.c and blkclient, publishes its root directory as
 * VFS_DATA_NAME, and serves the VFS protocol (aion/vfs.h) on it, one call
 * at a time; vfsd's /data redirects path calls here (docs/fs.md "Remote
 * mounts").
 *
 * Durability (docs/storage.md): lib/ext2fs writes file data and inodes
 * through to the device as calls change them, and the bitmaps, group
 * descriptors and superblock at a flush. The superblock's state says
 * whether the disk is consistent: the first change after a sync clears
 * EXT2_VALID_FS on the disk before it happens; VFS_SYNC (fsync), and a
 * second without calls, write everything back and set it again, each
 * followed by the device's flush. A file system found not clean at start
 * (the node was killed between a change and its sync) or with errors
 * recorded is checked first, by e2fsck in preen mode (ext2d_fsck.c); one
 * it did not make clean is mounted read-only and says so: served as found,
 * never written over.
 */
#include <string.h>
#include <stdlib.h>
#include "aion/blk.h"
#include "aion/initproto.h"
#include "blkio.h"
#include "common/pathname.h"
#include "ext2d.h"
#include "fsck.h"
#include "libaion/blkclient.h"
#include "libaion/initclient.h"
#include "libaion/lib.h"

#define EXT2D_IDLE_NS   (1000ull * 1000000ull)  /* a change is synced after this quiet */
#define MS              1000000ull

ext2_filsys ext2d_fs;
bool ext2d_rw;
static bool dirty;                      /* changed since the last sync */
static aion_handle_t ep;
static struct aion_ipc_buffer ipc __attribute__((aligned(4096)));
static struct blkclient disk;
static struct ext2_blkdev dev;
static struct ext2d_open opens[EXT2D_OPENS_MAX];

/* --- open records (as vfsd's, space/fs/records.c) --- */

struct ext2d_open *ext2d_open_find(uint64_t badge)
{
	if (!VFS_BADGE_VALID(badge))
		return NULL;
	unsigned i = VFS_BADGE_INDEX(badge);
	if (i >= EXT2D_OPENS_MAX || !opens[i].ino || opens[i].gen != VFS_BADGE_GEN(badge))
		return NULL;
	return &opens[i];
}

bool ext2d_ino_open(ext2_ino_t ino)
{
	for (unsigned i = 0; i < EXT2D_OPENS_MAX; i++)
		if (opens[i].ino == ino)
			return true;
	return false;
}

unsigned ext2d_opens_used(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < EXT2D_OPENS_MAX; i++)
		n += opens[i].ino != 0;
	return n;
}

/*
 * Records of units that ended without closing (a fault, a kill): the
 * kernel knows whether any unit still holds a copy of a record's
 * capability (CAP_INFO's AION_CAP_COPIED on ours, the root of every
 * copy), so a record with none can never be used or closed again and is
 * ended here, as vfsd does (docs/fs.md "Records of ended processes").
 * Looked at when the table is full and once a second while records are
 * open; no client's word is taken. The roots (records 0 and 1) are
 * everyone's: never.
 */
unsigned ext2d_reap(void)
{
	unsigned n = 0;
	for (unsigned i = VFS_ROOT_RECORDS; i < EXT2D_OPENS_MAX; i++) {
		struct aion_cap_info ci;
		if (!opens[i].ino || aion_cap_info(opens[i].cap, &ci) ||
		    (ci.flags & AION_CAP_COPIED))
			continue;
		ext2d_open_end(&opens[i]);
		n++;
	}
	return n;
}

static int64_t open_slot(ext2_ino_t ino, bool dir, uint32_t flags, struct ext2d_open **out)
{
	for (unsigned i = 0; i < EXT2D_OPENS_MAX; i++) {
		struct ext2d_open *o = &opens[i];
		if (o->ino)
			continue;
		o->gen = (o->gen + 1) & 0xffffff;
		int64_t cap = aion_cap_mint(ep, VFS_OBJECT_RIGHTS, VFS_BADGE(i, o->gen));
		if (cap < 0)
			return cap;
		*o = (struct ext2d_open){ .ino = ino, .gen = o->gen, .flags = flags, .holders = 1,
					  .rights = VFS_RIGHTS_ALL, .dir = dir,
					  .cap = (aion_handle_t)cap };
		*out = o;
		return 0;
	}
	return -AION_ENOSPC;
}

int64_t ext2d_open_new(ext2_ino_t ino, bool dir, uint32_t flags, struct ext2d_open **out)
{
	int64_t err = open_slot(ino, dir, flags, out);
	if (err == -AION_ENOSPC && ext2d_reap())
		err = open_slot(ino, dir, flags, out);
	return err;
}

void ext2d_open_end(struct ext2d_open *o)
{
	ext2_ino_t ino = o->ino;
	struct ext2ops_stat st;

	aion_cap_revoke(o->cap);
	aion_handle_close(o->cap);
	*o = (struct ext2d_open){ .gen = o->gen };
	/* The last record of a file whose last name went: its blocks go now. */
	if (ext2d_rw && !ext2d_ino_open(ino) && ext2ops_stat(ext2d_fs, ino, &st) == 0 &&
	    st.nlink == 0) {
		int err = ext2ops_release(ext2d_fs, ino);
		if (err)
			aion_printf("ext2d: release failed ino=%u err=%s", ino, aion_error_name(err));
	}
}

/* --- paths --- */

int ext2d_path(const char *path, size_t len, char *out, size_t cap, bool *want_dir)
{
	size_t n = 1, i = 0;

	if (len == 0)
		return -AION_ENOENT;
	if (len > VFS_PATH_MAX)
		return -AION_ENAMETOOLONG;
	if (memchr(path, '\0', len))
		return -AION_EMALFORMED;
	if (cap < 2)
		return -AION_ENAMETOOLONG;
	memcpy(out, "/", 2);            /* the record's directory */
	*want_dir = path[len - 1] == '/';
	while (i < len) {
		size_t s, k = path_name_next(path, len, &i, &s);
		if (k == 0 || (k == 1 && path[s] == '.'))
			continue;
		if (k == 2 && path[s] == '.' && path[s + 1] == '.') {
			/* Back one name, never above the record's directory. */
			while (n > 1 && out[n - 1] != '/')
				n--;
			if (n > 1)
				n--;
			out[n] = '\0';
			continue;
		}
		if (k > VFS_NAME_MAX)
			return -AION_ENAMETOOLONG;
		if (n + 1 + k + 1 > cap)
			return -AION_ENAMETOOLONG;
		if (n > 1)
			out[n++] = '/';
		memcpy(out + n, path + s, k);
		n += k;
		out[n] = '\0';
	}
	return 0;
}

/* --- durability (the top comment) --- */

/* Before the first change after a sync: the disk says "not clean". */
int ext2d_changing(void)
{
	if (!ext2d_rw)
		return -AION_EROFS;
	if (dirty)
		return 0;
	ext2d_fs->super->s_state &= (__u16)~EXT2_VALID_FS;
	ext2fs_mark_super_dirty(ext2d_fs);
	int err = ext2ops_sync(ext2d_fs);
	if (err) {
		aion_printf("ext2d: mark unclean failed err=%s", aion_error_name(err));
		return err;
	}
	dirty = true;
	return 0;
}

/* Everything back to the disk, then "clean" (ext2fs_flush writes the
 * primary superblock last, after a device flush, and flushes again). */
/* statfs(2): the superblock's counts, as libext2fs keeps them in memory. */
void ext2d_statfs(struct vfs_statfs *st)
{
	struct ext2_super_block *sb = ext2d_fs->super;
	blk64_t free = ext2fs_free_blocks_count(sb), reserved = ext2fs_r_blocks_count(sb);
	const char *type = ext2fs_has_feature_extents(sb) ? "ext4" :
			   ext2fs_has_feature_journal(sb) ? "ext3" : "ext2";

	*st = (struct vfs_statfs){
		.blocks = ext2fs_blocks_count(sb), .bfree = free,
		.bavail = free > reserved ? free - reserved : 0,
		.files = sb->s_inodes_count, .ffree = sb->s_free_inodes_count,
		.bsize = ext2d_fs->blocksize, .namemax = EXT2_NAME_LEN,
		.magic = EXT2_SUPER_MAGIC, .flags = ext2d_rw ? 0 : VFS_STATFS_RDONLY,
	};
	memcpy(st->type, type, strlen(type));
}

int ext2d_sync(void)
{
	if (!dirty)
		return 0;
	ext2d_fs->super->s_state |= EXT2_VALID_FS;
	ext2fs_mark_super_dirty(ext2d_fs);
	int err = ext2ops_sync(ext2d_fs);
	if (err) {
		ext2d_fs->super->s_state &= (__u16)~EXT2_VALID_FS;
		aion_printf("ext2d: sync failed err=%s", aion_error_name(err));
		return err;
	}
	dirty = false;
	return 0;
}

/* --- start --- */

/* Opens the region and its file system, read-only: *clean when it was
 * synced last and has no errors recorded. */
static int open_ro(char *name, bool *clean)
{
	int64_t err = blkclient_open(&disk, SVC_EXT2D_DISK, &ipc, EXT2_BLK_BUF_VA);

	if (err)
		return (int)err;
	dev = (struct ext2_blkdev){ .ctx = &disk, .read = blkclient_read,
				    .write = blkclient_write, .flush = blkclient_flush,
				    .sectors = disk.blocks };
	if ((err = ext2_blkio_register(&dev, name, EXT2_BLKIO_NAME_MAX)) ||
	    (err = ext2ops_open(name, ext2_blkio, 0, &ext2d_fs))) {
		ext2_blkio_unregister(&dev);
		blkclient_close(&disk);
		return (int)err;
	}
	uint16_t state = ext2d_fs->super->s_state;
	*clean = (state & EXT2_VALID_FS) && !(state & EXT2_ERROR_FS);
	return 0;
}

/* Closes the file system and the region, runs e2fsck OPTION on it, opens
 * both again: 0 and e2fsck's exit code in *code, or -AION_E.... Opening
 * again also attaches ext2d's own buffer, which frees the child's (the
 * driver held it, and with it the child's quota). */
static int run_check(const char *option, char *name, bool *clean, int *code)
{
	ext2ops_close(ext2d_fs);
	ext2d_fs = NULL;
	ext2_blkio_unregister(&dev);
	/* The child attaches its own buffer under the same badge. */
	blkclient_close(&disk);
	*code = ext2d_fsck(SVC_EXT2D_DISK, option);
	return open_ro(name, clean);
}

/* A file system that is not clean: checked by e2fsck, opened again. 0 with
 * *why NULL when the check made it clean. Preen first: what a kill
 * between syncs leaves is mostly what it repairs alone; when it stops
 * ("UNEXPECTED INCONSISTENCY", exit 4) e2fsck -y repairs the rest, as
 * Debian's boot does with FSCKFIX=yes: an unattended node has no one to
 * ask, and what it changes is the unsynced work (docs/storage.md). */
static int check(char *name, bool *clean, const char **why)
{
	int code;

	aion_printf("ext2d: check start why=%s", *why);
	int err = run_check("-p", name, clean, &code);
	if (!err && code == 4)
		err = run_check("-y", name, clean, &code);
	if (err)
		return err;
	if (code < 0 || code > 2)
		*why = "check-failed";
	else if (!*clean)
		*why = "not-clean";     /* e2fsck said fine but left it so */
	else
		*why = NULL;
	return 0;
}

static int mount(void)
{
	char name[EXT2_BLKIO_NAME_MAX];
	bool clean;
	int err = open_ro(name, &clean);

	if (err)
		return err;
	bool writable = disk.flags & BLK_INFO_WRITABLE;
	const char *why = !writable ? "region" : !clean ? "not-clean" : NULL;
	if (why && writable && (err = check(name, &clean, &why)))
		return err;
	if (!why) {
		ext2ops_close(ext2d_fs);
		ext2d_fs = NULL;
		if ((err = ext2ops_open(name, ext2_blkio, 1, &ext2d_fs)))
			return err;
		ext2d_rw = true;
	}
	aion_printf("ext2d: mounted mode=%s%s%s blocks=%llu free_blocks=%llu inodes=%u "
		    "block_size=%u", ext2d_rw ? "rw" : "ro", why ? " why=" : "", why ? why : "",
		    (unsigned long long)ext2fs_blocks_count(ext2d_fs->super),
		    (unsigned long long)ext2fs_free_blocks_count(ext2d_fs->super),
		    ext2d_fs->super->s_inodes_count, ext2d_fs->blocksize);
	return 0;
}

static int64_t publish(const char *name, aion_handle_t cap)
{
	for (;;) {
		int64_t err = init_register(SVC_INIT_EP, &ipc, name, cap, VFS_OBJECT_RIGHTS);
		if (err != -AION_EAGAIN)
			return err;
		aion_sleep_ns(20 * MS);
	}
}

/* Records 0 and 1: the root directory, published as VFS_DATA_NAME, and
 * the same with VFS_RIGHT_READ only, as VFS_DATA_RO_NAME (what vfsd hands
 * a caller that may not write, aion/vfs.h). */
static int64_t publish_root(void)
{
	struct ext2d_open *root, *ro;
	int64_t err = ext2d_open_new(EXT2_ROOT_INO, true, VFS_O_READ | VFS_O_DIRECTORY, &root);
	if (!err && !(err = ext2d_open_new(EXT2_ROOT_INO, true, VFS_O_READ | VFS_O_DIRECTORY, &ro)))
		ro->rights = VFS_RIGHT_READ;
	if (!err)
		err = publish(VFS_DATA_RO_NAME, ro->cap);
	return err ? err : publish(VFS_DATA_NAME, root->cap);
}

static void serve_one(const struct aion_msg *m)
{
	struct aion_serve_req r;
	aion_serve_begin(&r, &ipc, m, AION_TAG_LABEL(m->tag));
	struct ext2d_open *o = ext2d_open_find(m->badge);
	r.ctx = (int64_t)(uintptr_t)o;
	aion_serve_end(&r, !o ? -AION_EBADF :
			   vfs_rights_needed(r.label, m->w[1]) & ~o->rights ? -AION_EACCES :
			   aion_serve_dispatch(&ext2d_table, &r));
}

int main(void)
{
	struct aion_msg m;
	int64_t err = aion_ipc_buffer(&ipc);
	int64_t h = err ? err : aion_endpoint_create();

	if (h < 0 || (err = mount()) || (err = (ep = (aion_handle_t)h, publish_root()))) {
		/* No file system (a raw disk, a bad one): say so and stay, so
		 * that init does not start us again and again; /data is ENOENT. */
		aion_printf("ext2d: not serving err=%s", aion_error_name(h < 0 ? h : err));
		for (;;)
			aion_sleep_ns(UINT64_MAX / 2);
	}
	aion_printf("ext2d: serving \"%s\" opens_max=%u", VFS_DATA_NAME, EXT2D_OPENS_MAX);
	for (;;) {
		bool idle_work = dirty || ext2d_opens_used() > VFS_ROOT_RECORDS;
		err = aion_recv(ep, &m, idle_work ? EXT2D_IDLE_NS : AION_FOREVER);
		if (err == -AION_ETIMEDOUT) {
			ext2d_sync();
			ext2d_reap();
			continue;
		}
		if (err) {
			aion_printf("ext2d: recv failed err=%s", aion_error_name(err));
			aion_sleep_ns(100 * MS);
			continue;
		}
		serve_one(&m);
	}
}
