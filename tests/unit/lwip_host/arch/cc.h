/*
 * lwIP's arch/cc.h for the host unit tests (test_netif): lwIP built
 * natively against the host's libc, with netd's lwipopts.h. It takes the
 * place of netstack/include/arch/cc.h, which is freestanding.
 */
#ifndef TEST_LWIP_HOST_ARCH_CC_H
#define TEST_LWIP_HOST_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x)   do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { \
	fprintf(stderr, "lwIP assertion \"%s\" at %s:%d\n", (x), __FILE__, __LINE__); \
	abort(); \
} while (0)
#define LWIP_RAND()             ((u32_t)rand())

#endif /* TEST_LWIP_HOST_ARCH_CC_H */
