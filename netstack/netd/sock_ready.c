/*
 * netd's sockets: answering a call once it can be answered. A socket has
 * at most one pending call (a saved reply); sock_pend answers at once
 * when it can and saves the reply otherwise, and sock_poll, after lwIP
 * ran, answers what became ready and times out the rest. A reply that
 * fails with EDEAD means the caller is gone: the socket is aborted and
 * freed so neither netd nor the peer waits on it.
 */
#include "sock.h"

static struct aion_msg sock_msg(uint32_t label, unsigned len, unsigned ncaps, uint64_t w0,
				uint64_t w1, uint64_t w2)
{
	return (struct aion_msg){ .tag = AION_TAG(label, len, ncaps), .w = { w0, w1, w2 } };
}

static bool ready_recvfrom(struct sock *s, struct aion_msg *m)
{
	if (!s->dq_count)
		return false;
	struct dgram *d = &s->dq[s->dq_head];
	s->dq_head = (s->dq_head + 1) % UDP_QUEUE;
	s->dq_count--;
	unsigned n = d->p->tot_len < AION_IPC_PAYLOAD_MAX ? d->p->tot_len : AION_IPC_PAYLOAD_MAX;
	pbuf_copy_partial(d->p, netd_buf.payload, (u16_t)n, 0);
	pbuf_free(d->p);
	*m = sock_msg(SOCK_RECVFROM, n, 0, n, d->addr, d->port);
	return true;
}

static bool ready_accept(struct sock *s, struct aion_msg *m)
{
	if (!s->aq_count)
		return false;
	struct sock *c = &socks[s->aq[0]];
	s->aq[0] = s->aq[--s->aq_count];
	c->listener = -1;
	c->given = true;
	sock_give_cap(c);
	uint32_t a = c->tcp ? sock_host_addr(&c->tcp->remote_ip) : 0;
	uint16_t p = c->tcp ? c->tcp->remote_port : 0;
	*m = sock_msg(SOCK_ACCEPT, 0, 1, 0, a, p);
	return true;
}

/* A connection that failed or is gone answers label with its error. */
static bool tcp_broken(struct sock *s, uint32_t label, struct aion_msg *m)
{
	if (!s->error && s->tcp)
		return false;
	*m = sock_msg(label, 0, 0, (uint64_t)(s->error ? s->error : -AION_ENOTCONN), 0, 0);
	return true;
}

/* arg: at most this many bytes (0: a payload's worth), | SOCK_ARG_STREAM:
 * into the stream area (on_recv checked the count against it). */
static bool ready_recv(struct sock *s, uint64_t arg, struct aion_msg *m)
{
	if (s->rx) {
		bool area = (arg & SOCK_ARG_STREAM) && s->stream;
		uint64_t want_len = arg & ~SOCK_ARG_STREAM;
		unsigned max = area ? SOCKSTREAM_BYTES : AION_IPC_PAYLOAD_MAX;
		unsigned want = want_len && want_len < max ? (unsigned)want_len : max;
		unsigned n = s->rx->tot_len < want ? s->rx->tot_len : want;
		pbuf_copy_partial(s->rx, area ? s->stream->rx : netd_buf.payload, (u16_t)n, 0);
		s->rx = pbuf_free_header(s->rx, (u16_t)n);
		if (s->tcp)
			tcp_recved(s->tcp, (u16_t)n);
		*m = sock_msg(SOCK_RECV, area ? 0 : n, 0, n, 0, 0);
		return true;
	}
	if (s->eof) {
		*m = sock_msg(SOCK_RECV, 0, 0, 0, 0, 0);
		return true;
	}
	return tcp_broken(s, SOCK_RECV, m);
}

static bool ready_send(struct sock *s, struct aion_msg *m)
{
	if (tcp_broken(s, SOCK_SEND, m))
		return true;
	unsigned n = tcp_sndbuf(s->tcp) < s->send_len ? tcp_sndbuf(s->tcp) : s->send_len;
	if (!n || tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN - 1)
		return false;
	/* A large SEND waits for a quarter of the buffer rather than taking
	 * slivers: each answer costs the owner a call. */
	if (n < s->send_len && n < TCP_SND_BUF / 4)
		return false;
	const void *data = s->send_stream && s->stream ? s->stream->tx + s->send_off :
			   send_data[sock_index(s)];
	err_t err = tcp_write(s->tcp, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
	if (err == ERR_MEM)
		return false;
	if (err != ERR_OK) {
		*m = sock_msg(SOCK_SEND, 0, 0, (uint64_t)sock_lwip_err(err), 0, 0);
		return true;
	}
	tcp_output(s->tcp);
	*m = sock_msg(SOCK_SEND, 0, 0, n, 0, 0);
	return true;
}

static bool ready_connect(struct sock *s, struct aion_msg *m)
{
	if (s->error) {
		*m = sock_msg(SOCK_TCP_CONNECT, 0, 0, (uint64_t)s->error, 0, 0);
		return true;
	}
	if (!s->connected)
		return false;
	s->connecting = false;
	s->given = true;
	sock_give_cap(s);
	*m = sock_msg(SOCK_TCP_CONNECT, 0, 1, 0, 0, 0);
	return true;
}

/* A pending or new call on s that may be answered now: the message, or false. */
static bool ready(struct sock *s, uint32_t label, uint64_t arg, struct aion_msg *m)
{
	switch (label) {
	case SOCK_RECVFROM:
		return ready_recvfrom(s, m);
	case SOCK_ACCEPT:
		return ready_accept(s, m);
	case SOCK_RECV:
		return ready_recv(s, arg, m);
	case SOCK_SEND:
		return ready_send(s, m);
	case SOCK_TCP_CONNECT:
		return ready_connect(s, m);
	}
	return false;
}

/* Answers the pending call with m (payload already in netd_buf); false: the caller is gone. */
static bool answer(struct sock *s, const struct aion_msg *m)
{
	aion_handle_t r = s->reply;
	s->reply = 0;
	s->deadline = 0;
	return aion_serve_answer(r, m) == 0;
}

bool sock_answer_status(struct sock *s, int64_t status)
{
	struct aion_msg m = sock_msg(s->label, 0, 0, (uint64_t)status, 0, 0);
	return answer(s, &m);
}

static uint64_t deadline_of(uint64_t ms)
{
	return ms ? aion_clock_ns() + ms * MS : 0;
}

int64_t sock_pend(struct aion_serve_req *r, struct sock *s, uint64_t arg, uint64_t timeout_ms)
{
	struct aion_msg m;
	if (ready(s, r->label, arg, &m)) {
		if (aion_serve_reply_msg(r, &m) == -AION_EDEAD && r->label == SOCK_TCP_CONNECT)
			sock_free(s, true);
		return 0;
	}
	int64_t saved = aion_serve_save(r);
	if (saved < 0) {
		aion_serve_reply(r, saved);
		if (r->label == SOCK_TCP_CONNECT)
			sock_free(s, true);
		return saved;
	}
	s->reply = (aion_handle_t)saved;
	s->label = r->label;
	s->arg = arg;
	s->deadline = deadline_of(timeout_ms);
	return 0;
}

/* A connect whose caller went, or that failed: nobody will ever get it. */
static bool orphan(const struct sock *s)
{
	return s->kind == SK_TCP && !s->given && s->listener < 0 && !s->reply;
}

/* s's pending call: answered if ready or past its deadline; false if the
 * socket was freed. *next learns a deadline still to come. */
static bool poll_one(struct sock *s, uint64_t now, uint64_t *next)
{
	struct aion_msg m;
	bool ok = true;
	if (ready(s, s->label, s->arg, &m)) {
		ok = answer(s, &m);
	} else if (s->deadline && now >= s->deadline) {
		if (s->label == SOCK_TCP_CONNECT) {
			sock_answer_status(s, -AION_ETIMEDOUT);
			sock_free(s, true);
			return false;
		}
		ok = sock_answer_status(s, -AION_ETIMEDOUT);
	} else if (s->deadline && (!*next || s->deadline < *next)) {
		*next = s->deadline;
	}
	if (!ok) {
		aion_printf("sock %d caller gone: closed", sock_index(s));
		sock_free(s, true);
		return false;
	}
	return true;
}

/*
 * A socket whose capability no unit holds any more (CAP_INFO's COPIED is
 * clear on netd's original: every holder ended or dropped it) and with no
 * call pending: its owner died between calls. Nobody can use it again, so
 * it ends now (a TCP peer sees a reset) rather than when the peer gives
 * up: before, a sender killed while not in a call left its connection
 * open until the receiver's own timeout. Looked at once per ORPHAN_NS
 * (netd wakes at least that often), one CAP_INFO a socket.
 */
#define ORPHAN_NS       (1000 * MS)

static void free_orphans(uint64_t now)
{
	static uint64_t next_scan;
	if (now < next_scan)
		return;
	next_scan = now + ORPHAN_NS;
	for (int i = 0; i < SOCK_MAX; i++) {
		struct sock *s = &socks[i];
		struct aion_cap_info ci;
		if (s->kind == SK_FREE || !s->given || s->reply ||
		    aion_cap_info(s->cap, &ci) || (ci.flags & AION_CAP_COPIED))
			continue;
		aion_printf("sock close sock=%d: no copy of its capability is left", i);
		sock_free(s, true);
	}
}

/* After lwIP ran: answers what can be answered, times out the rest. */
uint64_t sock_poll(uint64_t now)
{
	uint64_t next = 0;

	free_orphans(now);

	for (int i = 0; i < SOCK_MAX; i++) {
		struct sock *s = &socks[i];
		if (s->kind == SK_FREE)
			continue;
		if (orphan(s)) {
			sock_free(s, true);     /* a connect whose caller went */
			continue;
		}
		if (s->reply && poll_one(s, now, &next) && orphan(s))
			sock_free(s, true);     /* a failed connect */
		else if (s->ring)
			sock_ring_poll(s);
	}
	return next;
}
