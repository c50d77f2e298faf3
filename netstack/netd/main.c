/*
 * netd: the network server unit (lwIP 2.1.3, NO_SYS=1, raw API).
 *
 * Started by init with args "node=N ..." (struct aion_startup) and
 * SVC_INIT_EP, init's endpoint, at (1,1). It first brings lwIP up and
 * checks it over loopback: a UDP echo on 127.0.0.1:7 and a 64 KiB TCP
 * transfer whose every byte is compared (this thread polls lwIP itself for
 * that). Then it becomes the node's network server on a thread of its own
 * (server.c), and this first thread ends:
 *   - nic.c attaches to the NIC driver's endpoint "net0" (aion/netring.h)
 *     and puts lwIP's netif "en" on it: 10.77.0.N/24 for node N, the MAC
 *     from the driver, ARP, set as the default. These addresses exist only
 *     on the cluster's VDE switch (the host is not on it). Without "net0"
 *     (no NIC) or without a node number 1..254, only loopback.
 *   - nic.c also attaches "net1" when it appears within 3 s (node 1's
 *     second NIC, QEMU's user net with the host's port forward): netif
 *     "en" 10.0.2.15/24, gateway 10.0.2.2, not the default.
 *   - server.c serves "net" (aion/net.h: NET_INFO, NET_PING; ping.c).
 * lwIP lives on one thread at a time: this one until the server starts,
 * then the server thread alone.
 *
 * Log lines, after the kernel's "netd: " prefix (one per event, never per
 * packet):
 *   lwip 2.1.3 up
 *   selftest udp=ok tcp_bytes=65536 ok        (or ...=FAIL / FAIL)
 *   selftest ms=... polls=... heap_max=...
 *   up addr=10.77.0.N mac=52:54:00:00:00:0N shm_pages=65
 *   no nic                                     (or no address / error ...)
 *   up addr=10.0.2.15 mac=... name=net1        (or no net1)
 *   serving name=net
 *   ping addr=A sent=N received=N rtt_us=N [err=...]   (one per NET_PING)
 *   driver gone: link down, waiting for net0   (the driver was restarted)
 *   reattached addr=... mac=... count=N
 * A failed selftest ends the unit with exit code 1, and so does a server
 * that cannot start; init restarts it.
 */
#include <stdbool.h>
#include "libaion/lib.h"
#include "common/cmdline.h"
#include "netd.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"        /* tcp_tw_pcbs: drop_time_wait */
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#define POLL_NS                 (1 * MS)
#define SELFTEST_TIMEOUT_NS     (10000 * MS)
#define SERVER_STACK_PAGES      16

extern char aion_thread_trampoline[];   /* libaion's crt0 */

#define UDP_ECHO_PORT           7
#define TCP_TEST_PORT           5001
#define TIME_WAIT_POLLS         50      /* POLL_NS each: the client's last ACK */
#define TCP_TEST_BYTES          65536u

static const ip_addr_t loopback = IPADDR4_INIT_BYTES(127, 0, 0, 1);
static unsigned polls;

/* One round of lwIP work: queued loopback packets, then due timers. */
static void poll_once(void)
{
	netif_poll_all();
	sys_check_timeouts();
	polls++;
}

/* Polls every POLL_NS until *done or timeout_ns passes. */
static bool poll_until(const volatile bool *done, uint64_t timeout_ns)
{
	uint64_t end = aion_clock_ns() + timeout_ns;

	for (;;) {
		poll_once();
		if (*done)
			return true;
		if (aion_clock_ns() >= end)
			return false;
		aion_sleep_ns(POLL_NS);
	}
}

/* ---- UDP: a datagram to the echo port and back ---- */

static const char udp_msg[] = "aion netd udp selftest";
static volatile bool udp_done;
static bool udp_ok;

static void echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		      const ip_addr_t *addr, u16_t port)
{
	(void)arg;
	ip_addr_t from = *addr;         /* addr points into p */
	udp_sendto(pcb, p, &from, port);
	pbuf_free(p);
}

static void client_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			const ip_addr_t *addr, u16_t port)
{
	(void)arg;
	(void)pcb;
	udp_ok = port == UDP_ECHO_PORT && ip_addr_cmp(addr, &loopback) &&
		 p->tot_len == sizeof(udp_msg) &&
		 pbuf_memcmp(p, 0, udp_msg, sizeof(udp_msg)) == 0;
	udp_done = true;
	pbuf_free(p);
}

static bool udp_selftest(void)
{
	struct udp_pcb *echo = udp_new(), *client = udp_new();
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, sizeof(udp_msg), PBUF_RAM);
	bool sent = false;

	if (echo && client && p &&
	    udp_bind(echo, &loopback, UDP_ECHO_PORT) == ERR_OK &&
	    udp_bind(client, &loopback, 0) == ERR_OK &&
	    pbuf_take(p, udp_msg, sizeof(udp_msg)) == ERR_OK) {
		udp_recv(echo, echo_recv, NULL);
		udp_recv(client, client_recv, NULL);
		sent = udp_sendto(client, p, &loopback, UDP_ECHO_PORT) == ERR_OK;
	}
	if (p)
		pbuf_free(p);
	if (sent)
		poll_until(&udp_done, SELFTEST_TIMEOUT_NS);
	if (client)
		udp_remove(client);
	if (echo)
		udp_remove(echo);
	return sent && udp_ok;
}

/* ---- TCP: 64 KiB from a client to a listener, every byte checked ---- */

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)((i ^ (i >> 8) ^ (i >> 16)) * 37u + 11u);
}

static struct {
	struct tcp_pcb *client;
	uint32_t tx;                    /* bytes handed to tcp_write */
	bool closing;                   /* tcp_close done on the client */
	uint32_t rx;                    /* bytes the server received */
	uint32_t bad;                   /* of which differ from the pattern */
	volatile bool done;             /* server saw the FIN, or an error */
	bool error;
} tt;

static uint8_t tx_chunk[8192];

static void tcp_fail(void)
{
	tt.error = true;
	tt.done = true;
}

/* Fills the send buffer; closes (FIN after the data) once all is queued. */
static void client_push(struct tcp_pcb *pcb)
{
	while (tt.tx < TCP_TEST_BYTES) {
		uint32_t n = TCP_TEST_BYTES - tt.tx;
		if (n > sizeof(tx_chunk))
			n = sizeof(tx_chunk);
		if (n > tcp_sndbuf(pcb))
			n = tcp_sndbuf(pcb);
		if (n == 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			tx_chunk[i] = pattern(tt.tx + i);
		err_t err = tcp_write(pcb, tx_chunk, (u16_t)n, TCP_WRITE_FLAG_COPY |
				      (tt.tx + n < TCP_TEST_BYTES ? TCP_WRITE_FLAG_MORE : 0));
		if (err == ERR_MEM)
			break;          /* queue full: the sent callback comes back */
		if (err != ERR_OK) {
			tcp_fail();
			return;
		}
		tt.tx += n;
	}
	tcp_output(pcb);
	if (tt.tx == TCP_TEST_BYTES && !tt.closing && tcp_close(pcb) == ERR_OK) {
		tt.closing = true;
		tt.client = NULL;       /* lwIP owns it now (FIN_WAIT, TIME_WAIT) */
	}
}

static err_t client_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	(void)len;
	if (!tt.closing)
		client_push(pcb);
	return ERR_OK;
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK) {
		tcp_fail();
		return err;
	}
	client_push(pcb);
	return ERR_OK;
}

static void client_err(void *arg, err_t err)
{
	(void)arg;
	(void)err;
	tt.client = NULL;               /* already freed by lwIP */
	if (!tt.done)
		tcp_fail();
}

static err_t server_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	if (p == NULL) {                /* the client's FIN: all data is in */
		tt.done = true;
		tcp_recv(pcb, NULL);
		if (tcp_close(pcb) == ERR_OK)
			return ERR_OK;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return err;
	}
	for (struct pbuf *q = p; q; q = q->next) {
		const uint8_t *b = q->payload;
		for (u16_t i = 0; i < q->len; i++)
			if (b[i] != pattern(tt.rx + i))
				tt.bad++;
		tt.rx += q->len;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void server_err(void *arg, err_t err)
{
	(void)arg;
	(void)err;
	if (!tt.done)
		tcp_fail();
}

static err_t server_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL) {
		tcp_fail();
		return ERR_VAL;
	}
	tcp_recv(pcb, server_recv);
	tcp_err(pcb, server_err);
	return ERR_OK;
}

/*
 * The client closed first, so its pcb waits in TIME_WAIT for two MSLs
 * (two minutes), and lwIP runs its TCP timer four times a second while
 * any pcb does: an idle node woke four times a second more for its first
 * two minutes (docs/network.md "lwIP's TCP timer"). Nothing can send to
 * the loopback test connection any more: its TIME_WAIT protects nothing,
 * and it is dropped once the server's FIN has put it there.
 */
static bool drop_time_wait(void)
{
	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next)
		if (pcb->remote_port == TCP_TEST_PORT && ip_addr_cmp(&pcb->remote_ip, &loopback)) {
			tcp_abort(pcb);         /* in TIME_WAIT: freed, no RST */
			return true;
		}
	return false;
}

static uint32_t tcp_selftest(void)
{
	struct tcp_pcb *listener = tcp_new_ip_type(IPADDR_TYPE_V4);

	if (!listener || tcp_bind(listener, &loopback, TCP_TEST_PORT) != ERR_OK) {
		if (listener)
			tcp_close(listener);
		return 0;
	}
	struct tcp_pcb *l = tcp_listen(listener);
	if (!l) {
		tcp_close(listener);
		return 0;
	}
	tcp_accept(l, server_accept);

	tt.client = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (tt.client) {
		tcp_err(tt.client, client_err);
		tcp_sent(tt.client, client_sent);
		if (tcp_connect(tt.client, &loopback, TCP_TEST_PORT, client_connected) == ERR_OK)
			poll_until(&tt.done, SELFTEST_TIMEOUT_NS);
		else
			tcp_fail();
	}
	if (tt.client) {                /* still ours: it failed before closing */
		tcp_abort(tt.client);
		tt.client = NULL;
	}
	tcp_close(l);
	for (unsigned i = 0; i < TIME_WAIT_POLLS && !drop_time_wait(); i++) {
		poll_once();
		aion_sleep_ns(POLL_NS);
	}
	return tt.error || tt.bad ? 0 : tt.rx;
}

bool selftest(void)
{
	uint64_t t0 = aion_clock_ns();
	bool udp = udp_selftest();
	uint32_t tcp_bytes = tcp_selftest();
	bool ok = udp && tcp_bytes == TCP_TEST_BYTES;
	aion_printf("selftest udp=%s tcp_bytes=%u %s", udp ? "ok" : "FAIL",
		    (unsigned)tcp_bytes, ok ? "ok" : "FAIL");
	aion_printf("selftest ms=%lu polls=%u heap_max=%lu",
		    (unsigned long)((aion_clock_ns() - t0) / MS), polls,
		    (unsigned long)lwip_stats.mem.max);
	return ok;
}

/* node=N from the startup record; 0 when absent or not a number. */
static unsigned parse_node(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char v[16];
	unsigned node = 0;

	if (st->magic != AION_STARTUP_MAGIC || !cmdline_get(st->args, "node", v, sizeof(v)))
		return 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || node > 100000)
			return 0;
		node = node * 10 + (unsigned)(*p - '0');
	}
	return node;
}

/*
 * The server runs on a thread of its own: binding the notification needs
 * a handle to the thread, and the first thread has none. It is bound
 * before it starts, so no signal can come before the binding.
 */
static int64_t start_server(unsigned node)
{
	int64_t n = aion_notify_create();
	if (n < 0)
		return n;
	netd_notify = (aion_handle_t)n;
	uint64_t top = aion_stack_alloc(SERVER_STACK_PAGES);
	if (!top)
		return -AION_ENOMEM;
	uint64_t *sp = (uint64_t *)top;
	sp[-1] = (uint64_t)server_main;         /* read by aion_thread_trampoline */
	sp[-2] = 0;
	int64_t t = aion_thread_create(AION_HANDLE_SELF, (uint64_t)aion_thread_trampoline,
				       top - 16, node, NETD_PRIO);
	if (t < 0)
		return t;
	int64_t err = aion_notify_bind(netd_notify, (aion_handle_t)t);
	if (!err)
		err = aion_thread_start((aion_handle_t)t);
	aion_handle_close((aion_handle_t)t);    /* a started thread lives on without it */
	return err;
}

int64_t aion_main(uint64_t arg)
{
	unsigned node = parse_node(arg);

	lwip_init();                    /* also brings up lo, 127.0.0.1 */
	aion_printf("lwip %s up", LWIP_VERSION_STRING);
	if (!selftest())
		return 1;
	nic_in_start((const struct aion_startup *)arg, node);   /* the NIC inside, if given */
	int64_t err = start_server(node);
	if (err) {
		aion_printf("error server thread err=%s", aion_error_name(err));
		return 1;
	}
	return 0;                       /* the server thread carries on */
}
