/*
 * Calls on VFS capabilities (aion/vfs.h) and Aion's errors as Linux's.
 * One IPC buffer for the process, registered at the first call: one
 * thread per process today (docs/posix.md).
 */
#include <errno.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/vfs.h"
#include "libaion/sys.h"
#include <string.h>
#include "posix.h"

aion_handle_t __aion_posix_fs;

static struct aion_ipc_buffer vfs_buf __attribute__((aligned(4096)));
static int buf_ready;
static uint64_t lock_owner;

long __aion_errno(int64_t e)
{
	switch (e < 0 ? -e : e) {
	case 0: return 0;
	case AION_EPERM: return -EPERM;
	case AION_ENOENT: return -ENOENT;
	case AION_EINVAL: case AION_EMALFORMED: return -EINVAL;
	case AION_ENOMEM: return -ENOMEM;
	case AION_EFAULT: return -EFAULT;
	case AION_ERANGE: return -ERANGE;
	case AION_EEXIST: return -EEXIST;
	case AION_EBUSY: return -EBUSY;
	case AION_EAGAIN: return -EAGAIN;
	case AION_ETIMEDOUT: return -ETIMEDOUT;
	case AION_ENOSYS: return -ENOSYS;
	case AION_ECAP: return -EBADF;  /* a revoked capability: the file is closed */
	case AION_ENOSPC: return -ENOSPC;
	case AION_ENOTDIR: return -ENOTDIR;
	case AION_EISDIR: return -EISDIR;
	case AION_ENAMETOOLONG: return -ENAMETOOLONG;
	case AION_ENOTEMPTY: return -ENOTEMPTY;
	case AION_EBADF: return -EBADF;
	case AION_EACCES: return -EACCES;
	case AION_EFBIG: return -EFBIG;
	case AION_EXDEV: return -EXDEV;
	default: return -EIO;          /* the server died (EDEAD), or worse */
	}
}

uint64_t __aion_lock_owner(void)
{
	/* Distinct per process while one unit is one process (docs/fs.md). */
	while (!lock_owner)
		lock_owner = (aion_clock_ns() * 0x9e3779b97f4a7c15ull) >> 1;
	return lock_owner;
}

long __aion_vfs_call(aion_handle_t cap, struct posix_vfs_call *c)
{
	if (!buf_ready) {
		if (aion_ipc_buffer(&vfs_buf))
			return -EIO;
		buf_ready = 1;
	}
	if (c->in_len > AION_IPC_PAYLOAD_MAX)
		return -EINVAL;
	if (c->in_len)
		memcpy(vfs_buf.payload, c->in, c->in_len);
	if (c->cap_in) {
		vfs_buf.caps[0] = c->cap_in;
		vfs_buf.cap_rights[0] = AION_RIGHTS_ALL | AION_IPC_CAP_MOVE;
	}
	struct aion_msg m = { .tag = AION_TAG(c->label, c->in_len, c->cap_in ? 1 : 0) |
				     AION_TAG_ACCEPT(c->accept_cap ? 1 : 0),
			      .w = { 0, c->w1, c->w2 } };
	int64_t err = aion_call(cap, &m, AION_FOREVER);
	if (err)
		return __aion_errno(err);
	int64_t r = (int64_t)m.w[0];
	c->reply_w1 = m.w[1];
	c->out_len = 0;
	c->cap_out = 0;
	if (AION_TAG_CAPS(m.tag))
		c->cap_out = vfs_buf.caps[0];
	if (r < 0) {
		if (c->cap_out)
			aion_handle_close(c->cap_out);
		c->cap_out = 0;
		return __aion_errno(r);
	}
	if (c->out) {
		unsigned n = AION_TAG_LEN(m.tag);
		c->out_len = n < c->out_max ? n : c->out_max;
		memcpy(c->out, vfs_buf.payload, c->out_len);
	}
	return (long)r;
}
