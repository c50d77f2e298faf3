/*
 * Calls on servers' capabilities (the VFS's, aion/vfs.h; netd's sockets,
 * aion/socket.h) and Aion's errors as Linux's. The kernel takes payloads
 * and capabilities from the calling thread's IPC buffer, so each thread
 * that calls registers its own at its first call: the first thread takes
 * the static one, others map a page, which goes back when the thread ends
 * (docs/posix.md "Pipes"). A blocking call in one thread (a socket's recv)
 * then leaves the others' calls alone.
 */
#include <errno.h>
#include <sys/mman.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/vfs.h"
#include "libaion/sys.h"
#include <string.h>
#include "posix.h"

aion_handle_t __aion_posix_fs;

static struct aion_ipc_buffer vfs_buf __attribute__((aligned(4096)));
static int vfs_buf_taken;
static __thread struct aion_ipc_buffer *my_buf;
static __thread aion_handle_t my_note;          /* poll's notification, 0: none yet */
static uint64_t lock_owner;

/* The calling thread's IPC buffer, registered; NULL when none can be had. */
struct aion_ipc_buffer *__aion_ipc_buf(void)
{
	if (my_buf)
		return my_buf;
	struct aion_ipc_buffer *b = &vfs_buf;
	if (__atomic_exchange_n(&vfs_buf_taken, 1, __ATOMIC_ACQ_REL)) {
		long a = __aion_mmap(0, sizeof(*b), PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a < 0)
			return NULL;
		b = (struct aion_ipc_buffer *)a;
	}
	if (aion_ipc_buffer(b)) {
		if (b == &vfs_buf)
			__atomic_store_n(&vfs_buf_taken, 0, __ATOMIC_RELEASE);
		else
			__aion_munmap((uintptr_t)b, sizeof(*b));
		return NULL;
	}
	return my_buf = b;
}

long __aion_poll_note(void)
{
	if (!my_note) {
		int64_t n = aion_notify_create();
		if (n < 0)
			return -EAGAIN;
		my_note = (aion_handle_t)n;
	}
	return my_note;
}

void __aion_poll_note_wake(void)
{
	if (my_note)
		aion_signal(my_note, 2);
}

void __aion_vfs_thread_end(void)
{
	__aion_bulk_thread_end();
	if (my_note)
		aion_handle_close(my_note);
	my_note = 0;
	if (!my_buf)
		return;
	aion_ipc_buffer(NULL);
	if (my_buf == &vfs_buf)
		__atomic_store_n(&vfs_buf_taken, 0, __ATOMIC_RELEASE);
	else
		__aion_munmap((uintptr_t)my_buf, sizeof(*my_buf));
	my_buf = NULL;
}

void __aion_vfs_forked(void)
{
	lock_owner = 0;         /* the child's POSIX locks are its own */
	my_note = 0;            /* a handle of the parent's table */
	__aion_bulk_forked();
	if (my_buf && aion_ipc_buffer(my_buf))
		my_buf = NULL;
}

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
	case AION_EPIPE: return -EPIPE;
	case AION_ECONNREFUSED: return -ECONNREFUSED;
	case AION_ECONNRESET: return -ECONNRESET;
	case AION_ENETUNREACH: return -ENETUNREACH;
	case AION_ENOTCONN: return -ENOTCONN;
	case AION_EADDRINUSE: return -EADDRINUSE;
	case AION_EINTR: return -EINTR;
	case AION_EROFS: return -EROFS;
	case AION_EREDIRECT: return -EXDEV;     /* past REDIRECT_HOPS */
	/* An object that does not do it: a memory object cannot cross nodes
	 * (meshd refuses to carry one, bulk.c), a pipe cannot be mapped. */
	case AION_ETYPE: return -ENODEV;
	default: return -EIO;          /* the server died (EDEAD), or worse */
	}
}

void __aion_lock_owner_set(uint64_t owner)
{
	lock_owner = owner;
}

uint64_t __aion_lock_owner(void)
{
	/* Distinct per process while one unit is one process (docs/fs.md). */
	while (!lock_owner)
		lock_owner = (aion_clock_ns() * 0x9e3779b97f4a7c15ull) >> 1;
	return lock_owner;
}

void __aion_vfs_buf_keep(struct aion_ipc_buffer *save, int back)
{
	if (back)
		memcpy(&vfs_buf, save, sizeof(vfs_buf));
	else
		memcpy(save, &vfs_buf, sizeof(vfs_buf));
}

#define REDIRECTED      1000000         /* no count or errno is this */
#define REDIRECT_HOPS   4               /* a mount in a mount in ... */

static long call_once(aion_handle_t cap, struct posix_vfs_call *c)
{
	struct aion_ipc_buffer *b = __aion_ipc_buf();
	unsigned ncaps;
	if (!b)
		return -EIO;
	if (c->in_len > AION_IPC_PAYLOAD_MAX || c->accept_cap > 2 || c->cap_in_len > 1)
		return -EINVAL;
	struct aion_msg m;
	int64_t err, r;
	uint32_t intr = __aion_sig_intr;
again:
	if (c->in_len)
		memcpy(b->payload, c->in, c->in_len);
	if (c->cap_in_len) {
		b->caps[0] = c->cap_in;
		b->cap_rights[0] = c->cap_in_rights ? c->cap_in_rights : AION_RIGHT_SEND;
	}
	/* EINTR: a signal came before the server took the call; it was not sent. */
	do {
		m = (struct aion_msg){ .tag = AION_TAG(c->label, c->in_len, c->cap_in_len) |
					      AION_TAG_ACCEPT(c->accept_cap),
				       .w = { c->w0, c->w1, c->w2 } };
		err = aion_call(cap, &m, AION_FOREVER);
	} while (err == -AION_EINTR);
	if (err)
		return __aion_errno(err);
	r = (int64_t)m.w[0];
	/* A server that blocked us answers AION_EINTR after it had a signal
	 * sent to us (docs/posix.md "Signals"): the call ends EINTR only if
	 * a handler without SA_RESTART ran; else it is made again. */
	if (r == -AION_EINTR && __aion_sig_intr == intr && !AION_TAG_CAPS(m.tag))
		goto again;
	c->reply_w1 = m.w[1];
	c->reply_w2 = m.w[2];
	c->out_len = 0;
	ncaps = AION_TAG_CAPS(m.tag) < 2 ? AION_TAG_CAPS(m.tag) : 2;
	for (unsigned i = 0; i < 2; i++)
		c->caps_out[i] = i < ncaps ? b->caps[i] : 0;
	if (r == -AION_EREDIRECT && ncaps == 1 && c->caps_out[0])
		return REDIRECTED;      /* caps_out[0]: where the path goes on */
	if (r < 0) {
		for (unsigned i = 0; i < ncaps; i++)
			aion_handle_close(c->caps_out[i]);
		c->caps_out[0] = c->caps_out[1] = 0;
		return __aion_errno(r);
	}
	if (c->out) {
		unsigned n = AION_TAG_LEN(m.tag);
		c->out_len = n < c->out_max ? n : c->out_max;
		memcpy(c->out, b->payload, c->out_len);
	}
	return (long)r;
}

/* Path calls: labels below the open-object ones, and VFS_LINK. */
static int is_path_call(uint32_t label)
{
	return label < VFS_READ || label == VFS_LINK;
}

/*
 * A path call redirected to another server (aion/vfs.h, docs/fs.md
 * "Remote mounts"): the path without the `at` bytes the first server
 * consumed ("/" when nothing is left). RENAME and LINK carry two paths;
 * the server checked that both begin with those bytes.
 */
static long rest_of_path(const struct posix_vfs_call *c, uint64_t at, char *out,
			 unsigned *len)
{
	const char *in = c->in;
	unsigned first = 0, n = 0;
	int two = c->label == VFS_RENAME || c->label == VFS_LINK;

	while (first < c->in_len && in[first])
		first++;
	if (!two)
		first = c->in_len;
	if (at > first || (two && at > c->in_len - first - 1))
		return -EIO;            /* a server that says so is broken */
	for (int part = 0; part <= two; part++) {
		const char *p = part ? in + first + 1 + at : in + at;
		unsigned plen = part ? c->in_len - first - 1 - (unsigned)at : first - (unsigned)at;
		if (part)
			out[n++] = '\0';
		if (!plen)
			out[n++] = '/';
		memmove(out + n, p, plen);      /* in may be out: a second hop */
		n += plen;
	}
	*len = n;
	return 0;
}

long __aion_vfs_call(aion_handle_t cap, struct posix_vfs_call *c)
{
	char path[VFS_PATH_MAX * 2 + 4];
	aion_handle_t hop = 0;
	unsigned want = c->accept_cap, in_len = c->in_len;
	const void *in = c->in;
	long r;

	if (is_path_call(c->label) && !c->accept_cap)
		c->accept_cap = 1;      /* room for a redirect's capability */
	for (unsigned hops = 0;; hops++) {
		r = call_once(hop ? hop : cap, c);
		if (r != REDIRECTED)
			break;
		aion_handle_t next = c->caps_out[0];
		unsigned len;
		c->caps_out[0] = 0;
		if (hop)
			aion_handle_close(hop);
		hop = next;
		if (hops == REDIRECT_HOPS || !is_path_call(c->label) ||
		    (r = rest_of_path(c, c->reply_w1, path, &len))) {
			r = hops == REDIRECT_HOPS ? -ELOOP : r ? r : -EXDEV;
			break;
		}
		c->in = path;
		c->in_len = len;
	}
	if (hop)
		aion_handle_close(hop);
	c->accept_cap = want;
	c->in = in;
	c->in_len = in_len;
	return r;
}
