/*
 * diskbench: the Linux peer's `peerbench disk` figures (../shared/
 * linux-peer/README.md "disk"), measured the same way on a file of a
 * mounted file system instead of the raw device (Aion's programs reach
 * the disk only through ext2d): bench/disk runs it in busybox's shell.
 *
 *   diskbench FILE SEQ_MIB RAND_S FSYNC_ITERS
 *
 * - seq write: SEQ_MIB writes of 1 MiB from offset 0 (each MiB carries its
 *   index in its first 8 bytes), then one fdatasync; MiB / all of it.
 * - seq read: the same MiB read back in 1 MiB reads, indexes checked.
 * - rand read / write: 4 KiB at uniformly random 4 KiB-aligned offsets
 *   inside the file, one at a time, RAND_S seconds each (xorshift, fixed
 *   seeds); requests / s and each request's latency; after the writes one
 *   fdatasync, not timed.
 * - fsync: FSYNC_ITERS x (pwrite 4 KiB at offset i x 4 KiB, fdatasync).
 * Medians are the lower middle sample, p99 element ceil(0.99 n) - 1 of
 * the sorted samples (peerbench's). Prints "diskbench: progress ..."
 * lines, then one "diskbench: result {JSON}" line, or "diskbench: FAIL
 * why" and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "benchutil.h"

#define MIB             (1024u * 1024u)
#define BLOCK           4096u
#define SAMPLES_MAX     20000u  /* 160 KiB: a process of the shell has a few MiB */

static void fail(const char *what)
{
	bench_fail("diskbench", what);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* "NAME_median":..,"NAME_p99":.. of n latencies in µs (sorted in place). */
static void lat_json(char *out, size_t cap, const char *name, uint64_t *v, size_t n)
{
	if (!n) {
		snprintf(out, cap, "\"%s_median\":null,\"%s_p99\":null", name, name);
		return;
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);
	size_t p99 = (n * 99 + 99) / 100;
	snprintf(out, cap, "\"%s_median\":%.1f,\"%s_p99\":%.1f,\"%s_min\":%.1f,\"%s_max\":%.1f",
		 name, v[(n - 1) / 2] / 1000.0, name, v[p99 - 1] / 1000.0, name, v[0] / 1000.0,
		 name, v[n - 1] / 1000.0);
}

/* Random 4 KiB requests for secs seconds: how many, their latencies. */
static size_t random_io(int fd, int write, uint64_t blocks, unsigned secs, char *buf,
			uint64_t *lat, double *iops)
{
	uint64_t seed = write ? 0x9e3779b97f4a7c15ull : 0x2545f4914f6cdd1dull;
	uint64_t t0 = now_ns(), end = t0 + secs * 1000000000ull, t;
	size_t n = 0;

	do {
		off_t off = (off_t)(xorshift(&seed) % blocks) * BLOCK;
		uint64_t s = now_ns();
		ssize_t r = write ? pwrite(fd, buf, BLOCK, off) : pread(fd, buf, BLOCK, off);
		if (r != (ssize_t)BLOCK)
			fail(write ? "random pwrite" : "random pread");
		t = now_ns();
		if (n < SAMPLES_MAX)
			lat[n] = t - s;
		n++;
	} while (t < end);
	*iops = n / ((t - t0) / 1e9);
	return n < SAMPLES_MAX ? n : SAMPLES_MAX;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: diskbench FILE SEQ_MIB RAND_S FSYNC_ITERS\n");
		return 2;
	}
	const char *path = argv[1];
	unsigned mib = (unsigned)atoi(argv[2]), secs = (unsigned)atoi(argv[3]);
	unsigned iters = (unsigned)atoi(argv[4]);
	char *buf = malloc(MIB);
	uint64_t *lat = malloc(SAMPLES_MAX * sizeof(uint64_t));
	static char rw[4][256], fs[256];
	if (!buf || !lat || !mib || !iters)
		fail("arguments or memory");
	memset(buf, 0x5a, MIB);

	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail("open");
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < mib; i++) {
		uint64_t tag = i;
		memcpy(buf, &tag, sizeof(tag));
		if (write(fd, buf, MIB) != (ssize_t)MIB)
			fail("sequential write");
		if (i % 64 == 63)
			printf("diskbench: progress write MiB=%u ms=%llu\n", i + 1,
			       (unsigned long long)((now_ns() - t0) / 1000000));
	}
	uint64_t ts = now_ns();
	if (fdatasync(fd))
		fail("fdatasync after the sequential write");
	uint64_t t1 = now_ns();
	double wr = mib / ((t1 - t0) / 1e9);

	if (lseek(fd, 0, SEEK_SET) != 0)
		fail("lseek");
	unsigned bad = 0;
	t0 = now_ns();
	for (unsigned i = 0; i < mib; i++) {
		uint64_t tag;
		if (read(fd, buf, MIB) != (ssize_t)MIB)
			fail("sequential read");
		memcpy(&tag, buf, sizeof(tag));
		bad += tag != i;
	}
	double rd = mib / ((now_ns() - t0) / 1e9);
	printf("diskbench: progress read MiB=%u bad=%u\n", mib, bad);

	uint64_t blocks = (uint64_t)mib * MIB / BLOCK;
	double riops, wiops;
	size_t n = random_io(fd, 0, blocks, secs, buf, lat, &riops);
	lat_json(rw[0], sizeof(rw[0]), "rand_read_lat_us", lat, n);
	n = random_io(fd, 1, blocks, secs, buf, lat, &wiops);
	lat_json(rw[1], sizeof(rw[1]), "rand_write_lat_us", lat, n);
	uint64_t tf = now_ns();
	if (fdatasync(fd))
		fail("fdatasync after the random writes");
	unsigned rand_sync_ms = (unsigned)((now_ns() - tf) / 1000000);
	printf("diskbench: progress random read_iops=%.1f write_iops=%.1f\n", riops, wiops);

	for (unsigned i = 0; i < iters && i < SAMPLES_MAX; i++) {
		uint64_t s = now_ns();
		if (pwrite(fd, buf, BLOCK, (off_t)i * BLOCK) != (ssize_t)BLOCK)
			fail("pwrite before fdatasync");
		if (fdatasync(fd))
			fail("fdatasync");
		lat[i] = now_ns() - s;
	}
	lat_json(fs, sizeof(fs), "fsync_us", lat, iters);
	if (close(fd))
		fail("close");
	printf("diskbench: result {\"seq_MiB\":%u,\"seq_write_MiB_s\":%.2f,"
	       "\"seq_write_final_fdatasync_ms\":%llu,\"seq_read_MiB_s\":%.2f,"
	       "\"seq_read_bad_MiB\":%u,\"rand_s\":%u,\"rand_read_iops\":%.1f,%s,"
	       "\"rand_write_iops\":%.1f,%s,\"rand_write_final_fdatasync_ms\":%u,"
	       "\"fsync_iters\":%u,%s}\n",
	       mib, wr, (unsigned long long)((t1 - ts) / 1000000), rd, bad, secs, riops, rw[0],
	       wiops, rw[1], rand_sync_ms, iters, fs);
	return bad ? 1 : 0;
}
