/* A socket's datagram rings (aion/socket.h, SOCK_RING). Pure. */
#ifndef LIBAION_SOCKRING_H
#define LIBAION_SOCKRING_H

#include <stdint.h>
#include "aion/netring.h"

/* Puts a datagram for (or from) addr:port on r: 0, -AION_ENOSPC (full:
 * counted in r->dropped) or -AION_EINVAL (longer than SOCKRING_DGRAM_MAX). */
int sockring_put(struct netring *r, uint32_t addr, uint16_t port, const void *data, uint32_t len);
/*
 * Takes the next datagram: at most size of its bytes to data, its peer to
 * *addr and *port. Returns its length (0 is a datagram too; more than size
 * means it was cut), -AION_EAGAIN when r is empty, or -AION_EMALFORMED
 * for a slot too short to hold one (taken all the same).
 */
int64_t sockring_take(struct netring *r, void *data, uint32_t size, uint32_t *addr,
		      uint16_t *port);

#endif /* LIBAION_SOCKRING_H */
