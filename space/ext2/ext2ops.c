/*
 * File operations through lib/ext2fs (ext2ops.h): opening the file
 * system, a file's bytes, its inode's fields, and the sync; the names
 * (directories, links, renames) are ext2names.c's. Each one is a short
 * sequence of library calls; what the library leaves to its caller is
 * done here, as e2fsprogs' own tools do it.
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
	case EXT2_ET_BAD_INODE_NUM:
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

int ext2ops_lookup(ext2_filsys fs, ext2_ino_t at, const char *path, ext2_ino_t *ino)
{
	if (!path || path[0] != '/')
		return -AION_EINVAL;
	/* From at, not the root: namei starts at its cwd on a relative path
	 * ("" is at itself). */
	return ext2ops_error(ext2fs_namei(fs, EXT2_ROOT_INO, at, path + 1, ino));
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

int ext2ops_stat(ext2_filsys fs, ext2_ino_t ino, struct ext2ops_stat *st)
{
	struct ext2_inode inode;
	errcode_t err = ext2fs_read_inode(fs, ino, &inode);

	if (err)
		return ext2ops_error(err);
	st->ino = ino;
	st->size = EXT2_I_SIZE(&inode);
	/* i_blocks counts file system blocks, not 512-byte units, in an
	 * inode flagged huge_file: the library converts. */
	st->blocks = ext2fs_get_stat_i_blocks(fs, &inode);
	st->mtime = inode.i_mtime;
	st->ctime = inode.i_ctime;
	st->mode = inode.i_mode;
	st->nlink = inode.i_links_count;
	st->uid = inode_uid(inode);
	st->gid = inode_gid(inode);
	return 0;
}

int ext2ops_chmod(ext2_filsys fs, ext2_ino_t ino, unsigned mode)
{
	struct ext2_inode inode;
	errcode_t err = ext2fs_read_inode(fs, ino, &inode);

	if (!err) {
		inode.i_mode = (__u16)((inode.i_mode & LINUX_S_IFMT) | (mode & 07777));
		inode.i_ctime = ext2ops_now(fs);
		err = ext2fs_write_inode(fs, ino, &inode);
	}
	return ext2ops_error(err);
}

int ext2ops_truncate(ext2_filsys fs, ext2_ino_t ino, uint64_t size)
{
	struct ext2_inode *inode;
	ext2_file_t f;
	errcode_t cerr, err = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f);
	int r;

	if (err)
		return ext2ops_error(err);
	inode = ext2fs_file_get_inode(f);
	r = LINUX_S_ISDIR(inode->i_mode) ? -AION_EISDIR : 0;
	if (!r) {
		/* ext2fs_file_set_size2 writes the handle's inode, so the
		 * times set here go with it; it zeroes the new last block
		 * past the size and punches the blocks after it (in 1.47.0
		 * that fails, one block lost, when the range ends at the
		 * file system's last block: see free_inode). */
		inode->i_mtime = inode->i_ctime = ext2ops_now(fs);
		r = ext2ops_error(ext2fs_file_set_size2(f, size));
	}
	cerr = ext2fs_file_close(f);
	return r ? r : ext2ops_error(cerr);
}

int ext2ops_sync(ext2_filsys fs)
{
	errcode_t err = 0;

	/* Read-only, nothing of the file system's own is held back. */
	if (fs->flags & EXT2_FLAG_RW)
		err = ext2fs_flush(fs);
	if (!err)
		err = io_channel_flush(fs->io);
	return ext2ops_error(err);
}
