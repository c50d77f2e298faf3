/*
 * vfsd: the VFS server (aion/vfs.h, docs/fs.md). A service of init's
 * manifest: it fills its ramfs root from the initramfs init copied into
 * its memory (the startup record's data), publishes the root directory
 * as "vfs" in init's name service and serves calls, one at a time.
 *
 * Capabilities: SVC_INIT_EP (1,1) only. Everything else it holds it made:
 * its endpoint and one minted copy per open record.
 */
#include "aion/initproto.h"
#include "common/time.h"
#include "cpio.h"
#include "fsmem.h"
#include "libaion/initclient.h"
#include "libaion/malloc.h"
#include "vfsd.h"

struct ramfs vfs_root_fs;
aion_handle_t vfs_ep;
/* The mount table: the ramfs is the root; /data's server mounts here later. */
struct vfs_mount vfs_mounts[VFS_MOUNTS_MAX];
static struct aion_ipc_buffer buf __attribute__((aligned(4096)));

void *fs_alloc(size_t n)
{
	return aion_calloc(1, n);
}

void fs_free(void *p)
{
	aion_free(p);
}

uint64_t fs_now(void)
{
	return aion_clock_ns();
}

#define PATH    AION_SERVE_CAPS_NONE

static const struct aion_serve_op ops[] = {
	{ .label = VFS_OPEN, .fn = vfs_on_open, .caps = PATH },
	{ .label = VFS_MKDIR, .fn = vfs_on_mkdir, .caps = PATH },
	{ .label = VFS_UNLINK, .fn = vfs_on_unlink, .caps = PATH },
	{ .label = VFS_RMDIR, .fn = vfs_on_rmdir, .caps = PATH },
	{ .label = VFS_RENAME, .fn = vfs_on_rename, .caps = PATH },
	{ .label = VFS_STAT, .fn = vfs_on_stat, .caps = PATH },
	{ .label = VFS_CHMOD, .fn = vfs_on_chmod, .caps = PATH },
	{ .label = VFS_READ, .fn = vfs_on_read, .caps = PATH },
	{ .label = VFS_WRITE, .fn = vfs_on_write, .caps = PATH },
	{ .label = VFS_SEEK, .fn = vfs_on_seek, .caps = PATH },
	{ .label = VFS_FSTAT, .fn = vfs_on_fstat, .caps = PATH },
	{ .label = VFS_TRUNC, .fn = vfs_on_trunc, .caps = PATH },
	{ .label = VFS_SYNC, .fn = vfs_on_sync, .caps = PATH },
	{ .label = VFS_GETDENTS, .fn = vfs_on_getdents, .caps = PATH },
	{ .label = VFS_LOCK, .fn = vfs_on_lock, .caps = PATH },
	{ .label = VFS_GETFL, .fn = vfs_on_getfl, .caps = PATH },
	{ .label = VFS_SETFL, .fn = vfs_on_setfl, .caps = PATH },
	{ .label = VFS_CLOSE, .fn = vfs_on_close, .caps = PATH },
	{ .label = VFS_FCHMOD, .fn = vfs_on_fchmod, .caps = PATH },
	{ .label = VFS_RETAIN, .fn = vfs_on_retain, .caps = PATH },
	{ .label = VFS_PIPE, .fn = vfs_on_pipe, .caps = PATH },
	{ .label = VFS_ARM, .fn = vfs_on_arm, .caps = AION_SERVE_CAPS_ANY },
	{ .label = VFS_DISARM, .fn = vfs_on_disarm, .caps = PATH },
	{ .label = VFS_REAP, .fn = vfs_on_reap, .caps = PATH },
	{ .label = VFS_OPENS, .fn = vfs_on_opens, .caps = PATH },
	{ .label = VFS_MAP, .fn = vfs_on_map, .caps = PATH },
	{ .label = VFS_LINK, .fn = vfs_on_link, .caps = PATH },
};
static const struct aion_serve_table table = AION_SERVE_TABLE(ops, -AION_ENOSYS);

/* The initramfs into the root, then its pages back to the quota. */
static void unpack(const struct aion_startup *st)
{
	struct cpio_stats s = { 0 };
	int err = st->data_size ? cpio_unpack(&vfs_root_fs, vfs_root_fs.root,
					      (const uint8_t *)st->data_vaddr, st->data_size, &s)
				: -AION_ENOENT;
	aion_printf("vfsd: initramfs bytes=%lu dirs=%u files=%u file_bytes=%lu err=%s",
		    (unsigned long)st->data_size, s.dirs, s.files, (unsigned long)s.bytes,
		    aion_error_name(err));
	if (st->data_size)
		aion_anon_unmap(AION_HANDLE_SELF, st->data_vaddr,
				(st->data_size + 4095) & ~4095ull);
}

static int64_t publish(const char *name, aion_handle_t cap)
{
	for (;;) {
		int64_t err = init_register(SVC_INIT_EP, &buf, name, cap, AION_RIGHT_SEND);
		if (err != -AION_EAGAIN)
			return err;
		aion_sleep_ns(20 * MS);
	}
}

/*
 * Record 0: the root directory, the capability "vfs" names; and
 * VFS_REAP_NAME, for whoever starts a process server (init's name
 * service answers services, never a POSIX process).
 */
static int64_t publish_root(void)
{
	struct vfs_open *root;
	int64_t err = vfs_open_new(vfs_root_fs.root, VFS_O_READ | VFS_O_DIRECTORY, &root);
	int64_t reap = err ? err : aion_cap_mint(vfs_ep, AION_RIGHT_SEND, VFS_BADGE_REAP);
	if (reap < 0)
		return reap;
	err = publish(VFS_NAME, root->cap);
	return err ? err : publish(VFS_REAP_NAME, (aion_handle_t)reap);
}

/*
 * Remote mounts (docs/fs.md "Remote mounts"): a directory of ours that
 * another server's tree covers. A path call whose walk reaches one is
 * answered -AION_EREDIRECT with a copy of that server's root directory
 * capability and w1 = the bytes of the path it consumed; the caller sends
 * the rest there (the POSIX layer does, vfsclient.c). The server's
 * capability is the one it registered in init's name service, looked up
 * at each redirect (the server may start after us, or never: a node
 * without a disk has no "fs.data", and /data is then ENOENT; or be
 * restarted by init with a new root).
 */
#define REMOTE_SYNC_NS  (30000ull * MS)

static struct remote_mount {
	const char *point;              /* a name in the root */
	const char *name;               /* its server's, in init's name service */
	aion_handle_t cap;              /* 0 until found */
} remotes[] = {
	{ "data", VFS_DATA_NAME, 0 },
};

static void remote_points(void)
{
	for (unsigned i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++) {
		const char *p = remotes[i].point;
		struct rnode *n = ramfs_lookup(vfs_root_fs.root, p, strlen(p));
		int err = n ? (rnode_is_dir(n) ? 0 : -AION_ENOTDIR)
			    : ramfs_create(&vfs_root_fs, vfs_root_fs.root, p, strlen(p),
					   VFS_S_IFDIR | 0755, &n);
		if (err)
			aion_printf("vfsd: remote mount failed point=/%s err=%s", p,
				    aion_error_name(err));
		else
			n->remote = i + 1;
	}
}

static int64_t redirect(struct aion_serve_req *r)
{
	struct remote_mount *m = &remotes[vfs_redirected.remote - 1];

	if (AION_TAG_ACCEPTED(r->msg.tag) < 1)
		return -AION_EXDEV;     /* a caller that cannot take the capability */
	/* Looked up again at every redirect, not kept: a server init restarted
	 * registered a new root, and the old one's capability is dead (EDEAD).
	 * One call to init more per path call that crosses the mount. */
	int64_t h = init_lookup(SVC_INIT_EP, &buf, m->name, 0);
	if (h < 0)
		return h == -AION_ENOENT || h == -AION_ETIMEDOUT ? -AION_ENOENT : h;
	if (!m->cap)
		aion_printf("vfsd: remote mount point=/%s server=%s", m->point, m->name);
	else
		aion_handle_close(m->cap);
	m->cap = (aion_handle_t)h;
	aion_serve_give(r, m->cap, VFS_OBJECT_RIGHTS);
	r->reply.w[1] = vfs_redirected.at;
	return -AION_EREDIRECT;
}

/* sync(2): the call waits for each server's (ext2d writes its file system
 * back and flushes the device), which is why only the root's sync does. */
int64_t vfs_sync_remotes(void)
{
	int64_t first = 0;
	for (unsigned i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++) {
		struct aion_msg m = { .tag = AION_TAG(VFS_SYNC, 0, 0) };
		if (!remotes[i].cap)
			continue;
		int64_t err = aion_call(remotes[i].cap, &m, REMOTE_SYNC_NS);
		if (!err)
			err = (int64_t)m.w[0];
		if (err && !first)
			first = err;
	}
	return first;
}

/* Finds the record a badge names and serves the call on it. */
static void serve_one(const struct aion_msg *m)
{
	struct aion_serve_req r;
	aion_serve_begin(&r, &buf, m, AION_TAG_LABEL(m->tag));
	if (m->badge == VFS_BADGE_REAP) {
		aion_serve_end(&r, vfs_reap(&r));
		return;
	}
	struct vfs_open *o = vfs_open_find(m->badge);
	r.ctx = (int64_t)(uintptr_t)o;
	int64_t status = o ? aion_serve_dispatch(&table, &r) : -AION_EBADF;
	if (status == -AION_EREDIRECT)
		status = redirect(&r);
	aion_serve_end(&r, status);
}

/* The shorter of two waits (AION_FOREVER, 0, is the longest). */
static uint64_t sooner(uint64_t a, uint64_t b)
{
	if (a == AION_FOREVER)
		return b;
	return b == AION_FOREVER || a < b ? a : b;
}

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	struct aion_msg m;

	int64_t err = aion_ipc_buffer(&buf);
	int64_t ep = err ? err : aion_endpoint_create();
	if (ep < 0 || (err = ramfs_init(&vfs_root_fs, 1))) {
		aion_printf("vfsd: setup failed err=%s", aion_error_name(ep < 0 ? ep : err));
		return 1;
	}
	vfs_ep = (aion_handle_t)ep;
	unpack(st);
	remote_points();
	if ((err = publish_root())) {
		aion_printf("vfsd: register failed err=%s", aion_error_name(err));
		return 1;
	}
	aion_printf("vfsd: serving \"%s\" opens_max=%u", VFS_NAME, VFS_OPENS_MAX);
	for (;;) {
		err = aion_recv(vfs_ep, &m, sooner(vfs_pipe_tick(&buf), vfs_reap_tick(&buf)));
		if (err == -AION_ETIMEDOUT)
			continue;
		/* A full handle table: a call bringing a capability (VFS_ARM) waits
		 * in the kernel until a slot is free, so one is freed. */
		if (err == -AION_ENOSPC && vfs_pipe_reclaim())
			continue;
		if (err) {
			aion_printf("vfsd: recv failed err=%s", aion_error_name(err));
			aion_sleep_ns(100 * MS);
			continue;
		}
		serve_one(&m);
	}
}
