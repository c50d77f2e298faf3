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
	struct netring *tx = glue->tx;
	if (netring_push(tx, frame, len)) {
		glue->tx_full++;
		LINK_STATS_INC(link.drop);
		*kick = true;           /* full: make sure the consumer is draining */
		return ERR_MEM;
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
	return ERR_OK;
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
