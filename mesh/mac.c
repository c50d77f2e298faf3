/*
 * AionMesh packet MAC: SipHash-2-4-128 (mesh/mac.h says why), written
 * from the SipHash paper (Aumasson and Bernstein, INDOCRYPT 2012) and its
 * 128-bit-tag variant; the unit test checks it against the reference's
 * published vectors. Nothing allocates.
 */
#include "mesh/mac.h"

#include "aion/error.h"
#include "mbedtls/platform_util.h"

/* ---- SipHash-2-4-128 ---- */

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void sipround(struct sip *s)
{
	s->v0 += s->v1; s->v1 = rotl(s->v1, 13); s->v1 ^= s->v0; s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3; s->v3 = rotl(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = rotl(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = rotl(s->v1, 17); s->v1 ^= s->v2; s->v2 = rotl(s->v2, 32);
}

/* One message word: two compression rounds (the "2" of 2-4). */
static inline void absorb(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

/* Four finalization rounds (the "4"), then the state folded to 64 bits. */
static inline uint64_t squeeze(struct sip *s)
{
	for (unsigned i = 0; i < 4; i++)
		sipround(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static void siphash128(uint64_t k0, uint64_t k1, const uint8_t *data, size_t len,
		       uint8_t out[MESH_MAC_LEN])
{
	struct sip s = {
		.v0 = k0 ^ 0x736f6d6570736575ull,
		.v1 = k1 ^ 0x646f72616e646f6dull ^ 0xee,        /* 0xee: the 128-bit tag */
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	size_t whole = len & ~(size_t)7;
	uint64_t last = (uint64_t)len << 56;    /* the length's low byte, on top */

	for (size_t i = 0; i < whole; i += 8)
		absorb(&s, le64(data + i));
	for (size_t i = whole; i < len; i++)
		last |= (uint64_t)data[i] << (8 * (i - whole));
	absorb(&s, last);
	s.v2 ^= 0xee;
	put_le64(out, squeeze(&s));
	s.v1 ^= 0xdd;
	put_le64(out + 8, squeeze(&s));
}

void mesh_siphash128(const uint8_t key[MESH_SIPHASH_KEY], const uint8_t *data,
		     size_t len, uint8_t out[MESH_MAC_LEN])
{
	siphash128(le64(key), le64(key + 8), data, len, out);
}

/* ---- keyed contexts ---- */

/* SHA-256(label || key): the one way a key's derived values are made. */
static void labelled_sum(const char *label, const uint8_t *key, size_t len,
			 uint8_t sum[32])
{
	mbedtls_sha256_context c;

	mbedtls_sha256_init(&c);
	if (mbedtls_sha256_starts_ret(&c, 0) != 0 ||
	    mbedtls_sha256_update_ret(&c, (const uint8_t *)label,
				      __builtin_strlen(label)) != 0 ||
	    mbedtls_sha256_update_ret(&c, key, len) != 0 ||
	    mbedtls_sha256_finish_ret(&c, sum) != 0)
		__builtin_trap();   /* cannot fail on a stack context */
	mbedtls_sha256_free(&c);
}

void mesh_mac_derive(const uint8_t *key, size_t len, uint8_t out[MESH_SIPHASH_KEY])
{
	uint8_t sum[32];

	labelled_sum("AionMesh SipHash-2-4-128 key", key, len, sum);
	__builtin_memcpy(out, sum, MESH_SIPHASH_KEY);
	mbedtls_platform_zeroize(sum, sizeof(sum));
}

int mesh_mac_init(struct mesh_mac *m, const uint8_t *key, size_t len)
{
	uint8_t k[MESH_SIPHASH_KEY];

	if (m == NULL)
		return -AION_EINVAL;
	m->ready = 0;
	if (key == NULL || len == 0 || len > MESH_KEY_MAX)
		return -AION_EINVAL;
	mesh_mac_derive(key, len, k);
	m->k0 = le64(k);
	m->k1 = le64(k + 8);
	mbedtls_platform_zeroize(k, sizeof(k));
	m->ready = 1;
	return 0;
}

void mesh_mac_free(struct mesh_mac *m)
{
	if (m == NULL || !m->ready)
		return;
	mbedtls_platform_zeroize(m, sizeof(*m));       /* the key */
}

void mesh_mac_compute(void *ctx, const uint8_t *data, size_t len,
		      uint8_t out[MESH_MAC_LEN])
{
	const struct mesh_mac *m = ctx;

	if (m == NULL || !m->ready)
		__builtin_trap();
	siphash128(m->k0, m->k1, data, len, out);
}

/* ---- keys ---- */

/* Value of one hex digit of either case, or -1. (c | 0x20 folds 'A'-'F'
 * onto 'a'-'f' and leaves digits alone.) */
static int hex_value(char c)
{
	unsigned d = (unsigned char)c - (unsigned)'0';

	if (d < 10u)
		return (int)d;
	d = ((unsigned char)c | 0x20u) - (unsigned)'a';
	return d < 6u ? (int)d + 10 : -1;
}

static int is_trailing_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int mesh_key_from_hex(const char *hex, uint8_t *key, size_t cap)
{
	if (hex == NULL || key == NULL)
		return -AION_EINVAL;

	size_t digits = 0;
	while (hex_value(hex[digits]) >= 0)
		digits++;
	for (size_t i = digits; hex[i] != '\0'; i++)
		if (!is_trailing_space(hex[i]))
			return -AION_EINVAL;

	size_t n = digits / 2;
	if (digits == 0 || digits % 2 != 0 || n > cap ||
	    n > (size_t)__INT_MAX__)
		return -AION_EINVAL;
	for (size_t i = 0; i < n; i++)
		key[i] = (uint8_t)(hex_value(hex[2 * i]) << 4 |
				   hex_value(hex[2 * i + 1]));
	return (int)n;
}

uint8_t mesh_key_id(const uint8_t *key, size_t len)
{
	uint8_t sum[32];

	labelled_sum("AionMesh key id", key, len, sum);
	uint8_t id = sum[0];
	mbedtls_platform_zeroize(sum, sizeof(sum));
	return id;
}
