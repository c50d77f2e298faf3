/*
 * The <limits.h> freestanding mbedTLS sees (check_config.h tests
 * CHAR_BIT). GCC's own limits.h is complete, but on a Debian host it
 * wraps glibc's and include_next's it; _LIBC_LIMITS_H_ tells it there is
 * no libc limits.h to chain to, so it defines everything itself.
 */
#ifndef MESH_MBEDTLS_LIBC_LIMITS_H
#define MESH_MBEDTLS_LIBC_LIMITS_H

#define _LIBC_LIMITS_H_ 1
#include_next <limits.h>

#endif /* MESH_MBEDTLS_LIBC_LIMITS_H */
