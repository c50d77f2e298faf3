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
 * PING, PING_REQ and ACK carry a struct mesh_msg (mesh_msg_to_wire /
 * mesh_msg_from_wire below).
 *
 * The MAC itself is not computed here: callers pass a mesh_mac_fn (the
 * real one wraps mbedTLS's HMAC-SHA-256 with the cluster key).
 */
#ifndef MESH_WIRE_H
#define MESH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/member.h"

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
	MESH_GOSSIP   = 4,  /* reserved (gossip rides PING/PING_REQ/ACK) */
	MESH_CALL     = 5,  /* remote IPC call */
	MESH_REPLY    = 6,  /* reply to a CALL */
	MESH_CALL_ACK = 7,  /* CALL received (reply follows later) */
	MESH_ERROR    = 8,  /* CALL failed: payload carries the reason */
	MESH_SCHED    = 9,  /* a node's load, to the leader (mesh/csched.h) */
	MESH_RAFT     = 10, /* a Raft message (mesh/raft.h) */
};
#define MESH_TYPE_MAX     MESH_RAFT

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

/* ---- Membership payload: a struct mesh_msg (mesh/member.h) ----
 *
 * Carried by MESH_PING, MESH_PING_REQ and MESH_ACK packets. The header's
 * src/dst are the message's from/to; the payload holds the rest:
 *
 *   off size field
 *     0    1 subtype        enum mesh_msg_type; must agree with the packet
 *                           type (PING: PING, PING_REQ: PING_REQ, ACK: ACK
 *                           or INDIRECT_ACK, the marker that tells them
 *                           apart)
 *     1    2 target         node id, MESH_NODE_NONE for none
 *     3    4 seq            probe sequence number
 *     7    1 ngossip        at most MESH_GOSSIP_MAX
 *     8  7*n gossip records: u16 node, u8 state (enum mesh_node_state,
 *                           ALIVE/SUSPECT/DEAD), u32 incarnation
 *
 * The packet header's own seq/ack fields are the transport's, not the
 * probe's: the codec neither reads nor writes them.
 */
#define MESH_MSG_HDR_LEN     8u
#define MESH_MSG_GOSSIP_LEN  7u
#define MESH_MSG_LEN(n)      (MESH_MSG_HDR_LEN + (n) * MESH_MSG_GOSSIP_LEN)
#define MESH_MSG_PAYLOAD_MAX MESH_MSG_LEN(MESH_GOSSIP_MAX)

/*
 * Fill h->type (MESH_PING, MESH_PING_REQ or MESH_ACK; INDIRECT_ACK is an
 * ACK with its subtype marker), h->src = m->from, h->dst = m->to, and
 * write the payload into payload[0, cap). Returns the payload length
 * MESH_MSG_LEN(m->ngossip) or:
 *   -AION_EINVAL  m, h or payload NULL; unknown m->type;
 *                 m->ngossip > MESH_GOSSIP_MAX; a gossip record with an
 *                 unknown state
 *   -AION_ENOSPC  cap too small
 * On failure *h and payload are untouched. h->cluster_id, flags, seq and
 * ack are left to the caller.
 */
int mesh_msg_to_wire(const struct mesh_msg *m, struct mesh_hdr *h,
		     uint8_t *payload, size_t cap);

/*
 * Inverse, for a packet that already passed mesh_decode (and so its MAC):
 * h and payload[0, len) as mesh_decode returned them. Returns 0 or:
 *   -AION_EINVAL     h, out NULL; payload NULL with len > 0; h->type is
 *                    not PING, PING_REQ or ACK
 *   -AION_ETRUNC     len < MESH_MSG_HDR_LEN, or fewer bytes than ngossip
 *                    records need
 *   -AION_EMALFORMED unknown subtype or one that disagrees with h->type;
 *                    ngossip > MESH_GOSSIP_MAX; bytes left over after the
 *                    records; a record with an unknown state
 * On failure *out is untouched.
 */
int mesh_msg_from_wire(const struct mesh_hdr *h, const uint8_t *payload,
		       size_t len, struct mesh_msg *out);

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
