/*
 * The durable log store's on-disk format (mesh/logstore.h has the API):
 * the one definition of every block the store writes. All integers are
 * little-endian (common/le.h); every CRC is CRC-32C (common/crc32.h).
 * docs/logstore.md has the same tables and the reasons behind them.
 *
 * Region layout, in 512-byte blocks, fixed when the store is formatted
 * (from the region size `blocks` and the snapshot size `snap_max`):
 *
 *   block 0                     metadata copy A
 *   block 1                     metadata copy B
 *   2                           snapshot slot 0: header block, data blocks
 *   2 + snap_blocks             snapshot slot 1
 *   log_start                   log slot 0, log slot 1, ... (LS_SLOT_BLOCKS each)
 *
 *   snap_blocks = 1 + ceil(snap_max / 512)
 *   log_start   = 2 + 2 * snap_blocks
 *   log_slots   = (blocks - log_start) / LS_SLOT_BLOCKS  (at least LS_SLOTS_MIN)
 *
 * Entry `index` lives in log slot index % log_slots: the log area is a
 * ring of fixed-size slots, and an entry's place follows from its index.
 * Blocks past the last whole slot are unused.
 *
 * Metadata block (two copies; the one with the higher seq whose CRC
 * holds is current; a write goes to the other one):
 *
 *   off size  field
 *     0    8  magic          LS_META_MAGIC ("AIONLSM1")
 *     8    4  crc            CRC-32C of bytes [12, 512)
 *    12    4  version        LS_VERSION
 *    16    8  seq            +1 per metadata write
 *    24    8  nonce          this format's id, also in every record and snapshot
 *    32    8  server_id      this server (never 0), set by format
 *    40    8  cluster_id     set by format
 *    48    8  blocks         region size at format
 *    56    4  snap_max       bytes per snapshot slot
 *    60    4  snap_slot      current snapshot's slot: 0, 1 or LS_SLOT_NONE
 *    64    8  term           Raft current term
 *    72    8  voted_for      server id voted for in term, 0 = none
 *    80    8  epoch          records of a higher epoch are not (yet) valid
 *    88    8  fence_index    records at index >= fence_index must have ...
 *    96    8  fence_epoch    ... epoch >= fence_epoch
 *   104    8  head_index     first index of the log
 *   112    8  head_prev_term term of entry head_index - 1 (0 if none)
 *   120    8  snap_index     current snapshot's last index (0 if none)
 *   128    8  snap_term      current snapshot's last term
 *   136    8  boot           starts of this node's meshd (ls_next_boot):
 *                            the mesh transport's boot counter
 *   144  368  zero
 *
 * Log record, at the start of its slot (the rest of the slot is unused):
 *
 *   off size  field
 *     0    4  magic          LS_REC_MAGIC ("AIOR")
 *     4    4  crc            CRC-32C of bytes [8, 48 + len)
 *     8    8  nonce          the metadata's nonce
 *    16    8  index          Raft log index
 *    24    8  term           Raft term of the entry
 *    32    8  epoch          the store's epoch when it was appended
 *    40    4  len            payload bytes, 0..LS_ENTRY_MAX
 *    44    1  type           the caller's entry type
 *    45    3  zero
 *    48  len  payload
 *
 * Snapshot slot header (the slot's first block; data from its second):
 *
 *   off size  field
 *     0    4  magic          LS_SNAP_MAGIC ("AIOS")
 *     4    4  crc            CRC-32C of bytes [8, 512)
 *     8    8  nonce          the metadata's nonce
 *    16    8  index          last index the snapshot covers
 *    24    8  term           term of that entry
 *    32    4  len            data bytes, 0..snap_max
 *    36    4  data_crc       CRC-32C of the len data bytes
 *    40    4  conf_len       bytes of conf, 0..LS_CONF_MAX
 *    44    4  zero
 *    48  256  conf           the Raft configuration (opaque), zero padded
 *   304  208  zero
 */
#ifndef MESH_LOGSTORE_FORMAT_H
#define MESH_LOGSTORE_FORMAT_H

#include <stdint.h>

#define LS_BLOCK          512u
#define LS_VERSION        1u
#define LS_ENTRY_MAX      1024u   /* payload bytes of one log entry */
#define LS_CONF_MAX       256u    /* bytes of a snapshot's configuration */
#define LS_SNAP_DEFAULT   (128u * 1024u)
#define LS_SNAP_LIMIT     (64u * 1024u * 1024u)  /* largest snap_max */
#define LS_SLOTS_MIN      4u      /* fewest log slots a layout may have */
#define LS_SLOT_NONE      0xffffffffu

#define LS_META_MAGIC     0x314d534c4e4f4941ull  /* "AIONLSM1" */
#define LS_REC_MAGIC      0x524f4941u            /* "AIOR" */
#define LS_SNAP_MAGIC     0x534f4941u            /* "AIOS" */

/* Metadata block offsets. */
#define LS_META_OFF_MAGIC       0u
#define LS_META_OFF_CRC         8u
#define LS_META_OFF_VERSION    12u
#define LS_META_OFF_SEQ        16u
#define LS_META_OFF_NONCE      24u
#define LS_META_OFF_SERVER     32u
#define LS_META_OFF_CLUSTER    40u
#define LS_META_OFF_BLOCKS     48u
#define LS_META_OFF_SNAP_MAX   56u
#define LS_META_OFF_SNAP_SLOT  60u
#define LS_META_OFF_TERM       64u
#define LS_META_OFF_VOTED      72u
#define LS_META_OFF_EPOCH      80u
#define LS_META_OFF_FENCE_IDX  88u
#define LS_META_OFF_FENCE_EP   96u
#define LS_META_OFF_HEAD      104u
#define LS_META_OFF_HEAD_TERM 112u
#define LS_META_OFF_SNAP_IDX  120u
#define LS_META_OFF_SNAP_TERM 128u
#define LS_META_OFF_BOOT      136u
#define LS_META_END           144u

/* Log record offsets. */
#define LS_REC_OFF_MAGIC    0u
#define LS_REC_OFF_CRC      4u
#define LS_REC_OFF_NONCE    8u
#define LS_REC_OFF_INDEX   16u
#define LS_REC_OFF_TERM    24u
#define LS_REC_OFF_EPOCH   32u
#define LS_REC_OFF_LEN     40u
#define LS_REC_OFF_TYPE    44u
#define LS_REC_HDR         48u

/* Blocks of one log slot: the largest record. */
#define LS_SLOT_BLOCKS ((LS_REC_HDR + LS_ENTRY_MAX + LS_BLOCK - 1) / LS_BLOCK)

/* Snapshot slot header offsets. */
#define LS_SNAP_OFF_MAGIC     0u
#define LS_SNAP_OFF_CRC       4u
#define LS_SNAP_OFF_NONCE     8u
#define LS_SNAP_OFF_INDEX    16u
#define LS_SNAP_OFF_TERM     24u
#define LS_SNAP_OFF_LEN      32u
#define LS_SNAP_OFF_DATA_CRC 36u
#define LS_SNAP_OFF_CONF_LEN 40u
#define LS_SNAP_OFF_CONF     48u
#define LS_SNAP_HDR_END      (LS_SNAP_OFF_CONF + LS_CONF_MAX)

_Static_assert(LS_META_END <= LS_BLOCK, "metadata fits one block");
_Static_assert(LS_SNAP_HDR_END <= LS_BLOCK, "snapshot header fits one block");
_Static_assert(LS_SLOT_BLOCKS == 3, "a full record takes three blocks");

/* Where everything is, in blocks from the region's start. */
struct ls_layout {
	uint64_t blocks;          /* region size the layout was made for */
	uint32_t snap_max;        /* bytes per snapshot slot */
	uint32_t snap_blocks;     /* blocks per snapshot slot, header included */
	uint64_t snap_start[2];   /* first block of each snapshot slot */
	uint64_t log_start;       /* first block of log slot 0 */
	uint64_t log_slots;       /* entries the ring holds */
};

/*
 * The layout of a region of `blocks` blocks with snapshots of up to
 * snap_max bytes. Returns 0, or -AION_EINVAL when snap_max is 0 or above
 * LS_SNAP_LIMIT or the region holds fewer than LS_SLOTS_MIN log slots.
 */
int ls_layout_make(uint64_t blocks, uint32_t snap_max, struct ls_layout *out);

#endif /* MESH_LOGSTORE_FORMAT_H */
