/* Host tests for kernel/lib/ksyms.c: naming the function a fault hit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "ksyms.h"

/* Exactly-sized heap copy (no NUL): ASan flags any read past the table. */
static char *table(const char *s, size_t *len)
{
	*len = strlen(s);
	char *t = malloc(*len);
	memcpy(t, s, *len);
	return t;
}

static const char *syms =
	"ffffffff80101000 _text_start\n"
	"ffffffff80101010 kmain\n"
	"ffffffff80101200 selftest_page_fault\n"
	"ffffffff80101300 selftest_invalid_opcode";     /* no final newline */

static void test_lookup(void **state)
{
	(void)state;
	size_t len;
	char *t = table(syms, &len);
	char name[64];
	uint64_t off;

	assert_int_equal(ksyms_lookup_in(t, len, 0xffffffff80101207ull, name, sizeof(name), &off), 0);
	assert_string_equal(name, "selftest_page_fault");
	assert_int_equal(off, 7);
	assert_int_equal(ksyms_lookup_in(t, len, 0xffffffff80101010ull, name, sizeof(name), &off), 0);
	assert_string_equal(name, "kmain");
	assert_int_equal(off, 0);
	assert_int_equal(ksyms_lookup_in(t, len, 0xffffffff80109999ull, name, sizeof(name), &off), 0);
	assert_string_equal(name, "selftest_invalid_opcode");
	assert_int_equal(ksyms_lookup_in(t, len, 0xffffffff80100fffull, name, sizeof(name), &off),
			 -AION_ENOENT);
	free(t);
}

static void test_malformed_and_truncated(void **state)
{
	(void)state;
	size_t len;
	char *t = table("zzzz bad\n\n1000\n2000 \n3000 ok\nffffffffffffffffff huge\n", &len);
	char name[3];
	uint64_t off;

	assert_int_equal(ksyms_lookup_in(t, len, 0x3005, name, sizeof(name), &off), 0);
	assert_string_equal(name, "ok");
	assert_int_equal(off, 5);
	assert_int_equal(ksyms_lookup_in(t, len, 0x2500, name, sizeof(name), &off), -AION_ENOENT);
	free(t);

	t = table("1000 a_very_long_symbol_name", &len);
	assert_int_equal(ksyms_lookup_in(t, len, 0x1000, name, sizeof(name), &off), 0);
	assert_string_equal(name, "a_");
	free(t);
	assert_int_equal(ksyms_lookup_in("", 0, 0x1000, name, sizeof(name), &off), -AION_ENOENT);
}

static void test_unset_table(void **state)
{
	(void)state;
	char name[8];
	uint64_t off;

	assert_int_equal(ksyms_lookup(0x1000, name, sizeof(name), &off), -AION_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unset_table),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_malformed_and_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
