/*
 * posix_spawn (docs/posix.md "posix_spawn and vfork"): musl's side is the
 * overlay's src/process/aion_x86_64/posix_spawn.c, which sends its file
 * actions and attributes here as one request. The file actions run on a
 * view of our fds (OPEN's files opened by us, held until the child has
 * them), then the program is loaded into a new child's unit as exec
 * loads one (exec.c): no copy of our memory, no clone.
 */
#define _GNU_SOURCE     /* strchrnul */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include "aion/proc.h"
#include "image.h"
#include "musl/arch/aion_x86_64/aion_spawn.h"

static long open_action(struct fd_view *v, const struct aion_spawn_action *a,
			struct posix_file **held)
{
	struct posix_file *f = __aion_file_new(POSIX_VFS);
	if (!f)
		return -ENFILE;
	long err = __aion_open_cap_in(v->cwd, a->path, a->oflag, a->mode, &f->cap, &f->type);
	if (err)
		return err;             /* refs 0: the slot stays free */
	f->refs = 1;                    /* ours until spawn_drop */
	*held = f;
	v->f[a->fd] = f;
	v->cloexec[a->fd] = !!(a->oflag & O_CLOEXEC);
	return 0;
}

static long apply(struct fd_view *v, const struct aion_spawn_action *a, struct posix_file **held)
{
	struct posix_file *f;
	/* Every action but chdir names an fd (chdir's is not set). */
	if (a->cmd != AION_SPAWN_CHDIR && (a->fd < 0 || a->fd >= POSIX_FD_MAX))
		return -EBADF;
	switch (a->cmd) {
	case AION_SPAWN_CLOSE:
		v->f[a->fd] = NULL;     /* as musl's child, a close's error is ignored */
		return 0;
	case AION_SPAWN_DUP2:
		if (a->srcfd < 0 || a->srcfd >= POSIX_FD_MAX || !v->f[a->srcfd])
			return -EBADF;
		v->f[a->fd] = v->f[a->srcfd];
		v->cloexec[a->fd] = 0;
		return 0;
	case AION_SPAWN_OPEN:
		return open_action(v, a, held);
	case AION_SPAWN_CHDIR:
		return __aion_chdir_in(v->cwd, a->path);
	case AION_SPAWN_FCHDIR:
		if (!(f = v->f[a->fd]))
			return -EBADF;
		if (f->kind != POSIX_VFS || f->type != VFS_S_IFDIR)
			return -ENOTDIR;
		if (!f->path)
			return -ENOMEM;
		strcpy(v->cwd, f->path);
		return 0;
	default:
		return -EINVAL;
	}
}

/* A file OPEN made: our holder goes (the child's, if any, stays). */
static void spawn_drop(struct posix_file *f)
{
	__aion_cap_release(f->cap, __aion_file_cap_kind(f));
	aion_handle_close(f->cap);
	*f = (struct posix_file){ 0 };
}

static long spawn_one(const char *path, const struct aion_spawn_req *r,
		      const struct fd_view *v, const struct argv_block *a, long *pid)
{
	struct image im = { 0 };
	struct aion_startup st = { 0 };
	unsigned flags = (r->flags & POSIX_SPAWN_SETSID ? PROC_EXEC_SETSID : 0) |
			 (r->flags & POSIX_SPAWN_SETPGROUP ? PROC_EXEC_SETPGROUP : 0);
	long err = __aion_image_open(path, &im);
	if (!err)
		err = __aion_image_unit(path, PROC_EXEC_CHILD, &im);
	if (!err)
		err = __aion_image_load(&im);
	/* The caller's ignored signals and mask, unless the attributes say
	 * otherwise (POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK). */
	__aion_sig_kept(&im.sig_ignored, &im.sig_mask);
	if (r->flags & POSIX_SPAWN_SETSIGDEF)
		im.sig_ignored &= ~(uint64_t)r->sigdefault;
	if (r->flags & POSIX_SPAWN_SETSIGMASK)
		im.sig_mask = r->sigmask;
	if (!err)
		err = __aion_image_put_kept(&im, v, 1, &st);
	if (!err)
		err = __aion_image_put_startup(&im, a, &st);
	__aion_image_close(&im);
	if (im.unit)
		aion_handle_close(im.unit);
	if (!err)               /* a refused setsid or setpgid drops the image */
		err = __aion_proc_call(PROC_EXEC_START, (uint64_t)im.pid, flags,
				       (uint64_t)r->pgroup, NULL);
	else if (im.pid)
		__aion_proc_call(PROC_EXEC_CANCEL, (uint64_t)im.pid, 0, 0, NULL);
	if (err && im.given)
		__aion_image_release_given(im.given);
	free(im.given);
	*pid = im.pid;
	return err;
}

/* posix_spawnp: each PATH entry in turn, as musl's execvp tries them. */
static long spawn_search(const struct aion_spawn_req *r, const struct fd_view *v,
			 const struct argv_block *a, long *pid)
{
	char buf[VFS_PATH_MAX + 1];
	size_t k = strlen(r->path);
	long err = -ENOENT;
	int eacces = 0;
	for (const char *p = r->search; ; ) {
		const char *z = strchrnul(p, ':');
		size_t l = (size_t)(z - p);
		if (l + 1 + k <= VFS_PATH_MAX) {
			memcpy(buf, p, l);
			buf[l] = '/';
			memcpy(buf + l + (l > 0), r->path, k + 1);
			err = spawn_one(buf, r, v, a, pid);
			if (err != -ENOENT && err != -ENOTDIR && err != -EACCES)
				break;
			eacces |= err == -EACCES;
		}
		if (!*z)
			break;
		p = z + 1;
	}
	return err && eacces ? -EACCES : err;
}

int __aion_posix_spawn(int *pid, const struct aion_spawn_req *r)
{
	struct fd_view *v = __aion_image_own_view();
	struct posix_file **held = calloc(r->nact + 1, sizeof(*held));
	struct argv_block a = { 0 };
	long child = 0;
	long err = v && held ? 0 : -ENOMEM;
	if (!err && !r->path)
		err = -EFAULT;
	if (!err)
		err = __aion_image_pack_argv(r->argv, r->envp, &a);
	for (unsigned i = 0; !err && i < r->nact; i++)
		err = apply(v, &r->act[i], &held[i]);
	if (!err)
		err = r->search && !strchr(r->path, '/') ? spawn_search(r, v, &a, &child) :
		      spawn_one(r->path, r, v, &a, &child);
	for (unsigned i = 0; held && i < r->nact; i++)
		if (held[i])
			spawn_drop(held[i]);
	free(a.bytes);
	free(held);
	free(v);
	if (!err)
		*pid = (int)child;
	return (int)-err;
}
