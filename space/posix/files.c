/*
 * Linux's calls on fds, answered over the VFS's open-object calls
 * (aion/vfs.h): read, write and their vector and positioned forms, lseek,
 * close, dup, fcntl, fstat, getdents64, ftruncate, fsync, fchmod, fchdir.
 * Data moves through the IPC payload, VFS_IO_MAX bytes a call: larger
 * reads and writes loop here and stop early at a short count; those of a
 * regular file go through bulk.c's calls when its server has them.
 */
#define _GNU_SOURCE     /* F_OFD_* */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "aion/tty.h"
#include "aion/vfs.h"
#include "posix.h"

/* musl's struct stat is the kernel's x86_64 layout (arch kstat.h). */
void __aion_stat_fill(const struct vfs_stat *v, struct stat *st) POSIX_HIDDEN;
void __aion_stat_fill(const struct vfs_stat *v, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = v->dev;
	st->st_ino = v->ino;
	st->st_nlink = v->nlink;
	st->st_mode = v->mode;
	st->st_uid = v->uid;
	st->st_gid = v->gid;
	st->st_size = (off_t)v->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)v->blocks;
	st->st_mtim.tv_sec = (time_t)(v->mtime_ns / 1000000000u);
	st->st_mtim.tv_nsec = (long)(v->mtime_ns % 1000000000u);
	st->st_ctim.tv_sec = (time_t)(v->ctime_ns / 1000000000u);
	st->st_ctim.tv_nsec = (long)(v->ctime_ns % 1000000000u);
	st->st_atim = st->st_mtim;      /* no access times kept */
}

static struct posix_file *vfs_file(long fd, long *err)
{
	struct posix_file *f = __aion_fd_get(fd);
	*err = !f ? -EBADF : f->kind != POSIX_VFS ? -ESPIPE : 0;
	return *err ? NULL : f;
}

/* off: VFS_AT_POS for the shared offset. */
static long file_read(struct posix_file *f, char *p, size_t n, uint64_t off)
{
	/* A terminal answers one call (a line, or what raw mode has) and
	 * never waits for more: one call's worth at most. */
	if (f->type == VFS_S_IFCHR && n > VFS_IO_MAX)
		n = VFS_IO_MAX;
	if (n > VFS_IO_MAX) {
		long r = __aion_bulk_io(f, false, p, n, off);
		if (r != -ENOSYS)
			return r;
	}
	return __aion_cap_read(f->cap, p, n, off);
}

long __aion_cap_read(aion_handle_t cap, void *buf, size_t n, uint64_t off)
{
	char *p = buf;
	size_t done = 0;
	while (done < n) {
		size_t chunk = n - done < VFS_IO_MAX ? n - done : VFS_IO_MAX;
		struct posix_vfs_call c = {
			.label = VFS_READ, .w1 = chunk,
			.w2 = off == VFS_AT_POS ? VFS_AT_POS : off + done,
			.out = p + done, .out_max = (unsigned)chunk,
		};
		long r = __aion_vfs_call(cap, &c);
		if (r < 0)
			return done ? (long)done : r;
		done += c.out_len;
		if (c.out_len < chunk)
			break;          /* the end of the file, or a terminal's one answer */
	}
	return (long)done;
}

static long file_write(struct posix_file *f, const char *p, size_t n, uint64_t off)
{
	size_t done = 0;
	if (n > VFS_IO_MAX) {
		long r = __aion_bulk_io(f, true, (char *)p, n, off);
		if (r != -ENOSYS)
			return r;
	}
	while (done < n) {
		size_t chunk = n - done < VFS_IO_MAX ? n - done : VFS_IO_MAX;
		struct posix_vfs_call c = {
			.label = VFS_WRITE, .in = p + done, .in_len = (unsigned)chunk,
			.w2 = off == VFS_AT_POS ? VFS_AT_POS : off + done,
		};
		long r = __aion_vfs_call(f->cap, &c);
		if (r < 0)
			return done ? (long)done : r;
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	return (long)done;
}

/*
 * writev on a pipe: up to PIPE_BUF bytes in all go as one write, which
 * keeps them from interleaving with other writers' (stdio's fflush
 * writes its buffer and the new bytes with one writev). 0: more than
 * that, written one buffer at a time by the caller.
 */
static long pipe_writev(struct posix_file *f, const struct iovec *iov, long cnt)
{
	char all[VFS_PIPE_ATOMIC];
	size_t n = 0;
	for (long i = 0; i < cnt; i++)
		if (iov[i].iov_len > sizeof(all) - n)
			return 0;
		else
			n += iov[i].iov_len;
	n = 0;
	for (long i = 0; i < cnt; i++) {
		memcpy(all + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	return n ? __aion_pipe_write(f, all, n) : 0;
}

/* read/write, readv/writev, pread/pwrite, preadv/pwritev: one loop. */
static long rw(long fd, const struct iovec *iov, long cnt, uint64_t off, int write)
{
	struct posix_file *f = __aion_fd_get(fd);
	long total = 0;

	if (!f)
		return -EBADF;
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	long whole = write && cnt > 1 && __aion_is_pipe(f) ? pipe_writev(f, iov, cnt) : 0;
	if (whole)
		return whole;
	for (long i = 0; i < cnt; i++) {
		long r;
		if (__aion_is_pipe(f))
			r = write ? __aion_pipe_write(f, iov[i].iov_base, iov[i].iov_len)
				  : __aion_pipe_read(f, iov[i].iov_base, iov[i].iov_len);
		else if (f->kind == POSIX_VFS)
			r = write ? file_write(f, iov[i].iov_base, iov[i].iov_len,
					       off == VFS_AT_POS ? off : off + (uint64_t)total)
				  : file_read(f, iov[i].iov_base, iov[i].iov_len,
					      off == VFS_AT_POS ? off : off + (uint64_t)total);
		else if (f->kind == POSIX_SOCKET)
			r = __aion_sock_rw(f, iov[i].iov_base, iov[i].iov_len, write);
		else if (f->kind == POSIX_CONSOLE_IN)
			r = write ? -EBADF : 0;         /* no console input yet: end of file */
		else
			r = write ? __aion_console_write(f->kind, iov[i].iov_base,
							 iov[i].iov_len) : -EBADF;
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return total;
}

static long simple(long fd, uint32_t label, uint64_t w1, uint64_t w2)
{
	long err;
	struct posix_file *f = vfs_file(fd, &err);
	struct posix_vfs_call c = { .label = label, .w1 = w1, .w2 = w2 };
	return f ? __aion_vfs_call(f->cap, &c) : err;
}

long __aion_fstat(long fd, struct stat *st) POSIX_HIDDEN;
long __aion_fstat(long fd, struct stat *st)
{
	struct posix_file *f = __aion_fd_get(fd);
	struct vfs_stat v = { 0 };
	if (!f)
		return -EBADF;
	if (f->kind == POSIX_SOCKET) {
		v.mode = S_IFSOCK | 0777;
		v.nlink = 1;
	} else if (f->kind != POSIX_VFS) {     /* the console: a character device */
		v.mode = S_IFCHR | 0620;
		v.nlink = 1;
	} else {
		struct posix_vfs_call c = { .label = VFS_FSTAT, .out = &v, .out_max = sizeof(v) };
		long r = __aion_vfs_call(f->cap, &c);
		if (r < 0)
			return r;
	}
	__aion_stat_fill(&v, st);
	return 0;
}

/* Linux's dirent64 from the VFS's records; what does not fit is read again. */
static long sys_getdents64(long fd, char *out, size_t size)
{
	long err;
	struct posix_file *f = vfs_file(fd, &err);
	uint8_t in[VFS_IO_MAX];
	size_t used = 0;
	if (!f)
		return err;
	struct posix_vfs_call c = { .label = VFS_GETDENTS, .out = in, .out_max = sizeof(in),
				    .w1 = size < sizeof(in) ? size : sizeof(in) };
	long n = __aion_vfs_call(f->cap, &c);
	if (n <= 0)
		return n;
	unsigned count = 0, at = 0;
	for (at = 0; at < c.out_len; count++) {
		const struct vfs_dirent *d = (const void *)(in + at);
		if (d->reclen < sizeof(*d) || at + d->reclen > c.out_len)
			return -EIO;
		at += d->reclen;
	}
	uint64_t first = c.reply_w1 - count;    /* the entry index of the first record */
	at = 0;
	for (unsigned i = 0; i < count; i++) {
		const struct vfs_dirent *d = (const void *)(in + at);
		size_t reclen = (19 + d->namelen + 1 + 7) & ~(size_t)7;
		if (used + reclen > size) {
			/* Give the rest back: the next call starts at this entry. */
			simple(fd, VFS_SEEK, first + i, VFS_SEEK_SET);
			break;
		}
		char *r = out + used;
		uint64_t ino = d->ino;
		int64_t next = (int64_t)(first + i + 1);
		uint16_t rl = (uint16_t)reclen;
		memset(r, 0, reclen);
		memcpy(r, &ino, 8);
		memcpy(r + 8, &next, 8);
		memcpy(r + 16, &rl, 2);
		r[18] = (char)d->type;
		memcpy(r + 19, d->name, d->namelen);
		used += reclen;
		at += d->reclen;
	}
	return used ? (long)used : -EINVAL;
}

static const struct { long linux_flag; uint32_t vfs; } status_flags[] = {
	{ O_APPEND, VFS_O_APPEND }, { O_NONBLOCK, VFS_O_NONBLOCK },
};

static long getfl(long fd)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (f && f->kind == POSIX_SOCKET)
		return __aion_sock_getfl(f);
	if (f && f->kind != POSIX_VFS)  /* the console: fd 0 reads, 1 and 2 write */
		return f->kind == POSIX_CONSOLE_IN ? O_RDONLY : O_WRONLY;
	long r = simple(fd, VFS_GETFL, 0, 0);
	if (r < 0)
		return r;
	long fl = (r & VFS_O_READ) && (r & VFS_O_WRITE) ? O_RDWR :
		  (r & VFS_O_WRITE) ? O_WRONLY : O_RDONLY;
	for (unsigned i = 0; i < sizeof(status_flags) / sizeof(status_flags[0]); i++)
		if (r & status_flags[i].vfs)
			fl |= status_flags[i].linux_flag;
	return fl | (r & VFS_O_DIRECTORY ? O_DIRECTORY : 0);
}

static long setfl(long fd, long fl)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (f && f->kind == POSIX_SOCKET)
		return __aion_sock_setfl(f, fl);
	if (f && f->kind != POSIX_VFS)
		return 0;               /* the console has no status flags to keep */
	uint32_t v = 0;
	for (unsigned i = 0; i < sizeof(status_flags) / sizeof(status_flags[0]); i++)
		if (fl & status_flags[i].linux_flag)
			v |= status_flags[i].vfs;
	return simple(fd, VFS_SETFL, v, 0);
}

/* F_GETLK/F_SETLK/F_SETLKW (owner: the process) and the OFD forms (the open file). */
static long lock(long fd, int cmd, struct flock *fl)
{
	long err;
	struct posix_file *f = vfs_file(fd, &err);
	if (!f)
		return err == -ESPIPE ? -EINVAL : err;
	int ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	uint64_t how = cmd == F_GETLK || cmd == F_OFD_GETLK ? VFS_LOCK_GET :
		       cmd == F_SETLK || cmd == F_OFD_SETLK ? VFS_LOCK_SET : VFS_LOCK_SETW;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;         /* Linux wants l_pid 0 for OFD locks */
	struct vfs_flock v = {
		.type = fl->l_type == F_RDLCK ? VFS_LOCK_RD : fl->l_type == F_WRLCK ?
			VFS_LOCK_WR : fl->l_type == F_UNLCK ? VFS_LOCK_UN : 99,
		.whence = (uint32_t)fl->l_whence, .start = fl->l_start, .len = fl->l_len,
	};
	struct posix_vfs_call c = { .label = VFS_LOCK, .w1 = how,
				    .w2 = ofd ? 0 : __aion_lock_owner(),
				    .in = &v, .in_len = sizeof(v), .out = &v, .out_max = sizeof(v) };
	long r = __aion_vfs_call(f->cap, &c);
	if (r < 0 || how != VFS_LOCK_GET)
		return r;
	fl->l_type = v.type == VFS_LOCK_RD ? F_RDLCK : v.type == VFS_LOCK_WR ? F_WRLCK : F_UNLCK;
	if (v.type != VFS_LOCK_UN) {
		fl->l_whence = SEEK_SET;
		fl->l_start = v.start;
		fl->l_len = v.len;
		/* No pids yet: -1 says "another owner" (OFD: Linux says -1 too). */
		fl->l_pid = -1;
	}
	return 0;
}

static long sys_fcntl(long fd, long cmd, long arg)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		struct posix_file *f = __aion_fd_get(fd);
		return f ? __aion_fd_install(f, arg, cmd == F_DUPFD_CLOEXEC) : -EBADF;
	}
	case F_GETFD: return __aion_fd_getfd(fd);
	case F_SETFD: return __aion_fd_setfd(fd, arg);
	case F_GETFL: return getfl(fd);
	case F_SETFL: return setfl(fd, arg);
	case F_GETLK: case F_SETLK: case F_SETLKW:
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		return lock(fd, (int)cmd, (struct flock *)arg);
	default: return -EINVAL;
	}
}

long __aion_files_syscall(long n, long a, long b, long c, long d, long e, int *handled)
{
	(void)e;
	struct iovec one = { .iov_base = (void *)b, .iov_len = (size_t)c };
	*handled = 1;
	switch (n) {
	case SYS_read: return rw(a, &one, 1, VFS_AT_POS, 0);
	case SYS_write: return rw(a, &one, 1, VFS_AT_POS, 1);
	case SYS_readv: return rw(a, (const struct iovec *)b, c, VFS_AT_POS, 0);
	case SYS_writev: return rw(a, (const struct iovec *)b, c, VFS_AT_POS, 1);
	case SYS_pread64: case SYS_pwrite64:
	case SYS_preadv: case SYS_pwritev: {
		long off = d;   /* pread64(fd, buf, n, off), preadv(fd, iov, cnt, off) */
		int wr = n == SYS_pwrite64 || n == SYS_pwritev;
		if (off < 0)
			return -EINVAL;
		if (__aion_fd_get(a) && (__aion_fd_get(a)->kind != POSIX_VFS ||
					 __aion_is_pipe(__aion_fd_get(a)) ||
					 __aion_fd_get(a)->type == VFS_S_IFCHR))
			return -ESPIPE;
		return n == SYS_pread64 || n == SYS_pwrite64 ?
		       rw(a, &one, 1, (uint64_t)off, wr) :
		       rw(a, (const struct iovec *)b, c, (uint64_t)off, wr);
	}
	case SYS_lseek:
		if (__aion_fd_get(a) && (__aion_is_pipe(__aion_fd_get(a)) ||
					 __aion_fd_get(a)->type == VFS_S_IFCHR))
			return -ESPIPE;         /* a pipe or a terminal has no offset */
		return simple(a, VFS_SEEK, (uint64_t)b, (uint64_t)c);
	case SYS_pipe: return __aion_pipe2((int *)a, 0);
	case SYS_pipe2: return __aion_pipe2((int *)a, b);
	case SYS_ioctl: return __aion_ioctl(a, (unsigned long)b, c);
	case SYS_close: return __aion_fd_close(a);
	case SYS_dup: {
		struct posix_file *f = __aion_fd_get(a);
		return f ? __aion_fd_install(f, 0, 0) : -EBADF;
	}
	case SYS_dup2: return __aion_fd_get(a) ? __aion_fd_dup3(a, b, 0) : -EBADF;
	case SYS_dup3: return a == b ? -EINVAL : __aion_fd_dup3(a, b, (int)c);
	case SYS_fcntl: return sys_fcntl(a, b, c);
	case SYS_fstat: return __aion_fstat(a, (struct stat *)b);
	case SYS_getdents64: return sys_getdents64(a, (char *)b, (size_t)c);
	case SYS_ftruncate: return b < 0 ? -EINVAL : simple(a, VFS_TRUNC, (uint64_t)b, 0);
	case SYS_fsync: case SYS_fdatasync: case SYS_syncfs: return simple(a, VFS_SYNC, 0, 0);
	case SYS_sync:
		/* The root's sync is every file system's (vfsd asks its remote
		 * mounts: docs/fs.md "Remote mounts"). sync(2) cannot fail. */
		if (__aion_posix_fs) {
			struct posix_vfs_call c = { .label = VFS_SYNC };
			__aion_vfs_call(__aion_posix_fs, &c);
		}
		return 0;
	default:
		return __aion_poll_syscall(n, a, b, c, d, e, handled);
	}
}
