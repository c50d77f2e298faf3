/*
 * The log store's metadata: two alternating copies of one block
 * (mesh/logstore_format.h). A write always goes to the copy that is not
 * current, so a torn write leaves the current one whole.
 */
#include "logstore_impl.h"

#include "aion/error.h"
#include "common/crc32.h"
#include "common/le.h"

void ls_meta_encode(const struct ls_meta *m, uint8_t *blk)
{
	__builtin_memset(blk, 0, LS_BLOCK);
	le64_put(blk + LS_META_OFF_MAGIC, LS_META_MAGIC);
	le32_put(blk + LS_META_OFF_VERSION, LS_VERSION);
	le64_put(blk + LS_META_OFF_SEQ, m->seq);
	le64_put(blk + LS_META_OFF_NONCE, m->nonce);
	le64_put(blk + LS_META_OFF_SERVER, m->server_id);
	le64_put(blk + LS_META_OFF_CLUSTER, m->cluster_id);
	le64_put(blk + LS_META_OFF_BLOCKS, m->blocks);
	le32_put(blk + LS_META_OFF_SNAP_MAX, m->snap_max);
	le32_put(blk + LS_META_OFF_SNAP_SLOT, m->snap_slot);
	le64_put(blk + LS_META_OFF_TERM, m->term);
	le64_put(blk + LS_META_OFF_VOTED, m->voted_for);
	le64_put(blk + LS_META_OFF_EPOCH, m->epoch);
	le64_put(blk + LS_META_OFF_FENCE_IDX, m->fence_index);
	le64_put(blk + LS_META_OFF_FENCE_EP, m->fence_epoch);
	le64_put(blk + LS_META_OFF_HEAD, m->head_index);
	le64_put(blk + LS_META_OFF_HEAD_TERM, m->head_prev_term);
	le64_put(blk + LS_META_OFF_SNAP_IDX, m->snap_index);
	le64_put(blk + LS_META_OFF_SNAP_TERM, m->snap_term);
	le64_put(blk + LS_META_OFF_BOOT, m->boot);
	le32_put(blk + LS_META_OFF_CRC,
		 crc32c(0, blk + LS_META_OFF_VERSION, LS_BLOCK - LS_META_OFF_VERSION));
}

static void meta_fields(const uint8_t *blk, struct ls_meta *m)
{
	m->seq = le64_get(blk + LS_META_OFF_SEQ);
	m->nonce = le64_get(blk + LS_META_OFF_NONCE);
	m->server_id = le64_get(blk + LS_META_OFF_SERVER);
	m->cluster_id = le64_get(blk + LS_META_OFF_CLUSTER);
	m->blocks = le64_get(blk + LS_META_OFF_BLOCKS);
	m->snap_max = le32_get(blk + LS_META_OFF_SNAP_MAX);
	m->snap_slot = le32_get(blk + LS_META_OFF_SNAP_SLOT);
	m->term = le64_get(blk + LS_META_OFF_TERM);
	m->voted_for = le64_get(blk + LS_META_OFF_VOTED);
	m->epoch = le64_get(blk + LS_META_OFF_EPOCH);
	m->fence_index = le64_get(blk + LS_META_OFF_FENCE_IDX);
	m->fence_epoch = le64_get(blk + LS_META_OFF_FENCE_EP);
	m->head_index = le64_get(blk + LS_META_OFF_HEAD);
	m->head_prev_term = le64_get(blk + LS_META_OFF_HEAD_TERM);
	m->snap_index = le64_get(blk + LS_META_OFF_SNAP_IDX);
	m->snap_term = le64_get(blk + LS_META_OFF_SNAP_TERM);
	m->boot = le64_get(blk + LS_META_OFF_BOOT);
}

/* A block whose CRC holds but whose fields cannot be right was written
 * by something else (or a bug): it is as bad as a torn one. */
static bool meta_sane(const struct ls_meta *m)
{
	struct ls_layout lay;

	if (ls_layout_make(m->blocks, m->snap_max, &lay))
		return false;
	if (m->snap_slot > 1 && m->snap_slot != LS_SLOT_NONE)
		return false;
	/* The log starts after the snapshot at the latest (at 1 without). */
	if (m->snap_slot == LS_SLOT_NONE ? m->head_index != 1 :
	    m->snap_index == 0 || m->head_index > m->snap_index + 1)
		return false;
	return m->server_id && m->nonce && m->head_index &&
	       m->fence_epoch <= m->epoch;
}

enum ls_meta_state ls_meta_decode(const uint8_t *blk, struct ls_meta *m)
{
	uint32_t crc = crc32c(0, blk + LS_META_OFF_VERSION,
			      LS_BLOCK - LS_META_OFF_VERSION);

	if (le64_get(blk + LS_META_OFF_MAGIC) != LS_META_MAGIC)
		return LS_META_EMPTY;
	if (le32_get(blk + LS_META_OFF_CRC) != crc ||
	    le32_get(blk + LS_META_OFF_VERSION) != LS_VERSION)
		return LS_META_BAD;
	meta_fields(blk, m);
	return meta_sane(m) ? LS_META_OK : LS_META_BAD;
}

static int meta_read_both(struct ls *ls, struct ls_meta m[2],
			  enum ls_meta_state st[2])
{
	for (uint32_t b = 0; b < 2; b++) {
		int err = ls_dev_read(ls, b, ls->buf, 1);
		if (err)
			return err;
		st[b] = ls_meta_decode(ls->buf, &m[b]);
	}
	return 0;
}

/*
 * The current copy: the valid one with the higher seq. Neither copy
 * carrying the magic is a region never formatted (-AION_ENOENT); a
 * magic without a valid copy is a formatted store that lost both
 * (-AION_ECORRUPT): serving anything then would be serving garbage.
 */
int ls_meta_load(struct ls *ls)
{
	struct ls_meta m[2];
	enum ls_meta_state st[2];
	uint32_t cur;
	int err = meta_read_both(ls, m, st);

	if (err)
		return err;
	if (st[0] == LS_META_EMPTY && st[1] == LS_META_EMPTY)
		return -AION_ENOENT;
	if (st[0] != LS_META_OK && st[1] != LS_META_OK)
		return -AION_ECORRUPT;
	cur = st[1] == LS_META_OK &&
	      (st[0] != LS_META_OK || m[1].seq > m[0].seq);
	if (m[cur].blocks > ls->dev.blocks)
		return -AION_EINVAL;   /* a smaller region than was formatted */
	ls_layout_make(m[cur].blocks, m[cur].snap_max, &ls->lay);
	ls->disk = m[cur];
	ls->mem = m[cur];
	ls->meta_cur = cur;
	return 0;
}

/* Write mem, with the next seq, over the copy that is not current.
 * Durable only after the caller's flush. */
int ls_meta_write(struct ls *ls)
{
	uint32_t target = ls->meta_cur ^ 1;
	int err;

	ls->mem.seq++;
	ls_meta_encode(&ls->mem, ls->buf);
	err = ls_dev_write(ls, target, ls->buf, 1);
	if (!err)
		ls->meta_cur = target;
	return err;
}

/*
 * The first metadata change of a batch starts a new epoch. Records
 * appended after it carry that epoch and count only once metadata with
 * it is durable, so a crash cannot keep them without the change that
 * came before them.
 */
void ls_meta_touch(struct ls *ls)
{
	if (!ls->meta_dirty) {
		ls->mem.epoch++;
		ls->meta_dirty = true;
	}
}
