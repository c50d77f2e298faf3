/* Host tests for common/cmdline.c: boot switches such as aion.node=. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "common/cmdline.h"

static void test_values(void **state)
{
	(void)state;
	char v[32];
	const char *cl = "aion.node=2 quiet aion.selftest=pagefault";

	assert_true(cmdline_get(cl, "aion.node", v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_true(cmdline_get(cl, "aion.selftest", v, sizeof(v)));
	assert_string_equal(v, "pagefault");
	assert_true(cmdline_get(cl, "quiet", v, sizeof(v)));
	assert_string_equal(v, "");
}

static void test_absent_and_prefixes(void **state)
{
	(void)state;
	char v[8] = "keep";

	assert_false(cmdline_get("aion.nodes=3 xaion.node=4", "aion.node", v, sizeof(v)));
	assert_false(cmdline_get("aion", "aion.node", v, sizeof(v)));
	assert_false(cmdline_get("", "aion.node", v, sizeof(v)));
	assert_false(cmdline_get(NULL, "aion.node", v, sizeof(v)));
	assert_false(cmdline_get("a=1", "", v, sizeof(v)));
	assert_string_equal(v, "keep");
}

static void test_last_wins_spaces_truncation(void **state)
{
	(void)state;
	char v[4];

	assert_true(cmdline_get("  k=1   k=22  ", "k", v, sizeof(v)));
	assert_string_equal(v, "22");
	assert_true(cmdline_get("k=abcdefgh", "k", v, sizeof(v)));
	assert_string_equal(v, "abc");
	assert_true(cmdline_get("k=x=y", "k", v, sizeof(v)));
	assert_string_equal(v, "x=y");
}

static void test_hex(void **state)
{
	(void)state;
	assert_true(cmdline_hex("ff") == 0xff);
	assert_true(cmdline_hex("DEADbeef rest") == 0xdeadbeef);
	assert_true(cmdline_hex("ffffffffffffffff1") == 0xffffffffffffffffull);
	assert_true(cmdline_hex("x1") == 0);
	assert_true(cmdline_hex("") == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_absent_and_prefixes),
		cmocka_unit_test(test_last_wins_spaces_truncation),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
