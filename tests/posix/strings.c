/*
 * posix-diff (strings): the C library's pure functions as programs use
 * them: conversions with their errno, formatting at the edges, sorting
 * and searching, tokenizing, regular expressions, fnmatch, wide
 * characters in the C locale, and qsort's stability-free order checked
 * by a comparison that breaks ties.
 */
#define _GNU_SOURCE     /* memmem */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void strtol_case(const char *s, int base)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, base);
	printf("strtol(\"%s\", %d) = %ld, rest \"%s\", %s\n", s, base, v, end,
	       errno == ERANGE ? "ERANGE" : errno == EINVAL ? "EINVAL" : "ok");
}

static void regex_case(const char *re, const char *s, int flags)
{
	regex_t r;
	regmatch_t m[3];
	int e = regcomp(&r, re, flags);
	if (e) {
		char buf[80];
		regerror(e, &r, buf, sizeof(buf));
		printf("regcomp(\"%s\"): %s\n", re, buf);
		return;
	}
	e = regexec(&r, s, 3, m, 0);
	printf("regexec(\"%s\", \"%s\"): %s", re, s, e ? "no match" : "match");
	for (int i = 0; !e && i < 3 && m[i].rm_so >= 0; i++)
		printf(" [%d,%d)", (int)m[i].rm_so, (int)m[i].rm_eo);
	printf("\n");
	regfree(&r);
}

int main(void)
{
	strtol_case("  -42xyz", 10);
	strtol_case("0x1fZ", 0);
	strtol_case("0777", 0);
	strtol_case("99999999999999999999", 10);
	strtol_case("-99999999999999999999", 10);
	strtol_case("zz", 36);
	strtol_case("", 10);
	errno = 0;
	unsigned long long u = strtoull("18446744073709551615", NULL, 10);
	printf("strtoull max: %llu %s\n", u, errno ? "ERANGE" : "ok");
	printf("strtod: %.17g %.17g %g %g\n", strtod("3.14159265358979323846", NULL),
	       strtod("1e-320", NULL), strtod("inf", NULL), strtod("-0x1.8p1", NULL));
	printf("atoi: %d %d, atol: %ld\n", atoi("  12abc"), atoi("-0"), atol("2147483648"));

	char small[8];
	const char *word = getenv("AION_NO_SUCH_VAR") ? "" : "truncated";  /* not known at compile time */
	int n = snprintf(small, sizeof(small), "%s-%d", word, 12345);
	printf("snprintf wanted %d, kept \"%s\"\n", n, small);
	printf("[%5s|%-5s|%.2s|%05d|%+d|% d|%x|%#o|%#x|%e|%G|%a]\n", "ab", "ab", "abcdef", 42, 7, 7,
	       0xbeefu, 8u, 255u, 12345.678, 0.00001234, 1.0);
	printf("[%lld|%llu|%" PRId64 "|%zu|%c|%%|%p]\n", LLONG_MIN, ULLONG_MAX, INT64_C(-1),
	       sizeof(long), 'x', (void *)0);

	int v[] = { 5, -3, 9, 0, 9, 2, -7, 4 };
	qsort(v, 8, sizeof(v[0]), cmp_int);
	printf("qsort:");
	for (int i = 0; i < 8; i++)
		printf(" %d", v[i]);
	int key = 4;
	int *found = bsearch(&key, v, 8, sizeof(v[0]), cmp_int);
	printf("; bsearch 4 at %d\n", found ? (int)(found - v) : -1);

	char line[] = "alpha, beta,,gamma ;delta";
	char *save, *tok = strtok_r(line, " ,;", &save);
	printf("strtok_r:");
	while (tok) {
		printf(" <%s>", tok);
		tok = strtok_r(NULL, " ,;", &save);
	}
	printf("\n");
	printf("strspn %zu strcspn %zu strpbrk %s strstr %s strrchr %s\n", strspn("aabbc", "ab"),
	       strcspn("hello", "lo"), strpbrk("hello", "lo"), strstr("needle in haystack", "hay"),
	       strrchr("a/b/c", '/'));
	printf("memmem: %s, strncasecmp: %d, strcasecmp <0: %d\n",
	       (char *)memmem("abcabd", 6, "abd", 3), strncasecmp("HeLLo", "hello", 5),
	       strcasecmp("apple", "Banana") < 0);
	printf("strdup/strndup: %s %s, strnlen %zu\n", strdup("copy"), strndup("abcdef", 3),
	       strnlen("abc", 10));
	printf("toupper/isalpha/isdigit/isspace: %c %d %d %d\n", toupper('q'), !!isalpha('z'),
	       !!isdigit('7'), !!isspace('\t'));

	regex_case("^([a-z]+)-([0-9]+)$", "item-42", REG_EXTENDED);
	regex_case("b+", "aabbbcc", REG_EXTENDED);
	regex_case("colou?r", "The COLOR red", REG_EXTENDED | REG_ICASE);
	regex_case("x\\{2,\\}", "axxxb", 0);
	regex_case("(unclosed", "x", REG_EXTENDED);
	printf("fnmatch: %d %d %d %d\n", fnmatch("*.c", "main.c", 0), fnmatch("*.c", "dir/main.c", FNM_PATHNAME),
	       fnmatch("[a-c]?", "bz", 0), fnmatch("\\*", "*", 0));

	wchar_t w[16];
	size_t wn = mbstowcs(w, "plain", 16);
	printf("mbstowcs: %zu, wcslen %zu, wcscmp %d\n", wn, wcslen(w), wcscmp(w, L"plain"));
	printf("strerror(ENOENT): %s\n", strerror(ENOENT));
	printf("ffs(0x50): %d, abs: %d, labs: %ld, div: %d r %d\n", ffs(0x50), abs(-5), labs(-7L),
	       div(17, 5).quot, div(17, 5).rem);
	return 0;
}
