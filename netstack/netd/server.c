/*
 * netd's server thread: it owns lwIP from here on. One loop waits in RECV
 * on netd's endpoint ("net", aion/net.h) with the notification the driver
 * signals bound to the thread, so one wait covers client calls, received
 * frames and, through the timeout, lwIP's timers, ping deadlines and the
 * driver check. After every wake-up it takes frames from rx, runs the
 * loopback queue and due timers, advances a ping, and signals the driver
 * if frames went on tx. Nothing in the loop blocks for long: the calls it
 * makes itself (the driver check, a re-attach) carry short timeouts.
 */
#include "libaion/initclient.h"
#include "libaion/serve.h"
#include "aion/initproto.h"
#include "aion/net.h"
#include "aion/netring.h"
#include "aion/socket.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/priv/tcp_priv.h"        /* tcp_active_pcbs, tcp_tw_pcbs: wait_ns */
#include "netd.h"

/* Every wait has its deadline (lwIP's timers, pings, the NIC check,
 * sockets): this bound only backs them up. At 100 ms an idle netd woke
 * ten times a second for nothing (docs/network.md). */
#define WAIT_MAX_NS     (1000 * MS)
#define WAIT_MIN_NS     (1 * US)        /* more work waits: just look for calls */

struct aion_ipc_buffer netd_buf __attribute__((aligned(4096)));
aion_handle_t netd_notify;

/* NET_INFO: the text of nic_info. */
static int64_t on_info(struct aion_serve_req *r)
{
	char text[AION_IPC_PAYLOAD_MAX];
	aion_serve_put(r, text, nic_info(text, sizeof(text)));
	return 0;
}

/* NET_PING: payload the address, w0 = count, w1 = timeout in ms; answered
 * from the loop (ping.c) when the echoes are in. */
static int64_t on_ping(struct aion_serve_req *r)
{
	const char *addr = (const char *)r->data;
	uint64_t count = r->msg.w[0], timeout_ms = r->msg.w[1];
	int64_t err = ping_check(addr, r->len, count, timeout_ms);
	if (!err && ping_busy())
		err = -AION_EBUSY;
	int64_t reply = err ? err : aion_serve_save(r);
	if (reply < 0)
		return reply;
	err = ping_start(addr, r->len, count, timeout_ms, (aion_handle_t)reply);
	if (err)
		aion_serve_answer_status((aion_handle_t)reply, NET_PING, err);
	return 0;
}

#define NO_CAPS .caps = AION_SERVE_CAPS_NONE    /* nothing of netd's takes any */

/* A socket's badge goes first: on its capability every label is a socket call. */
static const struct aion_serve_op netd_ops[] = {
	{ .label = AION_SERVE_ANY_LABEL, .fn = sock_call,     /* sock_ops say which take any */
	  AION_SERVE_BADGES(SOCK_BADGE_BASE, SOCK_BADGE_BASE + SOCK_MAX - 1) },
	{ .label = SOCK_UDP_OPEN, .fn = sock_udp_open, NO_CAPS },
	{ .label = SOCK_TCP_LISTEN, .fn = sock_tcp_listen, NO_CAPS },
	{ .label = SOCK_TCP_CONNECT, .fn = sock_tcp_connect, NO_CAPS },
	{ .label = NET_INFO, .fn = on_info, NO_CAPS },
	{ .label = NET_PING, .fn = on_ping, NO_CAPS },
};
static const struct aion_serve_table netd_table = AION_SERVE_TABLE(netd_ops, -AION_EINVAL);

static uint64_t earlier(uint64_t ns, uint64_t at, uint64_t now)
{
	if (!at)
		return ns;
	uint64_t left = at > now ? at - now : 0;
	return left < ns ? left : ns;
}

/*
 * How long RECV may wait: until the first of lwIP's timers, a ping, the
 * NIC check, a socket deadline. With no TCP pcb active or in TIME_WAIT,
 * lwIP's timers are ARP's and reassembly's, once a second and in no
 * hurry: they run at whatever pass comes first, WAIT_MAX_NS at the
 * latest, so a node whose packets come more often than that does not
 * wake for them (docs/network.md "lwIP's TCP timer").
 */
static uint64_t wait_ns(uint64_t now, uint64_t ping_at, uint64_t check_at, uint64_t sock_at)
{
	uint64_t ns = WAIT_MAX_NS;
	u32_t ms = sys_timeouts_sleeptime();
	bool housekeeping = !tcp_active_pcbs && !tcp_tw_pcbs;

	if (!housekeeping && ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE && (uint64_t)ms * MS < ns)
		ns = (uint64_t)ms * MS;
	ns = earlier(ns, ping_at, now);
	ns = earlier(ns, check_at, now);
	ns = earlier(ns, sock_at, now);
	return ns < WAIT_MIN_NS ? WAIT_MIN_NS : ns;
}

static bool loopback_pending(void)
{
	struct netif *n;

	NETIF_FOREACH(n)
		if (n->loop_first)
			return true;
	return false;
}

int64_t server_main(uint64_t node)
{
	int64_t err = aion_ipc_buffer(&netd_buf);
	if (err) {
		aion_printf("error ipc buffer err=%s", aion_error_name(err));
		return 1;
	}
	if (!ping_init()) {
		aion_printf("error ping pcb");
		return 1;
	}
	nic_attach((unsigned)node);     /* logs up, no nic, or the error */
	int64_t ep = aion_endpoint_create();
	if (ep < 0 || (err = init_register(SVC_INIT_EP, &netd_buf, "net", (aion_handle_t)ep,
					   AION_RIGHT_SEND | AION_RIGHT_GRANT))) {
		aion_printf("error register net err=%s", aion_error_name(ep < 0 ? ep : err));
		return 1;
	}
	sock_init((aion_handle_t)ep);
	aion_printf("serving name=net");

	uint64_t ping_at = 0, check_at = 0, sock_at = 0;
	bool more = false;
	unsigned recv_errors = 0;
	for (;;) {
		aion_handle_t kick = nic_kick();
		uint64_t now = aion_clock_ns();
		uint64_t wait = more ? WAIT_MIN_NS : wait_ns(now, ping_at, check_at, sock_at);
		struct aion_msg m;
		/* The driver runs once we wait, not in between: a switch saved. */
		err = kick ? aion_signal_recv((aion_handle_t)ep, kick, NETRING_SIGNAL, &m, wait) :
			     aion_recv((aion_handle_t)ep, &m, wait);
		if (!err && !(m.tag & AION_TAG_NOTIFY)) {
			/* A reply that fails is a caller gone meanwhile: nothing to undo. */
			aion_serve(&netd_table, &netd_buf, &m, AION_TAG_LABEL(m.tag));
		} else if (err && err != -AION_ETIMEDOUT) {
			if (recv_errors++ == 0)
				aion_printf("error recv err=%s", aion_error_name(err));
			aion_sleep_ns(10 * MS);         /* no busy loop on a broken endpoint */
		}
		if (!err && (m.tag & AION_TAG_NOTIFY) && (m.w[0] & NETD_NIC_IRQ))
			nic_in_poll(true);      /* the NIC inside: its frames onto rx */
		/* Bound notification (rx), a call, or a timeout: all the same work. */
		more = nic_rx();
		netif_poll_all();
		sys_check_timeouts();
		now = aion_clock_ns();
		ping_at = ping_poll(now);
		check_at = nic_check(now);
		sock_at = sock_poll(now);
		more = more || loopback_pending();
	}
}
