/*
 * posix-diff (fileio): files' metadata and the errors of misuse (paths
 * relative, under tmp): stat's type, size and permission bits, chmod and
 * fchmod, umask at creation, access, rename over an existing file, a
 * file unlinked while open, O_DIRECTORY, reads and writes that must fail
 * (EISDIR, EBADF, ESPIPE), lseek past the end and the hole it leaves, and
 * fsync.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"

#define D "tmp/fileio"

static void mode(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		printf("stat %s: %s\n", path, en(errno));
		return;
	}
	printf("stat %s: %s size %lld mode %03o\n", path,
	       S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other",
	       S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL, (unsigned)(st.st_mode & 07777));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	mkdir(D, 0777);
	mode(D);
	int fd = open(D "/a", O_WRONLY | O_CREAT | O_TRUNC, 0666);
	write(fd, "hello, file\n", 12);
	mode(D "/a");
	printf("fchmod 0600: %d\n", fchmod(fd, 0600));
	close(fd);
	mode(D "/a");
	printf("chmod 0754: %d\n", chmod(D "/a", 0754));
	mode(D "/a");
	umask(077);
	fd = open(D "/b", O_RDWR | O_CREAT, 0666);
	mode(D "/b");
	umask(022);
	printf("access R_OK: %d, F_OK of a missing file: %s\n", access(D "/a", R_OK),
	       fails(access(D "/none", F_OK)));

	write(fd, "old contents", 12);
	close(fd);
	printf("rename a over b: %d\n", rename(D "/a", D "/b"));
	mode(D "/a");
	mode(D "/b");

	fd = open(D "/b", O_RDONLY);
	printf("unlink while open: %d\n", unlink(D "/b"));
	char buf[32] = { 0 };
	printf("read after unlink: %zd '%.11s'\n", read(fd, buf, sizeof(buf) - 1), buf);
	struct stat st;
	fstat(fd, &st);
	printf("fstat after unlink: size %lld\n", (long long)st.st_size);
	printf("write to a read-only fd: %s\n", fails((int)write(fd, "x", 1)));
	close(fd);
	mode(D "/b");

	printf("O_DIRECTORY on a file: ");
	fd = open(D "/c", O_WRONLY | O_CREAT, 0644);
	close(fd);
	printf("%s\n", fails(open(D "/c", O_RDONLY | O_DIRECTORY)));
	fd = open(D, O_RDONLY | O_DIRECTORY);
	printf("O_DIRECTORY on a directory: %s\n", fd >= 0 ? "opened" : en(errno));
	printf("read of a directory: %s\n", fails((int)read(fd, buf, 4)));
	close(fd);
	printf("open a directory for writing: %s\n", fails(open(D, O_WRONLY)));
	printf("a path through a file: %s\n", fails(open(D "/c/x", O_RDONLY)));
	printf("read of a closed fd: %s\n", fails((int)read(fd, buf, 4)));

	fd = open(D "/c", O_RDWR);
	printf("lseek 100 past the end: %lld\n", (long long)lseek(fd, 100, SEEK_END));
	write(fd, "Z", 1);
	fstat(fd, &st);
	printf("size after a write there: %lld\n", (long long)st.st_size);
	pread(fd, buf, 4, 50);
	printf("the hole reads as zeros: %d %d %d %d\n", buf[0], buf[1], buf[2], buf[3]);
	printf("lseek to -1: %s\n", fails((int)lseek(fd, -1, SEEK_SET)));
	printf("fsync: %d, fdatasync: %d\n", fsync(fd), fdatasync(fd));
	close(fd);

	int p[2];
	pipe(p);
	printf("lseek on a pipe: %s\n", fails((int)lseek(p[0], 0, SEEK_SET)));
	close(p[0]);
	close(p[1]);

	unlink(D "/c");
	printf("rmdir: %d\n", rmdir(D));
	mode(D);
	return 0;
}
