/*
 * The snapshot: two slots (mesh/logstore_format.h). A new snapshot goes
 * to the slot the metadata does not call current and becomes current
 * only through a metadata write after its data is durable, so a crash
 * part-way keeps the old one.
 */
#include "logstore_impl.h"

#include "aion/error.h"
#include "common/crc32.h"
#include "common/le.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static void snap_hdr_encode(const struct ls *ls, const struct ls_snap_meta *m,
			    uint32_t data_crc, uint8_t *blk)
{
	__builtin_memset(blk, 0, LS_BLOCK);
	le32_put(blk + LS_SNAP_OFF_MAGIC, LS_SNAP_MAGIC);
	le64_put(blk + LS_SNAP_OFF_NONCE, ls->mem.nonce);
	le64_put(blk + LS_SNAP_OFF_INDEX, m->index);
	le64_put(blk + LS_SNAP_OFF_TERM, m->term);
	le32_put(blk + LS_SNAP_OFF_LEN, m->len);
	le32_put(blk + LS_SNAP_OFF_DATA_CRC, data_crc);
	le32_put(blk + LS_SNAP_OFF_CONF_LEN, m->conf_len);
	__builtin_memcpy(blk + LS_SNAP_OFF_CONF, m->conf, m->conf_len);
	le32_put(blk + LS_SNAP_OFF_CRC,
		 crc32c(0, blk + LS_SNAP_OFF_NONCE, LS_BLOCK - LS_SNAP_OFF_NONCE));
}

/* Slot's header (in ls->buf) decoded into *m; false if it does not check. */
static bool snap_hdr_decode(const struct ls *ls, const uint8_t *blk,
			    struct ls_snap_meta *m)
{
	uint32_t crc = crc32c(0, blk + LS_SNAP_OFF_NONCE, LS_BLOCK - LS_SNAP_OFF_NONCE);

	if (le32_get(blk + LS_SNAP_OFF_MAGIC) != LS_SNAP_MAGIC ||
	    le32_get(blk + LS_SNAP_OFF_CRC) != crc ||
	    le64_get(blk + LS_SNAP_OFF_NONCE) != ls->mem.nonce)
		return false;
	m->index = le64_get(blk + LS_SNAP_OFF_INDEX);
	m->term = le64_get(blk + LS_SNAP_OFF_TERM);
	m->len = le32_get(blk + LS_SNAP_OFF_LEN);
	m->conf_len = le32_get(blk + LS_SNAP_OFF_CONF_LEN);
	if (m->len > ls->lay.snap_max || m->conf_len > LS_CONF_MAX || !m->index)
		return false;
	__builtin_memcpy(m->conf, blk + LS_SNAP_OFF_CONF, LS_CONF_MAX);
	return true;
}

/* CRC-32C of slot's len data bytes, read a few blocks at a time. */
static int snap_data_crc(struct ls *ls, uint32_t slot, uint32_t len,
			 uint32_t *crc)
{
	uint64_t blk = ls->lay.snap_start[slot] + 1;

	*crc = 0;
	while (len) {
		uint32_t n = min_u32(len, sizeof(ls->buf));
		int err = ls_dev_read(ls, blk, ls->buf, (n + LS_BLOCK - 1) / LS_BLOCK);
		if (err)
			return err;
		*crc = crc32c(*crc, ls->buf, n);
		blk += LS_SLOT_BLOCKS;
		len -= n;
	}
	return 0;
}

/* Slot's header and data, checked: -AION_ECORRUPT unless both hold. */
static int snap_check(struct ls *ls, uint32_t slot, struct ls_snap_meta *m)
{
	uint32_t want, got;
	int err = ls_dev_read(ls, ls->lay.snap_start[slot], ls->buf, 1);

	if (err)
		return err;
	if (!snap_hdr_decode(ls, ls->buf, m))
		return -AION_ECORRUPT;
	want = le32_get(ls->buf + LS_SNAP_OFF_DATA_CRC);
	err = snap_data_crc(ls, slot, m->len, &got);
	if (err)
		return err;
	return got == want ? 0 : -AION_ECORRUPT;
}

/* Does the log hold every entry after snapshot m, starting from m's? */
static bool log_continues(struct ls *ls, const struct ls_snap_meta *m)
{
	uint64_t term;

	if (m->index + 1 < ls->mem.head_index || m->index > ls->last_index)
		return false;
	return !ls_term(ls, m->index, &term) && term == m->term;
}

static int snap_fallback(struct ls *ls, uint32_t slot)
{
	int err = snap_check(ls, slot, &ls->snap);

	if (err)
		return err;
	if (!log_continues(ls, &ls->snap))
		return -AION_ECORRUPT;
	ls->mem.snap_slot = slot;
	ls->mem.snap_index = ls->snap.index;
	ls->mem.snap_term = ls->snap.term;
	return 0;
}

/*
 * The current snapshot, checked. When it fails, the other slot may
 * stand in, but only if it is whole and the log still holds everything
 * after it: otherwise entries would be missing between the two.
 */
int ls_snap_load(struct ls *ls)
{
	uint32_t cur = ls->mem.snap_slot;
	int err;

	if (cur == LS_SLOT_NONE)
		return 0;
	err = snap_check(ls, cur, &ls->snap);
	if (!err && (ls->snap.index != ls->mem.snap_index ||
		     ls->snap.term != ls->mem.snap_term))
		err = -AION_ECORRUPT;
	return err == -AION_ECORRUPT ? snap_fallback(ls, cur ^ 1) : err;
}

int ls_snap_begin(struct ls *ls, const struct ls_snap_meta *m)
{
	struct ls_snap_writer *w;

	if (!ls || !m || !m->index || m->conf_len > LS_CONF_MAX ||
	    (ls_snapshot(ls) && m->index <= ls->snap.index))
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	w = &ls->wsnap;
	__builtin_memset(w, 0, sizeof(*w));
	w->open = true;
	w->slot = ls_snapshot(ls) ? ls->mem.snap_slot ^ 1 : 0;
	w->meta = *m;
	w->meta.len = 0;
	/* What reopening reads back: conf zero padded. */
	__builtin_memset(w->meta.conf + m->conf_len, 0, LS_CONF_MAX - m->conf_len);
	return 0;
}

/* First block of the snapshot's data block b in the slot being written. */
static uint64_t wsnap_block(const struct ls *ls, uint32_t b)
{
	return ls->lay.snap_start[ls->wsnap.slot] + 1 + b;
}

/* The staged partial block, zero padded, to its place. */
static int stage_write(struct ls *ls)
{
	struct ls_snap_writer *w = &ls->wsnap;
	uint32_t b = (w->meta.len - w->fill) / LS_BLOCK;

	__builtin_memset(w->stage + w->fill, 0, LS_BLOCK - w->fill);
	w->fill = 0;
	return ls_dev_write(ls, wsnap_block(ls, b), w->stage, 1);
}

/* Some of p[0, len) into the slot: whole blocks straight from the
 * caller's buffer, else into the stage. Returns the bytes taken. */
static uint32_t wsnap_piece(struct ls *ls, const uint8_t *p, uint32_t len,
			    int *err)
{
	struct ls_snap_writer *w = &ls->wsnap;
	uint32_t n;

	if (w->fill == 0 && len >= LS_BLOCK) {
		n = len / LS_BLOCK * LS_BLOCK;
		*err = ls_dev_write(ls, wsnap_block(ls, w->meta.len / LS_BLOCK),
				    p, n / LS_BLOCK);
		w->meta.len += n;
		return n;
	}
	n = min_u32(LS_BLOCK - w->fill, len);
	__builtin_memcpy(w->stage + w->fill, p, n);
	w->fill += n;
	w->meta.len += n;
	if (w->fill == LS_BLOCK)
		*err = stage_write(ls);
	return n;
}

static int wsnap_put(struct ls *ls, const uint8_t *p, uint32_t len)
{
	int err = 0;

	while (len && !err) {
		uint32_t n = wsnap_piece(ls, p, len, &err);
		p += n;
		len -= n;
	}
	return err;
}

int ls_snap_write(struct ls *ls, const void *data, uint32_t len)
{
	struct ls_snap_writer *w;

	if (!ls || (len && !data) || !ls->wsnap.open)
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	w = &ls->wsnap;
	if (len > ls->lay.snap_max - w->meta.len)
		return -AION_ENOSPC;
	w->crc = crc32c(w->crc, data, len);
	return wsnap_put(ls, data, len);
}

/* The last partial block, then the header that describes the data. */
static int wsnap_finish(struct ls *ls)
{
	struct ls_snap_writer *w = &ls->wsnap;
	int err = w->fill ? stage_write(ls) : 0;

	if (err)
		return err;
	snap_hdr_encode(ls, &w->meta, w->crc, ls->buf);
	return ls_dev_write(ls, ls->lay.snap_start[w->slot], ls->buf, 1);
}

int ls_snap_commit(struct ls *ls)
{
	struct ls_snap_writer *w;
	int err;

	if (!ls || !ls->wsnap.open)
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	w = &ls->wsnap;
	err = wsnap_finish(ls);
	if (err)
		return err;
	w->open = false;
	ls_meta_touch(ls);
	ls->mem.snap_slot = w->slot;
	ls->mem.snap_index = w->meta.index;
	ls->mem.snap_term = w->meta.term;
	ls->snap = w->meta;
	return ls_sync(ls);
}

/* Some of the data at offset into out: whole blocks straight, a partial
 * one through ls->buf. *n: the bytes read. */
static int snap_read_piece(struct ls *ls, uint32_t offset, uint8_t *out,
			   uint32_t len, uint32_t *n)
{
	uint64_t blk = ls->lay.snap_start[ls->mem.snap_slot] + 1 + offset / LS_BLOCK;
	uint32_t off = offset % LS_BLOCK;
	int err;

	if (off == 0 && len >= LS_BLOCK) {
		*n = len / LS_BLOCK * LS_BLOCK;
		return ls_dev_read(ls, blk, out, *n / LS_BLOCK);
	}
	*n = min_u32(LS_BLOCK - off, len);
	err = ls_dev_read(ls, blk, ls->buf, 1);
	if (!err)
		__builtin_memcpy(out, ls->buf + off, *n);
	return err;
}

int ls_snap_read(struct ls *ls, uint32_t offset, void *buf, uint32_t len)
{
	uint8_t *out = buf;
	int err = 0;

	if (!ls || (len && !buf))
		return -AION_EINVAL;
	if (ls->failed)
		return ls->failed;
	if (!ls_snapshot(ls))
		return -AION_ENOENT;
	if (offset > ls->snap.len || len > ls->snap.len - offset)
		return -AION_EINVAL;
	while (len && !err) {
		uint32_t n = 0;
		err = snap_read_piece(ls, offset, out, len, &n);
		out += n;
		offset += n;
		len -= n;
	}
	return err;
}
