/*
 * Host tests for CRC-32C (common/crc32.c): the check value every
 * CRC-32C implementation publishes, the iSCSI test vectors of RFC 3720
 * (B.4), chaining, and every byte against the bitwise definition (which
 * checks the nibble table entry by entry).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "common/crc32.h"

/* The definition: shift one bit at a time through the reflected polynomial. */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

static void test_check_value(void **state)
{
	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(crc32c(0, NULL, 0), 0);
}

static void test_rfc3720_vectors(void **state)
{
	uint8_t zeros[32] = {0}, ones[32], up[32], down[32];

	(void)state;
	for (int i = 0; i < 32; i++) {
		ones[i] = 0xff;
		up[i] = (uint8_t)i;
		down[i] = (uint8_t)(31 - i);
	}
	assert_int_equal(crc32c(0, zeros, 32), 0x8a9136aau);
	assert_int_equal(crc32c(0, ones, 32), 0x62a8ab43u);
	assert_int_equal(crc32c(0, up, 32), 0x46dd794eu);
	assert_int_equal(crc32c(0, down, 32), 0x113fdb5cu);
}

static void test_every_byte(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		uint8_t byte = (uint8_t)b;
		assert_int_equal(crc32c(0, &byte, 1), crc32c_bitwise(&byte, 1));
	}
}

static void test_chaining(void **state)
{
	uint8_t buf[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
		uint32_t part = crc32c(0, buf, cut);
		assert_int_equal(crc32c(part, buf + cut, sizeof(buf) - cut),
				 crc32c_bitwise(buf, sizeof(buf)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_rfc3720_vectors),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_chaining),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
