/* Host tests for common/ipv4.c: "a.b.c.d" text to an address. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "common/ipv4.h"

#define SENTINEL 0xdeadbeefu

static bool parse(const char *s, uint32_t *a)
{
	*a = SENTINEL;
	return ipv4_parse(s, s ? strlen(s) : 0, a);
}

static void bad(const char *s)
{
	uint32_t a;
	if (parse(s, &a))
		fail_msg("accepted \"%s\"", s);
	assert_int_equal(a, SENTINEL);  /* untouched */
}

static void good(const char *s, uint32_t want)
{
	uint32_t a;
	if (!parse(s, &a))
		fail_msg("refused \"%s\"", s);
	assert_int_equal(a, want);
}

static void test_valid(void **state)
{
	(void)state;
	good("10.77.0.1", 0x0a4d0001);
	good("0.0.0.0", 0);
	good("255.255.255.255", 0xffffffff);
	good("127.0.0.1", 0x7f000001);
	good("1.2.3.4", 0x01020304);
	good("192.168.100.200", 0xc0a864c8);
	good("10.0.2.15", 0x0a00020f);
}

/* Policy: a multi-digit octet may not start with 0 (no octal ambiguity). */
static void test_leading_zeros(void **state)
{
	(void)state;
	good("0.10.100.0", 0x000a6400);
	bad("010.0.0.1");
	bad("10.077.0.1");
	bad("10.77.00.1");
	bad("10.77.0.001");
	bad("0001.2.3.4");
}

static void test_range(void **state)
{
	(void)state;
	bad("256.0.0.1");
	bad("1.2.3.256");
	bad("1.2.999.4");
	bad("1.2.3.1000");
	bad("4294967297.0.0.1");
	bad("-1.2.3.4");
	bad("+1.2.3.4");
}

static void test_dots(void **state)
{
	(void)state;
	bad("1.2.3");
	bad("1.2.3.4.5");
	bad("1..3.4");
	bad(".1.2.3.4");
	bad("1.2.3.4.");
	bad("1.2.3.");
	bad("...");
	bad("1234");
	bad("0x0a.0.0.1");
}

static void test_garbage(void **state)
{
	(void)state;
	bad("");
	bad(" 1.2.3.4");
	bad("1.2.3.4 ");
	bad("1.2.3.4x");
	bad("1.2.3.4/24");
	bad("1.2.3.4:80");
	bad("a.b.c.d");
	bad("1. 2.3.4");
}

static void test_lengths_and_null(void **state)
{
	(void)state;
	uint32_t a = SENTINEL;

	assert_false(ipv4_parse(NULL, 7, &a));
	assert_false(ipv4_parse("1.2.3.4", 7, NULL));
	assert_int_equal(a, SENTINEL);
	/* Exactly len bytes: no NUL needed; one inside is refused. */
	assert_true(ipv4_parse("1.2.3.4xyz", 7, &a));
	assert_int_equal(a, 0x01020304);
	a = SENTINEL;
	assert_false(ipv4_parse("1.2.3.4", 6, &a));     /* "1.2.3." */
	assert_true(ipv4_parse("1.2.3.45", 7, &a));
	assert_int_equal(a, 0x01020304);
	a = SENTINEL;
	assert_false(ipv4_parse("1.2.3.4\0", 8, &a));
	assert_false(ipv4_parse("1.2.3.4", 0, &a));
	assert_int_equal(a, SENTINEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_leading_zeros),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_dots),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_lengths_and_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
