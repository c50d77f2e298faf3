/*
 * libaion: the client side of netd's socket protocol; see libaion/sockclient.h
 * and, for the messages, aion/socket.h.
 */
#include "libaion/sockclient.h"
#include "common/ipv4.h"
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "libaion/lib.h"
#include "libaion/sockring.h"
#include "common/time.h"

#define CALL_MARGIN_MS  2000ull

/* The IPC call's timeout for a protocol timeout of ms (0: none). */
static uint64_t call_timeout(uint32_t ms)
{
	return ms ? ((uint64_t)ms + CALL_MARGIN_MS) * MS : AION_FOREVER;
}

/* Calls ep; the result is the kernel's error or the reply's w0. */
static int64_t call(aion_handle_t ep, struct aion_msg *m, uint64_t timeout_ns)
{
	int64_t err = aion_call(ep, m, timeout_ns);
	return err ? err : (int64_t)m->w[0];
}

/* A call whose reply carries a new socket in caps[0]. */
static int64_t call_for_socket(struct sock_ctx *ctx, aion_handle_t ep, struct aion_msg *m,
			       uint64_t timeout_ns, aion_handle_t *sock)
{
	m->tag |= AION_TAG_ACCEPT(1);
	int64_t r = call(ep, m, timeout_ns);
	if (r < 0)
		return r;
	if (AION_TAG_CAPS(m->tag) != 1)
		return -AION_EMALFORMED;
	*sock = ctx->buf->caps[0];
	return 0;
}

int64_t sock_init(struct sock_ctx *ctx, struct aion_ipc_buffer *buf)
{
	ctx->buf = buf;
	ctx->net = 0;
	int64_t err = aion_ipc_buffer(buf);
	if (err)
		return err;
	int64_t ep = init_lookup(SVC_INIT_EP, buf, "net", SOCK_LOOKUP_WAIT_NS);
	if (ep < 0)
		return ep;
	ctx->net = (aion_handle_t)ep;
	return 0;
}

int64_t sock_udp_open(struct sock_ctx *ctx, uint16_t port, aion_handle_t *sock)
{
	struct aion_msg m = { .tag = AION_TAG(SOCK_UDP_OPEN, 0, 0), .w = { port } };
	return call_for_socket(ctx, ctx->net, &m, AION_FOREVER, sock);
}

int64_t sock_sendto(struct sock_ctx *ctx, aion_handle_t sock, uint32_t addr,
		    uint16_t port, const void *data, size_t len)
{
	if (len > AION_IPC_PAYLOAD_MAX)
		return -AION_ERANGE;
	memcpy(ctx->buf->payload, data, len);
	struct aion_msg m = { .tag = AION_TAG(SOCK_SENDTO, len, 0), .w = { addr, port } };
	return call(sock, &m, SOCK_SENDTO_WAIT_NS);
}

int64_t sock_ring_attach(struct sock_ctx *ctx, aion_handle_t sock, uint64_t va,
			 aion_handle_t notify, uint64_t bits, struct sock_ring *r)
{
	ctx->buf->caps[0] = notify;
	ctx->buf->cap_rights[0] = AION_RIGHT_SEND;
	struct aion_msg m = { .tag = AION_TAG(SOCK_RING, 0, 1) | AION_TAG_ACCEPT(2),
			      .w = { bits } };
	int64_t err = call(sock, &m, AION_FOREVER);
	if (err)
		return err;
	unsigned ncaps = AION_TAG_CAPS(m.tag);
	if (ncaps != 2) {
		for (unsigned i = 0; i < ncaps; i++)
			aion_handle_close(ctx->buf->caps[i]);
		return -AION_EMALFORMED;
	}
	aion_handle_t kick = ctx->buf->caps[0], mo = ctx->buf->caps[1];
	if ((err = aion_map_shared(mo, va, SOCKRING_PAGES))) {
		aion_handle_close(kick);
		aion_handle_close(mo);
		return err;
	}
	*r = (struct sock_ring){ .ring = (struct sockring *)va, .mo = mo, .kick = kick };
	return 0;
}

int64_t sock_ring_send(struct sock_ring *r, uint32_t addr, uint16_t port, const void *data,
		       size_t len)
{
	if (len > SOCKRING_DGRAM_MAX)
		return -AION_EINVAL;
	int err = sockring_put(&r->ring->tx, addr, port, data, (uint32_t)len);
	if (!err)
		r->queued++;
	return err;
}

int64_t sock_ring_kick(struct sock_ring *r)
{
	if (!r->queued)
		return 0;
	r->queued = 0;
	return aion_signal(r->kick, SOCKRING_KICK);
}

int64_t sock_ring_recv(struct sock_ring *r, void *buf, size_t size, uint32_t *addr,
		       uint16_t *port)
{
	return sockring_take(&r->ring->rx, buf, size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
			     addr, port);
}

int64_t sock_recvfrom(struct sock_ctx *ctx, aion_handle_t sock, void *buf, size_t size,
		      uint32_t *addr, uint16_t *port, uint32_t timeout_ms)
{
	struct aion_msg m = { .tag = AION_TAG(SOCK_RECVFROM, 0, 0), .w = { timeout_ms } };
	int64_t r = call(sock, &m, call_timeout(timeout_ms));
	if (r < 0)
		return r;
	size_t n = AION_TAG_LEN(m.tag);
	memcpy(buf, ctx->buf->payload, n < size ? n : size);
	if (addr)
		*addr = (uint32_t)m.w[1];
	if (port)
		*port = (uint16_t)m.w[2];
	return (int64_t)n;
}

int64_t sock_tcp_listen(struct sock_ctx *ctx, uint16_t port, unsigned backlog,
			aion_handle_t *sock)
{
	struct aion_msg m = { .tag = AION_TAG(SOCK_TCP_LISTEN, 0, 0), .w = { port, backlog } };
	return call_for_socket(ctx, ctx->net, &m, AION_FOREVER, sock);
}

int64_t sock_accept(struct sock_ctx *ctx, aion_handle_t sock, aion_handle_t *conn,
		    uint32_t *addr, uint16_t *port, uint32_t timeout_ms)
{
	struct aion_msg m = { .tag = AION_TAG(SOCK_ACCEPT, 0, 0), .w = { timeout_ms } };
	int64_t r = call_for_socket(ctx, sock, &m, call_timeout(timeout_ms), conn);
	if (r < 0)
		return r;
	if (addr)
		*addr = (uint32_t)m.w[1];
	if (port)
		*port = (uint16_t)m.w[2];
	return 0;
}

int64_t sock_connect(struct sock_ctx *ctx, uint32_t addr, uint16_t port,
		     uint32_t timeout_ms, aion_handle_t *sock)
{
	struct aion_msg m = { .tag = AION_TAG(SOCK_TCP_CONNECT, 0, 0),
			      .w = { addr, port, timeout_ms } };
	uint32_t ms = timeout_ms ? timeout_ms : SOCK_CONNECT_TIMEOUT_MS;
	return call_for_socket(ctx, ctx->net, &m, call_timeout(ms), sock);
}

int64_t sock_send_all(struct sock_ctx *ctx, aion_handle_t sock, const void *data,
		      size_t len)
{
	const uint8_t *p = data;
	while (len) {
		size_t n = len < AION_IPC_PAYLOAD_MAX ? len : AION_IPC_PAYLOAD_MAX;
		memcpy(ctx->buf->payload, p, n);
		struct aion_msg m = { .tag = AION_TAG(SOCK_SEND, n, 0) };
		int64_t r = call(sock, &m, AION_FOREVER);
		if (r < 0)
			return r;
		if (r == 0 || (size_t)r > n)
			return -AION_EMALFORMED;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int64_t sock_recv(struct sock_ctx *ctx, aion_handle_t sock, void *buf, size_t size,
		  uint32_t timeout_ms)
{
	size_t want = size < AION_IPC_PAYLOAD_MAX ? size : AION_IPC_PAYLOAD_MAX;
	struct aion_msg m = { .tag = AION_TAG(SOCK_RECV, 0, 0), .w = { timeout_ms, want } };
	int64_t r = call(sock, &m, call_timeout(timeout_ms));
	if (r < 0)
		return r;
	size_t n = AION_TAG_LEN(m.tag);
	if ((size_t)r != n || n > want)
		return -AION_EMALFORMED;
	memcpy(buf, ctx->buf->payload, n);
	return r;
}

int64_t sock_stream_attach(struct sock_ctx *ctx, aion_handle_t sock, uint64_t va,
			   struct sock_stream *st)
{
	struct aion_msg m = { .tag = AION_TAG(SOCK_STREAM_AREA, 0, 0) | AION_TAG_ACCEPT(1) };
	int64_t err = call(sock, &m, AION_FOREVER);
	if (err)
		return err;
	if (AION_TAG_CAPS(m.tag) != 1)
		return -AION_EMALFORMED;
	aion_handle_t mo = ctx->buf->caps[0];
	if ((err = aion_map_shared(mo, va, SOCKSTREAM_PAGES))) {
		aion_handle_close(mo);
		return err;
	}
	*st = (struct sock_stream){ .sock = sock, .area = (struct sockstream *)va, .mo = mo };
	return 0;
}

int64_t sock_stream_send_area(struct sock_stream *st, size_t n)
{
	if (!n || n > SOCKSTREAM_BYTES)
		return -AION_EINVAL;
	for (size_t off = 0; off < n;) {        /* netd takes w1 bytes at tx + w2 */
		struct aion_msg m = { .tag = AION_TAG(SOCK_SEND, 0, 0), .w = { 0, n - off, off } };
		int64_t r = call(st->sock, &m, AION_FOREVER);
		if (r < 0)
			return r;
		if (r == 0 || (size_t)r > n - off)
			return -AION_EMALFORMED;
		off += (size_t)r;
	}
	return 0;
}

int64_t sock_stream_recv_area(struct sock_stream *st, size_t max, uint32_t timeout_ms)
{
	size_t want = max < SOCKSTREAM_BYTES ? max : SOCKSTREAM_BYTES;
	struct aion_msg m = { .tag = AION_TAG(SOCK_RECV, 0, 0),
			      .w = { timeout_ms, want, SOCK_RECV_STREAM } };
	int64_t r = call(st->sock, &m, call_timeout(timeout_ms));
	if (r < 0)
		return r;
	if ((size_t)r > want || AION_TAG_LEN(m.tag))
		return -AION_EMALFORMED;
	return r;
}

void sock_stream_detach(struct sock_stream *st)
{
	if (!st->area)
		return;
	aion_memory_unmap(AION_HANDLE_SELF, (uint64_t)st->area);
	aion_handle_close(st->mo);
	st->area = NULL;
}

int64_t sock_close(struct sock_ctx *ctx, aion_handle_t sock)
{
	(void)ctx;
	struct aion_msg m = { .tag = AION_TAG(SOCK_CLOSE, 0, 0) };
	int64_t r = call(sock, &m, AION_FOREVER);
	aion_handle_close(sock);        /* ECAP when netd revoked it already */
	return r;
}

int64_t sock_parse_ipv4(const char *text, uint32_t *addr)
{
	return text && ipv4_parse(text, strlen(text), addr) ? 0 : -AION_EINVAL;
}
