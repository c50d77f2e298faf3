/*
 * Host tests for libaion's serving table (space/lib/serve_find.c): which
 * op takes a call, by label, badge and capability count, and the errors
 * servers answer when none does. The tables mirror the shapes the servers
 * use: init (labels with badges), meshd (badge ranges, ANY label), netd
 * (no capabilities at all).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "aion/error.h"
#include "libaion/serve.h"

#define NO_STATUS 12345

static int64_t fn_a(struct aion_serve_req *r) { (void)r; return 1; }
static int64_t fn_b(struct aion_serve_req *r) { (void)r; return 2; }
static int64_t fn_c(struct aion_serve_req *r) { (void)r; return 3; }

/* The op's handler result for (label, badge, ncaps), or the status answered. */
static int64_t run(const struct aion_serve_table *t, uint32_t label, uint64_t badge,
		   unsigned ncaps)
{
	int64_t status = NO_STATUS;
	const struct aion_serve_op *op = aion_serve_find(t, label, badge, ncaps, &status);
	if (op) {
		assert_int_equal(status, NO_STATUS);    /* untouched when an op takes it */
		return op->fn(NULL);
	}
	assert_int_not_equal(status, NO_STATUS);
	return status;
}

/* init's shape: open labels, one that needs a capability, badge-gated ones. */
static const struct aion_serve_op init_like[] = {
	{ .label = 1, .fn = fn_a, .caps = AION_SERVE_CAPS_ONE },
	{ .label = 2, .fn = fn_b },
	{ .label = 20, .fn = fn_c, .badge_min = 2, .badge_max = 2 },
	{ .label = 20, .fn = fn_a, .badge_min = 4, .badge_max = 4 },
};
static const struct aion_serve_table init_table = AION_SERVE_TABLE(init_like, -AION_ENOSYS);

static void test_label_and_caps(void **state)
{
	(void)state;
	assert_int_equal(run(&init_table, 1, 0, 1), 1);
	assert_int_equal(run(&init_table, 1, 0, 0), -AION_EINVAL);
	assert_int_equal(run(&init_table, 1, 0, 2), -AION_EINVAL);
	assert_int_equal(run(&init_table, 2, 7, 0), 2);      /* no badge rule: any */
	assert_int_equal(run(&init_table, 2, 7, 3), 2);      /* CAPS_ANY */
	assert_int_equal(run(&init_table, 3, 0, 0), -AION_ENOSYS);
	assert_int_equal(run(&init_table, 0, 0, 0), -AION_ENOSYS);
}

static void test_badges(void **state)
{
	(void)state;
	assert_int_equal(run(&init_table, 20, 2, 0), 3);
	assert_int_equal(run(&init_table, 20, 4, 0), 1);     /* a second op, same label */
	assert_int_equal(run(&init_table, 20, 3, 0), -AION_EPERM);
	assert_int_equal(run(&init_table, 20, 0, 0), -AION_EPERM);
}

/* meshd's shape: badge ranges of every label; kv adds named labels before them. */
static const struct aion_serve_op badge_like[] = {
	{ .label = 9, .fn = fn_c, .badge_min = 1, .badge_max = 1 },
	{ .label = AION_SERVE_ANY_LABEL, .fn = fn_a, .badge_min = 1, .badge_max = 1 },
	{ .label = AION_SERVE_ANY_LABEL, .fn = fn_b, .caps = AION_SERVE_CAPS_NONE,
	  .badge_min = 0x100, .badge_max = 0xfff },
};
static const struct aion_serve_table badge_table = AION_SERVE_TABLE(badge_like, -AION_EDEAD);

static void test_any_label(void **state)
{
	(void)state;
	assert_int_equal(run(&badge_table, 9, 1, 0), 3);     /* first match wins */
	assert_int_equal(run(&badge_table, 5, 1, 4), 1);
	assert_int_equal(run(&badge_table, 0, 0x100, 0), 2);
	assert_int_equal(run(&badge_table, 77, 0xfff, 0), 2);
	assert_int_equal(run(&badge_table, 77, 0x800, 1), -AION_EINVAL);
	/* An ANY op does not name a label: a badge it does not allow is unknown. */
	assert_int_equal(run(&badge_table, 77, 0x1000, 0), -AION_EDEAD);
	assert_int_equal(run(&badge_table, 77, 2, 0), -AION_EDEAD);
	/* A named label with a badge no op of it allows. */
	assert_int_equal(run(&badge_table, 9, 2, 0), -AION_EPERM);
}

static void test_empty_table(void **state)
{
	(void)state;
	static const struct aion_serve_table none = { .ops = NULL, .nops = 0,
						      .unknown = -AION_EINVAL };
	assert_int_equal(run(&none, 1, 0, 0), -AION_EINVAL);
	assert_int_equal(run(&none, AION_SERVE_ANY_LABEL, 0, 0), -AION_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_and_caps),
		cmocka_unit_test(test_badges),
		cmocka_unit_test(test_any_label),
		cmocka_unit_test(test_empty_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
