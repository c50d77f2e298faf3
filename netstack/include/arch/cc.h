/*
 * lwIP port for Aion: compiler and platform glue (included by lwip/arch.h).
 *
 * lwIP is built freestanding with -nostdinc (netstack/meson.build): only
 * GCC's own headers (stddef.h, stdint.h, stdarg.h) and netstack/include/libc
 * are visible, so nothing of the host's libc can leak in. The headers lwIP
 * would otherwise take from a libc are switched off here.
 */
#ifndef NETSTACK_ARCH_CC_H
#define NETSTACK_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

/* No limits.h, unistd.h, inttypes.h or ctype.h: define what lwIP needs. */
#define LWIP_NO_LIMITS_H        1
#define LWIP_NO_UNISTD_H        1
#define LWIP_NO_INTTYPES_H      1
#define LWIP_NO_CTYPE_H         1       /* lwIP's own lwip_isdigit() & co */

#ifndef INT_MAX
#define INT_MAX                 __INT_MAX__
#endif
#define SSIZE_MAX               __LONG_MAX__
typedef long ssize_t;

/* printf formats for lwIP's types, as libaion's formatter reads them. */
#define X8_F    "02x"
#define U16_F   "u"
#define S16_F   "d"
#define X16_F   "x"
#define U32_F   "u"
#define S32_F   "d"
#define X32_F   "x"
#define SZT_F   "lu"

#define BYTE_ORDER              LITTLE_ENDIAN
#define lwip_htons(x)           ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x)           ((u32_t)__builtin_bswap32((u32_t)(x)))

#define PACK_STRUCT_FIELD(x)    x
#define PACK_STRUCT_STRUCT      __attribute__((packed))
#define PACK_STRUCT_BEGIN
#define PACK_STRUCT_END

/* netstack/port/sys_arch.c */
void netstack_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void netstack_assert(const char *msg, const char *file, int line)
	__attribute__((noreturn));
uint32_t netstack_rand(void);

/*
 * Diagnostics go to the console log, one line per call; a failed
 * assertion logs where and ends the thread (and so netd) with
 * NETSTACK_ASSERT_EXIT, which the supervisor sees as the exit code.
 */
#define NETSTACK_ASSERT_EXIT    134
#define LWIP_PLATFORM_DIAG(x)   do { netstack_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) netstack_assert((x), __FILE__, __LINE__)

/* Not cryptographic: ephemeral ports and initial sequence numbers. */
#define LWIP_RAND()             ((u32_t)netstack_rand())

#endif /* NETSTACK_ARCH_CC_H */
