/*
 * netd's sockets (aion/socket.h), shared by the sock*.c files; netd.h has
 * what the server loop needs of them.
 *
 *   sock.c         the table: a socket's slot, its capability, its end
 *   sock_events.c  lwIP's callbacks: they only change a socket's state
 *   sock_ready.c   answering a call once it can be: now or from sock_poll
 *   sock_calls.c   the requests: opening calls on "net", socket calls
 *   sock_ring.c    UDP sockets whose datagrams go through shared rings
 *   sock_stream.c  TCP sockets whose bytes go through a shared area
 *
 * Each socket has a slot in a table of SOCK_MAX; netd mints a copy of its
 * endpoint with badge SOCK_BADGE_BASE + slot and hands out copies of it,
 * keeping its own to revoke them on close.
 */
#ifndef NETD_SOCK_H
#define NETD_SOCK_H

#include "aion/socket.h"
#include "libaion/serve.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netd.h"

#define UDP_QUEUE       16
#define ACCEPT_QUEUE    8
#define ACCEPT_DEFAULT  4

/* Where socket i's shared memory (a UDP socket's rings or a TCP socket's
 * stream area: never both) is mapped in netd. */
#define SOCK_AREA_VA(i) (0x0000000050000000ull + (uint64_t)(i) * 0x100000ull)
_Static_assert(SOCKRING_PAGES * 4096 <= 0x100000 && SOCKSTREAM_PAGES * 4096 <= 0x100000,
	       "a socket's shared memory fits its place");

enum sock_kind { SK_FREE, SK_UDP, SK_LISTEN, SK_TCP };

struct dgram {
	struct pbuf *p;
	uint32_t addr;
	uint16_t port;
};

struct sock {
	enum sock_kind kind;
	aion_handle_t cap;              /* netd's minted copy (badge = base + index) */
	bool given;                     /* a copy went to a client */
	uint32_t holders;               /* SOCK_RETAIN's count, from 1: the last close ends it */
	union {
		struct udp_pcb *udp;
		struct tcp_pcb *tcp;    /* SK_LISTEN and SK_TCP; NULL once lwIP freed it */
	};
	/* The pending call: a saved reply, its label, deadline (0: none) and argument. */
	aion_handle_t reply;
	uint32_t label;
	uint64_t deadline;
	uint64_t arg;
	/* UDP: received datagrams, a ring. */
	struct dgram dq[UDP_QUEUE];
	unsigned dq_head, dq_count, dropped;
	/* UDP with rings (sock_ring.c): NULL, or mapped; then no dq. */
	struct sockring *ring;
	aion_handle_t ring_mo, ring_peer;       /* the owner's object and notification */
	uint64_t ring_bits;                     /* the owner's notification is signalled with */
	bool ring_signal;                       /* datagrams went on rx since the last signal */
	bool ring_failed;                       /* a signal failed (logged once) */
	/* TCP: received bytes, the peer's FIN, a connection error, connecting. */
	struct pbuf *rx;
	bool eof, connecting, connected;
	int64_t error;
	uint16_t send_len;
	bool send_stream;               /* the pending SEND's bytes are at stream->tx + send_off */
	uint16_t send_off;
	/* TCP with a stream area (sock_stream.c): NULL, or mapped. */
	struct sockstream *stream;
	aion_handle_t stream_mo;        /* netd's original: the owner has a copy */
	int listener;                   /* an accepted socket not yet given: its listener */
	/* SK_LISTEN: accepted sockets waiting for ACCEPT. */
	int aq[ACCEPT_QUEUE];
	unsigned aq_count, backlog;
};

/* A pending RECV's argument: the count it takes, | this for the stream area. */
#define SOCK_ARG_STREAM (1ull << 32)

extern struct sock socks[SOCK_MAX];
extern uint8_t send_data[SOCK_MAX][AION_IPC_PAYLOAD_MAX];       /* a pending SEND's bytes */

/* sock.c */
int sock_index(const struct sock *s);
uint32_t sock_host_addr(const ip_addr_t *a);
void sock_set_addr(ip_addr_t *a, uint32_t host);
int64_t sock_lwip_err(err_t err);
/* A free slot with its capability minted, or NULL (table full, mint failed: logged). */
struct sock *sock_alloc(enum sock_kind kind);
/* Answers a pending call (-AION_ENOTCONN), lets the pcb go (abort: with a
 * reset), revokes every copy of the capability. */
void sock_free(struct sock *s, bool abort);
/* Puts s's capability in netd_buf's first slot for a reply (SEND only). */
void sock_give_cap(struct sock *s);

/* sock_events.c */
void sock_udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		 u16_t port);
/* Points pcb's callbacks at s (a connecting or accepted TCP socket). */
void sock_tcp_setup(struct sock *s, struct tcp_pcb *pcb);
void sock_tcp_detach(struct tcp_pcb *pcb);
err_t sock_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err);
err_t sock_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err);

/* sock_ring.c */
int64_t sock_ring_attach(struct aion_serve_req *r, struct sock *s);
/* A received datagram onto s's rx ring (full: counted as dropped); frees p. */
void sock_ring_in(struct sock *s, struct pbuf *p, uint32_t addr, uint16_t port);
/* Sends what the owner put on tx, then signals the owner if rx got datagrams. */
void sock_ring_poll(struct sock *s);
void sock_ring_free(struct sock *s);

/* sock_stream.c */
int64_t sock_stream_attach(struct aion_serve_req *r, struct sock *s);
void sock_stream_free(struct sock *s);

/* sock_ready.c */
/* Called with r's reply still open: answers now if s can, else saves the
 * reply for sock_poll (deadline timeout_ms, 0: none). Returns r's status. */
int64_t sock_pend(struct aion_serve_req *r, struct sock *s, uint64_t arg, uint64_t timeout_ms);
/* Answers s's pending call with status alone; false: the caller is gone. */
bool sock_answer_status(struct sock *s, int64_t status);

#endif /* NETD_SOCK_H */
