/*
 * newc cpio: a 110-byte ASCII header (magic and 13 fields of 8 hex
 * digits), the name (namesize bytes, NUL included) padded to 4, the data
 * (filesize bytes) padded to 4; the entry "TRAILER!!!" ends the archive.
 */
#include "aion/error.h"
#include "common/string.h"
#include "cpio.h"
#include "path.h"

#define HDR_LEN         110
#define F_MODE          1
#define F_FILESIZE      6
#define F_NAMESIZE      11

static size_t pad4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

/* Field i (0 = ino) of a header: -1 when a digit is not hexadecimal. */
static int64_t field(const uint8_t *h, unsigned i)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < 8; k++) {
		uint8_t c = h[6 + i * 8 + k];
		unsigned d = c >= '0' && c <= '9' ? c - '0' + 0u : c >= 'a' && c <= 'f' ?
			     c - 'a' + 10u : c >= 'A' && c <= 'F' ? c - 'A' + 10u : 16;
		if (d == 16)
			return -1;
		v = v << 4 | d;
	}
	return (int64_t)v;
}

/* One entry, at a: a directory or a regular file. */
static int add(struct ramfs *fs, struct rnode *root, const char *name, size_t nlen,
	       uint32_t mode, const uint8_t *data, size_t size, struct cpio_stats *st)
{
	struct vfs_where w;
	struct rnode *n;
	int err = vfs_walk_parent(root, name, nlen, &w);
	if (err)
		return err;
	if (vfs_where_is_dot(&w))
		return 0;               /* "." itself: the root is there already */
	uint32_t type = mode & VFS_S_IFMT;
	if (type != VFS_S_IFDIR && type != VFS_S_IFREG)
		return -AION_EINVAL;
	err = ramfs_create(fs, w.dir, w.name, w.len, mode & (VFS_S_IFMT | VFS_S_PERM), &n);
	if (err)
		return err;
	if (type == VFS_S_IFDIR) {
		st->dirs++;
		return 0;
	}
	st->files++;
	st->bytes += size;
	int64_t wrote = size ? ramfs_write(n, 0, data, size) : 0;
	return wrote < 0 ? (int)wrote : (size_t)wrote == size ? 0 : -AION_ENOMEM;
}

int cpio_unpack(struct ramfs *fs, struct rnode *root, const uint8_t *a, size_t n,
		struct cpio_stats *stats)
{
	size_t at = 0;
	*stats = (struct cpio_stats){ 0 };
	for (;;) {
		if (n - at < HDR_LEN || memcmp(a + at, "070701", 6))
			return -AION_EMALFORMED;
		const uint8_t *h = a + at;
		int64_t mode = field(h, F_MODE), size = field(h, F_FILESIZE);
		int64_t nsize = field(h, F_NAMESIZE);
		if (mode < 0 || size < 0 || nsize < 1)
			return -AION_EMALFORMED;
		size_t name_at = at + HDR_LEN;
		if ((size_t)nsize > n - name_at || h[HDR_LEN + nsize - 1] != 0)
			return -AION_EMALFORMED;
		const char *name = (const char *)a + name_at;
		size_t data_at = pad4(name_at + (size_t)nsize);
		if (data_at > n || (size_t)size > n - data_at)
			return -AION_EMALFORMED;
		if (nsize == 11 && !memcmp(name, "TRAILER!!!", 10))
			return 0;
		int err = add(fs, root, name, (size_t)nsize - 1, (uint32_t)mode, a + data_at,
			      (size_t)size, stats);
		if (err)
			return err;
		at = pad4(data_at + (size_t)size);
		if (at > n)
			return -AION_EMALFORMED;
	}
}
