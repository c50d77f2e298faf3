/*
 * Linux's calls on paths, answered over the VFS's path calls on the root
 * directory capability the parent gave (startup record posix_fs) or on a
 * directory fd (the *at forms). The current directory is a string kept
 * here, always absolute and without "." or "..": no symbolic links exist,
 * so resolving those by text is exact. Without a VFS capability every
 * path call fails with EACCES: the unit may reach no file (docs/posix.md).
 */
#define _GNU_SOURCE     /* AT_EMPTY_PATH, O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "posix.h"

void __aion_stat_fill(const struct vfs_stat *v, struct stat *st) POSIX_HIDDEN;
long __aion_fstat(long fd, struct stat *st) POSIX_HIDDEN;

static char cwd[VFS_PATH_MAX + 1] = "/";
static unsigned umask_bits = 022;

/* Appends the path's names to an absolute normalized base (in place). */
static long join(char *base, const char *path)
{
	size_t len = strlen(base);
	while (*path) {
		while (*path == '/')
			path++;
		const char *s = path;
		while (*path && *path != '/')
			path++;
		size_t n = (size_t)(path - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 1 && base[len - 1] != '/')
				len--;
			if (len > 1)
				len--;  /* the slash, unless it is the root's */
			base[len] = '\0';
			continue;
		}
		if (len + 1 + n > VFS_PATH_MAX)
			return -ENAMETOOLONG;
		if (len > 1)
			base[len++] = '/';
		memcpy(base + len, s, n);
		len += n;
		base[len] = '\0';
	}
	return 0;
}

/*
 * Drops rights over the file tree (aion/vfs.h VFS_RESTRICT: rights to
 * keep, VFS_RIGHT_*) for this process and every child it makes from now
 * on: the root becomes a record with fewer rights, which every server a
 * path reaches keeps (on other nodes too). Files and directories already
 * open keep theirs. The old root's handle is closed, not its record: a
 * child may hold a copy (the servers end records no unit holds).
 */
long __aion_fs_restrict(unsigned rights)
{
	if (!__aion_posix_fs)
		return -EACCES;
	struct posix_vfs_call c = { .label = VFS_RESTRICT, .w1 = rights, .accept_cap = 1 };
	long r = __aion_vfs_call(__aion_posix_fs, &c);
	if (r < 0)
		return r;
	if (!c.caps_out[0])
		return -EIO;
	aion_handle_close(__aion_posix_fs);
	__aion_posix_fs = c.caps_out[0];
	return 0;
}

long __aion_path_at(long dirfd, const char *path, aion_handle_t *cap, char *buf)
{
	if (!__aion_posix_fs)
		return -EACCES;
	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	size_t n = strlen(path);
	if (path[0] == '/' || dirfd == AT_FDCWD) {
		*cap = __aion_posix_fs;
		size_t base = path[0] == '/' ? 0 : strlen(cwd);
		if (base + 1 + n > VFS_PATH_MAX)
			return -ENAMETOOLONG;
		if (base) {
			memcpy(buf, cwd, base);
			buf[base++] = '/';
		}
		memcpy(buf + base, path, n + 1);
		return 0;
	}
	struct posix_file *f = __aion_fd_get(dirfd);
	if (!f)
		return -EBADF;
	if (f->kind != POSIX_VFS || f->type != VFS_S_IFDIR)
		return -ENOTDIR;
	if (n > VFS_PATH_MAX)
		return -ENAMETOOLONG;
	*cap = f->cap;
	memcpy(buf, path, n + 1);
	return 0;
}

/* One path call: label, the path (its capability chosen by dirfd), words. */
static long path_call(long dirfd, const char *path, struct posix_vfs_call *c)
{
	char buf[VFS_PATH_MAX + 1];
	aion_handle_t cap;
	long err = __aion_path_at(dirfd, path, &cap, buf);
	if (err)
		return err;
	c->in = buf;
	c->in_len = (unsigned)strlen(buf);
	return __aion_vfs_call(cap, c);
}

/* The absolute path of a directory opened at (dirfd, path), for fchdir. */
static char *dir_path(long dirfd, const char *path)
{
	char *p = malloc(VFS_PATH_MAX + 1);
	struct posix_file *f = __aion_fd_get(dirfd);
	if (!p)
		return NULL;
	strcpy(p, path[0] == '/' ? "/" : dirfd == AT_FDCWD || !f || !f->path ? cwd : f->path);
	if (join(p, path)) {
		free(p);
		return NULL;
	}
	return p;
}

static uint32_t open_flags(long flags)
{
	uint32_t v = (flags & O_ACCMODE) == O_WRONLY ? VFS_O_WRITE :
		     (flags & O_ACCMODE) == O_RDWR ? VFS_O_READ | VFS_O_WRITE : VFS_O_READ;
	static const struct { long linux_flag; uint32_t vfs; } map[] = {
		{ O_CREAT, VFS_O_CREAT }, { O_EXCL, VFS_O_EXCL }, { O_TRUNC, VFS_O_TRUNC },
		{ O_APPEND, VFS_O_APPEND }, { O_DIRECTORY, VFS_O_DIRECTORY },
		{ O_NONBLOCK, VFS_O_NONBLOCK },
	};
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (flags & map[i].linux_flag)
			v |= map[i].vfs;
	return v;
}

static long open_cap(long dirfd, const char *path, long flags, long mode, aion_handle_t *cap,
		     uint32_t *type)
{
	struct posix_vfs_call c = { .label = VFS_OPEN, .w1 = open_flags(flags),
				    .w2 = (uint64_t)mode & ~umask_bits & 07777,
				    .accept_cap = 1 };
	long r = path_call(dirfd, path, &c);
	/* vfsd's table of open records is full (its only ENOSPC for an
	 * open): the system's file table, Linux's ENFILE. */
	if (r == -ENOSPC)
		return -ENFILE;
	if (r < 0)
		return r;
	*cap = c.caps_out[0];
	*type = (uint32_t)c.reply_w1;
	return 0;
}

long __aion_open_cap(long dirfd, const char *path, long flags, aion_handle_t *cap,
		     uint32_t *type)
{
	return open_cap(dirfd, path, flags, 0, cap, type);
}

void __aion_paths_inherit(const char *dir, unsigned mask)
{
	if (dir[0] == '/' && strlen(dir) <= VFS_PATH_MAX)
		strcpy(cwd, dir);
	umask_bits = mask & 0777;
}

unsigned __aion_umask_get(void)
{
	return umask_bits;
}

const char *__aion_cwd_get(void)
{
	return cwd;
}

long __aion_open_at(long dirfd, const char *path, long flags, long mode)
{
	struct posix_file *f = __aion_file_new(POSIX_VFS);
	if (!f)
		return -ENFILE;
	long r = open_cap(dirfd, path, flags, mode, &f->cap, &f->type);
	if (r < 0)
		return r;
	if (f->type == VFS_S_IFDIR)
		f->path = dir_path(dirfd, path);
	long fd = __aion_fd_install(f, 0, !!(flags & O_CLOEXEC));
	if (fd < 0)
		__aion_file_put(f);
	return fd;
}

static long stat_at(long dirfd, const char *path, struct stat *st, long flags)
{
	if ((flags & AT_EMPTY_PATH) && path && !*path)
		return __aion_fstat(dirfd, st);
	struct vfs_stat v;
	struct posix_vfs_call c = { .label = VFS_STAT, .out = &v, .out_max = sizeof(v) };
	long r = path_call(dirfd, path, &c);
	if (r < 0)
		return r;
	if (c.out_len != sizeof(v))
		return -EIO;
	__aion_stat_fill(&v, st);
	return 0;
}

/* Everyone is uid 0 (no users yet): only X_OK looks at the bits, as for root. */
static long access_at(long dirfd, const char *path, long mode)
{
	struct stat st;
	if (mode & ~(long)(R_OK | W_OK | X_OK))
		return -EINVAL;
	long r = stat_at(dirfd, path, &st, 0);
	if (r < 0 || !(mode & X_OK))
		return r;
	return S_ISDIR(st.st_mode) || (st.st_mode & 0111) ? 0 : -EACCES;
}

static long simple_at(long dirfd, const char *path, uint32_t label, uint64_t w2)
{
	struct posix_vfs_call c = { .label = label, .w2 = w2 };
	return path_call(dirfd, path, &c);
}

/* A call on two paths (VFS_RENAME, VFS_LINK), from one directory capability. */
static long two_path_call(uint32_t label, long odir, const char *old, long ndir, const char *new)
{
	char a[VFS_PATH_MAX + 1], b[VFS_PATH_MAX + 1], both[VFS_PATH_MAX];
	aion_handle_t ca, cb;
	long err = __aion_path_at(odir, old, &ca, a);
	if (!err)
		err = __aion_path_at(ndir, new, &cb, b);
	if (err)
		return err;
	if (ca != cb)
		return -EXDEV;          /* one directory capability per call (aion/vfs.h) */
	size_t la = strlen(a), lb = strlen(b);
	if (la + 1 + lb > sizeof(both))
		return -ENAMETOOLONG;
	memcpy(both, a, la + 1);
	memcpy(both + la + 1, b, lb);
	struct posix_vfs_call c = { .label = label, .in = both, .in_len = (unsigned)(la + 1 + lb) };
	return __aion_vfs_call(ca, &c);
}

static long rename_at(long odir, const char *old, long ndir, const char *new, long flags)
{
	if (flags)
		return -EINVAL;         /* RENAME_NOREPLACE, _EXCHANGE: not yet */
	return two_path_call(VFS_RENAME, odir, old, ndir, new);
}

/* No symbolic links: following them or not is the same. */
static long link_at(long odir, const char *old, long ndir, const char *new, long flags)
{
	if (flags & ~(long)AT_SYMLINK_FOLLOW)
		return -EINVAL;
	return two_path_call(VFS_LINK, odir, old, ndir, new);
}

static long truncate_path(const char *path, long len)
{
	if (len < 0)
		return -EINVAL;
	long fd = __aion_open_at(AT_FDCWD, path, O_WRONLY, 0);
	if (fd < 0)
		return fd;
	struct posix_vfs_call c = { .label = VFS_TRUNC, .w1 = (uint64_t)len };
	long r = __aion_vfs_call(__aion_fd_get(fd)->cap, &c);
	__aion_fd_close(fd);
	return r;
}

#define ST_VALID        0x0020          /* Linux's: f_flags is filled in */

/* statfs(2) from a record's VFS_STATFS (aion/vfs.h). */
long __aion_fstatfs_cap(aion_handle_t cap, struct statfs *st)
{
	struct vfs_statfs v;
	struct posix_vfs_call c = { .label = VFS_STATFS, .out = &v, .out_max = sizeof(v) };
	long r = __aion_vfs_call(cap, &c);
	if (r < 0)
		return r;
	if (c.out_len < sizeof(v))
		return -EIO;
	*st = (struct statfs){
		.f_type = v.magic, .f_bsize = v.bsize, .f_frsize = v.bsize,
		.f_blocks = v.blocks, .f_bfree = v.bfree, .f_bavail = v.bavail,
		.f_files = v.files, .f_ffree = v.ffree, .f_namelen = v.namemax,
		.f_flags = ST_VALID | (v.flags & VFS_STATFS_RDONLY ? ST_RDONLY : 0),
	};
	return 0;
}

static long statfs_path(const char *path, struct statfs *st)
{
	long fd = __aion_open_at(AT_FDCWD, path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	long r = __aion_fstatfs_cap(__aion_fd_get(fd)->cap, st);
	__aion_fd_close(fd);
	return r;
}

static long sys_fstatfs(long fd, struct statfs *st)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (!f)
		return -EBADF;
	/* The console has no capability; netd's labels are not the VFS's. */
	return f->cap && f->kind != POSIX_SOCKET ? __aion_fstatfs_cap(f->cap, st) : -ENOSYS;
}

/*
 * mount(2) and umount2(2) of the mount points vfsd knows (/data): detach
 * and attach again (docs/fs.md "Mount table"); the source and type are
 * the server's, so they are not checked. A remount, a bind or a move is
 * not there (EINVAL).
 */
static long sys_mount(const char *target, unsigned long flags)
{
	if (flags & (MS_REMOUNT | MS_BIND | MS_MOVE))
		return -EINVAL;
	return simple_at(AT_FDCWD, target, VFS_MOUNT, 0);
}

/* path from dir, absolute, in out (VFS_PATH_MAX + 1 bytes). */
static long absolute(const char *dir, const char *path, char *out)
{
	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	strcpy(out, path[0] == '/' ? "/" : dir);
	return join(out, path);
}

long __aion_open_cap_in(const char *dir, const char *path, long flags, long mode,
			aion_handle_t *cap, uint32_t *type)
{
	char abs[VFS_PATH_MAX + 1];
	long r = absolute(dir, path, abs);
	return r ? r : open_cap(AT_FDCWD, abs, flags, mode, cap, type);
}

long __aion_chdir_in(char *dir, const char *path)
{
	struct stat st;
	char next[VFS_PATH_MAX + 1];
	long r = absolute(dir, path, next);
	if (!r)
		r = stat_at(AT_FDCWD, next, &st, 0);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	strcpy(dir, next);
	return 0;
}

static long chdir_to(const char *path)
{
	return __aion_chdir_in(cwd, path);
}

static long sys_fchdir(long fd)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (!f)
		return -EBADF;
	if (f->kind != POSIX_VFS || f->type != VFS_S_IFDIR)
		return -ENOTDIR;
	if (!f->path)
		return -ENOMEM;
	strcpy(cwd, f->path);
	return 0;
}

static long sys_getcwd(char *buf, size_t size)
{
	size_t n = strlen(cwd) + 1;
	if (size < n)
		return -ERANGE;
	memcpy(buf, cwd, n);
	return (long)n;
}

static long sys_fchmod(long fd, long mode)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (!f)
		return -EBADF;
	if (f->kind != POSIX_VFS)
		return -EPERM;
	struct posix_vfs_call c = { .label = VFS_FCHMOD, .w1 = (uint64_t)mode & 07777 };
	return __aion_vfs_call(f->cap, &c);
}

long __aion_paths_syscall(long n, long a, long b, long c, long d, long e, int *handled)
{
	const char *pa = (const char *)a, *pb = (const char *)b;
	*handled = 1;
	switch (n) {
	case SYS_open: return __aion_open_at(AT_FDCWD, pa, b, c);
	case SYS_openat: return __aion_open_at(a, pb, c, d);
	case SYS_creat: return __aion_open_at(AT_FDCWD, pa, O_CREAT | O_WRONLY | O_TRUNC, b);
	case SYS_stat: return stat_at(AT_FDCWD, pa, (struct stat *)b, 0);
	case SYS_lstat: return stat_at(AT_FDCWD, pa, (struct stat *)b, AT_SYMLINK_NOFOLLOW);
	case SYS_newfstatat: return stat_at(a, pb, (struct stat *)c, d);
	case SYS_access: return access_at(AT_FDCWD, pa, b);
	case SYS_faccessat: case SYS_faccessat2: return access_at(a, pb, c);
	case SYS_mkdir: return simple_at(AT_FDCWD, pa, VFS_MKDIR, (uint64_t)b & ~umask_bits);
	case SYS_mkdirat: return simple_at(a, pb, VFS_MKDIR, (uint64_t)c & ~umask_bits);
	case SYS_rmdir: return simple_at(AT_FDCWD, pa, VFS_RMDIR, 0);
	case SYS_unlink: return simple_at(AT_FDCWD, pa, VFS_UNLINK, 0);
	case SYS_unlinkat:
		if (c & ~(long)AT_REMOVEDIR)
			return -EINVAL;
		return simple_at(a, pb, c ? VFS_RMDIR : VFS_UNLINK, 0);
	case SYS_rename: return rename_at(AT_FDCWD, pa, AT_FDCWD, pb, 0);
	case SYS_renameat: return rename_at(a, pb, c, (const char *)d, 0);
	case SYS_renameat2: return rename_at(a, pb, c, (const char *)d, e);
	case SYS_link: return link_at(AT_FDCWD, pa, AT_FDCWD, pb, 0);
	case SYS_linkat: return link_at(a, pb, c, (const char *)d, e);
	case SYS_truncate: return truncate_path(pa, b);
	case SYS_statfs: return statfs_path(pa, (struct statfs *)b);
	case SYS_fstatfs: return sys_fstatfs(a, (struct statfs *)b);
	case SYS_mount: return sys_mount(pb, (unsigned long)d);
	case SYS_umount2: return b & ~(long)UMOUNT_NOFOLLOW ? -EINVAL :
				 simple_at(AT_FDCWD, pa, VFS_UMOUNT, 0);
	case SYS_chdir: return chdir_to(pa);
	case SYS_fchdir: return sys_fchdir(a);
	case SYS_getcwd: return sys_getcwd((char *)a, (size_t)b);
	case SYS_umask: {
		long old = umask_bits;
		umask_bits = (unsigned)a & 0777;
		return old;
	}
	case SYS_chmod: return simple_at(AT_FDCWD, pa, VFS_CHMOD, (uint64_t)b);
	case SYS_fchmodat: return simple_at(a, pb, VFS_CHMOD, (uint64_t)c);
	case SYS_fchmod: return sys_fchmod(a, b);
	default:
		*handled = 0;
		return -ENOSYS;
	}
}
