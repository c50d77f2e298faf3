/*
 * ramfs: directories as arrays of (name, node), files as tables of pages
 * taken from the heap when first written (a hole reads as zeros). No
 * locking: vfsd serves one call at a time.
 */
#include "aion/error.h"
#include "common/string.h"
#include "fsmem.h"
#include "lock.h"
#include "ramfs.h"

static struct rnode *node_new(struct ramfs *fs, uint32_t mode)
{
	struct rnode *n = fs_alloc(sizeof(*n));
	if (!n)
		return NULL;
	n->ino = fs->next_ino++;
	n->mode = mode;
	n->dev = fs->dev;
	n->mtime_ns = n->ctime_ns = fs_now();
	return n;
}

/* From page `from` on: freed, or zeroed in the window (mapped elsewhere). */
static void drop_pages(struct rnode *n, uint64_t from)
{
	uint64_t shared = n->shared ? n->shared->npages : 0;
	for (uint64_t i = from; i < n->pages_cap; i++) {
		if (i < shared) {
			memset(n->pages[i], 0, RAMFS_PAGE);
			continue;
		}
		fs_page_free(n->pages[i]);
		n->pages[i] = NULL;
	}
}

static void node_free(struct rnode *n)
{
	/* Pages a mapping still holds stay with it, bytes and all (the
	 * object's own: a mapping outlives the file's last name and open,
	 * as on Linux); only the others are freed here. */
	drop_pages(n, n->shared ? n->shared->npages : 0);
	if (n->shared) {
		for (uint64_t i = 0; i < n->shared->npages; i++)
			n->pages[i] = NULL;
		fs_window_free(n->shared);
		fs_free(n->shared);
	}
	fs_free(n->pages);
	fs_free(n->ents);
	vfs_lock_drop_all(&n->locks);
	fs_free(n);
}

/* A node no name and no open record holds any more goes. */
static void maybe_free(struct rnode *n)
{
	if (n->nlink == 0 && n->opens == 0)
		node_free(n);
}

int ramfs_init(struct ramfs *fs, unsigned dev)
{
	fs->next_ino = 1;
	fs->dev = dev;
	fs->root = node_new(fs, VFS_S_IFDIR | 0755);
	if (!fs->root)
		return -AION_ENOMEM;
	fs->root->nlink = 2;
	return 0;
}

static void destroy_tree(struct rnode *n)
{
	for (unsigned i = 0; i < n->nents; i++) {
		destroy_tree(n->ents[i].node);
		fs_free(n->ents[i].name);
	}
	node_free(n);
}

void ramfs_destroy(struct ramfs *fs)
{
	destroy_tree(fs->root);
	fs->root = NULL;
}

static int entry_index(const struct rnode *dir, const char *name, size_t len)
{
	for (unsigned i = 0; i < dir->nents; i++)
		if (dir->ents[i].len == len && !memcmp(dir->ents[i].name, name, len))
			return (int)i;
	return -1;
}

struct rnode *ramfs_lookup(const struct rnode *dir, const char *name, size_t len)
{
	int i = entry_index(dir, name, len);
	return i < 0 ? NULL : dir->ents[i].node;
}

/* A table of cap elements holding old's first `used`; old is freed. NULL
 * when memory runs out (old stays). */
static void *table_grow(void *old, size_t elem, uint64_t used, uint64_t cap)
{
	void *t = fs_alloc(cap * elem);
	if (!t)
		return NULL;
	if (used)
		memcpy(t, old, used * elem);
	fs_free(old);
	return t;
}

/* Room for one more entry in dir. */
static int ents_grow(struct rnode *dir)
{
	if (dir->nents < dir->ents_cap)
		return 0;
	unsigned cap = dir->ents_cap ? dir->ents_cap * 2 : 8;
	struct rnode_entry *e = table_grow(dir->ents, sizeof(*e), dir->nents, cap);
	if (!e)
		return -AION_ENOMEM;
	dir->ents = e;
	dir->ents_cap = cap;
	return 0;
}

/* Links node under name (len checked by the caller); the name is copied. */
static int link_entry(struct rnode *dir, const char *name, size_t len, struct rnode *node)
{
	char *copy = fs_alloc(len + 1);
	if (!copy || ents_grow(dir)) {
		fs_free(copy);
		return -AION_ENOMEM;
	}
	memcpy(copy, name, len);
	dir->ents[dir->nents++] = (struct rnode_entry){ copy, (uint8_t)len, node };
	node->nlink++;
	if (rnode_is_dir(node)) {
		node->parent = dir;
		dir->nlink++;
	}
	dir->mtime_ns = dir->ctime_ns = fs_now();
	return 0;
}

/* Takes entry i out of dir; the node stays (the caller decides its fate). */
static struct rnode *unlink_entry(struct rnode *dir, unsigned i)
{
	struct rnode *node = dir->ents[i].node;
	fs_free(dir->ents[i].name);
	dir->ents[i] = dir->ents[--dir->nents];
	node->nlink--;
	if (rnode_is_dir(node)) {
		dir->nlink--;
		node->nlink = 0;        /* its "." goes with its name */
	}
	node->ctime_ns = dir->mtime_ns = dir->ctime_ns = fs_now();
	return node;
}

int ramfs_create(struct ramfs *fs, struct rnode *dir, const char *name, size_t len,
		 uint32_t mode, struct rnode **out)
{
	if (!rnode_is_dir(dir))
		return -AION_ENOTDIR;
	if (len == 0)
		return -AION_ENOENT;
	if (len > VFS_NAME_MAX)
		return -AION_ENAMETOOLONG;
	if (dir->nlink == 0)
		return -AION_ENOENT;    /* removed while open: no new names in it */
	if (entry_index(dir, name, len) >= 0)
		return -AION_EEXIST;
	struct rnode *n = node_new(fs, mode);
	if (!n)
		return -AION_ENOMEM;
	if (rnode_is_dir(n))
		n->nlink = 1;           /* its "."; the name adds one */
	int err = link_entry(dir, name, len, n);
	if (err) {
		node_free(n);
		return err;
	}
	*out = n;
	return 0;
}

int ramfs_anon(struct ramfs *fs, uint32_t mode, struct rnode **out)
{
	struct rnode *n = node_new(fs, mode);
	if (!n)
		return -AION_ENOMEM;
	*out = n;
	return 0;
}

static bool dir_empty(const struct rnode *n)
{
	return n->nents == 0;
}

int ramfs_remove(struct rnode *dir, const char *name, size_t len, bool want_dir)
{
	int i = entry_index(dir, name, len);
	if (i < 0)
		return -AION_ENOENT;
	struct rnode *n = dir->ents[i].node;
	if (rnode_is_dir(n) != want_dir)
		return want_dir ? -AION_ENOTDIR : -AION_EISDIR;
	if (want_dir && (!dir_empty(n) || n->mounted))
		return n->mounted ? -AION_EBUSY : -AION_ENOTEMPTY;
	maybe_free(unlink_entry(dir, (unsigned)i));
	return 0;
}

/* Is a at or below b? */
static bool under(const struct rnode *a, const struct rnode *b)
{
	for (; a; a = a->parent)
		if (a == b)
			return true;
	return false;
}

/* What rename may put in place of an existing target. */
static int can_replace(const struct rnode *src, const struct rnode *dst)
{
	if (rnode_is_dir(src) && !rnode_is_dir(dst))
		return -AION_ENOTDIR;
	if (!rnode_is_dir(src) && rnode_is_dir(dst))
		return -AION_EISDIR;
	if (rnode_is_dir(dst) && !dir_empty(dst))
		return -AION_ENOTEMPTY;
	return 0;
}

/* rename and link: the entry index of the existing name (src its node),
 * once the new name fits and its directory still exists; or -AION_E.... */
static int source_of(struct rnode *odir, const char *oname, size_t olen, struct rnode *ndir,
		     size_t nlen, struct rnode **src)
{
	int oi = entry_index(odir, oname, olen);
	if (oi < 0)
		return -AION_ENOENT;
	if (nlen > VFS_NAME_MAX)
		return -AION_ENAMETOOLONG;
	if (ndir->nlink == 0)
		return -AION_ENOENT;
	*src = odir->ents[oi].node;
	return oi;
}

int ramfs_rename(struct rnode *odir, const char *oname, size_t olen,
		 struct rnode *ndir, const char *nname, size_t nlen)
{
	struct rnode *src;
	int oi = source_of(odir, oname, olen, ndir, nlen, &src);
	if (oi < 0)
		return oi;
	if (rnode_is_dir(src) && under(ndir, src))
		return -AION_EINVAL;    /* a directory into itself */
	int ni = entry_index(ndir, nname, nlen);
	struct rnode *dst = ni < 0 ? NULL : ndir->ents[ni].node;
	if (dst == src)
		return 0;               /* the same file: POSIX says do nothing */
	if (dst) {
		int err = can_replace(src, dst);
		if (err)
			return err;
	}
	/* Make room first, so that nothing has changed when memory runs out. */
	char *copy = fs_alloc(nlen + 1);
	if (!copy || (!dst && ents_grow(ndir))) {
		fs_free(copy);
		return -AION_ENOMEM;
	}
	memcpy(copy, nname, nlen);
	if (dst) {
		fs_free(ndir->ents[ni].name);
		ndir->ents[ni] = (struct rnode_entry){ copy, (uint8_t)nlen, src };
		dst->nlink--;
		if (rnode_is_dir(dst)) {
			ndir->nlink--;
			dst->nlink = 0;
		}
		maybe_free(dst);
	} else {
		ndir->ents[ndir->nents++] = (struct rnode_entry){ copy, (uint8_t)nlen, src };
	}
	/* Out of the old directory (found again: the array may have moved). */
	oi = entry_index(odir, oname, olen);
	fs_free(odir->ents[oi].name);
	odir->ents[oi] = odir->ents[--odir->nents];
	if (rnode_is_dir(src) && odir != ndir) {
		odir->nlink--;
		ndir->nlink++;
		src->parent = ndir;
	}
	src->ctime_ns = odir->mtime_ns = ndir->mtime_ns = fs_now();
	return 0;
}

int ramfs_link(struct rnode *odir, const char *oname, size_t olen,
	       struct rnode *ndir, const char *nname, size_t nlen)
{
	struct rnode *src;
	int oi = source_of(odir, oname, olen, ndir, nlen, &src);
	if (oi < 0)
		return oi;
	if (rnode_is_dir(src))
		return -AION_EPERM;     /* POSIX: directories have one name */
	if (entry_index(ndir, nname, nlen) >= 0)
		return -AION_EEXIST;
	int err = link_entry(ndir, nname, nlen, src);
	if (!err)
		src->ctime_ns = fs_now();
	return err;
}

int64_t ramfs_read(const struct rnode *n, uint64_t off, void *buf, uint64_t len)
{
	if (rnode_is_dir(n))
		return -AION_EISDIR;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	uint8_t *out = buf;
	for (uint64_t done = 0; done < len;) {
		uint64_t at = off + done, page = at / RAMFS_PAGE, in = at % RAMFS_PAGE;
		uint64_t chunk = RAMFS_PAGE - in < len - done ? RAMFS_PAGE - in : len - done;
		if (page < n->pages_cap && n->pages[page])
			memcpy(out + done, n->pages[page] + in, chunk);
		else
			memset(out + done, 0, chunk);
		done += chunk;
	}
	return (int64_t)len;
}

/*
 * Bytes [from, to) past the file's end made part of it again: zero. In
 * the file's own pages they are (cut off by truncate, or never written),
 * but a mapper may have written past the end into the window's pages
 * (POSIX: never written out to the file).
 */
static void clear_window(struct rnode *n, uint64_t from, uint64_t to)
{
	uint64_t end = n->shared ? (uint64_t)n->shared->npages * RAMFS_PAGE : 0;
	if (to > end)
		to = end;
	if (from < to)
		memset(n->shared->base + from, 0, to - from);
}

/* The page table covers `pages` pages. */
static int pages_grow(struct rnode *n, uint64_t pages)
{
	if (pages <= n->pages_cap)
		return 0;
	uint64_t cap = n->pages_cap ? n->pages_cap : 4;
	while (cap < pages)
		cap *= 2;
	uint8_t **t = table_grow(n->pages, sizeof(*t), n->pages_cap, cap);
	if (!t)
		return -AION_ENOMEM;
	n->pages = t;
	n->pages_cap = cap;
	return 0;
}

int64_t ramfs_write(struct rnode *n, uint64_t off, const void *buf, uint64_t len)
{
	if (rnode_is_dir(n))
		return -AION_EISDIR;
	if (off >= VFS_FILE_MAX || len > VFS_FILE_MAX - off)
		return -AION_EFBIG;
	if (len == 0)
		return 0;
	if (pages_grow(n, (off + len + RAMFS_PAGE - 1) / RAMFS_PAGE))
		return -AION_ENOMEM;
	const uint8_t *in = buf;
	uint64_t done = 0;
	while (done < len) {
		uint64_t at = off + done, page = at / RAMFS_PAGE, o = at % RAMFS_PAGE;
		uint64_t chunk = RAMFS_PAGE - o < len - done ? RAMFS_PAGE - o : len - done;
		if (!n->pages[page] && !(n->pages[page] = fs_page_alloc()))
			break;          /* a short write: what fitted stays */
		memcpy(n->pages[page] + o, in + done, chunk);
		done += chunk;
	}
	if (done == 0)
		return -AION_ENOMEM;
	if (off > n->size)
		clear_window(n, n->size, off);
	if (off + done > n->size)
		n->size = off + done;
	n->mtime_ns = n->ctime_ns = fs_now();
	return (int64_t)done;
}

int ramfs_truncate(struct rnode *n, uint64_t size)
{
	if (rnode_is_dir(n))
		return -AION_EISDIR;
	if (size > VFS_FILE_MAX)
		return -AION_EFBIG;
	if (size < n->size) {
		uint64_t keep = (size + RAMFS_PAGE - 1) / RAMFS_PAGE;
		drop_pages(n, keep);
		/* The kept last page's tail reads as zeros if the file grows again. */
		if (size % RAMFS_PAGE && keep - 1 < n->pages_cap && n->pages[keep - 1])
			memset(n->pages[keep - 1] + size % RAMFS_PAGE, 0,
			       RAMFS_PAGE - size % RAMFS_PAGE);
	}
	clear_window(n, n->size, size);
	n->size = size;
	n->mtime_ns = n->ctime_ns = fs_now();
	return 0;
}

int ramfs_share(struct rnode *n, uint64_t want, const struct fs_window **out)
{
	if ((n->mode & VFS_S_IFMT) != VFS_S_IFREG)
		return -AION_ETYPE;
	if (n->shared) {
		*out = n->shared;
		return want <= n->shared->npages ? 0 : -AION_ENOMEM;
	}
	uint64_t np = (n->size + RAMFS_PAGE - 1) / RAMFS_PAGE;
	if (np < want)
		np = want;
	np = (np + RAMFS_SHARE_ROUND - 1) / RAMFS_SHARE_ROUND * RAMFS_SHARE_ROUND;
	if (np > RAMFS_SHARE_MAX)
		np = RAMFS_SHARE_MAX;
	if (want > np || want == 0)
		return want ? -AION_ENOMEM : -AION_EINVAL;
	struct fs_window *w = fs_alloc(sizeof(*w));
	int err = !w ? -AION_ENOMEM : pages_grow(n, np);
	if (!err)
		err = fs_window_new((unsigned)np, w);
	if (err) {
		fs_free(w);
		return err;
	}
	for (uint64_t i = 0; i < np; i++) {
		uint8_t *to = w->base + i * RAMFS_PAGE;
		if (n->pages[i])
			memcpy(to, n->pages[i], RAMFS_PAGE);
		fs_page_free(n->pages[i]);
		n->pages[i] = to;
	}
	n->shared = w;
	*out = w;
	return 0;
}

void ramfs_stat(const struct rnode *n, struct vfs_stat *st)
{
	uint64_t held = 0;
	for (uint64_t i = 0; i < n->pages_cap; i++)
		held += n->pages[i] != NULL;
	*st = (struct vfs_stat){
		.ino = n->ino, .size = rnode_is_dir(n) ? n->nents * 32ull : n->size,
		.blocks = held * (RAMFS_PAGE / 512), .mtime_ns = n->mtime_ns,
		.ctime_ns = n->ctime_ns, .mode = n->mode, .nlink = n->nlink, .dev = n->dev,
	};
}

void ramfs_chmod(struct rnode *n, uint32_t perm)
{
	n->mode = (n->mode & VFS_S_IFMT) | (perm & VFS_S_PERM);
	n->ctime_ns = fs_now();
}

void ramfs_open(struct rnode *n)
{
	n->opens++;
}

void ramfs_close(struct rnode *n)
{
	n->opens--;
	maybe_free(n);
}
