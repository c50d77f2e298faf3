/*
 * libaion: the client of the block protocol (aion/blk.h). A unit opens the
 * region capability init gave it: a shared buffer of BLK_BUF_SIZE is made,
 * mapped and attached once; reads and writes then copy through it, in
 * pieces of at most BLK_XFER_BLOCKS, with one call each.
 *
 * read, write and flush have the shape of a block device's function
 * pointers (ctx is the struct blkclient *; blocks are relative to the
 * region; 0 or -AION_E...), so a store can take them as they are:
 *
 *     struct dev d = { c, blkclient_read, blkclient_write, blkclient_flush };
 *
 * A driver that restarted has forgotten the buffer (ENOTCONN): the call
 * attaches it again and is repeated, once; a call the dying driver was
 * serving (EDEAD) is repeated once too (block writes may be repeated).
 * One thread at a time per struct blkclient: the buffer is shared.
 */
#ifndef LIBAION_BLKCLIENT_H
#define LIBAION_BLKCLIENT_H

#include <stdint.h>
#include "aion/blk.h"
#include "libaion/lib.h"

/* Each call's limit: above the driver's own device timeout. */
#define BLKCLIENT_TIMEOUT_NS    (3ull * BLK_DEVICE_TIMEOUT_MS * 1000000ull)

struct blkclient {
	aion_handle_t region;           /* the region capability (the caller's) */
	struct aion_ipc_buffer *ipc;    /* the calling thread's, registered */
	aion_handle_t mem;              /* the shared buffer's memory object */
	uint8_t *buf;                   /* the buffer, mapped where open was told */
	uint64_t blocks;                /* the region's size, from BLK_INFO at open */
	uint32_t flags;                 /* BLK_INFO_* */
	uint32_t reattached;            /* times a restarted driver needed the buffer again */
};

/*
 * Makes the buffer, maps it at va (page-aligned, BLK_BUF_SIZE free bytes),
 * attaches it through region and asks BLK_INFO. 0, or -AION_E... with
 * nothing left behind.
 */
int64_t blkclient_open(struct blkclient *c, aion_handle_t region, struct aion_ipc_buffer *ipc,
		       uint64_t va);
/* Unmaps and closes the buffer; the region capability stays the caller's. */
void blkclient_close(struct blkclient *c);

/* count blocks from block into buf (count * BLK_SIZE bytes). */
int blkclient_read(void *ctx, uint64_t block, void *buf, uint32_t count);
/* count blocks from buf to block; durable after blkclient_flush returns 0. */
int blkclient_write(void *ctx, uint64_t block, const void *buf, uint32_t count);
/* Every write that returned before is on stable storage when this returns 0. */
int blkclient_flush(void *ctx);
/* BLK_INFO: the region's size in blocks and its BLK_INFO_* flags. */
int64_t blkclient_info(struct blkclient *c, uint64_t *blocks, uint32_t *flags);

#endif /* LIBAION_BLKCLIENT_H */
