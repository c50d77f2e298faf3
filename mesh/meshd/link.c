/*
 * meshd's link: mesh packets over netd's UDP (one socket on MESH_PORT),
 * the cluster key's MAC on every packet, the replay window of every peer
 * (mesh/replay.h), and the membership protocol.
 *
 * Node N's address is 10.77.0.N; discovery is a PING broadcast to
 * 10.77.0.255 (mesh_members_announce_ns: every second until this node
 * sees its members, then every 10 s). Such a PING names no boot of the
 * receiver (dst_boot 0) and could be a replay, so it is no sign of life:
 * it only makes the receiver probe the sender with a PING that names the
 * sender's boot, and the answer to that is (docs/mesh-transport.md).
 *
 * A packet goes through, in this order: the cheap checks (shape, cluster,
 * source address, source not rate-limited: a drop costs no hash), the MAC
 * (a failure takes a token from the source's bucket), the replay window,
 * then the handler with the authenticated (src, src_boot).
 */
#include "meshd.h"
#include "consensus.h"
#include "common/format.h"
#include "mesh/mac.h"
#include "mesh/replay.h"

#define NET_BASE        0x0a4d0000u     /* 10.77.0.0 */
#define NET_BROADCAST   0x0a4d00ffu

_Static_assert(MESH_PACKET_MAX <= AION_IPC_PAYLOAD_MAX, "a packet fits one netd datagram");
_Static_assert(MESH_RPC_LEN_MAX <= MESH_PAYLOAD_MAX, "a whole remote call fits one packet");
_Static_assert(MESH_MSG_PAYLOAD_MAX <= MESH_PAYLOAD_MAX, "a membership message fits one packet");

/*
 * Packets with a bad MAC, per source address: a bucket of BAD_BURST
 * tokens refilled at BAD_RATE a second. Each such packet costs a MAC;
 * with the bucket empty, link_drain drops everything from that address
 * until the next token is due, unchecked. A node with the right key never
 * fails the MAC, so only a wrong key or a forger is slowed.
 */
#define BAD_BURST       32u
#define BAD_RATE        16u                     /* tokens per second */
#define BAD_TOKEN_NS    (1000 * MS / BAD_RATE)

struct mesh_members members;
struct mesh_stats rx_stats;
uint64_t tx_packets, tx_errors;
static uint64_t rx_bad_payload, rx_not_ours, tx_no_boot, rx_discovery;
/* Packets sent and accepted (past the MAC and replay window), by type:
 * what an idle node spends its wakeups on (bench/idle). */
static uint64_t tx_by_type[MESH_TYPE_MAX + 1], rx_by_type[MESH_TYPE_MAX + 1];

static struct sock_ctx link_ctx;
/* The mesh port's socket and its rings (SOCK_RING): datagrams in and out
 * without a call each (docs/network.md "Socket rings"). The main thread
 * alone uses them: it sends (tx_pkt, the ring's producer side) and
 * signals netd when it waits (link_wait), and takes from rx (link_drain)
 * when ring_note, bound to it, ends that wait. */
static aion_handle_t rx_sock;
static struct sock_ring ring;
static aion_handle_t ring_note;
#define RING_BIT        1ull
static uint64_t tx_seq;                 /* per boot, from 1 */
/* The last discovery broadcast; 0: none yet. The next is due from it by
 * what membership looks like now, so a member lost brings it closer. */
static uint64_t last_announce;
static unsigned configured_nodes;       /* the nodes the cluster was set up with */

/*
 * Cluster keys: one, or two while a rotation is under way (link_key_*).
 * A retired key is still accepted for KEY_RETIRE_GRACE_NS: "use" and
 * "retire" reach the nodes one after the other, so a packet MACed with
 * the old key by a node that had not switched yet, or still queued in
 * netd or on the switch, arrives after the retire and is not refused.
 */
#define KEY_RETIRE_GRACE_NS     (2000 * MS)

struct link_key {
	struct mesh_mac mac;
	uint8_t id;                     /* mesh_key_id */
	bool live;
	uint64_t drop_at;               /* retiring: dropped then; 0: kept */
};
static struct link_key keys[MESH_MAC_CONTEXTS];
static unsigned send_key;               /* keys[] index packets are sent with */

/* Per source node (the address's last byte): its replay window, and the
 * bad-MAC bucket (quiet_until: dropped unchecked until then). */
static struct mesh_replay windows[256];
static uint64_t bad_tokens[256], bad_refill[256];
static uint64_t quiet_until[256];
/* The drops before the MAC (link_drain); `mesh stats` adds them to
 * rx_stats. */
static struct mesh_stats rx_early;
static uint64_t rx_early_not_ours;

static uint8_t tx_pkt[MESH_PACKET_MAX];

int64_t link_send(uint16_t dst, uint8_t type, const void *payload, size_t len)
{
	struct mesh_hdr h = {
		.type = type, .cluster_id = cluster_id, .src = self_node, .dst = dst,
		.src_boot = self_boot, .key_id = keys[send_key].id,
	};
	if (dst != MESH_NODE_NONE && dst < 256)
		h.dst_boot = windows[dst].boot;
	/* Until dst's boot is known, only a PING can go (replay.h): the
	 * first packet from dst teaches it, and its broadcast PING asks. */
	if (h.dst_boot == 0 && !mesh_replay_unknown_dst_ok(type)) {
		tx_no_boot++;
		return -AION_EAGAIN;
	}
	if (!keys[send_key].live || !self_boot)
		return -AION_EAGAIN;
	h.seq = ++tx_seq;
	uint64_t t0 = aion_clock_ns();
	int n = mesh_encode(&h, payload, len, tx_pkt, sizeof(tx_pkt), mesh_mac_compute,
			    &keys[send_key].mac);
	int64_t err = n;
	if (err >= 0) {
		uint32_t addr = dst == MESH_NODE_NONE ? NET_BROADCAST : NET_BASE + dst;
		err = sock_ring_send(&ring, addr, MESH_PORT, tx_pkt, (size_t)n);
		/* Half a ring queued: netd takes it now (a burst, bulk data). */
		if (!err && ring.queued >= NETRING_SLOTS / 2)
			err = sock_ring_kick(&ring);
	}
	timing_send(aion_clock_ns() - t0);
	if (err < 0) {
		if (tx_errors++ < 3)    /* the first few say why; `mesh stats` counts all */
			mlog("error: send to node=%u type=%u failed err=%s", dst, type,
			     aion_error_name(err));
		return err;
	}
	tx_packets++;
	tx_by_type[type]++;             /* valid: mesh_encode took it */
	return 0;
}

int64_t link_wait(aion_handle_t ep, struct aion_msg *m, uint64_t timeout_ns)
{
	if (!ring.queued)
		return aion_recv(ep, m, timeout_ns);
	ring.queued = 0;
	return aion_signal_recv(ep, ring.kick, SOCKRING_KICK, m, timeout_ns);
}

static void send_msgs(const struct mesh_msg *out, int n);

/*
 * A membership message to everyone other than a discovery PING (the
 * urgent GOSSIP of a change: a death, a suspicion, a refutation) goes to
 * each member not dead, one by one: a broadcast names no boot of its
 * receiver, so only a PING may be one (replay.h) and link_send would
 * refuse it.
 */
static void send_to_members(const struct mesh_msg *msg)
{
	for (uint32_t i = 0; i < members.count; i++) {
		if (members.m[i].state == MESH_STATE_DEAD)
			continue;
		struct mesh_msg one = *msg;
		one.to = members.m[i].node;
		send_msgs(&one, 1);
	}
}

static void send_msgs(const struct mesh_msg *out, int n)
{
	uint8_t payload[MESH_PAYLOAD_MAX];
	for (int i = 0; i < n; i++) {
		if (out[i].to == MESH_NODE_NONE && out[i].type != MESH_MSG_PING) {
			send_to_members(&out[i]);
			continue;
		}
		struct mesh_hdr h;
		int len = mesh_msg_to_wire(&out[i], &h, payload, sizeof(payload));
		if (len < 0) {
			mlog("error: membership message not encoded err=%s", aion_error_name(len));
			continue;
		}
		link_send(h.dst, h.type, payload, (size_t)len);
	}
}

static void member_event(void *ctx, uint64_t now, uint16_t node, int old_state,
			 int new_state, uint32_t incarnation)
{
	(void)ctx;
	meshd_news = true;
	mlog("member node=%u state=%s old=%s inc=%u t_ms=%lu", node, mesh_state_name(new_state),
	     mesh_state_name(old_state), incarnation, (unsigned long)(now / MS));
	if (new_state == MESH_STATE_DEAD) {
		calls_node_dead(node);
		cons_node_dead(node);
	}
}

/*
 * The mesh port. A meshd started again after the last one was killed may
 * find it still held: netd frees a dead owner's socket only when it next
 * answers that socket's pending receive, which needs a datagram, and a
 * node cut off by a partition gets none. So it asks again every
 * BIND_RETRY_NS, for BIND_WAIT_NS at most, then fails (init starts meshd
 * again later).
 */
#define BIND_RETRY_NS   (250 * MS)
#define BIND_WAIT_NS    (120000 * MS)

static int64_t open_port(void)
{
	uint64_t end = aion_clock_ns() + BIND_WAIT_NS;
	int64_t err;
	while ((err = sock_udp_open(&link_ctx, MESH_PORT, &rx_sock)) == -AION_EADDRINUSE &&
	       aion_clock_ns() < end) {
		if (end - aion_clock_ns() > BIND_WAIT_NS - BIND_RETRY_NS)
			mlog("port %u still held by the meshd before this one: waiting", MESH_PORT);
		aion_sleep_ns(BIND_RETRY_NS);
	}
	return err;
}

static void key_drop(unsigned i)
{
	mlog("key dropped id=%u", keys[i].id);
	mesh_mac_free(&keys[i].mac);
	keys[i].live = false;
	keys[i].drop_at = 0;
}

int64_t link_key_add(const uint8_t *key, size_t len)
{
	if (len < MESH_KEY_MIN || len > MESH_KEY_MAX)
		return -AION_EINVAL;
	/* A new rotation ends the last one's grace at once. */
	for (unsigned i = 0; i < MESH_MAC_CONTEXTS; i++)
		if (keys[i].live && keys[i].drop_at)
			key_drop(i);
	uint8_t id = mesh_key_id(key, len);
	unsigned slot = MESH_MAC_CONTEXTS;
	for (unsigned i = 0; i < MESH_MAC_CONTEXTS; i++) {
		if (!keys[i].live && slot == MESH_MAC_CONTEXTS)
			slot = i;
	}
	if (slot == MESH_MAC_CONTEXTS)
		return -AION_EBUSY;             /* two live: retire one first */
	int64_t err = mesh_mac_init(&keys[slot].mac, key, len);
	if (err)
		return err;
	keys[slot].id = id;
	keys[slot].live = true;
	keys[slot].drop_at = 0;
	mlog("key added id=%u slot=%u", id, slot);
	return 0;
}

int64_t link_key_use(void)
{
	for (unsigned i = 0; i < MESH_MAC_CONTEXTS; i++) {
		if (keys[i].live && !keys[i].drop_at && i != send_key) {
			send_key = i;
			mlog("key in use id=%u", keys[i].id);
			return 0;
		}
	}
	return keys[send_key].live ? 0 : -AION_ENOENT;
}

int64_t link_key_retire(void)
{
	for (unsigned i = 0; i < MESH_MAC_CONTEXTS; i++) {
		if (keys[i].live && !keys[i].drop_at && i != send_key) {
			keys[i].drop_at = aion_clock_ns() + KEY_RETIRE_GRACE_NS;
			mlog("key retired id=%u grace_ms=%u", keys[i].id,
			     (unsigned)(KEY_RETIRE_GRACE_NS / MS));
		}
	}
	return 0;
}

int64_t link_init(struct sock_ctx *ctx, const uint8_t *key, size_t key_len, unsigned detect_scale,
		  unsigned configured)
{
	configured_nodes = configured;
	link_ctx = *ctx;
	int64_t err = link_key_add(key, key_len);
	if (err)
		return err;
	if ((err = open_port()))
		return err;
	int64_t note = aion_notify_create();
	if (note < 0)
		return note;
	ring_note = (aion_handle_t)note;
	if ((err = sock_ring_attach(&link_ctx, rx_sock, MESHD_RING_VA, ring_note, RING_BIT, &ring)))
		return err;
	/* link_init runs on the main thread: its RECV returns the ring's news. */
	int64_t self = aion_thread_self();
	if (self < 0)
		return self;
	err = aion_notify_bind(ring_note, (aion_handle_t)self);
	aion_handle_close((aion_handle_t)self);
	if (err)
		return err;
	uint64_t now = aion_clock_ns();
	struct mesh_member_config cfg;
	if ((err = mesh_member_scaled_config(&cfg, detect_scale)))
		return err;
	mlog("membership: detect_scale=%u period_ms=%u probe_timeout_ms=%u suspect_ms=%u..%u",
	     detect_scale, (unsigned)(cfg.period_ns / MS), (unsigned)(cfg.probe_timeout_ns / MS),
	     (unsigned)(cfg.suspect_min_ns / MS), (unsigned)(cfg.suspect_max_ns / MS));
	return mesh_members_init(&members, self_node, now, &cfg, member_event, NULL);
}

bool node_alive(uint16_t node)
{
	if (node == self_node)
		return true;
	int s = mesh_members_state(&members, node, NULL);
	return s == MESH_STATE_ALIVE || s == MESH_STATE_SUSPECT;
}

/*
 * A PING with dst_boot 0 (a broadcast announcement, or a node that does not
 * know our boot yet): it may be a capture replayed to us after we
 * restarted, so membership never sees it. We answer with a PING naming
 * the boot it claims; only a node at that boot takes it, and only its
 * answer (to our boot) counts as life. A broadcast from a node we already
 * see alive at that boot needs no answer.
 */
static void on_discovery(const struct mesh_hdr *h, bool new_boot)
{
	rx_discovery++;
	meshd_news = true;
	if (h->dst == MESH_NODE_NONE && !new_boot && node_alive(h->src))
		return;
	struct mesh_msg probe = {
		.type = MESH_MSG_PING, .from = self_node, .to = h->src,
		.target = MESH_NODE_NONE,
		.clock = mesh_members_clock_ms(&members),
	};
	send_msgs(&probe, 1);
}

static void on_member_packet(const struct mesh_hdr *h, const uint8_t *payload, size_t len,
			     bool new_boot)
{
	struct mesh_msg msg, out[MESH_RECV_MSGS_MAX];
	int err = mesh_msg_from_wire(h, payload, len, &msg);
	if (err) {
		rx_bad_payload++;
		return;
	}
	if (h->dst_boot == 0) {
		on_discovery(h, new_boot);
		return;
	}
	int n = mesh_members_receive(&members, aion_clock_ns(), &msg, out, MESH_RECV_MSGS_MAX);
	if (n < 0)
		rx_bad_payload++;
	else
		send_msgs(out, n);
}

/* Is source address byte a over its bad-MAC budget right now? */
static bool quiet(unsigned a, uint64_t now)
{
	return now < quiet_until[a];
}

/* A packet from address byte a failed the MAC: take a token. */
static void bad_mac_from(unsigned a, uint64_t now)
{
	if (bad_refill[a] == 0) {
		bad_tokens[a] = BAD_BURST;
		bad_refill[a] = now;
	}
	uint64_t due = (now - bad_refill[a]) / BAD_TOKEN_NS;
	if (due) {
		bad_tokens[a] = bad_tokens[a] + due > BAD_BURST ? BAD_BURST : bad_tokens[a] + due;
		bad_refill[a] += due * BAD_TOKEN_NS;
	}
	if (bad_tokens[a] > 0)
		bad_tokens[a]--;
	if (bad_tokens[a] == 0)
		quiet_until[a] = bad_refill[a] + BAD_TOKEN_NS;
}

/* mesh_decode with the key the packet names (both when two share an id). */
static int decode(const uint8_t *pkt, size_t len, struct mesh_hdr *h, const uint8_t **payload)
{
	uint8_t id = 0;
	int n = mesh_peek(pkt, len, cluster_id, NULL, &id);
	if (n)
		return n;
	n = -AION_ERIGHTS;
	for (unsigned k = 0; k < MESH_MAC_CONTEXTS && n == -AION_ERIGHTS; k++) {
		unsigned i = (send_key + k) % MESH_MAC_CONTEXTS;     /* the key in use first */
		if (keys[i].live && keys[i].id == id)
			n = mesh_decode(pkt, len, cluster_id, h, payload, mesh_mac_compute,
					&keys[i].mac);
	}
	return n;
}

void link_receive(const uint8_t *pkt, size_t len, uint32_t src_addr, uint64_t got_ns)
{
	struct mesh_hdr h;
	const uint8_t *payload;
	unsigned a = src_addr & 0xffu;
	uint64_t now = aion_clock_ns();

	timing_rx_queued(now > got_ns ? now - got_ns : 0);
	if (quiet(a, now)) {
		rx_stats.rx++;
		rx_stats.rx_rate_limited++;
		return;
	}
	int n = decode(pkt, len, &h, &payload);
	mesh_stats_count(&rx_stats, n);
	if (n == -AION_ERIGHTS)
		bad_mac_from(a, now);
	if (n < 0)
		return;
	/* Authentic, but not for us, or claiming an address it does not have. */
	if (h.src == self_node || h.src == 0 || h.src >= 255 || src_addr != NET_BASE + h.src ||
	    (h.dst != self_node && h.dst != MESH_NODE_NONE) ||
	    (h.dst == MESH_NODE_NONE && h.dst_boot != 0)) {
		rx_not_ours++;
		return;
	}
	uint32_t boot_before = windows[h.src].boot;
	enum mesh_replay_verdict v = mesh_replay_check(&windows[h.src], self_boot, &h);
	if (v != MESH_REPLAY_OK) {
		rx_stats.rx_replayed++;
		return;
	}
	rx_by_type[h.type]++;           /* valid: decode took it */
	bool new_boot = windows[h.src].boot != boot_before;
	if (new_boot) {
		meshd_news = true;
		mlog("peer node=%u boot=%u (was %u)", h.src, h.src_boot, boot_before);
		/* Before membership hears this boot's ALIVE: a rejoin is no
		 * refutation. (A capture replayed to us can only set a boot
		 * after we restarted ourselves, when we hold nothing of it.) */
		mesh_members_new_boot(&members, h.src);
	}
	switch (h.type) {
	case MESH_PING:
	case MESH_PING_REQ:
	case MESH_ACK:
		on_member_packet(&h, payload, (size_t)n, new_boot);
		return;
	case MESH_CALL:
	case MESH_REPLY: {
		static struct mesh_rpc r;
		/* A call is made by one boot of its caller: the payload's must be
		 * the one the header (MAC, replay window) vouches for. */
		if (h.dst != self_node || mesh_rpc_decode(payload, (size_t)n, &r) ||
		    (h.type == MESH_CALL && r.boot != h.src_boot)) {
			rx_bad_payload++;
			return;
		}
		if (h.type == MESH_CALL)
			serve_on_call(h.src, h.src_boot, r.owner_boot, &r);
		else
			calls_on_reply(h.src, h.src_boot, &r);
		return;
	}
	case MESH_SCHED:
		meshd_news = true;
		if (h.dst != self_node)
			rx_bad_payload++;
		else
			cluster_receive(h.src, payload, (size_t)n);
		return;
	case MESH_RAFT:
		meshd_news = true;
		if (h.dst != self_node)
			rx_bad_payload++;
		else
			cons_receive(h.src, payload, (size_t)n);
		return;
	case MESH_CALL_ACK:
	case MESH_ERROR: {
		struct mesh_status s;
		if (h.dst != self_node || mesh_status_decode(payload, (size_t)n, &s)) {
			rx_bad_payload++;
			return;
		}
		calls_on_status(h.src, h.src_boot, h.type, &s);
		return;
	}
	case MESH_BULK_DATA:
	case MESH_BULK_ACK:
		meshd_news = true;
		if (h.dst != self_node)
			rx_bad_payload++;
		else if (h.type == MESH_BULK_DATA)
			bulk_on_data(h.src, h.src_boot, payload, (size_t)n);
		else
			bulk_on_ack(h.src, payload, (size_t)n);
		return;
	default:
		rx_bad_payload++;
	}
}

static uint64_t keys_deadline(void)
{
	uint64_t d = UINT64_MAX;
	for (unsigned i = 0; i < MESH_MAC_CONTEXTS; i++)
		if (keys[i].live && keys[i].drop_at && keys[i].drop_at < d)
			d = keys[i].drop_at;
	return d;
}

static void keys_tick(uint64_t now)
{
	for (unsigned i = 0; i < MESH_MAC_CONTEXTS; i++)
		if (keys[i].live && keys[i].drop_at && now >= keys[i].drop_at)
			key_drop(i);
}

static uint64_t next_announce(void)
{
	return last_announce + mesh_members_announce_ns(&members, configured_nodes);
}

void link_tick(uint64_t now)
{
	struct mesh_msg out[MESH_TICK_MSGS_MAX];
	keys_tick(now);
	if (now >= mesh_members_next_deadline(&members)) {
		int n = mesh_members_tick(&members, now, out, MESH_TICK_MSGS_MAX);
		if (n > 0)
			send_msgs(out, n);
	}
	if (!last_announce || now >= next_announce()) {
		struct mesh_msg a = {
			.type = MESH_MSG_PING, .from = self_node, .to = MESH_NODE_NONE,
			.target = MESH_NODE_NONE,
			.clock = mesh_members_clock_ms(&members),
		};
		send_msgs(&a, 1);
		last_announce = now;
	}
}

uint64_t link_deadline(void)
{
	uint64_t d = mesh_members_next_deadline(&members), k = keys_deadline();
	if (k < d)
		d = k;
	uint64_t a = last_announce ? next_announce() : 0;
	return d < a ? d : a;
}

unsigned link_nodes_text(char *out, unsigned size, unsigned from)
{
	uint64_t now = aion_clock_ns();
	unsigned line = 0, next = 0;
	out[0] = '\0';
	if (from == 0)
		aion_text_add(out, size, "nodes self=%u count=%u\n", self_node, members.count + 1);
	/* In node order; self first among equals. */
	for (unsigned id = 1, i = 0; id < MESH_NODE_NONE && i <= members.count; id++) {
		const struct mesh_member *e = NULL;
		for (unsigned k = 0; k < members.count; k++)
			if (members.m[k].node == id)
				e = &members.m[k];
		if (id != self_node && !e)
			continue;
		i++;
		if (line++ < from)
			continue;
		char text[96];
		if (id == self_node)
			fmt_snprintf(text, sizeof(text), "node=%u addr=10.77.0.%u state=alive inc=%u heard_ms=0 lhm=%u self\n",
				     id, id, members.incarnation, members.lhm);
		else
			fmt_snprintf(text, sizeof(text), "node=%u addr=10.77.0.%u state=%s inc=%u heard_ms=%lu\n",
				     id, id, mesh_state_name(e->state), e->incarnation,
				     (unsigned long)((now - e->last_heard) / MS));
		if (strlen(out) + strlen(text) >= size) {
			next = line - 1;
			break;
		}
		aion_text_add(out, size, "%s", text);
	}
	return next;
}

void link_stats_text(char *out, unsigned size)
{
	/* The counts after the MAC plus the drops before it. */
	struct mesh_stats s = rx_stats;
	const struct mesh_stats *e = &rx_early;
	s.rx += e->rx;
	s.rx_bad_len += e->rx_bad_len;
	s.rx_bad_magic += e->rx_bad_magic;
	s.rx_bad_version += e->rx_bad_version;
	s.rx_bad_type += e->rx_bad_type;
	s.rx_bad_cluster += e->rx_bad_cluster;
	s.rx_bad_other += e->rx_bad_other;
	s.rx_rate_limited += e->rx_rate_limited;
	out[0] = '\0';
	aion_text_add(out, size, "mesh rx=%lu ok=%lu bad_len=%lu bad_magic=%lu bad_version=%lu bad_type=%lu "
	    "bad_cluster=%lu bad_mac=%lu bad_other=%lu bad_payload=%lu not_ours=%lu replayed=%lu "
	    "rate_limited=%lu\n",
	    s.rx, s.rx_ok, s.rx_bad_len, s.rx_bad_magic, s.rx_bad_version, s.rx_bad_type,
	    s.rx_bad_cluster, s.rx_bad_mac, s.rx_bad_other, rx_bad_payload,
	    rx_not_ours + rx_early_not_ours, s.rx_replayed, s.rx_rate_limited);
	aion_text_add(out, size, "mesh tx=%lu tx_err=%lu tx_no_boot=%lu discovery=%lu calls_out=%lu "
	    "retransmits=%lu calls_in=%lu dups=%lu\n",
	    tx_packets, tx_errors, tx_no_boot, rx_discovery, calls_out, calls_retransmits, calls_in,
	    calls_dup);
	serve_refs_text(out, size);     /* exports, holders, forged */
	calls_refs_text(out, size);     /* imports */
}

/* `mesh stats`' packets by type, sent and accepted (the types never
 * seen left out). */
void link_kinds_text(char *out, unsigned size)
{
	static const char *const dir[2] = { "tx", "rx" };
	const uint64_t *count[2] = { tx_by_type, rx_by_type };
	out[0] = '\0';
	for (unsigned d = 0; d < 2; d++) {
		aion_text_add(out, size, "mesh %s_kinds", dir[d]);
		for (unsigned t = MESH_PING; t <= MESH_TYPE_MAX; t++)
			if (count[d][t])
				aion_text_add(out, size, " %s_%s=%lu", dir[d], mesh_type_name(t),
					      (unsigned long)count[d][t]);
		aion_text_add(out, size, "\n");
	}
}

/* The checks before the MAC, none of which costs a hash: true to drop. */
static bool rx_drop_early(const uint8_t *pkt, size_t len, uint32_t addr)
{
	unsigned a = addr & 0xffu;
	if ((addr & 0xffffff00u) != NET_BASE || a == 0 || a == 255) {
		rx_early.rx++;
		rx_early_not_ours++;            /* no node has that address */
		return true;
	}
	int err = mesh_peek(pkt, len, cluster_id, NULL, NULL);
	if (err) {
		mesh_stats_count(&rx_early, err);
		return true;
	}
	if (quiet(a, aion_clock_ns())) {
		rx_early.rx++;
		rx_early.rx_rate_limited++;
		return true;
	}
	return false;
}

/*
 * The main thread takes the datagrams from the ring itself: the ring's
 * notification is bound to it, so the RECV that ends its loop turn (in
 * link_wait) returns when netd pushes one, and each turn drains at most
 * LINK_DRAIN_MAX. Before, a receive thread took them and handed each to
 * the main thread as a call: four system calls and three thread switches
 * a packet more (docs/network.md "Fewer system calls and switches a
 * packet").
 */
#define LINK_DRAIN_MAX  32u

static uint8_t rx_pkt[AION_IPC_PAYLOAD_MAX];
static bool rx_left;                    /* the last drain stopped at its bound */

bool link_rx_pending(void)
{
	return rx_left;
}

void link_drain(uint64_t woke_ns)
{
	unsigned taken = 0;

	for (; taken < LINK_DRAIN_MAX; taken++) {
		uint32_t addr = 0;
		uint16_t port;
		int64_t n = sock_ring_recv(&ring, rx_pkt, sizeof(rx_pkt), &addr, &port);
		if (n == -AION_EAGAIN)
			break;
		if (n < 0 || n > (int64_t)sizeof(rx_pkt)) {
			rx_early.rx++;
			rx_early.rx_bad_len++;  /* no mesh packet is that long (or short) */
			continue;
		}
		if (!rx_drop_early(rx_pkt, (size_t)n, addr))
			link_receive(rx_pkt, (size_t)n, addr, woke_ns);
	}
	rx_left = taken == LINK_DRAIN_MAX;
}
