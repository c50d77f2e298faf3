/* Single-producer single-consumer frame rings (aion/netring.h). Pure. */
#include "aion/error.h"
#include "aion/netring.h"

int netring_push(struct netring *r, const void *frame, uint32_t len)
{
	uint32_t head = r->head;
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (len == 0 || len > NETRING_FRAME_MAX)
		return -AION_EINVAL;
	if (head - tail >= NETRING_SLOTS) {
		r->dropped++;
		return -AION_ENOSPC;
	}
	struct netring_slot *s = &r->slot[head % NETRING_SLOTS];
	__builtin_memcpy(s->frame, frame, len);
	s->len = len;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

uint32_t netring_pop(struct netring *r, void *buf, uint32_t size)
{
	uint32_t tail = r->tail;
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	if (tail == head)
		return 0;
	struct netring_slot *s = &r->slot[tail % NETRING_SLOTS];
	/* The peer may write anything: a length is clamped, never trusted. */
	uint32_t len = s->len - 1 < NETRING_FRAME_MAX ? s->len : NETRING_FRAME_MAX;
	__builtin_memcpy(buf, s->frame, len < size ? len : size);
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return len;
}
