/*
 * Host tests for mesh/wire.c: the AionMesh packet codec and the
 * membership message (struct mesh_msg) payload codec.
 *
 * Every buffer handed to a decoder is malloc'ed at exactly the length
 * under test, so ASan reports any read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "mesh/wire.h"
#include "../fuzz/mesh_test_mac.h"
#include "common/xorshift.h"

#define CLUSTER 0xc1a55e01u

/* The test stand-in MAC (NOT SECURITY; see mesh_test_mac.h): any change
 * to a same-length input changes it, which test_bit_flips relies on. */
struct test_key {
	uint64_t k[2];
	unsigned calls;
};

static void test_mac(void *ctx, const uint8_t *data, size_t len,
		     uint8_t out[MESH_MAC_LEN])
{
	struct test_key *key = ctx;

	key->calls++;
	mesh_test_mac(key->k, data, len, out);
}

static struct test_key key = { { 0x0123456789abcdefull, 0xfedcba9876543210ull }, 0 };

static struct mesh_hdr hdr(uint8_t type)
{
	struct mesh_hdr h = {
		.type = type, .key_id = 0x5a, .cluster_id = CLUSTER,
		.src = 3, .dst = 0xfffe, .src_boot = 0x01020304u, .dst_boot = 0xa0b0c0d0u,
		.seq = 0x1112131415161718ull,
	};
	return h;
}

/* Encode into a buffer malloc'ed at exactly the packet's size. */
static uint8_t *make(const struct mesh_hdr *h, const void *pl, size_t len,
		     size_t *out_len)
{
	size_t n = MESH_HDR_LEN + len + MESH_MAC_LEN;
	uint8_t *buf = malloc(n);

	assert_non_null(buf);
	assert_int_equal(mesh_encode(h, pl, len, buf, n, test_mac, &key), (int)n);
	*out_len = n;
	return buf;
}

/* Decode a copy of p[0, n) held in an exactly-sized buffer. */
static int decode_exact(const uint8_t *p, size_t n, uint32_t cluster,
			struct mesh_hdr *h, const uint8_t **pl)
{
	uint8_t *c = malloc(n ? n : 1);
	int r;

	assert_non_null(c);
	memcpy(c, p, n);
	r = mesh_decode(c, n, cluster, h, pl, test_mac, &key);
	free(c);
	return r;
}

/* Recompute the MAC of a (possibly edited) packet in place. */
static void remac(uint8_t *p, size_t n)
{
	test_mac(&key, p, n - MESH_MAC_LEN, p + n - MESH_MAC_LEN);
}

static void expect(const uint8_t *p, size_t n, int err)
{
	struct mesh_hdr h, h0;
	const uint8_t *pl = (const uint8_t *)&h, *pl0 = pl;

	memset(&h, 0x5a, sizeof(h));
	h0 = h;
	int r = decode_exact(p, n, CLUSTER, &h, &pl);

	if (r != err)
		fail_msg("decode: got %d (%s), want %d (%s)", r,
			 aion_error_name(r), err, aion_error_name(err));
	if (err >= 0)
		return;
	assert_memory_equal(&h, &h0, sizeof(h));       /* untouched */
	assert_ptr_equal(pl, pl0);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u);
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	static const size_t lens[] = { 0, 1, 17, 200, MESH_PAYLOAD_MAX };
	static uint8_t pl[MESH_PAYLOAD_MAX];

	for (unsigned t = MESH_PING; t <= MESH_TYPE_MAX; t++) {
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			size_t n, len = lens[li];
			struct mesh_hdr in = hdr((uint8_t)t), out;
			const uint8_t *got = NULL;

			in.key_id = (uint8_t)(t * 37u);
			in.src = (uint16_t)t;
			in.payload_len = 999;   /* ignored by the encoder */
			fill(pl, len, t);
			uint8_t *p = make(&in, pl, len, &n);

			assert_int_equal(p[0], 'A');
			assert_int_equal(p[1], 'M');
			assert_int_equal(p[2], MESH_VERSION);
			assert_int_equal(p[3], t);
			memset(&out, 0, sizeof(out));
			assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &got,
						     test_mac, &key), (int)len);
			assert_int_equal(out.type, t);
			assert_int_equal(out.key_id, in.key_id);
			assert_int_equal(out.cluster_id, CLUSTER);
			assert_int_equal(out.src, in.src);
			assert_int_equal(out.dst, in.dst);
			assert_int_equal(out.src_boot, in.src_boot);
			assert_int_equal(out.dst_boot, in.dst_boot);
			assert_int_equal(out.seq, in.seq);
			assert_int_equal(out.payload_len, len);
			assert_ptr_equal(got, p + MESH_HDR_LEN);
			if (len)
				assert_memory_equal(got, pl, len);
			free(p);
		}
	}
}

/* Every valid type has its own name (`mesh stats` counts by it); an
 * invalid one is "unknown". */
static void test_type_names(void **state)
{
	(void)state;
	for (unsigned t = MESH_PING; t <= MESH_TYPE_MAX; t++) {
		assert_string_not_equal(mesh_type_name(t), "unknown");
		for (unsigned u = MESH_PING; u < t; u++)
			assert_string_not_equal(mesh_type_name(t), mesh_type_name(u));
	}
	assert_string_equal(mesh_type_name(MESH_RAFT), "raft");
	assert_string_equal(mesh_type_name(0), "unknown");
	assert_string_equal(mesh_type_name(MESH_TYPE_MAX + 1), "unknown");
}

static void test_big_endian_layout(void **state)
{
	(void)state;
	struct mesh_hdr h = hdr(MESH_CALL);
	uint8_t pl[2] = { 0xaa, 0xbb };
	size_t n;
	uint8_t *p = make(&h, pl, 2, &n);
	static const uint8_t want[MESH_HDR_LEN + 2] = {
		'A', 'M', 2, MESH_CALL, 0x5a,
		0xc1, 0xa5, 0x5e, 0x01,   0x00, 0x03,   0xff, 0xfe,
		0x01, 0x02, 0x03, 0x04,   0xa0, 0xb0, 0xc0, 0xd0,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x00, 0x02,   0xaa, 0xbb,
	};

	assert_int_equal(n, sizeof(want) + MESH_MAC_LEN);
	assert_memory_equal(p, want, sizeof(want));
	uint8_t mac[MESH_MAC_LEN];

	test_mac(&key, p, sizeof(want), mac);
	assert_memory_equal(p + sizeof(want), mac, MESH_MAC_LEN);
	free(p);
}

static void test_encode_errors(void **state)
{
	(void)state;
	struct mesh_hdr h = hdr(MESH_PING);
	static uint8_t pl[MESH_PAYLOAD_MAX + 1];
	uint8_t buf[MESH_PACKET_MAX + 8];

	assert_int_equal(mesh_encode(NULL, pl, 1, buf, sizeof(buf), test_mac, &key), -AION_EINVAL);
	assert_int_equal(mesh_encode(&h, pl, 1, NULL, sizeof(buf), test_mac, &key), -AION_EINVAL);
	assert_int_equal(mesh_encode(&h, pl, 1, buf, sizeof(buf), NULL, &key), -AION_EINVAL);
	assert_int_equal(mesh_encode(&h, NULL, 1, buf, sizeof(buf), test_mac, &key), -AION_EINVAL);
	assert_int_equal(mesh_encode(&h, NULL, 0, buf, sizeof(buf), test_mac, &key),
			 (int)MESH_PACKET_MIN);
	assert_int_equal(mesh_encode(&h, pl, MESH_PAYLOAD_MAX + 1, buf, sizeof(buf),
				     test_mac, &key), -AION_EINVAL);
	h.type = 0;
	assert_int_equal(mesh_encode(&h, pl, 1, buf, sizeof(buf), test_mac, &key), -AION_EINVAL);
	h.type = MESH_TYPE_MAX + 1;
	assert_int_equal(mesh_encode(&h, pl, 1, buf, sizeof(buf), test_mac, &key), -AION_EINVAL);

	/* One byte short: ENOSPC and nothing written. */
	h = hdr(MESH_PING);
	for (size_t cap = 0; cap < MESH_PACKET_MIN + 10; cap++) {
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(mesh_encode(&h, pl, 10, buf, cap, test_mac, &key),
				 -AION_ENOSPC);
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xee);
	}
	assert_int_equal(mesh_encode(&h, pl, 10, buf, MESH_PACKET_MIN + 10, test_mac, &key),
			 (int)MESH_PACKET_MIN + 10);
}

static void test_decode_null_args(void **state)
{
	(void)state;
	struct mesh_hdr h = hdr(MESH_PING), out;
	const uint8_t *pl;
	size_t n;
	uint8_t *p = make(&h, NULL, 0, &n);

	assert_int_equal(mesh_decode(NULL, n, CLUSTER, &out, &pl, test_mac, &key), -AION_EINVAL);
	assert_int_equal(mesh_decode(p, n, CLUSTER, NULL, &pl, test_mac, &key), -AION_EINVAL);
	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, NULL, test_mac, &key), -AION_EINVAL);
	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &pl, NULL, &key), -AION_EINVAL);
	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &pl, test_mac, &key), 0);
	free(p);
}

/* Each corruption, with its exact error (MAC recomputed where the check
 * under test comes after it would otherwise fail). */
static void test_corrupt_cases(void **state)
{
	(void)state;
	struct mesh_hdr h = hdr(MESH_GOSSIP);
	uint8_t pl[40];
	size_t n;

	fill(pl, sizeof(pl), 9);
	uint8_t *good = make(&h, pl, sizeof(pl), &n);
	uint8_t *p = malloc(n + 1);

	assert_non_null(p);
	expect(good, n, (int)sizeof(pl));

#define RESET() memcpy(p, good, n)
	RESET(); p[0] = 'a'; remac(p, n); expect(p, n, -AION_EMALFORMED);
	RESET(); p[1] = 'N'; remac(p, n); expect(p, n, -AION_EMALFORMED);
	RESET(); p[2] = 0; remac(p, n); expect(p, n, -AION_ENOEXEC);
	RESET(); p[2] = 1; remac(p, n); expect(p, n, -AION_ENOEXEC);   /* version 1 */
	RESET(); p[2] = 3; remac(p, n); expect(p, n, -AION_ENOEXEC);
	RESET(); p[2] = 0xff; remac(p, n); expect(p, n, -AION_ENOEXEC);
	RESET(); p[3] = 0; remac(p, n); expect(p, n, -AION_EINVAL);
	RESET(); p[3] = MESH_TYPE_MAX + 1; remac(p, n); expect(p, n, -AION_EINVAL);
	RESET(); p[3] = 0xff; remac(p, n); expect(p, n, -AION_EINVAL);
	/* Payload length one more / less than the bytes present. */
	RESET(); p[30]++; remac(p, n); expect(p, n, -AION_ETRUNC);
	RESET(); p[30]--; expect(p, n, -AION_EMALFORMED);
	RESET(); p[29] = 0xff; p[30] = 0xff; expect(p, n, -AION_EMALFORMED);
	/* Trailing byte after the MAC. */
	RESET(); p[n] = 0; expect(p, n + 1, -AION_EMALFORMED);
	/* Wrong cluster id, even with a good MAC over it. */
	RESET(); p[5] ^= 0x10; remac(p, n); expect(p, n, -AION_EPERM);
	/* MAC and covered bytes. */
	RESET(); p[n - 1] ^= 1; expect(p, n, -AION_ERIGHTS);
	RESET(); p[n - MESH_MAC_LEN] ^= 0x80; expect(p, n, -AION_ERIGHTS);
	RESET(); p[MESH_HDR_LEN + 5] ^= 4; expect(p, n, -AION_ERIGHTS);
	RESET(); p[10] ^= 1; expect(p, n, -AION_ERIGHTS);      /* src */
	RESET(); p[16] ^= 1; expect(p, n, -AION_ERIGHTS);      /* src_boot */
	RESET(); p[20] ^= 1; expect(p, n, -AION_ERIGHTS);      /* dst_boot */
	RESET(); p[28] ^= 1; expect(p, n, -AION_ERIGHTS);      /* seq */
	RESET(); p[3] = MESH_PING; expect(p, n, -AION_ERIGHTS);
	RESET(); p[4] = 0; expect(p, n, -AION_ERIGHTS);        /* key id */
#undef RESET
	free(p);
	free(good);
}

/* Payload length above MESH_PAYLOAD_MAX, with all its bytes present. */
static void test_oversize_payload(void **state)
{
	(void)state;
	size_t plen = MESH_PAYLOAD_MAX + 1, n = MESH_PACKET_MIN + plen;
	uint8_t *p = calloc(1, n);
	struct mesh_hdr h = hdr(MESH_CALL);

	assert_non_null(p);
	assert_int_equal(mesh_encode(&h, NULL, 0, p, n, test_mac, &key), (int)MESH_PACKET_MIN);
	p[29] = (uint8_t)(plen >> 8);
	p[30] = (uint8_t)plen;
	remac(p, n);
	expect(p, n, -AION_EMALFORMED);
	free(p);
}

static void test_wrong_cluster(void **state)
{
	(void)state;
	struct mesh_hdr h = hdr(MESH_PING), out;
	const uint8_t *pl;
	size_t n;
	uint8_t *p = make(&h, "x", 1, &n);

	assert_int_equal(mesh_decode(p, n, CLUSTER ^ 1, &out, &pl, test_mac, &key), -AION_EPERM);
	assert_int_equal(mesh_decode(p, n, 0, &out, &pl, test_mac, &key), -AION_EPERM);
	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &pl, test_mac, &key), 1);
	/* A different key (another cluster's, same id) fails the MAC. */
	struct test_key other = { { 1, 2 }, 0 };

	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &pl, test_mac, &other), -AION_ERIGHTS);
	free(p);
}

static void test_bit_flips(void **state)
{
	(void)state;
	static const size_t lens[] = { 0, 33 };

	for (size_t li = 0; li < 2; li++) {
		struct mesh_hdr h = hdr(MESH_REPLY);
		uint8_t pl[33];
		size_t n;

		fill(pl, sizeof(pl), 4);
		uint8_t *good = make(&h, pl, lens[li], &n);
		uint8_t *p = malloc(n);

		assert_non_null(p);
		for (size_t bit = 0; bit < n * 8; bit++) {
			struct mesh_hdr out;
			const uint8_t *got = NULL;

			memcpy(p, good, n);
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int r = mesh_decode(p, n, CLUSTER, &out, &got, test_mac, &key);

			if (r >= 0)
				fail_msg("bit %zu flipped: accepted", bit);
			assert_null(got);
		}
		free(p);
		free(good);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	struct mesh_hdr h = hdr(MESH_CALL);
	uint8_t pl[100];
	size_t n;

	fill(pl, sizeof(pl), 1);
	uint8_t *good = make(&h, pl, sizeof(pl), &n);

	for (size_t len = 0; len < n; len++)
		expect(good, len, -AION_ETRUNC);
	expect(good, n, (int)sizeof(pl));
	free(good);
}

static void test_stats(void **state)
{
	(void)state;
	struct mesh_stats s;

	memset(&s, 0, sizeof(s));
	mesh_stats_count(NULL, 0);
	mesh_stats_count(&s, 0);
	mesh_stats_count(&s, 12);
	mesh_stats_count(&s, -AION_ETRUNC);
	mesh_stats_count(&s, -AION_EMALFORMED);
	mesh_stats_count(&s, -AION_ENOEXEC);
	mesh_stats_count(&s, -AION_EINVAL);
	mesh_stats_count(&s, -AION_EPERM);
	mesh_stats_count(&s, -AION_ERIGHTS);
	mesh_stats_count(&s, -AION_ERIGHTS);
	mesh_stats_count(&s, -AION_ENOMEM);
	assert_int_equal(s.rx, 10);
	assert_int_equal(s.rx_ok, 2);
	assert_int_equal(s.rx_bad_len, 1);
	assert_int_equal(s.rx_bad_magic, 1);
	assert_int_equal(s.rx_bad_version, 1);
	assert_int_equal(s.rx_bad_type, 1);
	assert_int_equal(s.rx_bad_cluster, 1);
	assert_int_equal(s.rx_bad_mac, 2);
	assert_int_equal(s.rx_bad_other, 1);
}

/* ---- membership messages (struct mesh_msg) as packet payloads ---- */

static struct mesh_msg msg(unsigned type, unsigned ngossip)
{
	struct mesh_msg m = {
		.type = (uint8_t)type, .ngossip = (uint8_t)ngossip,
		.from = (uint16_t)(0x0102 + type), .to = (uint16_t)(0xfe00 + type),
		.target = type == MESH_MSG_PING ? MESH_NODE_NONE : (uint16_t)(0x0a0b + type),
		.seq = 0xdeadbe00u + type,
		.clock = 0x5eed0000u + type,
	};

	for (unsigned i = 0; i < ngossip && i < MESH_GOSSIP_MAX; i++)
		m.gossip[i] = (struct mesh_gossip){
			.node = (uint16_t)(i * 257u + 1),
			.state = (uint8_t)(MESH_STATE_ALIVE + i % 3),
			.incarnation = 0x80000000u + i * 3u,
			.by = (uint16_t)(0x0304 + i),
		};
	return m;
}

/* mesh_msg_from_wire on a copy of p[0, n) in an exactly-sized buffer;
 * on failure *out must be untouched. */
static int mdecode_exact(const struct mesh_hdr *h, const uint8_t *p, size_t n,
			 struct mesh_msg *out)
{
	uint8_t *c = malloc(n ? n : 1);
	struct mesh_msg before;
	int r;

	assert_non_null(c);
	memcpy(c, p, n);
	memset(out, 0x5a, sizeof(*out));
	before = *out;
	r = mesh_msg_from_wire(h, c, n, out);
	free(c);
	if (r < 0)
		assert_memory_equal(out, &before, sizeof(before));
	return r;
}

static void assert_msg_equal(const struct mesh_msg *a, const struct mesh_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->ngossip, b->ngossip);
	assert_int_equal(a->from, b->from);
	assert_int_equal(a->to, b->to);
	assert_int_equal(a->target, b->target);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->clock, b->clock);
	for (unsigned i = 0; i < a->ngossip; i++) {
		assert_int_equal(a->gossip[i].node, b->gossip[i].node);
		assert_int_equal(a->gossip[i].state, b->gossip[i].state);
		assert_int_equal(a->gossip[i].incarnation, b->gossip[i].incarnation);
		assert_int_equal(a->gossip[i].by, b->gossip[i].by);
	}
}

static void test_msg_round_trip(void **state)
{
	(void)state;
	static const uint8_t ptype[] = {
		[MESH_MSG_PING] = MESH_PING, [MESH_MSG_ACK] = MESH_ACK,
		[MESH_MSG_PING_REQ] = MESH_PING_REQ,
		[MESH_MSG_INDIRECT_ACK] = MESH_ACK,
		[MESH_MSG_NACK] = MESH_ACK, [MESH_MSG_GOSSIP] = MESH_ACK,
	};

	for (unsigned t = MESH_MSG_PING; t <= MESH_MSG_GOSSIP; t++) {
		for (unsigned g = 0; g <= MESH_GOSSIP_MAX; g++) {
			struct mesh_msg in = msg(t, g), out;
			struct mesh_hdr h = hdr(MESH_CALL), dh;
			uint8_t pl[MESH_MSG_PAYLOAD_MAX];
			const uint8_t *got;
			size_t n;

			int len = mesh_msg_to_wire(&in, &h, pl, MESH_MSG_LEN(g));

			assert_int_equal(len, (int)MESH_MSG_LEN(g));
			assert_int_equal(h.type, ptype[t]);
			assert_int_equal(h.src, in.from);
			assert_int_equal(h.dst, in.to);
			/* Transport fields left alone. */
			assert_int_equal(h.cluster_id, CLUSTER);
			assert_int_equal(h.seq, 0x1112131415161718ull);
			assert_int_equal(h.src_boot, 0x01020304u);
			assert_int_equal(h.dst_boot, 0xa0b0c0d0u);
			assert_int_equal(pl[0], t);
			assert_int_equal(pl[7], g);

			/* Through a whole packet and back. */
			uint8_t *p = make(&h, pl, (size_t)len, &n);

			assert_int_equal(mesh_decode(p, n, CLUSTER, &dh, &got,
						     test_mac, &key), len);
			assert_int_equal(mdecode_exact(&dh, got, dh.payload_len, &out), 0);
			assert_msg_equal(&out, &in);
			free(p);

			/* Every truncation is refused, none reads past the end. */
			for (size_t k = 0; k < (size_t)len; k++)
				assert_int_equal(mdecode_exact(&h, pl, k, &out),
						 -AION_ETRUNC);
			/* Trailing bytes. */
			uint8_t big[MESH_MSG_PAYLOAD_MAX + 4];

			memcpy(big, pl, (size_t)len);
			for (size_t k = 1; k <= 4; k++) {
				big[len + k - 1] = 0;
				assert_int_equal(mdecode_exact(&h, big, (size_t)len + k, &out),
						 -AION_EMALFORMED);
			}
		}
	}
}

static void test_msg_layout(void **state)
{
	(void)state;
	struct mesh_msg in = msg(MESH_MSG_PING_REQ, 1);
	struct mesh_hdr h = { 0 };
	uint8_t pl[MESH_MSG_LEN(1)];
	static const uint8_t want[MESH_MSG_LEN(1)] = {
		MESH_MSG_PING_REQ, 0x0a, 0x0e, 0xde, 0xad, 0xbe, 0x03, 1,
		0x5e, 0xed, 0x00, 0x03,
		0x00, 0x01, MESH_STATE_ALIVE, 0x80, 0x00, 0x00, 0x00, 0x03, 0x04,
	};

	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, sizeof(pl)), (int)sizeof(want));
	assert_memory_equal(pl, want, sizeof(want));
	assert_int_equal(h.type, MESH_PING_REQ);
	assert_int_equal(h.src, 0x0105);
	assert_int_equal(h.dst, 0xfe03);
	assert_true(MESH_MSG_PAYLOAD_MAX <= MESH_PAYLOAD_MAX);
}

static void test_msg_encode_errors(void **state)
{
	(void)state;
	struct mesh_msg in = msg(MESH_MSG_ACK, 3);
	struct mesh_hdr h, h0;
	uint8_t pl[MESH_MSG_PAYLOAD_MAX + 8], pl0[sizeof(pl)];

	memset(&h, 0x77, sizeof(h));
	h0 = h;
	memset(pl, 0x66, sizeof(pl));
	memcpy(pl0, pl, sizeof(pl));
	assert_int_equal(mesh_msg_to_wire(NULL, &h, pl, sizeof(pl)), -AION_EINVAL);
	assert_int_equal(mesh_msg_to_wire(&in, NULL, pl, sizeof(pl)), -AION_EINVAL);
	assert_int_equal(mesh_msg_to_wire(&in, &h, NULL, sizeof(pl)), -AION_EINVAL);
	in.type = 0;
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, sizeof(pl)), -AION_EINVAL);
	in.type = MESH_MSG_GOSSIP + 1;
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, sizeof(pl)), -AION_EINVAL);
	in.type = MESH_MSG_ACK;
	in.ngossip = MESH_GOSSIP_MAX + 1;
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, sizeof(pl)), -AION_EINVAL);
	in.ngossip = 3;
	in.gossip[2].state = MESH_STATE_UNKNOWN;
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, sizeof(pl)), -AION_EINVAL);
	in.gossip[2].state = MESH_STATE_DEAD + 1;
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, sizeof(pl)), -AION_EINVAL);
	in.gossip[2].state = MESH_STATE_DEAD;
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, MESH_MSG_LEN(3) - 1), -AION_ENOSPC);
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, 0), -AION_ENOSPC);
	/* Nothing written on any failure. */
	assert_memory_equal(&h, &h0, sizeof(h));
	assert_memory_equal(pl, pl0, sizeof(pl));
	assert_int_equal(mesh_msg_to_wire(&in, &h, pl, MESH_MSG_LEN(3)), (int)MESH_MSG_LEN(3));
}

static void test_msg_decode_errors(void **state)
{
	(void)state;
	struct mesh_msg in = msg(MESH_MSG_PING, 3), out;
	struct mesh_hdr h = hdr(0);
	uint8_t pl[MESH_MSG_PAYLOAD_MAX + 8];
	int n = mesh_msg_to_wire(&in, &h, pl, sizeof(pl));

	assert_int_equal(n, (int)MESH_MSG_LEN(3));
	assert_int_equal(mdecode_exact(&h, pl, (size_t)n, &out), 0);
	assert_int_equal(mesh_msg_from_wire(NULL, pl, (size_t)n, &out), -AION_EINVAL);
	assert_int_equal(mesh_msg_from_wire(&h, pl, (size_t)n, NULL), -AION_EINVAL);
	assert_int_equal(mesh_msg_from_wire(&h, NULL, 1, &out), -AION_EINVAL);
	assert_int_equal(mesh_msg_from_wire(&h, NULL, 0, &out), -AION_ETRUNC);

	/* Packet types that carry no membership message. */
	for (unsigned t = 0; t <= 255; t++) {
		struct mesh_hdr o = h;

		o.type = (uint8_t)t;
		if (t == MESH_PING || t == MESH_PING_REQ || t == MESH_ACK)
			continue;
		assert_int_equal(mdecode_exact(&o, pl, (size_t)n, &out), -AION_EINVAL);
	}

	/* Subtype: unknown, or not the packet type's. */
	static const struct { uint8_t ptype, sub; int want; } subs[] = {
		{ MESH_PING, 0, -AION_EMALFORMED },
		{ MESH_PING, MESH_MSG_GOSSIP + 1, -AION_EMALFORMED },
		{ MESH_ACK, MESH_MSG_GOSSIP + 1, -AION_EMALFORMED },
		{ MESH_PING, MESH_MSG_NACK, -AION_EMALFORMED },
		{ MESH_PING_REQ, MESH_MSG_GOSSIP, -AION_EMALFORMED },
		{ MESH_PING, 0xff, -AION_EMALFORMED },
		{ MESH_PING, MESH_MSG_ACK, -AION_EMALFORMED },
		{ MESH_PING, MESH_MSG_PING_REQ, -AION_EMALFORMED },
		{ MESH_PING_REQ, MESH_MSG_PING, -AION_EMALFORMED },
		{ MESH_ACK, MESH_MSG_PING, -AION_EMALFORMED },
		{ MESH_ACK, MESH_MSG_PING_REQ, -AION_EMALFORMED },
		{ MESH_PING_REQ, MESH_MSG_INDIRECT_ACK, -AION_EMALFORMED },
		{ MESH_PING, MESH_MSG_PING, 0 },
		{ MESH_PING_REQ, MESH_MSG_PING_REQ, 0 },
		{ MESH_ACK, MESH_MSG_ACK, 0 },
		{ MESH_ACK, MESH_MSG_INDIRECT_ACK, 0 },
		{ MESH_ACK, MESH_MSG_NACK, 0 },
		{ MESH_ACK, MESH_MSG_GOSSIP, 0 },
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		struct mesh_hdr o = h;

		o.type = subs[i].ptype;
		pl[0] = subs[i].sub;
		assert_int_equal(mdecode_exact(&o, pl, (size_t)n, &out), subs[i].want);
		if (subs[i].want == 0)
			assert_int_equal(out.type, subs[i].sub);
	}
	pl[0] = MESH_MSG_PING;

	/* Bad states in every record position. */
	for (unsigned r = 0; r < 3; r++) {
		uint8_t *st = pl + MESH_MSG_LEN(r) + 2;
		uint8_t keep = *st;
		static const uint8_t bad[] = { 0, MESH_STATE_DEAD + 1, 0x80, 0xff };

		for (size_t b = 0; b < sizeof(bad); b++) {
			*st = bad[b];
			assert_int_equal(mdecode_exact(&h, pl, (size_t)n, &out),
					 -AION_EMALFORMED);
		}
		*st = keep;
	}
	assert_int_equal(mdecode_exact(&h, pl, (size_t)n, &out), 0);

	/* ngossip past MESH_GOSSIP_MAX, even with every byte present. */
	struct mesh_msg full = msg(MESH_MSG_PING, MESH_GOSSIP_MAX);
	size_t flen = MESH_MSG_LEN(MESH_GOSSIP_MAX);
	uint8_t fb[MESH_MSG_LEN(MESH_GOSSIP_MAX + 1)];

	assert_int_equal(mesh_msg_to_wire(&full, &h, fb, sizeof(fb)), (int)flen);
	memcpy(fb + flen, fb + MESH_MSG_HDR_LEN, MESH_MSG_GOSSIP_LEN);
	fb[7] = MESH_GOSSIP_MAX + 1;
	assert_int_equal(mdecode_exact(&h, fb, sizeof(fb), &out), -AION_EMALFORMED);
	fb[7] = 0xff;
	assert_int_equal(mdecode_exact(&h, fb, sizeof(fb), &out), -AION_EMALFORMED);
	/* A count claiming fewer records than present: trailing bytes. */
	fb[7] = MESH_GOSSIP_MAX - 1;
	assert_int_equal(mdecode_exact(&h, fb, flen, &out), -AION_EMALFORMED);
	/* A count claiming more records than present: truncated. */
	fb[7] = MESH_GOSSIP_MAX;
	assert_int_equal(mdecode_exact(&h, fb, flen - 1, &out), -AION_ETRUNC);
	assert_int_equal(mdecode_exact(&h, fb, flen, &out), 0);
	assert_int_equal(out.ngossip, MESH_GOSSIP_MAX);
}

/* ---- deterministic mutation loop ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	return (uint32_t)(xorshift64(&rng) >> 32);
}

static void test_mutation_loop(void **state)
{
	(void)state;
	static uint8_t pl[MESH_PAYLOAD_MAX];
	static uint8_t work[MESH_PACKET_MAX + 64];
	unsigned accepted = 0, remacs = 0;

	for (unsigned it = 0; it < 20000; it++) {
		struct mesh_hdr h = hdr((uint8_t)(MESH_PING + rnd() % MESH_TYPE_MAX));
		size_t plen = rnd() % 3 == 0 ? rnd() % (MESH_PAYLOAD_MAX + 1) : rnd() % 64;
		size_t n;

		h.seq = rnd();
		fill(pl, plen, it);
		uint8_t *good = make(&h, pl, plen, &n);
		size_t m = n;

		memcpy(work, good, n);
		unsigned edits = 1 + rnd() % 4;

		for (unsigned e = 0; e < edits; e++) {
			switch (rnd() % 6) {
			case 0: case 1:         /* flip a bit */
				work[rnd() % m] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 2:                 /* set a byte, often in the header */
				work[rnd() % (rnd() % 2 ? MESH_HDR_LEN : m)] = (uint8_t)rnd();
				break;
			case 3:                 /* truncate */
				m = rnd() % (m + 1);
				if (m == 0)
					m = 1;
				break;
			case 4:                 /* extend with junk */
				for (unsigned k = rnd() % 8 + 1; k && m < sizeof(work); k--)
					work[m++] = (uint8_t)rnd();
				break;
			case 5:                 /* plausible payload length */
				work[29] = (uint8_t)(rnd() % 6);
				work[30] = (uint8_t)rnd();
				break;
			}
		}
		bool did_remac = false;

		if (rnd() % 4 == 0 && m >= MESH_PACKET_MIN) {
			remac(work, m);
			did_remac = true;
			remacs++;
		}

		struct mesh_hdr out;
		const uint8_t *got = NULL;
		uint8_t *c = malloc(m);

		assert_non_null(c);
		memcpy(c, work, m);
		int r = mesh_decode(c, m, CLUSTER, &out, &got, test_mac, &key);

		if (r >= 0) {
			accepted++;
			/* Without a fresh MAC only the untouched packet passes. */
			if (!did_remac && (m != n || memcmp(c, good, n) != 0))
				fail_msg("iteration %u: forged packet accepted", it);
			/* Accepted packets re-encode to the same bytes. */
			assert_int_equal(r, out.payload_len);
			assert_int_equal(m, MESH_PACKET_MIN + (size_t)r);
			uint8_t *again = malloc(m);

			assert_non_null(again);
			assert_int_equal(mesh_encode(&out, got, (size_t)r, again, m,
						     test_mac, &key), (int)m);
			assert_memory_equal(again, c, m);
			free(again);
		} else {
			assert_null(got);
		}
		free(c);
		free(good);
	}
	/* The loop must exercise both outcomes. */
	assert_true(accepted > 0);
	assert_true(remacs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_big_endian_layout),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_decode_null_args),
		cmocka_unit_test(test_corrupt_cases),
		cmocka_unit_test(test_oversize_payload),
		cmocka_unit_test(test_wrong_cluster),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_msg_round_trip),
		cmocka_unit_test(test_msg_layout),
		cmocka_unit_test(test_msg_encode_errors),
		cmocka_unit_test(test_msg_decode_errors),
		cmocka_unit_test(test_mutation_loop),
		cmocka_unit_test(test_type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
