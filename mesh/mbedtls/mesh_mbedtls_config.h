/*
 * mbedTLS 2.28 configuration for AionMesh: SHA-256 and nothing else.
 *
 * Replaces mbedtls/config.h entirely (every mbedTLS file sees it through
 * -DMBEDTLS_CONFIG_FILE="mesh_mbedtls_config.h", set by mesh/mbedtls/
 * meson.build's dependencies). Nothing that needs time, files, threads,
 * entropy, sockets or a libc beyond memcpy/memset/memcmp/strcmp is on.
 */
#ifndef MESH_MBEDTLS_CONFIG_H
#define MESH_MBEDTLS_CONFIG_H

#include <stddef.h>

/* SHA-256 alone: mesh/mac.c derives the packet MAC's SipHash key and
 * the key id with it, once per key. */
#define MBEDTLS_SHA256_C

/*
 * Nothing allocates. Should some mbedTLS file ever call mbedtls_calloc,
 * these name functions that exist nowhere: the link fails, rather than
 * a libc heap appearing in meshd. MBEDTLS_PLATFORM_C is only a
 * prerequisite of the macros; platform.c is not built.
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
