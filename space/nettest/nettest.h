/* nettest's roles in files of their own (main.c has the list). */
#ifndef NETTEST_H
#define NETTEST_H

#include <stdbool.h>
#include "libaion/lib.h"
#include "libaion/sockclient.h"
#include "common/time.h"

#define UDP_MAX         512     /* the largest datagram of the UDP roles */

static inline uint64_t now_ms(void)
{
	return aion_clock_ns() / MS;
}

/* udp.c: udp-echo (forever) and the clients (1000 datagrams to addr's
 * echo; fixed: each of that size, 0: 64..512), through rings when ring.
 * data: UDP_MAX bytes for the echo, 2 x UDP_MAX for a client. */
int64_t udp_echo(struct sock_ctx *ctx, uint8_t *data, bool ring);
int64_t udp_client(struct sock_ctx *ctx, uint32_t addr, uint8_t *data, size_t fixed, bool ring);

/* ring-revoke[:ADDR] (ring_revoke.c): 0, or the error (logged). */
int64_t ring_revoke(struct sock_ctx *ctx, uint32_t addr);

#endif /* NETTEST_H */
