/* A socket's datagram rings (aion/socket.h, SOCK_RING): one datagram a
 * slot, its peer first. Pure: netd, the socket library and the host tests
 * use the same code. */
#include "aion/error.h"
#include "aion/socket.h"
#include "libaion/sockring.h"

int sockring_put(struct netring *r, uint32_t addr, uint16_t port, const void *data, uint32_t len)
{
	struct sockring_dgram h = { .addr = addr, .port = port };

	if (len > SOCKRING_DGRAM_MAX)
		return -AION_EINVAL;
	return netring_push_parts(r, &h, sizeof(h), data, len);
}

int64_t sockring_take(struct netring *r, void *data, uint32_t size, uint32_t *addr,
		      uint16_t *port)
{
	struct sockring_dgram h;
	uint32_t len = netring_pop_parts(r, &h, sizeof(h), data, size);

	if (len == 0)
		return -AION_EAGAIN;
	if (len < sizeof(h))
		return -AION_EMALFORMED;        /* taken: it cannot be one */
	*addr = h.addr;
	*port = h.port;
	return len - sizeof(h);
}
