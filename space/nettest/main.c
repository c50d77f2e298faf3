/*
 * nettest: socket tests over netd (aion/socket.h, libaion/sockclient.h), an
 * init service of nodes booted with aion.nettest=ROLE[,ROLE...]; init
 * passes "node=N nettest=ROLE[,ROLE...]" in the startup record.
 *
 * Roles:
 *   udp-echo            UDP port 7000: echoes every datagram to its sender
 *   udp-client[:ADDR]   1000 datagrams of 64..512 bytes to ADDR:7000, one at
 *                       a time, each echo awaited 2 s (3 retries) and checked;
 *                       when all came back intact, each one's round trip
 *                       (`udp samples from=I us=...`, bench/net)
 *   udp-client64[:ADDR] the same with 64-byte datagrams, the Linux peer's
 *                       size (bench/net --udp-bytes 64, bench/compare)
 *   udp-ring-echo       udp-echo through socket rings (SOCK_RING), not calls
 *   udp-ring64[:ADDR]   udp-client64 through socket rings (bench/net --udp-io
 *                       ring, bench/compare); the UDP roles are in udp.c
 *   tcp-sink            TCP port 7001: per connection, bytes and FNV-1a 64 (of words)
 *   tcp-source[:ADDR]   4 MiB of a fixed pattern to ADDR:7001, then closes
 *   tcp-source64[:ADDR] the same with 64 MiB, the Linux peer's size
 *                       (bench/net --tcp-mib 64, bench/compare)
 *   tcp-hold[:ADDR]     tcp-source that stops for 5 s half way (`tcp-source
 *                       holding after bytes=N`): a kill lands mid-transfer
 *   tcp-refused[:ADDR]  connects to ADDR:7999 (nobody listens): the error
 *   tcp-echo            TCP port 7: echoes bytes back, one connection at a time
 *   ring-revoke[:ADDR]  hostile: socket rings whose memory object it then
 *                       revokes; netd must still echo through them (ring_revoke.c)
 * A client role without :ADDR uses the address of the role before it (the
 * kernel command line value is cut at 63 characters).
 *
 * Server roles run forever, each on a thread of its own; client roles run
 * one after the other on the first thread, which then sleeps forever (a
 * service that ends would be restarted and run them again). Every result
 * is one log line `nettest: ...`.
 */
#include "nettest.h"
#include "common/cmdline.h"
#include "common/format.h"

#define ROLES_MAX       6
#define THREAD_PRIO     100
#define STACK_PAGES     4

#define TCP_SINK_PORT   7001
#define TCP_REFUSED_PORT 7999
#define TCP_ECHO_PORT   7


#define TCP_BYTES       (4u << 20)
#define TCP_BYTES64     (64u << 20)
#define TCP_HOLD_MS     5000
#define TCP_CONNECT_MS  5000
#define TCP_RETRY_FOR_MS 60000
#define TCP_IDLE_MS     30000

#define FNV_OFFSET      0xcbf29ce484222325ull
#define FNV_PRIME       0x100000001b3ull

enum role_kind {
	UDP_ECHO, UDP_RING_ECHO, UDP_CLIENT, UDP_CLIENT64, UDP_RING64, TCP_SINK, TCP_SOURCE,
	TCP_SOURCE64, TCP_HOLD, TCP_REFUSED, TCP_ECHO, RING_REVOKE
};

static const struct {
	const char *name;
	enum role_kind kind;
	int client;             /* needs an address; runs on the first thread */
} role_names[] = {
	{ "udp-echo", UDP_ECHO, 0 },
	{ "udp-client", UDP_CLIENT, 1 },
	{ "udp-client64", UDP_CLIENT64, 1 },
	{ "udp-ring-echo", UDP_RING_ECHO, 0 },
	{ "udp-ring64", UDP_RING64, 1 },
	{ "tcp-sink", TCP_SINK, 0 },
	{ "tcp-source", TCP_SOURCE, 1 },
	{ "tcp-source64", TCP_SOURCE64, 1 },
	{ "tcp-hold", TCP_HOLD, 1 },
	{ "tcp-refused", TCP_REFUSED, 1 },
	{ "tcp-echo", TCP_ECHO, 0 },
	{ "ring-revoke", RING_REVOKE, 1 },
};

struct role {
	enum role_kind kind;
	int client;
	uint32_t addr;
};

/* One IPC buffer per thread, each on a page of its own. */
struct page_buf {
	struct aion_ipc_buffer b;
} __attribute__((aligned(4096)));

static struct page_buf bufs[ROLES_MAX + 1];
static struct role roles[ROLES_MAX];
static unsigned nroles;

/* Data buffers: the first thread's (clients) and one per server role. */
static uint8_t client_data[4096];
static uint8_t server_data[ROLES_MAX][UDP_MAX];
/* tcp-sink's and tcp-source's bytes go through a stream area
 * (SOCK_STREAM_AREA), role i's mapped at STREAM_VA + i MiB, up to SOCKSTREAM_BYTES a call;
 * tcp-echo keeps the call path (512 bytes a call). */
#define STREAM_VA       0x0000000050000000ull
static uint8_t stream_data[ROLES_MAX][SOCKSTREAM_BYTES];

/*
 * The TCP roles' check: FNV-1a 64 over the stream's 8-byte words (little
 * endian; a last partial word counts with zeros after it), fed in pieces
 * of any length. An eighth of a per-byte hash's work: the check must cost
 * the throughput figure little (the Linux peer's program checks nothing).
 */
struct whash {
	uint64_t h, word;
	unsigned have;                  /* bytes in word */
};

static void whash_byte(struct whash *w, uint8_t b)
{
	w->word |= (uint64_t)b << (8 * w->have);
	if (++w->have == 8) {
		w->h = (w->h ^ w->word) * FNV_PRIME;
		w->word = 0;
		w->have = 0;
	}
}

static void whash_feed(struct whash *w, const uint8_t *p, size_t n)
{
	for (; n && w->have; n--)
		whash_byte(w, *p++);
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		w->h = (w->h ^ v) * FNV_PRIME;
	}
	for (; n; n--)
		whash_byte(w, *p++);
}

static uint64_t whash_end(const struct whash *w)
{
	return w->have ? (w->h ^ w->word) * FNV_PRIME : w->h;
}

/* ---- TCP ---- */

static int64_t tcp_listen(struct sock_ctx *ctx, uint16_t port, aion_handle_t *sock)
{
	int64_t err = sock_tcp_listen(ctx, port, 4, sock);
	if (err)
		aion_printf("tcp listen port=%u failed err=%s", port, aion_error_name(err));
	else
		aion_printf("tcp listening port=%u", port);
	return err;
}

/* Role r's stream area on sock: 0, or the error (logged). */
static int64_t stream_attach(struct sock_ctx *ctx, const struct role *r, aion_handle_t sock,
			     struct sock_stream *st)
{
	uint64_t va = STREAM_VA + (uint64_t)(r - roles) * 0x100000ull;
	int64_t err = sock_stream_attach(ctx, sock, va, st);
	if (err)
		aion_printf("tcp stream attach failed err=%s", aion_error_name(err));
	return err;
}

/* Listens on port and hands each accepted connection to serve, forever. */
static int64_t tcp_serve(struct sock_ctx *ctx, const struct role *r, uint8_t *data,
			 uint16_t port, const char *role,
			 void (*serve)(struct sock_ctx *, const struct role *, aion_handle_t,
				       uint8_t *))
{
	aion_handle_t lsock;
	int64_t err = tcp_listen(ctx, port, &lsock);
	if (err)
		return err;
	for (;;) {
		aion_handle_t conn;
		err = sock_accept(ctx, lsock, &conn, NULL, NULL, 0);
		if (err == -AION_ETIMEDOUT)
			continue;
		if (err) {
			aion_printf("%s accept failed err=%s", role, aion_error_name(err));
			return err;
		}
		serve(ctx, r, conn, data);
		sock_close(ctx, conn);
	}
}

/* Counts and checksums a connection's bytes until the peer closes. */
static void sink_one(struct sock_ctx *ctx, const struct role *r, aion_handle_t conn,
		     uint8_t *data)
{
	(void)data;     /* hashed where netd put it, in the stream area */
	struct whash h = { .h = FNV_OFFSET };
	uint64_t bytes = 0;
	struct sock_stream st;
	int64_t n = stream_attach(ctx, r, conn, &st);
	if (n)
		return;
	while ((n = sock_stream_recv_area(&st, SOCKSTREAM_BYTES, TCP_IDLE_MS)) > 0) {
		whash_feed(&h, st.area->rx, (size_t)n);
		bytes += (uint64_t)n;
	}
	if (n < 0)
		aion_printf("tcp-sink recv failed err=%s after bytes=%lu",
			    aion_error_name(n), (unsigned long)bytes);
	else
		aion_printf("tcp received bytes=%lu fnv=0x%016lx", (unsigned long)bytes,
			    (unsigned long)whash_end(&h));
	sock_stream_detach(&st);
}

/* Sends back every byte until the peer closes. */
static void echo_one(struct sock_ctx *ctx, const struct role *r, aion_handle_t conn,
		     uint8_t *data)
{
	(void)r;
	int64_t n, err;
	while ((n = sock_recv(ctx, conn, data, UDP_MAX, 0)) > 0)
		if ((err = sock_send_all(ctx, conn, data, (size_t)n)) < 0) {
			n = err;
			break;
		}
	if (n < 0)
		aion_printf("tcp-echo failed err=%s", aion_error_name(n));
}

static int64_t tcp_sink(struct sock_ctx *ctx, const struct role *r, uint8_t *data)
{
	return tcp_serve(ctx, r, data, TCP_SINK_PORT, "tcp-sink", sink_one);
}

static int64_t tcp_echo(struct sock_ctx *ctx, const struct role *r, uint8_t *data)
{
	return tcp_serve(ctx, r, data, TCP_ECHO_PORT, "tcp-echo", echo_one);
}

/* Connects, retrying for a while when nobody listens yet. */
static int64_t tcp_connect_retry(struct sock_ctx *ctx, uint32_t addr, uint16_t port,
				 aion_handle_t *sock)
{
	uint64_t end = now_ms() + TCP_RETRY_FOR_MS;
	for (;;) {
		int64_t err = sock_connect(ctx, addr, port, TCP_CONNECT_MS, sock);
		if (!err || now_ms() >= end ||
		    (err != -AION_ECONNREFUSED && err != -AION_ETIMEDOUT &&
		     err != -AION_ENETUNREACH))
			return err;
		aion_sleep_ns(500 * MS);
	}
}

/*
 * The source's bytes: one block of xorshift64 words, the same on every
 * run, sent again and again with the chunk's number in its first word
 * (so a chunk lost, doubled or swapped changes the receiver's hash). The
 * hash of the whole stream is computed before the clock starts, and the
 * block is written into the stream area once: like the Linux peer's
 * program, which writes one static buffer, the source then spends no time
 * on the bytes themselves.
 */
static void pattern_fill(uint8_t *p, size_t n)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (size_t i = 0; i + 8 <= n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}
_Static_assert(SOCKSTREAM_BYTES % 8 == 0 && TCP_BYTES % 8 == 0 && TCP_BYTES64 % 8 == 0,
	       "the source fills whole words");

/* Chunk k of the stream, in place: the block with k in its first word. */
static size_t chunk_at(uint8_t *block, size_t bytes, uint64_t k)
{
	size_t off = (size_t)k * SOCKSTREAM_BYTES;
	memcpy(block, &k, 8);
	return bytes - off < SOCKSTREAM_BYTES ? bytes - off : SOCKSTREAM_BYTES;
}

/* bytes to ADDR's sink; hold: a pause half way (tcp-hold). */
static int64_t tcp_source(struct sock_ctx *ctx, const struct role *r, size_t bytes, bool hold)
{
	aion_handle_t sock;
	struct sock_stream st;
	uint8_t *block = stream_data[r - roles];
	uint64_t chunks = (bytes + SOCKSTREAM_BYTES - 1) / SOCKSTREAM_BYTES;
	struct whash h = { .h = FNV_OFFSET };
	pattern_fill(block, SOCKSTREAM_BYTES);
	for (uint64_t k = 0; k < chunks; k++)
		whash_feed(&h, block, chunk_at(block, bytes, k));
	int64_t err = tcp_connect_retry(ctx, r->addr, TCP_SINK_PORT, &sock);
	if (err) {
		aion_printf("tcp-source connect failed err=%s", aion_error_name(err));
		return err;
	}
	if ((err = stream_attach(ctx, r, sock, &st))) {
		sock_close(ctx, sock);
		return err;
	}
	pattern_fill(st.area->tx, SOCKSTREAM_BYTES);
	uint64_t start = now_ms();      /* the transfer, not the wait for a listener */
	size_t sent = 0;
	for (uint64_t k = 0; k < chunks; k++) {
		size_t n = chunk_at(st.area->tx, bytes, k);
		if (hold && k == chunks / 2) {
			aion_printf("tcp-source holding after bytes=%lu", (unsigned long)sent);
			aion_sleep_ns(TCP_HOLD_MS * MS);
		}
		if ((err = sock_stream_send_area(&st, n)) < 0) {
			aion_printf("tcp-source send failed err=%s after bytes=%lu",
				    aion_error_name(err), (unsigned long)sent);
			sock_close(ctx, sock);
			sock_stream_detach(&st);
			return err;
		}
		sent += n;
	}
	err = sock_close(ctx, sock);
	sock_stream_detach(&st);
	if (err)
		aion_printf("tcp-source close failed err=%s", aion_error_name(err));
	aion_printf("tcp sent bytes=%lu fnv=0x%016lx ms=%lu", (unsigned long)sent,
		    (unsigned long)whash_end(&h), (unsigned long)(now_ms() - start));
	return 0;
}

static int64_t tcp_refused(struct sock_ctx *ctx, uint32_t addr)
{
	aion_handle_t sock;
	int64_t err = sock_connect(ctx, addr, TCP_REFUSED_PORT, TCP_CONNECT_MS, &sock);
	aion_printf("connect refused err=%s", aion_error_name(err));
	if (!err)
		sock_close(ctx, sock);
	return 0;
}

/* ---- roles ---- */

static int64_t run_role(const struct role *r, struct sock_ctx *ctx, uint8_t *data)
{
	switch (r->kind) {
	case UDP_ECHO: return udp_echo(ctx, data, false);
	case UDP_RING_ECHO: return udp_echo(ctx, data, true);
	case UDP_CLIENT: return udp_client(ctx, r->addr, data, 0, false);
	case UDP_CLIENT64: return udp_client(ctx, r->addr, data, 64, false);
	case UDP_RING64: return udp_client(ctx, r->addr, data, 64, true);
	case TCP_SINK: return tcp_sink(ctx, r, data);
	case TCP_SOURCE: return tcp_source(ctx, r, TCP_BYTES, false);
	case TCP_SOURCE64: return tcp_source(ctx, r, TCP_BYTES64, false);
	case TCP_HOLD: return tcp_source(ctx, r, TCP_BYTES, true);
	case TCP_REFUSED: return tcp_refused(ctx, r->addr);
	case TCP_ECHO: return tcp_echo(ctx, r, data);
	case RING_REVOKE: return ring_revoke(ctx, r->addr);
	}
	return -AION_EINVAL;
}

/* A server role's thread: arg is the role's index. */
static int64_t server_thread(uint64_t i)
{
	struct sock_ctx ctx;
	int64_t err = sock_init(&ctx, &bufs[i + 1].b);
	if (err) {
		aion_printf("socket setup failed err=%s", aion_error_name(err));
		return 1;
	}
	return run_role(&roles[i], &ctx, server_data[i]) ? 1 : 0;
}

/* Parses "ROLE[:ADDR][,ROLE[:ADDR]...]" into roles[]. */
static int parse_roles(char *v)
{
	uint32_t last_addr = 0;
	char *p = v;
	while (*p) {
		char *end = p;
		while (*end && *end != ',')
			end++;
		char sep = *end;
		*end = '\0';
		char *colon = p;
		while (*colon && *colon != ':')
			colon++;
		if (*colon)
			*colon = '\0';
		else
			colon = NULL;
		unsigned k;
		for (k = 0; k < sizeof(role_names) / sizeof(role_names[0]); k++)
			if (!strcmp(p, role_names[k].name))
				break;
		if (k == sizeof(role_names) / sizeof(role_names[0]) || nroles == ROLES_MAX) {
			aion_printf("bad role '%s'", p);
			return -1;
		}
		struct role *r = &roles[nroles++];
		r->kind = role_names[k].kind;
		r->client = role_names[k].client;
		r->addr = last_addr;
		if (colon && sock_parse_ipv4(colon + 1, &r->addr)) {
			aion_printf("bad address '%s' for %s", colon + 1, p);
			return -1;
		}
		if (r->client && !r->addr) {
			aion_printf("role %s needs an address", p);
			return -1;
		}
		last_addr = r->addr;
		p = sep ? end + 1 : end;
	}
	return 0;
}

static void sleep_forever(void)
{
	for (;;)
		aion_sleep_ns(3600 * SEC);
}

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char v[AION_ARGS_MAX];

	if (st->magic != AION_STARTUP_MAGIC || !cmdline_get(st->args, "nettest", v, sizeof(v)) ||
	    !v[0]) {
		aion_printf("no roles (nettest=ROLE[,ROLE...])");
		sleep_forever();
	}
	aion_printf("roles=%s", v);
	if (parse_roles(v))
		sleep_forever();

	for (unsigned i = 0; i < nroles; i++) {
		if (roles[i].client)
			continue;
		uint64_t top = aion_stack_alloc(STACK_PAGES);
		int64_t t = top ? -AION_ENOMEM : 0;
		for (unsigned prio = THREAD_PRIO; top && prio; prio /= 2)
			if ((t = aion_thread_spawn(server_thread, i, top, prio)) >= 0)
				break;
		if (t < 0)
			aion_printf("thread start failed err=%s", aion_error_name(t));
	}

	struct sock_ctx ctx;
	int clients = 0;
	for (unsigned i = 0; i < nroles; i++)
		clients |= roles[i].client;
	if (clients) {
		int64_t err = sock_init(&ctx, &bufs[0].b);
		if (err)
			aion_printf("socket setup failed err=%s", aion_error_name(err));
		for (unsigned i = 0; !err && i < nroles; i++)
			if (roles[i].client)
				run_role(&roles[i], &ctx, client_data);
		aion_printf("clients done");
	}
	sleep_forever();
	return 0;
}
