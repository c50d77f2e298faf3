/*
 * meshd's bulk transfers (docs/mesh-bulk.md): a call or reply whose
 * payload is above MESH_CALL_DATA_MAX travels as one bulk message
 * (mesh/bulk.h), MESH_BULK_DATA fragments answered by MESH_BULK_ACKs,
 * under the link's MAC and replay window like every packet.
 *
 * A message is one type byte (MESH_CALL or MESH_REPLY) and the rpc's bulk
 * encoding (mesh/rpc.h: header, then the payload). Payloads wait in
 * buffers of this file ("bbufs"): the header room in front of the data
 * takes the type and header when the transfer starts, so nothing is
 * copied twice. A call's buffer is held until the call ends (calls.c), a
 * reply's until its transfer ends (serve.c). Received messages are
 * reassembled in the receiver's slots and handed on at once: serve.c and
 * calls.c copy the payload out (into a memory object) before the slot is
 * released, and find it through bulk_data while they are called.
 */
#include "meshd.h"
#include "mesh/bulk.h"

#define BBUFS           4       /* payloads held: calls in flight out, replies going out */
#define RX_SLOTS        4       /* reassemblies at once (each MESH_BULK_MAX bytes) */
#define IN_BULK         0xff
/*
 * Tuned on TCG VMs (docs/mesh-bulk.md "Measured"): each packet costs the
 * receiving meshd about a millisecond (MAC, two IPCs), and netd's socket
 * queue holds 16 datagrams, so a window of 16 overflowed it (drops,
 * resends, membership pings delayed behind fragments); 8 does not, and
 * goes as fast. A round trip of a burst varies with the receiver's load
 * far more than the estimator's 10 ms floor allowed (20% of fragments
 * were resent needlessly): the floor is 30 ms.
 */
#define BULK_WINDOW     8
#define BULK_ACK_EVERY  4
#define BULK_RTO_MIN_NS (30 * MS)

struct bbuf {
	bool used, sending;
	uint8_t type;           /* MESH_CALL or MESH_REPLY while sending */
	uint16_t dst;
	uint32_t boot, id;      /* a reply: the caller's boot; the call's id */
	uint32_t len;           /* payload bytes, at mem + MESH_BULK_HDR_ROOM */
	struct bulk_tx tx;
	uint8_t mem[MESH_BULK_MAX];
};

static struct bbuf bbufs[BBUFS];
static struct bulk_rx rx;
static uint8_t rx_mem[RX_SLOTS][MESH_BULK_MAX];
static struct bulk_cfg cfg;
static uint32_t next_xfer[MESH_NODE_NONE + 1];  /* per destination, from 1 each boot */
/* The round trip estimate of the last transfer to each node: the next
 * one starts from it instead of the 100 ms default (a lone lost fragment
 * would wait that long). */
static struct { uint64_t srtt, rttvar, rto; } peer_rtt[MESH_NODE_NONE + 1];
static const uint8_t *in_data;                  /* the message being delivered */
static uint32_t in_len;
static uint64_t bulk_sent, bulk_failed, bulk_bad, bulk_busy, tx_frags, tx_resent, tx_rto;

void bulk_init(void)
{
	bulk_cfg_default(&cfg);
	/* As much of a packet as a fragment can take (mesh/bulk.h). */
	uint32_t room = MESH_PAYLOAD_MAX - BULK_DATA_HDR;
	cfg.chunk = (uint16_t)(room < MESH_BULK_CHUNK_MAX ? room : MESH_BULK_CHUNK_MAX);
	cfg.window = BULK_WINDOW;
	cfg.ack_every = BULK_ACK_EVERY;
	cfg.rto_min_ns = BULK_RTO_MIN_NS;
	int err = bulk_cfg_check(&cfg);
	if (!err)
		err = bulk_rx_init(&rx, &cfg, &rx_mem[0][0], RX_SLOTS);
	if (err)
		mlog("error: bulk receiver err=%s", aion_error_name(err));
}

int64_t bbuf_take(void)
{
	for (unsigned i = 0; i < BBUFS; i++)
		if (!bbufs[i].used) {
			bbufs[i] = (struct bbuf){ .used = true };
			return i + 1;
		}
	bulk_busy++;
	return -AION_EBUSY;
}

uint8_t *bbuf_data(unsigned b)
{
	return bbufs[b - 1].mem + MESH_BULK_HDR_ROOM;
}

void bbuf_set_len(unsigned b, uint32_t len)
{
	bbufs[b - 1].len = len;
}

void bbuf_free(unsigned b)
{
	if (b && b <= BBUFS)
		bbufs[b - 1].used = bbufs[b - 1].sending = false;
}

void bulk_stop(unsigned b)
{
	if (b && b <= BBUFS)
		bbufs[b - 1].sending = false;
}

const uint8_t *bulk_data(const struct mesh_rpc *r, uint32_t *len)
{
	if (r->bulk == IN_BULK) {
		*len = in_len;
		return in_data;
	}
	if (r->bulk && r->bulk <= BBUFS && bbufs[r->bulk - 1].used) {
		*len = bbufs[r->bulk - 1].len;
		return bbuf_data(r->bulk);
	}
	*len = r->len;
	return r->data;
}

/* Sends what the window allows now; reports an ended transfer. */
static void pump(struct bbuf *b, uint64_t now)
{
	uint8_t frag[MESH_PAYLOAD_MAX];
	int n;
	while ((n = bulk_tx_next(&b->tx, now, frag, sizeof(frag))) > 0)
		link_send(b->dst, MESH_BULK_DATA, frag, (size_t)n);     /* a failure is a loss */
	int res = bulk_tx_result(&b->tx);
	if (res == -AION_EAGAIN || !b->sending)
		return;
	b->sending = false;
	tx_frags += b->tx.stats.sent;
	tx_resent += b->tx.stats.resent;
	tx_rto += b->tx.stats.timeouts;
	if (b->tx.srtt_ns) {
		peer_rtt[b->dst].srtt = b->tx.srtt_ns;
		peer_rtt[b->dst].rttvar = b->tx.rttvar_ns;
		peer_rtt[b->dst].rto = b->tx.rto_ns;
	}
	if (res)
		bulk_failed++;
	else
		bulk_sent++;
	unsigned idx = (unsigned)(b - bbufs) + 1;
	if (b->type == MESH_CALL)
		calls_bulk_end(b->dst, b->id, res);
	else
		serve_bulk_end(b->dst, b->boot, b->id, res, idx);
}

int64_t bulk_send(unsigned idx, uint16_t dst, uint8_t type, const struct mesh_rpc *r)
{
	struct bbuf *b = &bbufs[idx - 1];
	uint8_t head[1 + MESH_RPC_BULK_HDR_MAX];
	head[0] = type;
	int n = mesh_rpc_bulk_encode(r, b->len, head + 1, sizeof(head) - 1);
	if (n < 0)
		return n;
	uint8_t *msg = bbuf_data(idx) - 1 - n;
	memcpy(msg, head, (size_t)n + 1);
	uint64_t now = aion_clock_ns();
	int err = bulk_tx_start(&b->tx, &cfg, ++next_xfer[dst], msg, (size_t)n + 1 + b->len, now);
	if (err)
		return err;
	if (peer_rtt[dst].srtt) {
		b->tx.srtt_ns = peer_rtt[dst].srtt;
		b->tx.rttvar_ns = peer_rtt[dst].rttvar;
		b->tx.rto_ns = peer_rtt[dst].rto;
	}
	b->sending = true;
	b->type = type;
	b->dst = dst;
	b->boot = r->boot;
	b->id = r->id;
	pump(b, now);
	return 0;
}

static void send_ack(uint16_t node, const struct bulk_ack *a)
{
	uint8_t buf[BULK_ACK_LEN_MAX];
	int n = bulk_ack_encode(a, buf, sizeof(buf));
	if (n > 0)
		link_send(node, MESH_BULK_ACK, buf, (size_t)n);
}

/* A complete message from (src, boot): a CALL or a REPLY. */
static void deliver(uint16_t src, uint32_t boot, const uint8_t *msg, uint32_t len)
{
	static struct mesh_rpc r;
	uint32_t dlen = 0;
	int n = len ? mesh_rpc_bulk_decode(msg + 1, len - 1, &r, &dlen) : -AION_ETRUNC;
	if (n < 0 || (msg[0] != MESH_CALL && msg[0] != MESH_REPLY) ||
	    (msg[0] == MESH_CALL && r.boot != boot)) {
		bulk_bad++;
		return;
	}
	in_data = msg + 1 + n;
	in_len = dlen;
	r.bulk = IN_BULK;
	if (msg[0] == MESH_CALL)
		serve_on_call(src, boot, r.owner_boot, &r);
	else
		calls_on_reply(src, boot, &r);
	in_data = NULL;
	in_len = 0;
}

void bulk_on_data(uint16_t src, uint32_t src_boot, const uint8_t *payload, size_t len)
{
	struct bulk_frag f;
	struct bulk_ack a;
	bool send = false;
	unsigned slot;
	if (bulk_frag_decode(payload, len, &f)) {
		bulk_bad++;
		return;
	}
	int got = bulk_rx_on_frag(&rx, aion_clock_ns(), src, src_boot, &f, &slot, &a, &send);
	if (send)
		send_ack(src, &a);
	if (got != 1)
		return;
	uint16_t node;
	uint32_t boot, xfer, mlen;
	const uint8_t *msg;
	if (!bulk_rx_message(&rx, slot, &node, &boot, &xfer, &msg, &mlen))
		deliver(node, boot, msg, mlen);
	bulk_rx_release(&rx, slot);
}

void bulk_on_ack(uint16_t src, const uint8_t *payload, size_t len)
{
	struct bulk_ack a;
	if (bulk_ack_decode(payload, len, &a)) {
		bulk_bad++;
		return;
	}
	uint64_t now = aion_clock_ns();
	for (unsigned i = 0; i < BBUFS; i++) {
		struct bbuf *b = &bbufs[i];
		if (b->sending && b->dst == src && b->tx.xfer == a.xfer) {
			bulk_tx_on_ack(&b->tx, now, &a);
			pump(b, now);
			return;
		}
	}
}

void bulk_tick(uint64_t now)
{
	for (unsigned i = 0; i < BBUFS; i++)
		if (bbufs[i].sending && now >= bulk_tx_next_deadline(&bbufs[i].tx)) {
			bulk_tx_tick(&bbufs[i].tx, now);
			pump(&bbufs[i], now);
		}
	if (now >= bulk_rx_next_deadline(&rx)) {
		struct bulk_ack_out out[8];
		int n = bulk_rx_tick(&rx, now, out, 8);
		for (int i = 0; i < n; i++)
			send_ack(out[i].node, &out[i].ack);
	}
}

uint64_t bulk_deadline(void)
{
	uint64_t d = bulk_rx_next_deadline(&rx);
	for (unsigned i = 0; i < BBUFS; i++)
		if (bbufs[i].sending) {
			uint64_t t = bulk_tx_next_deadline(&bbufs[i].tx);
			d = t < d ? t : d;
		}
	return d == UINT64_MAX ? 0 : d;
}

void bulk_stats_text(char *out, unsigned size)
{
	const struct bulk_rx_stats *s = &rx.stats;
	unsigned held = 0;
	for (unsigned i = 0; i < BBUFS; i++)
		held += bbufs[i].used;
	aion_text_add(out, size, "mesh bulk_sent=%lu bulk_failed=%lu bulk_busy=%lu bulk_held=%u "
		      "bulk_frags_out=%lu bulk_resent=%lu bulk_rto=%lu bulk_frags_in=%u bulk_delivered=%u "
		      "bulk_dups=%u bulk_refused=%u bulk_timeouts=%u bulk_bad=%lu\n",
		      (unsigned long)bulk_sent, (unsigned long)bulk_failed, (unsigned long)bulk_busy,
		      held, (unsigned long)tx_frags, (unsigned long)tx_resent, (unsigned long)tx_rto, s->frags,
		      s->delivered, s->dups, s->refused_full + s->refused_big + s->refused_peers,
		      s->timeouts, (unsigned long)(bulk_bad + s->malformed));
}
