/*
 * ioctl: the terminal's requests (aion/tty.h, docs/posix.md "The
 * terminal") become one VFS_IOCTL call on the fd's capability, with the
 * request's struct as payload; Linux's request numbers pass unchanged.
 * Anything that is not a terminal answers ENOTTY: the log console (fds
 * 0-2 when no terminal was given) here, vfsd's files by refusing the
 * label (ENOSYS, reported as ENOTTY). So musl's isatty, which asks for
 * TIOCGWINSZ, is true exactly for the terminal.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "aion/proc.h"
#include "aion/tty.h"
#include "libaion/sys.h"
#include "posix.h"

_Static_assert(sizeof(struct tty_termios) == 36, "the kernel's termios");
_Static_assert(sizeof(struct winsize) == sizeof(struct tty_winsize), "winsize");

/* One VFS_IOCTL: in/out payloads of the request's struct. */
static long call(struct posix_file *f, unsigned long req, uint64_t w2, const void *in,
		 unsigned in_len, void *out, unsigned out_len, aion_handle_t cap)
{
	struct posix_vfs_call c = { .label = VFS_IOCTL, .w1 = req, .w2 = w2, .in = in,
				    .in_len = in_len, .out = out, .out_max = out_len,
				    .cap_in = cap, .cap_in_len = cap ? 1 : 0,
				    .cap_in_rights = AION_RIGHTS_ALL | AION_IPC_CAP_MOVE };
	long r = __aion_vfs_call(f->cap, &c);
	if (r == -ENOSYS)
		return -ENOTTY;
	if (r >= 0 && out && c.out_len != out_len)
		return -EIO;
	return r;
}

/* TIOCSCTTY: the terminal gets a copy of our procd capability, through
 * which it signals the foreground group; our group is that group. */
static long set_ctty(struct posix_file *f)
{
	if (!__aion_proc_ep)
		return -EPERM;          /* no process server: no session to lead */
	long pgrp = __aion_getpgid(0);
	if (pgrp < 0)
		return pgrp;
	int64_t h = aion_cap_copy((aion_handle_t)__aion_proc_ep, AION_RIGHT_SEND);
	if (h < 0)
		return -EAGAIN;
	long r = call(f, TIOCSCTTY, (uint64_t)pgrp, NULL, 0, NULL, 0, (aion_handle_t)h);
	if (r < 0)
		aion_handle_close((aion_handle_t)h);    /* a refused message moved nothing */
	return r;
}

long __aion_ioctl(long fd, unsigned long req, long arg)
{
	struct posix_file *f = __aion_fd_get(fd);
	void *p = (void *)arg;
	long r;

	if (!f)
		return -EBADF;
	if (f->kind != POSIX_VFS)
		return -ENOTTY;
	switch (req) {
	case TCGETS:
		return call(f, req, 0, NULL, 0, p, sizeof(struct tty_termios), 0);
	case TCSETS: case TCSETSW: case TCSETSF:
		return call(f, req, 0, p, sizeof(struct tty_termios), NULL, 0, 0);
	case TIOCGWINSZ:
		return call(f, req, 0, NULL, 0, p, sizeof(struct winsize), 0);
	case TIOCSWINSZ:
		return call(f, req, 0, p, sizeof(struct winsize), NULL, 0, 0);
	case TIOCGPGRP: case FIONREAD:
		r = call(f, req, 0, NULL, 0, NULL, 0, 0);
		if (r >= 0)
			*(int *)p = (int)r;
		return r < 0 ? r : 0;
	case TIOCSPGRP:
		return call(f, req, (uint64_t)(long)*(const int *)p, NULL, 0, NULL, 0, 0);
	case TIOCSCTTY:
		return set_ctty(f);
	default:
		/* Asked of the server, so a file says ENOTTY and a terminal
		 * ENOTTY for what it does not know (both refuse the call). */
		return call(f, req, (uint64_t)arg, NULL, 0, NULL, 0, 0);
	}
}
