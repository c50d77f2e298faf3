/*
 * virtio-blk driver: the device's request format and the pure rules of
 * vblk_pure.c (no system calls, no port I/O: host-tested by
 * tests/unit/test_vblk.c): which blocks a region badge reaches, whether a
 * READ or WRITE may run, how a buffer becomes DMA segments, and the table
 * of attached buffers. The protocol itself is aion/blk.h's.
 */
#ifndef VBLK_H
#define VBLK_H

#include <stdbool.h>
#include <stdint.h>
#include "aion/blk.h"
#include "aion/object.h"

#define VIRTIO_BLK_F_FLUSH      (1u << 9)       /* legacy name: VIRTIO_BLK_F_WCE */
#define VIRTIO_BLK_CFG_CAPACITY 0               /* 64-bit, in 512-byte sectors */

#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4

#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2

/* What the device reads first in every request. */
struct virtio_blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;        /* 512 bytes each, whatever the device's block size */
};

/* The blocks a badge reaches on this disk, absolute. */
struct blk_region {
	uint64_t first, count;  /* count cut at the disk's end */
	bool writable;
};

/* One physically contiguous piece of a transfer. */
struct blk_seg {
	uint64_t phys;
	uint32_t len;
};

/* A client's shared buffer, known by the badge it was attached with. */
struct blk_attach {
	uint64_t badge;                 /* 0: a free slot */
	aion_handle_t mem;              /* held, so its frames stay */
	uint64_t phys[BLK_BUF_PAGES];
};

/*
 * The region badge names on a disk of capacity blocks: 0, or -AION_EPERM
 * when it is no region badge. A region reaching past the end is cut there;
 * one that starts past it is empty.
 */
int blk_region_of(uint64_t badge, uint64_t capacity, struct blk_region *out);

/*
 * May a READ (write false) or WRITE of count blocks at block (relative to
 * r) through buffer offset off run? 0 with the first absolute sector in
 * *sector; else -AION_ERIGHTS, -AION_EINVAL or -AION_ERANGE (aion/blk.h
 * says which, in that order of precedence).
 */
int blk_check_io(const struct blk_region *r, uint64_t block, uint64_t count, uint64_t off,
		 bool write, uint64_t *sector);

/*
 * The segments of bytes [off, off + len) of a buffer whose pages are at
 * phys[0..BLK_BUF_PAGES), pages that follow each other physically merged.
 * The range must be checked (blk_check_io). Returns how many (at most
 * BLK_BUF_PAGES).
 */
unsigned blk_segments(const uint64_t *phys, uint64_t off, uint32_t len, struct blk_seg *out);

/* The device's status byte as an error: 0 or -AION_EIO. */
int blk_status_error(uint8_t status);

/*
 * The slot of t[0..n) attached with badge; when there is none and
 * free_ok, the first free slot. -1 when neither.
 */
int blk_attach_find(const struct blk_attach *t, unsigned n, uint64_t badge, bool free_ok);

#endif /* VBLK_H */
