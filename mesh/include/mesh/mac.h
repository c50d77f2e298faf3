/*
 * AionMesh packet MAC: the first MESH_MAC_LEN (16) bytes of
 * HMAC-SHA-256(cluster key, packet), computed by mbedTLS 2.28.
 *
 * The same code runs freestanding (meshd) and on the host (tests), and
 * allocates nothing: a key's state is two SHA-256 states, the key's
 * inner and outer pads hashed once by mesh_mac_init (mac.c says why).
 *
 * Build with one of mesh/meson.build's mbedTLS dependencies
 * (mbedtls_target_dep, mbedtls_host_dep): they set MBEDTLS_CONFIG_FILE
 * and the include directories this header needs. Not thread-safe: one
 * thread owns each context.
 */
#ifndef MESH_MAC_H
#define MESH_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/wire.h"

#ifndef MBEDTLS_CONFIG_FILE
#error "build with mesh/meson.build's mbedtls_target_dep or mbedtls_host_dep"
#endif
#include "mbedtls/sha256.h"

/* Longest cluster key: one SHA-256 block, so HMAC uses it as it is. */
#define MESH_KEY_MAX       64u
/* Keys a node keeps at once (a key and its successor: meshd's link.c). */
#define MESH_MAC_CONTEXTS  2u

/* One cluster key's HMAC state. Zero-initialised or after mesh_mac_free:
 * not usable until mesh_mac_init succeeds. */
struct mesh_mac {
	mbedtls_sha256_context inner;   /* after the key ^ ipad block */
	mbedtls_sha256_context outer;   /* after the key ^ opad block */
	int ready;                      /* 1 after a successful mesh_mac_init */
};

/*
 * Key m with key[0, len) (re-keying simply overwrites). Returns 0 or
 * -AION_EINVAL (m or key NULL; len 0 or > MESH_KEY_MAX). On failure m is
 * not usable.
 */
int mesh_mac_init(struct mesh_mac *m, const uint8_t *key, size_t len);

/* Wipe m's keyed state. NULL or not ready: no-op. */
void mesh_mac_free(struct mesh_mac *m);

/*
 * A mesh_mac_fn (see mesh/wire.h): ctx is a struct mesh_mac * that
 * mesh_mac_init keyed. out = first 16 bytes of HMAC-SHA-256(key,
 * data[0, len)). Allocates nothing. A context that is not ready is a
 * programming error: it traps rather than produce a MAC anyone could
 * forge.
 */
void mesh_mac_compute(void *ctx, const uint8_t *data, size_t len,
		      uint8_t out[MESH_MAC_LEN]);

/*
 * Parse a key written as hex digits (either case), optionally followed
 * by spaces, tabs and line ends (a key file's trailing newline), into
 * key[0, cap). The digit count must be even and non-zero. Returns the
 * byte count (1..cap) or -AION_EINVAL (NULL argument, no digits, an odd
 * count, any other character, more than cap bytes). key is written only
 * on success.
 */
int mesh_key_from_hex(const char *hex, uint8_t *key, size_t cap);

/* Shortest cluster key meshd accepts (128 bits): a shorter one, or none,
 * and the node refuses to join (there is no built-in default key). */
#define MESH_KEY_MIN       16u

/*
 * The key id packets carry (mesh_hdr.key_id): the first byte of
 * SHA-256("AionMesh key id" || key). Every node derives the same id from
 * the same key, with no counter to agree on, so while two keys are live
 * the receiver knows which to check. Two keys may share an id (1 in 256):
 * the receiver then tries both. Allocates nothing.
 */
uint8_t mesh_key_id(const uint8_t *key, size_t len);

#endif /* MESH_MAC_H */
