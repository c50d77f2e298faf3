/*
 * Host tests for the replay window (mesh/replay.c): duplicates,
 * reordering within the window, the window's lower edge and its slide,
 * old boots, a restart of the sender (higher boot), a restart of the
 * receiver (new self boot, empty table: captured packets carry its old
 * boot), what dst_boot 0 may carry, and a randomised check against a
 * model that remembers every sequence.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mesh/replay.h"
#include "common/xorshift.h"

#define SELF_BOOT 7u

static struct mesh_hdr pkt(uint8_t type, uint32_t src_boot, uint32_t dst_boot, uint64_t seq)
{
	struct mesh_hdr h = {
		.type = type, .src = 2, .dst = 1, .src_boot = src_boot,
		.dst_boot = dst_boot, .seq = seq,
	};
	return h;
}

static enum mesh_replay_verdict take(struct mesh_replay *w, uint32_t self, uint32_t src_boot,
				     uint32_t dst_boot, uint64_t seq)
{
	struct mesh_hdr h = pkt(MESH_CALL, src_boot, dst_boot, seq);
	return mesh_replay_check(w, self, &h);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct mesh_replay w = { 0 };

	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 10), MESH_REPLAY_OK);
	assert_int_equal(w.boot, 3);
	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 10), MESH_REPLAY_DUP);
	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 11), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 11), MESH_REPLAY_DUP);
	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 10), MESH_REPLAY_DUP);
	/* The first packet heard of a boot: nothing older of it is taken. */
	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 9), MESH_REPLAY_DUP);
	assert_int_equal(take(&w, SELF_BOOT, 3, SELF_BOOT, 0), MESH_REPLAY_BELOW);
}

static void test_reorder_within_window(void **state)
{
	(void)state;
	struct mesh_replay w = { 0 };

	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1), MESH_REPLAY_OK);
	/* 2..70 arrive in reverse after 71: each taken once. */
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 71), MESH_REPLAY_OK);
	for (uint64_t s = 70; s >= 8; s--)
		assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, s), MESH_REPLAY_OK);
	/* 71 - 64 = 7 is the first sequence below the window. */
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 7), MESH_REPLAY_BELOW);
	for (uint64_t s = 8; s <= 71; s++)
		assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, s), MESH_REPLAY_DUP);
}

static void test_window_slides(void **state)
{
	(void)state;
	struct mesh_replay w = { 0 };

	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 100), MESH_REPLAY_OK);
	/* A jump by more than the window forgets everything below. */
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 100 + 1000), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 100), MESH_REPLAY_BELOW);
	/* Holes inside the new window can still be filled, once. */
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100 - 63), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100 - 63), MESH_REPLAY_DUP);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100 - 64), MESH_REPLAY_BELOW);
	/* Slide by exactly the window, and by one less. */
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100 + 63), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100), MESH_REPLAY_DUP);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100 + 127), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 1100 + 63), MESH_REPLAY_BELOW);
	/* Sequences near the top of the 64-bit space do not wrap. */
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, UINT64_MAX - 1), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, UINT64_MAX), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, UINT64_MAX), MESH_REPLAY_DUP);
	assert_int_equal(take(&w, SELF_BOOT, 1, SELF_BOOT, 5), MESH_REPLAY_BELOW);
}

static void test_sender_restarts(void **state)
{
	(void)state;
	struct mesh_replay w = { 0 };

	for (uint64_t s = 1; s <= 50; s++)
		assert_int_equal(take(&w, SELF_BOOT, 4, SELF_BOOT, s), MESH_REPLAY_OK);
	/* Boot 5 starts again at sequence 1. */
	assert_int_equal(take(&w, SELF_BOOT, 5, SELF_BOOT, 1), MESH_REPLAY_OK);
	assert_int_equal(w.boot, 5);
	assert_int_equal(take(&w, SELF_BOOT, 5, SELF_BOOT, 2), MESH_REPLAY_OK);
	/* Every packet of boot 4, in the window or not, is now old. */
	for (uint64_t s = 1; s <= 60; s++)
		assert_int_equal(take(&w, SELF_BOOT, 4, SELF_BOOT, s), MESH_REPLAY_OLD_BOOT);
	assert_int_equal(take(&w, SELF_BOOT, 5, SELF_BOOT, 1), MESH_REPLAY_DUP);
	/* A refused packet does not move the window. */
	assert_int_equal(w.boot, 5);
	assert_int_equal(w.top, 2);
}

static void test_receiver_restarts(void **state)
{
	(void)state;
	struct mesh_replay before = { 0 };

	for (uint64_t s = 1; s <= 20; s++)
		assert_int_equal(take(&before, SELF_BOOT, 4, SELF_BOOT, s), MESH_REPLAY_OK);
	/* The receiver restarts: boot SELF_BOOT + 1, an empty table. Every
	 * captured packet names its old boot and is refused, and the window
	 * stays empty (a refused packet teaches nothing). */
	struct mesh_replay w = { 0 };
	for (uint64_t s = 1; s <= 20; s++)
		assert_int_equal(take(&w, SELF_BOOT + 1, 4, SELF_BOOT, s), MESH_REPLAY_WRONG_DST);
	assert_int_equal(w.boot, 0);
	/* The sender learns the new boot and goes on with its sequence. */
	assert_int_equal(take(&w, SELF_BOOT + 1, 4, SELF_BOOT + 1, 21), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT + 1, 4, SELF_BOOT, 22), MESH_REPLAY_WRONG_DST);
	/* Both restart: a packet to a boot of ours from the future is wrong too. */
	assert_int_equal(take(&w, SELF_BOOT + 1, 5, SELF_BOOT + 2, 1), MESH_REPLAY_WRONG_DST);
	assert_int_equal(take(&w, SELF_BOOT + 1, 5, SELF_BOOT + 1, 1), MESH_REPLAY_OK);
	assert_int_equal(take(&w, SELF_BOOT + 1, 4, SELF_BOOT + 1, 23), MESH_REPLAY_OLD_BOOT);
}

static void test_unknown_dst_boot(void **state)
{
	(void)state;
	struct mesh_replay w = { 0 };

	/* Only a PING may leave dst_boot 0. */
	for (unsigned t = MESH_PING; t <= MESH_TYPE_MAX; t++) {
		struct mesh_hdr h = pkt((uint8_t)t, 3, 0, 100 + t);
		enum mesh_replay_verdict v = mesh_replay_check(&w, SELF_BOOT, &h);
		assert_int_equal(v, t == MESH_PING ? MESH_REPLAY_OK : MESH_REPLAY_WRONG_DST);
	}
	/* A PING with dst_boot 0 still goes through the window. */
	struct mesh_hdr h = pkt(MESH_PING, 3, 0, 101);
	assert_int_equal(mesh_replay_check(&w, SELF_BOOT, &h), MESH_REPLAY_DUP);
	h = pkt(MESH_PING, 2, 0, 500);
	assert_int_equal(mesh_replay_check(&w, SELF_BOOT, &h), MESH_REPLAY_OLD_BOOT);
	/* Boot 0 is nobody's. */
	h = pkt(MESH_PING, 0, 0, 500);
	assert_int_equal(mesh_replay_check(&w, SELF_BOOT, &h), MESH_REPLAY_BELOW);
	assert_string_equal(mesh_replay_name(MESH_REPLAY_WRONG_DST), "wrong_dst");
}

/* Random sequences near a moving top, against a model that remembers
 * every sequence taken: a sequence is taken exactly when it was not taken
 * before, is above the first one heard (older ones of that boot count as
 * seen) and is within MESH_REPLAY_WINDOW of the highest taken. */
static void test_random_against_model(void **state)
{
	(void)state;
	enum { SEQS = 20000 };
	static bool taken[SEQS + 8];
	struct mesh_replay w = { 0 };
	uint64_t rng = 0x9e3779b97f4a7c15ull, top = 0, first = 0;
	unsigned ok = 0, refused = 0;

	for (unsigned i = 0; i < 200000; i++) {
		uint64_t seq;
		if (xorshift64(&rng) % 3 == 0 && top + 5 < SEQS)
			seq = top + 1 + xorshift64(&rng) % 4;
		else
			seq = top > 100 ? top - xorshift64(&rng) % 100 : 1 + xorshift64(&rng) % 100;
		bool fresh = first == 0 ||
			     (!taken[seq] && seq > first && seq + MESH_REPLAY_WINDOW > top);
		enum mesh_replay_verdict v = take(&w, SELF_BOOT, 1, SELF_BOOT, seq);
		assert_int_equal(v == MESH_REPLAY_OK, fresh);
		if (v == MESH_REPLAY_OK) {
			taken[seq] = true;
			if (!first)
				first = seq;
			if (seq > top)
				top = seq;
			ok++;
		} else {
			refused++;
		}
	}
	assert_true(ok > 1000 && refused > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_reorder_within_window),
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_sender_restarts),
		cmocka_unit_test(test_receiver_restarts),
		cmocka_unit_test(test_unknown_dst_boot),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
