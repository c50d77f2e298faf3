/*
 * Host tests for mesh/mac.c: the AionMesh packet MAC (SipHash-2-4-128
 * under a key derived with mbedTLS's SHA-256), with the wire codec, and
 * key parsing.
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

static void mac_of(const uint8_t *key, size_t klen, const uint8_t *data,
		   size_t dlen, uint8_t out[MESH_MAC_LEN])
{
	struct mesh_mac m = { 0 };

	assert_int_equal(mesh_mac_init(&m, key, klen), 0);
	mesh_mac_compute(&m, data, dlen, out);
	mesh_mac_free(&m);
}

/* ---- SipHash-2-4-128 against the reference's vectors ---- */

/*
 * From the SipHash reference's vectors.h (vectors_sip128): key 00..0f,
 * message 00 01 .. (len - 1). The lengths cover no word, one byte short
 * of a word, a word, a word and one, and the longest.
 */
static const struct {
	size_t len;
	uint8_t tag[MESH_MAC_LEN];
} sip_vectors[] = {
	{ 0, { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
	       0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 } },
	{ 1, { 0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44,
	       0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45 } },
	{ 7, { 0xa1, 0xf1, 0xeb, 0xbe, 0xd8, 0xdb, 0xc1, 0x53,
	       0xc0, 0xb8, 0x4a, 0xa6, 0x1f, 0xf0, 0x82, 0x39 } },
	{ 8, { 0x3b, 0x62, 0xa9, 0xba, 0x62, 0x58, 0xf5, 0x61,
	       0x0f, 0x83, 0xe2, 0x64, 0xf3, 0x14, 0x97, 0xb4 } },
	{ 9, { 0x26, 0x44, 0x99, 0x06, 0x0a, 0xd9, 0xba, 0xab,
	       0xc4, 0x7f, 0x8b, 0x02, 0xbb, 0x6d, 0x71, 0xed } },
	{ 15, { 0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
		0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9 } },
	{ 16, { 0x6e, 0xe2, 0xa4, 0xca, 0x67, 0xb0, 0x54, 0xbb,
		0xfd, 0x33, 0x15, 0xbf, 0x85, 0x23, 0x05, 0x77 } },
	{ 63, { 0x51, 0x50, 0xd1, 0x77, 0x2f, 0x50, 0x83, 0x4a,
		0x50, 0x3e, 0x06, 0x9a, 0x97, 0x3f, 0xbd, 0x7c } },
};

static void test_siphash_vectors(void **state)
{
	(void)state;
	uint8_t key[MESH_SIPHASH_KEY], msg[64], out[MESH_MAC_LEN];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t v = 0; v < sizeof(sip_vectors) / sizeof(sip_vectors[0]); v++) {
		mesh_siphash128(key, msg, sip_vectors[v].len, out);
		if (memcmp(out, sip_vectors[v].tag, MESH_MAC_LEN) != 0)
			fail_msg("SipHash-2-4-128 of %zu bytes: wrong tag", sip_vectors[v].len);
	}
}

/* A key longer than MESH_KEY_MAX is refused: EINVAL, the context unusable. */
static void test_long_key_refused(void **state)
{
	(void)state;
	uint8_t key[MESH_KEY_MAX + 67];
	struct mesh_mac m = { 0 };

	memset(key, 0xaa, sizeof(key));
	assert_int_equal(mesh_mac_init(&m, key, sizeof(key)), -AION_EINVAL);
	assert_int_equal(m.ready, 0);
}

/*
 * The packet MAC is SipHash-2-4-128 under the derived key, derived here
 * the long way (SHA-256 of the label and the key, first 16 bytes), for
 * keys of every length the mesh takes and data of 0..296 bytes.
 */
static void test_derived_key(void **state)
{
	(void)state;
	static const char label[] = "AionMesh SipHash-2-4-128 key";
	uint8_t key[MESH_KEY_MAX], data[300], sum[32], want[MESH_MAC_LEN], got[MESH_MAC_LEN];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i * 7);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (size_t klen = MESH_KEY_MIN; klen <= MESH_KEY_MAX; klen += 8) {
		struct mesh_mac m = { 0 };
		mbedtls_sha256_context c;

		mbedtls_sha256_init(&c);
		assert_int_equal(mbedtls_sha256_starts_ret(&c, 0), 0);
		assert_int_equal(mbedtls_sha256_update_ret(&c, (const uint8_t *)label,
							   sizeof(label) - 1), 0);
		assert_int_equal(mbedtls_sha256_update_ret(&c, key, klen), 0);
		assert_int_equal(mbedtls_sha256_finish_ret(&c, sum), 0);
		mbedtls_sha256_free(&c);
		assert_int_equal(mesh_mac_init(&m, key, klen), 0);
		for (size_t len = 0; len <= sizeof(data); len += 37) {
			mesh_siphash128(sum, data, len, want);
			mesh_mac_compute(&m, data, len, got);
			assert_memory_equal(got, want, MESH_MAC_LEN);
			/* The context is reusable: the same MAC again. */
			mesh_mac_compute(&m, data, len, got);
			assert_memory_equal(got, want, MESH_MAC_LEN);
		}
		mesh_mac_free(&m);
		assert_int_equal(m.ready, 0);
	}
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
	mac_of(test_key, 31, (const uint8_t *)"ping", 4, b);
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

		/* The trailer is the MAC of everything before it. */
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
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_long_key_refused),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_derived_key),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_other_key_refused),
		cmocka_unit_test(test_every_bit_flip_refused),
		cmocka_unit_test(test_key_from_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
