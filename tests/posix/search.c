/*
 * posix-diff (search): libc's searching, sorting and number parsing:
 * qsort and bsearch, the binary tree (tsearch, tfind, tdelete, twalk),
 * the hash table (hcreate, hsearch), lsearch and lfind, and strtol's,
 * strtoul's and strtod's ends and errors (ERANGE, no digits, bases).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errname.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int walked;

static void walk(const void *node, VISIT v, int depth)
{
	(void)depth;
	if (v == postorder || v == leaf)
		printf("%s%s", walked++ ? " " : "", *(char *const *)node);
}

int main(void)
{
	int v[] = { 42, -7, 19, 0, 1000, 3, 19, -40 };
	size_t n = sizeof(v) / sizeof(v[0]);
	qsort(v, n, sizeof(int), cmp_int);
	printf("sorted:");
	for (size_t i = 0; i < n; i++)
		printf(" %d", v[i]);
	printf("\n");
	int key = 3, miss = 4;
	int *hit = bsearch(&key, v, n, sizeof(int), cmp_int);
	printf("bsearch 3 at %td, 4 %s\n", hit ? hit - v : -1,
	       bsearch(&miss, v, n, sizeof(int), cmp_int) ? "found" : "missing");

	void *root = NULL;
	const char *words[] = { "pear", "apple", "fig", "kiwi", "apple", "date" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		tsearch(words[i], &root, cmp_str);
	printf("tree in order: ");
	twalk(root, walk);
	printf("\n");
	printf("tfind fig: %s, plum: %s\n", tfind("fig", &root, cmp_str) ? "found" : "missing",
	       tfind("plum", &root, cmp_str) ? "found" : "missing");
	tdelete("fig", &root, cmp_str);
	walked = 0;
	printf("after tdelete fig: ");
	twalk(root, walk);
	printf("\n");

	hcreate(16);
	char *keys[] = { "one", "two", "three" };
	for (int i = 0; i < 3; i++)
		hsearch((ENTRY){ .key = keys[i], .data = (void *)(long)(i + 1) }, ENTER);
	ENTRY *e = hsearch((ENTRY){ .key = "two" }, FIND);
	printf("hsearch two: %ld, four: %s\n", e ? (long)e->data : -1L,
	       hsearch((ENTRY){ .key = "four" }, FIND) ? "found" : "missing");
	hdestroy();

	int arr[8] = { 5, 6 };
	size_t cnt = 2;
	int seven = 7, five = 5;
	lsearch(&seven, arr, &cnt, sizeof(int), cmp_int);
	lsearch(&five, arr, &cnt, sizeof(int), cmp_int);
	printf("lsearch added 7 once: %zu elements, lfind 6 at %td\n", cnt,
	       (int *)lfind(&(int){ 6 }, arr, &cnt, sizeof(int), cmp_int) - arr);

	const char *nums[] = { "123abc", "  -0x1F", "0777", "9223372036854775808",
			       "-9223372036854775809", "abc", "+42", "" };
	int bases[] = { 10, 16, 0, 10, 10, 10, 10, 10 };
	for (int i = 0; i < 8; i++) {
		char *end;
		errno = 0;
		long r = strtol(nums[i], &end, bases[i]);
		int err = errno;
		printf("strtol('%s', %d) = %ld, rest '%s', errno %s\n", nums[i], bases[i], r, end,
		       en(err));
	}
	errno = 0;
	unsigned long u = strtoul("-1", NULL, 10);
	printf("strtoul('-1') is ULONG_MAX: %s, errno %s\n", u == (unsigned long)-1 ? "yes" : "no",
	       en(errno));
	char *end;
	errno = 0;
	double d = strtod("1e400", &end);
	printf("strtod('1e400') = %g, errno %s\n", d, en(errno));
	errno = 0;
	d = strtod("0x1.8p1 tail", &end);
	printf("strtod('0x1.8p1 tail') = %g, rest '%s'\n", d, end);
	printf("atoi(' 12z'): %d, atol('-5'): %ld\n", atoi(" 12z"), atol("-5"));
	return 0;
}
