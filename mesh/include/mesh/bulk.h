/*
 * AionMesh bulk transfers: one message of up to MESH_BULK_MAX bytes moved
 * from a sender to a receiver as fragments that each fit one mesh packet
 * (a mesh packet must fit one netd socket datagram, AION_IPC_PAYLOAD_MAX
 * bytes). Pure: no allocation, no system calls; the caller passes the
 * time in nanoseconds, owns every buffer and carries the payloads below
 * in mesh packets (docs/mesh-bulk.md).
 *
 * Payloads (big-endian, no padding):
 *   DATA  u32 xfer    transfer id, chosen by the sender, never 0
 *         u32 total   message length in bytes (a receiver refuses more
 *                     than MESH_BULK_MAX)
 *         u16 chunk   the sender's fragment size, MESH_BULK_CHUNK_MIN..MAX
 *         u16 index   fragment number: bytes [index * chunk, + len)
 *         data        len = min(chunk, total - index * chunk) bytes,
 *                     exactly; a message of 0 bytes is one empty fragment
 *   ACK   u32 xfer
 *         i32 code    0, or why the message will never be delivered:
 *                     -AION_ENOSPC (no free reassembly), -AION_ERANGE
 *                     (total above the limit), -AION_ECONNRESET (the
 *                     receiver dropped the reassembly: silent too long)
 *         u8  flags   BULK_ACK_DONE: the message was delivered
 *         u16 nfrags  0 with DONE or a refusal, else the transfer's count
 *         bitmap      ceil(nfrags / 8) bytes, bit i (byte i / 8, bit
 *                     i % 8) set when fragment i was received; unused
 *                     bits 0
 * A decoded payload re-encodes to the same bytes.
 *
 * Sender: a window of at most cfg.window fragments in flight; a fragment
 * is sent again when BULK_REORDER fragments sent after it were
 * acknowledged first (selective acknowledgement), or when its rto passed
 * without an acknowledgement. The rto is RFC 6298's (smoothed round trip
 * + 4 deviations, from fragments sent once, clamped to [cfg.rto_min_ns,
 * cfg.rto_ns], cfg.rto_ns before the first sample), doubled by each
 * timeout without progress, up to BULK_RTO_BACKOFF * cfg.rto_ns. An
 * acknowledged fragment is never sent again.
 * The transfer ends when every fragment is acknowledged or an ACK says
 * DONE (0: delivered), when the receiver answers a code (nothing was or
 * will be delivered), or at cfg.deadline_ns (-AION_ETIMEDOUT: may have
 * been delivered).
 *
 * Receiver: at most BULK_RX_SLOTS_MAX reassemblies of MESH_BULK_MAX bytes
 * each in caller memory, keyed by (sender node, sender boot, xfer).
 * Per sender node it keeps the sender's boot and which of the last
 * BULK_RX_IDS transfer ids ended (delivered, refused or timed out), so a
 * late fragment of an ended transfer gets the same answer again and never
 * starts a second reassembly: every acknowledgement of one transfer
 * comes from one reassembly, which is why the sender may count fragments
 * acknowledged by different ACKs together. A sender therefore keeps
 * fewer than BULK_RX_IDS transfers in flight to one node, with ids
 * counting up from 1 per boot, and a receiver remembers an idle sender
 * for linger_ns, at least the sender's deadline.
 */
#ifndef MESH_BULK_H
#define MESH_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aion/error.h"
#include "aion/mesh.h"
#include "common/time.h"

/* A remote call or reply carries up to MESH_BULK_DATA_MAX payload bytes
 * (64 KiB, aion/mesh.h); the message that moves it also holds the call's
 * header and capability references (mesh/rpc.h), for which HDR_ROOM is
 * kept. */
#define MESH_BULK_HDR_ROOM      256u
#define MESH_BULK_MAX           (MESH_BULK_DATA_MAX + MESH_BULK_HDR_ROOM) /* largest message */
#define MESH_BULK_CHUNK_MIN     128u    /* so a message has at most 514 fragments */
#define MESH_BULK_CHUNK_MAX     448u    /* a fragment, a 36-byte header and the MAC fit 512 bytes */
#define BULK_FRAGS_MAX          ((MESH_BULK_MAX + MESH_BULK_CHUNK_MIN - 1) / MESH_BULK_CHUNK_MIN)
#define BULK_BITMAP_MAX         ((BULK_FRAGS_MAX + 7) / 8)
#define BULK_DATA_HDR           12u
#define BULK_ACK_HDR            11u
#define BULK_ACK_LEN_MAX        (BULK_ACK_HDR + BULK_BITMAP_MAX)
#define BULK_ACK_DONE           0x01u

#define BULK_WINDOW_MAX         64u     /* fragments in flight, most */
#define BULK_REORDER            3u      /* later fragments acknowledged before one counts as lost */
/* Resend timeouts without progress double the rto, up to this factor of
 * cfg.rto_ns: a receiver that went away costs a window every 400 ms, and
 * the gaps between resends stay below the receiver's rx_timeout. */
#define BULK_RTO_BACKOFF        4u
#define BULK_RX_SLOTS_MAX       8u      /* concurrent reassemblies, most */
#define BULK_RX_PEERS           64u     /* sender nodes remembered */
#define BULK_RX_IDS             64u     /* ended transfer ids remembered per sender */

struct bulk_cfg {
	uint16_t chunk;         /* data bytes per fragment */
	uint16_t window;        /* fragments in flight, 1..BULK_WINDOW_MAX */
	uint16_t ack_every;     /* receiver acknowledges after this many new fragments */
	uint64_t rto_ns;        /* sender: resend after this until a round trip is measured; the most */
	uint64_t rto_min_ns;    /* sender: the least rto a measured round trip gives */
	uint64_t deadline_ns;   /* sender: give up after */
	uint64_t ack_delay_ns;  /* receiver: acknowledge unacknowledged fragments after */
	uint64_t rx_timeout_ns; /* receiver: free a reassembly silent for */
	uint64_t linger_ns;     /* receiver: forget an idle sender after (>= deadline) */
};

/* chunk 400, window 16, ack every 8, rto 100 ms (least 10 ms), deadline
 * 10 s, ack delay 5 ms, reassembly timeout 5 s, linger 15 s. */
void bulk_cfg_default(struct bulk_cfg *cfg);
/* 0, or -AION_EINVAL when a field is out of range, rx_timeout is not
 * above the longest resend gap (BULK_RTO_BACKOFF * rto) or linger is
 * below deadline. */
int bulk_cfg_check(const struct bulk_cfg *cfg);

/* ---- codec (mesh/bulk_codec.c) ---- */

struct bulk_frag {
	uint32_t xfer;
	uint32_t total;
	uint16_t chunk;
	uint16_t index;
	uint16_t len;
	const uint8_t *data;    /* decode: points into the decoded buffer */
};

struct bulk_ack {
	uint32_t xfer;
	int32_t code;
	uint8_t flags;
	uint16_t nfrags;
	uint8_t bits[BULK_BITMAP_MAX];
};

/* Fragments of a message of total bytes cut in chunk-byte pieces (1 for
 * an empty message), or 0 when chunk is out of range. */
uint32_t bulk_nfrags(uint32_t total, uint16_t chunk);

/* Whether f keeps the rules above (xfer, chunk, index, len). */
bool bulk_frag_ok(const struct bulk_frag *f);
/* Returns the payload length written to buf[0, cap), -AION_EINVAL (the
 * fragment breaks a rule above) or -AION_ENOSPC. */
int bulk_frag_encode(const struct bulk_frag *f, uint8_t *buf, size_t cap);
/* 0, -AION_ETRUNC (shorter than its fields say) or -AION_EMALFORMED (xfer
 * 0, chunk out of range, index past the end, bytes left over). total may
 * exceed MESH_BULK_MAX: the receiver refuses it with an answer. */
int bulk_frag_decode(const uint8_t *buf, size_t len, struct bulk_frag *out);

int bulk_ack_encode(const struct bulk_ack *a, uint8_t *buf, size_t cap);
/* 0, -AION_ETRUNC or -AION_EMALFORMED (xfer 0, unknown code or flags, a
 * bitmap with DONE or a refusal, nfrags above BULK_FRAGS_MAX, unused bits
 * set, bytes left over). */
int bulk_ack_decode(const uint8_t *buf, size_t len, struct bulk_ack *out);

static inline bool bulk_bit(const uint8_t *bits, uint32_t i)
{
	return bits[i / 8] >> (i % 8) & 1;
}

static inline void bulk_bit_set(uint8_t *bits, uint32_t i)
{
	bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* ---- sender (mesh/bulk_tx.c) ---- */

struct bulk_tx_stats {
	uint32_t sent;          /* DATA payloads emitted, first sends and resends */
	uint32_t resent;        /* of which resends */
	uint32_t timeouts;      /* resends caused by rto (the rest: by acknowledgements) */
	uint32_t acks;          /* ACKs taken */
	uint32_t bad_acks;      /* ACKs for this xfer that disagree with it (nfrags) */
};

struct bulk_tx {
	struct bulk_cfg cfg;
	const uint8_t *msg;     /* caller's, unchanged until the transfer ends */
	uint32_t total;
	uint32_t xfer;
	uint16_t nfrags;
	uint16_t nacked;
	uint16_t next_new;      /* first fragment never sent */
	uint16_t ninflight;
	int result;             /* -AION_EAGAIN while under way */
	uint64_t start_ns;
	uint64_t srtt_ns, rttvar_ns;    /* 0: no round trip measured yet */
	uint64_t rto_ns;        /* from the round trips, before backoff */
	unsigned backoff;       /* 1, doubled by timeouts without progress */
	uint64_t seq;           /* counts sends, orders them for loss detection */
	struct {
		uint16_t index;
		uint16_t later_acked;   /* fragments sent after it, acknowledged */
		bool resend;            /* not a round-trip sample (Karn) */
		uint64_t seq;
		uint64_t sent_ns;
	} inflight[BULK_WINDOW_MAX];
	uint8_t acked[BULK_BITMAP_MAX];
	uint8_t lost[BULK_BITMAP_MAX];  /* to send again */
	struct bulk_tx_stats stats;
};

/* Starts moving msg[0, len): 0, -AION_ERANGE (len above MESH_BULK_MAX:
 * nothing is sent) or -AION_EINVAL (xfer 0, cfg). */
int bulk_tx_start(struct bulk_tx *tx, const struct bulk_cfg *cfg, uint32_t xfer,
		  const uint8_t *msg, size_t len, uint64_t now);
/* Writes the next DATA payload to send, if the window allows one now:
 * its length; 0 when nothing is to be sent now, or the transfer ended
 * delivered (bulk_tx_result tells); -AION_ENOSPC (cap); or the error the
 * transfer ended with. */
int bulk_tx_next(struct bulk_tx *tx, uint64_t now, uint8_t *out, size_t cap);
/* Takes an ACK for tx->xfer (callers find the transfer by a.xfer): 0, or
 * -AION_EINVAL (another xfer, or a bitmap of another size: counted). */
int bulk_tx_on_ack(struct bulk_tx *tx, uint64_t now, const struct bulk_ack *a);
/* Marks fragments whose rto passed for resending and ends the transfer at
 * its deadline. Returns bulk_tx_result. */
int bulk_tx_tick(struct bulk_tx *tx, uint64_t now);
/* -AION_EAGAIN while under way, 0 delivered, else why it ended. */
int bulk_tx_result(const struct bulk_tx *tx);
/* Earliest time bulk_tx_tick has work to do. */
uint64_t bulk_tx_next_deadline(const struct bulk_tx *tx);

/* ---- receiver (mesh/bulk_rx.c) ---- */

struct bulk_rx_stats {
	uint32_t frags;         /* DATA taken (any outcome) */
	uint32_t dups;          /* fragments already held */
	uint32_t ended;         /* fragments of a transfer that already ended */
	uint32_t stale;         /* old boot, or an id older than the window */
	uint32_t malformed;     /* disagree with their reassembly */
	uint32_t refused_full;  /* transfers refused: every slot busy */
	uint32_t refused_big;   /* transfers refused: total above MESH_BULK_MAX */
	uint32_t refused_peers; /* transfers refused: sender table full */
	uint32_t delivered;
	uint32_t timeouts;      /* reassemblies freed as silent (ECONNRESET) */
	uint32_t abandoned;     /* reassemblies freed: their sender rebooted */
	uint32_t acks;          /* ACKs emitted */
};

enum { BULK_SLOT_FREE, BULK_SLOT_FILLING, BULK_SLOT_COMPLETE };

struct bulk_rx_slot {
	uint8_t state;
	uint16_t node;
	uint32_t boot;
	uint32_t xfer;
	uint32_t total;
	uint16_t chunk;
	uint16_t nfrags;
	uint16_t nhave;
	uint16_t unacked;       /* new fragments since the last ACK */
	uint64_t first_unacked_ns;
	uint64_t last_ns;
	uint8_t *buf;           /* MESH_BULK_MAX bytes of the caller's memory */
	uint8_t have[BULK_BITMAP_MAX];
};

/* Per sender node: its boot and the transfer ids that ended. */
struct bulk_rx_peer {
	bool used;
	uint16_t node;
	uint32_t boot;
	uint32_t hi;            /* highest ended id */
	uint64_t ended;         /* bit k: id hi - k ended */
	uint64_t refused;       /* bit k: id hi - k was refused */
	uint64_t expired;       /* bit k: id hi - k timed out here */
	uint64_t last_ns;
};

struct bulk_rx {
	struct bulk_cfg cfg;
	unsigned nslots;
	struct bulk_rx_slot slot[BULK_RX_SLOTS_MAX];
	struct bulk_rx_peer peer[BULK_RX_PEERS];
	struct bulk_rx_stats stats;
};

/* An ACK and the node it goes to. */
struct bulk_ack_out {
	uint16_t node;
	struct bulk_ack ack;
};

/* mem holds nslots * MESH_BULK_MAX bytes (nslots 1..BULK_RX_SLOTS_MAX):
 * 0 or -AION_EINVAL. */
int bulk_rx_init(struct bulk_rx *rx, const struct bulk_cfg *cfg, uint8_t *mem,
		 unsigned nslots);
/* Takes a decoded DATA from (node, boot), the transport's authenticated
 * source. Returns 1 when this fragment completed a message (*slot: read it
 * with bulk_rx_message, then bulk_rx_release), 0 when taken or ignored,
 * -AION_ENOSPC / -AION_ERANGE when the transfer is refused, or
 * -AION_EMALFORMED (breaks the codec's rules, or disagrees with its
 * reassembly: counted). *send is set when *ack should go to node now. */
int bulk_rx_on_frag(struct bulk_rx *rx, uint64_t now, uint16_t node, uint32_t boot,
		    const struct bulk_frag *f, unsigned *slot,
		    struct bulk_ack *ack, bool *send);
/* Emits delayed ACKs (up to max) and frees reassemblies silent for
 * rx_timeout_ns. Returns the number of ACKs written. */
int bulk_rx_tick(struct bulk_rx *rx, uint64_t now, struct bulk_ack_out *out,
		 size_t max);
/* A completed message: 0, or -AION_EINVAL when slot holds none. */
int bulk_rx_message(const struct bulk_rx *rx, unsigned slot, uint16_t *node,
		    uint32_t *boot, uint32_t *xfer, const uint8_t **data,
		    uint32_t *len);
/* Frees a completed slot once the caller consumed its message. */
void bulk_rx_release(struct bulk_rx *rx, unsigned slot);
/* Earliest time bulk_rx_tick has work to do (UINT64_MAX: none). */
uint64_t bulk_rx_next_deadline(const struct bulk_rx *rx);

#endif /* MESH_BULK_H */
