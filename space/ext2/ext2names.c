/*
 * Names through lib/ext2fs (ext2ops.h): creating files and directories,
 * links, unlinking and freeing, rename and directory listing. What the
 * library leaves to its caller (a new inode's fields, a full directory
 * block, the extent header of a new file, ".." of a moved directory, the
 * link counts) is done here, as e2fsprogs' own tools (debugfs, mke2fs -d)
 * do it.
 */
#include <string.h>
#include <time.h>
#include <aion/error.h>

#include "ext2ops.h"
/* The directory part of path ("/" for a name in the root) into dir, and
 * where the last name starts. */
static int split(const char *path, char *dir, size_t cap, const char **name)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash || path[0] != '/')
		return -AION_EINVAL;
	*name = slash + 1;
	if (!**name)
		return -AION_EINVAL;
	if (strlen(*name) > EXT2_NAME_LEN)
		return -AION_ENAMETOOLONG;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -AION_ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/* A new entry in dir of type ft (EXT2_FT_*); a full directory gets one
 * more block and the link is tried again (lib/ext2fs does not grow a
 * directory on its own). */
static errcode_t link_grow(ext2_filsys fs, ext2_ino_t dir, const char *name,
			   ext2_ino_t ino, int ft)
{
	errcode_t err = ext2fs_link(fs, dir, name, ino, ft);

	if (err != EXT2_ET_DIR_NO_SPACE)
		return err;
	err = ext2fs_expand_dir(fs, dir);
	return err ? err : ext2fs_link(fs, dir, name, ino, ft);
}

/* A directory's own "." or "..": never removed, renamed or renamed over. */
static int is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Splits path (its directory's path into buf) and looks up the directory,
 * *dir, and the last name in it, *ino (0: no such name). */
static int walk(ext2_filsys fs, ext2_ino_t at, const char *path, char *buf, size_t cap,
		ext2_ino_t *dir, const char **name, ext2_ino_t *ino)
{
	errcode_t err;
	int r = split(path, buf, cap, name);

	if (r == 0)
		r = ext2ops_lookup(fs, at, buf, dir);
	if (r < 0)
		return r;
	err = ext2fs_lookup(fs, *dir, *name, (int)strlen(*name), NULL, ino);
	if (err == EXT2_ET_FILE_NOT_FOUND) {
		*ino = 0;
		return 0;
	}
	return ext2ops_error(err);
}

/* An inode's type (i_mode >> 12) as a directory entry's EXT2_FT_*, and
 * back: what readdir reports. */
static const unsigned char ft_of_type[16] = {
	[LINUX_S_IFREG >> 12] = EXT2_FT_REG_FILE,
	[LINUX_S_IFDIR >> 12] = EXT2_FT_DIR,
	[LINUX_S_IFCHR >> 12] = EXT2_FT_CHRDEV,
	[LINUX_S_IFBLK >> 12] = EXT2_FT_BLKDEV,
	[LINUX_S_IFIFO >> 12] = EXT2_FT_FIFO,
	[LINUX_S_IFSOCK >> 12] = EXT2_FT_SOCK,
	[LINUX_S_IFLNK >> 12] = EXT2_FT_SYMLINK,
};

static const unsigned char type_of_ft[EXT2_FT_MAX] = {
	[EXT2_FT_REG_FILE] = LINUX_S_IFREG >> 12,
	[EXT2_FT_DIR] = LINUX_S_IFDIR >> 12,
	[EXT2_FT_CHRDEV] = LINUX_S_IFCHR >> 12,
	[EXT2_FT_BLKDEV] = LINUX_S_IFBLK >> 12,
	[EXT2_FT_FIFO] = LINUX_S_IFIFO >> 12,
	[EXT2_FT_SOCK] = LINUX_S_IFSOCK >> 12,
	[EXT2_FT_SYMLINK] = LINUX_S_IFLNK >> 12,
};

int ext2ops_create(ext2_filsys fs, ext2_ino_t at, const char *path, unsigned mode,
		   ext2_ino_t *out)
{
	char dirpath[1024];
	const char *name;
	ext2_ino_t dir, ino;
	struct ext2_inode inode;
	errcode_t err;
	int r = walk(fs, at, path, dirpath, sizeof(dirpath), &dir, &name, &ino);

	if (r < 0)
		return r;
	if (ino)
		return -AION_EEXIST;
	err = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | (mode & 07777), NULL,
			       &ino);
	if (!err)
		err = link_grow(fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (err)
		return ext2ops_error(err);
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = (__u16)(LINUX_S_IFREG | (mode & 07777));
	inode.i_links_count = 1;
	inode.i_atime = inode.i_ctime = inode.i_mtime = ext2ops_now(fs);
	if (ext2fs_has_feature_extents(fs->super)) {
		/* Opening the extent tree of an inode without one writes
		 * an empty root into i_block and sets EXT4_EXTENTS_FL. */
		ext2_extent_handle_t h;

		err = ext2fs_extent_open2(fs, ino, &inode, &h);
		if (err)
			return ext2ops_error(err);
		ext2fs_extent_free(h);
	}
	err = ext2fs_write_new_inode(fs, ino, &inode);
	if (err)
		return ext2ops_error(err);
	*out = ino;
	return 0;
}

/* Adds delta (-1, 0, +1) to ino's link count and stamps its ctime; *count
 * (when asked): the new count. No count goes below 0, and a directory's 1
 * stays (dir_nlink: more links than the field holds), as in debugfs's
 * rmdir. */
static errcode_t nlink_add(ext2_filsys fs, ext2_ino_t ino, int delta,
			   unsigned *count)
{
	struct ext2_inode inode;
	errcode_t err = ext2fs_read_inode(fs, ino, &inode);

	if (err)
		return err;
	if (!(LINUX_S_ISDIR(inode.i_mode) && inode.i_links_count == 1) &&
	    !(delta < 0 && inode.i_links_count == 0))
		inode.i_links_count = (__u16)(inode.i_links_count + delta);
	inode.i_ctime = ext2ops_now(fs);
	if (count)
		*count = inode.i_links_count;
	return ext2fs_write_inode(fs, ino, &inode);
}

/* Frees one block of a file being deleted; a bigalloc cluster once. */
static int free_block_proc(ext2_filsys fs, blk64_t *blocknr,
			   e2_blkcnt_t blockcnt EXT2FS_ATTR((unused)),
			   blk64_t ref_block EXT2FS_ATTR((unused)),
			   int ref_offset EXT2FS_ATTR((unused)), void *last)
{
	blk64_t cluster = EXT2FS_B2C(fs, *blocknr);

	if (cluster != *(blk64_t *)last) {
		*(blk64_t *)last = cluster;
		ext2fs_block_alloc_stats2(fs, *blocknr, -1);
	}
	return 0;
}

/* Frees ino, whose last name is gone: its extended attribute block, its
 * blocks, then the inode, with the dtime e2fsck expects of a deleted one.
 * The blocks go as debugfs's kill_file frees them: every block the map
 * names (data, indirect and extent tree blocks) marked free, the map left
 * as it is in the freed inode. Not ext2fs_punch: in 1.47.0 it refuses a
 * range that ends at the file system's last block, after it has already
 * unmapped it (fixed upstream by 509da989). */
static errcode_t free_inode(ext2_filsys fs, ext2_ino_t ino,
			    struct ext2_inode_large *inode)
{
	struct ext2_inode *small = (struct ext2_inode *)inode;
	errcode_t err = ext2fs_free_ext_attr(fs, ino, inode);
	blk64_t last = 0;

	if (!err && ext2fs_inode_has_valid_blocks2(fs, small))
		err = ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY, NULL,
					    free_block_proc, &last);
	if (err)
		return err;
	inode->i_links_count = 0;
	inode->i_dtime = ext2ops_now(fs);
	err = ext2fs_write_inode_full(fs, ino, small, sizeof(*inode));
	if (!err)
		ext2fs_inode_alloc_stats2(fs, ino, -1, LINUX_S_ISDIR(inode->i_mode));
	return err;
}

static errcode_t read_large(ext2_filsys fs, ext2_ino_t ino,
			    struct ext2_inode_large *inode)
{
	/* An on-disk inode smaller than the buffer leaves the rest as is. */
	memset(inode, 0, sizeof(*inode));
	return ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)inode,
				      sizeof(*inode));
}

int ext2ops_release(ext2_filsys fs, ext2_ino_t ino)
{
	struct ext2_inode_large inode;
	errcode_t err;

	if (!(fs->flags & EXT2_FLAG_RW))
		return -AION_EACCES;
	if (ino < EXT2_FIRST_INO(fs->super) || ino > fs->super->s_inodes_count)
		return -AION_EINVAL;
	/* A second release would count the inode and its blocks free twice. */
	if (!ext2fs_test_inode_bitmap2(fs->inode_map, ino))
		return -AION_EDOUBLE;
	err = read_large(fs, ino, &inode);
	if (err)
		return ext2ops_error(err);
	if (inode.i_links_count)
		return -AION_EBUSY;
	return ext2ops_error(free_inode(fs, ino, &inode));
}

int ext2ops_unlink(ext2_filsys fs, ext2_ino_t at, const char *path, ext2_ino_t *out, int *gone)
{
	char dirpath[1024];
	const char *name;
	struct ext2_inode inode;
	ext2_ino_t dir, ino;
	unsigned count = 0;
	errcode_t err;
	int r = walk(fs, at, path, dirpath, sizeof(dirpath), &dir, &name, &ino);

	if (r < 0)
		return r;
	if (!ino)
		return -AION_ENOENT;
	err = ext2fs_read_inode(fs, ino, &inode);
	if (err)
		return ext2ops_error(err);
	if (LINUX_S_ISDIR(inode.i_mode))
		return -AION_EISDIR;
	/* The name first: a count above the names only leaks the inode. */
	err = ext2fs_unlink(fs, dir, name, ino, 0);
	if (!err)
		err = nlink_add(fs, ino, -1, &count);
	if (err)
		return ext2ops_error(err);
	*out = ino;
	*gone = count == 0;
	return 0;
}

int ext2ops_link(ext2_filsys fs, ext2_ino_t at, const char *from, const char *to)
{
	char dirpath[1024];
	const char *name;
	struct ext2_inode inode;
	ext2_ino_t src, dir, dst;
	errcode_t err;
	int r = ext2ops_lookup(fs, at, from, &src);

	if (r == 0)
		r = walk(fs, at, to, dirpath, sizeof(dirpath), &dir, &name, &dst);
	if (r < 0)
		return r;
	if (dst)
		return -AION_EEXIST;
	err = ext2fs_read_inode(fs, src, &inode);
	if (err)
		return ext2ops_error(err);
	if (LINUX_S_ISDIR(inode.i_mode))
		return -AION_EPERM;
	if (inode.i_links_count >= EXT2_LINK_MAX)
		return -AION_ERANGE;
	/* The count first, so that no name ever outnumbers it; undone when
	 * the name cannot be added. */
	err = nlink_add(fs, src, +1, NULL);
	if (!err) {
		err = link_grow(fs, dir, name, src, ft_of_type[inode.i_mode >> 12]);
		if (err)
			nlink_add(fs, src, -1, NULL);
	}
	return ext2ops_error(err);
}

/* Stops at the first name other than "." and "..". */
static int other_proc(ext2_ino_t dir EXT2FS_ATTR((unused)),
		      int entry EXT2FS_ATTR((unused)),
		      struct ext2_dir_entry *d,
		      int offset EXT2FS_ATTR((unused)),
		      int blocksize EXT2FS_ATTR((unused)),
		      char *buf EXT2FS_ATTR((unused)), void *other)
{
	int len = ext2fs_dirent_name_len(d);

	if (d->name[0] == '.' && (len == 1 || (len == 2 && d->name[1] == '.')))
		return 0;
	*(int *)other = 1;
	return DIRENT_ABORT;
}

/* 0 when dir holds only "." and "..", else -AION_ENOTEMPTY. */
static int empty_dir(ext2_filsys fs, ext2_ino_t dir)
{
	int other = 0;
	errcode_t err = ext2fs_dir_iterate2(fs, dir, 0, NULL, other_proc, &other);

	if (err)
		return ext2ops_error(err);
	return other ? -AION_ENOTEMPTY : 0;
}

/* Frees the empty directory ino whose name in parent is already gone;
 * its ".." no longer counts as a link of parent. */
static errcode_t drop_dir(ext2_filsys fs, ext2_ino_t parent, ext2_ino_t ino)
{
	struct ext2_inode_large inode;
	errcode_t err = read_large(fs, ino, &inode);

	if (!err)
		err = free_inode(fs, ino, &inode);
	return err ? err : nlink_add(fs, parent, -1, NULL);
}

int ext2ops_mkdir(ext2_filsys fs, ext2_ino_t at, const char *path, unsigned mode)
{
	char dirpath[1024];
	const char *name;
	struct ext2_inode inode;
	ext2_ino_t dir, ino;
	errcode_t err;
	int r = walk(fs, at, path, dirpath, sizeof(dirpath), &dir, &name, &ino);

	if (r < 0)
		return r;
	if (ino)
		return -AION_EEXIST;
	/* Given a name, ext2fs_mkdir fails on a full parent after it wrote
	 * the new inode, which stays on disk with its links (e2fsck counts
	 * it in use) unless a retry reuses it. Without one it makes the
	 * directory (".", "..", the parent's count) and the name is added
	 * here, the parent grown when full; failing that, the new directory
	 * is freed again. */
	err = ext2fs_new_inode(fs, dir, LINUX_S_IFDIR | 0755, NULL, &ino);
	if (!err)
		err = ext2fs_mkdir(fs, dir, ino, NULL);
	if (err)
		return ext2ops_error(err);
	err = ext2fs_read_inode(fs, ino, &inode);
	if (!err) {
		/* ext2fs_mkdir's mode is 0777 less fs->umask. */
		inode.i_mode = (__u16)(LINUX_S_IFDIR | (mode & 07777));
		err = ext2fs_write_inode(fs, ino, &inode);
	}
	if (!err)
		err = link_grow(fs, dir, name, ino, EXT2_FT_DIR);
	if (err)
		drop_dir(fs, dir, ino);
	return ext2ops_error(err);
}

int ext2ops_rmdir(ext2_filsys fs, ext2_ino_t at, const char *path)
{
	char dirpath[1024];
	const char *name;
	struct ext2_inode inode;
	ext2_ino_t dir, ino;
	errcode_t err;
	int r;

	if (!strcmp(path, "/"))
		return -AION_EBUSY;
	r = walk(fs, at, path, dirpath, sizeof(dirpath), &dir, &name, &ino);
	if (r < 0)
		return r;
	if (is_dot(name))
		return -AION_EINVAL;
	if (!ino)
		return -AION_ENOENT;
	err = ext2fs_read_inode(fs, ino, &inode);
	if (err)
		return ext2ops_error(err);
	if (!LINUX_S_ISDIR(inode.i_mode))
		return -AION_ENOTDIR;
	r = empty_dir(fs, ino);
	if (r < 0)
		return r;
	err = ext2fs_unlink(fs, dir, name, ino, 0);
	if (!err)
		err = drop_dir(fs, dir, ino);
	return ext2ops_error(err);
}

struct retarget {
	const char *name;
	int len, ft, done;
	ext2_ino_t ino;
};

static int retarget_proc(ext2_ino_t dir EXT2FS_ATTR((unused)),
			 int entry EXT2FS_ATTR((unused)),
			 struct ext2_dir_entry *d,
			 int offset EXT2FS_ATTR((unused)),
			 int blocksize EXT2FS_ATTR((unused)),
			 char *buf EXT2FS_ATTR((unused)), void *priv)
{
	struct retarget *t = priv;

	if (ext2fs_dirent_name_len(d) != t->len || memcmp(d->name, t->name, t->len))
		return 0;
	d->inode = t->ino;
	ext2fs_dirent_set_file_type(d, t->ft);
	t->done = 1;
	return DIRENT_CHANGED | DIRENT_ABORT;
}

/* Points dir's existing entry name at ino, of type ft, rewriting it in
 * place (dir_iterate writes the block back with its checksum): a name
 * renamed over, or a moved directory's "..", is never missing. */
static errcode_t retarget(ext2_filsys fs, ext2_ino_t dir, const char *name,
			  ext2_ino_t ino, int ft)
{
	/* Without the filetype feature the type's byte is the name
	 * length's high byte: 0. */
	struct retarget t = {
		name, (int)strlen(name),
		ext2fs_has_feature_filetype(fs->super) ? ft : 0, 0, ino
	};
	errcode_t err = ext2fs_dir_iterate2(fs, dir, 0, NULL, retarget_proc, &t);

	return err ? err : t.done ? 0 : EXT2_ET_FILE_NOT_FOUND;
}

/* -AION_EINVAL when dir is the directory ino or lies below it: dir's ".."
 * chain up to the root. */
static int below(ext2_filsys fs, ext2_ino_t ino, ext2_ino_t dir)
{
	for (unsigned depth = 0; dir != EXT2_ROOT_INO; depth++) {
		errcode_t err;

		if (dir == ino)
			return -AION_EINVAL;
		if (depth == 65536)
			return -AION_ECORRUPT;  /* a ".." loop */
		err = ext2fs_lookup(fs, dir, "..", 2, NULL, &dir);
		if (err)
			return ext2ops_error(err);
	}
	return 0;
}

/* rename's refusals, before anything changes: src (its inode read into
 * *inode) against the name it would replace, dst (0: none), and a
 * directory moved below itself. */
static int rename_check(ext2_filsys fs, ext2_ino_t src, ext2_ino_t tdir,
			ext2_ino_t dst, struct ext2_inode *inode)
{
	struct ext2_inode old;
	errcode_t err = ext2fs_read_inode(fs, src, inode);
	int isdir, r;

	if (!err && dst)
		err = ext2fs_read_inode(fs, dst, &old);
	if (err)
		return ext2ops_error(err);
	isdir = LINUX_S_ISDIR(inode->i_mode);
	if (dst && LINUX_S_ISDIR(old.i_mode) != isdir)
		return isdir ? -AION_ENOTDIR : -AION_EISDIR;
	if (dst && isdir) {
		r = empty_dir(fs, dst);
		if (r < 0)
			return r;
	}
	return isdir ? below(fs, src, tdir) : 0;
}

/* dst has lost its name in dir to a rename: a directory is freed with
 * it, a file loses a link (*gone: dst when that was the last). */
static errcode_t drop_replaced(ext2_filsys fs, ext2_ino_t dir, ext2_ino_t dst,
			       int isdir, ext2_ino_t *gone)
{
	unsigned count;
	errcode_t err;

	if (isdir)
		return drop_dir(fs, dir, dst);
	err = nlink_add(fs, dst, -1, &count);
	if (!err && count == 0)
		*gone = dst;
	return err;
}

int ext2ops_rename(ext2_filsys fs, ext2_ino_t at, const char *from, const char *to,
		   ext2_ino_t *gone_ino)
{
	char fpath[1024], tpath[1024];
	const char *fname, *tname;
	struct ext2_inode inode;
	ext2_ino_t fdir, tdir, src, dst;
	errcode_t err;
	int isdir, ft, r;

	*gone_ino = 0;
	if (!(fs->flags & EXT2_FLAG_RW))
		return -AION_EACCES;
	r = walk(fs, at, from, fpath, sizeof(fpath), &fdir, &fname, &src);
	if (r == 0)
		r = walk(fs, at, to, tpath, sizeof(tpath), &tdir, &tname, &dst);
	if (r < 0)
		return r;
	if (is_dot(fname) || is_dot(tname))
		return -AION_EINVAL;
	if (!src)
		return -AION_ENOENT;
	if (src == dst)
		return 0;       /* two names of one file: nothing to do */
	r = rename_check(fs, src, tdir, dst, &inode);
	if (r < 0)
		return r;
	isdir = LINUX_S_ISDIR(inode.i_mode);
	ft = ft_of_type[inode.i_mode >> 12];
	/* The new name before the old one goes, so src always has one. */
	err = dst ? retarget(fs, tdir, tname, src, ft)
		  : link_grow(fs, tdir, tname, src, ft);
	if (!err)
		err = ext2fs_unlink(fs, fdir, fname, src, 0);
	if (!err)
		err = nlink_add(fs, src, 0, NULL);     /* its ctime */
	if (!err && isdir && fdir != tdir) {
		/* Its ".." moves a link from the old parent to the new. */
		err = retarget(fs, src, "..", tdir, EXT2_FT_DIR);
		if (!err)
			err = nlink_add(fs, fdir, -1, NULL);
		if (!err)
			err = nlink_add(fs, tdir, +1, NULL);
	}
	if (!err && dst)
		err = drop_replaced(fs, tdir, dst, isdir, gone_ino);
	return ext2ops_error(err);
}

struct readdir_ctx {
	ext2_filsys fs;
	ext2ops_dirent_fn fn;
	void *ctx;
	uint64_t index, pos, *next;
	errcode_t err;
};

static int readdir_proc(ext2_ino_t dir EXT2FS_ATTR((unused)),
			int entry EXT2FS_ATTR((unused)),
			struct ext2_dir_entry *d,
			int offset EXT2FS_ATTR((unused)),
			int blocksize EXT2FS_ATTR((unused)),
			char *buf EXT2FS_ATTR((unused)), void *priv)
{
	struct readdir_ctx *c = priv;
	struct ext2_inode inode;
	int ft = ext2fs_dirent_file_type(d);
	unsigned type;

	if (c->index < c->pos) {
		c->index++;
		return 0;
	}
	if (ft > EXT2_FT_UNKNOWN && ft < EXT2_FT_MAX) {
		type = type_of_ft[ft];
	} else {
		/* No type in the entry (no filetype feature): the inode's. */
		c->err = ext2fs_read_inode(c->fs, d->inode, &inode);
		if (c->err)
			return DIRENT_ABORT;
		type = (unsigned)inode.i_mode >> 12;
	}
	if (c->fn(c->ctx, d->name, (unsigned)ext2fs_dirent_name_len(d),
		  d->inode, type))
		return DIRENT_ABORT;
	*c->next = ++c->index;
	return 0;
}

int ext2ops_readdir(ext2_filsys fs, ext2_ino_t dir, uint64_t pos,
		    ext2ops_dirent_fn fn, void *ctx, uint64_t *next)
{
	/* Without DIRENT_FLAG_INCLUDE_EMPTY the iteration skips unused
	 * entries (inode 0: removed names, the checksum tail, htree
	 * nodes), so an index counts live names only. */
	struct readdir_ctx c = { fs, fn, ctx, 0, pos, next, 0 };
	errcode_t err;

	*next = pos;
	err = ext2fs_dir_iterate2(fs, dir, 0, NULL, readdir_proc, &c);
	return ext2ops_error(err ? err : c.err);
}
