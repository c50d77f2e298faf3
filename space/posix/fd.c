/*
 * The fd table: fds name open file descriptions (struct posix_file),
 * which dup'd fds share, as POSIX wants: one offset and one set of status
 * flags (the VFS keeps both in its open record, so sharing the capability
 * shares them). FD_CLOEXEC is the fd's own. fds 0, 1 and 2 start as the
 * console, or as the terminal the parent gave (startup record's
 * posix_tty); closing the last fd of a VFS file closes its record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "posix.h"

#define FILES_MAX       POSIX_FD_MAX

static struct posix_file files[FILES_MAX] = {
	{ .kind = POSIX_CONSOLE_IN, .refs = 1 },
	{ .kind = POSIX_CONSOLE_OUT, .refs = 1 },
	{ .kind = POSIX_CONSOLE_ERR, .refs = 1 },
};

static struct {
	struct posix_file *file;
	int cloexec;
} fds[POSIX_FD_MAX] = {
	{ &files[0], 0 }, { &files[1], 0 }, { &files[2], 0 },
};

struct posix_file *__aion_fd_get(long fd)
{
	return fd < 0 || fd >= POSIX_FD_MAX ? NULL : fds[fd].file;
}

struct posix_file *__aion_file_slot(unsigned i)
{
	return i < FILES_MAX ? &files[i] : NULL;
}

struct posix_file *__aion_file_new(enum posix_kind kind)
{
	for (unsigned i = 0; i < FILES_MAX; i++)
		if (!files[i].refs) {
			files[i] = (struct posix_file){ .kind = kind, .refs = 0 };
			return &files[i];
		}
	return NULL;
}

void __aion_file_put(struct posix_file *f)
{
	if (f->refs && --f->refs)
		return;
	if (f->kind == POSIX_VFS && f->cap) {
		/* The record ends, and with it this process's POSIX locks on the file. */
		struct posix_vfs_call c = { .label = VFS_CLOSE, .w2 = __aion_lock_owner() };
		__aion_vfs_call(f->cap, &c);
		aion_handle_close(f->cap);
	}
	if (f->kind == POSIX_SOCKET)
		__aion_sock_close(f);   /* netd's socket ends with its last fd */
	free(f->path);
	*f = (struct posix_file){ 0 };
}

long __aion_fd_install(struct posix_file *f, long min, int cloexec)
{
	if (min < 0 || min >= POSIX_FD_MAX)
		return -EINVAL;
	for (long fd = min; fd < POSIX_FD_MAX; fd++)
		if (!fds[fd].file) {
			fds[fd].file = f;
			fds[fd].cloexec = cloexec;
			f->refs++;
			return fd;
		}
	return -EMFILE;
}

long __aion_fd_close(long fd)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (!f)
		return -EBADF;
	fds[fd].file = NULL;
	__aion_file_put(f);
	return 0;
}

long __aion_fd_dup3(long old, long new, int flags)
{
	struct posix_file *f = __aion_fd_get(old);
	if (!f || new < 0 || new >= POSIX_FD_MAX)
		return -EBADF;
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (old == new)
		return new;
	f->refs++;              /* kept while new's old file closes */
	if (fds[new].file)
		__aion_fd_close(new);
	fds[new].file = f;
	fds[new].cloexec = !!(flags & O_CLOEXEC);
	return new;
}

long __aion_fd_getfd(long fd)
{
	return __aion_fd_get(fd) ? (fds[fd].cloexec ? FD_CLOEXEC : 0) : -EBADF;
}

long __aion_fd_setfd(long fd, long flags)
{
	if (!__aion_fd_get(fd))
		return -EBADF;
	fds[fd].cloexec = !!(flags & FD_CLOEXEC);
	return 0;
}

void __aion_fd_use_tty(aion_handle_t cap)
{
	/* One description, as a login's fds 0-2 dup'd from one open: one
	 * holder of the terminal's record, closed with the last of them. */
	files[0] = (struct posix_file){ .kind = POSIX_VFS, .refs = 3, .cap = cap,
					.type = VFS_S_IFCHR };
	files[1] = files[2] = (struct posix_file){ 0 };
	fds[0].file = fds[1].file = fds[2].file = &files[0];
}

void __aion_fd_close_all(void)
{
	for (long fd = 0; fd < POSIX_FD_MAX; fd++)
		if (fds[fd].file)
			__aion_fd_close(fd);
}

/* A new image's table (exec.c's block): only what it lists is open. */
void __aion_fd_inherit(const struct posix_exec_fd *e, unsigned n)
{
	for (unsigned i = 0; i < FILES_MAX; i++)
		files[i] = (struct posix_file){ 0 };
	for (unsigned i = 0; i < POSIX_FD_MAX; i++)
		fds[i].file = NULL;
	for (unsigned i = 0; i < n && i < POSIX_FD_MAX; i++) {
		if (e[i].fd < 0 || e[i].fd >= POSIX_FD_MAX || fds[e[i].fd].file)
			continue;
		struct posix_file *f = NULL;
		/* fds that named one description name one capability. */
		for (unsigned j = 0; j < FILES_MAX && !f; j++)
			if (files[j].refs && files[j].kind == e[i].kind && files[j].cap == e[i].cap)
				f = &files[j];
		if (!f && (f = __aion_file_new(e[i].kind))) {
			f->cap = e[i].cap;
			f->type = e[i].type;
		}
		if (f) {
			fds[e[i].fd].file = f;
			fds[e[i].fd].cloexec = 0;
			f->refs++;
		}
	}
}
