/*
 * AionMesh packet MAC: HMAC-SHA-256 over mbedTLS's SHA-256 (mesh/mac.h).
 *
 * HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)). The two pads are one
 * block each and the same for every packet, so mesh_mac_init hashes them
 * once and keeps the two states; a packet's MAC starts from copies of
 * them: two block compressions fewer per packet than mbedTLS's
 * mbedtls_md_hmac_reset/finish, which hash both pads again each time
 * (2026-12-07: meshd spends most of a packet's time in the MAC under
 * TCG, docs/network.md). Nothing allocates.
 */
#include "mesh/mac.h"

#include "aion/error.h"
#include "mbedtls/platform_util.h"

#define BLOCK 64u                       /* SHA-256's block: the pads' length */

/* ---- keyed contexts ---- */

static int pad_state(mbedtls_sha256_context *c, const uint8_t *key, size_t len,
		     uint8_t with)
{
	uint8_t pad[BLOCK];

	for (size_t i = 0; i < BLOCK; i++)
		pad[i] = (uint8_t)((i < len ? key[i] : 0) ^ with);
	mbedtls_sha256_init(c);
	int r = mbedtls_sha256_starts_ret(c, 0);
	if (r == 0)
		r = mbedtls_sha256_update_ret(c, pad, BLOCK);
	mbedtls_platform_zeroize(pad, sizeof(pad));
	return r;
}

int mesh_mac_init(struct mesh_mac *m, const uint8_t *key, size_t len)
{
	if (m == NULL)
		return -AION_EINVAL;
	m->ready = 0;
	if (key == NULL || len == 0 || len > MESH_KEY_MAX)
		return -AION_EINVAL;
	if (pad_state(&m->inner, key, len, 0x36) != 0 ||
	    pad_state(&m->outer, key, len, 0x5c) != 0) {
		mbedtls_platform_zeroize(m, sizeof(*m));
		return -AION_EINVAL;
	}
	m->ready = 1;
	return 0;
}

void mesh_mac_free(struct mesh_mac *m)
{
	if (m == NULL || !m->ready)
		return;
	mbedtls_platform_zeroize(m, sizeof(*m));       /* the keyed states */
}

void mesh_mac_compute(void *ctx, const uint8_t *data, size_t len,
		      uint8_t out[MESH_MAC_LEN])
{
	struct mesh_mac *m = ctx;
	mbedtls_sha256_context c;
	uint8_t full[32];

	if (m == NULL || !m->ready)
		__builtin_trap();
	c = m->inner;
	if (mbedtls_sha256_update_ret(&c, data, len) != 0 ||
	    mbedtls_sha256_finish_ret(&c, full) != 0)
		__builtin_trap();   /* only on a broken context */
	c = m->outer;
	if (mbedtls_sha256_update_ret(&c, full, sizeof(full)) != 0 ||
	    mbedtls_sha256_finish_ret(&c, full) != 0)
		__builtin_trap();
	__builtin_memcpy(out, full, MESH_MAC_LEN);
	mbedtls_platform_zeroize(full, sizeof(full));
	mbedtls_platform_zeroize(&c, sizeof(c));
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
