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
	{ .label = VFS_RESTRICT, .fn = vfs_on_restrict, .caps = PATH },
	{ .label = VFS_STATFS, .fn = vfs_on_statfs, .caps = PATH },
	{ .label = VFS_UMOUNT, .fn = vfs_on_umount, .caps = PATH },
	{ .label = VFS_MOUNT, .fn = vfs_on_mount, .caps = PATH },
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
 * Record 0: the root directory, the capability "vfs" names; record 1: the
 * same with VFS_RIGHT_READ only (meshd's VFS_RO_NAME, for other nodes'
 * read-only /net); and VFS_REAP_NAME, for whoever starts a process server
 * (init's name service answers services, never a POSIX process).
 */
static struct vfs_open *root, *ro_root;

static int64_t publish_root(void)
{
	int64_t err = vfs_open_new(vfs_root_fs.root, VFS_O_READ | VFS_O_DIRECTORY, &root);
	if (!err && !(err = vfs_open_new(vfs_root_fs.root, VFS_O_READ | VFS_O_DIRECTORY, &ro_root)))
		ro_root->rights = VFS_RIGHT_READ;
	int64_t reap = err ? err : aion_cap_mint(vfs_ep, AION_RIGHT_SEND, VFS_BADGE_REAP);
	if (reap < 0)
		return reap;
	err = publish(VFS_NAME, root->cap);
	return err ? err : publish(VFS_REAP_NAME, (aion_handle_t)reap);
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
	int64_t status = !o ? -AION_EBADF :
			 vfs_rights_needed(r.label, m->w[1]) & ~o->rights ? -AION_EACCES :
			 aion_serve_dispatch(&table, &r);
	if (status == -AION_EREDIRECT)
		status = vfs_redirect(&r);
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
	vfs_remote_points(&buf, st->magic == AION_STARTUP_MAGIC ? st->args : NULL);
	if ((err = publish_root())) {
		aion_printf("vfsd: register failed err=%s", aion_error_name(err));
		return 1;
	}
	aion_printf("vfsd: serving \"%s\" opens_max=%u", VFS_NAME, VFS_OPENS_MAX);
	for (;;) {
		err = aion_recv(vfs_ep, &m, sooner(sooner(vfs_pipe_tick(&buf), vfs_reap_tick(&buf)),
						   vfs_mesh_tick(root->cap, ro_root->cap)));
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
