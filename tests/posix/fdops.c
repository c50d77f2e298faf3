/*
 * posix-diff (fdops): what an fd and its open file description share:
 * dup, dup2, F_DUPFD, FD_CLOEXEC, O_APPEND, lseek, pread/pwrite,
 * readv/writev, ftruncate, O_EXCL and O_TRUNC, and the EBADF cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define F "tmp/fdops.txt"

static const char *err(long r)
{
	if (r >= 0)
		return "ok";
	return errno == EBADF ? "EBADF" : errno == EEXIST ? "EEXIST" : errno == EINVAL ? "EINVAL" :
	       errno == ENOENT ? "ENOENT" : errno == ESPIPE ? "ESPIPE" : strerror(errno);
}

static void show(int fd, const char *what)
{
	char buf[64] = { 0 };
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = '.';
	printf("%s: %zd bytes \"%s\"\n", what, n, n > 0 ? buf : "");
}

int main(void)
{
	int fd = open(F, O_RDWR | O_CREAT | O_EXCL, 0600);
	printf("create: %s\n", err(fd));
	printf("create again with O_EXCL: %s\n", err(open(F, O_RDWR | O_CREAT | O_EXCL, 0600)));
	printf("write: %zd\n", write(fd, "hello world", 11));

	int d = dup(fd);
	printf("dup is the lowest free fd above 2: %s\n", d > 2 ? "yes" : "no");
	printf("offsets shared: lseek(fd, 0, SEEK_CUR)=%ld, dup's=%ld\n",
	       (long)lseek(fd, 0, SEEK_CUR), (long)lseek(d, 0, SEEK_CUR));
	lseek(d, 6, SEEK_SET);
	char buf[32] = { 0 };
	ssize_t n = read(fd, buf, 5);
	printf("read through fd after seeking the dup: %zd \"%s\"\n", n, buf);
	printf("FD_CLOEXEC of the dup: %d\n", fcntl(d, F_GETFD));
	int c = fcntl(fd, F_DUPFD_CLOEXEC, 20);
	printf("F_DUPFD_CLOEXEC from 20: %d, flags %d\n", c, fcntl(c, F_GETFD));
	printf("F_SETFD 0: %s\n", err(fcntl(c, F_SETFD, 0)));
	printf("FD_CLOEXEC now: %d\n", fcntl(c, F_GETFD));
	printf("dup2 onto 30: %d\n", dup2(fd, 30));
	printf("dup2 onto itself: %d\n", dup2(30, 30));
	printf("dup3 onto itself: %s\n", err(dup3(30, 30, 0)));
	printf("close 30: %s\n", err(close(30)));
	printf("close a closed fd: %s\n", err(close(30)));
	printf("read a closed fd: %s\n", err(read(30, buf, 1)));
	printf("dup of a bad fd: %s\n", err(dup(-1)));

	printf("pwrite at 20 (past the end): %zd\n", pwrite(fd, "END", 3, 20));
	show(fd, "after the pwrite");
	printf("the offset did not move: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	printf("SEEK_END: %ld\n", (long)lseek(fd, 0, SEEK_END));
	printf("SEEK_END-5: %ld\n", (long)lseek(fd, -5, SEEK_END));
	printf("seek before 0: %s\n", err(lseek(fd, -100, SEEK_SET)));

	struct iovec wv[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
	lseek(fd, 0, SEEK_SET);
	printf("writev: %zd\n", writev(fd, wv, 3));
	char x[3] = { 0 }, y[5] = { 0 };
	struct iovec rv[2] = { { x, 2 }, { y, 4 } };
	lseek(fd, 0, SEEK_SET);
	n = readv(fd, rv, 2);
	printf("readv: %zd \"%s\" \"%s\"\n", n, x, y);

	printf("ftruncate to 4: %s\n", err(ftruncate(fd, 4)));
	show(fd, "after truncating");
	printf("ftruncate to 8: %s\n", err(ftruncate(fd, 8)));
	show(fd, "after growing");
	printf("ftruncate negative: %s\n", err(ftruncate(fd, -1)));

	int a = open(F, O_WRONLY | O_APPEND);
	printf("O_APPEND in F_GETFL: %s\n", fcntl(a, F_GETFL) & O_APPEND ? "yes" : "no");
	lseek(a, 0, SEEK_SET);
	printf("append write: %zd\n", write(a, "+A", 2));
	printf("offset after it: %ld\n", (long)lseek(a, 0, SEEK_CUR));
	show(fd, "after the append");
	printf("F_SETFL clears O_APPEND: %s\n", err(fcntl(a, F_SETFL, 0)));
	lseek(a, 0, SEEK_SET);
	write(a, "Z", 1);
	show(fd, "after a write at 0");
	printf("write on O_RDONLY: %s\n", err(write(open(F, O_RDONLY), "q", 1)));
	printf("read on O_WRONLY: %s\n", err(read(a, buf, 1)));
	close(a);

	int t = open(F, O_RDWR | O_TRUNC);
	struct stat st;
	fstat(t, &st);
	printf("O_TRUNC: size %lld\n", (long long)st.st_size);
	close(t);
	close(fd);
	close(d);
	close(c);
	printf("unlink: %s\n", err(unlink(F)));
	printf("unlink again: %s\n", err(unlink(F)));
	return 0;
}
