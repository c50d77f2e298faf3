/*
 * The terminal protocol (the console's tty, space/console/tty.c;
 * docs/posix.md "The terminal"). A tty is an open object of aion/vfs.h:
 * its capabilities speak VFS_READ, VFS_WRITE, VFS_FSTAT (S_IFCHR),
 * VFS_GETFL/SETFL (VFS_O_NONBLOCK), VFS_RETAIN and VFS_CLOSE like a file,
 * so a POSIX read() or close() never needs to know it holds a terminal,
 * plus one call of its own, VFS_IOCTL (label 47):
 *
 *   VFS_IOCTL   w1 = the request (Linux's number, below), w2 = an integer
 *               argument; payload in/out: the request's struct.
 *     TTY_TCGETS          reply payload: struct tty_termios
 *     TTY_TCSETS(W,F)     payload: struct tty_termios (F: pending input
 *                         goes first; W waits for nothing: output is
 *                         written at once)
 *     TTY_TIOCGWINSZ      reply payload: struct tty_winsize
 *     TTY_TIOCSWINSZ      payload: struct tty_winsize
 *     TTY_TIOCGPGRP       w0 = the foreground process group (0: none)
 *     TTY_TIOCSPGRP       w2 = the new foreground process group (> 0)
 *     TTY_TIOCSCTTY       caps[0]: the caller's procd capability (a copy):
 *                         the terminal sends the signals of ^C, ^\ and
 *                         ^Z through it (PROC_KILL of -pgrp), acting as
 *                         the session leader that made it its terminal;
 *                         the caller's process group becomes the
 *                         foreground (w2)
 *     TTY_FIONREAD        w0 = bytes a read would return now
 *   Others: -AION_ENOSYS (the POSIX layer says ENOTTY, as vfsd's files
 *   answer every VFS_IOCTL).
 *
 * The name TTY_NAME in init's name service is the terminal itself, as a
 * directory of one entry: VFS_OPEN on it (any path, w1 = VFS_O_* flags)
 * gives a new open record's capability (SEND | GRANT: TIOCSCTTY carries a
 * capability). A VFS_READ waits (a saved reply) until the line
 * discipline delivers something: a whole line in canonical mode, VMIN
 * bytes in raw mode (VMIN 0: what is there, maybe nothing); with
 * VFS_O_NONBLOCK, -AION_EAGAIN instead of waiting.
 *
 * Numbers and flag bits are Linux's (x86_64), so the POSIX layer passes
 * them through unchanged.
 */
#ifndef AION_TTY_H
#define AION_TTY_H

#include <stdint.h>
#include "aion/vfs.h"

#define TTY_NAME                "tty"

/* Requests (w1 of VFS_IOCTL): Linux's ioctl numbers. */
#define TTY_TCGETS              0x5401u
#define TTY_TCSETS              0x5402u
#define TTY_TCSETSW             0x5403u
#define TTY_TCSETSF             0x5404u
#define TTY_TIOCSCTTY           0x540eu
#define TTY_TIOCGPGRP           0x540fu
#define TTY_TIOCSPGRP           0x5410u
#define TTY_TIOCGWINSZ          0x5413u
#define TTY_TIOCSWINSZ          0x5414u
#define TTY_FIONREAD            0x541bu

/* c_cc indexes. */
#define TTY_VINTR               0
#define TTY_VQUIT               1
#define TTY_VERASE              2
#define TTY_VKILL               3
#define TTY_VEOF                4
#define TTY_VTIME               5
#define TTY_VMIN                6
#define TTY_VSUSP               10
#define TTY_NCCS                19

/* c_iflag */
#define TTY_INLCR               0000100u
#define TTY_IGNCR               0000200u
#define TTY_ICRNL               0000400u
/* c_oflag */
#define TTY_OPOST               0000001u
#define TTY_ONLCR               0000004u
/* c_lflag */
#define TTY_ISIG                0000001u
#define TTY_ICANON              0000002u
#define TTY_ECHO                0000010u
#define TTY_ECHOE               0000020u
#define TTY_ECHOK               0000040u
#define TTY_ECHONL              0000100u
#define TTY_NOFLSH              0000200u
#define TTY_ECHOCTL             0001000u
#define TTY_ECHOKE              0004000u
#define TTY_IEXTEN              0100000u
/* c_cflag: what a serial line reports (B38400 | CS8 | CREAD) */
#define TTY_CFLAG_DEFAULT       0000277u

/* The kernel's struct termios (TCGETS), 36 bytes. */
struct tty_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[TTY_NCCS];
};

struct tty_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* Signals the line discipline raises (Linux's numbers). */
#define TTY_SIGINT              2
#define TTY_SIGQUIT             3
#define TTY_SIGTSTP             20

#endif /* AION_TTY_H */
