/*
 * Unmodified C: musl's malloc on Aion (brk heap, mmap for big blocks),
 * mmap/mprotect/munmap/madvise directly, and the monotonic clock. Prints
 * "malloc: ok ..." and exits 0, or names the first check that failed and
 * exits with its number. Integers only (printf-free: runs without SSE).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SMALL 3000
#define PAGE 4096

static uint32_t rnd = 0x12345678u;

static uint32_t next(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 17;
	rnd ^= rnd << 5;
	return rnd;
}

static void put_num(unsigned long v)
{
	char b[24];
	int i = sizeof(b) - 1;

	b[i] = '\0';
	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	fputs(b + i, stdout);
}

static int fail(int code, const char *what)
{
	fputs("malloc: FAIL ", stdout);
	fputs(what, stdout);
	fputs("\n", stdout);
	return code;
}

static unsigned char tag(size_t i)
{
	return (unsigned char)(i * 131 + 7);
}

static int check(const unsigned char *p, size_t len, unsigned char t)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(t + i))
			return 0;
	return 1;
}

static void fill(unsigned char *p, size_t len, unsigned char t)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(t + i);
}

int main(void)
{
	static unsigned char *blk[SMALL];
	static size_t len[SMALL];
	unsigned long bytes = 0;
	struct timespec t0, t1;

	if (clock_gettime(CLOCK_MONOTONIC, &t0))
		return fail(2, "clock_gettime");
	/* musl's first malloc guards its metadata with a PROT_NONE page
	 * mapped MAP_FIXED over the heap: that succeeds and leaves errno
	 * alone, as on Linux (PTS mlock/5-1 checks errno after a malloc). */
	errno = 0;
	void *first = malloc(16);
	if (!first || errno)
		return fail(21, "the first malloc set errno");
	free(first);
	/* Small blocks from the brk heap, each with its own pattern. */
	for (size_t i = 0; i < SMALL; i++) {
		len[i] = 1 + next() % 2048;
		if (!(blk[i] = malloc(len[i])))
			return fail(3, "malloc small");
		fill(blk[i], len[i], tag(i));
		bytes += len[i];
	}
	for (size_t i = 0; i < SMALL; i += 2) {         /* half go, half grow */
		free(blk[i]);
		blk[i] = NULL;
		size_t grown = len[i + 1] + 1 + next() % 4096;
		unsigned char *p = realloc(blk[i + 1], grown);
		if (!p)
			return fail(4, "realloc");
		if (!check(p, len[i + 1], tag(i + 1)))
			return fail(5, "realloc lost the content");
		fill(p, grown, tag(i + 1));
		blk[i + 1] = p, len[i + 1] = grown;
	}
	for (size_t i = 1; i < SMALL; i += 2)
		if (!check(blk[i], len[i], tag(i)))
			return fail(6, "a block was overwritten");
	/* calloc after frees: zeroed even where freed blocks were. */
	unsigned char *z = calloc(1000, 7);
	if (!z)
		return fail(7, "calloc");
	for (size_t i = 0; i < 7000; i++)
		if (z[i])
			return fail(8, "calloc not zero");
	free(z);
	for (size_t i = 1; i < SMALL; i += 2)
		free(blk[i]);

	/* Big blocks (mmap): allocated and freed again and again, so the
	 * memory must come back each time (the unit's quota is 8 MiB). */
	for (unsigned round = 0; round < 40; round++) {
		size_t n = (1u << 20) + (next() % (2u << 20));
		unsigned char *p = malloc(n);
		if (!p)
			return fail(9, "malloc big");
		fill(p, n, (unsigned char)round);
		if (!check(p, n, (unsigned char)round))
			return fail(10, "big block content");
		free(p);
		bytes += n;
	}

	/* mmap directly: PROT_NONE reserved, opened page by page. */
	unsigned char *m = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return fail(11, "mmap PROT_NONE");
	for (int i = 0; i < 16; i++) {
		if (mprotect(m + i * PAGE, PAGE, PROT_READ | PROT_WRITE))
			return fail(12, "mprotect");
		m[i * PAGE] = (unsigned char)(i + 1);
	}
	if (mprotect(m, PAGE, PROT_READ) == 0)
		return fail(13, "mprotect of a mapped page must be refused");
	if (madvise(m, 16 * PAGE, MADV_DONTNEED) || m[5 * PAGE] != 0)
		return fail(14, "madvise DONTNEED must zero");
	m[3 * PAGE] = 9;
	if (munmap(m + 4 * PAGE, 8 * PAGE) || m[3 * PAGE] != 9)
		return fail(15, "munmap of the middle");
	unsigned char *f = mmap(m + 4 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (f != m + 4 * PAGE || f[0] != 0)
		return fail(16, "mmap MAP_FIXED into the hole");
	if (munmap(m, 16 * PAGE))
		return fail(17, "munmap all");
	unsigned char *sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || sh[0] != 0 || (sh[PAGE - 1] = 5, sh[PAGE - 1] != 5) || munmap(sh, PAGE))
		return fail(18, "MAP_SHARED|MAP_ANONYMOUS: a zeroed page that keeps a write");

	struct timespec nap = { 0, 5 * 1000 * 1000 };
	if (nanosleep(&nap, NULL) || clock_gettime(CLOCK_MONOTONIC, &t1))
		return fail(19, "nanosleep");
	long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	if (us < 5000)
		return fail(20, "the clock did not move by the nap");
	fputs("malloc: ok blocks=", stdout);
	put_num(SMALL + 40);
	fputs(" bytes=", stdout);
	put_num(bytes);
	fputs(" us=", stdout);
	put_num((unsigned long)us);
	fputs("\n", stdout);
	return 0;
}
