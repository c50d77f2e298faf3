/*
 * The socket protocol: UDP and TCP for units, served by netd on the
 * endpoint it registers as "net" (see also aion/net.h).
 *
 * A socket is a capability: opening one returns, in caps[0], a copy of
 * netd's endpoint minted with a badge that names the socket. Every later
 * call on the socket goes through that capability, so a unit can use only
 * sockets it was given and no socket number can be guessed. Labels go in
 * the IPC tag; data and addresses in the payload; replies carry w0 = 0, a
 * count, or -AION_E... .
 *
 * Opening (on the "net" capability):
 *   SOCK_UDP_OPEN     w0 = local port (0: any)       -> caps[0] socket, w1 = port
 *   SOCK_TCP_LISTEN   w0 = local port, w1 = backlog  -> caps[0] listening socket
 *   SOCK_TCP_CONNECT  w0 = IPv4 address (a.b.c.d as 0xaabbccdd), w1 = port,
 *                     w2 = timeout ms (0: 10 s)      -> caps[0] connected socket
 *                     errors: ECONNREFUSED, ETIMEDOUT, ENETUNREACH
 * On a socket capability:
 *   SOCK_SENDTO       UDP: w0 = address, w1 = port, payload = datagram
 *                     (at most AION_IPC_PAYLOAD_MAX bytes) -> w0 = 0
 *   SOCK_RECVFROM     UDP: w0 = timeout ms (0: none) -> payload = datagram,
 *                     w1 = source address, w2 = source port; ETIMEDOUT
 *   SOCK_ACCEPT       TCP listening: w0 = timeout ms -> caps[0] connected socket,
 *                     w1 = peer address, w2 = peer port; ETIMEDOUT
 *   SOCK_SEND         TCP: payload = bytes, w0 = timeout ms (0: none)
 *                     -> w0 = bytes taken (> 0; may be fewer than sent:
 *                     send the rest again); waits while lwIP's send buffer
 *                     is full, ETIMEDOUT when none was taken in time (the
 *                     POSIX layer's SO_SNDTIMEO and non-blocking send);
 *                     ECONNRESET, ENOTCONN
 *   SOCK_RECV         TCP: w0 = timeout ms, w1 = at most this many bytes
 *                     -> payload = bytes, w0 = count (0: the peer closed);
 *                     ETIMEDOUT, ECONNRESET
 *   SOCK_RETAIN       one more holder (a process gave a copy of the
 *                     capability to another: fork, exec) -> w0 = the
 *                     holders now; at most SOCK_HOLDERS_MAX (ERANGE)
 *   SOCK_CLOSE        -> w0 = 0; one holder less: the last ends the socket
 *                     (and the capability is useless afterwards)
 *   SOCK_SHUTDOWN     TCP connected: w0 = SOCK_SHUT_RD | SOCK_SHUT_WR
 *                     -> w0 = 0; SHUT_WR sends the FIN (the peer reads end
 *                     of file) while this side may still receive; SHUT_RD
 *                     drops what arrives from then on. ENOTCONN
 *   SOCK_NAME         -> w1 = local address, w2 = local port (an unbound
 *                     address is 0: UDP and listening sockets take every
 *                     address of the node)
 *   SOCK_RING         UDP: caps[0] the caller's notification (SEND), w0 =
 *                     the bits netd signals it with (not 0) -> w0 = 0,
 *                     caps[0] netd's notification (SEND), caps[1] a
 *                     memory object (READ|WRITE, SOCKRING_PAGES: struct
 *                     sockring) that netd made and keeps mapped while the
 *                     socket lives. From then on the socket's datagrams go
 *                     through the rings (below), not through calls:
 *                     SENDTO and RECVFROM fail with EBUSY. Once per socket
 *                     (a second: EBUSY).
 *   SOCK_STREAM_AREA  TCP connected: -> w0 = 0, caps[0] a memory object
 *                     (READ|WRITE, SOCKSTREAM_PAGES: struct sockstream)
 *                     that netd made and keeps mapped while the socket
 *                     lives. From then on SEND and RECV may carry their
 *                     bytes there instead of in the payload: a SEND with
 *                     no payload takes w1 bytes from tx + w2 (w1 > 0, w1 +
 *                     w2 at most SOCKSTREAM_BYTES); a RECV with w2 = SOCK_RECV_STREAM
 *                     (w1 at most SOCKSTREAM_BYTES) is answered with its
 *                     bytes at the start of rx and no payload. Once per
 *                     socket (a second: EBUSY); without it those forms
 *                     are EINVAL.
 *
 * netd makes the memory it shares with a socket's owner (rings, a stream
 * area), not the owner: an object the owner made, it could revoke, and the
 * revoke would unmap it under netd, which would fault.
 *
 * A socket's rings (SOCK_RING; aion/netring.h's rings, one slot a
 * datagram: struct sockring_dgram, then its bytes): netd puts what
 * arrives on rx and signals the caller's notification with its bits once
 * per batch; the caller puts datagrams on tx and then signals netd's
 * notification with SOCKRING_KICK (once for a batch: netd takes what is
 * there at each wake-up). No call per datagram: a datagram costs no
 * address-space switch of its own. A full rx ring drops and counts
 * (rx.dropped), as a NIC does; a datagram netd cannot send (no route, no
 * memory, a bad slot) is dropped and counted in netd's `net` line
 * (ring_tx_errors). Neither side trusts the other's indices or lengths.
 *
 * A stream area (SOCK_STREAM_AREA) keeps the calls but not their size: one
 * SEND or RECV moves up to a send buffer's worth, not 512 bytes, so 4 MiB cost
 * some hundred calls instead of 8,192. The owner writes tx only while no
 * SEND of its is pending and reads rx after its RECV was answered; one
 * that does otherwise garbles only its own bytes.
 *
 * Addresses are host-order 32-bit values: 10.77.0.2 is 0x0a4d0002.
 * Blocking calls are answered later by netd (saved replies); netd never
 * blocks. A socket whose owner dies stays until netd notices the owner's
 * capability is gone (its next reply fails) or the peer closes.
 */
#ifndef AION_SOCKET_H
#define AION_SOCKET_H

#include <stdint.h>
#include "aion/netring.h"
#include "aion/object.h"

#define SOCK_UDP_OPEN           32
#define SOCK_TCP_LISTEN         33
#define SOCK_TCP_CONNECT        34
#define SOCK_SENDTO             40
#define SOCK_RECVFROM           41
#define SOCK_ACCEPT             42
#define SOCK_SEND               43
#define SOCK_RECV               44
#define SOCK_CLOSE              45
#define SOCK_SHUTDOWN           46
#define SOCK_NAME               47
#define SOCK_RETAIN             48
#define SOCK_RING               49
#define SOCK_STREAM_AREA        50
#define SOCK_HOLDERS_MAX        4096

/* SOCK_SHUTDOWN's w0 (the POSIX layer's shutdown: docs/posix.md "Sockets"). */
#define SOCK_SHUT_RD            1u
#define SOCK_SHUT_WR            2u

/* Badges of socket capabilities: SOCK_BADGE_BASE + socket index. */
#define SOCK_BADGE_BASE         0x50000
#define SOCK_MAX                64
/* A socket capability's rights: GRANT for the notification SOCK_RING brings. */
#define SOCK_CAP_RIGHTS         (AION_RIGHT_SEND | AION_RIGHT_GRANT)
#define SOCK_CONNECT_TIMEOUT_MS 10000

/* A datagram on a socket's ring: its peer (the source on rx, the
 * destination on tx), then the bytes. */
struct sockring_dgram {
	uint32_t addr;
	uint16_t port;
	uint16_t reserved;
	uint8_t data[];
};

struct sockring {
	struct netring rx;              /* netd -> the socket's owner */
	struct netring tx;              /* the owner -> netd */
};

#define SOCKRING_PAGES          ((sizeof(struct sockring) + 4095) / 4096)
#define SOCKRING_DGRAM_MAX      (NETRING_FRAME_MAX - sizeof(struct sockring_dgram))
#define SOCKRING_KICK           (1ull << 2)     /* on netd's notification; 1 is the NICs' */

/* A TCP socket's stream area (SOCK_STREAM_AREA): the bytes of one SEND
 * and of one RECV. SOCKSTREAM_BYTES is lwIP's send buffer and window rounded up,
 * and fits its 16-bit lengths. */
#define SOCKSTREAM_BYTES        (60u * 1024)
#define SOCK_RECV_STREAM        1u              /* RECV's w2: the bytes in rx */

struct sockstream {
	uint8_t tx[SOCKSTREAM_BYTES];   /* the owner -> netd */
	uint8_t rx[SOCKSTREAM_BYTES];   /* netd -> the owner */
};

#define SOCKSTREAM_PAGES        ((sizeof(struct sockstream) + 4095) / 4096)

static inline uint32_t sock_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

#endif /* AION_SOCKET_H */
