/*
 * netd's socket table (sock.h): a socket's slot, the capability that
 * names it, and its end. A socket ends on CLOSE, when its caller is gone
 * (a reply failed with EDEAD: sock_ready.c), or when a connect fails; its
 * pending call is answered and every copy of its capability revoked, so
 * neither netd nor the peer waits on it.
 */
#include "sock.h"

struct sock socks[SOCK_MAX];
uint8_t send_data[SOCK_MAX][AION_IPC_PAYLOAD_MAX];
static aion_handle_t server_ep;

void sock_init(aion_handle_t ep)
{
	server_ep = ep;
}

int sock_index(const struct sock *s)
{
	return (int)(s - socks);
}

uint32_t sock_host_addr(const ip_addr_t *a)
{
	return lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(a)));
}

void sock_set_addr(ip_addr_t *a, uint32_t host)
{
	ip_addr_set_zero_ip4(a);
	ip4_addr_set_u32(ip_2_ip4(a), lwip_htonl(host));
}

int64_t sock_lwip_err(err_t err)
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

struct sock *sock_alloc(enum sock_kind kind)
{
	for (int i = 0; i < SOCK_MAX; i++) {
		struct sock *s = &socks[i];
		if (s->kind != SK_FREE)
			continue;
		/* GRANT: SOCK_RING brings capabilities. */
		int64_t cap = aion_cap_mint(server_ep, SOCK_CAP_RIGHTS, SOCK_BADGE_BASE + (uint64_t)i);
		if (cap < 0) {
			aion_printf("error sock mint err=%s", aion_error_name(cap));
			return NULL;
		}
		*s = (struct sock){ .kind = kind, .cap = (aion_handle_t)cap, .listener = -1,
				    .holders = 1 };
		return s;
	}
	return NULL;
}

void sock_give_cap(struct sock *s)
{
	netd_buf.caps[0] = s->cap;
	netd_buf.cap_rights[0] = SOCK_CAP_RIGHTS;
}

static void free_udp(struct sock *s)
{
	if (s->udp)
		udp_remove(s->udp);
	sock_ring_free(s);
	for (unsigned i = 0; i < s->dq_count; i++)
		pbuf_free(s->dq[(s->dq_head + i) % UDP_QUEUE].p);
}

static void free_listen(struct sock *s)
{
	while (s->aq_count)     /* each takes itself off the queue */
		sock_free(&socks[s->aq[0]], true);
	if (s->tcp) {
		sock_tcp_detach(s->tcp);
		tcp_close(s->tcp);      /* a listening pcb always closes */
	}
}

/* An accepted socket not yet given is still queued on its listener. */
static void unqueue(struct sock *s)
{
	struct sock *l = &socks[s->listener];
	for (unsigned i = 0; i < l->aq_count; i++)
		if (l->aq[i] == sock_index(s)) {
			l->aq[i] = l->aq[--l->aq_count];
			return;
		}
}

static void free_tcp(struct sock *s, bool abort)
{
	if (s->tcp) {
		sock_tcp_detach(s->tcp);
		if (abort || tcp_close(s->tcp) != ERR_OK)
			tcp_abort(s->tcp);
	}
	if (s->rx)
		pbuf_free(s->rx);
	sock_stream_free(s);
	if (s->listener >= 0)
		unqueue(s);
}

void sock_free(struct sock *s, bool abort)
{
	if (s->kind == SK_FREE)
		return;
	if (s->reply)
		sock_answer_status(s, -AION_ENOTCONN);
	if (s->kind == SK_UDP)
		free_udp(s);
	else if (s->kind == SK_LISTEN)
		free_listen(s);
	else
		free_tcp(s, abort);
	aion_cap_revoke(s->cap);
	aion_handle_close(s->cap);
	s->kind = SK_FREE;
}
