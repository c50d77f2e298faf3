/*
 * The durable log store: what Raft keeps on its disk region (issue 14).
 * Hard state (term, vote), the log entries, one snapshot, and the
 * server's identity, on a raw block region reached through struct
 * ls_dev. Pure C: no system calls, no allocation (the caller owns struct
 * ls and every buffer), bounded time per call; built for meshd and for
 * the host tests (tests/unit/test_mesh_logstore.c).
 *
 * The on-disk format is mesh/logstore_format.h; why it is safe under
 * crashes is docs/logstore.md ("Crash safety").
 *
 * Durability. Changes (ls_set_hard_state, ls_append, ls_compact) are
 * batched: none counts as durable before ls_sync returned 0. After a
 * crash the store reopens to the state of the last ls_sync or to a state
 * some prefix of the later changes leads to, in the order they were
 * made; never less than what a returned ls_sync covered, never an entry
 * ls_truncate removed. ls_truncate and ls_snap_commit sync at once (they
 * return only when their change, and everything before it, is durable),
 * and so does ls_open. Raft replies only after ls_sync.
 *
 * Errors. Calls return 0 or -AION_E...: -AION_EINVAL for a malformed
 * argument (nothing changed), -AION_ENOSPC when the log ring is full
 * (compact after a snapshot), or the device's error. After a device
 * error on a write or flush the store's state on disk is unknown: every
 * later call but ls_info returns that error, and the caller reopens
 * (ls_open), which recovers what is durable.
 */
#ifndef MESH_LOGSTORE_H
#define MESH_LOGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/logstore_format.h"

/*
 * The block region. read and write move count 512-byte blocks at block;
 * a write is durable only once a later flush returned 0 (before that a
 * crash may drop it, keep any subset of its blocks, or tear a block).
 * Each returns 0 or -AION_E...
 */
struct ls_dev {
	void *ctx;
	uint64_t blocks;                 /* size of the region in 512-byte blocks */
	int (*read)(void *ctx, uint64_t block, void *buf, uint32_t count);
	int (*write)(void *ctx, uint64_t block, const void *buf, uint32_t count);
	int (*flush)(void *ctx);         /* returns when everything written before is durable */
};

/* What ls_format sets once for the life of the store. */
struct ls_format_params {
	uint64_t server_id;   /* this server, never 0 (0 means "no vote") */
	uint64_t cluster_id;
	/* Nonzero and different from every earlier format of this region
	 * (a random number, or the boot time): records and snapshots left by
	 * an earlier format carry another nonce and are never read as ours. */
	uint64_t nonce;
	uint32_t snap_max;    /* snapshot size limit in bytes, e.g. LS_SNAP_DEFAULT */
};

/* One log entry's fields; its payload travels in a separate buffer. */
struct ls_entry {
	uint64_t index;
	uint64_t term;
	uint32_t len;         /* payload bytes, 0..LS_ENTRY_MAX */
	uint8_t type;         /* the caller's, stored as it is */
};

/* A snapshot's description. */
struct ls_snap_meta {
	uint64_t index;       /* last log index the snapshot covers, >= 1 */
	uint64_t term;        /* term of that entry */
	uint32_t len;         /* data bytes (set by the store) */
	uint32_t conf_len;    /* 0..LS_CONF_MAX */
	uint8_t conf[LS_CONF_MAX]; /* the Raft configuration, opaque here */
};

/* What the store holds now (ls_info). */
struct ls_info {
	uint64_t server_id;
	uint64_t cluster_id;
	uint64_t term;
	uint64_t voted_for;       /* 0 = none */
	uint64_t first_index;     /* first entry of the log */
	uint64_t last_index;      /* last entry; first_index - 1 when empty */
	uint64_t last_term;       /* term of last_index (the snapshot's, or 0) */
	bool has_snapshot;
	uint64_t snap_index;      /* valid when has_snapshot */
	uint64_t snap_term;
	uint32_t snap_len;
	uint64_t log_slots;       /* most entries the log holds at once */
	uint64_t boot;            /* ls_next_boot's count, 0 before the first */
};

/* A snapshot being written (ls_snap_begin .. ls_snap_commit). */
struct ls_snap_writer {
	bool open;
	uint32_t slot;            /* the slot no metadata copy calls current */
	uint32_t crc;             /* CRC-32C of the data so far */
	uint32_t fill;            /* bytes waiting in stage */
	struct ls_snap_meta meta; /* meta.len: bytes so far */
	uint8_t stage[LS_BLOCK];  /* the partial block */
};

/* Decoded metadata block. */
struct ls_meta {
	uint64_t seq, nonce, server_id, cluster_id, blocks;
	uint32_t snap_max, snap_slot;
	uint64_t term, voted_for, epoch, fence_index, fence_epoch;
	uint64_t head_index, head_prev_term, snap_index, snap_term;
	uint64_t boot;
};

/* The store. Caller-owned; fields are the store's own. */
struct ls {
	struct ls_dev dev;
	struct ls_layout lay;
	struct ls_meta mem;       /* current state, unsynced changes included */
	struct ls_meta disk;      /* the newest durable metadata copy */
	uint32_t meta_cur;        /* block (0, 1) holding disk; writes go to the other */
	bool meta_dirty;          /* mem differs from disk */
	bool unflushed;           /* device writes since the last flush */
	int failed;               /* first device error on a write or flush, else 0 */
	uint64_t last_index, last_term;
	struct ls_snap_meta snap; /* current snapshot (valid if mem.snap_slot != NONE) */
	struct ls_snap_writer wsnap;
	uint8_t buf[LS_SLOT_BLOCKS * LS_BLOCK];
};

/*
 * Format dev as a new, empty store (log first index 1, term 0, no vote,
 * no snapshot) and leave ls open on it; durable when it returns 0.
 * -AION_EINVAL: bad params, or the region is too small for the layout
 * (ls_layout_make); -AION_EEXIST: the region holds a store with the
 * same nonce (a format must use a new one).
 */
int ls_format(struct ls *ls, const struct ls_dev *dev,
	      const struct ls_format_params *p);

/*
 * Open the store on dev and recover it: the newest valid metadata copy,
 * the current snapshot (checked against its CRC), then the log from its
 * first index up to the first record that is missing, torn, fails its
 * CRC or does not follow. Writes one metadata block (it fences off
 * whatever lies past the recovered end: docs/logstore.md). Returns 0,
 * -AION_ENOENT when the region was never formatted (the caller decides
 * whether this is a new server and calls ls_format), -AION_ECORRUPT when
 * both metadata copies or the current snapshot (with no usable other)
 * fail their checks, -AION_EINVAL for a malformed dev or a region smaller
 * than the formatted one, or the device's error.
 */
int ls_open(struct ls *ls, const struct ls_dev *dev);

/* The store's identity and state. */
void ls_info(const struct ls *ls, struct ls_info *out);

/* The current snapshot's description, or NULL when there is none. */
const struct ls_snap_meta *ls_snapshot(const struct ls *ls);

/*
 * Count one more start of this node: the boot counter (0 after format)
 * goes up by one, or to floor if that is higher, durable at the next
 * ls_sync, and *boot gets the new value. The mesh transport tags every
 * packet with it, so a receiver can tell this boot's packets from a
 * replay of an earlier one; it must never repeat, so the caller syncs
 * before using it. floor: the host's clock in seconds (meshd's clock=),
 * so a node given a new, empty disk still starts above every boot of its
 * old one (0: none). -AION_EINVAL for NULL arguments, -AION_ERANGE past
 * 2^32 - 1 (the wire's field), or the store's failure.
 */
int ls_next_boot(struct ls *ls, uint32_t floor, uint32_t *boot);

/* Set the hard state (durable at the next ls_sync). */
int ls_set_hard_state(struct ls *ls, uint64_t term, uint64_t voted_for);

/*
 * Append one entry; e->index must be last_index + 1 and e->len at most
 * LS_ENTRY_MAX (-AION_EINVAL). -AION_ENOSPC when log_slots entries
 * are held already: compact first.
 */
int ls_append(struct ls *ls, const struct ls_entry *e, const void *payload);

/*
 * Remove the entries from index `from` on (Raft's conflicting suffix).
 * from must be above the snapshot's index and at least first_index
 * (-AION_EINVAL); from > last_index changes nothing. Durable when it
 * returns (it syncs): no removed entry ever comes back.
 */
int ls_truncate(struct ls *ls, uint64_t from);

/*
 * Drop the entries up to `upto`, which the current snapshot must cover
 * (upto <= snap_index, else -AION_EINVAL), and let their slots be reused
 * once this is synced. When upto is the snapshot's index and the log does
 * not hold that entry with the snapshot's term (a snapshot installed from
 * a leader), the whole log goes: it restarts after the snapshot, synced
 * at once as ls_truncate does. upto below first_index changes nothing.
 */
int ls_compact(struct ls *ls, uint64_t upto);

/* Make every change so far durable: one flush, or three device calls
 * (flush, metadata write, flush) when the metadata changed. */
int ls_sync(struct ls *ls);

/*
 * Read entry `index` (first_index..last_index, else -AION_ENOENT) into
 * *e and payload[0, e->len); cap is payload's size (-AION_ERANGE when the
 * entry is longer). -AION_ECORRUPT when the record no longer checks.
 * Reading first..last after ls_open delivers the recovered log.
 */
int ls_read(struct ls *ls, uint64_t index, struct ls_entry *e,
	    void *payload, uint32_t cap);

/* The term of entry `index`: first_index - 1 .. last_index (the entry
 * before the log answers from the metadata), else -AION_ENOENT. */
int ls_term(struct ls *ls, uint64_t index, uint64_t *term);

/*
 * Write a new snapshot: ls_snap_begin (index, term, conf from *m; m->len
 * is ignored) above the current snapshot's index (-AION_EINVAL
 * otherwise), ls_snap_write the data in order (up to snap_max bytes in
 * all, -AION_ENOSPC beyond), then ls_snap_commit: the data goes to the
 * slot that is not current, is flushed, and a metadata write makes it
 * current, with every other pending change. A crash before
 * ls_snap_commit returns keeps the old snapshot. A second ls_snap_begin
 * abandons the first.
 */
int ls_snap_begin(struct ls *ls, const struct ls_snap_meta *m);
int ls_snap_write(struct ls *ls, const void *data, uint32_t len);
int ls_snap_commit(struct ls *ls);

/* Read [offset, offset + len) of the current snapshot's data
 * (-AION_ENOENT without one, -AION_EINVAL past its end). */
int ls_snap_read(struct ls *ls, uint32_t offset, void *buf, uint32_t len);

#endif /* MESH_LOGSTORE_H */
