/*
 * AionMesh packet MAC: SipHash-2-4 with a 128-bit tag (SipHash-2-4-128)
 * under a 128-bit key derived from the cluster key with mbedTLS 2.28's
 * SHA-256 (mesh_mac_init).
 *
 * Why not HMAC-SHA-256, which it replaced (docs/mesh.md "The MAC"): under
 * TCG the HMAC's three SHA-256 blocks a packet were a third of meshd's
 * time in a remote call; SipHash is a PRF made for short inputs, some
 * ten times fewer operations on a 100-byte packet, and as a MAC its
 * forgery bound is the tag's 2^-128 a try (its designers' claim for c >= 2,
 * d >= 4). The same code runs freestanding (meshd) and on the host (tests),
 * and allocates nothing.
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

/* Longest cluster key (a key file's 128 hex digits). */
#define MESH_KEY_MAX       64u
/* Keys a node keeps at once (a key and its successor: meshd's link.c). */
#define MESH_MAC_CONTEXTS  2u
/* SipHash's key: 128 bits. */
#define MESH_SIPHASH_KEY   16u

/* One cluster key's MAC state. Zero-initialised or after mesh_mac_free:
 * not usable until mesh_mac_init succeeds. */
struct mesh_mac {
	uint64_t k0, k1;                /* SipHash's key, little-endian halves */
	int ready;                      /* 1 after a successful mesh_mac_init */
};

/* SipHash-2-4-128 of data[0, len) under key (the reference's byte order:
 * out = the two 64-bit halves, each little-endian). */
void mesh_siphash128(const uint8_t key[MESH_SIPHASH_KEY], const uint8_t *data,
		     size_t len, uint8_t out[MESH_MAC_LEN]);

/*
 * The SipHash key of a cluster key: the first 16 bytes of
 * SHA-256("AionMesh SipHash-2-4-128 key" || key), so that every key
 * length up to MESH_KEY_MAX counts in full.
 */
void mesh_mac_derive(const uint8_t *key, size_t len, uint8_t out[MESH_SIPHASH_KEY]);

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
 * mesh_mac_init keyed. out = SipHash-2-4-128(mesh_mac_derive(key),
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
