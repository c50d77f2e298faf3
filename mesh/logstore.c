/*
 * The durable log store (mesh/logstore.h): layout, device access,
 * format, open, sync and the hard state. The metadata codec, the log and
 * the snapshot have a file each (logstore_meta.c, logstore_log.c,
 * logstore_snap.c); docs/logstore.md says why each write order is safe.
 */
#include "logstore_impl.h"

#include "aion/error.h"

int ls_layout_make(uint64_t blocks, uint32_t snap_max, struct ls_layout *out)
{
	uint64_t snap_blocks, log_start;

	if (snap_max == 0 || snap_max > LS_SNAP_LIMIT)
		return -AION_EINVAL;
	snap_blocks = 1 + (snap_max + LS_BLOCK - 1) / LS_BLOCK;
	log_start = 2 + 2 * snap_blocks;
	if (blocks < log_start ||
	    (blocks - log_start) / LS_SLOT_BLOCKS < LS_SLOTS_MIN)
		return -AION_EINVAL;
	out->blocks = blocks;
	out->snap_max = snap_max;
	out->snap_blocks = (uint32_t)snap_blocks;
	out->snap_start[0] = 2;
	out->snap_start[1] = 2 + snap_blocks;
	out->log_start = log_start;
	out->log_slots = (blocks - log_start) / LS_SLOT_BLOCKS;
	return 0;
}

/* Never let a store bug reach outside the region it was given. */
static bool dev_range_ok(const struct ls *ls, uint64_t block, uint32_t count)
{
	return count > 0 && block < ls->dev.blocks &&
	       count <= ls->dev.blocks - block;
}

int ls_dev_read(struct ls *ls, uint64_t block, void *buf, uint32_t count)
{
	if (!dev_range_ok(ls, block, count))
		return -AION_EINVAL;
	return ls->dev.read(ls->dev.ctx, block, buf, count);
}

/* After a failed write or flush nothing tells which blocks reached the
 * disk, so the store stops (as after an fsync error) until reopened. */
static int fail(struct ls *ls, int err)
{
	if (err > 0)
		err = -AION_EIO;   /* a device that breaks its contract */
	if (err && !ls->failed)
		ls->failed = err;
	return err;
}

int ls_dev_write(struct ls *ls, uint64_t block, const void *buf, uint32_t count)
{
	if (ls->failed)
		return ls->failed;
	if (!dev_range_ok(ls, block, count))
		return -AION_EINVAL;
	ls->unflushed = true;
	return fail(ls, ls->dev.write(ls->dev.ctx, block, buf, count));
}

int ls_dev_flush(struct ls *ls)
{
	int err;

	if (ls->failed)
		return ls->failed;
	err = fail(ls, ls->dev.flush(ls->dev.ctx));
	if (!err)
		ls->unflushed = false;
	return err;
}

static bool dev_ok(const struct ls_dev *dev)
{
	return dev && dev->read && dev->write && dev->flush && dev->blocks;
}

/* A format must not reuse the nonce of the store it replaces: records
 * of that store would read as this one's. */
static int format_check_nonce(struct ls *ls, uint64_t nonce)
{
	struct ls_meta old;

	for (uint64_t b = 0; b < 2; b++) {
		int err = ls_dev_read(ls, b, ls->buf, 1);
		if (err)
			return err;
		if (ls_meta_decode(ls->buf, &old) == LS_META_OK &&
		    old.nonce == nonce)
			return -AION_EEXIST;
	}
	return 0;
}

static void format_meta(struct ls *ls, const struct ls_format_params *p)
{
	struct ls_meta *m = &ls->mem;

	m->nonce = p->nonce;
	m->server_id = p->server_id;
	m->cluster_id = p->cluster_id;
	m->blocks = ls->lay.blocks;
	m->snap_max = p->snap_max;
	m->snap_slot = LS_SLOT_NONE;
	m->epoch = 1;
	m->fence_index = 1;
	m->fence_epoch = 1;
	m->head_index = 1;
}

/* Both copies, so a valid copy of the region's previous life can never
 * win on its sequence number. */
static int format_write(struct ls *ls)
{
	int err;

	ls->meta_cur = 1;
	err = ls_meta_write(ls);
	if (!err)
		err = ls_meta_write(ls);
	if (!err)
		err = ls_dev_flush(ls);
	if (!err)
		ls->disk = ls->mem;
	return err;
}

int ls_format(struct ls *ls, const struct ls_dev *dev,
	      const struct ls_format_params *p)
{
	int err;

	if (!ls || !dev_ok(dev) || !p || !p->server_id || !p->nonce)
		return -AION_EINVAL;
	__builtin_memset(ls, 0, sizeof(*ls));
	ls->dev = *dev;
	err = ls_layout_make(dev->blocks, p->snap_max, &ls->lay);
	if (!err)
		err = format_check_nonce(ls, p->nonce);
	if (err)
		return err;
	format_meta(ls, p);
	return format_write(ls);
}

/*
 * Records past the recovered end may be leftovers of a batch the crash
 * cut short: durable blocks behind a lost one. Appending next to them
 * would make them follow again. The batch wrote at most epoch
 * disk.epoch + 1; a fresh epoch above it, required from last + 1 on and
 * durable before anything is appended, rules them out.
 */
static int open_fence(struct ls *ls)
{
	ls->mem.epoch = ls->disk.epoch + 2;
	ls->mem.fence_index = ls->last_index + 1;
	ls->mem.fence_epoch = ls->mem.epoch;
	ls->meta_dirty = true;
	return ls_sync(ls);
}

int ls_open(struct ls *ls, const struct ls_dev *dev)
{
	int err;

	if (!ls || !dev_ok(dev))
		return -AION_EINVAL;
	__builtin_memset(ls, 0, sizeof(*ls));
	ls->dev = *dev;
	err = ls_meta_load(ls);
	if (!err)
		err = ls_log_scan(ls);
	if (!err)
		err = ls_snap_load(ls);
	if (err)
		return err;
	return open_fence(ls);
}

static int flush_pending(struct ls *ls)
{
	return ls->unflushed ? ls_dev_flush(ls) : 0;
}

static int meta_commit(struct ls *ls)
{
	int err = ls_meta_write(ls);

	if (!err)
		err = ls_dev_flush(ls);
	if (!err) {
		ls->disk = ls->mem;
		ls->meta_dirty = false;
	}
	return err;
}

/*
 * Records first, then the metadata that may make them valid (a pending
 * epoch) or move the head past freed slots: the metadata never names
 * what is not durable yet.
 */
int ls_sync(struct ls *ls)
{
	int err;

	if (!ls)
		return -AION_EINVAL;
	err = ls->failed ? ls->failed : flush_pending(ls);
	if (!err && ls->meta_dirty)
		err = meta_commit(ls);
	return err;
}

int ls_set_hard_state(struct ls *ls, uint64_t term, uint64_t voted_for)
{
	if (!ls || term < ls->mem.term)
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	if (term == ls->mem.term && voted_for == ls->mem.voted_for)
		return 0;
	ls_meta_touch(ls);
	ls->mem.term = term;
	ls->mem.voted_for = voted_for;
	return 0;
}

int ls_next_boot(struct ls *ls, uint32_t floor, uint32_t *boot)
{
	if (!ls || !boot)
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	if (ls->mem.boot >= 0xffffffffull)
		return -AION_ERANGE;
	ls_meta_touch(ls);
	ls->mem.boot = ls->mem.boot + 1 > floor ? ls->mem.boot + 1 : floor;
	*boot = (uint32_t)ls->mem.boot;
	return 0;
}

void ls_info(const struct ls *ls, struct ls_info *out)
{
	bool snap = ls->mem.snap_slot != LS_SLOT_NONE;

	out->server_id = ls->mem.server_id;
	out->cluster_id = ls->mem.cluster_id;
	out->term = ls->mem.term;
	out->voted_for = ls->mem.voted_for;
	out->first_index = ls->mem.head_index;
	out->last_index = ls->last_index;
	out->last_term = ls->last_term;
	out->has_snapshot = snap;
	out->snap_index = snap ? ls->snap.index : 0;
	out->snap_term = snap ? ls->snap.term : 0;
	out->snap_len = snap ? ls->snap.len : 0;
	out->log_slots = ls->lay.log_slots;
	out->boot = ls->mem.boot;
}

const struct ls_snap_meta *ls_snapshot(const struct ls *ls)
{
	return ls->mem.snap_slot == LS_SLOT_NONE ? NULL : &ls->snap;
}
