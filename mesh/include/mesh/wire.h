/*
 * AionMesh wire format: the one definition of a mesh packet.
 *
 * A pure codec: no system calls, no allocation, no libc. It compiles
 * freestanding (meshd) and on the host (cmocka tests, fuzzers), so the
 * tests drive the very code that ships.
 *
 * Packet layout, all integers big-endian, no padding:
 *
 *   off size field
 *     0    2 magic          "AM" (0x41 0x4d)
 *     2    1 version        MESH_VERSION
 *     3    1 type           enum mesh_type
 *     4    1 flags          MESH_FLAG_* (unknown bits are refused)
 *     5    4 cluster id
 *     9    2 source node
 *    11    2 destination node
 *    13    4 sequence number
 *    17    4 ack number
 *    21    2 payload length (at most MESH_PAYLOAD_MAX)
 *    23    n payload
 *  23+n   16 MAC: first 16 bytes of HMAC-SHA-256, keyed by the cluster key,
 *            over bytes [0, 23+n)
 *
 * The MAC itself is not computed here: callers pass a mesh_mac_fn (the
 * real one wraps mbedTLS's HMAC-SHA-256 with the cluster key).
 */
#ifndef MESH_WIRE_H
#define MESH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_MAGIC0       0x41u   /* 'A' */
#define MESH_MAGIC1       0x4du   /* 'M' */
#define MESH_VERSION      1u
#define MESH_HDR_LEN      23u
#define MESH_MAC_LEN      16u
/* 1200 bytes of payload: a whole packet (1239 bytes) plus IPv4 and UDP
 * headers fits one 1500-byte Ethernet frame. */
#define MESH_PAYLOAD_MAX  1200u
#define MESH_PACKET_MIN   (MESH_HDR_LEN + MESH_MAC_LEN)
#define MESH_PACKET_MAX   (MESH_HDR_LEN + MESH_PAYLOAD_MAX + MESH_MAC_LEN)

/* Packet types. 0 is never valid (a zeroed header is refused). */
enum mesh_type {
	MESH_PING     = 1,  /* direct probe */
	MESH_PING_REQ = 2,  /* ask a peer to probe a node for us */
	MESH_ACK      = 3,  /* answer to PING / PING_REQ */
	MESH_GOSSIP   = 4,  /* membership updates (mesh_gossip_* payload) */
	MESH_CALL     = 5,  /* remote IPC call */
	MESH_REPLY    = 6,  /* reply to a CALL */
	MESH_CALL_ACK = 7,  /* CALL received (reply follows later) */
	MESH_ERROR    = 8,  /* CALL failed: payload carries the reason */
};
#define MESH_TYPE_MAX     MESH_ERROR

/* Flags. */
#define MESH_FLAG_ACK     0x01u   /* the ack number field is meaningful */
#define MESH_FLAGS_KNOWN  (MESH_FLAG_ACK)

/* Decoded header (host byte order). magic and version are implied. */
struct mesh_hdr {
	uint8_t  type;          /* enum mesh_type */
	uint8_t  flags;         /* MESH_FLAG_* */
	uint32_t cluster_id;
	uint16_t src;           /* source node */
	uint16_t dst;           /* destination node */
	uint32_t seq;           /* sequence number */
	uint32_t ack;           /* ack number */
	uint16_t payload_len;   /* set by mesh_decode; ignored by mesh_encode */
};

/*
 * MAC callback: write the first 16 bytes of HMAC-SHA-256(cluster key,
 * data[0, len)) to out. ctx is the caller's (key state). Must not fail.
 */
typedef void (*mesh_mac_fn)(void *ctx, const uint8_t *data, size_t len,
			    uint8_t out[MESH_MAC_LEN]);

/*
 * Encode header h (payload_len ignored) and payload[0, len) into
 * buf[0, cap), then append the MAC. Returns the packet length
 * (MESH_HDR_LEN + len + MESH_MAC_LEN) or:
 *   -AION_EINVAL  h, buf or mac NULL; payload NULL with len > 0;
 *                 len > MESH_PAYLOAD_MAX; unknown type; unknown flags
 *   -AION_ENOSPC  cap smaller than the packet (buf untouched)
 */
int mesh_encode(const struct mesh_hdr *h, const void *payload, size_t len,
		uint8_t *buf, size_t cap, mesh_mac_fn mac, void *ctx);

/*
 * Check and decode the packet buf[0, len), which must be exactly one
 * packet, for cluster cluster_id. On success fills *h, points *payload
 * at the payload inside buf (h->payload_len bytes) and returns the
 * payload length. Checks run in this order; the first failure wins:
 *   -AION_EINVAL     buf, h, payload or mac NULL
 *   -AION_ETRUNC     len < MESH_PACKET_MIN
 *   -AION_EMALFORMED magic is not "AM"
 *   -AION_ENOEXEC    version is not MESH_VERSION (another protocol
 *                    version: not ours to parse)
 *   -AION_EINVAL     unknown type or unknown flag bits
 *   -AION_EMALFORMED payload length > MESH_PAYLOAD_MAX
 *   -AION_ETRUNC     payload length (plus MAC) runs past len
 *   -AION_EMALFORMED bytes left over after the MAC
 *   -AION_EPERM      cluster id is not cluster_id
 *   -AION_ERIGHTS    MAC mismatch (compared in constant time)
 * On failure *h and *payload are untouched. Only a packet that passed the
 * MAC check is ever decoded into *h.
 */
int mesh_decode(const uint8_t *buf, size_t len, uint32_t cluster_id,
		struct mesh_hdr *h, const uint8_t **payload,
		mesh_mac_fn mac, void *ctx);

/* True when t is a known enum mesh_type. */
bool mesh_type_valid(unsigned t);

/* ---- GOSSIP payload: a count-prefixed array of member records ----
 *
 *   u16 count (at most MESH_GOSSIP_MAX), then count records of
 *   MESH_MEMBER_LEN bytes: u16 node, u8 state, u32 incarnation,
 *   u32 address (IPv4).
 */
enum mesh_member_state {
	MESH_ALIVE   = 1,
	MESH_SUSPECT = 2,
	MESH_DEAD    = 3,
};

#define MESH_MEMBER_LEN   11u
#define MESH_GOSSIP_MAX   64u
#define MESH_GOSSIP_HDR   2u
#define MESH_GOSSIP_LEN(n) (MESH_GOSSIP_HDR + (n) * MESH_MEMBER_LEN)

struct mesh_member {
	uint16_t node;
	uint8_t  state;         /* enum mesh_member_state */
	uint32_t incarnation;
	uint32_t addr;          /* IPv4, host byte order */
};

/*
 * Encode m[0, n) into buf[0, cap). Returns MESH_GOSSIP_LEN(n) or:
 *   -AION_EINVAL  buf NULL; m NULL with n > 0; n > MESH_GOSSIP_MAX;
 *                 a record with an unknown state
 *   -AION_ENOSPC  cap < MESH_GOSSIP_LEN(n) (buf untouched)
 */
int mesh_gossip_encode(const struct mesh_member *m, size_t n,
		       uint8_t *buf, size_t cap);

/*
 * Decode buf[0, len), which must be exactly one gossip array, into
 * out[0, max). Returns the record count or:
 *   -AION_EINVAL     buf NULL; out NULL with max > 0
 *   -AION_ETRUNC     len < 2, or fewer bytes than count records need
 *   -AION_EMALFORMED count > MESH_GOSSIP_MAX; bytes left over after the
 *                    records; a record with an unknown state
 *   -AION_ENOSPC     count > max
 * On failure out may hold partially decoded records; the caller must
 * ignore them.
 */
int mesh_gossip_decode(const uint8_t *buf, size_t len,
		       struct mesh_member *out, size_t max);

/* ---- receive statistics: every packet is counted, every drop by cause ---- */
struct mesh_stats {
	uint64_t rx;              /* packets seen (all outcomes) */
	uint64_t rx_ok;           /* accepted (err >= 0) */
	uint64_t rx_bad_len;      /* -AION_ETRUNC */
	uint64_t rx_bad_magic;    /* -AION_EMALFORMED: magic, oversize
				   * payload length, trailing bytes */
	uint64_t rx_bad_version;  /* -AION_ENOEXEC */
	uint64_t rx_bad_type;     /* -AION_EINVAL: type or flags */
	uint64_t rx_bad_cluster;  /* -AION_EPERM */
	uint64_t rx_bad_mac;      /* -AION_ERIGHTS */
	uint64_t rx_bad_other;    /* any other error */
};

/* Count one mesh_decode result err in s (NULL s: no-op). */
void mesh_stats_count(struct mesh_stats *s, int err);

#endif /* MESH_WIRE_H */
