/* Single-producer single-consumer frame rings (aion/netring.h). Pure. */
#include "aion/error.h"
#include "aion/netring.h"

int netring_push_parts(struct netring *r, const void *a, uint32_t alen, const void *b,
		       uint32_t blen)
{
	uint32_t head = r->head;
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (alen + blen == 0 || alen > NETRING_FRAME_MAX || blen > NETRING_FRAME_MAX - alen)
		return -AION_EINVAL;
	if (head - tail >= NETRING_SLOTS) {
		r->dropped++;
		return -AION_ENOSPC;
	}
	struct netring_slot *s = &r->slot[head % NETRING_SLOTS];
	if (alen)
		__builtin_memcpy(s->frame, a, alen);
	if (blen)
		__builtin_memcpy(s->frame + alen, b, blen);
	s->len = alen + blen;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

int netring_push(struct netring *r, const void *frame, uint32_t len)
{
	return netring_push_parts(r, frame, len, 0, 0);
}

uint32_t netring_pop_parts(struct netring *r, void *a, uint32_t alen, void *b, uint32_t blen)
{
	uint32_t tail = r->tail;
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	if (tail == head)
		return 0;
	struct netring_slot *s = &r->slot[tail % NETRING_SLOTS];
	/* The peer may write anything, at any time: the length is read once,
	 * then clamped, never trusted. */
	uint32_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
	len = len - 1 < NETRING_FRAME_MAX ? len : NETRING_FRAME_MAX;
	uint32_t na = len < alen ? len : alen;
	if (na)
		__builtin_memcpy(a, s->frame, na);
	if (len > alen && blen)
		__builtin_memcpy(b, s->frame + alen, len - alen < blen ? len - alen : blen);
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return len;
}

uint32_t netring_pop(struct netring *r, void *buf, uint32_t size)
{
	return netring_pop_parts(r, buf, size, 0, 0);
}
