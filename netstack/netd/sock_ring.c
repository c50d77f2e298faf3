/*
 * netd's sockets with rings (aion/socket.h, SOCK_RING): a UDP socket's
 * datagrams through a memory object its owner shares with netd, and a
 * notification each way, instead of a call per datagram.
 *
 * Why (docs/network.md, "Socket rings"): a call per datagram switches
 * address spaces twice for each send and once more for each receive (the
 * next RECVFROM), and under TCG each switch flushes the whole software
 * TLB. With rings the owner signals netd once per batch, netd signals the
 * owner once per loop turn, and neither waits for the other.
 *
 * netd makes the rings' object and keeps it mapped until the socket
 * ends; the owner maps a copy. The owner may write anything into the
 * object at any time: netd reads
 * each slot once (netring_pop_parts clamps the length), checks the
 * destination, and never lets a ring cost more than NETRING_SLOTS
 * datagrams a loop turn.
 */
#include "libaion/sockring.h"
#include "sock.h"

uint64_t sock_ring_tx_errors;           /* datagrams netd could not send (`net`) */
static uint8_t dgram[NETRING_FRAME_MAX];

/* SOCK_RING: caps[0] the owner's notification, w0 = its bits; the reply
 * carries netd's notification and the rings' memory object. netd makes the
 * object and keeps the original: one the owner made, it could revoke, and
 * the revoke would unmap the rings under netd. */
int64_t sock_ring_attach(struct aion_serve_req *r, struct sock *s)
{
	struct aion_cap_info ci;
	uint64_t bits = r->msg.w[0];
	int64_t err;

	if (s->kind != SK_UDP || r->ncaps != 1 || !bits)
		return -AION_EINVAL;
	if (s->ring || s->reply)
		return -AION_EBUSY;
	if ((err = aion_cap_info(r->caps[0], &ci)))
		return err;
	if (ci.type != AION_OBJ_NOTIFICATION)
		return -AION_ETYPE;
	if (!(ci.rights & AION_RIGHT_SEND))
		return -AION_ERIGHTS;
	int64_t mo = aion_memory_create_mapped(SOCKRING_PAGES, SOCK_AREA_VA(sock_index(s)));
	if (mo < 0) {
		aion_printf("error sock ring sock=%d err=%s", sock_index(s), aion_error_name(mo));
		return mo;
	}
	s->ring = (struct sockring *)SOCK_AREA_VA(sock_index(s));
	s->ring_mo = (aion_handle_t)mo;
	s->ring_peer = aion_serve_keep(r, 0);
	s->ring_bits = bits;
	s->ring_signal = false;
	/* Datagrams that came before go first, in order. */
	while (s->dq_count) {
		struct dgram *d = &s->dq[s->dq_head];
		sock_ring_in(s, d->p, d->addr, d->port);
		s->dq_head = (s->dq_head + 1) % UDP_QUEUE;
		s->dq_count--;
	}
	aion_serve_give(r, netd_notify, AION_RIGHT_SEND);
	aion_serve_give(r, s->ring_mo, AION_RIGHT_READ | AION_RIGHT_WRITE);
	aion_printf("sock ring sock=%d pages=%lu", sock_index(s), (unsigned long)SOCKRING_PAGES);
	return 0;
}

/* A received datagram onto s's rx ring (a full ring counts it); p is freed. */
void sock_ring_in(struct sock *s, struct pbuf *p, uint32_t addr, uint16_t port)
{
	uint16_t n = p->tot_len < SOCKRING_DGRAM_MAX ? p->tot_len : (uint16_t)SOCKRING_DGRAM_MAX;
	pbuf_copy_partial(p, dgram, n, 0);
	pbuf_free(p);
	if (sockring_put(&s->ring->rx, addr, port, dgram, n) == 0)
		s->ring_signal = true;
	else
		sock_udp_dropped++;
}

/* What the owner put on tx, at most a ring's worth, to lwIP. */
static void ring_out(struct sock *s)
{
	for (unsigned k = 0; k < NETRING_SLOTS; k++) {
		uint32_t addr;
		uint16_t port;
		int64_t n = sockring_take(&s->ring->tx, dgram, sizeof(dgram), &addr, &port);
		if (n == -AION_EAGAIN)
			return;
		struct pbuf *p = NULL;
		err_t err = ERR_VAL;
		if (n >= 0 && n <= (int64_t)SOCKRING_DGRAM_MAX && port && s->udp &&
		    (p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM))) {
			memcpy(p->payload, dgram, (size_t)n);
			ip_addr_t dst;
			sock_set_addr(&dst, addr);
			err = udp_sendto(s->udp, p, &dst, port);
			pbuf_free(p);
		}
		if (err != ERR_OK)
			sock_ring_tx_errors++;
	}
}

void sock_ring_poll(struct sock *s)
{
	ring_out(s);
	if (s->ring_signal) {
		s->ring_signal = false;
		int64_t err = aion_signal(s->ring_peer, s->ring_bits);
		if (err && !s->ring_failed) {   /* once: the owner reads its ring all the same */
			s->ring_failed = true;
			aion_printf("error sock ring sock=%d signal err=%s", sock_index(s),
				    aion_error_name(err));
		}
	}
}

void sock_ring_free(struct sock *s)
{
	if (!s->ring)
		return;
	aion_memory_unmap(AION_HANDLE_SELF, (uint64_t)s->ring);
	aion_handle_close(s->ring_mo);
	aion_handle_close(s->ring_peer);
	s->ring = NULL;
}
