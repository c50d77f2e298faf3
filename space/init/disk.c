/*
 * The node's disk as init hands it out (aion/blk.h, docs/storage.md).
 * init creates the driver's endpoint and keeps it: a restarted driver
 * serves the same endpoint, so every client's capability outlives it.
 * Clients get only copies minted with a region badge, one per region
 * their manifest entry asks for (SVC_NEED_DISK_*), given after all their
 * other capabilities; nothing else reaches the driver.
 */
#include "aion/blk.h"
#include "init.h"

/* blktest's regions: the first blocks of "data", which nothing uses yet. */
#define TEST_FIRST      BLK_DATA_FIRST
#define TEST_BLOCKS     256     /* 128 KiB: room for whole 64 KiB requests */
#define TEST_NO_REGION  1       /* a badge without BLK_BADGE_REGION */

static aion_handle_t ep;        /* 0: no disk */

int64_t disk_setup(void)
{
	int64_t h = aion_endpoint_create();
	if (h < 0)
		return h;
	ep = (aion_handle_t)h;
	return 0;
}

aion_handle_t disk_endpoint(void)
{
	return ep;
}

/* A copy of the endpoint in unit's table, minted with badge: calls
 * (SEND), carrying a buffer (GRANT), nothing else. */
static int64_t give_badge(aion_handle_t unit, uint64_t badge)
{
	uint32_t rights = AION_RIGHT_SEND | AION_RIGHT_GRANT;
	int64_t h = aion_cap_mint(ep, rights, badge);
	int64_t err = h < 0 ? h : aion_cap_give(unit, (aion_handle_t)h, rights);

	if (h > 0)
		aion_handle_close((aion_handle_t)h);
	return err < 0 ? err : 0;
}

static int64_t give_region(aion_handle_t unit, uint64_t first, uint64_t count, bool writable)
{
	return give_badge(unit, blk_badge(first, count, writable));
}

/* blktest's table (aion/initproto.h, SVC_DISK_TEST_*), in this order. */
static int64_t give_test(aion_handle_t unit)
{
	int64_t err = give_region(unit, TEST_FIRST, TEST_BLOCKS, true);
	if (!err)
		err = give_region(unit, TEST_FIRST, TEST_BLOCKS, false);
	if (!err)
		err = give_region(unit, TEST_FIRST + TEST_BLOCKS, TEST_BLOCKS, true);
	if (!err)
		err = give_region(unit, BLK_DATA_FIRST, BLK_DATA_BLOCKS, false);
	if (!err)
		err = give_badge(unit, TEST_NO_REGION);
	return err;
}

int64_t disk_give_regions(unsigned needs, aion_handle_t unit)
{
	if (!ep)
		return 0;       /* no disk: the unit finds no region capability */
	int64_t err = 0;
	if (needs & SVC_NEED_DISK_MESH)
		err = give_region(unit, BLK_MESH_FIRST, BLK_MESH_BLOCKS, true);
	if (!err && (needs & SVC_NEED_DISK_TEST))
		err = give_test(unit);
	if (!err && (needs & SVC_NEED_DISK_DATA))
		err = give_region(unit, BLK_DATA_FIRST, BLK_DATA_BLOCKS, true);
	return err;
}
