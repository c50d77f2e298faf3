/*
 * Host tests for the legacy virtio pieces the drivers share
 * (space/drivers/virtio/vring.c): where a split ring's parts lie, and
 * the runs of physically consecutive pages a ring needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "virtio.h"

static void test_layout(void **state)
{
	(void)state;
	struct vring_layout l;

	/* QEMU's virtio-blk queue: 256 entries. */
	assert_int_equal(vring_layout(256, &l), 1);
	assert_int_equal(l.avail_off, 256 * 16);
	assert_int_equal(l.used_off, 8192);             /* avail's 518 bytes, then 4096-aligned */
	assert_int_equal(l.size, 8192 + 6 + 256 * 8);
	assert_int_equal(l.pages, 3);
	assert_int_equal(vring_layout(1, &l), 1);
	assert_int_equal(l.used_off, 4096);
	assert_int_equal(l.pages, 2);
	/* Sizes a legacy device may not have: 0, not a power of two, too big. */
	assert_int_equal(vring_layout(0, &l), 0);
	assert_int_equal(l.pages, 0);
	assert_int_equal(vring_layout(48, &l), 0);
	assert_int_equal(vring_layout(65536, &l), 0);
}

static void test_find_run(void **state)
{
	(void)state;
	uint64_t phys[6] = { 0x5000, 0x9000, 0xa000, 0xb000, 0x2000, 0x3000 };
	bool taken[6] = { false };

	assert_int_equal(virtio_find_run(phys, taken, 6, 1), 0);
	assert_int_equal(virtio_find_run(phys, taken, 6, 3), 1);
	assert_int_equal(virtio_find_run(phys, taken, 6, 2), 1);
	taken[2] = true;                /* a run may not use a taken page */
	assert_int_equal(virtio_find_run(phys, taken, 6, 2), 4);
	assert_int_equal(virtio_find_run(phys, taken, 6, 3), -1);
	assert_int_equal(virtio_find_run(phys, taken, 6, 0), -1);
	assert_int_equal(virtio_find_run(phys, taken, 6, 7), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_find_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
