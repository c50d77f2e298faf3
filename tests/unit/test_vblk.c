/*
 * Host tests for the block protocol's rules: region badges and the disk
 * layout (include/aion/blk.h), and the virtio-blk driver's pure code
 * (space/drivers/virtio_blk/vblk_pure.c): which blocks a badge reaches,
 * which requests may run, how a buffer becomes DMA segments, the table of
 * attached buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "aion/error.h"
#include "vblk.h"

#define DISK    131072u         /* 64 MiB, what the host scripts give a node */

static void test_badge_round_trip(void **state)
{
	(void)state;
	uint64_t b = blk_badge(BLK_MESH_FIRST, BLK_MESH_BLOCKS, true);

	assert_true(b & BLK_BADGE_REGION);
	assert_int_equal(blk_badge_first(b), BLK_MESH_FIRST);
	assert_int_equal(blk_badge_count(b), BLK_MESH_BLOCKS);
	assert_true(blk_badge_writable(b));
	assert_false(blk_badge_writable(blk_badge(7, 9, false)));
	uint64_t edge = blk_badge(BLK_BADGE_FIELD_MAX, BLK_COUNT_REST, false);
	assert_int_equal(blk_badge_first(edge), BLK_BADGE_FIELD_MAX);
	assert_int_equal(blk_badge_count(edge), BLK_COUNT_REST);
	/* Fields that do not fit, or nothing to reach: 0, which CAP_MINT refuses. */
	assert_int_equal(blk_badge(BLK_BADGE_FIELD_MAX + 1, 1, true), 0);
	assert_int_equal(blk_badge(0, BLK_BADGE_FIELD_MAX + 1, true), 0);
	assert_int_equal(blk_badge(5, 0, true), 0);
}

/* The layout the doc promises: 1 MiB reserved, 16 MiB "mesh", then "data". */
static void test_layout(void **state)
{
	(void)state;
	assert_int_equal((uint64_t)BLK_RESERVED_BLOCKS * BLK_SIZE, 1u << 20);
	assert_int_equal(BLK_MESH_FIRST, BLK_RESERVED_FIRST + BLK_RESERVED_BLOCKS);
	assert_int_equal((uint64_t)BLK_MESH_BLOCKS * BLK_SIZE, 16u << 20);
	assert_int_equal(BLK_DATA_FIRST, BLK_MESH_FIRST + BLK_MESH_BLOCKS);
	assert_int_equal(BLK_XFER_BLOCKS * BLK_SIZE, 64u << 10);
}

static void test_region_of(void **state)
{
	(void)state;
	struct blk_region r;

	assert_int_equal(blk_region_of(blk_badge(BLK_DATA_FIRST, BLK_DATA_BLOCKS, false), DISK,
				       &r), 0);
	assert_int_equal(r.first, BLK_DATA_FIRST);
	assert_int_equal(r.count, DISK - BLK_DATA_FIRST);      /* "the rest", cut at the end */
	assert_false(r.writable);
	assert_int_equal(blk_region_of(blk_badge(DISK - 10, 100, true), DISK, &r), 0);
	assert_int_equal(r.count, 10);
	assert_int_equal(blk_region_of(blk_badge(DISK + 5, 100, true), DISK, &r), 0);
	assert_int_equal(r.count, 0);                           /* past the end: empty */
	assert_int_equal(blk_region_of(blk_badge(0, 16, true), DISK, &r), 0);
	assert_int_equal(r.count, 16);
	/* Badges of other protocols, and no badge at all. */
	assert_int_equal(blk_region_of(1, DISK, &r), -AION_EPERM);
	assert_int_equal(blk_region_of(0, DISK, &r), -AION_EPERM);
	assert_int_equal(blk_region_of(BLK_BADGE_WRITE | 5, DISK, &r), -AION_EPERM);
}

static void test_check_io(void **state)
{
	(void)state;
	struct blk_region rw = { .first = 1000, .count = 256, .writable = true };
	struct blk_region ro = { .first = 1000, .count = 256, .writable = false };
	uint64_t s = 0;

	assert_int_equal(blk_check_io(&rw, 0, 1, 0, true, &s), 0);
	assert_int_equal(s, 1000);
	assert_int_equal(blk_check_io(&rw, 128, 128, 0, false, &s), 0);
	assert_int_equal(s, 1128);
	assert_int_equal(blk_check_io(&rw, 255, 1, BLK_BUF_SIZE - BLK_SIZE, true, &s), 0);
	/* Outside the region: past it, across its end, wrapping around. */
	assert_int_equal(blk_check_io(&rw, 256, 1, 0, true, &s), -AION_ERANGE);
	assert_int_equal(blk_check_io(&rw, 250, 8, 0, true, &s), -AION_ERANGE);
	assert_int_equal(blk_check_io(&rw, UINT64_MAX, 2, 0, false, &s), -AION_ERANGE);
	assert_int_equal(blk_check_io(&rw, 1ull << 40, 1, 0, false, &s), -AION_ERANGE);
	/* Shapes no request may have. */
	assert_int_equal(blk_check_io(&rw, 0, 0, 0, true, &s), -AION_EINVAL);
	assert_int_equal(blk_check_io(&rw, 0, BLK_XFER_BLOCKS + 1, 0, true, &s), -AION_EINVAL);
	assert_int_equal(blk_check_io(&rw, 0, 1, 100, true, &s), -AION_EINVAL);
	assert_int_equal(blk_check_io(&rw, 0, 2, BLK_BUF_SIZE - BLK_SIZE, true, &s), -AION_EINVAL);
	assert_int_equal(blk_check_io(&rw, 0, 1, UINT64_MAX - 511, true, &s), -AION_EINVAL);
	/* Read-only: reads pass, writes never, whatever else is wrong. */
	assert_int_equal(blk_check_io(&ro, 0, 1, 0, false, &s), 0);
	assert_int_equal(blk_check_io(&ro, 0, 1, 0, true, &s), -AION_ERIGHTS);
	assert_int_equal(blk_check_io(&ro, 999, 0, 7, true, &s), -AION_ERIGHTS);
	/* An empty region (past the disk's end) reaches nothing. */
	struct blk_region none = { .first = DISK + 5, .count = 0, .writable = true };
	assert_int_equal(blk_check_io(&none, 0, 1, 0, false, &s), -AION_ERANGE);
}

static void test_segments(void **state)
{
	(void)state;
	uint64_t phys[BLK_BUF_PAGES];
	struct blk_seg seg[BLK_BUF_PAGES];

	for (unsigned i = 0; i < BLK_BUF_PAGES; i++)
		phys[i] = 0x100000 + (uint64_t)i * 0x3000;      /* none next to another */
	assert_int_equal(blk_segments(phys, 0, BLK_SIZE, seg), 1);
	assert_int_equal(seg[0].phys, 0x100000);
	assert_int_equal(seg[0].len, BLK_SIZE);
	/* Across a page boundary: two pieces, each in its page. */
	assert_int_equal(blk_segments(phys, 4096 - BLK_SIZE, 2 * BLK_SIZE, seg), 2);
	assert_int_equal(seg[0].phys, 0x100000 + 4096 - BLK_SIZE);
	assert_int_equal(seg[0].len, BLK_SIZE);
	assert_int_equal(seg[1].phys, 0x103000);
	assert_int_equal(seg[1].len, BLK_SIZE);
	/* The whole buffer: one piece per page, the longest chain there is. */
	assert_int_equal(blk_segments(phys, 0, BLK_BUF_SIZE, seg), BLK_BUF_PAGES);
	assert_int_equal(seg[15].phys, phys[15]);
	assert_int_equal(seg[15].len, 4096);
	/* Pages that follow each other physically make one piece. */
	for (unsigned i = 0; i < BLK_BUF_PAGES; i++)
		phys[i] = 0x200000 + (uint64_t)i * 4096;
	phys[8] = 0x900000;
	assert_int_equal(blk_segments(phys, BLK_SIZE, 12 * 4096, seg), 3);
	assert_int_equal(seg[0].phys, 0x200000 + BLK_SIZE);
	assert_int_equal(seg[0].len, 8 * 4096 - BLK_SIZE);
	assert_int_equal(seg[1].phys, 0x900000);
	assert_int_equal(seg[1].len, 4096);
	assert_int_equal(seg[2].phys, 0x209000);
	assert_int_equal(seg[2].len, 3 * 4096 + BLK_SIZE);
}

static void test_status(void **state)
{
	(void)state;
	assert_int_equal(blk_status_error(VIRTIO_BLK_S_OK), 0);
	assert_int_equal(blk_status_error(VIRTIO_BLK_S_IOERR), -AION_EIO);
	assert_int_equal(blk_status_error(VIRTIO_BLK_S_UNSUPP), -AION_EIO);
	assert_int_equal(blk_status_error(0xff), -AION_EIO);    /* never written */
}

static void test_attach_table(void **state)
{
	(void)state;
	struct blk_attach t[BLK_ATTACH_MAX] = { 0 };
	uint64_t a = blk_badge(10, 5, true), b = blk_badge(10, 5, false);

	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, a, false), -1);
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, a, true), 0);
	t[0].badge = a;
	/* The same region read-only is another badge: another slot. */
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, b, true), 1);
	t[1].badge = b;
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, a, true), 0);     /* replaced */
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, b, false), 1);
	t[0].badge = 0;                                 /* a freed slot is found again */
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, blk_badge(99, 1, true), true), 0);
	for (unsigned i = 0; i < BLK_ATTACH_MAX; i++)
		t[i].badge = blk_badge(100 + i, 1, true);
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, a, true), -1);    /* full */
	assert_int_equal(blk_attach_find(t, BLK_ATTACH_MAX, blk_badge(107, 1, true), true), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_badge_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_region_of),
		cmocka_unit_test(test_check_io),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_attach_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
