/*
 * netd's sockets: the requests of aion/socket.h. Opening calls come on
 * "net" (no badge); every later call comes on the socket's capability,
 * whose badge names the socket. A call that may wait (receive, accept,
 * connect, a full send buffer) goes to sock_pend (sock_ready.c).
 */
#include "sock.h"

/*
 * A UDP port whose owner is gone. netd learns that a unit died when a
 * reply to it fails, but a socket whose owner died while no receive was
 * pending (or one with rings, which has no calls) would keep its port for
 * good (seen: a meshd killed while it handled a datagram, the next meshd
 * refused the mesh port). So a bind to a taken port looks at the socket
 * holding it: when no copy of its capability is left anywhere (CAP_INFO's
 * COPIED: every unit that held one has ended or closed it), nobody can
 * use it again and it is reclaimed.
 */
static bool udp_reclaim(u16_t port, const struct sock *self)
{
	for (unsigned i = 0; i < SOCK_MAX; i++) {
		struct sock *o = &socks[i];
		struct aion_cap_info ci;
		if (o == self || o->kind != SK_UDP || !o->udp || o->udp->local_port != port)
			continue;
		if (aion_cap_info(o->cap, &ci) || (ci.flags & AION_CAP_COPIED))
			return false;
		aion_printf("sock reclaim port=%u sock=%u: no copy of its capability is left",
			    port, i);
		sock_free(o, true);
		return true;
	}
	return false;
}

static int64_t udp_start(struct sock *s, u16_t port, uint64_t unused)
{
	(void)unused;
	s->udp = udp_new();
	if (!s->udp)
		return -AION_ENOMEM;
	err_t err = udp_bind(s->udp, IP4_ADDR_ANY, port);
	if (err == ERR_USE && port && udp_reclaim(port, s))
		err = udp_bind(s->udp, IP4_ADDR_ANY, port);
	if (err != ERR_OK)
		return sock_lwip_err(err);
	udp_recv(s->udp, sock_udp_in, s);
	return 0;
}

static int64_t listen_start(struct sock *s, u16_t port, uint64_t backlog)
{
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb)
		return -AION_ENOMEM;
	s->backlog = backlog < 1 ? ACCEPT_DEFAULT : backlog > ACCEPT_QUEUE ? ACCEPT_QUEUE :
		     (unsigned)backlog;
	err_t err = tcp_bind(pcb, IP4_ADDR_ANY, port);
	struct tcp_pcb *lpcb = err != ERR_OK ? NULL :
			       tcp_listen_with_backlog_and_err(pcb, (u8_t)s->backlog, &err);
	if (!lpcb) {
		tcp_abort(pcb);
		return sock_lwip_err(err);
	}
	s->tcp = lpcb;
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, sock_tcp_accept);
	return 0;
}

/*
 * A socket of kind bound to port w0 (0: any), set up by start(s, port, w1).
 * Its capability goes to the caller with the port in w1; a caller gone
 * meanwhile takes the socket with it.
 */
static int64_t open_bound(struct aion_serve_req *r, enum sock_kind kind,
			  int64_t (*start)(struct sock *s, u16_t port, uint64_t arg),
			  const char *what)
{
	uint64_t port = r->msg.w[0];
	if (port > 0xffff)
		return -AION_EINVAL;
	struct sock *s = sock_alloc(kind);
	if (!s)
		return -AION_ENOSPC;
	int64_t err = start(s, (u16_t)port, r->msg.w[1]);
	if (err) {
		sock_free(s, true);
		return err;
	}
	unsigned bound = kind == SK_UDP ? s->udp->local_port : s->tcp->local_port;
	s->given = true;
	aion_serve_give(r, s->cap, SOCK_CAP_RIGHTS);
	r->reply.w[1] = bound;
	if (aion_serve_reply(r, 0))
		sock_free(s, true);
	else
		aion_printf("sock %s port=%u sock=%d", what, bound, sock_index(s));
	return 0;
}

/* SOCK_UDP_OPEN: w0 = port. */
int64_t sock_udp_open(struct aion_serve_req *r)
{
	return open_bound(r, SK_UDP, udp_start, "open udp");
}

/* SOCK_TCP_LISTEN: w0 = port, w1 = backlog. */
int64_t sock_tcp_listen(struct aion_serve_req *r)
{
	return open_bound(r, SK_LISTEN, listen_start, "listen tcp");
}

/* SOCK_TCP_CONNECT: w0 = address, w1 = port, w2 = timeout in ms (0: the default). */
int64_t sock_tcp_connect(struct aion_serve_req *r)
{
	uint64_t addr = r->msg.w[0], port = r->msg.w[1], timeout_ms = r->msg.w[2];
	if (port == 0 || port > 0xffff || addr > 0xffffffffu || !addr)
		return -AION_EINVAL;
	struct sock *s = sock_alloc(SK_TCP);
	if (!s)
		return -AION_ENOSPC;
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb) {
		sock_free(s, true);
		return -AION_ENOMEM;
	}
	sock_tcp_setup(s, pcb);
	s->connecting = true;
	ip_addr_t dst;
	sock_set_addr(&dst, (uint32_t)addr);
	err_t err = tcp_connect(pcb, &dst, (u16_t)port, sock_tcp_connected);
	if (err != ERR_OK) {
		sock_free(s, true);
		return sock_lwip_err(err);
	}
	return sock_pend(r, s, 0, timeout_ms ? timeout_ms : SOCK_CONNECT_TIMEOUT_MS);
}

/* ---- calls on a socket (r->ctx: its index) ---- */

/* The socket the call is on if it is of kind, else NULL. */
static struct sock *of_kind(struct aion_serve_req *r, enum sock_kind kind)
{
	struct sock *s = &socks[r->ctx];
	return s->kind == kind ? s : NULL;
}

/* SOCK_SENDTO: w0 = address, w1 = port, the payload. */
static int64_t on_sendto(struct aion_serve_req *r)
{
	struct sock *s = of_kind(r, SK_UDP);
	uint64_t addr = r->msg.w[0], port = r->msg.w[1];
	if (!s || port == 0 || port > 0xffff || addr > 0xffffffffu)
		return -AION_EINVAL;
	if (s->ring)
		return -AION_EBUSY;     /* its datagrams go through the ring */
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)r->len, PBUF_RAM);
	if (!p)
		return -AION_ENOMEM;
	if (r->len)
		memcpy(p->payload, r->data, r->len);
	ip_addr_t dst;
	sock_set_addr(&dst, (uint32_t)addr);
	err_t err = udp_sendto(s->udp, p, &dst, (u16_t)port);
	pbuf_free(p);
	return sock_lwip_err(err);
}

/* SOCK_RECVFROM: w0 = timeout in ms (0: none). */
static int64_t on_recvfrom(struct aion_serve_req *r)
{
	struct sock *s = of_kind(r, SK_UDP);
	if (s && s->ring)
		return -AION_EBUSY;     /* its datagrams go through the ring */
	return s ? sock_pend(r, s, 0, r->msg.w[0]) : -AION_EINVAL;
}

/* SOCK_ACCEPT: w0 = timeout in ms. */
static int64_t on_accept(struct aion_serve_req *r)
{
	struct sock *s = of_kind(r, SK_LISTEN);
	return s ? sock_pend(r, s, 0, r->msg.w[0]) : -AION_EINVAL;
}

/* SOCK_RECV: w0 = timeout in ms, w1 = at most this many bytes (0: a
 * payload's or an area's worth), w2 = SOCK_RECV_STREAM: into the area. */
static int64_t on_recv(struct aion_serve_req *r)
{
	struct sock *s = of_kind(r, SK_TCP);
	uint64_t want = r->msg.w[1], how = r->msg.w[2];
	if (!s || (how && (how != SOCK_RECV_STREAM || !s->stream)))
		return -AION_EINVAL;
	if (how && (!want || want > SOCKSTREAM_BYTES))
		want = SOCKSTREAM_BYTES;
	return sock_pend(r, s, how ? want | SOCK_ARG_STREAM : want, r->msg.w[0]);
}

/* SOCK_SEND: the payload, or none and w1 bytes at the stream area's tx +
 * w2; w0 =
 * timeout in ms (0: none); answered with how
 * much went into the send buffer, or ETIMEDOUT when nothing could go in time. */
static int64_t on_send(struct aion_serve_req *r)
{
	struct sock *s = of_kind(r, SK_TCP);
	if (!s)
		return -AION_EINVAL;
	if (r->len) {
		memcpy(send_data[r->ctx], r->data, r->len);
		s->send_len = (uint16_t)r->len;
		s->send_stream = false;
	} else {        /* w1 bytes at the stream area's tx + w2 */
		uint64_t n = r->msg.w[1], off = r->msg.w[2];
		if (!s->stream || !n || off > SOCKSTREAM_BYTES || n > SOCKSTREAM_BYTES - off)
			return -AION_EINVAL;
		s->send_len = (uint16_t)n;
		s->send_off = (uint16_t)off;
		s->send_stream = true;
	}
	return sock_pend(r, s, 0, r->msg.w[0]);
}

/* SOCK_SHUTDOWN: w0 = SOCK_SHUT_RD | SOCK_SHUT_WR; TCP only. */
static int64_t on_shutdown(struct aion_serve_req *r)
{
	struct sock *s = of_kind(r, SK_TCP);
	uint64_t how = r->msg.w[0];
	if (!s || !how || (how & ~(uint64_t)(SOCK_SHUT_RD | SOCK_SHUT_WR)))
		return -AION_EINVAL;
	if (!s->tcp)
		return s->error ? s->error : -AION_ENOTCONN;
	err_t err = tcp_shutdown(s->tcp, (how & SOCK_SHUT_RD) != 0, (how & SOCK_SHUT_WR) != 0);
	if (err == ERR_OK && (how & SOCK_SHUT_RD) && s->rx) {
		pbuf_free(s->rx);       /* what was queued is dropped too */
		s->rx = NULL;
	}
	return sock_lwip_err(err);
}

/* SOCK_NAME: the local address and port (the POSIX layer's getsockname). */
static int64_t on_name(struct aion_serve_req *r)
{
	struct sock *s = &socks[r->ctx];
	const ip_addr_t *a = NULL;
	u16_t port = 0;
	if (s->kind == SK_UDP && s->udp) {
		a = &s->udp->local_ip;
		port = s->udp->local_port;
	} else if (s->kind != SK_UDP && s->tcp) {
		a = &s->tcp->local_ip;
		port = s->tcp->local_port;
	}
	if (!a)
		return s->error ? s->error : -AION_ENOTCONN;
	r->reply.w[1] = sock_host_addr(a);
	r->reply.w[2] = port;
	return 0;
}

/* SOCK_CLOSE: answered before the revoke, which ends the caller's copy. */
static int64_t on_close(struct aion_serve_req *r, struct sock *s)
{
	if (s->holders > 1) {
		s->holders--;
		return 0;
	}
	aion_serve_reply(r, 0);
	if (s->kind != SK_TCP)  /* the ones whose opening was logged */
		aion_printf("sock close sock=%d", sock_index(s));
	sock_free(s, false);
	return 0;
}

/* SOCK_RING: caps[0] the owner's notification. */
static int64_t on_ring(struct aion_serve_req *r)
{
	return sock_ring_attach(r, &socks[r->ctx]);
}

/* SOCK_STREAM_AREA: netd's memory object for the socket's bytes, in caps[0]. */
static int64_t on_stream(struct aion_serve_req *r)
{
	return sock_stream_attach(r, &socks[r->ctx]);
}

#define NO_CAPS .caps = AION_SERVE_CAPS_NONE

static const struct aion_serve_op sock_ops[] = {
	{ .label = SOCK_SENDTO, .fn = on_sendto, NO_CAPS },
	{ .label = SOCK_RECVFROM, .fn = on_recvfrom, NO_CAPS },
	{ .label = SOCK_ACCEPT, .fn = on_accept, NO_CAPS },
	{ .label = SOCK_RECV, .fn = on_recv, NO_CAPS },
	{ .label = SOCK_SEND, .fn = on_send, NO_CAPS },
	{ .label = SOCK_SHUTDOWN, .fn = on_shutdown, NO_CAPS },
	{ .label = SOCK_NAME, .fn = on_name, NO_CAPS },
	{ .label = SOCK_RING, .fn = on_ring },  /* any: it checks for its one */
	{ .label = SOCK_STREAM_AREA, .fn = on_stream, NO_CAPS },
};
static const struct aion_serve_table sock_table = AION_SERVE_TABLE(sock_ops, -AION_EINVAL);

/* A call on a socket's capability (badge SOCK_BADGE_BASE + index). */
int64_t sock_call(struct aion_serve_req *r)
{
	struct sock *s = &socks[r->msg.badge - SOCK_BADGE_BASE];
	if (s->kind == SK_FREE || !s->given)     /* a revoked copy cannot call: stale */
		return -AION_ENOTCONN;
	if (r->label == SOCK_CLOSE)
		return on_close(r, s);
	if (r->label == SOCK_RETAIN)    /* even while a call waits: fork's */
		return s->holders >= SOCK_HOLDERS_MAX ? -AION_ERANGE : (int64_t)++s->holders;
	if (s->reply)
		return -AION_EBUSY;
	r->ctx = sock_index(s);
	return aion_serve_dispatch(&sock_table, r);
}
