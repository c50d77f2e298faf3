/*
 * libaion: the client side of netd's socket protocol (aion/socket.h).
 *
 * A struct sock_ctx holds netd's "net" endpoint and the IPC buffer of the
 * thread that uses it: every thread with sockets has a context of its own,
 * with a buffer registered for that thread (sock_init registers it). A
 * socket is a capability handle (aion_handle_t) in the unit's table.
 *
 * Every function returns 0, a count, or -AION_E... . Calls that wait take
 * a timeout in ms (0: wait forever); the IPC call's own timeout is 2 s
 * longer, so netd's answer (ETIMEDOUT) comes before the kernel's.
 */
#ifndef AION_SOCKCLIENT_H
#define AION_SOCKCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "aion/ipc.h"
#include "aion/object.h"
#include "aion/socket.h"
#include "common/time.h"

struct sock_ctx {
	aion_handle_t net;              /* netd's "net" endpoint */
	struct aion_ipc_buffer *buf;    /* this thread's IPC buffer */
};

/* How long sock_init waits for netd to register "net". */
#define SOCK_LOOKUP_WAIT_NS     (10 * SEC)

/*
 * Registers buf as the calling thread's IPC buffer and looks up "net" on
 * init's name service (SVC_INIT_EP), waiting up to 10 s.
 */
int64_t sock_init(struct sock_ctx *ctx, struct aion_ipc_buffer *buf);

/* UDP: a socket bound to port (0: any). */
int64_t sock_udp_open(struct sock_ctx *ctx, uint16_t port, aion_handle_t *sock);
/* netd queues a datagram at once; a sendto that waits longer than this
 * for its answer returns -AION_ETIMEDOUT (meshd sends on the thread that
 * runs membership, which must not stall). */
#define SOCK_SENDTO_WAIT_NS     (500 * MS)
/* One datagram of at most AION_IPC_PAYLOAD_MAX bytes to addr:port. */
int64_t sock_sendto(struct sock_ctx *ctx, aion_handle_t sock, uint32_t addr,
		    uint16_t port, const void *data, size_t len);
/*
 * Waits for one datagram: copies at most size bytes of it into buf and
 * returns its length; addr/port (may be NULL) get its source.
 */
int64_t sock_recvfrom(struct sock_ctx *ctx, aion_handle_t sock, void *buf, size_t size,
		      uint32_t *addr, uint16_t *port, uint32_t timeout_ms);

/* TCP: a listening socket on port. */
int64_t sock_tcp_listen(struct sock_ctx *ctx, uint16_t port, unsigned backlog,
			aion_handle_t *sock);
/* Waits for a connection on a listening socket; addr/port may be NULL. */
int64_t sock_accept(struct sock_ctx *ctx, aion_handle_t sock, aion_handle_t *conn,
		    uint32_t *addr, uint16_t *port, uint32_t timeout_ms);
/* Connects to addr:port (timeout_ms 0: netd's 10 s). */
int64_t sock_connect(struct sock_ctx *ctx, uint32_t addr, uint16_t port,
		     uint32_t timeout_ms, aion_handle_t *sock);
/* Sends all len bytes (SOCK_SEND calls of at most AION_IPC_PAYLOAD_MAX). */
int64_t sock_send_all(struct sock_ctx *ctx, aion_handle_t sock, const void *data,
		      size_t len);
/* Receives at most size bytes; returns the count, 0 when the peer closed. */
int64_t sock_recv(struct sock_ctx *ctx, aion_handle_t sock, void *buf, size_t size,
		  uint32_t timeout_ms);
/* Closes the socket and drops the capability naming it (if netd has not). */
int64_t sock_close(struct sock_ctx *ctx, aion_handle_t sock);

/*
 * A UDP socket's rings (SOCK_RING, aion/socket.h): datagrams through
 * shared memory, no call per datagram. The owner's side of them.
 */
struct sock_ring {
	struct sockring *ring;          /* mapped at the va sock_ring_attach was given */
	aion_handle_t mo;               /* netd's object, our copy: the mapping lasts while it does */
	aion_handle_t kick;             /* netd's notification (SEND) */
	uint32_t queued;                /* datagrams put on tx since the last kick */
};
/*
 * Gives sock rings: netd's memory object of SOCKRING_PAGES, mapped at va
 * (free, page-aligned, SOCKRING_PAGES pages), and notify (SEND is given)
 * signalled with bits when datagrams arrive. From then on the socket's
 * datagrams go only through r (sock_sendto and sock_recvfrom: EBUSY).
 */
int64_t sock_ring_attach(struct sock_ctx *ctx, aion_handle_t sock, uint64_t va,
			 aion_handle_t notify, uint64_t bits, struct sock_ring *r);
/* One datagram onto tx, not yet signalled (sock_ring_kick): 0,
 * -AION_ENOSPC (the ring is full: netd is behind; counted in tx.dropped),
 * -AION_EINVAL (longer than SOCKRING_DGRAM_MAX). */
int64_t sock_ring_send(struct sock_ring *r, uint32_t addr, uint16_t port, const void *data,
		       size_t len);
/* Signals netd if datagrams went on tx since the last kick: once a batch. */
int64_t sock_ring_kick(struct sock_ring *r);
/* The next datagram that arrived, as sockring_take: its length (more than
 * size: cut), -AION_EAGAIN when none is there (wait for the bits), or
 * -AION_EMALFORMED. */
int64_t sock_ring_recv(struct sock_ring *r, void *buf, size_t size, uint32_t *addr,
		       uint16_t *port);

/*
 * A TCP socket's stream area (SOCK_STREAM_AREA, aion/socket.h): its SEND
 * and RECV bytes through memory shared with netd, up to SOCKSTREAM_BYTES a
 * call instead of AION_IPC_PAYLOAD_MAX. The calls and their errors stay
 * those of sock_send_all and sock_recv.
 */
struct sock_stream {
	aion_handle_t sock;
	struct sockstream *area;        /* mapped at the va sock_stream_attach was given */
	aion_handle_t mo;               /* netd's object, our copy */
};
/* Asks netd for sock's area and maps it at va (free, page-aligned,
 * SOCKSTREAM_PAGES pages). */
int64_t sock_stream_attach(struct sock_ctx *ctx, aion_handle_t sock, uint64_t va,
			   struct sock_stream *st);
/* Sends the first n bytes (1..SOCKSTREAM_BYTES) the caller put in
 * st->area->tx (left as they are), all of them, as sock_send_all. */
int64_t sock_stream_send_area(struct sock_stream *st, size_t n);
/* Receives at most max bytes into st->area->rx, valid until the next
 * receive: the count, 0 when the peer closed, as sock_recv. */
int64_t sock_stream_recv_area(struct sock_stream *st, size_t max, uint32_t timeout_ms);
/* Unmaps the area (before or after sock_close). */
void sock_stream_detach(struct sock_stream *st);

/* "a.b.c.d" (NUL-terminated) -> host-order address; 0 or -AION_EINVAL (common/ipv4.h). */
int64_t sock_parse_ipv4(const char *text, uint32_t *addr);

#endif /* AION_SOCKCLIENT_H */
