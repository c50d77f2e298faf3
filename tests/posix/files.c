/*
 * Files through the POSIX layer and the VFS (docs/posix.md, docs/fs.md):
 * directories, files, offsets, stat, readdir, rename, unlink of an open
 * file, dup/dup2, fcntl flags and byte-range locks, truncate, the current
 * directory, permission bits, errors, and a file from the initramfs.
 * Plain portable C: built for Linux with musl-gcc it prints the same lines
 * (given /etc/aion-release with the initramfs' text). Each line is checked
 * by tests/boot/boot_units.py (FILES_LINES); exit 0, or 1 after a FAIL
 * line, or 2 when the first open fails (no file system: posix-nofs).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"

#define DIR_T   "/tmp/aion-files"

static int failed;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s errno=%s\n", \
	__LINE__, #cond, en(errno)); failed = 1; } } while (0)

static void release(void)
{
	char buf[64] = { 0 };
	int fd = open("/etc/aion-release", O_RDONLY);
	if (fd < 0) {
		printf("open /etc/aion-release: %s\n", en(errno));
		exit(2);
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0 && buf[n - 1] == '\n');
	if (n > 0)
		buf[n - 1] = '\0';
	printf("release: %s\n", buf);
	close(fd);
}

static char pattern(size_t i)
{
	return (char)('a' + (i * 7) % 26);
}

static void write_read(void)
{
	static char big[3000], back[4000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = pattern(i);
	int fd = open(DIR_T "/a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0640);
	CHECK(fd >= 0);
	ssize_t w = write(fd, "hello world\n", 12);
	w += write(fd, big, sizeof(big));
	printf("write %zd pos %ld\n", w, (long)lseek(fd, 0, SEEK_CUR));
	CHECK(lseek(fd, 6, SEEK_SET) == 6 && write(fd, "WORLD", 5) == 5);
	CHECK(close(fd) == 0);
	fd = open(DIR_T "/a.txt", O_RDONLY);
	ssize_t n = read(fd, back, sizeof(back));
	int ok = n == 3012 && memcmp(back, "hello WORLD\n", 12) == 0 &&
		 memcmp(back + 12, big, sizeof(big)) == 0;
	printf("read %zd %s\n", n, ok ? "same" : "different");
	char tail[20];
	n = pread(fd, tail, sizeof(tail), 3000);
	printf("pread at 3000: %zd %s\n", n, n == 12 && memcmp(tail, big + 2988, 12) == 0 ?
	       "same" : "different");
	CHECK(lseek(fd, 0, SEEK_CUR) == 3012);  /* pread leaves the offset */
	CHECK(read(fd, tail, 1) == 0);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("fstat size=%ld reg=%d perm=%o\n", (long)st.st_size, S_ISREG(st.st_mode),
	       (unsigned)(st.st_mode & 07777));
	close(fd);
	CHECK(stat(DIR_T "/sub", &st) == 0);
	printf("stat sub dir=%d perm=%o\n", S_ISDIR(st.st_mode), (unsigned)(st.st_mode & 07777));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(void)
{
	char *names[16];
	unsigned n = 0;
	DIR *d = opendir(DIR_T);
	CHECK(d != NULL);
	for (struct dirent *e; d && (e = readdir(d)) && n < 16;)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	printf("list:");
	for (unsigned i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void dups(void)
{
	int fd = open(DIR_T "/a.txt", O_RDONLY);
	int fd2 = dup(fd);
	CHECK(fd2 > fd);
	lseek(fd, 100, SEEK_SET);
	printf("dup shares offset %ld\n", (long)lseek(fd2, 0, SEEK_CUR));
	CHECK(dup2(fd, 9) == 9);
	char b[5];
	CHECK(read(9, b, 5) == 5);
	printf("dup2 offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	CHECK(fcntl(fd2, F_SETFD, FD_CLOEXEC) == 0);
	int cloexec = fcntl(fd2, F_GETFD), other = fcntl(fd, F_GETFD);
	int high = fcntl(fd, F_DUPFD, 20);
	printf("cloexec %d %d dupfd %s rdonly %d\n", cloexec, other, high >= 20 ? ">=20" : "low",
	       (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	close(high);
	close(9);
	close(fd2);
	printf("closed dup still reads %zd\n", read(fd, b, 5));
	close(fd);
	printf("closed fd: %s\n", fails((int)read(fd, b, 1)));
	fd = open(DIR_T "/a.txt", O_WRONLY | O_APPEND);
	int append = !!(fcntl(fd, F_GETFL) & O_APPEND);
	CHECK(write(fd, "!", 1) == 1);
	struct stat st;
	fstat(fd, &st);
	CHECK(fcntl(fd, F_SETFL, 0) == 0);
	printf("append %d size %ld then %d\n", append, (long)st.st_size,
	       !!(fcntl(fd, F_GETFL) & O_APPEND));
	close(fd);
}

static struct flock range(short type, off_t start, off_t len)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	return fl;
}

static const char *lock_text(const struct flock *fl)
{
	static char text[48];
	if (fl->l_type == F_UNLCK)
		return "unlocked";
	snprintf(text, sizeof(text), "%s %ld+%ld", fl->l_type == F_WRLCK ? "write" : "read",
		 (long)fl->l_start, (long)fl->l_len);
	return text;
}

static void locks(void)
{
	int w = open(DIR_T "/b.txt", O_RDWR | O_CREAT, 0644);
	char zeros[100] = { 0 };
	CHECK(write(w, zeros, sizeof(zeros)) == 100);
	int r = open(DIR_T "/b.txt", O_RDWR);  /* a second open file of the same file */
	struct flock fl = range(F_WRLCK, 10, 20);
	CHECK(fcntl(w, F_OFD_SETLK, &fl) == 0);
	fl = range(F_RDLCK, 0, 50);
	CHECK(fcntl(r, F_OFD_GETLK, &fl) == 0);
	printf("ofd getlk: %s\n", lock_text(&fl));
	fl = range(F_WRLCK, 15, 1);
	printf("ofd setlk: %s\n", fails(fcntl(r, F_OFD_SETLK, &fl)));
	/* A process's own POSIX locks never conflict with each other. */
	fl = range(F_WRLCK, 50, 10);
	CHECK(fcntl(w, F_SETLK, &fl) == 0);
	fl = range(F_WRLCK, 50, 10);
	CHECK(fcntl(r, F_GETLK, &fl) == 0);
	printf("posix getlk same process: %s\n", lock_text(&fl));
	fl = range(F_RDLCK, 40, 0);
	CHECK(fcntl(r, F_OFD_GETLK, &fl) == 0);
	printf("ofd sees posix lock: %s\n", lock_text(&fl));
	close(w);       /* its OFD lock and the process's POSIX locks on the file go */
	fl = range(F_WRLCK, 0, 0);
	CHECK(fcntl(r, F_OFD_GETLK, &fl) == 0);
	printf("after close: %s\n", lock_text(&fl));
	close(r);
}

static void names(void)
{
	struct stat st;
	CHECK(rename(DIR_T "/a.txt", DIR_T "/sub/c.txt") == 0);
	const char *old = fails(stat(DIR_T "/a.txt", &st));
	CHECK(stat(DIR_T "/sub/c.txt", &st) == 0);
	printf("rename: old %s new size %ld\n", old, (long)st.st_size);
	int fd = open(DIR_T "/sub/c.txt", O_RDONLY);
	CHECK(unlink(DIR_T "/sub/c.txt") == 0);
	char b[6] = { 0 };
	CHECK(pread(fd, b, 5, 0) == 5);
	printf("unlinked: %s, still reads %s\n", fails(stat(DIR_T "/sub/c.txt", &st)), b);
	close(fd);
	CHECK(truncate(DIR_T "/b.txt", 10) == 0);
	stat(DIR_T "/b.txt", &st);
	long t1 = (long)st.st_size;
	fd = open(DIR_T "/b.txt", O_RDWR);
	CHECK(ftruncate(fd, 5000) == 0);
	CHECK(pread(fd, b, 5, 4000) == 5);
	fstat(fd, &st);
	printf("truncate %ld ftruncate %ld zeros %d fsync %d\n", t1, (long)st.st_size,
	       !b[0] && !b[4], fsync(fd));
	close(fd);
}

static void errors(void)
{
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, DIR_T "/", strlen(DIR_T "/"));
	longname[sizeof(longname) - 1] = '\0';
	printf("errors: %s %s %s %s %s %s %s\n",
	       fails(open(DIR_T "/none", O_RDONLY)),
	       fails(open(DIR_T "/b.txt/x", O_RDONLY)),
	       fails(mkdir(DIR_T "/sub", 0755)),
	       fails(rmdir(DIR_T)),
	       fails(unlink(DIR_T "/sub")),
	       fails(open(DIR_T "/sub", O_WRONLY)),
	       fails(mkdir(longname, 0755)));
}

static void places(void)
{
	char cwd[64];
	struct stat st;
	CHECK(chdir(DIR_T "/sub") == 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	int fd = open("../b.txt", O_RDONLY);
	printf("cwd %s relative %s\n", cwd, fd >= 0 ? "opens" : en(errno));
	close(fd);
	CHECK(chdir("/") == 0);
	CHECK(chmod(DIR_T "/b.txt", 0600) == 0);
	stat(DIR_T "/b.txt", &st);
	const char *x = fails(access(DIR_T "/b.txt", X_OK));
	fd = open(DIR_T "/b.txt", O_RDONLY);
	CHECK(fchmod(fd, 0700) == 0);
	close(fd);
	printf("chmod %o x %s fchmod x %s\n", (unsigned)(st.st_mode & 07777), x,
	       fails(access(DIR_T "/b.txt", X_OK)));
	int dfd = open(DIR_T, O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "sub/d.txt", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && fchdir(dfd) == 0);
	printf("openat %s fstatat %s\n", fd >= 0 ? "ok" : en(errno),
	       fails(fstatat(dfd, "sub/d.txt", &st, 0)));
	close(fd);
	close(dfd);
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, DIR_T) == 0);
	CHECK(chdir("/") == 0);
}

static void big(void)
{
	size_t n = 100000;
	char *a = malloc(n), *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		a[i] = pattern(i * 3);
	int fd = open(DIR_T "/big", O_CREAT | O_RDWR | O_TRUNC, 0644);
	ssize_t w = write(fd, a, n);
	lseek(fd, 0, SEEK_SET);
	ssize_t r = read(fd, b, n);
	printf("big %zd %zd %s\n", w, r, memcmp(a, b, n) ? "different" : "same");
	close(fd);
	free(a);
	free(b);
}

static void clean(void)
{
	unlink(DIR_T "/big");
	unlink(DIR_T "/b.txt");
	unlink(DIR_T "/sub/d.txt");
	unlink(DIR_T "/sub/c.txt");
	unlink(DIR_T "/a.txt");
	rmdir(DIR_T "/sub");
	rmdir(DIR_T);
}

int main(void)
{
	umask(022);
	release();
	clean();        /* a run cut short on a host leaves these */
	CHECK(mkdir(DIR_T, 0755) == 0);
	CHECK(mkdir(DIR_T "/sub", 0755) == 0);
	write_read();
	list();
	dups();
	locks();
	list();
	names();
	errors();
	places();
	big();
	clean();
	struct stat st;
	printf("cleaned: %s\n", fails(stat(DIR_T, &st)));
	printf("files: %s\n", failed ? "FAIL" : "ok");
	return failed;
}
