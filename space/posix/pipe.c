/*
 * Pipes (docs/posix.md "Pipes"): pipe and pipe2 ask vfsd for one
 * (VFS_PIPE on the root capability) and install its two ends as fds of
 * the VFS kind typed VFS_S_IFIFO, so close, dup, fcntl and fstat treat
 * them as any VFS record; read and write come here for their pipe rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include "aion/vfs.h"
#include "libaion/sys.h"
#include "posix.h"

/* One record's end as an fd, or -errno (then the capability is closed). */
static long install_end(aion_handle_t cap, int cloexec)
{
	struct posix_file *f = __aion_file_new(POSIX_VFS);
	if (!f) {
		struct posix_vfs_call c = { .label = VFS_CLOSE };
		__aion_vfs_call(cap, &c);
		aion_handle_close(cap);
		return -ENFILE;
	}
	f->cap = cap;
	f->type = VFS_S_IFIFO;
	long fd = __aion_fd_install(f, 0, cloexec);
	if (fd < 0)
		__aion_file_put(f);     /* no fd holds it: its record closes */
	return fd;
}

long __aion_pipe2(int *fds, long flags)
{
	if (flags & ~(long)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!__aion_posix_fs)
		return -EACCES;         /* no file system given: as every path call */
	struct posix_vfs_call c = { .label = VFS_PIPE, .accept_cap = 2,
				    .w1 = flags & O_NONBLOCK ? VFS_O_NONBLOCK : 0 };
	long r = __aion_vfs_call(__aion_posix_fs, &c);
	if (r < 0)
		return r;
	if (!c.caps_out[0] || !c.caps_out[1])
		return -EIO;
	int cloexec = !!(flags & O_CLOEXEC);
	long rfd = install_end(c.caps_out[0], cloexec);
	long wfd = install_end(c.caps_out[1], cloexec);
	if (rfd < 0 || wfd < 0) {
		if (rfd >= 0)
			__aion_fd_close(rfd);
		if (wfd >= 0)
			__aion_fd_close(wfd);
		return rfd < 0 ? rfd : wfd;
	}
	fds[0] = (int)rfd;
	fds[1] = (int)wfd;
	return 0;
}

/*
 * vfsd answers a call that should wait -AION_EAGAIN when its table of
 * waiting calls is full or it must free the call's handle slot: on a
 * blocking fd the call is made again a millisecond later.
 */
static int again(struct posix_file *f, long r)
{
	if (r != -EAGAIN)
		return 0;
	struct posix_vfs_call c = { .label = VFS_GETFL };
	long fl = __aion_vfs_call(f->cap, &c);
	if (fl < 0 || (fl & VFS_O_NONBLOCK))
		return 0;
	aion_sleep_until(aion_clock_ns() + 1000000);
	return 1;
}

/*
 * The arm a waiting pipe read left in vfsd (cap 0: none). Taken back
 * when the wait ends without it firing, and by a signal's default action
 * ending the process in the wait (signal.c): vfsd would otherwise hold
 * our notification, and its frame, after we end.
 */
struct armed {
	aion_handle_t cap;
	uint64_t bits;
};
static __thread struct armed armed;

void __aion_pipe_disarm(void)
{
	if (!armed.cap)
		return;
	struct posix_vfs_call c = { .label = VFS_DISARM, .w2 = armed.bits };
	__aion_vfs_call(armed.cap, &c);         /* 0 or 1: either is done */
	armed.cap = 0;
}

/*
 * An empty pipe, blocking read end: wait here, not in vfsd. A call vfsd
 * holds cannot be cut by a signal (docs/posix.md "Signals"), so SIGTERM
 * would wait for data; a wait on the thread's notification is cut. The
 * read end is armed (VFS_ARM, as poll does) and the thread waits until
 * vfsd signals it. 0: read again; -EINTR: a handler without SA_RESTART
 * ran since the read began (intr); with SA_RESTART the read goes on. A
 * default action that ends the process ends it in the upcall.
 */
static long wait_readable(struct posix_file *f, uint32_t intr)
{
	uint64_t got;
	long note = __aion_poll_note();
	if (note < 0)
		return note;
	__aion_pipe_disarm();                   /* one a handler jumped out of */
	aion_poll((aion_handle_t)note, &got);   /* earlier arms' signals */
	/* After the drain: a handler that ran later also signals the note
	 * (__aion_poll_note_wake), so the wait below cannot miss it. */
	if (__aion_sig_intr != intr)
		return -EINTR;
	/* Bits of our own (never bit 1, the upcall's wake-up): seeing them
	 * all says vfsd fired the arm; else it is taken back. */
	uint64_t bits = (__aion_lock_owner() ^ ((uint64_t)__aion_gettid() << 2)) | 1;
	bits &= ~2ull;
	armed = (struct armed){ f->cap, bits };
	struct posix_vfs_call c = { .label = VFS_ARM, .w1 = VFS_POLL_IN, .w2 = bits,
				    .cap_in = (aion_handle_t)note, .cap_in_len = 1 };
	long r = __aion_vfs_call(f->cap, &c);
	if (r < 0 || (r & (VFS_POLL_IN | VFS_POLL_HUP | VFS_POLL_ERR))) {
		armed.cap = 0;                  /* nothing armed */
		return r < 0 ? r : 0;
	}
	int64_t err = aion_wait((aion_handle_t)note, &got, AION_FOREVER);
	if (err || (got & bits) != bits)
		__aion_pipe_disarm();
	armed.cap = 0;
	if (err && err != -AION_EINTR)
		return __aion_errno(err);
	return __aion_sig_intr != intr ? -EINTR : 0;
}

/* A pipe read: what one call brings (at most a payload), never more, as
 * a pipe's read returns what is there. */
long __aion_pipe_read(struct posix_file *f, char *p, size_t n)
{
	size_t chunk = n < VFS_IO_MAX ? n : VFS_IO_MAX;
	uint32_t intr = __aion_sig_intr;
	for (;;) {
		struct posix_vfs_call c = { .label = VFS_READ, .w1 = chunk,
					    .w2 = VFS_PIPE_NOWAIT,
					    .out = p, .out_max = (unsigned)chunk };
		long r = __aion_vfs_call(f->cap, &c);
		if (r != -EAGAIN)
			return r < 0 ? r : (long)c.out_len;
		/* Empty: asked only now, so a read with data makes one call. */
		struct posix_vfs_call get = { .label = VFS_GETFL };
		long fl = __aion_vfs_call(f->cap, &get);
		if (fl < 0 || (fl & VFS_O_NONBLOCK))
			return fl < 0 ? fl : -EAGAIN;
		if ((r = wait_readable(f, intr)) < 0)
			return r;
	}
}

/*
 * EPIPE raises SIGPIPE on the writer, whose default action ends it. No
 * handlers exist yet (another branch adds them): the signal takes the
 * process's default action through tkill, as raise does; a process
 * outside procd cannot be signalled and sees the EPIPE.
 */
static void raise_sigpipe(void)
{
	__aion_tkill(__aion_gettid(), SIGPIPE);
}

/*
 * A pipe write: payload-sized calls. One of at most PIPE_BUF bytes
 * (VFS_PIPE_ATOMIC) never interleaves with other writers': its first
 * call tells vfsd the whole size and gets a token, which its later calls
 * bring (aion/vfs.h). A longer write is split at payloads, each placed
 * whole, and may interleave. With O_NONBLOCK it stops at the first
 * EAGAIN after some bytes went.
 */
long __aion_pipe_write(struct posix_file *f, const char *p, size_t n)
{
	size_t done = 0;
	uint64_t token = 0;
	uint64_t total = n > VFS_IO_MAX && n <= VFS_PIPE_ATOMIC ? n : 0;
	while (done < n) {
		size_t chunk = n - done < VFS_IO_MAX ? n - done : VFS_IO_MAX;
		struct posix_vfs_call c = { .label = VFS_WRITE, .in = p + done,
					    .in_len = (unsigned)chunk,
					    .w1 = done ? 0 : total, .w2 = token };
		long r;
		while (again(f, r = __aion_vfs_call(f->cap, &c)))
			;
		if (r == -EPIPE)
			raise_sigpipe();
		if (r < 0)
			return done ? (long)done : r;
		if (!done && total)
			token = c.reply_w1;
		done += (size_t)r;
	}
	return (long)done;
}
