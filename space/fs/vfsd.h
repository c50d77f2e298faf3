/* vfsd's parts: open records (records.c), path calls (path_ops.c),
 * open-object calls (object_ops.c), the server loop (vfsd.c). */
#ifndef FS_VFSD_H
#define FS_VFSD_H

#include "aion/vfs.h"
#include "libaion/lib.h"
#include "libaion/serve.h"
#include "path.h"
#include "ramfs.h"

/* The server's handle table has 256 slots: each open record holds one. */
#define VFS_OPENS_MAX   192

/* One open record: what a capability's badge names. */
struct vfs_open {
	struct rnode *node;             /* NULL: free */
	uint32_t gen;
	uint32_t flags;                 /* VFS_O_* */
	uint32_t holders;               /* VFS_RETAIN's count: the last close ends it */
	uint32_t recheck;               /* reap.c: looks left after a close that kept it */
	uint32_t rights;                /* VFS_RIGHT_*: over the tree below, kept by
					 * what is opened through it */
	uint64_t pos;                   /* files: byte offset; directories: entry index */
	aion_handle_t cap;              /* the minted endpoint copy, revoked at close */
};

extern struct ramfs vfs_root_fs;
extern aion_handle_t vfs_ep;
extern struct vfs_mount vfs_mounts[VFS_MOUNTS_MAX];

/* remote.c: remote mounts (/data, /net/N) */
void vfs_remote_points(struct aion_ipc_buffer *buf, const char *args);
/* An EREDIRECT's reply: the server's directory for the caller's rights. */
int64_t vfs_redirect(struct aion_serve_req *r);
/* Registers the roots with meshd when it is there: the wait until the
 * next try, AION_FOREVER once done. */
uint64_t vfs_mesh_tick(aion_handle_t root, aion_handle_t ro_root);
/* VFS_SYNC on every remote mount's server found so far (the first error,
 * else 0). */
int64_t vfs_sync_remotes(void);

/* records.c. Records 0 and 1 are the roots (vfsd.c, VFS_ROOT_RECORDS). */
/* The record the badge names, or NULL (closed, reused, foreign). */
struct vfs_open *vfs_open_find(uint64_t badge);
/* Record i when it is open, else NULL. */
struct vfs_open *vfs_open_at(unsigned i);
/* A new record for node and its capability (SEND): 0 or -AION_E.... */
int64_t vfs_open_new(struct rnode *node, uint32_t flags, struct vfs_open **out);
void vfs_open_end(struct vfs_open *o);
unsigned vfs_open_index(const struct vfs_open *o);
/* OFD locks' owner: the record itself (bit 63 set: no token has it). */
uint64_t vfs_open_owner(const struct vfs_open *o);
unsigned vfs_opens_used(void);

/* The record a call's badge named (the dispatcher checked it). */
static inline struct vfs_open *vfs_req_open(const struct aion_serve_req *r)
{
	return (struct vfs_open *)(uintptr_t)r->ctx;
}

/* path_ops.c and object_ops.c: the handlers */
int64_t vfs_on_open(struct aion_serve_req *r);
int64_t vfs_on_mkdir(struct aion_serve_req *r);
int64_t vfs_on_unlink(struct aion_serve_req *r);
int64_t vfs_on_rmdir(struct aion_serve_req *r);
int64_t vfs_on_rename(struct aion_serve_req *r);
int64_t vfs_on_stat(struct aion_serve_req *r);
int64_t vfs_on_chmod(struct aion_serve_req *r);
int64_t vfs_on_read(struct aion_serve_req *r);
int64_t vfs_on_write(struct aion_serve_req *r);
int64_t vfs_on_seek(struct aion_serve_req *r);
int64_t vfs_on_fstat(struct aion_serve_req *r);
int64_t vfs_on_trunc(struct aion_serve_req *r);
int64_t vfs_on_sync(struct aion_serve_req *r);
int64_t vfs_on_getdents(struct aion_serve_req *r);
int64_t vfs_on_getfl(struct aion_serve_req *r);
int64_t vfs_on_setfl(struct aion_serve_req *r);
int64_t vfs_on_close(struct aion_serve_req *r);
int64_t vfs_on_retain(struct aion_serve_req *r);
int64_t vfs_on_fchmod(struct aion_serve_req *r);
int64_t vfs_on_restrict(struct aion_serve_req *r);
int64_t vfs_on_statfs(struct aion_serve_req *r);
/* remote.c: VFS_UMOUNT, VFS_MOUNT; /proc/mounts rewritten when n is it */
int64_t vfs_on_umount(struct aion_serve_req *r);
int64_t vfs_on_mount(struct aion_serve_req *r);
void vfs_mounts_refresh(struct rnode *n);
/* pipe_ops.c: pipes and readiness */
int64_t vfs_on_pipe(struct aion_serve_req *r);
int64_t vfs_on_arm(struct aion_serve_req *r);
int64_t vfs_on_disarm(struct aion_serve_req *r);
int64_t vfs_on_map(struct aion_serve_req *r);
int64_t vfs_on_link(struct aion_serve_req *r);
/* READ and WRITE on a pipe's record (object_ops.c sends them here). */
int64_t vfs_pipe_read(struct aion_serve_req *r);
int64_t vfs_pipe_write(struct aion_serve_req *r);
/* A pipe record's last close: before the reply (its waiters go, its end
 * is counted out), after it (the other end's waiters and pollers learn). */
void vfs_pipe_closing(struct vfs_open *o);
void vfs_pipe_closed(struct rnode *node, struct aion_ipc_buffer *buf);
/* Pollers of records that became ready or closed are signalled. */
void vfs_arms_check(void);
/* Reservations of writes whose writer went quiet lapse (pipe.h); the
 * time to wait for the next look, AION_FOREVER when none is held. */
uint64_t vfs_pipe_tick(struct aion_ipc_buffer *buf);
/* Frees one handle slot held by an arm or a waiting call: false if none. */
bool vfs_pipe_reclaim(void);
/* reap.c: records no unit holds any more (docs/fs.md) */
/* The last holder is gone: the record ends. r: a close to answer before
 * the capability is revoked (NULL: nobody to answer). */
void vfs_open_last(struct vfs_open *o, struct aion_serve_req *r, struct aion_ipc_buffer *buf);
/* A close left holders: the record is looked at again shortly. */
void vfs_reap_mark(struct vfs_open *o);
/* Looks at marked records when due: the time to the next look (ns), or
 * AION_FOREVER. */
uint64_t vfs_reap_tick(struct aion_ipc_buffer *buf);
/* A call on the VFS_REAP_NAME capability. */
int64_t vfs_reap(struct aion_serve_req *r);
int64_t vfs_on_reap(struct aion_serve_req *r);
int64_t vfs_on_opens(struct aion_serve_req *r);
/* lock_ops.c */
int64_t vfs_on_lock(struct aion_serve_req *r);
/* After locks went away: waiting SETW calls that fit now are answered. */
void vfs_lock_waiters_run(void);
/* A record closes: its waiting calls get -AION_EBADF. */
void vfs_lock_waiters_drop(const struct vfs_open *o);

#endif /* FS_VFSD_H */
