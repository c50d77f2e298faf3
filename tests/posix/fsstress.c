/*
 * fsstress: a file-system stress whose end state the host checks (issue 18
 * Done when 2; tests/boot/boot_data.py `stress`).
 *
 *   fsstress ROOT WIDE DEEP BIG_MIB
 *
 * Under ROOT (made): wide/ gets WIDE files of varied sizes, every 4th
 * renamed, every 5th removed, every 7th truncated to half; deep/ is a chain
 * of DEEP directories "d", reached with mkdirat and openat from the level
 * above (no path holds them all), with a file "f" every 100 levels and
 * "bottom" at the end; big is BIG_MIB MiB written in 1 MiB writes, then
 * cut 12,345 bytes short. Then syncfs, and the manifest: one line per
 * regular file, "fsstress: M HASH SIZE NAME" (HASH: FNV-1a 64 of the
 * bytes, read back; NAME: wide/N, deep:LEVEL/N, big), found by listing
 * the directories (not from what was meant to be there), and
 * "fsstress: done files=N dirs=N". On a failure "fsstress: FAIL ...".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "benchutil.h"

#define MIB     (1024u * 1024u)

static char buf[MIB];
static unsigned files, dirs;

static void fail(const char *what)
{
	bench_fail("fsstress", what);
}

/* The bytes of a file: a pattern of (seed, offset). */
static void pattern(uint8_t *p, size_t n, uint64_t seed, uint64_t off)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = (seed + 1) * 0x9e3779b97f4a7c15ull + (off + i) / 8;
		p[i] = (uint8_t)((v ^ (v >> 29)) >> ((off + i) % 8 * 8));
	}
}

static void write_all(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		fail("write");
}

static void make_file(int dir, const char *name, uint64_t seed, size_t size)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		fail("openat create");
	pattern((uint8_t *)buf, size, seed, 0);
	write_all(fd, buf, size);
	if (close(fd))
		fail("close");
}

/* "M HASH SIZE NAME" of a regular file, read back in 1 MiB reads. */
static void manifest_line(int dir, const char *name, const char *label)
{
	int fd = openat(dir, name, O_RDONLY);
	uint64_t h = 0xcbf29ce484222325ull, size = 0;
	ssize_t n;
	if (fd < 0)
		fail("openat read");
	while ((n = read(fd, buf, MIB)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ (uint8_t)buf[i]) * 0x100000001b3ull;
		size += (uint64_t)n;
	}
	if (n < 0 || close(fd))
		fail("read");
	printf("fsstress: M %016llx %llu %s\n", (unsigned long long)h, (unsigned long long)size,
	       label);
	files++;
}

static void wide(int root, unsigned count)
{
	char name[32], to[32];
	if (mkdirat(root, "wide", 0755))
		fail("mkdir wide");
	int dir = openat(root, "wide", O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		fail("open wide");
	for (unsigned i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "f%05u", i);
		size_t size = (size_t)(i * 37u % 3000u + 1u);
		make_file(dir, name, i, size);
		if (i % 4 == 1) {
			snprintf(to, sizeof(to), "r%05u", i);
			if (renameat(dir, name, dir, to))
				fail("renameat");
			strcpy(name, to);
		}
		if (i % 5 == 2 && unlinkat(dir, name, 0))
			fail("unlinkat");
		if (i % 5 != 2 && i % 7 == 3) {
			int fd = openat(dir, name, O_WRONLY);
			if (fd < 0 || ftruncate(fd, (off_t)size / 2) || close(fd))
				fail("ftruncate");
		}
	}
	close(dir);
}

static void deep(int root, unsigned levels)
{
	char name[16];
	if (mkdirat(root, "deep", 0755))
		fail("mkdir deep");
	int fd = openat(root, "deep", O_RDONLY | O_DIRECTORY);
	for (unsigned k = 1; fd >= 0 && k <= levels; k++) {
		if (mkdirat(fd, "d", 0755))
			fail("mkdirat d");
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		if (next < 0)
			fail("openat d");
		close(fd);
		fd = next;
		if (k % 100 == 0)
			make_file(fd, "f", 100000 + k, 1000 + k);
		if (k == levels) {
			snprintf(name, sizeof(name), "bottom");
			make_file(fd, name, 999999, 4321);
		}
	}
	if (fd < 0)
		fail("open deep");
	close(fd);
}

static void big(int root, unsigned mib)
{
	int fd = openat(root, "big", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		fail("create big");
	for (unsigned i = 0; i < mib; i++) {
		pattern((uint8_t *)buf, MIB, 7, (uint64_t)i * MIB);
		write_all(fd, buf, MIB);
	}
	if (ftruncate(fd, (off_t)mib * MIB - 12345) || close(fd))
		fail("truncate big");
}

/* Each directory's regular files into the manifest; "d" is followed down
 * (closing the level above: only one level is open at a time). */
static void walk(int fd, const char *prefix, unsigned level)
{
	char label[320];
	for (;;) {
		int next = -1;
		DIR *d = fdopendir(dup(fd));
		struct dirent *e;
		if (!d)
			fail("fdopendir");
		dirs++;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (e->d_type == DT_DIR && !strcmp(e->d_name, "d")) {
				next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
				if (next < 0)
					fail("openat d (walk)");
				continue;
			}
			if (level)
				snprintf(label, sizeof(label), "%s:%u/%s", prefix, level, e->d_name);
			else
				snprintf(label, sizeof(label), "%s/%s", prefix, e->d_name);
			manifest_line(fd, e->d_name, label);
		}
		closedir(d);
		close(fd);
		if (next < 0)
			return;
		fd = next;
		level++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: fsstress ROOT WIDE DEEP BIG_MIB\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdir(argv[1], 0755))
		fail("mkdir ROOT");
	int root = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (root < 0)
		fail("open ROOT");
	wide(root, (unsigned)atoi(argv[2]));
	printf("fsstress: wide made\n");
	deep(root, (unsigned)atoi(argv[3]));
	printf("fsstress: deep made\n");
	big(root, (unsigned)atoi(argv[4]));
	printf("fsstress: big made\n");
	if (syncfs(root))
		fail("syncfs");
	walk(openat(root, "wide", O_RDONLY | O_DIRECTORY), "wide", 0);
	walk(openat(root, "deep", O_RDONLY | O_DIRECTORY), "deep", 0);
	manifest_line(root, "big", "big");
	printf("fsstress: done files=%u dirs=%u\n", files, dirs);
	return 0;
}
