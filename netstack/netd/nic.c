/*
 * netd's NIC: the attachment to the driver unit (aion/netring.h) and the
 * lwIP netif on it.
 *
 * netd owns the shared memory object (struct netshm, mapped at SHM_VADDR)
 * and is the producer of tx and the consumer of rx. A frame lwIP sends is
 * copied onto tx (padded to the Ethernet minimum of 60 bytes); a full ring
 * drops it (counted in tx.dropped) and tells lwIP ERR_MEM, so TCP keeps
 * the segment and sends it again. The driver is signalled when tx
 * reaches half full, and when the server loop waits if anything went on
 * tx since (nic_kick: the wait itself signals, SIGNAL_RECV, so the driver
 * runs once netd blocks instead of preempting it and handing the CPU
 * back): at most a few signals per loop turn, never one per frame. Received frames are taken from rx in batches of RX_BATCH per loop
 * turn (a bound on the turn's time) into PBUF_POOL buffers.
 *
 * The driver can be restarted by init. netd then finds out within
 * CHECK_NS: its call on the old endpoint fails with -AION_EDEAD (no unit
 * holds a receive right any more). It takes the link down, looks up
 * its name again (one try per CHECK_NS: the loop never waits for init) and
 * attaches the same memory object, zeroed, to the new driver.
 *
 * Up to NIC_MAX NICs, each a struct nic with its own memory object and
 * liveness check; both drivers signal NETRING_SIGNAL on netd's one
 * notification and every loop turn drains every rx ring. nics[0] is
 * "net0", the mesh (10.77.0.N/24, the default netif). nics[1] is "net1",
 * QEMU's user network carrying the host's port forward (node 1 only):
 * 10.0.2.15/24, gateway 10.0.2.2, not the default; lwIP routes by subnet,
 * so what comes in on it is answered on it. "net1" is looked up without
 * blocking the loop, once per NET1_POLL_NS for NET1_WAIT_NS.
 */
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "aion/netring.h"
#include "common/format.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"
#include "netd.h"
#include "netif_glue.h"

#define SHM_VADDR       0x0000000040000000ull
#define LOOKUP_WAIT_NS  (10000 * MS)
#define ATTACH_WAIT_NS  (5000 * MS)
#define PROBE_WAIT_NS   (50 * MS)
#define CHECK_NS        (1000 * MS)
#define RX_BATCH        NETRING_SLOTS
#define PROBE_HANDLE    AION_HANDLE(0, 0)       /* generation 0: never valid */
#define SHM_STRIDE      0x0000000001000000ull   /* between the NICs' mappings */
#define NET1_WAIT_NS    (3000 * MS)
#define NET1_POLL_NS    (100 * MS)
#define NIC_MAX         2

struct nic {
	const char *name;               /* init's name of the driver */
	bool want;                      /* it exists: keep (re)attaching */
	bool have_netif;                /* en0 was added (first attachment) */
	bool attached;                  /* a live driver has our rings */
	aion_handle_t ep;               /* the driver's endpoint ("net0") */
	aion_handle_t kick;             /* the driver's notification */
	bool polled;                    /* the driver inside, run by this thread */
	aion_handle_t mo;               /* our shared memory object */
	struct netshm *shm;
	struct netif en0;
	struct netif_glue glue;         /* en0's state: rings, MAC, counters */
	ip4_addr_t addr;
	uint64_t tx_dropped_before;     /* of earlier attachments' rings */
	uint64_t rx_dropped_before;
	uint64_t next_check;
	unsigned reattaches;
	bool failing;                   /* the last attach failed (logged once) */
};

static struct nic nics[NIC_MAX] = { { .name = "net0" }, { .name = "net1" } };
static uint64_t net1_until;             /* looking for net1 until then (0: not) */

static void mac_text(const uint8_t *mac, char *out, unsigned size)
{
	fmt_snprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		     mac[3], mac[4], mac[5]);
}

static void signal_driver(struct nic *nic)
{
	nic->glue.kick_pending = false;
	if (nic->polled)
		nic_in_poll(false);     /* the driver inside: its tx now, no signal */
	else
		aion_signal(nic->kick, NETRING_SIGNAL);
}

/* The glue's kick: tx needs the driver now. */
static void glue_kick(void *arg)
{
	signal_driver(arg);
}

/* The rings of a live attachment to the glue, or none (the link is down). */
static void set_attached(struct nic *nic, bool attached)
{
	nic->attached = attached;
	nic->glue.tx = attached ? &nic->shm->tx : NULL;
	nic->glue.rx = attached ? &nic->shm->rx : NULL;
	nic->glue.kick = glue_kick;
	nic->glue.kick_arg = nic;
	if (!attached)
		nic->glue.kick_pending = false;
}

/* NET_ATTACH on nic->ep with our memory object and notification. */
static int64_t attach_call(struct nic *nic)
{
	memset(nic->shm, 0, NETSHM_PAGES * 4096);
	struct aion_msg m = { .tag = AION_TAG(NET_ATTACH, 0, 2) | AION_TAG_ACCEPT(1) };
	netd_buf.caps[0] = nic->mo;
	netd_buf.cap_rights[0] = AION_RIGHT_READ | AION_RIGHT_WRITE;
	netd_buf.caps[1] = netd_notify;
	netd_buf.cap_rights[1] = AION_RIGHT_SEND;
	int64_t err = aion_call(nic->ep, &m, ATTACH_WAIT_NS);
	if (err)
		return err;
	if ((int64_t)m.w[0] || AION_TAG_CAPS(m.tag) != 1) {
		for (unsigned i = 0; i < AION_TAG_CAPS(m.tag) && i < AION_IPC_CAPS_MAX; i++)
			aion_handle_close(netd_buf.caps[i]);
		return (int64_t)m.w[0] ? (int64_t)m.w[0] : -AION_EMALFORMED;
	}
	nic->kick = netd_buf.caps[0];
	for (unsigned i = 0; i < ETH_HWADDR_LEN; i++)
		nic->glue.mac[i] = (uint8_t)(m.w[1] >> (8 * i));
	set_attached(nic, true);
	return 0;
}

/* lwIP's netif on the first attachment; the link again on later ones. */
static bool link_up(struct nic *nic)
{
	char macs[18];

	mac_text(nic->glue.mac, macs, sizeof(macs));
	if (nic->have_netif) {
		memcpy(nic->en0.hwaddr, nic->glue.mac, ETH_HWADDR_LEN);
		netif_set_link_up(&nic->en0);   /* a gratuitous ARP again */
		aion_printf("reattached addr=%s mac=%s count=%u", ip4addr_ntoa(&nic->addr), macs,
			    ++nic->reattaches);
		return true;
	}
	ip4_addr_t mask, gw;
	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_zero(&gw);
	if (nic != &nics[0])
		IP4_ADDR(&gw, 10, 0, 2, 2);     /* QEMU's user-net gateway */
	if (!netif_add(&nic->en0, &nic->addr, &mask, &gw, &nic->glue, netif_glue_init,
		       ethernet_input)) {
		aion_printf("error netif_add");
		return false;
	}
	nic->have_netif = true;
	if (nic == &nics[0])
		netif_set_default(&nic->en0);
	netif_set_up(&nic->en0);        /* link up too: a gratuitous ARP goes out */
	if (nic == &nics[0])
		aion_printf("up addr=%s mac=%s shm_pages=%lu", ip4addr_ntoa(&nic->addr), macs,
			    (unsigned long)NETSHM_PAGES);
	else
		aion_printf("up addr=%s mac=%s name=%s", ip4addr_ntoa(&nic->addr), macs,
			    nic->name);
	return true;
}

/* Attaches to the driver endpoint ep (ours to keep or close). */
static void attach_ep(struct nic *nic, aion_handle_t ep)
{
	nic->ep = ep;
	int64_t err = attach_call(nic);
	if (!err && !link_up(nic)) {
		set_attached(nic, false);
		aion_handle_close(nic->kick);
		err = -AION_ENOMEM;
	}
	if (err) {
		if (!nic->failing)      /* once per run of failures: retried every CHECK_NS */
			aion_printf("error attach %s err=%s (retrying)", nic->name,
				    aion_error_name(err));
		aion_handle_close(nic->ep);
		nic->ep = nic->kick = 0;
	}
	nic->failing = err != 0;
}

/* Our memory object for nic (mapped), then the attachment to ep; false if no memory. */
static bool nic_start(struct nic *nic, aion_handle_t ep)
{
	uint64_t va = SHM_VADDR + (uint64_t)(nic - nics) * SHM_STRIDE;
	int64_t mo = aion_memory_create_mapped(NETSHM_PAGES, va);
	if (mo < 0) {
		aion_printf("error %s shared memory pages=%lu err=%s", nic->name,
			    (unsigned long)NETSHM_PAGES, aion_error_name(mo));
		aion_handle_close(ep);
		return false;
	}
	nic->mo = (aion_handle_t)mo;
	nic->shm = (struct netshm *)va;
	nic->want = true;               /* from now on nic_check retries */
	nic->next_check = aion_clock_ns() + CHECK_NS;
	attach_ep(nic, ep);
	return true;
}

static bool attach_net0(unsigned node)
{
	struct nic *nic = &nics[0];

	if (node < 1 || node > 254) {
		aion_printf("no address for node=%u (want 1..254): loopback only", node);
		return false;
	}
	IP4_ADDR(&nic->addr, 10, 77, 0, node);
	int64_t ep = init_lookup(SVC_INIT_EP, &netd_buf, nic->name, LOOKUP_WAIT_NS);
	if (ep == -AION_ENOENT) {
		aion_printf("no nic");
		return false;
	}
	if (ep < 0) {
		aion_printf("error lookup net0 err=%s: loopback only", aion_error_name(ep));
		return false;
	}
	if (!nic_start(nic, (aion_handle_t)ep))
		return false;
	return nic->attached;
}

bool nic_attach(unsigned node)
{
	bool up = attach_net0(node);

	if (up && nic_in_take())
		nics[0].polled = true;

	IP4_ADDR(&nics[1].addr, 10, 0, 2, 15);  /* QEMU's user net: the guest's address */
	net1_until = aion_clock_ns() + NET1_WAIT_NS;    /* the server loop looks (find_net1) */
	return up;
}

/* Frames from one NIC's rx ring into lwIP; true if a whole batch was taken. */
static bool rx_one(struct nic *nic)
{
	return nic->attached && netif_glue_rx(&nic->en0, RX_BATCH);
}

bool nic_rx(void)
{
	bool more = false;

	for (unsigned i = 0; i < NIC_MAX; i++)
		more |= rx_one(&nics[i]);
	return more;
}

aion_handle_t nic_kick(void)
{
	struct nic *last = NULL;

	for (unsigned i = 0; i < NIC_MAX; i++) {
		if (nics[i].attached)
			netif_glue_flush(&nics[i].glue);        /* the ACKs held this turn */
		if (!nics[i].attached || !nics[i].glue.kick_pending)
			continue;
		if (nics[i].polled) {
			signal_driver(&nics[i]);        /* runs its tx now */
			continue;
		}
		if (last)
			signal_driver(last);
		last = &nics[i];
	}
	if (!last)
		return 0;
	last->glue.kick_pending = false;
	return last->kick;
}

/* The driver is gone: keep what its rings counted, drop its capabilities. */
static void detach(struct nic *nic)
{
	set_attached(nic, false);
	nic->rx_dropped_before += __atomic_load_n(&nic->shm->rx.dropped, __ATOMIC_RELAXED);
	nic->tx_dropped_before += nic->shm->tx.dropped;
	aion_handle_close(nic->ep);
	aion_handle_close(nic->kick);
	nic->ep = nic->kick = 0;
	netif_set_link_down(&nic->en0);
}

/* One NIC's periodic work; when it wants to run next (0: never). */
static uint64_t check_one(struct nic *nic, uint64_t now)
{
	/* A polled driver is this unit's own thread: it cannot go alone, and
	 * a check a second would wake an idle node for nothing. */
	if (!nic->want || nic->polled)
		return 0;
	if (now < nic->next_check)
		return nic->next_check;
	nic->next_check = now + CHECK_NS;
	if (!nic->attached) {
		/* Once per CHECK_NS, no waiting: not registered (again) yet, or attach failed. */
		int64_t ep = init_lookup(SVC_INIT_EP, &netd_buf, nic->name, 0);
		if (ep >= 0)
			attach_ep(nic, (aion_handle_t)ep);
		return nic->next_check;
	}
	/*
	 * Liveness, unseen by the driver: a call carrying an invalid handle.
	 * On an endpoint nobody can receive from any more it fails at once
	 * with -AION_EDEAD; on a live one the kernel refuses to deliver it
	 * (-AION_ECAP, the sender's fault) when the driver next receives, or
	 * it times out while the driver is busy.
	 */
	struct aion_msg m = { .tag = AION_TAG(NET_ATTACH, 0, 1) };
	netd_buf.caps[0] = PROBE_HANDLE;
	netd_buf.cap_rights[0] = AION_RIGHT_SEND;
	if (aion_call(nic->ep, &m, PROBE_WAIT_NS) == -AION_EDEAD) {
		aion_printf("driver gone: link down, waiting for %s", nic->name);
		detach(nic);
	}
	return nic->next_check;
}

/* net1 while it may still appear: a lookup per NET1_POLL_NS, never waiting. */
static uint64_t find_net1(uint64_t now)
{
	static uint64_t next;

	if (!net1_until || now < next)
		return net1_until ? next : 0;
	next = now + NET1_POLL_NS;
	int64_t ep = init_lookup(SVC_INIT_EP, &netd_buf, nics[1].name, 0);
	if (ep >= 0) {
		net1_until = 0;
		nic_start(&nics[1], (aion_handle_t)ep);
		return 0;
	}
	if (ep != -AION_ENOENT || now >= net1_until) {
		if (ep == -AION_ENOENT)
			aion_printf("no net1");
		else
			aion_printf("error lookup net1 err=%s", aion_error_name(ep));
		net1_until = 0;
		return 0;
	}
	return next;
}

static uint64_t sooner(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

uint64_t nic_check(uint64_t now)
{
	uint64_t at = find_net1(now);

	for (unsigned i = 0; i < NIC_MAX; i++)
		at = sooner(at, check_one(&nics[i], now));
	return at;
}

unsigned nic_info(char *out, unsigned size)
{
	struct nic *nic = &nics[0];

	char addr[16] = "none", macs[18] = "none";
	uint64_t rx_dropped = nic->rx_dropped_before + nic->glue.rx_nobuf;
	uint64_t tx_dropped = nic->tx_dropped_before;

	if (nic->have_netif) {
		fmt_snprintf(addr, sizeof(addr), "%s", ip4addr_ntoa(&nic->addr));
		mac_text(nic->glue.mac, macs, sizeof(macs));
	}
	if (nic->attached) {
		rx_dropped += __atomic_load_n(&nic->shm->rx.dropped, __ATOMIC_RELAXED);
		tx_dropped += nic->shm->tx.dropped;
	}
	int n = fmt_snprintf(out, size, "addr=%s mac=%s rx=%lu tx=%lu rx_dropped=%lu tx_dropped=%lu "
			     "udp_dropped=%lu ring_tx_errors=%lu",
			     addr, macs, (unsigned long)nic->glue.rx_frames,
			     (unsigned long)nic->glue.tx_frames,
			     (unsigned long)rx_dropped, (unsigned long)tx_dropped,
			     (unsigned long)sock_udp_dropped, (unsigned long)sock_ring_tx_errors);
	return n < 0 ? 0 : (unsigned)n < size ? (unsigned)n : size - 1;
}
