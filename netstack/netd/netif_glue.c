/*
 * netd's netif glue (netif_glue.h): lwIP's Ethernet netif on two frame
 * rings. Pure (no system calls): built into netd and into the host test.
 */
#include <string.h>
#include "lwip/etharp.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"
#include "netif_glue.h"

/* One frame at a time: lwIP runs on one thread. */
static uint8_t frame[NETRING_SLOT_SIZE];

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* f (len bytes) is an IPv4 TCP segment with no data and only ACK set:
 * its connection and number into *a. */
static bool pure_ack(const uint8_t *f, uint32_t len, struct netif_glue_ack *a)
{
	if (len < 14 + 20 + 20 || len > NETIF_GLUE_ACK_MAX || be16(f + 12) != 0x0800)
		return false;
	const uint8_t *ip = f + 14;
	unsigned ihl = (ip[0] & 0x0f) * 4u;
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || (be16(ip + 6) & 0x3fff) ||
	    14 + ihl + 20 > len)
		return false;           /* not TCP, or a fragment */
	const uint8_t *tcp = ip + ihl;
	unsigned thl = (tcp[12] >> 4) * 4u;
	if (thl < 20 || 14 + ihl + thl > len || be16(ip + 2) != ihl + thl || tcp[13] != 0x10)
		return false;           /* data, or a flag besides ACK */
	memcpy(&a->ip, ip + 16, 4);
	memcpy(&a->sport, tcp, 2);
	memcpy(&a->dport, tcp + 2, 2);
	a->ack = be32(tcp + 8);
	a->wnd = be16(tcp + 14);
	return true;
}

/* One frame onto tx: false when the ring is full (counted, *kick set). */
static bool put_frame(struct netif_glue *glue, const uint8_t *f, uint32_t len, bool *kick)
{
	struct netring *tx = glue->tx;
	if (netring_push(tx, f, len)) {
		glue->tx_full++;
		LINK_STATS_INC(link.drop);
		*kick = true;           /* full: make sure the consumer is draining */
		return false;
	}
	glue->tx_frames++;
	LINK_STATS_INC(link.xmit);
	/* A first frame waits for the end of netd's loop turn, whose wait
	 * signals the driver in the same call (SIGNAL_RECV: the driver runs
	 * once netd blocks, not in between); half a ring goes at once. */
	uint32_t used = tx->head - __atomic_load_n(&tx->tail, __ATOMIC_ACQUIRE);
	if (used == NETRING_SLOTS / 2)
		*kick = true;
	else
		glue->kick_pending = true;
	return true;
}

static void flush(struct netif_glue *glue, bool *kick)
{
	for (unsigned i = 0; i < glue->nheld; i++)
		put_frame(glue, glue->held[i].frame, glue->held[i].len, kick);
	glue->nheld = 0;
}

void netif_glue_flush(struct netif_glue *glue)
{
	bool kick = false;
	if (glue->tx)
		flush(glue, &kick);
	glue->nheld = 0;
	if (kick)
		glue->kick_pending = true;      /* the caller signals the consumer now */
}

/* The pure ACK in frame: merged into the one held for its connection if
 * it acknowledges more or updates the window, else (a duplicate) sent
 * behind what is held; the first of its connection is held. */
static void ack_out(struct netif_glue *glue, const struct netif_glue_ack *a, uint32_t len,
		    bool *kick)
{
	for (unsigned i = 0; i < glue->nheld; i++) {
		struct netif_glue_ack *h = &glue->held[i];
		if (h->ip != a->ip || h->sport != a->sport || h->dport != a->dport)
			continue;
		int32_t ahead = (int32_t)(a->ack - h->ack);
		if (ahead > 0 || (ahead == 0 && a->wnd != h->wnd)) {
			h->ack = a->ack;
			h->wnd = a->wnd;
			h->len = (uint16_t)len;
			memcpy(h->frame, frame, len);
			glue->acks_merged++;
		} else {
			flush(glue, kick);
			put_frame(glue, frame, len, kick);
		}
		return;
	}
	if (glue->nheld == NETIF_GLUE_HELD)
		flush(glue, kick);
	struct netif_glue_ack *h = &glue->held[glue->nheld++];
	*h = *a;
	h->len = (uint16_t)len;
	memcpy(h->frame, frame, len);
}

err_t netif_glue_output(struct netif_glue *glue, struct pbuf *p, bool *kick)
{
	*kick = false;
	if (!glue->tx)
		return ERR_IF;          /* the link is down: lwIP does not route here */
	if (p->tot_len > NETRING_FRAME_MAX) {
		glue->tx_lenerr++;
		LINK_STATS_INC(link.lenerr);
		return ERR_VAL;
	}
	u16_t len = pbuf_copy_partial(p, frame, p->tot_len, 0);
	if (len < NETIF_GLUE_MIN_FRAME) {
		memset(frame + len, 0, NETIF_GLUE_MIN_FRAME - len);
		len = NETIF_GLUE_MIN_FRAME;
	}
	struct netif_glue_ack a;
	if (pure_ack(frame, len, &a)) {
		ack_out(glue, &a, len, kick);
		return ERR_OK;
	}
	flush(glue, kick);              /* in order: what was held goes first */
	return put_frame(glue, frame, len, kick) ? ERR_OK : ERR_MEM;
}

static err_t glue_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct netif_glue *glue = netif->state;
	bool kick;

	err_t err = netif_glue_output(glue, p, &kick);
	if (kick) {
		glue->kick_pending = false;
		if (glue->kick)
			glue->kick(glue->kick_arg);
	}
	return err;
}

err_t netif_glue_init(struct netif *netif)
{
	struct netif_glue *glue = netif->state;

	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, glue->mac, ETH_HWADDR_LEN);
	netif->mtu = NETIF_GLUE_MTU;
	netif->flags = NETIF_FLAG_ETHARP | NETIF_FLAG_BROADCAST | NETIF_FLAG_LINK_UP;
	netif->output = etharp_output;
	netif->linkoutput = glue_linkoutput;
	return ERR_OK;
}

bool netif_glue_rx(struct netif *netif, unsigned batch)
{
	struct netif_glue *glue = netif->state;
	unsigned n;

	if (!glue->rx)
		return false;
	for (n = 0; n < batch; n++) {
		uint32_t len = netring_pop(glue->rx, frame, sizeof(frame));
		if (!len)
			break;
		if (len > sizeof(frame))
			len = sizeof(frame);    /* cannot happen: a slot is smaller */
		glue->rx_frames++;
		LINK_STATS_INC(link.recv);
		struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
		if (!p) {
			glue->rx_nobuf++;
			LINK_STATS_INC(link.memerr);
			continue;
		}
		pbuf_take(p, frame, (u16_t)len);
		if (netif->input(p, netif) != ERR_OK)
			pbuf_free(p);
	}
	return n == batch;
}
