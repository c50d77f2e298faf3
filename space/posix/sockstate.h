/*
 * A POSIX socket's state in the layer (sockstate.c): pure logic, no IPC,
 * built for Aion and for the host's unit test (tests/unit/test_sockstate.c).
 *
 * POSIX splits socket, bind, listen and connect; netd's protocol
 * (aion/socket.h) opens a socket already bound (SOCK_UDP_OPEN with a
 * port, SOCK_TCP_LISTEN with a port) or already connected
 * (SOCK_TCP_CONNECT). So the layer keeps what the calls said and opens
 * netd's socket lazily: each sk_* call below checks a POSIX call against
 * the state and answers the netd call to make next (enum sk_do), or
 * -errno. After a netd call that opened or connected, sockets.c records
 * it (sk_opened, sk_connected) and asks again. Results are Linux's errnos.
 */
#ifndef AION_POSIX_SOCKSTATE_H
#define AION_POSIX_SOCKSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sk_type { SK_STREAM = 1, SK_DGRAM = 2 };

enum sk_state {
	SK_NEW,                 /* socket(): nothing at netd yet */
	SK_BOUND,               /* TCP bind(): the port kept for listen */
	SK_LISTENING,           /* TCP: SOCK_TCP_LISTEN done */
	SK_CONNECTED,           /* TCP: SOCK_TCP_CONNECT or an accepted one */
	SK_OPEN,                /* UDP: SOCK_UDP_OPEN done (bound) */
};

/* What sockets.c does next. */
enum sk_do {
	SK_DO_NONE,             /* nothing at netd: the call is done */
	SK_DO_UDP_OPEN,         /* SOCK_UDP_OPEN with local_port, then sk_opened, ask again */
	SK_DO_LISTEN,           /* SOCK_TCP_LISTEN with local_port, then sk_opened */
	SK_DO_CONNECT,          /* SOCK_TCP_CONNECT to the peer, then sk_connected */
	SK_DO_SEND,             /* TCP SOCK_SEND */
	SK_DO_RECV,             /* TCP SOCK_RECV */
	SK_DO_SENDTO,           /* UDP SOCK_SENDTO (to the call's address or the peer) */
	SK_DO_RECVFROM,         /* UDP SOCK_RECVFROM */
	SK_DO_ACCEPT,           /* SOCK_ACCEPT */
	SK_DO_EOF,              /* a read after shutdown(SHUT_RD): 0 bytes */
	SK_DO_SHUTDOWN,         /* SOCK_SHUTDOWN with sk_shut_bits */
};

/* A non-blocking call waits this long at netd, then is EAGAIN. */
#define SK_POLL_MS      1u

struct sk {
	enum sk_type type;
	enum sk_state state;
	uint32_t local_addr;            /* bind's address (netd binds every one) */
	uint16_t local_port;            /* bind's, then netd's answer */
	uint32_t peer_addr;             /* host order */
	uint16_t peer_port;
	bool has_peer;
	bool shut_rd, shut_wr;
	bool nonblock, reuseaddr;
	uint32_t rcv_ms, snd_ms;        /* SO_RCVTIMEO, SO_SNDTIMEO (0: none) */
	unsigned backlog;
	int error;                      /* SO_ERROR: a pending error (errno), 0: none */
	unsigned shut_bits;             /* SK_DO_SHUTDOWN's bits (aion/socket.h) */
};

/* socket()'s arguments: SK_STREAM or SK_DGRAM (flags masked off), or -errno. */
int sk_type_of(long domain, long type, long proto);
void sk_init(struct sk *s, enum sk_type type, bool nonblock);

/* The calls: the next step (enum sk_do) or -errno. */
int sk_bind(struct sk *s, uint32_t addr, uint16_t port);
int sk_listen(struct sk *s, int backlog);
int sk_connect(struct sk *s, uint32_t addr, uint16_t port);
int sk_disconnect(struct sk *s);                        /* UDP connect(AF_UNSPEC) */
int sk_accept(const struct sk *s);
int sk_send(const struct sk *s, bool has_dest);
int sk_recv(const struct sk *s);
int sk_shutdown(struct sk *s, int how);
int sk_peer(const struct sk *s);                        /* getpeername: 0 or -ENOTCONN */

/* netd answered: the socket is open with this port (UDP_OPEN, LISTEN). */
void sk_opened(struct sk *s, uint16_t port);
/* The socket is a connected TCP one (a connect, or made by accept). */
void sk_connected(struct sk *s, uint32_t peer_addr, uint16_t peer_port);

/* netd's timeout (ms, 0: none) for a receive/accept (recv) or send/connect. */
uint32_t sk_timeout_ms(const struct sk *s, bool recv, bool dontwait);
/* A netd error (-errno) as the POSIX call's: a poll or SO_*TIMEO that ran out is EAGAIN. */
int sk_call_error(int err, enum sk_do what);

/* sockaddr_in in and out (host-order address and port); -errno. */
int sk_addr_in(const void *sa, size_t len, uint32_t *addr, uint16_t *port);
/* Fills *sa with up to *len bytes of the address and sets *len to its size. */
void sk_addr_out(uint32_t addr, uint16_t port, void *sa, uint32_t *len);

/* setsockopt and getsockopt (SOL_SOCKET): 0 or -errno. */
int sk_setopt(struct sk *s, int level, int name, const void *val, size_t len);
int sk_getopt(struct sk *s, int level, int name, void *val, uint32_t *len);

#endif
