/*
 * nettest's UDP roles (main.c has the list): udp-echo and the clients,
 * each through calls (SENDTO, RECVFROM) or through socket rings
 * (SOCK_RING: the datagrams in shared memory, a signal each way, which is
 * what meshd uses). One loop for both: struct udp_io hides which.
 */
#include "nettest.h"

#define UDP_PORT        7000
#define UDP_COUNT       1000
#define UDP_MIN         64
#define UDP_TIMEOUT_MS  2000
#define UDP_RETRIES     3
#define UDP_WARMUP_MS   60000
#define UDP_PROBE_SEQ   0xffffffffu
#define RING_VA         0x0000000059000000ull  /* + 1 MiB for the echo's */
#define RING_BIT        1ull

struct udp_io {
	struct sock_ctx *ctx;
	aion_handle_t sock;
	bool ring;
	struct sock_ring r;
	aion_handle_t note;             /* the ring's: signalled when datagrams arrive */
};

/* Opens a UDP socket on port (0: any), with rings mapped at va when ring;
 * says why when it cannot. */
static int64_t udp_open(struct udp_io *io, struct sock_ctx *ctx, uint16_t port, bool ring,
			uint64_t va)
{
	*io = (struct udp_io){ .ctx = ctx, .ring = ring };
	int64_t err = sock_udp_open(ctx, port, &io->sock);
	if (!err && ring) {
		int64_t note = aion_notify_create();
		err = note < 0 ? note : sock_ring_attach(ctx, io->sock, va, (aion_handle_t)note,
							 RING_BIT, &io->r);
		if (note >= 0)
			io->note = (aion_handle_t)note;
	}
	if (err)
		aion_printf("udp open port=%u ring=%d failed err=%s", port, ring,
			    aion_error_name(err));
	return err;
}

static int64_t udp_send(struct udp_io *io, uint32_t addr, uint16_t port, const void *data,
			size_t len)
{
	if (!io->ring)
		return sock_sendto(io->ctx, io->sock, addr, port, data, len);
	int64_t err = sock_ring_send(&io->r, addr, port, data, len);
	return err ? err : sock_ring_kick(&io->r);
}

/* One datagram, as sock_recvfrom (timeout_ms 0: none). */
static int64_t udp_recv(struct udp_io *io, void *buf, size_t size, uint32_t *addr,
			uint16_t *port, uint32_t timeout_ms)
{
	if (!io->ring)
		return sock_recvfrom(io->ctx, io->sock, buf, size, addr, port, timeout_ms);
	uint64_t end = timeout_ms ? aion_clock_ns() + (uint64_t)timeout_ms * MS : 0;
	for (;;) {
		uint32_t a;
		uint16_t p;
		int64_t n = sock_ring_recv(&io->r, buf, size, &a, &p);
		if (n != -AION_EAGAIN) {
			if (n >= 0 && addr)
				*addr = a;
			if (n >= 0 && port)
				*port = p;
			return n > (int64_t)size ? (int64_t)size : n;
		}
		uint64_t now = aion_clock_ns(), bits;
		if (end && now >= end)
			return -AION_ETIMEDOUT;
		int64_t err = aion_wait(io->note, &bits, end ? end - now : AION_FOREVER);
		if (err && err != -AION_ETIMEDOUT)
			return err;
	}
}

static void udp_close(struct udp_io *io)
{
	sock_close(io->ctx, io->sock);
	if (io->note)
		aion_handle_close(io->note);
}

/* fixed: every datagram's size, or 0 for sizes that vary with seq. */
static size_t udp_len(uint32_t seq, size_t fixed)
{
	return fixed ? fixed : UDP_MIN + (seq * 37u) % (UDP_MAX - UDP_MIN + 1);
}

static uint8_t udp_byte(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 7u + i * 13u + (i >> 8));
}

static void udp_fill(uint8_t *p, uint32_t seq, size_t len)
{
	memcpy(p, &seq, sizeof(seq));
	for (size_t i = sizeof(seq); i < len; i++)
		p[i] = udp_byte(seq, i);
}

static int udp_check(const uint8_t *p, size_t len, uint32_t seq, size_t fixed)
{
	if (len != udp_len(seq, fixed))
		return 0;
	for (size_t i = sizeof(seq); i < len; i++)
		if (p[i] != udp_byte(seq, i))
			return 0;
	return 1;
}

int64_t udp_echo(struct sock_ctx *ctx, uint8_t *data, bool ring)
{
	struct udp_io io;
	int64_t err = udp_open(&io, ctx, UDP_PORT, ring, RING_VA + 0x100000);
	if (err)
		return err;
	aion_printf("udp-echo ready port=%u ring=%d", UDP_PORT, ring);
	for (;;) {
		uint32_t addr;
		uint16_t port;
		int64_t n = udp_recv(&io, data, UDP_MAX, &addr, &port, 0);
		if (n == -AION_ETIMEDOUT)
			continue;
		if (n < 0) {
			aion_printf("udp-echo recvfrom failed err=%s", aion_error_name(n));
			return n;
		}
		if (n > UDP_MAX)
			n = UDP_MAX;
		err = udp_send(&io, addr, port, data, (size_t)n);
		if (err)
			aion_printf("udp-echo sendto failed err=%s", aion_error_name(err));
	}
}

/*
 * Waits until deadline for the echo of seq: 1 matched, 0 timed out, -1 a
 * datagram with seq but the wrong contents, < -1 an error. Echoes of other
 * sequence numbers (late answers to earlier tries) are skipped.
 */
static int64_t udp_await(struct udp_io *io, uint8_t *data, uint32_t seq, size_t fixed,
			 uint64_t deadline)
{
	for (;;) {
		uint64_t t = now_ms();
		if (t >= deadline)
			return 0;
		int64_t n = udp_recv(io, data, UDP_MAX, NULL, NULL, (uint32_t)(deadline - t));
		if (n == -AION_ETIMEDOUT)
			return 0;
		if (n < 0)
			return n < -1 ? n : -2;
		uint32_t got;
		if ((size_t)n < sizeof(got))
			continue;
		memcpy(&got, data, sizeof(got));
		if (got != seq)
			continue;
		return udp_check(data, (size_t)n, seq, fixed) ? 1 : -1;
	}
}

/* Each echoed datagram's round trip, from its first send (retries included). */
static uint64_t udp_rtt_us[UDP_COUNT];

int64_t udp_client(struct sock_ctx *ctx, uint32_t addr, uint8_t *data, size_t fixed, bool ring)
{
	uint8_t *rx = data + UDP_MAX;
	struct udp_io io;
	int64_t err = udp_open(&io, ctx, 0, ring, RING_VA);
	if (err)
		return err;

	/* Wait for the echo server (the other node may still be booting). */
	uint64_t end = now_ms() + UDP_WARMUP_MS;
	int up = 0;
	while (!up && now_ms() < end) {
		udp_fill(data, UDP_PROBE_SEQ, UDP_MIN);
		err = udp_send(&io, addr, UDP_PORT, data, UDP_MIN);
		if (err && err != -AION_ENETUNREACH && err != -AION_ENOMEM) {
			aion_printf("udp-client sendto failed err=%s", aion_error_name(err));
			udp_close(&io);
			return err;
		}
		int64_t r = udp_await(&io, rx, UDP_PROBE_SEQ, fixed, now_ms() + 500);
		if (r < -1) {
			aion_printf("udp-client recvfrom failed err=%s", aion_error_name(r));
			udp_close(&io);
			return r;
		}
		up = r != 0;
		if (err)
			aion_sleep_ns(500 * MS);
	}
	if (!up)
		aion_printf("udp-client no echo server after %u ms", UDP_WARMUP_MS);

	unsigned echoed = 0, mismatches = 0, retries = 0;
	uint64_t start = now_ms();
	for (uint32_t seq = 0; seq < UDP_COUNT; seq++) {
		size_t len = udp_len(seq, fixed);
		uint64_t sent_ns = aion_clock_ns();
		udp_fill(data, seq, len);
		for (unsigned try = 0; try <= UDP_RETRIES; try++) {
			if (try)
				retries++;
			err = udp_send(&io, addr, UDP_PORT, data, len);
			if (err) {
				aion_printf("udp-client sendto seq=%u failed err=%s", seq,
					    aion_error_name(err));
				continue;
			}
			int64_t r = udp_await(&io, rx, seq, fixed, now_ms() + UDP_TIMEOUT_MS);
			if (r == 1) {
				udp_rtt_us[echoed++] = (aion_clock_ns() - sent_ns) / 1000;
				break;
			}
			if (r == -1) {
				mismatches++;
				break;
			}
			if (r < -1)
				aion_printf("udp-client recvfrom seq=%u failed err=%s", seq,
					    aion_error_name(r));
		}
	}
	/* Only a run with every datagram back has a round-trip figure. */
	if (echoed == UDP_COUNT && !mismatches)
		aion_log_samples("udp samples", "us", udp_rtt_us, echoed);
	aion_printf("udp echoed=%u of %u mismatches=%u retries=%u ms=%lu bytes_min=%u "
		    "bytes_max=%u", echoed, UDP_COUNT, mismatches, retries,
		    (unsigned long)(now_ms() - start), (unsigned)(fixed ? fixed : UDP_MIN),
		    (unsigned)(fixed ? fixed : UDP_MAX));
	udp_close(&io);
	return 0;
}
