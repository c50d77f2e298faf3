/*
 * posix-diff (mmap): anonymous private memory: fresh pages read zero,
 * writes stay, a hint is only a hint, MAP_FIXED replaces what was there,
 * munmap frees a hole in the middle, PROT_NONE then mprotect to
 * read/write (musl's malloc does this), and the errors of bad lengths,
 * offsets and flags; private mappings of a file (its bytes, at an
 * offset, zero past its end, writes that stay in memory). Addresses differ
 * between machines: only relations between them are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *err(void *p)
{
	if (p != MAP_FAILED)
		return "ok";
	return errno == EINVAL ? "EINVAL" : errno == ENOMEM ? "ENOMEM" : errno == EBADF ? "EBADF" :
	       errno == ENODEV ? "ENODEV" : errno == EACCES ? "EACCES" : strerror(errno);
}

static const char *rerr(int r)
{
	return r == 0 ? "ok" : errno == EINVAL ? "EINVAL" : errno == ENOMEM ? "ENOMEM" : strerror(errno);
}

static int all(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	printf("page size: %ld\n", page);

	size_t len = 64 * (size_t)page;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("64 pages: %s, page aligned: %d, zero: %d\n", err(p),
	       ((uintptr_t)p & (page - 1)) == 0, p != MAP_FAILED && all(p, len, 0));
	memset(p, 0xa5, len);
	printf("written: %d\n", all(p, len, 0xa5));

	printf("munmap pages 10..19: %s\n", rerr(munmap(p + 10 * page, 10 * page)));
	unsigned char *q = mmap(p + 10 * page, 10 * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED into the hole: %s, at the hole: %d, zero: %d\n", err(q), q == p + 10 * page,
	       q != MAP_FAILED && all(q, 10 * (size_t)page, 0));
	printf("pages around the hole kept: %d %d\n", all(p, 10 * (size_t)page, 0xa5),
	       all(p + 20 * page, 44 * (size_t)page, 0xa5));
	q = mmap(p, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED over mapped pages: %s, zeroed: %d, the next kept: %d\n", err(q),
	       q != MAP_FAILED && all(q, 2 * (size_t)page, 0), p[2 * page] == 0xa5);
	printf("munmap all: %s\n", rerr(munmap(p, len)));

	unsigned char *r = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("PROT_NONE reservation: %s\n", err(r));
	printf("mprotect 2 pages read/write: %s\n", rerr(mprotect(r, 2 * page, PROT_READ | PROT_WRITE)));
	r[0] = 1;
	r[2 * page - 1] = 2;
	printf("used: %d %d, rest zero: %d\n", r[0], r[2 * page - 1], all(r + 1, 2 * page - 2, 0));
	printf("munmap: %s\n", rerr(munmap(r, 4 * page)));

	unsigned char *big = mmap(NULL, 4u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
	printf("4 MiB: %s\n", err(big));
	if (big != MAP_FAILED) {
		for (size_t i = 0; i < (4u << 20); i += page)
			big[i] = (unsigned char)(i / page);
		unsigned sum = 0;
		for (size_t i = 0; i < (4u << 20); i += page)
			sum += big[i];
		printf("touched every page, sum %u\n", sum);
		munmap(big, 4u << 20);
	}

	/* A file of 5000 bytes: i % 251 at offset i. */
	unsigned char data[5000];
	for (int i = 0; i < 5000; i++)
		data[i] = (unsigned char)(i % 251);
	int fd = open("tmp/mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, data, sizeof(data));
	unsigned char *f = mmap(NULL, 5000, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("file, read-only private: %s, same bytes: %d, zero after the end: %d\n", err(f),
	       f != MAP_FAILED && !memcmp(f, data, 5000), f != MAP_FAILED && all(f + 5000, 2 * page - 5000, 0));
	munmap(f, 5000);
	f = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, page);
	printf("file at offset %ld: %s, same bytes: %d\n", page, err(f),
	       f != MAP_FAILED && !memcmp(f, data + page, 5000 - page));
	if (f != MAP_FAILED)
		f[0] = 0xee;
	unsigned char b = 0;
	pread(fd, &b, 1, page);
	printf("a write to the private copy leaves the file: %d\n", b == data[page]);
	munmap(f, page);
	f = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	printf("file, read-only shared: %s, same bytes: %d\n", err(f), f != MAP_FAILED && !memcmp(f, data, 100));
	munmap(f, page);
	close(fd);
	fd = open("tmp/mapped", O_WRONLY);
	printf("file open write-only: %s\n", err(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0)));
	close(fd);
	fd = open("tmp", O_RDONLY | O_DIRECTORY);
	printf("a directory: %s\n", err(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0)));
	close(fd);
	unlink("tmp/mapped");

	printf("length 0: %s\n", err(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
	printf("neither private nor shared: %s\n", err(mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0)));
	printf("unaligned offset: %s\n", err(mmap(NULL, page, PROT_READ, MAP_PRIVATE, 0, 1)));
	printf("file mapping of a bad fd: %s\n", err(mmap(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0)));
	printf("MAP_FIXED unaligned: %s\n",
	       err(mmap((void *)(uintptr_t)(page + 1), page, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	printf("munmap unaligned: %s\n", rerr(munmap((void *)(uintptr_t)(page + 1), page)));
	printf("munmap length 0: %s\n", rerr(munmap((void *)(uintptr_t)(16 * page), 0)));
	printf("a length past the address space: %s\n",
	       err(mmap(NULL, (size_t)-page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));

	/* Locking: resident memory locks; a hole does not. */
	char *lk = malloc(100);
	char on_stack[64];
	printf("mlock of a heap block: %s\n", rerr(mlock(lk, 100)));
	printf("mlock of the stack: %s\n", rerr(mlock(on_stack, sizeof(on_stack))));
	printf("munlock: %s\n", rerr(munlock(lk, 100)));
	void *hole = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, page);
	printf("mlock of a hole: %s\n", rerr(mlock(hole, page)));
	printf("mlockall(0): %s\n", rerr(mlockall(0)));
	printf("mlockall(MCL_CURRENT): %s, munlockall: %s\n", rerr(mlockall(MCL_CURRENT)),
	       rerr(munlockall()));
	free(lk);

	/* Limits: the fd table's is finite; setting one to itself changes nothing. */
	struct rlimit rl;
	int got = getrlimit(RLIMIT_NOFILE, &rl);
	printf("getrlimit(RLIMIT_NOFILE): %s, finite: %d, cur <= max: %d\n", rerr(got),
	       rl.rlim_cur != RLIM_INFINITY, rl.rlim_cur <= rl.rlim_max);
	printf("setrlimit to the same: %s\n", rerr(setrlimit(RLIMIT_NOFILE, &rl)));
	rl.rlim_cur = rl.rlim_max + 1;
	printf("setrlimit cur above max: %s\n", rerr(setrlimit(RLIMIT_NOFILE, &rl)));
	printf("getrlimit of no resource: %s\n", rerr(getrlimit(99, &rl)));

	/* RLIMIT_AS, last (it cannot be raised again): a 100 MiB reservation
	 * fits before it and not after; a small map still does. */
	size_t huge = 100u << 20;
	void *res = mmap(NULL, huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("100 MiB PROT_NONE before a limit: %s\n", err(res));
	if (res != MAP_FAILED)
		munmap(res, huge);
	rl.rlim_cur = rl.rlim_max = 64u << 20;
	printf("setrlimit(RLIMIT_AS, 64 MiB): %s\n", rerr(setrlimit(RLIMIT_AS, &rl)));
	struct rlimit back;
	getrlimit(RLIMIT_AS, &back);
	printf("read back: %lu MiB\n", (unsigned long)(back.rlim_cur >> 20));
	res = mmap(NULL, huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("100 MiB after: %s\n", err(res));
	res = mmap(NULL, 1u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("1 MiB after: %s\n", err(res));
	return 0;
}
