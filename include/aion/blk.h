/*
 * The block protocol: a unit reads and writes the node's disk through the
 * virtio-blk driver (space/drivers/virtio_blk/, docs/storage.md), and
 * reaches only the blocks its capability names.
 *
 * Blocks are BLK_SIZE (512) bytes, numbered from 0 on the disk.
 *
 * Regions. init creates the driver's endpoint and keeps it; every other
 * unit holds only copies minted with a region badge (blk_badge): the
 * first block, the block count (BLK_COUNT_REST: to the end of the disk)
 * and whether it may write. A badge is fixed once minted (CAP_MINT of a
 * badged capability fails), so a holder can neither widen nor move its
 * region. The driver refuses every call whose badge is not a region's
 * (-AION_EPERM); the endpoint is in no name service.
 * Block numbers in calls are relative to the region: block 0 is its first.
 *
 * Data does not travel in messages (at most 512 payload bytes each): a
 * client attaches a shared buffer once, BLK_BUF_SIZE (64 KiB) of its own
 * memory, and each READ or WRITE names blocks and an offset in it. The
 * device reads and writes that buffer directly (DMA), so the client
 * leaves it alone while a call runs. One request at a time is served.
 *
 * Calls (label, words -> reply w0 = 0 or -AION_E...):
 *   BLK_ATTACH  caps[0]: a memory object of at least BLK_BUF_PAGES pages,
 *               with AION_RIGHT_PHYS (the device's DMA needs its physical
 *               pages). Replaces the buffer an earlier ATTACH with the same
 *               badge gave (a restarted client attaches again).
 *               EINVAL  no capability
 *               ETYPE   not a memory object
 *               ERIGHTS no PHYS right (device memory has none)
 *               ERANGE  fewer than BLK_BUF_PAGES pages
 *               ENOSPC  BLK_ATTACH_MAX other badges are attached already
 *   BLK_READ    w0 = first block (relative), w1 = count (1..BLK_XFER_BLOCKS),
 *               w2 = byte offset in the buffer (a multiple of BLK_SIZE;
 *               offset + count * BLK_SIZE <= BLK_BUF_SIZE). The blocks are in
 *               the buffer when the reply comes.
 *   BLK_WRITE   the same words; the buffer's bytes go to the blocks. A write
 *               is durable only after a BLK_FLUSH that followed it returned 0.
 *               READ and WRITE fail with:
 *               ERIGHTS  WRITE on a read-only region
 *               EINVAL   count 0 or over BLK_XFER_BLOCKS, an offset that is
 *                        not a multiple of BLK_SIZE or runs past the buffer
 *               ERANGE   a block outside the region (or past the disk's end)
 *               ENOTCONN no buffer attached with this badge (the driver
 *                        restarted: attach again)
 *   BLK_FLUSH   no words. Returns after the device completed a flush of
 *               every write it completed before: on QEMU with
 *               cache=writeback, an fdatasync of the disk image.
 *               EIO      the device offers no flush (VIRTIO_BLK_F_FLUSH): the
 *                        driver cannot make writes durable and says so
 *                        rather than pretend
 *   BLK_INFO    -> w1 = the region's size in blocks (cut at the disk's end;
 *               0 for a region past it), w2 = BLK_INFO_* flags.
 * Every call may also fail with:
 *   EPERM      the capability's badge names no region
 *   ENOSYS     an unknown label
 *   EIO        the device reported an error for the request
 *   ETIMEDOUT  the device did not complete it within BLK_DEVICE_TIMEOUT_MS;
 *              the driver then resets the device and exits, and init starts
 *              it again (attachments are gone: ENOTCONN until attached again)
 * A call that was being served when the driver died fails with EDEAD
 * (IPC); calls queued meanwhile reach the restarted driver.
 */
#ifndef AION_BLK_H
#define AION_BLK_H

#include <stdbool.h>
#include <stdint.h>

#define BLK_SIZE                512

#define BLK_ATTACH              80
#define BLK_READ                81
#define BLK_WRITE               82
#define BLK_FLUSH               83
#define BLK_INFO                84

#define BLK_INFO_WRITABLE       (1u << 0)       /* the badge allows WRITE */
#define BLK_INFO_FLUSH          (1u << 1)       /* FLUSH makes writes durable */

#define BLK_BUF_PAGES           16
#define BLK_BUF_SIZE            (BLK_BUF_PAGES * 4096u)         /* 64 KiB */
#define BLK_XFER_BLOCKS         (BLK_BUF_SIZE / BLK_SIZE)       /* 128 */
#define BLK_ATTACH_MAX          8
#define BLK_DEVICE_TIMEOUT_MS   10000

/*
 * A region badge: bit 63 marks it (no region badge is 0, and none is
 * mistaken for another protocol's), bit 62 allows writing, bits 31-61 are
 * the block count and bits 0-30 the first block: up to 1 TiB of disk.
 */
#define BLK_BADGE_REGION        (1ull << 63)
#define BLK_BADGE_WRITE         (1ull << 62)
#define BLK_BADGE_FIELD_BITS    31
#define BLK_BADGE_FIELD_MAX     ((1ull << BLK_BADGE_FIELD_BITS) - 1)
#define BLK_COUNT_REST          BLK_BADGE_FIELD_MAX     /* to the end of the disk */

/* The badge of a region; 0 (which CAP_MINT refuses) when a field does not fit. */
static inline uint64_t blk_badge(uint64_t first, uint64_t count, bool writable)
{
	if (first > BLK_BADGE_FIELD_MAX || count > BLK_BADGE_FIELD_MAX || count == 0)
		return 0;
	return BLK_BADGE_REGION | (writable ? BLK_BADGE_WRITE : 0) |
	       count << BLK_BADGE_FIELD_BITS | first;
}

static inline uint64_t blk_badge_first(uint64_t badge)
{
	return badge & BLK_BADGE_FIELD_MAX;
}

static inline uint64_t blk_badge_count(uint64_t badge)
{
	return (badge >> BLK_BADGE_FIELD_BITS) & BLK_BADGE_FIELD_MAX;
}

static inline bool blk_badge_writable(uint64_t badge)
{
	return (badge & BLK_BADGE_WRITE) != 0;
}

/*
 * The disk layout: every node's disk is cut the same way, at fixed blocks,
 * so a region is known without reading the disk.
 *   reserved  blocks 0..2047 (1 MiB): nobody's (a partition table or a
 *             label may go there later; nothing scribbles on block 0)
 *   mesh      the next 16 MiB: meshd's Raft log and snapshots
 *   data      the rest: a file system later (issue 18)
 * init mints one region capability per consumer (docs/storage.md).
 */
#define BLK_RESERVED_FIRST      0
#define BLK_RESERVED_BLOCKS     2048
#define BLK_MESH_FIRST          (BLK_RESERVED_FIRST + BLK_RESERVED_BLOCKS)
#define BLK_MESH_BLOCKS         32768
#define BLK_DATA_FIRST          (BLK_MESH_FIRST + BLK_MESH_BLOCKS)
#define BLK_DATA_BLOCKS         BLK_COUNT_REST

#endif /* AION_BLK_H */
