/*
 * netd's netif glue (netif_glue.c): an lwIP Ethernet netif on a pair of
 * frame rings (aion/netring.h). Pure: lwIP and the rings only, no system
 * calls; nic.c attaches the rings to a driver and signals it, the host test
 * (tests/unit/test_netif.c) cross-connects two netifs in memory.
 */
#ifndef NETD_NETIF_GLUE_H
#define NETD_NETIF_GLUE_H

#include <stdbool.h>
#include <stdint.h>
#include "aion/netring.h"
#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"

#define NETIF_GLUE_MIN_FRAME    60      /* Ethernet's minimum, without the FCS */
#define NETIF_GLUE_MTU          1500

/*
 * Pure TCP ACKs held back within one loop turn of netd, one per
 * connection: a later ACK of the same connection that acknowledges more
 * replaces the held one (TCP's ACKs are cumulative), so a turn that took
 * ten segments of a stream sends one ACK, not five (Linux gets the same
 * from GRO), and so does one with the same number and another window (a
 * window update). A duplicate ACK (same number, same window: fast
 * retransmit counts them) and every other frame go out in order behind
 * what was held;
 * netif_glue_flush sends what is held (nic_kick, before netd waits).
 */
#define NETIF_GLUE_HELD         8
#define NETIF_GLUE_ACK_MAX      96      /* a pure ACK with options, padded */

struct netif_glue_ack {
	uint32_t ip;                    /* the destination (network order) */
	uint16_t sport, dport;          /* network order */
	uint32_t ack;                   /* host order */
	uint16_t wnd;                   /* the window field, unscaled */
	uint16_t len;
	uint8_t frame[NETIF_GLUE_ACK_MAX];
};

struct netif_glue {
	struct netring *tx;             /* we produce; NULL: the link is down */
	struct netring *rx;             /* we consume; NULL: nothing to take */
	uint8_t mac[6];                 /* copied into the netif by netif_glue_init */
	/* Called when the consumer of tx must be signalled now (may be NULL). */
	void (*kick)(void *arg);
	void *kick_arg;
	bool kick_pending;              /* frames went on tx since the last kick */
	uint64_t rx_frames;             /* frames taken from rx */
	uint64_t tx_frames;             /* frames put on tx */
	uint64_t rx_nobuf;              /* rx frames lost: no pbuf for them */
	uint64_t tx_full;               /* tx frames lost to a full ring */
	uint64_t tx_lenerr;             /* tx frames longer than a slot */
	uint64_t acks_merged;           /* pure ACKs replaced by a later one */
	struct netif_glue_ack held[NETIF_GLUE_HELD];
	unsigned nheld;
};

/* lwIP's netif init callback (netif_add): netif->state is a struct netif_glue. */
err_t netif_glue_init(struct netif *netif);

/*
 * Puts one frame on glue->tx, padded with zeros to NETIF_GLUE_MIN_FRAME:
 * ERR_OK, ERR_IF (link down), ERR_VAL (too long) or ERR_MEM (ring full,
 * counted: TCP sends the segment again). *kick: the consumer must be
 * signalled now (the ring reached half full, or is full); otherwise
 * glue->kick_pending is set when a frame went on (netd signals at the
 * end of its loop turn).
 */
err_t netif_glue_output(struct netif_glue *glue, struct pbuf *p, bool *kick);

/* Puts the held ACKs on tx (in the order they were first held). */
void netif_glue_flush(struct netif_glue *glue);

/*
 * At most batch frames from the netif's rx ring into lwIP (netif->input);
 * true if a whole batch was taken (more may wait).
 */
bool netif_glue_rx(struct netif *netif, unsigned batch);

#endif /* NETD_NETIF_GLUE_H */
