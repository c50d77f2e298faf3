/*
 * The <assert.h> freestanding mbedTLS sees: library/common.h includes it
 * unconditionally (for static_assert). A failed assert() traps.
 */
#ifndef MESH_MBEDTLS_LIBC_ASSERT_H
#define MESH_MBEDTLS_LIBC_ASSERT_H

#define assert(e) ((e) ? (void)0 : __builtin_trap())
#define static_assert _Static_assert

#endif /* MESH_MBEDTLS_LIBC_ASSERT_H */
