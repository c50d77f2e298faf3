/*
 * A RAM block device for the log store's host tests (mesh/logstore.h's
 * struct ls_dev) that crashes the way the store's contract allows: it
 * keeps every write since the last flush apart, and a crash applies a
 * random subset of them in order, tearing some blocks (part old bytes,
 * part new). It can also fail every call from the n-th on (-AION_EIO),
 * as a device that died.
 */
#ifndef LS_RAMDEV_H
#define LS_RAMDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/logstore.h"

struct ramdev {
	uint64_t blocks;
	uint8_t *cur;        /* what reads see: every write so far */
	uint8_t *durable;    /* what a crash keeps for certain */
	uint64_t *pend_block;/* writes since the last flush, one block each */
	uint8_t *pend_data;
	size_t npend, cap;
	uint64_t rng;
	long calls;          /* device calls so far */
	long fail_at;        /* call number from which every call fails; -1 never */
	long reads, writes, flushes;
};

void ramdev_init(struct ramdev *d, uint64_t blocks, uint64_t seed);
void ramdev_free(struct ramdev *d);
struct ls_dev ramdev_dev(struct ramdev *d);

/* Crash: durable + a random subset of the pending writes, some torn;
 * the device works again afterwards (fail_at = -1). */
void ramdev_crash(struct ramdev *d);

/* Crash keeping exactly the pending writes to blocks keep() accepts,
 * whole. */
void ramdev_crash_keep(struct ramdev *d, bool (*keep)(uint64_t block, void *arg),
		       void *arg);

/* Make the current image durable as it is (no pending writes). */
void ramdev_settle(struct ramdev *d);

/* A copy of d's current image, settled, for a trial that may change it. */
void ramdev_clone(struct ramdev *dst, const struct ramdev *src);

#endif /* LS_RAMDEV_H */
