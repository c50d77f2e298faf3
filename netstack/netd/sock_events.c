/*
 * netd's sockets, lwIP's side: the callbacks of the raw API. They only
 * change a socket's state (queue data, note an error, a connection, free
 * space); sock_poll, run by the server loop after lwIP, answers what can
 * be answered then (sock_ready.c).
 */
#include "sock.h"

/* Datagrams dropped because a socket's queue was full, all sockets
 * together (`net`: udp_dropped): the mesh replay test tells a datagram
 * netd lost from one meshd refused. */
uint64_t sock_udp_dropped;

void sock_udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		 u16_t port)
{
	struct sock *s = arg;
	(void)pcb;
	if (s->ring) {
		sock_ring_in(s, p, sock_host_addr(addr), port);
		return;
	}
	/* Held datagrams go to the heap: the rx pool stays for the NIC. */
	struct pbuf *q = s->dq_count < UDP_QUEUE ? pbuf_clone(PBUF_RAW, PBUF_RAM, p) : NULL;
	pbuf_free(p);
	if (!q) {
		s->dropped++;
		sock_udp_dropped++;
		return;
	}
	s->dq[(s->dq_head + s->dq_count++) % UDP_QUEUE] =
		(struct dgram){ .p = q, .addr = sock_host_addr(addr), .port = port };
}

static err_t tcp_in(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;
	(void)pcb;
	if (!s || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p)
		s->eof = true;
	else if (s->rx)
		pbuf_cat(s->rx, p);
	else
		s->rx = p;
	return ERR_OK;
}

static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	(void)pcb;
	(void)len;
	return ERR_OK;          /* sock_poll retries a pending SEND */
}

static void tcp_err_cb(void *arg, err_t err)
{
	struct sock *s = arg;
	if (!s)
		return;
	s->tcp = NULL;          /* lwIP freed it */
	s->error = s->connecting && err == ERR_RST ? -AION_ECONNREFUSED : sock_lwip_err(err);
	if (!s->error)
		s->error = -AION_ECONNRESET;
}

err_t sock_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;
	(void)pcb;
	if (s && err == ERR_OK)
		s->connected = true;
	return ERR_OK;
}

void sock_tcp_setup(struct sock *s, struct tcp_pcb *pcb)
{
	s->tcp = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, tcp_in);
	tcp_sent(pcb, tcp_sent_cb);
	tcp_err(pcb, tcp_err_cb);
}

void sock_tcp_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, NULL);
		return;
	}
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

err_t sock_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *l = arg;
	if (!l || err != ERR_OK || !pcb)
		return ERR_VAL;
	if (l->aq_count >= l->backlog)
		return ERR_MEM;         /* lwIP aborts it */
	struct sock *s = sock_alloc(SK_TCP);
	if (!s)
		return ERR_MEM;
	sock_tcp_setup(s, pcb);
	s->connected = true;
	s->listener = sock_index(l);
	l->aq[l->aq_count++] = sock_index(s);
	return ERR_OK;
}
