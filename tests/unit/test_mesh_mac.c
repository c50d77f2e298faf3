/*
 * Host tests for mesh/mac.c: the AionMesh packet MAC (truncated
 * HMAC-SHA-256 from mbedTLS), with the wire codec, and key parsing.
 *
 * Packets handed to mesh_decode are malloc'ed at exactly their length,
 * so ASan reports any read past them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "mesh/mac.h"
#include "mesh/wire.h"

#define CLUSTER 0xc1a55e01u

/* ---- RFC 4231 HMAC-SHA-256 test cases, truncated to 16 bytes ---- */

struct rfc_case {
	const char *name;
	uint8_t key[131];
	size_t key_len;
	uint8_t data[64];
	size_t data_len;
	uint8_t mac[MESH_MAC_LEN];   /* first 16 bytes of the RFC's value */
};

static void fill_case(struct rfc_case *c, uint8_t kbyte, size_t klen,
		      uint8_t dbyte, size_t dlen)
{
	memset(c->key, kbyte, klen);
	c->key_len = klen;
	memset(c->data, dbyte, dlen);
	c->data_len = dlen;
}

static void set_text(struct rfc_case *c, const char *key, const char *data)
{
	if (key != NULL) {
		c->key_len = strlen(key);
		memcpy(c->key, key, c->key_len);
	}
	c->data_len = strlen(data);
	memcpy(c->data, data, c->data_len);
}

static void mac_of(const uint8_t *key, size_t klen, const uint8_t *data,
		   size_t dlen, uint8_t out[MESH_MAC_LEN])
{
	struct mesh_mac m = { 0 };

	assert_int_equal(mesh_mac_init(&m, key, klen), 0);
	mesh_mac_compute(&m, data, dlen, out);
	mesh_mac_free(&m);
}

static void test_rfc4231_cases_1_to_4(void **state)
{
	(void)state;
	static struct rfc_case c[4] = {
		{ .name = "1", .mac = { 0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53,
					0x5c, 0xa8, 0xaf, 0xce, 0xaf, 0x0b, 0xf1, 0x2b } },
		{ .name = "2", .mac = { 0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
					0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7 } },
		{ .name = "3", .mac = { 0x77, 0x3e, 0xa9, 0x1e, 0x36, 0x80, 0x0e, 0x46,
					0x85, 0x4d, 0xb8, 0xeb, 0xd0, 0x91, 0x81, 0xa7 } },
		{ .name = "4", .mac = { 0x82, 0x55, 0x8a, 0x38, 0x9a, 0x44, 0x3c, 0x0e,
					0xa4, 0xcc, 0x81, 0x98, 0x99, 0xf2, 0x08, 0x3a } },
	};

	fill_case(&c[0], 0x0b, 20, 0, 0);
	set_text(&c[0], NULL, "Hi There");
	set_text(&c[1], "Jefe", "what do ya want for nothing?");
	fill_case(&c[2], 0xaa, 20, 0xdd, 50);
	fill_case(&c[3], 0, 25, 0xcd, 50);
	for (size_t i = 0; i < 25; i++)
		c[3].key[i] = (uint8_t)(i + 1);

	for (size_t i = 0; i < 4; i++) {
		uint8_t out[MESH_MAC_LEN], again[MESH_MAC_LEN];
		struct mesh_mac m = { 0 };

		assert_int_equal(mesh_mac_init(&m, c[i].key, c[i].key_len), 0);
		mesh_mac_compute(&m, c[i].data, c[i].data_len, out);
		if (memcmp(out, c[i].mac, MESH_MAC_LEN) != 0)
			fail_msg("RFC 4231 case %s: wrong MAC", c[i].name);
		/* The context is reusable: the same MAC again. */
		mesh_mac_compute(&m, c[i].data, c[i].data_len, again);
		assert_memory_equal(again, c[i].mac, MESH_MAC_LEN);
		mesh_mac_free(&m);
	}
}

/*
 * Case 6: a 131-byte key, longer than SHA-256's block, which HMAC would
 * hash first. mesh_mac_init refuses keys over MESH_KEY_MAX (one block):
 * EINVAL, and the context is not usable.
 */
static void test_rfc4231_case_6(void **state)
{
	(void)state;
	struct rfc_case c;
	struct mesh_mac m = { 0 };

	fill_case(&c, 0xaa, 131, 0, 0);
	assert_int_equal(mesh_mac_init(&m, c.key, c.key_len), -AION_EINVAL);
	assert_int_equal(m.ready, 0);
}

/* A one-block key, data of 0..296 bytes, against HMAC computed the long
 * way (both pads hashed for each message, as its definition reads): the
 * pad states mesh_mac_init keeps give the same bytes. */
static void test_long_way(void **state)
{
	(void)state;
	uint8_t key[MESH_KEY_MAX], data[300], pad[64], inner[32], full[32];
	uint8_t got[MESH_MAC_LEN];
	struct mesh_mac m = { 0 };

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i * 7);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(mesh_mac_init(&m, key, sizeof(key)), 0);
	for (size_t len = 0; len <= sizeof(data); len += 37) {
		mbedtls_sha256_context c;
		for (size_t i = 0; i < 64; i++)
			pad[i] = key[i] ^ 0x36;
		mbedtls_sha256_init(&c);
		assert_int_equal(mbedtls_sha256_starts_ret(&c, 0), 0);
		assert_int_equal(mbedtls_sha256_update_ret(&c, pad, 64), 0);
		assert_int_equal(mbedtls_sha256_update_ret(&c, data, len), 0);
		assert_int_equal(mbedtls_sha256_finish_ret(&c, inner), 0);
		for (size_t i = 0; i < 64; i++)
			pad[i] = key[i] ^ 0x5c;
		assert_int_equal(mbedtls_sha256_starts_ret(&c, 0), 0);
		assert_int_equal(mbedtls_sha256_update_ret(&c, pad, 64), 0);
		assert_int_equal(mbedtls_sha256_update_ret(&c, inner, 32), 0);
		assert_int_equal(mbedtls_sha256_finish_ret(&c, full), 0);
		mesh_mac_compute(&m, data, len, got);
		assert_memory_equal(got, full, MESH_MAC_LEN);
	}
	mesh_mac_free(&m);
	assert_int_equal(m.ready, 0);
}

static void test_init_errors(void **state)
{
	(void)state;
	static const uint8_t key[MESH_KEY_MAX + 1] = { 1, 2, 3 };
	struct mesh_mac m[MESH_MAC_CONTEXTS + 1];
	uint8_t a[MESH_MAC_LEN], b[MESH_MAC_LEN], c[MESH_MAC_LEN];

	memset(m, 0, sizeof(m));
	assert_int_equal(mesh_mac_init(NULL, key, 1), -AION_EINVAL);
	assert_int_equal(mesh_mac_init(&m[0], NULL, 1), -AION_EINVAL);
	assert_int_equal(mesh_mac_init(&m[0], key, 0), -AION_EINVAL);
	assert_int_equal(mesh_mac_init(&m[0], key, MESH_KEY_MAX + 1), -AION_EINVAL);
	assert_int_equal(m[0].ready, 0);
	mesh_mac_free(&m[0]);    /* not ready: no-op */
	mesh_mac_free(NULL);

	/* Contexts are independent: one freed or re-keyed leaves the others. */
	for (size_t i = 0; i <= MESH_MAC_CONTEXTS; i++)
		assert_int_equal(mesh_mac_init(&m[i], key, MESH_KEY_MAX - i), 0);
	mesh_mac_compute(&m[0], key, 10, a);
	mesh_mac_free(&m[1]);
	assert_int_equal(m[1].ready, 0);
	assert_int_equal(mesh_mac_init(&m[2], key, MESH_KEY_MAX), 0);  /* re-key */
	mesh_mac_compute(&m[2], key, 10, b);
	assert_memory_equal(a, b, MESH_MAC_LEN);   /* same key, same MAC */
	mesh_mac_compute(&m[0], key, 11, c);
	assert_memory_not_equal(a, c, MESH_MAC_LEN);
	mesh_mac_free(&m[0]);
	mesh_mac_free(&m[2]);
}

/* A 32-byte test key ("test cluster key for mesh_mac..."). */
static const uint8_t test_key[32] = "test cluster key for mesh_mac..";

static void test_key_id(void **state)
{
	(void)state;
	uint8_t other[32];

	memcpy(other, test_key, sizeof(other));
	other[31] ^= 1;
	/* A function of the key alone: the same on every node. */
	assert_int_equal(mesh_key_id(test_key, 32), mesh_key_id(test_key, 32));
	/* Over 64 keys one bit apart, the ids are not all one value. */
	unsigned differ = 0;
	for (unsigned i = 0; i < 64; i++) {
		memcpy(other, test_key, sizeof(other));
		other[i / 8] ^= (uint8_t)(1u << (i % 8));
		differ += mesh_key_id(other, 32) != mesh_key_id(test_key, 32);
	}
	assert_true(differ > 32);
	/* Keys one byte shorter give other MACs. */
	uint8_t a[MESH_MAC_LEN], b[MESH_MAC_LEN];
	mac_of(test_key, 32, (const uint8_t *)"ping", 4, a);
	mac_of(test_key, 30, (const uint8_t *)"ping", 4, b);   /* (HMAC pads with zeros: 31 would equal 32) */
	assert_memory_not_equal(a, b, MESH_MAC_LEN);
}

/* ---- with the wire codec ---- */

static struct mesh_hdr hdr(void)
{
	struct mesh_hdr h = {
		.type = MESH_CALL, .key_id = 9, .cluster_id = CLUSTER,
		.src = 2, .dst = 5, .src_boot = 0x01020304u, .dst_boot = 0xa0b0c0d0u,
		.seq = 0x0102030405060708ull,
	};
	return h;
}

/* Encode under m into a buffer malloc'ed at exactly the packet's size. */
static uint8_t *make(struct mesh_mac *m, const uint8_t *pl, size_t len,
		     size_t *out_len)
{
	struct mesh_hdr h = hdr();
	size_t n = MESH_HDR_LEN + len + MESH_MAC_LEN;
	uint8_t *buf = malloc(n);

	assert_non_null(buf);
	assert_int_equal(mesh_encode(&h, pl, len, buf, n, mesh_mac_compute, m),
			 (int)n);
	*out_len = n;
	return buf;
}

static void test_round_trip(void **state)
{
	(void)state;
	static uint8_t pl[MESH_PAYLOAD_MAX];
	static const size_t lens[] = { 0, 1, 100, MESH_PAYLOAD_MAX };
	struct mesh_mac m = { 0 };

	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 13u + 7u);
	assert_int_equal(mesh_mac_init(&m, test_key, sizeof(test_key)), 0);
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		size_t n;
		uint8_t *p = make(&m, pl, lens[li], &n);
		struct mesh_hdr in = hdr(), out;
		const uint8_t *got = NULL;
		uint8_t mac[MESH_MAC_LEN];

		/* The trailer is the truncated HMAC of everything before it. */
		mesh_mac_compute(&m, p, n - MESH_MAC_LEN, mac);
		assert_memory_equal(p + n - MESH_MAC_LEN, mac, MESH_MAC_LEN);

		assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &got,
					     mesh_mac_compute, &m), (int)lens[li]);
		assert_int_equal(out.type, in.type);
		assert_int_equal(out.key_id, in.key_id);
		assert_int_equal(out.cluster_id, in.cluster_id);
		assert_int_equal(out.src, in.src);
		assert_int_equal(out.dst, in.dst);
		assert_int_equal(out.seq, in.seq);
		assert_int_equal(out.src_boot, in.src_boot);
		assert_int_equal(out.dst_boot, in.dst_boot);
		assert_int_equal(out.payload_len, lens[li]);
		assert_ptr_equal(got, p + MESH_HDR_LEN);
		assert_memory_equal(got, pl, lens[li]);
		free(p);
	}
	mesh_mac_free(&m);
}

static void test_other_key_refused(void **state)
{
	(void)state;
	static const uint8_t pl[] = "hello, node 5";
	struct mesh_mac ours = { 0 }, theirs = { 0 };
	uint8_t key2[32];
	struct mesh_hdr out;
	const uint8_t *got = NULL;
	size_t n;

	memcpy(key2, test_key, sizeof(key2));
	key2[31] ^= 0x01;   /* one bit away from ours */
	assert_int_equal(mesh_mac_init(&ours, test_key, sizeof(test_key)), 0);
	assert_int_equal(mesh_mac_init(&theirs, key2, sizeof(key2)), 0);

	uint8_t *p = make(&theirs, pl, sizeof(pl), &n);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &got,
				     mesh_mac_compute, &ours), -AION_ERIGHTS);
	assert_null(got);
	assert_int_equal(out.type, 0x5a);   /* untouched */
	/* Its own key accepts it. */
	assert_int_equal(mesh_decode(p, n, CLUSTER, &out, &got,
				     mesh_mac_compute, &theirs), (int)sizeof(pl));
	free(p);
	mesh_mac_free(&ours);
	mesh_mac_free(&theirs);
}

static void test_every_bit_flip_refused(void **state)
{
	(void)state;
	static const uint8_t pl[] = "a payload long enough to span several words";
	struct mesh_mac m = { 0 };
	size_t n;

	assert_int_equal(mesh_mac_init(&m, test_key, sizeof(test_key)), 0);
	uint8_t *p = make(&m, pl, sizeof(pl), &n);
	for (size_t bit = 0; bit < 8 * n; bit++) {
		struct mesh_hdr out;
		const uint8_t *got = NULL;
		size_t byte = bit / 8;

		p[byte] ^= (uint8_t)(1u << (bit % 8));
		int r = mesh_decode(p, n, CLUSTER, &out, &got,
				    mesh_mac_compute, &m);
		p[byte] ^= (uint8_t)(1u << (bit % 8));

		if (r >= 0)
			fail_msg("bit %zu flipped: accepted", bit);
		/* Past the header's checked fields only the MAC can tell. */
		if (byte >= MESH_HDR_LEN && r != -AION_ERIGHTS)
			fail_msg("bit %zu flipped: got %s, want AION_ERIGHTS",
				 bit, aion_error_name(r));
		assert_null(got);
	}
	free(p);
	mesh_mac_free(&m);
}

/* ---- mesh_key_from_hex ---- */

static void key_ok(const char *hex, size_t cap, const uint8_t *want, int n)
{
	uint8_t key[MESH_KEY_MAX];

	memset(key, 0xee, sizeof(key));
	int r = mesh_key_from_hex(hex, key, cap);
	if (r != n)
		fail_msg("\"%s\": got %d, want %d", hex, r, n);
	assert_memory_equal(key, want, (size_t)n);
	if ((size_t)n < sizeof(key))
		assert_int_equal(key[n], 0xee);   /* nothing past the key */
}

static void key_bad(const char *hex, size_t cap)
{
	uint8_t key[MESH_KEY_MAX], untouched[MESH_KEY_MAX];

	memset(key, 0xee, sizeof(key));
	memcpy(untouched, key, sizeof(key));
	int r = mesh_key_from_hex(hex, key, cap);
	if (r != -AION_EINVAL)
		fail_msg("\"%s\" (cap %zu): got %d, want -AION_EINVAL",
			 hex ? hex : "(null)", cap, r);
	assert_memory_equal(key, untouched, sizeof(key));
}

static void test_key_from_hex(void **state)
{
	(void)state;
	static const uint8_t k1[] = { 0x00, 0xff, 0x10, 0xab };
	static const uint8_t k2[] = { 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t k3[] = { 0x0a };
	char long_hex[2 * MESH_KEY_MAX + 1];
	uint8_t all[MESH_KEY_MAX];

	key_ok("00ff10ab", 4, k1, 4);
	key_ok("DEADbeef\n", 16, k2, 4);
	key_ok("deadBEEF \r\n", 4, k2, 4);
	key_ok("0a\t", 1, k3, 1);
	for (size_t i = 0; i < MESH_KEY_MAX; i++) {
		all[i] = (uint8_t)(i * 37u);
		long_hex[2 * i] = "0123456789abcdef"[all[i] >> 4];
		long_hex[2 * i + 1] = "0123456789abcdef"[all[i] & 15];
	}
	long_hex[2 * MESH_KEY_MAX] = '\0';
	key_ok(long_hex, MESH_KEY_MAX, all, MESH_KEY_MAX);

	key_bad(NULL, 4);
	assert_int_equal(mesh_key_from_hex("00", NULL, 4), -AION_EINVAL);
	key_bad("", 4);
	key_bad("\n", 4);
	key_bad("abc", 4);           /* odd digit count */
	key_bad("abc\n", 4);
	key_bad("zz", 4);
	/* The characters either side of each digit range. */
	key_bad("0/", 4);
	key_bad("0:", 4);
	key_bad("0@", 4);
	key_bad("0G", 4);
	key_bad("0`", 4);
	key_bad("0g", 4);
	key_bad("0\xc1", 4);
	key_bad("00 11", 4);         /* space inside the key */
	key_bad(" 0011", 4);         /* leading space */
	key_bad("0x0011", 4);
	key_bad("00112233", 3);      /* more bytes than cap */
	key_bad("00", 0);
	key_bad("0011\n-", 4);       /* junk after the trailing space */
	long_hex[2 * MESH_KEY_MAX - 2] = '\0';
	key_bad(long_hex, MESH_KEY_MAX - 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231_cases_1_to_4),
		cmocka_unit_test(test_rfc4231_case_6),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_long_way),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_other_key_refused),
		cmocka_unit_test(test_every_bit_flip_refused),
		cmocka_unit_test(test_key_from_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
