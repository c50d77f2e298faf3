/*
 * libFuzzer target for the AionMesh packet decoder and the payload
 * decoders behind its MAC. Built and run by tests/fuzz/run_fuzz.py
 * (meson test fuzz-mesh-decode) with clang
 * -fsanitize=fuzzer,address,undefined.
 *
 * Every input is decoded twice:
 *  (a) as received, with the test MAC below: nearly every input stops at
 *      a header check or the MAC, which is the code that faces the
 *      network unauthenticated;
 *  (b) with the correct test MAC appended (and checked against the
 *      cluster id the input names), so that inputs which are otherwise
 *      well-formed reach the payload decoders that only ever see
 *      authenticated bytes: mesh_msg_from_wire, then the membership
 *      state machine (mesh_members_receive), and the RPC decoder when
 *      built with MESH_FUZZ_RPC;
 *  (c) with MESH_FUZZ_RAFT, as a Raft message (fuzz_raft.h);
 *  (d) with MESH_FUZZ_BULK, as bulk transfer payloads (fuzz_bulk.h).
 * A decoded message must re-encode to the very same payload bytes; a
 * mismatch aborts (a crash for libFuzzer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aion/error.h"
#include "mesh/member.h"
#include "mesh/replay.h"
#include "mesh/wire.h"
#include "mesh_test_mac.h"

#define FUZZ_CLUSTER 0xc1a55e01u

static const uint64_t fuzz_key[2] = { 0x0123456789abcdefull,
				      0xfedcba9876543210ull };

static void fuzz_mac(void *ctx, const uint8_t *data, size_t len,
		     uint8_t out[MESH_MAC_LEN])
{
	(void)ctx;
	mesh_test_mac(fuzz_key, data, len, out);
}

static struct mesh_stats stats;

static void check(int cond)
{
	if (!cond)
		abort();
}

#ifdef MESH_FUZZ_RPC
/* run_fuzz.py defines MESH_FUZZ_RPC when mesh/rpc.h and mesh/rpc.c
 * exist; fuzz_rpc.h provides fuzz_rpc(h, payload, len), which runs the
 * RPC payload decoders on an authenticated packet. */
#include "fuzz_rpc.h"
#endif

#ifdef MESH_FUZZ_RAFT
/* run_fuzz.py defines MESH_FUZZ_RAFT when mesh/raft.c exists;
 * fuzz_raft.h provides fuzz_raft(data, size), which decodes the raw input
 * as a Raft message and steps it into two servers. */
#include "fuzz_raft.h"
#endif

#ifdef MESH_FUZZ_BULK
/* run_fuzz.py defines MESH_FUZZ_BULK when mesh/bulk_codec.c exists;
 * fuzz_bulk.h provides fuzz_bulk(data, size), which decodes the raw input
 * as bulk transfer payloads. */
#include "fuzz_bulk.h"
#endif

/* Membership payload: decode, re-encode byte for byte, feed a fresh
 * member table. */
static void fuzz_membership(const struct mesh_hdr *h, const uint8_t *pl)
{
	struct mesh_msg msg, reply[MESH_RECV_MSGS_MAX];
	struct mesh_hdr h2 = *h;
	uint8_t again[MESH_MSG_PAYLOAD_MAX];
	static struct mesh_members mm;

	if (mesh_msg_from_wire(h, pl, h->payload_len, &msg) < 0)
		return;
	check(mesh_msg_to_wire(&msg, &h2, again, sizeof(again)) ==
	      (int)h->payload_len);
	check(h2.type == h->type && h2.src == h->src && h2.dst == h->dst);
	check(memcmp(again, pl, h->payload_len) == 0);

	if (mesh_members_init(&mm, h->dst, 1000, NULL, NULL, NULL) < 0)
		return;
	(void)mesh_members_add(&mm, (uint16_t)(h->dst ^ 1u), 1000);
	int n = mesh_members_receive(&mm, 2000, &msg, reply, MESH_RECV_MSGS_MAX);

	check(n <= MESH_RECV_MSGS_MAX);
	for (int i = 0; i < n; i++) {
		struct mesh_hdr rh = { 0 };
		uint8_t rp[MESH_MSG_PAYLOAD_MAX];

		/* Whatever the table answers must be encodable. */
		check(mesh_msg_to_wire(&reply[i], &rh, rp, sizeof(rp)) >= 0);
	}
}

static void fuzz_payload(const struct mesh_hdr *h, const uint8_t *pl)
{
	switch (h->type) {
	case MESH_PING:
	case MESH_PING_REQ:
	case MESH_ACK:
		fuzz_membership(h, pl);
		break;
	default:
#ifdef MESH_FUZZ_RPC
		fuzz_rpc(h, pl, h->payload_len);
#endif
		break;
	}
}

static void decode_one(const uint8_t *buf, size_t len, uint32_t cluster)
{
	struct mesh_hdr h;
	const uint8_t *pl = NULL;
	int r = mesh_decode(buf, len, cluster, &h, &pl, fuzz_mac, NULL);

	mesh_stats_count(&stats, r);
	/* The key-less check before the MAC (link_drain) agrees with the
	 * decoder on everything before the MAC. */
	int p = mesh_peek(buf, len, cluster, NULL, NULL);
	check(r == -AION_ERIGHTS || r >= 0 ? p == 0 : p == r);
	if (r < 0)
		return;
	check(r == h.payload_len && pl == buf + MESH_HDR_LEN);
	/* The replay window on an authenticated header: whatever it takes,
	 * it never takes twice in a row, and a refusal changes nothing. */
	static struct mesh_replay w;
	struct mesh_replay before = w;
	enum mesh_replay_verdict v = mesh_replay_check(&w, 7, &h);
	if (v == MESH_REPLAY_OK)
		check(mesh_replay_check(&w, 7, &h) != MESH_REPLAY_OK);
	else
		check(memcmp(&before, &w, sizeof(w)) == 0);
	check(len == MESH_PACKET_MIN + (size_t)r);
	fuzz_payload(&h, pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* (a) raw input. Copied so ASan sees its exact length. */
	uint8_t *raw = malloc(size ? size : 1);

	if (!raw)
		return 0;
	memcpy(raw, data, size);
	decode_one(raw, size, FUZZ_CLUSTER);
#ifdef MESH_FUZZ_RAFT
	fuzz_raft(raw, size);
#endif
#ifdef MESH_FUZZ_BULK
	fuzz_bulk(raw, size);
#endif
	free(raw);

	/* (b) input + its correct MAC, for the cluster id it names. */
	if (size > MESH_PACKET_MAX)
		return 0;
	uint8_t *mac = malloc(size + MESH_MAC_LEN);
	uint32_t cluster = FUZZ_CLUSTER;

	if (!mac)
		return 0;
	memcpy(mac, data, size);
	fuzz_mac(NULL, data, size, mac + size);
	if (size >= 9)
		cluster = (uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 |
			  (uint32_t)data[7] << 8 | data[8];
	decode_one(mac, size + MESH_MAC_LEN, cluster);
	free(mac);
	return 0;
}
