/*
 * execve from the file tree (docs/posix.md "exec"). The POSIX layer
 * loads the new image itself, as fork copies: it opens the file through
 * its own capabilities (so procd never needs them and never waits on the
 * VFS), checks the ELF, asks procd for a new unit (PROC_EXEC: the same
 * pid, a WRITE-only handle lent to us), maps the segments and fills them
 * from the file, writes the argv block, the block of what is kept (the
 * fds without FD_CLOEXEC, their capabilities given, the cwd, the umask)
 * and the startup record, and then PROC_EXEC_START: procd starts the new
 * unit and ends this one. Until that call any failure cancels the image
 * and the caller goes on unharmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/proc.h"
#include "common/elf.h"
#include "libaion/lib.h"
#include "image.h"

#define PAGE            4096ul
#define HEAD_MAX        4096            /* the ELF and program headers are read first */
#define COPY_CHUNK      (64ul << 10)    /* file bytes per MEM_WRITE */

static uint64_t page_down(uint64_t a) { return a & ~(PAGE - 1); }
static uint64_t page_up(uint64_t a) { return (a + PAGE - 1) & ~(PAGE - 1); }

static long aion_to_errno(int64_t e)
{
	return e == -AION_ENOSPC ? -EMFILE : e == -AION_EEXIST ? -ENOEXEC : -ENOMEM;
}

/* Opens path and checks it: a regular file with an x bit, an x86_64 ELF. */
long __aion_image_open(const char *path, struct image *im)
{
	uint32_t type;
	struct vfs_stat st;
	char *head;
	long err = __aion_open_cap(AT_FDCWD, path, O_RDONLY, &im->file, &type);
	if (err)
		return err;
	struct posix_vfs_call c = { .label = VFS_FSTAT, .out = &st, .out_max = sizeof(st) };
	err = __aion_vfs_call(im->file, &c);
	if (!err && c.out_len != sizeof(st))
		err = -EIO;
	/* No users yet: root's rule, some x bit (a directory: EACCES too). */
	if (!err && ((st.mode & VFS_S_IFMT) != VFS_S_IFREG || !(st.mode & 0111)))
		err = -EACCES;
	if (err)
		return err;
	im->size = st.size;
	size_t n = st.size < HEAD_MAX ? st.size : HEAD_MAX;
	if (!(head = malloc(n ? n : 1)))
		return -ENOMEM;
	long got = __aion_cap_read(im->file, head, n, 0);
	err = got < 0 ? got : (size_t)got != n ? -EIO :
	      elf_parse_head(head, n, st.size, &im->elf) ? -ENOEXEC : 0;
	free(head);
	return err;
}

void __aion_image_close(struct image *im)
{
	if (im->file) {
		__aion_cap_release(im->file, POSIX_CAP_FILE);
		aion_handle_close(im->file);
		im->file = 0;
	}
}

/* procd's PROC_EXEC: the name is the path's last component. */
long __aion_image_unit(const char *path, unsigned how, struct image *im)
{
	struct aion_ipc_buffer *buf = __aion_ipc_buf();
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(name);
	if (!buf || !__aion_proc_ep)
		return !buf ? -EIO : -ENOSYS;
	if (len > PROC_NAME_MAX)
		len = PROC_NAME_MAX;
	if (!len)
		name = "exec", len = 4;
	memcpy(buf->payload, name, len);
	struct aion_msg m = { .tag = AION_TAG(PROC_EXEC, len, 0), .w = { im->elf.entry, how, 0 } };
	if (aion_call((aion_handle_t)__aion_proc_ep, &m, AION_FOREVER))
		return -EIO;
	if ((int64_t)m.w[0] < 0)
		return (long)m.w[0];
	im->pid = (long)m.w[0];
	im->unit = (aion_handle_t)m.w[1];
	im->proc_ep = m.w[2];
	return 0;
}

static long map(struct image *im, uint64_t va, uint64_t len, unsigned prot)
{
	for (uint64_t off = 0; off < len; off += 1024 * PAGE) {
		uint64_t n = len - off < 1024 * PAGE ? len - off : 1024 * PAGE;
		int64_t err = aion_anon_map(im->unit, va + off, n, prot);
		if (err)
			return aion_to_errno(err);
	}
	return 0;
}

static long put(struct image *im, uint64_t va, const void *p, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += AION_MEM_WRITE_MAX) {
		uint64_t n = len - off < AION_MEM_WRITE_MAX ? len - off : AION_MEM_WRITE_MAX;
		if (aion_mem_write(im->unit, va + off, (const char *)p + off, n))
			return -ENOMEM;
	}
	return 0;
}

/* Each segment mapped with its protection and filled from the file. */
long __aion_image_load(struct image *im)
{
	char *buf = malloc(COPY_CHUNK);
	long err = buf ? 0 : -ENOMEM;
	for (unsigned i = 0; !err && i < im->elf.nseg; i++) {
		const struct elf_segment *s = &im->elf.seg[i];
		err = map(im, page_down(s->vaddr), page_up(s->vaddr + s->memsz) - page_down(s->vaddr),
			  s->prot);
		for (uint64_t done = 0; !err && done < s->filesz; done += COPY_CHUNK) {
			uint64_t n = s->filesz - done < COPY_CHUNK ? s->filesz - done : COPY_CHUNK;
			long got = __aion_cap_read(im->file, buf, n, s->offset + done);
			err = got < 0 ? got : (uint64_t)got != n ? -EIO : put(im, s->vaddr + done, buf, n);
		}
	}
	free(buf);
	if (!err)
		err = map(im, AION_STACK_TOP - PROC_STACK_PAGES * PAGE, PROC_STACK_PAGES * PAGE,
			  AION_PROT_READ | AION_PROT_WRITE);
	return err;
}

/* A copy of cap in the new unit: its handle there, or 0 on failure. */
static aion_handle_t give(struct image *im, aion_handle_t cap, long *err)
{
	int64_t h = aion_cap_give(im->unit, cap, AION_RIGHTS_ALL);
	if (h < 0)
		*err = aion_to_errno(h);
	return h < 0 ? 0 : (aion_handle_t)h;
}

/* Does an fd of the view without FD_CLOEXEC name f? */
static int kept(const struct fd_view *v, const struct posix_file *f)
{
	for (long fd = 0; fd < POSIX_FD_MAX; fd++)
		if (v->f[fd] == f && !v->cloexec[fd])
			return 1;
	return 0;
}

/*
 * caps.c's walk: the root, and each kept description's capability, given
 * once. exec takes no new holder (VFS_RETAIN): the old unit's passes to
 * the new one, since the old unit ends without closing; posix_spawn's
 * parent keeps its own, so it retains first.
 */
static long give_kept(aion_handle_t *slot, enum posix_cap_kind kind, void *arg)
{
	struct exec_give *g = arg;
	long err = 0;
	if (kind == POSIX_CAP_FS_ROOT) {
		g->root = give(g->im, *slot, &err);
		return err;
	}
	struct posix_file *f = (struct posix_file *)((char *)slot - offsetof(struct posix_file, cap));
	unsigned i = (unsigned)(f - __aion_file_slot(0));
	if (!kept(g->view, f) || kind == POSIX_CAP_SOCKET)
		return 0;               /* sockets: not across exec yet (docs) */
	if (g->retain) {
		if ((err = __aion_cap_retain(*slot, kind)))
			return err;
		g->retained[i] = 1;
	}
	g->given[i] = give(g->im, *slot, &err);
	return err;
}

void __aion_image_release_given(struct exec_give *g)
{
	for (unsigned i = 0; i < POSIX_FD_MAX; i++)
		if (g->retained[i])
			__aion_cap_release(__aion_file_slot(i)->cap, POSIX_CAP_FILE);
}

/* The block of what is kept: every fd without FD_CLOEXEC, cwd, umask,
 * the ignored signals and the mask (im's). */
long __aion_image_put_kept(struct image *im, const struct fd_view *v, int retain,
			   struct aion_startup *st)
{
	struct posix_exec_block *b = calloc(1, sizeof(*b));
	struct exec_give *g = calloc(1, sizeof(*g));
	long err = b && g ? 0 : -ENOMEM;

	if (!err) {
		*g = (struct exec_give){ .im = im, .view = v, .retain = retain };
		err = __aion_caps_each(give_kept, g);
	}
	for (long fd = 0; !err && fd < POSIX_FD_MAX; fd++) {
		struct posix_file *f = v->f[fd];
		if (!f || v->cloexec[fd] || f->kind == POSIX_SOCKET)
			continue;       /* a socket's state is this image's memory */
		struct posix_exec_fd *e = &b->fds[b->nfds++];
		*e = (struct posix_exec_fd){ .fd = (int32_t)fd, .kind = f->kind, .type = f->type };
		if (f->cap)
			e->cap = g->given[f - __aion_file_slot(0)];
	}
	if (!err) {
		b->magic = POSIX_EXEC_MAGIC;
		b->lock_owner = retain ? 0 : __aion_lock_owner();
		b->umask = __aion_umask_get();
		b->sig_ignored = im->sig_ignored;
		b->sig_mask = im->sig_mask;
		strcpy(b->cwd, v->cwd);
		err = map(im, POSIX_EXEC_VADDR, page_up(sizeof(*b)), AION_PROT_READ | AION_PROT_WRITE);
	}
	if (!err)
		err = put(im, POSIX_EXEC_VADDR, b, sizeof(*b));
	st->posix_fs = g ? g->root : 0;
	st->posix_exec = POSIX_EXEC_VADDR;
	st->posix_exec_size = sizeof(*b);
	im->given = g;                  /* spawn releases them if its start fails */
	free(b);
	return err;
}

/* argv and envp as the argv block (E2BIG past ARG_MAX): packed first,
 * before anything else is asked for. */
long __aion_image_pack_argv(char *const argv[], char *const envp[], struct argv_block *a)
{
	static char *const none[] = { NULL };
	if (!(a->bytes = malloc(AION_ARGV_MAX)))
		return -ENOMEM;
	a->len = aion_argv_pack(a->bytes, AION_ARGV_MAX, (const char *const *)(argv ? argv : none),
				(const char *const *)(envp ? envp : none), &a->argc, &a->envc);
	return a->len < 0 ? -E2BIG : 0;
}

/* The argv block and the startup record into the new unit. */
long __aion_image_put_startup(struct image *im, const struct argv_block *a,
			      struct aion_startup *st)
{
	long err = 0;
	if (a->len > 0) {
		err = map(im, AION_ARGV_VADDR, page_up((uint64_t)a->len),
			  AION_PROT_READ | AION_PROT_WRITE);
		if (!err)
			err = put(im, AION_ARGV_VADDR, a->bytes, (uint64_t)a->len);
		st->argv_len = (uint64_t)a->len;
		st->argc = a->argc;
		st->envc = a->envc;
	}
	st->magic = AION_STARTUP_MAGIC;
	st->posix_proc = im->proc_ep;
	if (!err)
		err = map(im, AION_STARTUP_VADDR, PAGE, AION_PROT_READ);
	if (!err)
		err = put(im, AION_STARTUP_VADDR, st, sizeof(*st));
	return err;
}

/* exec's view: the process's own fds and cwd. */
struct fd_view *__aion_image_own_view(void)
{
	struct fd_view *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	for (long fd = 0; fd < POSIX_FD_MAX; fd++) {
		v->f[fd] = __aion_fd_get(fd);
		v->cloexec[fd] = v->f[fd] && __aion_fd_getfd(fd);
	}
	strcpy(v->cwd, __aion_cwd_get());
	return v;
}

long __aion_execve(const char *path, char *const argv[], char *const envp[])
{
	struct image im = { 0 };
	struct aion_startup st = { 0 };
	struct argv_block a = { 0 };
	if (!path)
		return -EFAULT;
	long err = __aion_image_pack_argv(argv, envp, &a);
	if (!err)
		err = __aion_image_open(path, &im);
	if (!err)
		err = __aion_image_unit(path, PROC_EXEC_SELF, &im);
	if (!err)
		err = __aion_image_load(&im);
	struct fd_view *v = err ? NULL : __aion_image_own_view();
	if (!err && !v)
		err = -ENOMEM;
	if (!err)
	{
		__aion_sig_kept(&im.sig_ignored, &im.sig_mask);
		err = __aion_image_put_kept(&im, v, 0, &st);
	}
	free(v);
	free(im.given);
	if (!err)
		err = __aion_image_put_startup(&im, &a, &st);
	free(a.bytes);
	__aion_image_close(&im);
	if (im.unit)
		aion_handle_close(im.unit);
	if (err) {
		if (im.pid)
			__aion_proc_call(PROC_EXEC_CANCEL, (uint64_t)im.pid, 0, 0, NULL);
		return err;
	}
	/* The point of no return: what is not kept is closed, as at exit. */
	__aion_posix_flush();
	for (long fd = 0; fd < POSIX_FD_MAX; fd++)
		if (__aion_fd_get(fd) && __aion_fd_getfd(fd))
			__aion_fd_close(fd);
	err = __aion_proc_call(PROC_EXEC_START, (uint64_t)im.pid, 0, 0, NULL);
	if (err)
		return err;             /* procd dropped the image; the fds are closed */
	for (;;)                        /* procd ends this unit now */
		aion_sleep_ns(1000000000ull);
}

void __aion_exec_inherit(uint64_t vaddr, uint64_t size)
{
	const struct posix_exec_block *b = (const struct posix_exec_block *)vaddr;
	if (vaddr != POSIX_EXEC_VADDR || size != sizeof(*b) || b->magic != POSIX_EXEC_MAGIC)
		return;
	__aion_fd_inherit(b->fds, b->nfds < POSIX_FD_MAX ? b->nfds : POSIX_FD_MAX);
	char cwd[VFS_PATH_MAX + 1];
	memcpy(cwd, b->cwd, VFS_PATH_MAX);
	cwd[VFS_PATH_MAX] = '\0';
	__aion_paths_inherit(cwd, b->umask);
	__aion_lock_owner_set(b->lock_owner);
	__aion_sig_inherit(b->sig_ignored, b->sig_mask);
	/* Taken: its pages go back to the quota (a fork does not copy them). */
	aion_anon_unmap(AION_HANDLE_SELF, vaddr, page_up(size));
}

