/*
 * posix-diff (locks): byte-range locks within one process. A process's
 * own POSIX locks never conflict with each other (F_GETLK says F_UNLCK,
 * a second F_SETLK replaces or splits); open-file-description locks
 * (F_OFD_*) of two opens of one file do conflict; closing any fd of a
 * file drops the process's POSIX locks on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define F "tmp/locks.dat"

static const char *type(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static const char *err(int r)
{
	if (r >= 0)
		return "ok";
	return errno == EAGAIN ? "EAGAIN" : errno == EACCES ? "EAGAIN" : errno == EBADF ? "EBADF" :
	       errno == EINVAL ? "EINVAL" : strerror(errno);
}

static int lk(int fd, int cmd, short t, off_t start, off_t len)
{
	struct flock fl = { .l_type = t, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

static void get(int fd, int cmd, short t, off_t start, off_t len, const char *what)
{
	struct flock fl = { .l_type = t, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int r = fcntl(fd, cmd, &fl);
	printf("%s: %s %s", what, err(r), type(fl.l_type));
	if (r == 0 && fl.l_type != F_UNLCK)
		printf(" start=%lld len=%lld", (long long)fl.l_start, (long long)fl.l_len);
	printf("\n");
}

int main(void)
{
	int a = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int b = open(F, O_RDWR);
	int r = open(F, O_RDONLY);
	write(a, "0123456789abcdef", 16);

	printf("POSIX write lock 0..9 on a: %s\n", err(lk(a, F_SETLK, F_WRLCK, 0, 10)));
	get(b, F_GETLK, F_WRLCK, 0, 0, "GETLK through b (same process)");
	printf("POSIX write lock 5..14 on b: %s\n", err(lk(b, F_SETLK, F_WRLCK, 5, 10)));
	printf("read lock on a read-only fd: %s\n", err(lk(r, F_SETLK, F_RDLCK, 0, 1)));
	printf("write lock on a read-only fd: %s\n", err(lk(r, F_SETLK, F_WRLCK, 0, 1)));
	printf("bad type: %s\n", err(lk(a, F_SETLK, 7, 0, 1)));
	printf("negative start: %s\n", err(lk(a, F_SETLK, F_WRLCK, -1, 1)));

	printf("OFD write lock 0..3 on a: %s\n", err(lk(a, F_OFD_SETLK, F_WRLCK, 0, 4)));
	printf("OFD write lock 2..5 on b: %s\n", err(lk(b, F_OFD_SETLK, F_WRLCK, 2, 4)));
	get(b, F_OFD_GETLK, F_WRLCK, 2, 4, "OFD GETLK through b");
	get(b, F_OFD_GETLK, F_RDLCK, 8, 4, "OFD GETLK past it");
	printf("OFD read lock 8..11 on b: %s\n", err(lk(b, F_OFD_SETLK, F_RDLCK, 8, 4)));
	printf("OFD read lock 8..9 on r: %s\n", err(lk(r, F_OFD_SETLK, F_RDLCK, 8, 2)));
	printf("OFD write lock 9 on a: %s\n", err(lk(a, F_OFD_SETLK, F_WRLCK, 9, 1)));
	printf("OFD unlock 0..3 on a: %s\n", err(lk(a, F_OFD_SETLK, F_UNLCK, 0, 4)));
	printf("OFD write lock 2..5 on b again: %s\n", err(lk(b, F_OFD_SETLK, F_WRLCK, 2, 4)));
	get(a, F_OFD_GETLK, F_RDLCK, 0, 0, "OFD GETLK of the whole file through a");

	/* Closing r drops the process's POSIX locks; OFD locks of a and b stay. */
	close(r);
	printf("after closing r, OFD write lock 0..1 on a: %s\n", err(lk(a, F_OFD_SETLK, F_WRLCK, 0, 2)));
	get(b, F_OFD_GETLK, F_WRLCK, 0, 1, "OFD GETLK 0 through b");
	close(b);
	printf("after closing b, OFD write lock 2..5 on a: %s\n", err(lk(a, F_OFD_SETLK, F_WRLCK, 2, 4)));
	close(a);
	unlink(F);
	return 0;
}
