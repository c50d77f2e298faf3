/*
 * poll, ppoll, select and pselect6 (docs/posix.md "poll and select").
 * Each fd is asked with VFS_ARM (aion/vfs.h), which answers its readiness
 * and, while nothing is ready yet, arms it: its server signals the
 * calling thread's notification when it becomes ready. With nothing
 * ready the thread waits on that one notification (with the timeout),
 * then asks every fd again. Any server of open objects (vfsd's files and
 * pipes today; ttys and sockets to come) answers VFS_ARM, so one loop
 * covers them all; the console is asked locally (__aion_console_ready).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include "aion/error.h"
#include "libaion/sys.h"
#include "posix.h"

#define NOTE_BIT        1u
#define WANT_IN         (POLLIN | POLLRDNORM)
#define WANT_OUT        (POLLOUT | POLLWRNORM)

/*
 * The console, until it is a terminal (another branch replaces this):
 * fd 0 reads end of file at once, so it is always readable; 1 and 2 are
 * always writable.
 */
unsigned __aion_console_ready(enum posix_kind kind, unsigned events)
{
	unsigned ready = kind == POSIX_CONSOLE_IN ? WANT_IN : WANT_OUT;
	return ready & events;
}

/* VFS_POLL_* (Linux's low bits) to what the caller asked for, plus ERR and HUP. */
static unsigned revents_of(uint64_t vfs, unsigned events)
{
	unsigned r = (unsigned)vfs & (POLLERR | POLLHUP);
	if (vfs & VFS_POLL_IN)
		r |= events & WANT_IN;
	if (vfs & VFS_POLL_OUT)
		r |= events & WANT_OUT;
	return r;
}

/* One fd's revents now; note: arms it too (0: only asks). */
static unsigned fd_ready(int fd, unsigned events, aion_handle_t note)
{
	struct posix_file *f = __aion_fd_get(fd);
	if (!f)
		return POLLNVAL;
	if (f->kind != POSIX_VFS)
		return __aion_console_ready(f->kind, events);
	struct posix_vfs_call c = {
		.label = VFS_ARM, .w2 = NOTE_BIT, .cap_in = note, .cap_in_len = note ? 1 : 0,
		.w1 = (events & WANT_IN ? VFS_POLL_IN : 0) | (events & WANT_OUT ? VFS_POLL_OUT : 0),
	};
	long r = __aion_vfs_call(f->cap, &c);
	if (r == -EBADF)
		return POLLNVAL;        /* its record is gone */
	if (r < 0)
		return POLLERR;         /* its server failed: reading will say how */
	return revents_of((uint64_t)r, events);
}

/* One pass over fds: how many have revents. */
static long pass(struct pollfd *fds, unsigned long n, aion_handle_t note)
{
	long count = 0;
	for (unsigned long i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		/* Arm only while nothing is ready: otherwise no wait follows. */
		fds[i].revents = (short)fd_ready(fds[i].fd, (unsigned short)fds[i].events,
						 count ? 0 : note);
		count += fds[i].revents != 0;
	}
	return count;
}

/* timeout_ns < 0: none. The count of ready fds, 0 at the timeout, or -errno. */
static long poll_fds(struct pollfd *fds, unsigned long n, int64_t timeout_ns)
{
	uint64_t bits;
	uint64_t deadline = timeout_ns > 0 ? aion_clock_ns() + (uint64_t)timeout_ns : 0;

	if (n > POSIX_FD_MAX * 4ul)
		return -EINVAL;
	if (timeout_ns == 0)
		return pass(fds, n, 0);
	long note = __aion_poll_note();
	if (note < 0)
		return note;
	for (;;) {
		aion_poll((aion_handle_t)note, &bits);  /* signals of earlier polls */
		long count = pass(fds, n, (aion_handle_t)note);
		if (count)
			return count;
		uint64_t wait = AION_FOREVER;
		if (deadline) {
			uint64_t now = aion_clock_ns();
			if (now >= deadline)
				return 0;
			wait = deadline - now;
		}
		int64_t err = aion_wait((aion_handle_t)note, &bits, wait);
		if (err == -AION_ETIMEDOUT)
			return 0;
		if (err)
			return __aion_errno(err);
	}
}

/* A timespec as nanoseconds (-1: none), or -EINVAL. */
static int64_t ts_ns(const struct timespec *ts)
{
	if (!ts)
		return -1;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -EINVAL - 2;     /* below -1: an error */
	if (ts->tv_sec > INT64_MAX / 2000000000)
		return -1;              /* centuries: as good as none */
	return ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* select's sets through poll: fds below nfds that any set names. */
static long select_fds(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, int64_t timeout_ns)
{
	struct pollfd pfd[POSIX_FD_MAX];
	unsigned long n = 0;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return -EINVAL;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) |
				   (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
				   (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));
		if (!ev)
			continue;
		if (fd >= POSIX_FD_MAX || !__aion_fd_get(fd))
			return -EBADF;
		pfd[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	long r = poll_fds(pfd, n, timeout_ns);
	if (r < 0)
		return r;
	long bits = 0;
	for (unsigned long i = 0; i < n; i++) {
		int fd = pfd[i].fd;
		short re = pfd[i].revents;
		if (re & POLLNVAL)
			return -EBADF;
		if (rd && FD_ISSET(fd, rd) && !(re & (POLLIN | POLLHUP | POLLERR)))
			FD_CLR(fd, rd);
		if (wr && FD_ISSET(fd, wr) && !(re & (POLLOUT | POLLERR)))
			FD_CLR(fd, wr);
		if (ex && FD_ISSET(fd, ex) && !(re & POLLPRI))
			FD_CLR(fd, ex);
		bits += (rd && FD_ISSET(fd, rd)) + (wr && FD_ISSET(fd, wr)) +
			(ex && FD_ISSET(fd, ex));
	}
	/* Sets name no fd that was not asked about: clear those too. */
	for (int fd = 0; fd < nfds; fd++) {
		int asked = 0;
		for (unsigned long i = 0; i < n && !asked; i++)
			asked = pfd[i].fd == fd;
		if (!asked) {
			if (rd) FD_CLR(fd, rd);
			if (wr) FD_CLR(fd, wr);
			if (ex) FD_CLR(fd, ex);
		}
	}
	return bits;
}

/*
 * The signal masks of ppoll and pselect6 are not applied: no handlers run
 * yet, so no signal can arrive during the wait to be masked.
 */
long __aion_poll_syscall(long n, long a, long b, long c, long d, long e, int *handled)
{
	(void)d;
	*handled = 1;
	switch (n) {
	case SYS_poll:
		return poll_fds((struct pollfd *)a, (unsigned long)b,
				c < 0 ? -1 : (int64_t)c * 1000000);
	case SYS_ppoll: {
		int64_t ns = ts_ns((const struct timespec *)c);
		return ns < -1 ? -EINVAL : poll_fds((struct pollfd *)a, (unsigned long)b, ns);
	}
	case SYS_select: {
		const long *tv = (const long *)e;       /* struct timeval: sec, usec */
		if (tv && (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000))
			return -EINVAL;
		int64_t ns = !tv ? -1 : tv[0] > INT64_MAX / 2000000000 ? -1 :
			     tv[0] * 1000000000 + tv[1] * 1000;
		return select_fds((int)a, (fd_set *)b, (fd_set *)c, (fd_set *)d, ns);
	}
	case SYS_pselect6: {
		int64_t ns = ts_ns((const struct timespec *)e);
		return ns < -1 ? -EINVAL :
		       select_fds((int)a, (fd_set *)b, (fd_set *)c, (fd_set *)d, ns);
	}
	default:
		*handled = 0;
		return -ENOSYS;
	}
}
