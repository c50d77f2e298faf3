/* The fault-injecting RAM device of the log store tests (ls_ramdev.h). */
#include "ls_ramdev.h"

#include <stdlib.h>
#include <string.h>

#include "aion/error.h"
#include "common/xorshift.h"

void ramdev_init(struct ramdev *d, uint64_t blocks, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->blocks = blocks;
	d->cur = calloc(blocks, LS_BLOCK);
	d->durable = calloc(blocks, LS_BLOCK);
	d->rng = seed ? seed : 1;
	d->fail_at = -1;
}

void ramdev_free(struct ramdev *d)
{
	free(d->cur);
	free(d->durable);
	free(d->pend_block);
	free(d->pend_data);
	memset(d, 0, sizeof(*d));
}

/* Counts the call; true when this call (and so every later one) fails. */
static bool dead(struct ramdev *d)
{
	long n = d->calls++;

	return d->fail_at >= 0 && n >= d->fail_at;
}

static int rd(void *ctx, uint64_t block, void *buf, uint32_t count)
{
	struct ramdev *d = ctx;

	if (dead(d))
		return -AION_EIO;
	if (block > d->blocks || count > d->blocks - block)
		return -AION_EINVAL;
	d->reads++;
	memcpy(buf, d->cur + block * LS_BLOCK, (size_t)count * LS_BLOCK);
	return 0;
}

static void pend_add(struct ramdev *d, uint64_t block, const uint8_t *data)
{
	if (d->npend == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->pend_block = realloc(d->pend_block, d->cap * sizeof(uint64_t));
		d->pend_data = realloc(d->pend_data, d->cap * LS_BLOCK);
	}
	d->pend_block[d->npend] = block;
	memcpy(d->pend_data + d->npend * LS_BLOCK, data, LS_BLOCK);
	d->npend++;
}

static int wr(void *ctx, uint64_t block, const void *buf, uint32_t count)
{
	struct ramdev *d = ctx;
	const uint8_t *p = buf;

	if (dead(d))
		return -AION_EIO;
	if (block > d->blocks || count > d->blocks - block)
		return -AION_EINVAL;
	d->writes++;
	for (uint32_t i = 0; i < count; i++)
		pend_add(d, block + i, p + (size_t)i * LS_BLOCK);
	memcpy(d->cur + block * LS_BLOCK, buf, (size_t)count * LS_BLOCK);
	return 0;
}

static int fl(void *ctx)
{
	struct ramdev *d = ctx;

	if (dead(d))
		return -AION_EIO;
	d->flushes++;
	ramdev_settle(d);
	return 0;
}

struct ls_dev ramdev_dev(struct ramdev *d)
{
	return (struct ls_dev){ .ctx = d, .blocks = d->blocks,
				.read = rd, .write = wr, .flush = fl };
}

void ramdev_settle(struct ramdev *d)
{
	memcpy(d->durable, d->cur, d->blocks * LS_BLOCK);
	d->npend = 0;
}

/* The crash image becomes what reads see, and the device lives again. */
static void crash_done(struct ramdev *d)
{
	memcpy(d->cur, d->durable, d->blocks * LS_BLOCK);
	d->npend = 0;
	d->fail_at = -1;
}

/* Some of new over dst: a prefix or a suffix of the block, cut anywhere. */
static void tear(struct ramdev *d, uint8_t *dst, const uint8_t *new)
{
	size_t cut = 1 + xorshift64(&d->rng) % (LS_BLOCK - 1);

	if (xorshift64(&d->rng) & 1)
		memcpy(dst, new, cut);
	else
		memcpy(dst + cut, new + cut, LS_BLOCK - cut);
}

void ramdev_crash(struct ramdev *d)
{
	for (size_t i = 0; i < d->npend; i++) {
		uint8_t *dst = d->durable + d->pend_block[i] * LS_BLOCK;
		const uint8_t *new = d->pend_data + i * LS_BLOCK;
		unsigned r = (unsigned)(xorshift64(&d->rng) % 8);
		if (r < 3)
			continue;       /* lost */
		if (r < 6)
			memcpy(dst, new, LS_BLOCK);
		else
			tear(d, dst, new);
	}
	crash_done(d);
}

void ramdev_crash_keep(struct ramdev *d, bool (*keep)(uint64_t block, void *arg),
		       void *arg)
{
	for (size_t i = 0; i < d->npend; i++)
		if (keep(d->pend_block[i], arg))
			memcpy(d->durable + d->pend_block[i] * LS_BLOCK,
			       d->pend_data + i * LS_BLOCK, LS_BLOCK);
	crash_done(d);
}

void ramdev_clone(struct ramdev *dst, const struct ramdev *src)
{
	ramdev_init(dst, src->blocks, src->rng);
	memcpy(dst->cur, src->cur, src->blocks * LS_BLOCK);
	ramdev_settle(dst);
}
