/*
 * The console's terminal seen by a POSIX program (posix-tty; docs/posix.md
 * "The terminal"). procd starts it with the terminal as fds 0-2; the boot
 * test (tests/boot/boot_tty.py) types on the serial console when a line
 * says "ready ...", and checks the lines that follow.
 *
 *   tty check   isatty, fstat, lseek, termios defaults, window size;
 *               canonical input with erase (the test types "abc DEL d CR"),
 *               ^D on an empty line, raw mode one byte at a time, VMIN 0,
 *               O_NONBLOCK, FIONREAD. Exit 0.
 *   tty sigint  a child loops forever in its own process group, made the
 *               foreground group; ^C typed on the console ends it with
 *               SIGINT while this parent, in another group, survives and
 *               reports it. Exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int fails;

#define CHECK(cond, ...) do { if (!(cond)) { fails++; printf("FAIL " __VA_ARGS__); \
	printf(" (line %d errno=%d)\n", __LINE__, errno); } } while (0)

static void check_identity(void)
{
	struct stat st;
	struct winsize ws = { 0 }, big = { .ws_row = 50, .ws_col = 132 };
	struct termios t;

	printf("isatty %d %d %d\n", isatty(0), isatty(1), isatty(2));
	int fd = open("/etc/aion-release", O_RDONLY);
	CHECK(fd >= 0, "open");
	errno = 0;
	int is = isatty(fd);
	printf("file isatty=%d enotty=%d\n", is, errno == ENOTTY);
	close(fd);
	CHECK(fstat(0, &st) == 0 && S_ISCHR(st.st_mode), "fstat");
	CHECK(lseek(1, 0, SEEK_CUR) == -1 && errno == ESPIPE, "lseek");
	CHECK((fcntl(0, F_GETFL) & O_ACCMODE) == O_RDWR, "getfl");
	CHECK(tcgetattr(0, &t) == 0, "tcgetattr");
	printf("termios icanon=%d echo=%d isig=%d icrnl=%d onlcr=%d verase=%d vintr=%d\n",
	       !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG),
	       !!(t.c_iflag & ICRNL), !!(t.c_oflag & ONLCR), t.c_cc[VERASE], t.c_cc[VINTR]);
	CHECK(ioctl(1, TIOCGWINSZ, &ws) == 0, "winsz");
	printf("winsize rows=%d cols=%d\n", ws.ws_row, ws.ws_col);
	CHECK(ioctl(1, TIOCSWINSZ, &big) == 0 && ioctl(2, TIOCGWINSZ, &ws) == 0 &&
	      ws.ws_row == 50 && ws.ws_col == 132, "swinsz");
	fflush(stdout);
}

static void check_canonical(void)
{
	char buf[64];
	printf("ready canon\n");
	fflush(stdout);
	ssize_t n = read(0, buf, sizeof(buf));
	printf("canon n=%zd text=%.*s\n", n, n > 0 ? (int)n - 1 : 0, buf);
	CHECK(n == 4 && !memcmp(buf, "abd\n", 4), "canonical line");
	/* ^D on an empty line: a read of 0, then input goes on. */
	printf("ready eof\n");
	fflush(stdout);
	n = read(0, buf, sizeof(buf));
	ssize_t m = read(0, buf, sizeof(buf));
	printf("eof n=%zd then=%zd\n", n, m);
}

static void check_raw(void)
{
	struct termios saved, raw;
	char c[3];
	int avail = -1;

	tcgetattr(0, &saved);
	raw = saved;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	CHECK(tcsetattr(0, TCSANOW, &raw) == 0, "raw");
	printf("ready raw\n");
	fflush(stdout);
	ssize_t a = read(0, &c[0], 1), b = read(0, &c[1], 1), d = read(0, &c[2], 1);
	printf("raw %zd %zd %zd bytes=%d,%d,%d\n", a, b, d, c[0], c[1], c[2]);
	/* VMIN 0: a read returns at once, with nothing. */
	raw.c_cc[VMIN] = 0;
	tcsetattr(0, TCSANOW, &raw);
	ssize_t z = read(0, c, 1);
	CHECK(ioctl(0, FIONREAD, &avail) == 0, "fionread");
	printf("vmin0 n=%zd fionread=%d\n", z, avail);
	tcsetattr(0, TCSANOW, &saved);
	/* Canonical with O_NONBLOCK and no line: EAGAIN. */
	int fl = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, fl | O_NONBLOCK);
	errno = 0;
	ssize_t w = read(0, c, 1);
	printf("nonblock n=%zd eagain=%d\n", w, errno == EAGAIN);
	fcntl(0, F_SETFL, fl);
}

static int check_sigint(void)
{
	pid_t child = fork();
	if (child == 0) {
		/* No output here: the child's fds name handles of its parent's
		 * table (fork does not carry capabilities yet). */
		for (;;)
			sched_yield();
	}
	if (child < 0)
		return 1;
	CHECK(setpgid(child, child) == 0, "setpgid");
	CHECK(ioctl(0, TIOCSCTTY, 0) == 0, "sctty");
	CHECK(tcsetpgrp(0, child) == 0, "tcsetpgrp");
	printf("foreground pgrp=%d is_child=%d\n", (int)tcgetpgrp(0), tcgetpgrp(0) == child);
	printf("ready sigint\n");
	fflush(stdout);
	int status = 0;
	pid_t w = waitpid(child, &status, 0);
	printf("child ended waited=%d signaled=%d sig=%d\n", w == child, WIFSIGNALED(status),
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	tcsetpgrp(0, getpgrp());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "check")) {
		check_identity();
		check_canonical();
		check_raw();
	} else if (argc == 2 && !strcmp(argv[1], "sigint")) {
		fails += check_sigint();
	} else {
		fprintf(stderr, "usage: tty check|sigint\n");
		return 2;
	}
	printf("done fails=%d\n", fails);
	return fails ? 1 : 0;
}
