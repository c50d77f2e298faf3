/*
 * The socket protocol (aion/socket.h), netd's side: UDP and TCP pcbs of
 * lwIP's raw API behind badged capabilities.
 *
 * Each socket has a slot in a table of SOCK_MAX; netd mints a copy of its
 * endpoint with badge SOCK_BADGE_BASE + slot and hands out copies of it,
 * keeping its own to revoke them on close. lwIP's callbacks only change a
 * socket's state (queue data, note an error, a connection, free space);
 * sock_poll, run by the server loop after lwIP, answers the one pending
 * call a socket may have (a saved reply) when it can be answered or its
 * deadline passes. A reply that fails with EDEAD means the caller is gone:
 * the socket is aborted and freed so neither netd nor the peer waits on it.
 */
#include "aion/socket.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netd.h"

#define UDP_QUEUE       16
#define ACCEPT_QUEUE    8
#define ACCEPT_DEFAULT  4

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
	/* TCP: received bytes, the peer's FIN, a connection error, connecting. */
	struct pbuf *rx;
	bool eof, connecting, connected;
	int64_t error;
	uint16_t send_len;
	int listener;                   /* an accepted socket not yet given: its listener */
	/* SK_LISTEN: accepted sockets waiting for ACCEPT. */
	int aq[ACCEPT_QUEUE];
	unsigned aq_count, backlog;
};

static struct sock socks[SOCK_MAX];
static uint8_t send_data[SOCK_MAX][AION_IPC_PAYLOAD_MAX];       /* a pending SEND's bytes */
static uint8_t req_payload[AION_IPC_PAYLOAD_MAX];
static aion_handle_t server_ep;

void sock_init(aion_handle_t ep)
{
	server_ep = ep;
}

static int idx(const struct sock *s)
{
	return (int)(s - socks);
}

static uint32_t host_addr(const ip_addr_t *a)
{
	return lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(a)));
}

static void set_addr(ip_addr_t *a, uint32_t host)
{
	ip_addr_set_zero_ip4(a);
	ip4_addr_set_u32(ip_2_ip4(a), lwip_htonl(host));
}

static int64_t lwip_err(err_t err)
{
	switch (err) {
	case ERR_OK:
		return 0;
	case ERR_MEM:
	case ERR_BUF:
		return -AION_ENOMEM;
	case ERR_RTE:
		return -AION_ENETUNREACH;
	case ERR_USE:
	case ERR_ISCONN:
		return -AION_EADDRINUSE;
	case ERR_RST:
	case ERR_ABRT:
	case ERR_CLSD:
		return -AION_ECONNRESET;
	case ERR_TIMEOUT:
		return -AION_ETIMEDOUT;
	case ERR_CONN:
		return -AION_ENOTCONN;
	default:
		return -AION_EINVAL;
	}
}

static struct sock *sock_alloc(enum sock_kind kind)
{
	for (int i = 0; i < SOCK_MAX; i++) {
		struct sock *s = &socks[i];
		if (s->kind != SK_FREE)
			continue;
		int64_t cap = aion_cap_mint(server_ep, AION_RIGHT_SEND, SOCK_BADGE_BASE + (uint64_t)i);
		if (cap < 0) {
			aion_printf("error sock mint err=%s", aion_error_name(cap));
			return NULL;
		}
		*s = (struct sock){ .kind = kind, .cap = (aion_handle_t)cap, .listener = -1 };
		return s;
	}
	return NULL;
}

static void detach_tcp(struct tcp_pcb *pcb)
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

/* Answers the pending call with m (payload already in netd_buf); false: the caller is gone. */
static bool answer(struct sock *s, struct aion_msg *m)
{
	aion_handle_t r = s->reply;
	s->reply = 0;
	s->deadline = 0;
	int64_t err = aion_reply_to(r, m);
	if (err) {
		aion_handle_close(r);
		return false;
	}
	return true;
}

static bool answer_status(struct sock *s, int64_t status)
{
	struct aion_msg m = { .tag = AION_TAG(s->label, 0, 0), .w = { (uint64_t)status } };
	return answer(s, &m);
}

static void sock_free(struct sock *s, bool abort)
{
	if (s->reply)
		answer_status(s, -AION_ENOTCONN);
	switch (s->kind) {
	case SK_UDP:
		if (s->udp)
			udp_remove(s->udp);
		for (unsigned i = 0; i < s->dq_count; i++)
			pbuf_free(s->dq[(s->dq_head + i) % UDP_QUEUE].p);
		break;
	case SK_LISTEN:
		while (s->aq_count)     /* each takes itself off the queue */
			sock_free(&socks[s->aq[0]], true);
		if (s->tcp) {
			detach_tcp(s->tcp);
			tcp_close(s->tcp);      /* a listening pcb always closes */
		}
		break;
	case SK_TCP:
		if (s->tcp) {
			detach_tcp(s->tcp);
			if (abort || tcp_close(s->tcp) != ERR_OK)
				tcp_abort(s->tcp);
		}
		if (s->rx)
			pbuf_free(s->rx);
		if (s->listener >= 0) { /* still queued on its listener */
			struct sock *l = &socks[s->listener];
			for (unsigned i = 0; i < l->aq_count; i++)
				if (l->aq[i] == idx(s)) {
					l->aq[i] = l->aq[--l->aq_count];
					break;
				}
		}
		break;
	case SK_FREE:
		return;
	}
	aion_cap_revoke(s->cap);
	aion_handle_close(s->cap);
	s->kind = SK_FREE;
}

/* ---- lwIP callbacks: state only ---- */

static void udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		   u16_t port)
{
	struct sock *s = arg;
	(void)pcb;
	/* Held datagrams go to the heap: the rx pool stays for the NIC. */
	struct pbuf *q = s->dq_count < UDP_QUEUE ? pbuf_clone(PBUF_RAW, PBUF_RAM, p) : NULL;
	pbuf_free(p);
	if (!q) {
		s->dropped++;
		return;
	}
	s->dq[(s->dq_head + s->dq_count++) % UDP_QUEUE] =
		(struct dgram){ .p = q, .addr = host_addr(addr), .port = port };
}

static err_t tcp_in(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;
	(void)pcb;
	if (!s) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (err != ERR_OK) {
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
	s->error = s->connecting && err == ERR_RST ? -AION_ECONNREFUSED : lwip_err(err);
	if (!s->error)
		s->error = -AION_ECONNRESET;
}

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;
	(void)pcb;
	if (s && err == ERR_OK)
		s->connected = true;
	return ERR_OK;
}

static void tcp_setup(struct sock *s, struct tcp_pcb *pcb)
{
	s->tcp = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, tcp_in);
	tcp_sent(pcb, tcp_sent_cb);
	tcp_err(pcb, tcp_err_cb);
}

static err_t tcp_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *l = arg;
	if (!l || err != ERR_OK || !pcb)
		return ERR_VAL;
	if (l->aq_count >= l->backlog)
		return ERR_MEM;         /* lwIP aborts it */
	struct sock *s = sock_alloc(SK_TCP);
	if (!s)
		return ERR_MEM;
	tcp_setup(s, pcb);
	s->connected = true;
	s->listener = idx(l);
	l->aq[l->aq_count++] = idx(s);
	return ERR_OK;
}

/* ---- answering ---- */

static struct aion_msg sock_msg(uint32_t label, unsigned len, unsigned ncaps, uint64_t w0,
				uint64_t w1, uint64_t w2)
{
	return (struct aion_msg){ .tag = AION_TAG(label, len, ncaps), .w = { w0, w1, w2 } };
}

static void give_cap(struct sock *s)
{
	netd_buf.caps[0] = s->cap;
	netd_buf.cap_rights[0] = AION_RIGHT_SEND;
}

/* A pending or new call on s that may be answered now: the message, or false. */
static bool ready(struct sock *s, uint32_t label, uint64_t arg, struct aion_msg *m)
{
	switch (label) {
	case SOCK_RECVFROM: {
		if (!s->dq_count)
			return false;
		struct dgram *d = &s->dq[s->dq_head];
		s->dq_head = (s->dq_head + 1) % UDP_QUEUE;
		s->dq_count--;
		unsigned n = d->p->tot_len < AION_IPC_PAYLOAD_MAX ? d->p->tot_len : AION_IPC_PAYLOAD_MAX;
		pbuf_copy_partial(d->p, netd_buf.payload, (u16_t)n, 0);
		pbuf_free(d->p);
		*m = sock_msg(label, n, 0, n, d->addr, d->port);
		return true;
	}
	case SOCK_ACCEPT: {
		if (!s->aq_count)
			return false;
		struct sock *c = &socks[s->aq[0]];
		s->aq[0] = s->aq[--s->aq_count];
		c->listener = -1;
		c->given = true;
		give_cap(c);
		uint32_t a = c->tcp ? host_addr(&c->tcp->remote_ip) : 0;
		uint16_t p = c->tcp ? c->tcp->remote_port : 0;
		*m = sock_msg(label, 0, 1, 0, a, p);
		return true;
	}
	case SOCK_RECV: {
		if (s->rx) {
			unsigned want = arg && arg < AION_IPC_PAYLOAD_MAX ? (unsigned)arg :
					AION_IPC_PAYLOAD_MAX;
			unsigned n = s->rx->tot_len < want ? s->rx->tot_len : want;
			pbuf_copy_partial(s->rx, netd_buf.payload, (u16_t)n, 0);
			s->rx = pbuf_free_header(s->rx, (u16_t)n);
			if (s->tcp)
				tcp_recved(s->tcp, (u16_t)n);
			*m = sock_msg(label, n, 0, n, 0, 0);
			return true;
		}
		if (s->eof) {
			*m = sock_msg(label, 0, 0, 0, 0, 0);
			return true;
		}
		if (s->error || !s->tcp) {
			*m = sock_msg(label, 0, 0, (uint64_t)(s->error ? s->error : -AION_ENOTCONN), 0, 0);
			return true;
		}
		return false;
	}
	case SOCK_SEND: {
		if (s->error || !s->tcp) {
			*m = sock_msg(label, 0, 0, (uint64_t)(s->error ? s->error : -AION_ENOTCONN), 0, 0);
			return true;
		}
		unsigned n = tcp_sndbuf(s->tcp) < s->send_len ? tcp_sndbuf(s->tcp) : s->send_len;
		if (!n || tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN - 1)
			return false;
		err_t err = tcp_write(s->tcp, send_data[idx(s)], (u16_t)n, TCP_WRITE_FLAG_COPY);
		if (err == ERR_MEM)
			return false;
		if (err != ERR_OK) {
			*m = sock_msg(label, 0, 0, (uint64_t)lwip_err(err), 0, 0);
			return true;
		}
		tcp_output(s->tcp);
		*m = sock_msg(label, 0, 0, n, 0, 0);
		return true;
	}
	case SOCK_TCP_CONNECT:
		if (s->error) {
			*m = sock_msg(label, 0, 0, (uint64_t)s->error, 0, 0);
			return true;
		}
		if (!s->connected)
			return false;
		s->connecting = false;
		s->given = true;
		give_cap(s);
		*m = sock_msg(label, 0, 1, 0, 0, 0);
		return true;
	}
	return false;
}

static uint64_t deadline_of(uint64_t ms)
{
	return ms ? aion_clock_ns() + ms * MS : 0;
}

/* Called with the request's reply still open: answers now, or saves it. */
static void pend_or_answer(struct sock *s, uint32_t label, uint64_t arg, uint64_t timeout_ms)
{
	struct aion_msg m;
	if (ready(s, label, arg, &m)) {
		if (aion_reply(&m) == -AION_EDEAD && label == SOCK_TCP_CONNECT)
			sock_free(s, true);
		return;
	}
	int64_t r = aion_reply_save();
	if (r < 0) {
		struct aion_msg e = sock_msg(label, 0, 0, (uint64_t)r, 0, 0);
		aion_reply(&e);
		if (label == SOCK_TCP_CONNECT)
			sock_free(s, true);
		return;
	}
	s->reply = (aion_handle_t)r;
	s->label = label;
	s->arg = arg;
	s->deadline = deadline_of(timeout_ms);
}

static void reply_status(uint32_t label, int64_t status)
{
	struct aion_msg m = sock_msg(label, 0, 0, (uint64_t)status, 0, 0);
	aion_reply(&m);
}

/* ---- opening calls (on "net") ---- */

static void udp_open(uint64_t port)
{
	if (port > 0xffff) {
		reply_status(SOCK_UDP_OPEN, -AION_EINVAL);
		return;
	}
	struct sock *s = sock_alloc(SK_UDP);
	if (!s) {
		reply_status(SOCK_UDP_OPEN, -AION_ENOSPC);
		return;
	}
	s->udp = udp_new();
	if (!s->udp) {
		sock_free(s, true);
		reply_status(SOCK_UDP_OPEN, -AION_ENOMEM);
		return;
	}
	err_t err = udp_bind(s->udp, IP4_ADDR_ANY, (u16_t)port);
	if (err != ERR_OK) {
		sock_free(s, true);
		reply_status(SOCK_UDP_OPEN, lwip_err(err));
		return;
	}
	udp_recv(s->udp, udp_in, s);
	s->given = true;
	give_cap(s);
	struct aion_msg m = sock_msg(SOCK_UDP_OPEN, 0, 1, 0, s->udp->local_port, 0);
	if (aion_reply(&m))
		sock_free(s, true);
	else
		aion_printf("sock open udp port=%u sock=%d", s->udp->local_port, idx(s));
}

static void tcp_listen_open(uint64_t port, uint64_t backlog)
{
	if (port > 0xffff) {
		reply_status(SOCK_TCP_LISTEN, -AION_EINVAL);
		return;
	}
	struct sock *s = sock_alloc(SK_LISTEN);
	if (!s) {
		reply_status(SOCK_TCP_LISTEN, -AION_ENOSPC);
		return;
	}
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb) {
		sock_free(s, true);
		reply_status(SOCK_TCP_LISTEN, -AION_ENOMEM);
		return;
	}
	err_t err = tcp_bind(pcb, IP4_ADDR_ANY, (u16_t)port);
	if (err != ERR_OK) {
		tcp_abort(pcb);
		sock_free(s, true);
		reply_status(SOCK_TCP_LISTEN, lwip_err(err));
		return;
	}
	s->backlog = backlog < 1 ? ACCEPT_DEFAULT : backlog > ACCEPT_QUEUE ? ACCEPT_QUEUE :
		     (unsigned)backlog;
	struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(pcb, (u8_t)s->backlog, &err);
	if (!lpcb) {
		tcp_abort(pcb);
		sock_free(s, true);
		reply_status(SOCK_TCP_LISTEN, lwip_err(err));
		return;
	}
	s->tcp = lpcb;
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, tcp_accept_cb);
	s->given = true;
	give_cap(s);
	struct aion_msg m = sock_msg(SOCK_TCP_LISTEN, 0, 1, 0, lpcb->local_port, 0);
	if (aion_reply(&m))
		sock_free(s, true);
	else
		aion_printf("sock listen tcp port=%u sock=%d", lpcb->local_port, idx(s));
}

static void tcp_connect_open(uint64_t addr, uint64_t port, uint64_t timeout_ms)
{
	if (port == 0 || port > 0xffff || addr > 0xffffffffu || !addr) {
		reply_status(SOCK_TCP_CONNECT, -AION_EINVAL);
		return;
	}
	struct sock *s = sock_alloc(SK_TCP);
	if (!s) {
		reply_status(SOCK_TCP_CONNECT, -AION_ENOSPC);
		return;
	}
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb) {
		sock_free(s, true);
		reply_status(SOCK_TCP_CONNECT, -AION_ENOMEM);
		return;
	}
	tcp_setup(s, pcb);
	s->connecting = true;
	ip_addr_t dst;
	set_addr(&dst, (uint32_t)addr);
	err_t err = tcp_connect(pcb, &dst, (u16_t)port, tcp_connected_cb);
	if (err != ERR_OK) {
		sock_free(s, true);
		reply_status(SOCK_TCP_CONNECT, lwip_err(err));
		return;
	}
	pend_or_answer(s, SOCK_TCP_CONNECT, 0, timeout_ms ? timeout_ms : SOCK_CONNECT_TIMEOUT_MS);
}

/* ---- calls ---- */

bool sock_badge(uint64_t badge)
{
	return badge >= SOCK_BADGE_BASE && badge < SOCK_BADGE_BASE + SOCK_MAX;
}

void sock_call(const struct aion_msg *req)
{
	uint32_t label = AION_TAG_LABEL(req->tag);
	unsigned len = AION_TAG_LEN(req->tag);

	if (!sock_badge(req->badge)) {
		switch (label) {
		case SOCK_UDP_OPEN:
			udp_open(req->w[0]);
			return;
		case SOCK_TCP_LISTEN:
			tcp_listen_open(req->w[0], req->w[1]);
			return;
		case SOCK_TCP_CONNECT:
			tcp_connect_open(req->w[0], req->w[1], req->w[2]);
			return;
		default:
			reply_status(label, -AION_EINVAL);
			return;
		}
	}
	struct sock *s = &socks[req->badge - SOCK_BADGE_BASE];
	if (s->kind == SK_FREE || !s->given) {     /* a revoked copy cannot call: stale */
		reply_status(label, -AION_ENOTCONN);
		return;
	}
	if (label == SOCK_CLOSE) {
		reply_status(label, 0);
		if (s->kind != SK_TCP)  /* the ones whose opening was logged */
			aion_printf("sock close sock=%d", idx(s));
		sock_free(s, false);
		return;
	}
	if (s->reply) {
		reply_status(label, -AION_EBUSY);
		return;
	}
	memcpy(req_payload, netd_buf.payload, len);
	switch (label) {
	case SOCK_SENDTO: {
		if (s->kind != SK_UDP || req->w[1] == 0 || req->w[1] > 0xffff ||
		    req->w[0] > 0xffffffffu) {
			reply_status(label, -AION_EINVAL);
			return;
		}
		struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
		if (!p) {
			reply_status(label, -AION_ENOMEM);
			return;
		}
		if (len)
			memcpy(p->payload, req_payload, len);
		ip_addr_t dst;
		set_addr(&dst, (uint32_t)req->w[0]);
		err_t err = udp_sendto(s->udp, p, &dst, (u16_t)req->w[1]);
		pbuf_free(p);
		reply_status(label, lwip_err(err));
		return;
	}
	case SOCK_RECVFROM:
		if (s->kind != SK_UDP)
			break;
		pend_or_answer(s, label, 0, req->w[0]);
		return;
	case SOCK_ACCEPT:
		if (s->kind != SK_LISTEN)
			break;
		pend_or_answer(s, label, 0, req->w[0]);
		return;
	case SOCK_RECV:
		if (s->kind != SK_TCP)
			break;
		pend_or_answer(s, label, req->w[1], req->w[0]);
		return;
	case SOCK_SEND:
		if (s->kind != SK_TCP)
			break;
		if (!len) {
			reply_status(label, -AION_EINVAL);
			return;
		}
		memcpy(send_data[idx(s)], req_payload, len);
		s->send_len = (uint16_t)len;
		pend_or_answer(s, label, 0, 0);
		return;
	default:
		break;
	}
	reply_status(label, -AION_EINVAL);
}

/* After lwIP ran: answers what can be answered, times out the rest. */
uint64_t sock_poll(uint64_t now)
{
	uint64_t next = 0;

	for (int i = 0; i < SOCK_MAX; i++) {
		struct sock *s = &socks[i];
		if (s->kind == SK_FREE)
			continue;
		if (s->kind == SK_TCP && !s->given && s->listener < 0 && !s->reply) {
			sock_free(s, true);     /* a connect whose caller went */
			continue;
		}
		if (!s->reply)
			continue;
		struct aion_msg m;
		bool ok = true;
		if (ready(s, s->label, s->arg, &m)) {
			ok = answer(s, &m);
		} else if (s->deadline && now >= s->deadline) {
			if (s->label == SOCK_TCP_CONNECT) {
				answer_status(s, -AION_ETIMEDOUT);
				sock_free(s, true);
				continue;
			}
			ok = answer_status(s, -AION_ETIMEDOUT);
		} else if (s->deadline && (!next || s->deadline < next)) {
			next = s->deadline;
		}
		if (!ok) {
			aion_printf("sock %d caller gone: closed", i);
			sock_free(s, true);
		} else if (s->kind == SK_TCP && !s->given && s->listener < 0 && !s->reply) {
			sock_free(s, true);     /* a failed connect */
		}
	}
	return next;
}
