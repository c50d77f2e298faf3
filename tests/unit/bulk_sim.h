/*
 * A deterministic network for mesh/bulk.c: senders on nodes 1..N, one
 * receiver, a time step of 100 us, each packet delayed by lat_ns plus a
 * seeded random jitter (which reorders), lost or duplicated with seeded
 * probabilities. Every payload goes through the codec as bytes. Each
 * delivered message is checked against the bytes its sender sent.
 */
#ifndef BULK_SIM_H
#define BULK_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/bulk.h"

#define BULK_SIM_MSGS 64
#define BULK_SIM_STEP_NS (100 * US)
#define BULK_SIM_PKT 512     /* a payload fits one socket datagram */

struct bulk_sim_msg {
	uint16_t node;
	uint32_t xfer;
	uint8_t *data;
	uint32_t len;
	uint64_t start_ns;      /* first send allowed at */
	uint64_t end_ns;        /* the sender's transfer ended at */
	bool started;
	unsigned delivered;     /* times the receiver delivered it */
	struct bulk_tx tx;
};

struct bulk_sim_pkt {
	uint64_t at;
	bool to_rx;
	uint16_t node;          /* the sender's node */
	uint16_t len;
	uint8_t bytes[BULK_SIM_PKT];
};

struct bulk_sim {
	struct bulk_cfg cfg;
	unsigned loss_pct, dup_pct;
	uint64_t lat_ns, jitter_ns;
	uint64_t now;
	uint64_t rng;
	bool rx_deaf;           /* the receiver drops everything (a dead node) */
	struct bulk_rx rx;
	uint8_t *rxmem;
	struct bulk_sim_msg msg[BULK_SIM_MSGS];
	unsigned nmsgs;
	uint32_t next_xfer[BULK_RX_PEERS + 1];
	struct bulk_sim_pkt *q, *due;
	unsigned qlen;
	/* Packets put on the network (before loss), by kind. */
	unsigned data_pkts, ack_pkts;
};

/* cfg NULL: bulk_cfg_default. */
struct bulk_sim *bulk_sim_new(const struct bulk_cfg *cfg, unsigned nslots,
			      unsigned loss_pct, unsigned dup_pct, uint64_t jitter_ns,
			      uint64_t seed);
void bulk_sim_free(struct bulk_sim *s);
/* A message of len random bytes from node, sent from start_ns on. */
struct bulk_sim_msg *bulk_sim_add(struct bulk_sim *s, uint16_t node, uint32_t len,
				  uint64_t start_ns);
/* Runs until every transfer ended and the network is empty, or until
 * limit_ns: whether everything ended. */
bool bulk_sim_run(struct bulk_sim *s, uint64_t limit_ns);

#endif /* BULK_SIM_H */
