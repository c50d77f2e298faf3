/* Host tests for space/lib/netring.c: the driver <-> netd frame rings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "aion/netring.h"

static struct netring *ring(void)
{
	struct netring *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	return r;
}

static void test_fifo(void **state)
{
	(void)state;
	struct netring *r = ring();
	uint8_t in[100], out[NETRING_FRAME_MAX];

	assert_int_equal(netring_pop(r, out, sizeof(out)), 0);
	for (int i = 0; i < 3; i++) {
		memset(in, 'a' + i, sizeof(in));
		assert_int_equal(netring_push(r, in, 50 + (uint32_t)i), 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(netring_pop(r, out, sizeof(out)), 50 + i);
		assert_int_equal(out[0], 'a' + i);
		assert_int_equal(out[49 + i], 'a' + i);
	}
	assert_int_equal(netring_pop(r, out, sizeof(out)), 0);
	free(r);
}

static void test_full_and_limits(void **state)
{
	(void)state;
	struct netring *r = ring();
	uint8_t frame[NETRING_FRAME_MAX + 1] = { 0 }, out[NETRING_FRAME_MAX];

	for (int i = 0; i < NETRING_SLOTS; i++)
		assert_int_equal(netring_push(r, frame, 60), 0);
	assert_int_equal(netring_push(r, frame, 60), -AION_ENOSPC);
	assert_int_equal(r->dropped, 1);
	assert_int_equal(netring_push(r, frame, NETRING_FRAME_MAX + 1), -AION_EINVAL);
	assert_int_equal(netring_push(r, frame, 0), -AION_EINVAL);
	assert_int_equal(netring_pop(r, out, sizeof(out)), 60);
	assert_int_equal(netring_push(r, frame, NETRING_FRAME_MAX), 0);     /* room again */
	free(r);
}

/* Free-running counters across the 32-bit wrap keep working. */
static void test_wrap(void **state)
{
	(void)state;
	struct netring *r = ring();
	uint8_t out[NETRING_FRAME_MAX];
	uint32_t v;

	r->head = r->tail = UINT32_MAX - 5;
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(netring_push(r, &i, sizeof(i)), 0);
		assert_int_equal(netring_pop(r, &v, sizeof(v)), sizeof(v));
		assert_int_equal(v, i);
	}
	assert_int_equal(netring_pop(r, out, sizeof(out)), 0);
	free(r);
}

/* A peer that writes a bad length or bad indices cannot make pop overrun. */
static void test_hostile_peer(void **state)
{
	(void)state;
	struct netring *r = ring();
	uint8_t small[16];

	assert_int_equal(netring_push(r, "hello", 5), 0);
	r->slot[0].len = 0xffffffffu;
	/* Clamped, and reported as longer than the buffer: cut, not hidden. */
	assert_int_equal(netring_pop(r, small, sizeof(small)), NETRING_FRAME_MAX);
	r->head = r->tail + 1000;               /* claims more frames than slots */
	for (int i = 0; i < 10; i++) {
		uint32_t n = netring_pop(r, small, sizeof(small));
		assert_true(n >= 1 && n <= NETRING_FRAME_MAX);
	}
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_full_and_limits),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_hostile_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
