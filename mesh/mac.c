/*
 * AionMesh packet MAC over mbedTLS's HMAC-SHA-256 (see mesh/mac.h).
 *
 * mbedTLS allocates through mesh_mbedtls_calloc/free (set by
 * mesh/mbedtls/mesh_mbedtls_config.h): a fixed pool of slots here, two
 * per HMAC context (the SHA-256 state and the HMAC inner/outer pads).
 */
#include "mesh/mac.h"

#include "aion/error.h"
#include "mbedtls/sha256.h"

/* ---- the pool ---- */

#define SLOT_SIZE   128u
#define SLOTS       (2u * MESH_MAC_CONTEXTS)

_Static_assert(sizeof(mbedtls_sha256_context) <= SLOT_SIZE,
	       "a slot holds the SHA-256 state");
_Static_assert(2u * 64u <= SLOT_SIZE, "a slot holds both HMAC pads");

static _Alignas(max_align_t) uint8_t pool[SLOTS][SLOT_SIZE];
static uint8_t pool_used[SLOTS];

void *mesh_mbedtls_calloc(size_t n, size_t size)
{
	if (n == 0 || size == 0 || size > SLOT_SIZE / n)
		return NULL;
	for (size_t i = 0; i < SLOTS; i++) {
		if (!pool_used[i]) {
			pool_used[i] = 1;
			__builtin_memset(pool[i], 0, SLOT_SIZE);
			return pool[i];
		}
	}
	return NULL;
}

/* Frees only pointers the pool handed out; anything else is ignored. */
void mesh_mbedtls_free(void *p)
{
	for (size_t i = 0; i < SLOTS; i++) {
		if (p == pool[i]) {
			pool_used[i] = 0;
			return;
		}
	}
}

/* ---- keyed contexts ---- */

int mesh_mac_init(struct mesh_mac *m, const uint8_t *key, size_t len)
{
	if (m == NULL)
		return -AION_EINVAL;
	m->ready = 0;
	mbedtls_md_init(&m->md);
	if (key == NULL || len == 0 || len > MESH_KEY_MAX)
		return -AION_EINVAL;

	int r = mbedtls_md_setup(&m->md,
				 mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	if (r == 0)
		r = mbedtls_md_hmac_starts(&m->md, key, len);
	if (r != 0) {
		mbedtls_md_free(&m->md);
		return r == MBEDTLS_ERR_MD_ALLOC_FAILED ? -AION_ENOMEM
							: -AION_EINVAL;
	}
	m->ready = 1;
	return 0;
}

void mesh_mac_free(struct mesh_mac *m)
{
	if (m == NULL || !m->ready)
		return;
	mbedtls_md_free(&m->md);   /* wipes and releases both slots */
	m->ready = 0;
}

void mesh_mac_compute(void *ctx, const uint8_t *data, size_t len,
		      uint8_t out[MESH_MAC_LEN])
{
	struct mesh_mac *m = ctx;
	uint8_t full[32];

	if (m == NULL || !m->ready)
		__builtin_trap();
	if (mbedtls_md_hmac_reset(&m->md) != 0 ||
	    mbedtls_md_hmac_update(&m->md, data, len) != 0 ||
	    mbedtls_md_hmac_finish(&m->md, full) != 0)
		__builtin_trap();   /* only on a broken context */
	__builtin_memcpy(out, full, MESH_MAC_LEN);
	mbedtls_platform_zeroize(full, sizeof(full));
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
	static const uint8_t label[] = "AionMesh key id";
	mbedtls_sha256_context c;
	uint8_t sum[32];

	mbedtls_sha256_init(&c);
	if (mbedtls_sha256_starts_ret(&c, 0) != 0 ||
	    mbedtls_sha256_update_ret(&c, label, sizeof(label) - 1) != 0 ||
	    mbedtls_sha256_update_ret(&c, key, len) != 0 ||
	    mbedtls_sha256_finish_ret(&c, sum) != 0)
		__builtin_trap();   /* cannot fail on a stack context */
	mbedtls_sha256_free(&c);
	uint8_t id = sum[0];
	mbedtls_platform_zeroize(sum, sizeof(sum));
	return id;
}
