/*
 * mbedTLS 2.28 configuration for AionMesh: HMAC-SHA-256 and nothing else.
 *
 * Replaces mbedtls/config.h entirely (every mbedTLS file sees it through
 * -DMBEDTLS_CONFIG_FILE="mesh_mbedtls_config.h", set by mesh/mbedtls/
 * meson.build's dependencies). Nothing that needs time, files, threads,
 * entropy, sockets or a libc beyond memcpy/memset/memcmp/strcmp is on.
 */
#ifndef MESH_MBEDTLS_CONFIG_H
#define MESH_MBEDTLS_CONFIG_H

#include <stddef.h>

/* The message-digest layer (mbedtls_md_hmac_*) and its one digest. */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C

/*
 * mbedtls_md_setup() allocates the digest and HMAC state with
 * mbedtls_calloc. Route that to mesh/mac.c's static pool (no libc heap,
 * so meshd and the host tests run the same code). MBEDTLS_PLATFORM_C is
 * only a prerequisite of the macros; platform.c is not built.
 * NO_STD_FUNCTIONS keeps platform.h from including stdio.h and stdlib.h.
 */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_PLATFORM_CALLOC_MACRO  mesh_mbedtls_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO    mesh_mbedtls_free

void *mesh_mbedtls_calloc(size_t n, size_t size);
void mesh_mbedtls_free(void *p);

#include "mbedtls/check_config.h"

#endif /* MESH_MBEDTLS_CONFIG_H */
