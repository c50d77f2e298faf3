/*
 * ext2d's VFS calls (aion/vfs.h) over ext2ops.c: path calls on a
 * directory record (the call's path normalized by text below it,
 * ext2d_path, then resolved from the record's inode), open-object calls
 * on any record. What vfsd's files do and
 * ext2d does not do yet answers -AION_ENOSYS: byte-range locks, shared
 * mappings, pipes (docs/storage.md "The data file system").
 */
#include <string.h>
#include "ext2d.h"
#include "libaion/lib.h"

#define PATH_CAP        (VFS_PATH_MAX + 2)

static int64_t need(const struct ext2d_open *o, uint32_t mode)
{
	return (o->flags & mode) ? 0 : -AION_EBADF;
}

/* The call's path (payload bytes [from, from + len)) normalized below the
 * record's directory, which is "/" (ext2ops.h: resolved from its inode). */
static int64_t path_of(struct aion_serve_req *r, size_t from, size_t len, char *out,
		       bool *want_dir)
{
	struct ext2d_open *o = ext2d_req_open(r);
	if (!o->dir)
		return -AION_ENOTDIR;
	return ext2d_path((const char *)r->data + from, len, out, PATH_CAP, want_dir);
}

static int64_t whole_path(struct aion_serve_req *r, char *out, bool *want_dir)
{
	return path_of(r, 0, r->len, out, want_dir);
}

static bool is_dir_mode(uint32_t mode)
{
	return (mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

/* The directory the call's paths start from. */
static ext2_ino_t at(struct aion_serve_req *r)
{
	return ext2d_req_open(r)->ino;
}

/* An existing path's inode and what it is ("name/" must be a directory). */
static int64_t find(struct aion_serve_req *r, const char *path, bool want_dir, ext2_ino_t *ino,
		    struct ext2ops_stat *st)
{
	int64_t err = ext2ops_lookup(ext2d_fs, at(r), path, ino);
	if (!err)
		err = ext2ops_stat(ext2d_fs, *ino, st);
	if (!err && want_dir && !is_dir_mode(st->mode))
		return -AION_ENOTDIR;
	return err;
}

static void to_vfs_stat(const struct ext2ops_stat *e, struct vfs_stat *v)
{
	*v = (struct vfs_stat){
		.ino = e->ino, .size = e->size, .blocks = e->blocks,
		.mtime_ns = e->mtime * 1000000000ull, .ctime_ns = e->ctime * 1000000000ull,
		.mode = e->mode, .nlink = e->nlink, .uid = e->uid, .gid = e->gid,
		.dev = 2,       /* vfsd's ramfs is 1 */
	};
}

/* --- path calls --- */

static int64_t on_open(struct aion_serve_req *r)
{
	uint32_t flags = (uint32_t)r->msg.w[1];
	char path[PATH_CAP];
	bool want_dir;
	ext2_ino_t ino;
	struct ext2ops_stat st;
	struct ext2d_open *o;

	if (r->msg.w[1] & ~(uint64_t)VFS_O_ALL)
		return -AION_EINVAL;
	int64_t err = whole_path(r, path, &want_dir);
	if (err)
		return err;
	err = find(r, path, want_dir, &ino, &st);
	if (err == -AION_ENOENT && (flags & VFS_O_CREAT)) {
		if (want_dir)
			return -AION_EISDIR;    /* O_CREAT of "name/", as Linux */
		if ((err = ext2d_changing()) ||
		    (err = ext2ops_create(ext2d_fs, at(r), path, (uint32_t)r->msg.w[2] & VFS_S_PERM, &ino)) ||
		    (err = ext2ops_stat(ext2d_fs, ino, &st)))
			return err;
	} else if (err) {
		return err;
	} else if ((flags & VFS_O_CREAT) && (flags & VFS_O_EXCL)) {
		return -AION_EEXIST;
	}
	bool dir = is_dir_mode(st.mode);
	if (dir && (flags & (VFS_O_WRITE | VFS_O_TRUNC)))
		return -AION_EISDIR;
	if (!dir && (flags & VFS_O_DIRECTORY))
		return -AION_ENOTDIR;
	if (!ext2d_rw && (flags & (VFS_O_WRITE | VFS_O_TRUNC)))
		return -AION_EROFS;
	if ((flags & VFS_O_TRUNC) && (flags & VFS_O_WRITE) && st.size &&
	    ((err = ext2d_changing()) || (err = ext2ops_truncate(ext2d_fs, ino, 0))))
		return err;
	if ((err = ext2d_open_new(ino, dir, flags & ~(VFS_O_CREAT | VFS_O_EXCL | VFS_O_TRUNC),
				  &o)))
		return err;
	o->rights = ext2d_req_open(r)->rights;
	aion_serve_give(r, o->cap, VFS_OBJECT_RIGHTS);
	r->reply.w[1] = st.mode & VFS_S_IFMT;
	return 0;
}

/* The path of a call that names something to make or remove: never the
 * record's own directory ("/", ".", ".."), which gets if_base. */
static int64_t named_path(struct aion_serve_req *r, char *path, bool *want_dir, int64_t if_base)
{
	int64_t err = whole_path(r, path, want_dir);
	if (!err && !strcmp(path, "/"))
		return if_base;
	return err;
}

static int64_t on_mkdir(struct aion_serve_req *r)
{
	char path[PATH_CAP];
	bool want_dir;
	int64_t err = named_path(r, path, &want_dir, -AION_EEXIST);
	if (!err)
		err = ext2d_changing();
	return err ? err : ext2ops_mkdir(ext2d_fs, at(r), path, (uint32_t)r->msg.w[2] & VFS_S_PERM);
}

/* An inode whose last name went: its blocks go once no record has it. */
static void unlinked(ext2_ino_t ino, int gone)
{
	if (!gone || !ino || ext2d_ino_open(ino))
		return;
	int err = ext2ops_release(ext2d_fs, ino);
	if (err)
		aion_printf("ext2d: release failed ino=%u err=%s", ino, aion_error_name(err));
}

static int64_t on_unlink(struct aion_serve_req *r)
{
	char path[PATH_CAP];
	bool want_dir;
	ext2_ino_t ino;
	struct ext2ops_stat st;
	int gone = 0;
	int64_t err = named_path(r, path, &want_dir, -AION_EISDIR);
	if (!err && want_dir && !(err = find(r, path, false, &ino, &st)))
		err = is_dir_mode(st.mode) ? -AION_EISDIR : -AION_ENOTDIR;
	if (!err)
		err = ext2d_changing();
	if (!err)
		err = ext2ops_unlink(ext2d_fs, at(r), path, &ino, &gone);
	if (!err)
		unlinked(ino, gone);
	return err;
}

static int64_t on_rmdir(struct aion_serve_req *r)
{
	char path[PATH_CAP];
	bool want_dir;
	ext2_ino_t ino;
	struct ext2ops_stat st;
	const char *last = (const char *)r->data;
	size_t n = r->len;

	while (n > 1 && last[n - 1] == '/')
		n--;
	if ((n == 1 && last[0] == '.') || (n >= 2 && !memcmp(last + n - 2, "/.", 2)))
		return -AION_EINVAL;    /* rmdir("dir/."): Linux says so */
	int64_t err = named_path(r, path, &want_dir, -AION_EBUSY);
	if (!err && !(err = find(r, path, false, &ino, &st)) && ext2d_ino_open(ino))
		err = -AION_EBUSY;      /* an open directory stays (no orphan directories) */
	if (!err)
		err = ext2d_changing();
	return err ? err : ext2ops_rmdir(ext2d_fs, at(r), path);
}

/* Payload "old\0new": both relative to the record's directory. */
static int64_t two_paths(struct aion_serve_req *r, char *from, char *to)
{
	const char *p = (const char *)r->data;
	bool want_dir;
	size_t split = 0;

	while (split < r->len && p[split])
		split++;
	if (split == r->len)
		return -AION_EMALFORMED;
	int64_t err = path_of(r, 0, split, from, &want_dir);
	if (!err)
		err = path_of(r, split + 1, r->len - split - 1, to, &want_dir);
	if (!err && (!strcmp(from, "/") || !strcmp(to, "/")))
		return -AION_EBUSY;
	return err;
}

static int64_t on_rename(struct aion_serve_req *r)
{
	char from[PATH_CAP], to[PATH_CAP];
	ext2_ino_t gone = 0;
	int64_t err = two_paths(r, from, to);
	if (!err)
		err = ext2d_changing();
	if (!err)
		err = ext2ops_rename(ext2d_fs, at(r), from, to, &gone);
	if (!err)
		unlinked(gone, gone != 0);
	return err;
}

static int64_t on_link(struct aion_serve_req *r)
{
	char from[PATH_CAP], to[PATH_CAP];
	int64_t err = two_paths(r, from, to);
	if (err == -AION_EBUSY)
		return -AION_EEXIST;    /* "." or "..": a name that exists */
	if (!err)
		err = ext2d_changing();
	return err ? err : ext2ops_link(ext2d_fs, at(r), from, to);
}

static int64_t on_stat(struct aion_serve_req *r)
{
	char path[PATH_CAP];
	bool want_dir;
	ext2_ino_t ino;
	struct ext2ops_stat st;
	struct vfs_stat v;
	int64_t err = whole_path(r, path, &want_dir);
	if (!err)
		err = find(r, path, want_dir, &ino, &st);
	if (err)
		return err;
	to_vfs_stat(&st, &v);
	aion_serve_put(r, &v, sizeof(v));
	return 0;
}

static int64_t on_chmod(struct aion_serve_req *r)
{
	char path[PATH_CAP];
	bool want_dir;
	ext2_ino_t ino;
	struct ext2ops_stat st;
	int64_t err = whole_path(r, path, &want_dir);
	if (!err)
		err = find(r, path, want_dir, &ino, &st);
	if (!err)
		err = ext2d_changing();
	return err ? err : ext2ops_chmod(ext2d_fs, ino, (uint32_t)r->msg.w[2]);
}

/* --- open-object calls --- */

/* Reads up to want bytes into data at the call's offset (w2). */
static int64_t read_at(struct aion_serve_req *r, uint8_t *data, uint64_t want)
{
	struct ext2d_open *o = ext2d_req_open(r);
	bool at_pos = r->msg.w[2] == VFS_AT_POS;

	if (o->dir)
		return -AION_EISDIR;
	int64_t err = need(o, VFS_O_READ);
	if (err)
		return err;
	int64_t got = ext2ops_read(ext2d_fs, o->ino, at_pos ? o->pos : r->msg.w[2], data, want);
	if (got > 0 && at_pos)
		o->pos += (uint64_t)got;
	return got;
}

/* Writes len bytes of data at the call's offset (w2), or the end. */
static int64_t write_at(struct aion_serve_req *r, const uint8_t *data, uint64_t len)
{
	struct ext2d_open *o = ext2d_req_open(r);
	struct ext2ops_stat st;
	int64_t err = need(o, VFS_O_WRITE);
	if (err)
		return err;
	bool at_pos = r->msg.w[2] == VFS_AT_POS || (o->flags & VFS_O_APPEND);
	uint64_t off = r->msg.w[2] == VFS_AT_POS ? o->pos : r->msg.w[2];
	if ((o->flags & VFS_O_APPEND) && (err = ext2ops_stat(ext2d_fs, o->ino, &st)))
		return err;
	if (o->flags & VFS_O_APPEND)
		off = st.size;
	if (off > EXT2D_FILE_MAX || len > EXT2D_FILE_MAX - off)
		return -AION_EFBIG;
	if (!len)
		return 0;
	if ((err = ext2d_changing()))
		return err;
	int64_t n = ext2ops_write(ext2d_fs, o->ino, off, data, len);
	if (n > 0 && at_pos)
		o->pos = off + (uint64_t)n;
	return n;
}

static int64_t on_read(struct aion_serve_req *r)
{
	uint8_t data[VFS_IO_MAX];
	int64_t got = read_at(r, data, r->msg.w[1] < VFS_IO_MAX ? r->msg.w[1] : VFS_IO_MAX);
	if (got > 0)
		aion_serve_put(r, data, (unsigned)got);
	return got;
}

static int64_t on_write(struct aion_serve_req *r)
{
	return write_at(r, r->data, r->len);
}

/*
 * The bulk calls' memory object (caps[0]) is the caller's: it may revoke it
 * at any moment, and a mapping of it would go with it under our feet. So
 * its bytes are copied by the kernel (MEMORY_READ, MEMORY_WRITE), and a
 * revoke is an error for this call, never a fault of ext2d.
 */
static uint8_t bulk[VFS_BULK_MAX];

static int64_t bulk_len(struct aion_serve_req *r)
{
	uint64_t n = r->msg.w[1];
	return n == 0 || n > VFS_BULK_MAX ? -AION_EINVAL : (int64_t)n;
}

static int64_t on_read_bulk(struct aion_serve_req *r)
{
	int64_t n = bulk_len(r);
	/* An empty write at its end checks the object's rights and size
	 * before the file's position moves. */
	int64_t err = n < 0 ? n : aion_memory_write(r->caps[0], (uint64_t)n, bulk, 0);
	if (err)
		return err;
	int64_t got = read_at(r, bulk, (uint64_t)n);
	if (got > 0 && (err = aion_memory_write(r->caps[0], 0, bulk, (uint64_t)got)))
		return err;
	return got;
}

static int64_t on_write_bulk(struct aion_serve_req *r)
{
	int64_t n = bulk_len(r);
	int64_t err = n < 0 ? n : aion_memory_read(r->caps[0], 0, bulk, (uint64_t)n);
	return err ? err : write_at(r, bulk, (uint64_t)n);
}

static int64_t on_seek(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r);
	int64_t off = (int64_t)r->msg.w[1], base, to;
	struct ext2ops_stat st;

	switch (r->msg.w[2]) {
	case VFS_SEEK_SET: base = 0; break;
	case VFS_SEEK_CUR: base = (int64_t)o->pos; break;
	case VFS_SEEK_END:
		if (o->dir)
			return -AION_EINVAL;
		if (ext2ops_stat(ext2d_fs, o->ino, &st))
			return -AION_EIO;
		base = (int64_t)st.size;
		break;
	default: return -AION_EINVAL;
	}
	if (__builtin_add_overflow(base, off, &to) || to < 0)
		return -AION_EINVAL;
	o->pos = (uint64_t)to;
	return to;
}

static int64_t on_fstat(struct aion_serve_req *r)
{
	struct ext2ops_stat st;
	struct vfs_stat v;
	int64_t err = ext2ops_stat(ext2d_fs, ext2d_req_open(r)->ino, &st);
	if (err)
		return err;
	to_vfs_stat(&st, &v);
	aion_serve_put(r, &v, sizeof(v));
	return 0;
}

static int64_t on_trunc(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r);
	if (o->dir)
		return -AION_EISDIR;
	if (need(o, VFS_O_WRITE))
		return -AION_EINVAL;    /* as Linux's ftruncate */
	if (r->msg.w[1] > EXT2D_FILE_MAX)
		return -AION_EFBIG;
	int64_t err = ext2d_changing();
	return err ? err : ext2ops_truncate(ext2d_fs, o->ino, r->msg.w[1]);
}

/* fsync and fdatasync: everything back and the device flushed. */
static int64_t on_sync(struct aion_serve_req *r)
{
	(void)r;
	return ext2d_sync();
}

struct dirents {
	uint8_t *out;
	unsigned used, room;
};

static int put_dirent(void *ctx, const char *name, unsigned len, ext2_ino_t ino, unsigned type)
{
	struct dirents *d = ctx;
	unsigned reclen = (unsigned)((sizeof(struct vfs_dirent) + len + 1 + 7) & ~7ul);

	if (d->used + reclen > d->room)
		return 1;
	struct vfs_dirent *e = (struct vfs_dirent *)(d->out + d->used);
	memset(e, 0, reclen);
	e->ino = ino;
	e->reclen = (uint16_t)reclen;
	e->type = (uint8_t)type;
	e->namelen = (uint8_t)len;
	memcpy(e->name, name, len);
	d->used += reclen;
	return 0;
}

static int64_t on_getdents(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r);
	uint8_t out[AION_IPC_PAYLOAD_MAX];
	struct dirents d = { out, 0, r->msg.w[1] < sizeof(out) ? (unsigned)r->msg.w[1]
							       : (unsigned)sizeof(out) };
	uint64_t next = o->pos;

	if (!o->dir)
		return -AION_ENOTDIR;
	int64_t err = ext2ops_readdir(ext2d_fs, o->ino, o->pos, put_dirent, &d, &next);
	if (err)
		return err;
	if (d.used == 0) {
		/* Nothing fitted: the end, or an entry larger than the room. */
		struct dirents probe = { out, 0, sizeof(out) };
		uint64_t after;
		if (ext2ops_readdir(ext2d_fs, o->ino, o->pos, put_dirent, &probe, &after) == 0 &&
		    probe.used)
			return -AION_EINVAL;    /* not even one entry fits: Linux says so */
	}
	o->pos = next;
	r->reply.w[1] = o->pos;         /* the client numbers the entries it got */
	aion_serve_put(r, out, d.used);
	return d.used;
}

static int64_t on_getfl(struct aion_serve_req *r)
{
	return ext2d_req_open(r)->flags;
}

static int64_t on_setfl(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r);
	uint32_t change = VFS_O_APPEND | VFS_O_NONBLOCK;
	o->flags = (o->flags & ~change) | ((uint32_t)r->msg.w[1] & change);
	return 0;
}

static int64_t on_fchmod(struct aion_serve_req *r)
{
	int64_t err = ext2d_changing();
	return err ? err : ext2ops_chmod(ext2d_fs, ext2d_req_open(r)->ino, (uint32_t)r->msg.w[1]);
}

static int64_t on_retain(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r);
	if (o->holders >= VFS_HOLDERS_MAX)
		return -AION_ERANGE;
	return ++o->holders;
}

/* The root record is everyone's (the name service hands it out): it never closes. */
static int64_t on_close(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r);
	if (VFS_BADGE_INDEX(r->msg.badge) < VFS_ROOT_RECORDS)
		return -AION_EPERM;
	if (--o->holders)
		return 0;
	aion_serve_reply(r, 0);         /* then the capability goes */
	ext2d_open_end(o);
	return 0;
}

/* Files are always ready: a check, never an arm (the notification, if
 * one came, is closed unused). */
static int64_t on_arm(struct aion_serve_req *r)
{
	(void)r;
	return VFS_POLL_IN | VFS_POLL_OUT;
}

/* A new record of the same directory with fewer rights (aion/vfs.h). */
static int64_t on_restrict(struct aion_serve_req *r)
{
	struct ext2d_open *o = ext2d_req_open(r), *n;
	if (!o->dir)
		return -AION_ENOTDIR;
	if (r->msg.w[1] & ~(uint64_t)VFS_RIGHTS_ALL)
		return -AION_EINVAL;
	int64_t err = ext2d_open_new(o->ino, true, VFS_O_READ | VFS_O_DIRECTORY, &n);
	if (err)
		return err;
	n->rights = o->rights & (uint32_t)r->msg.w[1];
	aion_serve_give(r, n->cap, VFS_OBJECT_RIGHTS);
	return 0;
}

static int64_t on_statfs(struct aion_serve_req *r)
{
	struct vfs_statfs st;
	ext2d_statfs(&st);
	aion_serve_put(r, &st, sizeof(st));
	return 0;
}

static int64_t on_opens(struct aion_serve_req *r)
{
	(void)r;
	return ext2d_opens_used();
}

#define NONE    AION_SERVE_CAPS_NONE

static const struct aion_serve_op ops[] = {
	{ .label = VFS_OPEN, .fn = on_open, .caps = NONE },
	{ .label = VFS_MKDIR, .fn = on_mkdir, .caps = NONE },
	{ .label = VFS_UNLINK, .fn = on_unlink, .caps = NONE },
	{ .label = VFS_RMDIR, .fn = on_rmdir, .caps = NONE },
	{ .label = VFS_RENAME, .fn = on_rename, .caps = NONE },
	{ .label = VFS_LINK, .fn = on_link, .caps = NONE },
	{ .label = VFS_STAT, .fn = on_stat, .caps = NONE },
	{ .label = VFS_CHMOD, .fn = on_chmod, .caps = NONE },
	{ .label = VFS_READ, .fn = on_read, .caps = NONE },
	{ .label = VFS_WRITE, .fn = on_write, .caps = NONE },
	{ .label = VFS_READ_BULK, .fn = on_read_bulk, .caps = AION_SERVE_CAPS_ONE },
	{ .label = VFS_WRITE_BULK, .fn = on_write_bulk, .caps = AION_SERVE_CAPS_ONE },
	{ .label = VFS_SEEK, .fn = on_seek, .caps = NONE },
	{ .label = VFS_FSTAT, .fn = on_fstat, .caps = NONE },
	{ .label = VFS_TRUNC, .fn = on_trunc, .caps = NONE },
	{ .label = VFS_SYNC, .fn = on_sync, .caps = NONE },
	{ .label = VFS_GETDENTS, .fn = on_getdents, .caps = NONE },
	{ .label = VFS_GETFL, .fn = on_getfl, .caps = NONE },
	{ .label = VFS_SETFL, .fn = on_setfl, .caps = NONE },
	{ .label = VFS_FCHMOD, .fn = on_fchmod, .caps = NONE },
	{ .label = VFS_RETAIN, .fn = on_retain, .caps = NONE },
	{ .label = VFS_CLOSE, .fn = on_close, .caps = NONE },
	{ .label = VFS_ARM, .fn = on_arm, .caps = AION_SERVE_CAPS_ANY },
	{ .label = VFS_OPENS, .fn = on_opens, .caps = NONE },
	{ .label = VFS_RESTRICT, .fn = on_restrict, .caps = NONE },
	{ .label = VFS_STATFS, .fn = on_statfs, .caps = NONE },
};

const struct aion_serve_table ext2d_table = AION_SERVE_TABLE(ops, -AION_ENOSYS);
