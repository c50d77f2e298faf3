/*
 * The log: entry i in slot i % log_slots of the ring
 * (mesh/logstore_format.h). Recovery accepts a record only if it is
 * whole, is this store's entry i, and may be part of the log the
 * durable metadata describes (rec_follows); docs/logstore.md argues why
 * no stale record passes.
 */
#include "logstore_impl.h"

#include "aion/error.h"
#include "common/crc32.h"
#include "common/le.h"

static uint64_t slot_block(const struct ls *ls, uint64_t index)
{
	return ls->lay.log_start + (index % ls->lay.log_slots) * LS_SLOT_BLOCKS;
}

static uint32_t rec_blocks(uint32_t len)
{
	return (LS_REC_HDR + len + LS_BLOCK - 1) / LS_BLOCK;
}

static uint32_t rec_crc(const uint8_t *rec, uint32_t len)
{
	return crc32c(0, rec + LS_REC_OFF_NONCE, LS_REC_HDR - LS_REC_OFF_NONCE + len);
}

/* Entry e in ls->buf as its record, in the current epoch. */
static void rec_encode(struct ls *ls, const struct ls_entry *e,
		       const void *payload)
{
	uint8_t *rec = ls->buf;

	__builtin_memset(rec, 0, rec_blocks(e->len) * LS_BLOCK);
	le32_put(rec + LS_REC_OFF_MAGIC, LS_REC_MAGIC);
	le64_put(rec + LS_REC_OFF_NONCE, ls->mem.nonce);
	le64_put(rec + LS_REC_OFF_INDEX, e->index);
	le64_put(rec + LS_REC_OFF_TERM, e->term);
	le64_put(rec + LS_REC_OFF_EPOCH, ls->mem.epoch);
	le32_put(rec + LS_REC_OFF_LEN, e->len);
	rec[LS_REC_OFF_TYPE] = e->type;
	if (e->len)
		__builtin_memcpy(rec + LS_REC_HDR, payload, e->len);
	le32_put(rec + LS_REC_OFF_CRC, rec_crc(rec, e->len));
}

/* index's slot into ls->buf: as many blocks as the record's length
 * says. *len: that length. -AION_ECORRUPT when no record starts there. */
static int rec_read(struct ls *ls, uint64_t index, uint32_t *len)
{
	uint64_t blk = slot_block(ls, index);
	int err = ls_dev_read(ls, blk, ls->buf, 1);

	if (err)
		return err;
	*len = le32_get(ls->buf + LS_REC_OFF_LEN);
	if (le32_get(ls->buf + LS_REC_OFF_MAGIC) != LS_REC_MAGIC || *len > LS_ENTRY_MAX)
		return -AION_ECORRUPT;
	if (rec_blocks(*len) == 1)
		return 0;
	return ls_dev_read(ls, blk + 1, ls->buf + LS_BLOCK, rec_blocks(*len) - 1);
}

/*
 * The record in index's slot, if it is whole and is this store's entry
 * index: fills *e and *epoch (the payload stays in ls->buf).
 * -AION_ECORRUPT when it is not (missing, torn, flipped, stale from an
 * earlier lap or an earlier format), or the device's error.
 */
static int rec_load(struct ls *ls, uint64_t index, struct ls_entry *e,
		    uint64_t *epoch)
{
	const uint8_t *rec = ls->buf;
	uint32_t len;
	int err = rec_read(ls, index, &len);

	if (err)
		return err;
	if (le32_get(rec + LS_REC_OFF_CRC) != rec_crc(rec, len) ||
	    le64_get(rec + LS_REC_OFF_NONCE) != ls->mem.nonce ||
	    le64_get(rec + LS_REC_OFF_INDEX) != index)
		return -AION_ECORRUPT;
	e->index = index;
	e->term = le64_get(rec + LS_REC_OFF_TERM);
	e->len = len;
	e->type = rec[LS_REC_OFF_TYPE];
	*epoch = le64_get(rec + LS_REC_OFF_EPOCH);
	return 0;
}

/*
 * May a whole record of the expected index belong to the log metadata m
 * describes? Not if it was appended after a metadata change m does not
 * hold (epoch above m's), nor if it was removed by the last cut (from
 * fence_index on, an epoch below fence_epoch).
 */
static bool rec_follows(const struct ls_meta *m, uint64_t index, uint64_t epoch)
{
	if (epoch > m->epoch)
		return false;
	return index < m->fence_index || epoch >= m->fence_epoch;
}

int ls_log_scan(struct ls *ls)
{
	const struct ls_meta *m = &ls->disk;
	uint64_t i = m->head_index, epoch;
	struct ls_entry e;

	ls->last_index = i - 1;
	ls->last_term = m->head_prev_term;
	for (uint64_t n = 0; n < ls->lay.log_slots; n++, i++) {
		int err = rec_load(ls, i, &e, &epoch);
		if (err == -AION_ECORRUPT || (!err && !rec_follows(m, i, epoch)))
			break;
		if (err)
			return err;
		ls->last_index = i;
		ls->last_term = e.term;
	}
	return 0;
}

/*
 * index's slot must hold nothing the durable metadata still counts:
 * compaction frees slots only once it is synced, so sync now if that is
 * what makes room.
 */
static int make_room(struct ls *ls, uint64_t index)
{
	if (index - ls->mem.head_index >= ls->lay.log_slots)
		return -AION_ENOSPC;
	if (index - ls->disk.head_index < ls->lay.log_slots)
		return 0;
	return ls_sync(ls);
}

int ls_append(struct ls *ls, const struct ls_entry *e, const void *payload)
{
	int err;

	if (!ls || !e || (e->len && !payload) || e->len > LS_ENTRY_MAX ||
	    e->index != ls->last_index + 1)
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	err = make_room(ls, e->index);
	if (err)
		return err;
	rec_encode(ls, e, payload);
	err = ls_dev_write(ls, slot_block(ls, e->index), ls->buf,
			   rec_blocks(e->len));
	if (err)
		return err;
	ls->last_index = e->index;
	ls->last_term = e->term;
	return 0;
}

/*
 * Drop [from, last]. The removed records stay on disk until overwritten,
 * so the metadata fences them off: from `from` on, only records of a new
 * epoch, one no record written so far carries. Synced at once: new
 * records will overwrite removed ones that the old metadata still
 * counts, and a crash between two such writes must not leave a log cut
 * at a point no sequence of operations reaches.
 */
int ls_log_cut(struct ls *ls, uint64_t from)
{
	ls->last_index = from - 1;
	ls->mem.epoch++;
	ls->mem.fence_index = from;
	ls->mem.fence_epoch = ls->mem.epoch;
	ls->meta_dirty = true;
	return ls_sync(ls);
}

int ls_truncate(struct ls *ls, uint64_t from)
{
	uint64_t term;
	int err;

	if (!ls || from < ls->mem.head_index ||
	    (ls_snapshot(ls) && from <= ls->snap.index))
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	if (from > ls->last_index)
		return 0;
	err = ls_term(ls, from - 1, &term);
	if (err)
		return err;
	ls->last_term = term;
	return ls_log_cut(ls, from);
}

/* The snapshot replaces the whole log, which restarts after it. */
static int log_restart(struct ls *ls)
{
	uint64_t next = ls->snap.index + 1;

	ls->mem.head_index = next;
	ls->mem.head_prev_term = ls->snap.term;
	ls->last_term = ls->snap.term;
	return ls_log_cut(ls, next);
}

/* Entries up to upto go once this is synced. */
static int log_drop_head(struct ls *ls, uint64_t upto, uint64_t term)
{
	ls_meta_touch(ls);
	ls->mem.head_index = upto + 1;
	ls->mem.head_prev_term = term;
	return 0;
}

int ls_compact(struct ls *ls, uint64_t upto)
{
	uint64_t term = 0;
	int err;

	if (!ls || !ls_snapshot(ls) || upto > ls->snap.index ||
	    (upto > ls->last_index && upto < ls->snap.index))
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	if (upto < ls->mem.head_index)
		return 0;
	err = upto > ls->last_index ? 0 : ls_term(ls, upto, &term);
	if (err)
		return err;
	if (upto == ls->snap.index && (upto > ls->last_index || term != ls->snap.term))
		return log_restart(ls);
	return log_drop_head(ls, upto, term);
}

/* An entry of the log (first..last), checked. */
static int entry_load(struct ls *ls, uint64_t index, struct ls_entry *e)
{
	uint64_t epoch;

	if (ls->failed)
		return ls->failed;
	if (index < ls->mem.head_index || index > ls->last_index)
		return -AION_ENOENT;
	return rec_load(ls, index, e, &epoch);
}

int ls_read(struct ls *ls, uint64_t index, struct ls_entry *e,
	    void *payload, uint32_t cap)
{
	int err;

	if (!ls || !e || (cap && !payload))
		return -AION_EINVAL;
	err = entry_load(ls, index, e);
	if (err)
		return err;
	if (e->len > cap)
		return -AION_ERANGE;
	if (e->len)
		__builtin_memcpy(payload, ls->buf + LS_REC_HDR, e->len);
	return 0;
}

/* The ends of the log answer from memory; entries between from disk. */
int ls_term(struct ls *ls, uint64_t index, uint64_t *term)
{
	struct ls_entry e;
	int err;

	if (!ls || !term)
		return -AION_EINVAL;
	if (index == ls->last_index || index + 1 == ls->mem.head_index) {
		*term = index == ls->last_index ? ls->last_term : ls->mem.head_prev_term;
		return 0;
	}
	err = entry_load(ls, index, &e);
	if (!err)
		*term = e.term;
	return err;
}
