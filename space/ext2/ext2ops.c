/*
 * File operations through lib/ext2fs (ext2ops.h). Each one is a short
 * sequence of library calls; what the library leaves to its caller (a new
 * inode's fields, a full directory block, the extent header of a new
 * file) is done here, as e2fsprogs' own tools do it.
 */
#include <string.h>
#include <time.h>
#include <aion/error.h>

#include "ext2ops.h"

int ext2ops_error(errcode_t err)
{
	switch (err) {
	case 0:
		return 0;
	case ENOMEM:
	case EXT2_ET_NO_MEMORY:
		return -AION_ENOMEM;
	case ENOENT:
	case EXT2_ET_FILE_NOT_FOUND:
		return -AION_ENOENT;
	case ENOTDIR:
	case EXT2_ET_NO_DIRECTORY:
		return -AION_ENOTDIR;
	case EEXIST:
	case EXT2_ET_FILE_EXISTS:
	case EXT2_ET_DIR_EXISTS:
		return -AION_EEXIST;
	case ENOSPC:
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
		return -AION_ENOSPC;
	case EFBIG:
	case EXT2_ET_FILE_TOO_BIG:
		return -AION_EFBIG;
	case EXT2_ET_RO_FILSYS:
	case EXT2_ET_FILE_RO:
		return -AION_EACCES;
	case EINVAL:
	case EXT2_ET_INVALID_ARGUMENT:
		return -AION_EINVAL;
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_CORRUPT_SUPERBLOCK:
	case EXT2_ET_SB_CSUM_INVALID:
	case EXT2_ET_GDESC_BAD_BLOCK_MAP:
	case EXT2_ET_GDESC_BAD_INODE_MAP:
	case EXT2_ET_GDESC_BAD_INODE_TABLE:
	case EXT2_ET_BLOCK_BITMAP_CSUM_INVALID:
	case EXT2_ET_INODE_BITMAP_CSUM_INVALID:
	case EXT2_ET_INODE_CSUM_INVALID:
	case EXT2_ET_DIR_CORRUPTED:
	case EXT2_ET_DIR_CSUM_INVALID:
	case EXT2_ET_EXTENT_HEADER_BAD:
	case EXT2_ET_EXTENT_CSUM_INVALID:
		return -AION_ECORRUPT;
	default:
		/* Short reads and writes, the device's own errors, and any
		 * code not named above: the data could not be moved. */
		return -AION_EIO;
	}
}

int ext2ops_open(const char *name, io_manager io, int rw, ext2_filsys *out)
{
	ext2_filsys fs;
	errcode_t err = ext2fs_open(name, EXT2_FLAG_64BITS | (rw ? EXT2_FLAG_RW : 0),
				   0, 0, io, &fs);

	if (err)
		return ext2ops_error(err);
	err = ext2fs_read_bitmaps(fs);
	if (err) {
		ext2fs_close_free(&fs);
		return ext2ops_error(err);
	}
	*out = fs;
	return 0;
}

int ext2ops_close(ext2_filsys fs)
{
	return ext2ops_error(ext2fs_close_free(&fs));
}

int ext2ops_lookup(ext2_filsys fs, const char *path, ext2_ino_t *ino)
{
	if (!path || path[0] != '/')
		return -AION_EINVAL;
	return ext2ops_error(ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO,
					  path, ino));
}

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

/* A new entry in dir; a full directory gets one more block and the link
 * is tried again (lib/ext2fs does not grow a directory on its own). */
static errcode_t link_grow(ext2_filsys fs, ext2_ino_t dir, const char *name,
			   ext2_ino_t ino)
{
	errcode_t err = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);

	if (err != EXT2_ET_DIR_NO_SPACE)
		return err;
	err = ext2fs_expand_dir(fs, dir);
	return err ? err : ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
}

int ext2ops_create(ext2_filsys fs, const char *path, unsigned mode,
		   ext2_ino_t *out)
{
	char dirpath[1024];
	const char *name;
	ext2_ino_t dir, ino;
	struct ext2_inode inode;
	errcode_t err;
	int r = split(path, dirpath, sizeof(dirpath), &name);

	if (r < 0)
		return r;
	r = ext2ops_lookup(fs, dirpath, &dir);
	if (r < 0)
		return r;
	err = ext2fs_namei(fs, EXT2_ROOT_INO, dir, name, &ino);
	if (!err)
		return -AION_EEXIST;
	if (err != EXT2_ET_FILE_NOT_FOUND)
		return ext2ops_error(err);
	err = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | (mode & 07777), NULL,
			       &ino);
	if (!err)
		err = link_grow(fs, dir, name, ino);
	if (err)
		return ext2ops_error(err);
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = (__u16)(LINUX_S_IFREG | (mode & 07777));
	inode.i_links_count = 1;
	inode.i_atime = inode.i_ctime = inode.i_mtime =
		(__u32)(fs->now ? fs->now : time(NULL));
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

/* Opens ino as a file (for writing when w), seeks to off, runs one read or
 * write, closes (which writes the inode back): the count or an error. */
static int64_t file_io(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		       void *rbuf, const void *wbuf, size_t len)
{
	ext2_file_t f;
	unsigned int done = 0;
	errcode_t err, cerr;

	if (len > 0x7fffffff)
		return -AION_EINVAL;
	err = ext2fs_file_open(fs, ino, wbuf ? EXT2_FILE_WRITE : 0, &f);
	if (err)
		return ext2ops_error(err);
	err = ext2fs_file_llseek(f, off, EXT2_SEEK_SET, NULL);
	if (!err && wbuf)
		err = ext2fs_file_write(f, wbuf, (unsigned int)len, &done);
	else if (!err)
		err = ext2fs_file_read(f, rbuf, (unsigned int)len, &done);
	cerr = ext2fs_file_close(f);
	if (err || cerr)
		return ext2ops_error(err ? err : cerr);
	return done;
}

int64_t ext2ops_read(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		     void *buf, size_t len)
{
	return file_io(fs, ino, off, buf, NULL, len);
}

int64_t ext2ops_write(ext2_filsys fs, ext2_ino_t ino, uint64_t off,
		      const void *buf, size_t len)
{
	return file_io(fs, ino, off, NULL, buf, len);
}
