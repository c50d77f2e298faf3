/*
 * A POSIX socket's state machine (sockstate.h): which netd call each
 * POSIX call needs, and Linux's errors where a call does not fit the
 * state. Pure: sockets.c makes the calls, the host's unit test runs this
 * file as it ships.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "aion/socket.h"
#include "sockstate.h"

#define LOOPBACK        0x7f000001u
#define BACKLOG_DEFAULT 4u

int sk_type_of(long domain, long type, long proto)
{
	long base = type & ~(long)(SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (domain != AF_INET)
		return -EAFNOSUPPORT;   /* AF_INET6, AF_UNIX, ...: netd speaks IPv4 */
	if (base != SOCK_STREAM && base != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (proto && proto != (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	return base == SOCK_STREAM ? SK_STREAM : SK_DGRAM;
}

void sk_init(struct sk *s, enum sk_type type, bool nonblock)
{
	*s = (struct sk){ .type = type, .state = SK_NEW, .nonblock = nonblock };
}

int sk_bind(struct sk *s, uint32_t addr, uint16_t port)
{
	if (s->state != SK_NEW)
		return -EINVAL;         /* Linux: bound already */
	s->local_addr = addr;
	s->local_port = port;
	if (s->type == SK_DGRAM)
		return SK_DO_UDP_OPEN;  /* netd binds at open: EADDRINUSE shows now */
	s->state = SK_BOUND;
	return SK_DO_NONE;
}

int sk_listen(struct sk *s, int backlog)
{
	if (s->type != SK_STREAM)
		return -EOPNOTSUPP;
	if (s->state == SK_LISTENING)
		return SK_DO_NONE;      /* Linux lets listen run again */
	if (s->state == SK_CONNECTED)
		return -EINVAL;
	s->backlog = backlog > 0 ? (unsigned)backlog : BACKLOG_DEFAULT;
	return SK_DO_LISTEN;
}

int sk_connect(struct sk *s, uint32_t addr, uint16_t port)
{
	if (!addr)
		addr = LOOPBACK;        /* Linux: 0.0.0.0 is this host */
	if (s->type == SK_DGRAM) {
		s->peer_addr = addr;
		s->peer_port = port;
		s->has_peer = true;
		return s->state == SK_NEW ? SK_DO_UDP_OPEN : SK_DO_NONE;
	}
	if (s->state == SK_CONNECTED || s->state == SK_LISTENING)
		return -EISCONN;
	if (!port)
		return -ECONNREFUSED;   /* nobody listens on port 0 */
	s->peer_addr = addr;
	s->peer_port = port;
	return SK_DO_CONNECT;
}

int sk_disconnect(struct sk *s)
{
	if (s->type != SK_DGRAM)
		return -EINVAL;
	s->has_peer = false;
	return SK_DO_NONE;
}

int sk_accept(const struct sk *s)
{
	if (s->type != SK_STREAM)
		return -EOPNOTSUPP;
	return s->state == SK_LISTENING ? SK_DO_ACCEPT : -EINVAL;
}

int sk_send(const struct sk *s, bool has_dest)
{
	if (s->shut_wr)
		return -EPIPE;
	if (s->type == SK_STREAM)
		return s->state == SK_CONNECTED ? SK_DO_SEND : -ENOTCONN;
	if (!has_dest && !s->has_peer)
		return -EDESTADDRREQ;
	return s->state == SK_NEW ? SK_DO_UDP_OPEN : SK_DO_SENDTO;
}

int sk_recv(const struct sk *s)
{
	if (s->shut_rd)
		return SK_DO_EOF;
	if (s->type == SK_STREAM)
		return s->state == SK_CONNECTED ? SK_DO_RECV : -ENOTCONN;
	return s->state == SK_NEW ? SK_DO_UDP_OPEN : SK_DO_RECVFROM;
}

int sk_shutdown(struct sk *s, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (s->type == SK_STREAM ? s->state != SK_CONNECTED : !s->has_peer)
		return -ENOTCONN;
	unsigned bits = 0;
	if (how != SHUT_WR && !s->shut_rd)
		bits |= SOCK_SHUT_RD;
	if (how != SHUT_RD && !s->shut_wr)
		bits |= SOCK_SHUT_WR;
	s->shut_rd |= how != SHUT_WR;
	s->shut_wr |= how != SHUT_RD;
	s->shut_bits = bits;
	/* UDP has no connection to tell about: the flags are all of it. */
	return s->type == SK_STREAM && bits ? SK_DO_SHUTDOWN : SK_DO_NONE;
}

int sk_peer(const struct sk *s)
{
	bool connected = s->type == SK_STREAM ? s->state == SK_CONNECTED : s->has_peer;
	return connected ? 0 : -ENOTCONN;
}

void sk_opened(struct sk *s, uint16_t port)
{
	s->local_port = port;
	s->state = s->type == SK_DGRAM ? SK_OPEN : SK_LISTENING;
}

void sk_connected(struct sk *s, uint32_t peer_addr, uint16_t peer_port)
{
	s->state = SK_CONNECTED;
	s->peer_addr = peer_addr;
	s->peer_port = peer_port;
	s->has_peer = true;
}

uint32_t sk_timeout_ms(const struct sk *s, bool recv, bool dontwait)
{
	if (s->nonblock || dontwait)
		return SK_POLL_MS;
	return recv ? s->rcv_ms : s->snd_ms;
}

int sk_call_error(int err, enum sk_do what)
{
	/* A receive or accept whose time ran out: Linux's EAGAIN, whether the
	 * time was a non-blocking poll or SO_RCVTIMEO. A connect keeps ETIMEDOUT. */
	if (err == -ETIMEDOUT && what != SK_DO_CONNECT)
		return -EAGAIN;
	/* netd: a send on a connection that is gone; Linux says EPIPE. */
	if (err == -ENOTCONN && what == SK_DO_SEND)
		return -EPIPE;
	return err;
}

int sk_addr_in(const void *sa, size_t len, uint32_t *addr, uint16_t *port)
{
	struct sockaddr_in in;
	sa_family_t family;

	if (!sa || len < sizeof(family))
		return -EINVAL;
	memcpy(&family, sa, sizeof(family));
	if (family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < sizeof(in))
		return -EINVAL;
	memcpy(&in, sa, sizeof(in));
	*addr = ntohl(in.sin_addr.s_addr);
	*port = ntohs(in.sin_port);
	return 0;
}

void sk_addr_out(uint32_t addr, uint16_t port, void *sa, uint32_t *len)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr = { .s_addr = htonl(addr) } };
	if (!sa || !len)
		return;
	memcpy(sa, &in, *len < sizeof(in) ? *len : sizeof(in));
	*len = sizeof(in);
}

static uint32_t timeval_ms(const struct timeval *tv)
{
	if (tv->tv_sec < 0)
		return 0;               /* Linux: a negative time is no timeout */
	uint64_t ms = (uint64_t)tv->tv_sec * 1000u + ((uint64_t)tv->tv_usec + 999u) / 1000u;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

int sk_setopt(struct sk *s, int level, int name, const void *val, size_t len)
{
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case SO_REUSEADDR: {
		int on;
		if (!val || len < sizeof(on))
			return -EINVAL;
		memcpy(&on, val, sizeof(on));
		s->reuseaddr = on != 0;
		return 0;
	}
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		struct timeval tv;
		if (!val || len < sizeof(tv))
			return -EINVAL;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EDOM;
		*(name == SO_RCVTIMEO ? &s->rcv_ms : &s->snd_ms) = timeval_ms(&tv);
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

static int put_int(int v, void *val, uint32_t *len)
{
	if (!val || !len || *len < sizeof(v))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

int sk_getopt(struct sk *s, int level, int name, void *val, uint32_t *len)
{
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case SO_ERROR: {
		int err = s->error;
		int r = put_int(err, val, len);
		if (!r)
			s->error = 0;   /* reading it clears it, as on Linux */
		return r;
	}
	case SO_TYPE:
		return put_int(s->type == SK_STREAM ? SOCK_STREAM : SOCK_DGRAM, val, len);
	case SO_REUSEADDR:
		return put_int(s->reuseaddr, val, len);
	case SO_ACCEPTCONN:
		return put_int(s->state == SK_LISTENING, val, len);
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		uint32_t ms = name == SO_RCVTIMEO ? s->rcv_ms : s->snd_ms;
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
		if (!val || !len || *len < sizeof(tv))
			return -EINVAL;
		memcpy(val, &tv, sizeof(tv));
		*len = sizeof(tv);
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}
