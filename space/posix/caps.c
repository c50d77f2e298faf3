/*
 * The capabilities this process holds for its POSIX state, in one list:
 * the VFS root (the startup record's posix_fs) and each open VFS
 * description's (fd.c). fork gives a copy of every one to the child, and
 * exec and posix_spawn give the ones the new image keeps (exec.c); both
 * walk this list, so state that gains a capability is added here once.
 * (procd's capability is not here: procd gives each process its own.)
 */
#include <errno.h>
#include "aion/error.h"
#include "aion/socket.h"
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "posix.h"

long __aion_caps_each(long (*fn)(aion_handle_t *slot, enum posix_cap_kind kind, void *arg),
		      void *arg)
{
	long err = 0;
	struct posix_file *f;

	if (__aion_posix_fs)
		err = fn(&__aion_posix_fs, POSIX_CAP_FS_ROOT, arg);
	/* Any kind of open object with a capability (the console has none). */
	for (unsigned i = 0; !err && (f = __aion_file_slot(i)); i++)
		if (f->refs && f->cap)
			err = fn(&f->cap, __aion_file_cap_kind(f), arg);
	return err;
}

enum posix_cap_kind __aion_file_cap_kind(const struct posix_file *f)
{
	return f->kind == POSIX_SOCKET ? POSIX_CAP_SOCKET : POSIX_CAP_FILE;
}

/* netd's labels are not the VFS's (SOCK_RECV is VFS_RETAIN's number). */
long __aion_cap_retain(aion_handle_t cap, enum posix_cap_kind kind)
{
	struct posix_vfs_call c = { .label = kind == POSIX_CAP_SOCKET ? SOCK_RETAIN : VFS_RETAIN };
	long r = __aion_vfs_call(cap, &c);
	return r < 0 ? r : 0;
}

void __aion_cap_release(aion_handle_t cap, enum posix_cap_kind kind)
{
	/* Owner 0: one holder less, no process's locks touched. */
	struct posix_vfs_call c = { .label = kind == POSIX_CAP_SOCKET ? SOCK_CLOSE : VFS_CLOSE,
				    .w2 = 0 };
	__aion_vfs_call(cap, &c);
}

/* fork: each capability retained (files), given, and the child's copy
 * of the variable naming it patched to the child's handle. */
struct fork_give {
	aion_handle_t unit;
	unsigned retained, undone;
};

static long give_one(aion_handle_t *slot, enum posix_cap_kind kind, void *arg)
{
	struct fork_give *g = arg;
	if (kind != POSIX_CAP_FS_ROOT) {
		long err = __aion_cap_retain(*slot, kind);
		if (err)
			return err;
		g->retained++;
	}
	int64_t h = aion_cap_give(g->unit, *slot, AION_RIGHTS_ALL);
	if (h < 0)
		return h == -AION_ENOSPC ? -EMFILE : -ENOMEM;
	aion_handle_t v = (aion_handle_t)h;
	/* The child's memory is a copy: the same address names its variable. */
	return aion_mem_write(g->unit, (uintptr_t)slot, &v, sizeof(v)) ? -ENOMEM : 0;
}

/* The first `retained` files, in the same order give_one met them. */
static long undo_one(aion_handle_t *slot, enum posix_cap_kind kind, void *arg)
{
	struct fork_give *g = arg;
	if (kind == POSIX_CAP_FS_ROOT)
		return 0;
	if (g->undone == g->retained)
		return 1;               /* stops the walk */
	g->undone++;
	__aion_cap_release(*slot, kind);
	return 0;
}

void __aion_caps_fork_undo(void)
{
	struct fork_give g = { .retained = ~0u };
	__aion_caps_each(undo_one, &g);
}

long __aion_caps_fork(aion_handle_t child)
{
	struct fork_give g = { .unit = child };
	long err = __aion_caps_each(give_one, &g);
	if (err)
		__aion_caps_each(undo_one, &g);
	return err;
}
