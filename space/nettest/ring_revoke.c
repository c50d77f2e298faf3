/*
 * nettest's ring-revoke role: a unit that shares socket rings with netd
 * and then revokes every capability derived from its handle to the
 * rings' memory object. Were the object the unit's own, the revoke would
 * delete netd's copy, unmap the rings under netd, and netd would fault at
 * its next look at them (it looks every loop turn). netd makes the object
 * (aion/socket.h), so the unit revokes only what it holds: the datagram it
 * then sends through the rings must come back from ADDR's udp-echo.
 *
 * Result: `nettest: ring-revoke echoed bytes=64 revoke=OK`, or
 * `nettest: ring-revoke failed err=...` (the suite fails on either a
 * failure or a netd fault).
 */
#include "nettest.h"

#define RING_VA         0x0000000058000000ull
#define RING_BIT        1ull
#define ECHO_PORT       7000
#define BYTES           64
#define TRIES           5
#define WAIT_MS         2000

static uint8_t out[BYTES], in[SOCKRING_DGRAM_MAX];

/* The echo of out within WAIT_MS: 0, -AION_ETIMEDOUT, or an error. */
static int64_t await_echo(struct sock_ring *r, aion_handle_t note)
{
	uint64_t end = aion_clock_ns() + WAIT_MS * MS;
	for (;;) {
		uint32_t from;
		uint16_t port;
		int64_t n = sock_ring_recv(r, in, sizeof(in), &from, &port);
		if (n == BYTES && !memcmp(in, out, BYTES))
			return 0;
		if (n >= 0)
			continue;       /* an echo of an earlier try */
		if (n != -AION_EAGAIN)
			return n;
		uint64_t now = aion_clock_ns(), bits;
		if (now >= end)
			return -AION_ETIMEDOUT;
		int64_t err = aion_wait(note, &bits, end - now);
		if (err && err != -AION_ETIMEDOUT)
			return err;
	}
}

static int64_t ring_revoke_run(struct sock_ctx *ctx, uint32_t addr, struct sock_ring *r,
			       aion_handle_t note)
{
	aion_handle_t sock;
	int64_t err = sock_udp_open(ctx, 0, &sock);
	if (err)
		return err;
	if ((err = sock_ring_attach(ctx, sock, RING_VA, note, RING_BIT, r)))
		return err;
	if ((err = aion_cap_revoke(r->mo)))
		return err;
	aion_printf("ring-revoke revoked the rings' object, sending");
	for (unsigned t = 0; t < TRIES; t++) {
		for (unsigned i = 0; i < BYTES; i++)
			out[i] = (uint8_t)(0xa5 ^ (i * 7) ^ t);
		if ((err = sock_ring_send(r, addr, ECHO_PORT, out, BYTES)) ||
		    (err = sock_ring_kick(r)))
			return err;
		if ((err = await_echo(r, note)) != -AION_ETIMEDOUT)
			return err;
	}
	return -AION_ETIMEDOUT;
}

int64_t ring_revoke(struct sock_ctx *ctx, uint32_t addr)
{
	struct sock_ring r;
	int64_t note = aion_notify_create();
	int64_t err = note < 0 ? note : ring_revoke_run(ctx, addr, &r, (aion_handle_t)note);
	if (err)
		aion_printf("ring-revoke failed err=%s", aion_error_name(err));
	else
		aion_printf("ring-revoke echoed bytes=%u revoke=OK", BYTES);
	return err;
}
