/* Host tests for space/lib/malloc.c: sizes, reuse, and pages going back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "libaion/malloc.h"

static size_t live_pages;

static void *get(size_t n)
{
	void *p = aligned_alloc(4096, n * 4096);
	memset(p, 0, n * 4096);
	live_pages += n;
	return p;
}

static void put(void *p, size_t n)
{
	live_pages -= n;
	free(p);
}

const struct malloc_pages malloc_unit_pages = { get, put };

static void test_sizes_and_return(void **state)
{
	(void)state;
	void *p[400];
	size_t sizes[] = { 1, 16, 17, 100, 2048, 2049, 5000, 70000 };

	for (unsigned i = 0; i < 400; i++) {
		size_t n = sizes[i % 8];
		p[i] = aion_malloc(n);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(((unsigned char *)p[i])[k], 0);        /* zeroed */
		memset(p[i], (int)i, n);
	}
	assert_true(malloc_pages_held() > 0);
	assert_int_equal(malloc_pages_held(), live_pages);
	for (unsigned i = 0; i < 400; i++)
		aion_free(p[i]);
	assert_int_equal(malloc_pages_held(), 0);       /* all of it went back */
	assert_int_equal(live_pages, 0);
}

static void test_calloc_overflow_and_null(void **state)
{
	(void)state;
	volatile size_t big = SIZE_MAX / 2;
	assert_null(aion_calloc(big, 4));
	aion_free(NULL);
	char *s = aion_calloc(10, 10);
	assert_non_null(s);
	assert_int_equal(s[99], 0);
	aion_free(s);
	assert_int_equal(malloc_pages_held(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_return),
		cmocka_unit_test(test_calloc_overflow_and_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
