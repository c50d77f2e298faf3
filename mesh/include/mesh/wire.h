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
 *     2    1 version        MESH_VERSION (2: boots and a 64-bit sequence)
 *     3    1 type           enum mesh_type
 *     4    1 key id         which cluster key made the MAC (mesh_key_id:
 *                           lets a receiver pick the key while two are
 *                           live during a rotation)
 *     5    4 cluster id
 *     9    2 source node
 *    11    2 destination node
 *    13    4 source boot     the sender meshd's start count (never 0)
 *    17    4 destination boot the receiver's start count as the sender
 *                           knows it; 0: not known yet (PING only)
 *    21    8 sequence       per sender and boot, counting up from 1
 *    29    2 payload length (at most MESH_PAYLOAD_MAX)
 *    31    n payload
 *  31+n   16 MAC: SipHash-2-4-128 under the cluster key's SipHash key
 *            (mesh/mac.h), over bytes [0, 31+n)
 *
 * (src, src_boot, seq) names a packet for ever: the receiver's replay
 * window (mesh/replay.h) accepts each at most once, and dst_boot ties it
 * to one start of the receiver. docs/mesh-transport.md has the rules.
 *
 * PING, PING_REQ and ACK carry a struct mesh_msg (mesh_msg_to_wire /
 * mesh_msg_from_wire below).
 *
 * The MAC itself is not computed here: callers pass a mesh_mac_fn (the
 * real one is mesh/mac.c's SipHash-2-4-128 under the cluster key).
 */
#ifndef MESH_WIRE_H
#define MESH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/member.h"

#define MESH_MAGIC0       0x41u   /* 'A' */
#define MESH_MAGIC1       0x4du   /* 'M' */
#define MESH_VERSION      2u
#define MESH_HDR_LEN      31u
#define MESH_MAC_LEN      16u
/* meshd hands a whole packet to netd in one IPC payload
 * (AION_IPC_PAYLOAD_MAX, 512 bytes): 512 - 31 - 16 = 465 bytes of payload.
 * wire.c checks this against include/aion/ipc.h where both are known. */
#define MESH_DATAGRAM_MAX 512u
#define MESH_PAYLOAD_MAX  (MESH_DATAGRAM_MAX - MESH_HDR_LEN - MESH_MAC_LEN)
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
	MESH_BULK_DATA = 11, /* a fragment of a bulk message (mesh/bulk.h) */
	MESH_BULK_ACK = 12, /* which fragments of a bulk message arrived */
};
#define MESH_TYPE_MAX     MESH_BULK_ACK

/* Decoded header (host byte order). magic and version are implied. */
struct mesh_hdr {
	uint8_t  type;          /* enum mesh_type */
	uint8_t  key_id;        /* the key the MAC was made with */
	uint32_t cluster_id;
	uint16_t src;           /* source node */
	uint16_t dst;           /* destination node */
	uint32_t src_boot;      /* sender's boot */
	uint32_t dst_boot;      /* receiver's boot as the sender knows it, 0: unknown */
	uint64_t seq;           /* per (src, src_boot), from 1 */
	uint16_t payload_len;   /* set by mesh_decode; ignored by mesh_encode */
};

/*
 * MAC callback: write the 16-byte MAC of data[0, len) under the cluster
 * key to out. ctx is the caller's (key state). Must not fail.
 */
typedef void (*mesh_mac_fn)(void *ctx, const uint8_t *data, size_t len,
			    uint8_t out[MESH_MAC_LEN]);

/*
 * Encode header h (payload_len ignored) and payload[0, len) into
 * buf[0, cap), then append the MAC. Returns the packet length
 * (MESH_HDR_LEN + len + MESH_MAC_LEN) or:
 *   -AION_EINVAL  h, buf or mac NULL; payload NULL with len > 0;
 *                 len > MESH_PAYLOAD_MAX; unknown type
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
 *   -AION_EINVAL     unknown type
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

/*
 * mesh_decode's checks before the MAC, without a key: 0 when buf[0, len)
 * is shaped like a packet of cluster cluster_id, else the error
 * mesh_decode would return for it (never -AION_ERIGHTS). Sets *src and
 * *key_id (either may be NULL) on success; they are not authenticated.
 * Cheap: lets meshd drop junk before the MAC (link_drain).
 */
int mesh_peek(const uint8_t *buf, size_t len, uint32_t cluster_id,
	      uint16_t *src, uint8_t *key_id);

/* True when t is a known enum mesh_type. */
bool mesh_type_valid(unsigned t);

/* The packet type's name in `mesh stats` ("ping", "raft", ...); "unknown"
 * for an invalid one. */
const char *mesh_type_name(unsigned t);

/* ---- Membership payload: a struct mesh_msg (mesh/member.h) ----
 *
 * Carried by MESH_PING, MESH_PING_REQ and MESH_ACK packets. The header's
 * src/dst are the message's from/to; the payload holds the rest:
 *
 *   off size field
 *     0    1 subtype        enum mesh_msg_type; must agree with the packet
 *                           type (PING: PING, PING_REQ: PING_REQ, ACK: ACK,
 *                           INDIRECT_ACK, NACK or GOSSIP, the marker that
 *                           tells them apart)
 *     1    2 target         node id, MESH_NODE_NONE for none
 *     3    4 seq            probe sequence number
 *     7    1 ngossip        at most MESH_GOSSIP_MAX
 *     8    4 clock          the sender's cluster clock in ms, mod 2^32
 *                           (the shared probe schedule, mesh/member.c)
 *    12  9*n gossip records: u16 node, u8 state (enum mesh_node_state,
 *                           ALIVE/SUSPECT/DEAD), u32 incarnation, u16 by
 *                           (SUSPECT: the accuser; else MESH_NODE_NONE)
 *
 * The packet header's own seq field is the transport's, not the probe's:
 * the codec neither reads nor writes it.
 */
#define MESH_MSG_HDR_LEN     12u
#define MESH_MSG_GOSSIP_LEN  9u
#define MESH_MSG_LEN(n)      (MESH_MSG_HDR_LEN + (n) * MESH_MSG_GOSSIP_LEN)
#define MESH_MSG_PAYLOAD_MAX MESH_MSG_LEN(MESH_GOSSIP_MAX)

/*
 * Fill h->type (MESH_PING, MESH_PING_REQ or MESH_ACK; INDIRECT_ACK, NACK
 * and GOSSIP are ACKs with their subtype marker), h->src = m->from, h->dst = m->to, and
 * write the payload into payload[0, cap). Returns the payload length
 * MESH_MSG_LEN(m->ngossip) or:
 *   -AION_EINVAL  m, h or payload NULL; unknown m->type;
 *                 m->ngossip > MESH_GOSSIP_MAX; a gossip record with an
 *                 unknown state
 *   -AION_ENOSPC  cap too small
 * On failure *h and payload are untouched. h->cluster_id, key_id, boots
 * and seq are left to the caller.
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
	/* After the MAC (counted by the link, not mesh_stats_count): */
	uint64_t rx_replayed;     /* refused by the replay window (mesh/replay.h) */
	uint64_t rx_rate_limited; /* dropped unchecked: its source sent too
				   * many packets with a bad MAC */
};

/* Count one mesh_decode result err in s (NULL s: no-op). */
void mesh_stats_count(struct mesh_stats *s, int err);

#endif /* MESH_WIRE_H */
