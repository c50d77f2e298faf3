/*
 * The packet path between a NIC driver unit and netd: two single-producer,
 * single-consumer rings of Ethernet frames in one shared memory object,
 * and a notification in each direction. No IPC per packet.
 *
 *   rx: driver -> netd (frames received from the wire)
 *   tx: netd -> driver (frames to send)
 *
 * Indices are free-running 32-bit counters: the ring holds head - tail
 * frames; the producer writes slot[head % NETRING_SLOTS], then publishes
 * head (release); the consumer reads slot[tail % NETRING_SLOTS], then
 * publishes tail. A full ring drops the frame and counts it.
 *
 * Attaching (netd calls the driver's endpoint, registered as "net0"):
 *   NET_ATTACH  caps[0]: the memory object (struct netshm, READ|WRITE),
 *               caps[1]: netd's notification (SEND): the driver signals
 *               NETRING_SIGNAL when it put frames on rx.
 *   reply       w0 = 0 or -AION_E...; w1 = MAC (6 bytes, little-endian in
 *               the low 48 bits); caps[0]: the driver's notification (SEND):
 *               netd signals NETRING_SIGNAL when it put frames on tx.
 */
#ifndef AION_NETRING_H
#define AION_NETRING_H

#include <stdint.h>

#define NETRING_SLOTS           64
#define NETRING_SLOT_SIZE       2048
#define NETRING_FRAME_MAX       (NETRING_SLOT_SIZE - 8)
#define NETRING_SIGNAL          (1ull << 1)     /* bit 0 is left to the driver's IRQ */
#define NET_ATTACH              1

struct netring_slot {
	uint32_t len;
	uint32_t reserved;
	uint8_t frame[NETRING_FRAME_MAX];
};

struct netring {
	volatile uint32_t head;         /* written by the producer only */
	uint32_t pad0[15];              /* head and tail on separate cache lines */
	volatile uint32_t tail;         /* written by the consumer only */
	uint32_t pad1[15];
	uint64_t dropped;               /* producer: frames lost to a full ring */
	uint64_t pad2[7];
	struct netring_slot slot[NETRING_SLOTS];
};

struct netshm {
	struct netring rx;
	struct netring tx;
};

#define NETSHM_PAGES    ((sizeof(struct netshm) + 4095) / 4096)

/* space/lib/netring.c: 0, or -AION_ENOSPC (full; counted) / -AION_EINVAL (empty or too long). */
int netring_push(struct netring *r, const void *frame, uint32_t len);
/* The same for a frame in two parts, a then b (either may be empty). */
int netring_push_parts(struct netring *r, const void *a, uint32_t alen, const void *b,
		       uint32_t blen);
/*
 * Takes the next frame, copying at most size bytes into buf. Returns its
 * length (1..NETRING_FRAME_MAX; more than size means it was cut), or 0
 * when the ring is empty.
 */
uint32_t netring_pop(struct netring *r, void *buf, uint32_t size);
/* The same into two places: the first alen bytes to a, the rest to b (at
 * most blen of them). */
uint32_t netring_pop_parts(struct netring *r, void *a, uint32_t alen, void *b, uint32_t blen);

#endif /* AION_NETRING_H */
