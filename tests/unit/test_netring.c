/* Host tests for space/lib/netring.c (the driver <-> netd frame rings) and
 * space/lib/sockring.c (a socket's datagrams on such rings). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "aion/netring.h"
#include "aion/socket.h"
#include "libaion/sockring.h"

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

/* A frame in two parts comes back whole, or split at any point. */
static void test_parts(void **state)
{
	(void)state;
	struct netring *r = ring();
	uint8_t a[8], b[32], out[40];

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(netring_push_parts(r, a, sizeof(a), b, sizeof(b)), 0);
	assert_int_equal(netring_pop(r, out, sizeof(out)), 40);
	assert_memory_equal(out, a, 8);
	assert_memory_equal(out + 8, b, 32);
	assert_int_equal(netring_push_parts(r, a, sizeof(a), b, sizeof(b)), 0);
	uint8_t x[8] = { 0 }, y[10] = { 0 };
	assert_int_equal(netring_pop_parts(r, x, sizeof(x), y, sizeof(y)), 40);  /* y: cut */
	assert_memory_equal(x, a, 8);
	assert_memory_equal(y, b, 10);
	assert_int_equal(netring_push_parts(r, a, 0, b, 0), -AION_EINVAL);
	assert_int_equal(netring_push_parts(r, a, NETRING_FRAME_MAX, b, 1), -AION_EINVAL);
	assert_int_equal(netring_push_parts(r, a, UINT32_MAX, b, 1), -AION_EINVAL);
	free(r);
}

/* Datagrams with their peers, an empty one included, in order. */
static void test_sockring(void **state)
{
	(void)state;
	struct netring *r = ring();
	static uint8_t big[SOCKRING_DGRAM_MAX + 1];
	uint8_t out[64];
	uint32_t addr = 0;
	uint16_t port = 0;

	assert_int_equal(sockring_take(r, out, sizeof(out), &addr, &port), -AION_EAGAIN);
	assert_int_equal(sockring_put(r, 0x0a4d0002, 7946, "ping", 4), 0);
	assert_int_equal(sockring_put(r, 0x0a4d0003, 9, "", 0), 0);
	assert_int_equal(sockring_put(r, 1, 1, big, sizeof(big)), -AION_EINVAL);
	assert_int_equal(sockring_put(r, 1, 1, big, sizeof(big) - 1), 0);
	assert_int_equal(sockring_take(r, out, sizeof(out), &addr, &port), 4);
	assert_memory_equal(out, "ping", 4);
	assert_int_equal(addr, 0x0a4d0002);
	assert_int_equal(port, 7946);
	assert_int_equal(sockring_take(r, out, sizeof(out), &addr, &port), 0);
	assert_int_equal(addr, 0x0a4d0003);
	assert_int_equal(port, 9);
	/* Longer than the buffer: its length says so, the buffer is not overrun. */
	assert_int_equal(sockring_take(r, out, sizeof(out), &addr, &port), SOCKRING_DGRAM_MAX);
	assert_int_equal(sockring_take(r, out, sizeof(out), &addr, &port), -AION_EAGAIN);
	free(r);
}

/* What a hostile peer can put on a socket's ring: slots shorter than a
 * datagram's header, lengths past the slot. Taken, never overrun. */
static void test_sockring_hostile(void **state)
{
	(void)state;
	struct netring *r = ring();
	uint8_t out[16];
	uint32_t addr;
	uint16_t port;

	assert_int_equal(netring_push(r, "abc", 3), 0);        /* shorter than the header */
	assert_int_equal(sockring_take(r, out, sizeof(out), &addr, &port), -AION_EMALFORMED);
	assert_int_equal(sockring_put(r, 5, 6, "hello", 5), 0);
	r->slot[1].len = 0x7fffffffu;
	int64_t n = sockring_take(r, out, sizeof(out), &addr, &port);
	assert_int_equal(n, SOCKRING_DGRAM_MAX);        /* clamped to the slot */
	assert_int_equal(addr, 5);
	r->head = r->tail + 5000;
	for (int i = 0; i < 100; i++) {
		n = sockring_take(r, out, sizeof(out), &addr, &port);
		assert_true(n == -AION_EMALFORMED || (n >= 0 && n <= (int64_t)SOCKRING_DGRAM_MAX));
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
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_sockring),
		cmocka_unit_test(test_sockring_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
