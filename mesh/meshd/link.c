/*
 * meshd's link: mesh packets over netd's UDP (one socket on MESH_PORT),
 * the cluster key's MAC on every packet, and the membership protocol.
 *
 * Node N's address is 10.77.0.N; discovery is a PING broadcast to
 * 10.77.0.255 every ANNOUNCE_NS, which every meshd that hears it answers,
 * so no node needs a list of the others.
 */
#include "meshd.h"
#include "consensus.h"
#include "common/format.h"
#include "mesh/mac.h"

#define NET_BASE        0x0a4d0000u     /* 10.77.0.0 */
#define NET_BROADCAST   0x0a4d00ffu

struct mesh_members members;
struct mesh_stats rx_stats;
uint64_t tx_packets, tx_errors;
static uint64_t rx_bad_payload, rx_not_ours;

static struct sock_ctx link_ctx;
static aion_handle_t rx_sock, tx_sock;    /* netd serves one call per socket at a time */
static struct mesh_mac mac;
static uint32_t tx_seq;
static uint64_t next_announce;
static aion_handle_t rx_ep;             /* meshd_ep minted with BADGE_RX */

static uint8_t tx_pkt[MESH_PACKET_MAX];

int64_t link_send(uint16_t dst, uint8_t type, const void *payload, size_t len)
{
	struct mesh_hdr h = {
		.type = type, .cluster_id = cluster_id, .src = self_node, .dst = dst,
		.seq = ++tx_seq,
	};
	int n = mesh_encode(&h, payload, len, tx_pkt, sizeof(tx_pkt), mesh_mac_compute, &mac);
	int64_t err = n;
	if (n >= 0 && (size_t)n > AION_IPC_PAYLOAD_MAX)
		err = -AION_ERANGE;
	if (err >= 0) {
		uint32_t addr = dst == MESH_NODE_NONE ? NET_BROADCAST : NET_BASE + dst;
		err = sock_sendto(&link_ctx, tx_sock, addr, MESH_PORT, tx_pkt, (size_t)n);
	}
	if (err < 0) {
		if (tx_errors++ < 3)    /* the first few say why; `mesh stats` counts all */
			mlog("error: send to node=%u type=%u failed err=%s", dst, type,
			     aion_error_name(err));
		return err;
	}
	tx_packets++;
	return 0;
}

static void send_msgs(const struct mesh_msg *out, int n)
{
	uint8_t payload[MESH_PAYLOAD_MAX];
	for (int i = 0; i < n; i++) {
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
	mlog("member node=%u state=%s old=%s inc=%u t_ms=%lu", node, mesh_state_name(new_state),
	     mesh_state_name(old_state), incarnation, (unsigned long)(now / MS));
	if (new_state == MESH_STATE_DEAD)
		calls_node_dead(node);
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

int64_t link_init(struct sock_ctx *ctx, const uint8_t *key, size_t key_len)
{
	link_ctx = *ctx;
	int64_t err = mesh_mac_init(&mac, key, key_len);
	if (err)
		return err;
	if ((err = open_port()) || (err = sock_udp_open(&link_ctx, 0, &tx_sock)))
		return err;
	int64_t h = aion_cap_mint(meshd_ep, AION_RIGHT_SEND, BADGE_RX);
	if (h < 0)
		return h;
	rx_ep = (aion_handle_t)h;
	uint64_t now = aion_clock_ns();
	next_announce = now;
	return mesh_members_init(&members, self_node, now, NULL, member_event, NULL);
}

bool node_alive(uint16_t node)
{
	if (node == self_node)
		return true;
	int s = mesh_members_state(&members, node, NULL);
	return s == MESH_STATE_ALIVE || s == MESH_STATE_SUSPECT;
}

static void on_member_packet(const struct mesh_hdr *h, const uint8_t *payload, size_t len)
{
	struct mesh_msg msg, out[MESH_RECV_MSGS_MAX];
	int err = mesh_msg_from_wire(h, payload, len, &msg);
	if (err) {
		rx_bad_payload++;
		return;
	}
	if (h->dst == MESH_NODE_NONE)
		msg.to = self_node;     /* an announcement: a PING to whoever hears it */
	int n = mesh_members_receive(&members, aion_clock_ns(), &msg, out, MESH_RECV_MSGS_MAX);
	if (n < 0)
		rx_bad_payload++;
	else
		send_msgs(out, n);
}

void link_receive(const uint8_t *pkt, size_t len, uint32_t src_addr)
{
	struct mesh_hdr h;
	const uint8_t *payload;
	int n = mesh_decode(pkt, len, cluster_id, &h, &payload, mesh_mac_compute, &mac);
	mesh_stats_count(&rx_stats, n);
	if (n < 0)
		return;
	/* Authentic, but not for us, or claiming an address it does not have. */
	if (h.src == self_node || h.src == 0 || h.src >= 255 || src_addr != NET_BASE + h.src ||
	    (h.dst != self_node && h.dst != MESH_NODE_NONE)) {
		rx_not_ours++;
		return;
	}
	switch (h.type) {
	case MESH_PING:
	case MESH_PING_REQ:
	case MESH_ACK:
		on_member_packet(&h, payload, (size_t)n);
		return;
	case MESH_CALL:
	case MESH_REPLY: {
		static struct mesh_rpc r;
		if (h.dst != self_node || mesh_rpc_decode(payload, (size_t)n, &r)) {
			rx_bad_payload++;
			return;
		}
		/* The boots come from the payload until the header carries them. */
		if (h.type == MESH_CALL)
			serve_on_call(h.src, r.boot, r.owner_boot, &r);
		else
			calls_on_reply(h.src, r.owner_boot, &r);
		return;
	}
	case MESH_SCHED:
		if (h.dst != self_node)
			rx_bad_payload++;
		else
			cluster_receive(h.src, payload, (size_t)n);
		return;
	case MESH_RAFT:
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
		calls_on_status(h.src, s.owner_boot, h.type, &s);
		return;
	}
	default:
		rx_bad_payload++;
	}
}

void link_tick(uint64_t now)
{
	struct mesh_msg out[MESH_TICK_MSGS_MAX];
	if (now >= mesh_members_next_deadline(&members)) {
		int n = mesh_members_tick(&members, now, out, MESH_TICK_MSGS_MAX);
		if (n > 0)
			send_msgs(out, n);
	}
	if (now >= next_announce) {
		struct mesh_msg a = {
			.type = MESH_MSG_PING, .from = self_node, .to = MESH_NODE_NONE,
			.target = MESH_NODE_NONE,
		};
		send_msgs(&a, 1);
		next_announce = now + ANNOUNCE_NS;
	}
}

uint64_t link_deadline(void)
{
	uint64_t d = mesh_members_next_deadline(&members);
	return d < next_announce ? d : next_announce;
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
			fmt_snprintf(text, sizeof(text), "node=%u addr=10.77.0.%u state=alive inc=%u heard_ms=0 self\n",
				     id, id, members.incarnation);
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
	const struct mesh_stats *s = &rx_stats;
	out[0] = '\0';
	aion_text_add(out, size, "mesh rx=%lu ok=%lu bad_len=%lu bad_magic=%lu bad_version=%lu bad_type=%lu "
	    "bad_cluster=%lu bad_mac=%lu bad_other=%lu bad_payload=%lu not_ours=%lu\n",
	    s->rx, s->rx_ok, s->rx_bad_len, s->rx_bad_magic, s->rx_bad_version, s->rx_bad_type,
	    s->rx_bad_cluster, s->rx_bad_mac, s->rx_bad_other, rx_bad_payload, rx_not_ours);
	aion_text_add(out, size, "mesh tx=%lu tx_err=%lu calls_out=%lu retransmits=%lu calls_in=%lu dups=%lu\n",
	    tx_packets, tx_errors, calls_out, calls_retransmits, calls_in, calls_dup);
	serve_refs_text(out, size);     /* exports, holders, forged */
	calls_refs_text(out, size);     /* imports */
}

/* The receive thread: netd's datagrams become calls on the main thread. */
int64_t rx_thread(uint64_t arg)
{
	static struct aion_ipc_buffer rx_buf __attribute__((aligned(4096)));
	static uint8_t pkt[AION_IPC_PAYLOAD_MAX];
	struct sock_ctx ctx = { .buf = &rx_buf, .net = link_ctx.net };
	(void)arg;

	int64_t err = aion_ipc_buffer(&rx_buf);
	while (!err) {
		uint32_t addr = 0;
		int64_t n = sock_recvfrom(&ctx, rx_sock, pkt, sizeof(pkt), &addr, NULL, 0);
		if (n < 0) {
			mlog("error: receive failed err=%s", aion_error_name(n));
			aion_sleep_ns(100 * MS);
			continue;
		}
		memcpy(rx_buf.payload, pkt, (size_t)n);
		struct aion_msg m = { .tag = AION_TAG(0, n, 0), .w = { addr } };
		err = aion_call(rx_ep, &m, 0);
	}
	mlog("error: receive thread ends err=%s", aion_error_name(err));
	return err;
}
