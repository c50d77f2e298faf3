/* Host tests for common/format.c: the formatter behind every log line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "common/format.h"

static void expect(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_integers(void **state)
{
	(void)state;
	expect("0 -1 42", "%d %i %u", 0, -1, 42u);
	expect("-9223372036854775808", "%ld", (long)INT64_MIN);
	expect("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	expect("ff FF 0xdeadbeef", "%x %X 0x%lx", 255u, 255u, 0xdeadbeefUL);
	expect("4294967295", "%u", 0xffffffffu);
	expect("123 456", "%zu %llu", (size_t)123, 456ULL);
}

static void test_width_and_flags(void **state)
{
	(void)state;
	expect("00000000000000ff", "%016lx", 0xffUL);
	expect("    7|7    |", "%5d|%-5d|", 7, 7);
	expect("-0042", "%05d", -42);
	expect("  ab|ab  |", "%4s|%-4s|", "ab", "ab");
	expect("[    1.000002]", "[%5lu.%06lu]", 1UL, 2UL);
}

static void test_strings_chars_misc(void **state)
{
	(void)state;
	expect("x=(null)", "x=%s", (char *)NULL);
	expect("ac", "a%c", 'c');
	expect("100%", "100%%");
	expect("0x1000", "%p", (void *)0x1000);
	expect("%q", "%q");
	expect("end", "end%");
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'Z', sizeof(buf));
	int n = fmt_snprintf(buf, 5, "%s", "abcdefgh");
	assert_int_equal(n, 8);             /* length it wanted */
	assert_string_equal(buf, "abcd");   /* cut and terminated */
	assert_int_equal(buf[5], 'Z');      /* nothing past n written */

	n = fmt_snprintf(buf, 0, "%d", 12345);
	assert_int_equal(n, 5);
	assert_int_equal(buf[0], 'a');      /* n == 0 writes nothing */

	n = fmt_snprintf(buf, 1, "xyz");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_width_and_flags),
		cmocka_unit_test(test_strings_chars_misc),
		cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
