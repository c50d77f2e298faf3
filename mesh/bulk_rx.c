/*
 * AionMesh bulk transfers, the receiving side (mesh/bulk.h): bounded
 * reassembly in caller memory, acknowledgements, exactly-once delivery.
 *
 * Exactly once: a message is delivered by the fragment that completes
 * its reassembly, and the transfer's id is then recorded as ended for
 * its sender (node, boot). A fragment of an ended transfer gets the same
 * answer again (DONE, or the refusal) and never opens a reassembly. A
 * refusal is recorded the same way, so a transfer refused once is never
 * delivered afterwards, even from fragments that were already on the way.
 */
#include "common/string.h"
#include "mesh/bulk.h"

int bulk_rx_init(struct bulk_rx *rx, const struct bulk_cfg *cfg, uint8_t *mem,
		 unsigned nslots)
{
	if (!rx || !mem || nslots == 0 || nslots > BULK_RX_SLOTS_MAX ||
	    bulk_cfg_check(cfg) < 0)
		return -AION_EINVAL;
	memset(rx, 0, sizeof(*rx));
	rx->cfg = *cfg;
	rx->nslots = nslots;
	for (unsigned i = 0; i < nslots; i++)
		rx->slot[i].buf = mem + (size_t)i * MESH_BULK_MAX;
	return 0;
}

/* ---- senders: boots and ended transfer ids ---- */

/* id_state's answers besides an ended transfer's code (0: delivered). */
#define ID_NEW 1
#define ID_OLD 2

static bool node_has_slot(const struct bulk_rx *rx, uint16_t node)
{
	for (unsigned i = 0; i < rx->nslots; i++)
		if (rx->slot[i].state != BULK_SLOT_FREE && rx->slot[i].node == node)
			return true;
	return false;
}

static struct bulk_rx_peer *peer_find(struct bulk_rx *rx, uint16_t node)
{
	for (unsigned i = 0; i < BULK_RX_PEERS; i++)
		if (rx->peer[i].used && rx->peer[i].node == node)
			return &rx->peer[i];
	return NULL;
}

/* The record of node, made or taken over if needed: NULL when the table
 * is full of senders heard from within linger_ns (forgetting one of
 * those could let a late fragment reopen an ended transfer). */
static struct bulk_rx_peer *peer_get(struct bulk_rx *rx, uint16_t node, uint64_t now)
{
	struct bulk_rx_peer *p = peer_find(rx, node);

	if (p)
		return p;
	for (unsigned i = 0; i < BULK_RX_PEERS; i++) {
		p = &rx->peer[i];
		if (!p->used || (now - p->last_ns >= rx->cfg.linger_ns &&
				 !node_has_slot(rx, p->node))) {
			*p = (struct bulk_rx_peer){ .used = true, .node = node };
			return p;
		}
	}
	return NULL;
}

/* A new boot of the sender: its transfers of earlier boots are over. */
static void peer_reboot(struct bulk_rx *rx, struct bulk_rx_peer *p, uint32_t boot)
{
	for (unsigned i = 0; i < rx->nslots; i++) {
		struct bulk_rx_slot *s = &rx->slot[i];

		if (s->state == BULK_SLOT_FILLING && s->node == p->node) {
			s->state = BULK_SLOT_FREE;
			rx->stats.abandoned++;
		}
	}
	*p = (struct bulk_rx_peer){ .used = true, .node = p->node, .boot = boot };
}

/* ID_NEW, ID_OLD (before the window: dropped), or how xfer ended: 0
 * delivered, else the answer it was given. */
static int id_state(const struct bulk_rx_peer *p, uint32_t xfer, uint32_t total)
{
	if (xfer > p->hi)
		return ID_NEW;
	uint32_t d = p->hi - xfer;
	if (d >= BULK_RX_IDS)
		return ID_OLD;
	if (!(p->ended >> d & 1))
		return ID_NEW;
	if (p->expired >> d & 1)
		return -AION_ECONNRESET;
	if (p->refused >> d & 1)
		return total > MESH_BULK_MAX ? -AION_ERANGE : -AION_ENOSPC;
	return 0;
}

static void id_end(struct bulk_rx_peer *p, uint32_t xfer, int code)
{
	if (xfer > p->hi) {
		uint32_t shift = xfer - p->hi;
		bool all = shift >= BULK_RX_IDS;

		p->ended = all ? 0 : p->ended << shift;
		p->refused = all ? 0 : p->refused << shift;
		p->expired = all ? 0 : p->expired << shift;
		p->hi = xfer;
	}
	uint32_t d = p->hi - xfer;
	if (d >= BULK_RX_IDS)
		return;
	p->ended |= 1ull << d;
	if (code == -AION_ECONNRESET)
		p->expired |= 1ull << d;
	else if (code)
		p->refused |= 1ull << d;
}

/* ---- acknowledgements ---- */

static void ack_status(struct bulk_ack *a, uint32_t xfer, int32_t code)
{
	memset(a, 0, sizeof(*a));
	a->xfer = xfer;
	a->code = code;
	a->flags = code ? 0 : BULK_ACK_DONE;
}

static void ack_bitmap(struct bulk_rx *rx, struct bulk_rx_slot *s, struct bulk_ack *a)
{
	memset(a, 0, sizeof(*a));
	a->xfer = s->xfer;
	a->nfrags = s->nfrags;
	memcpy(a->bits, s->have, (s->nfrags + 7u) / 8);
	s->unacked = 0;
	rx->stats.acks++;
}

/* ---- fragments ---- */

static int refuse(struct bulk_rx *rx, struct bulk_rx_peer *p, uint32_t xfer,
		  int code, struct bulk_ack *ack, bool *send)
{
	if (p)
		id_end(p, xfer, code);
	ack_status(ack, xfer, code);
	*send = true;
	rx->stats.acks++;
	return code;
}

static struct bulk_rx_slot *slot_find(struct bulk_rx *rx, uint16_t node, uint32_t boot,
				      uint32_t xfer)
{
	for (unsigned i = 0; i < rx->nslots; i++) {
		struct bulk_rx_slot *s = &rx->slot[i];

		if (s->state != BULK_SLOT_FREE && s->node == node && s->boot == boot &&
		    s->xfer == xfer)
			return s;
	}
	return NULL;
}

static struct bulk_rx_slot *slot_open(struct bulk_rx *rx, uint16_t node, uint32_t boot,
				      const struct bulk_frag *f, uint64_t now)
{
	for (unsigned i = 0; i < rx->nslots; i++) {
		struct bulk_rx_slot *s = &rx->slot[i];

		if (s->state != BULK_SLOT_FREE)
			continue;
		uint8_t *buf = s->buf;
		*s = (struct bulk_rx_slot){
			.state = BULK_SLOT_FILLING, .node = node, .boot = boot,
			.xfer = f->xfer, .total = f->total, .chunk = f->chunk,
			.nfrags = (uint16_t)bulk_nfrags(f->total, f->chunk),
			.last_ns = now, .buf = buf,
		};
		return s;
	}
	return NULL;
}

/* Adds f to its reassembly s (same total and chunk: checked). */
static int slot_take(struct bulk_rx *rx, struct bulk_rx_slot *s, struct bulk_rx_peer *p,
		     const struct bulk_frag *f, uint64_t now, struct bulk_ack *ack,
		     bool *send)
{
	s->last_ns = now;
	if (bulk_bit(s->have, f->index)) {
		/* The sender resent what we hold: our ACK was lost. */
		rx->stats.dups++;
		ack_bitmap(rx, s, ack);
		*send = true;
		return 0;
	}
	memcpy(s->buf + (size_t)f->index * s->chunk, f->data, f->len);
	bulk_bit_set(s->have, f->index);
	s->nhave++;
	if (s->nhave == s->nfrags) {
		s->state = BULK_SLOT_COMPLETE;
		id_end(p, s->xfer, 0);
		rx->stats.delivered++;
		ack_status(ack, s->xfer, 0);
		rx->stats.acks++;
		*send = true;
		return 1;
	}
	if (s->unacked++ == 0)
		s->first_unacked_ns = now;
	/* A hole before this fragment: tell the sender now, it resends. */
	bool gap = f->index > 0 && !bulk_bit(s->have, f->index - 1u);
	if (gap || s->unacked >= rx->cfg.ack_every) {
		ack_bitmap(rx, s, ack);
		*send = true;
	}
	return 0;
}

/* A fragment with no reassembly: of an ended transfer, or a new one. */
static int frag_new(struct bulk_rx *rx, uint64_t now, uint16_t node, uint32_t boot,
		    const struct bulk_frag *f, unsigned *slot, struct bulk_ack *ack,
		    bool *send)
{
	struct bulk_rx_peer *p = peer_get(rx, node, now);

	if (p && p->boot > boot) {
		rx->stats.stale++;
		return 0;
	}
	if (p && p->boot < boot)
		peer_reboot(rx, p, boot);
	if (p)
		p->last_ns = now;
	int ended = p ? id_state(p, f->xfer, f->total) : ID_NEW;
	if (ended == ID_OLD) {
		rx->stats.stale++;
		return 0;
	}
	if (ended != ID_NEW) {
		/* The same answer again: never a second reassembly. */
		rx->stats.ended++;
		ack_status(ack, f->xfer, ended);
		rx->stats.acks++;
		*send = true;
		return 0;
	}
	if (f->total > MESH_BULK_MAX) {
		rx->stats.refused_big++;
		return refuse(rx, p, f->xfer, -AION_ERANGE, ack, send);
	}
	if (!p) {
		rx->stats.refused_peers++;
		return refuse(rx, p, f->xfer, -AION_ENOSPC, ack, send);
	}
	struct bulk_rx_slot *s = slot_open(rx, node, boot, f, now);
	if (!s) {
		rx->stats.refused_full++;
		return refuse(rx, p, f->xfer, -AION_ENOSPC, ack, send);
	}
	*slot = (unsigned)(s - rx->slot);
	return slot_take(rx, s, p, f, now, ack, send);
}

int bulk_rx_on_frag(struct bulk_rx *rx, uint64_t now, uint16_t node, uint32_t boot,
		    const struct bulk_frag *f, unsigned *slot,
		    struct bulk_ack *ack, bool *send)
{
	if (!rx || !f || !slot || !ack || !send)
		return -AION_EINVAL;
	*send = false;
	rx->stats.frags++;
	if (!bulk_frag_ok(f)) {
		rx->stats.malformed++;
		return -AION_EMALFORMED;
	}
	struct bulk_rx_slot *s = slot_find(rx, node, boot, f->xfer);
	if (!s)
		return frag_new(rx, now, node, boot, f, slot, ack, send);
	if (f->total != s->total || f->chunk != s->chunk) {
		rx->stats.malformed++;
		return -AION_EMALFORMED;
	}
	if (s->state == BULK_SLOT_COMPLETE) {
		rx->stats.ended++;
		ack_status(ack, f->xfer, 0);
		rx->stats.acks++;
		*send = true;
		return 0;
	}
	/* A reassembly's sender always has a record: records of senders
	 * with a reassembly are never taken over. */
	struct bulk_rx_peer *p = peer_get(rx, node, now);
	if (!p)
		return -AION_EINVAL;
	p->last_ns = now;
	*slot = (unsigned)(s - rx->slot);
	return slot_take(rx, s, p, f, now, ack, send);
}

int bulk_rx_tick(struct bulk_rx *rx, uint64_t now, struct bulk_ack_out *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < rx->nslots; i++) {
		struct bulk_rx_slot *s = &rx->slot[i];

		if (s->state != BULK_SLOT_FILLING)
			continue;
		if (now - s->last_ns >= rx->cfg.rx_timeout_ns) {
			/* Recorded as ended, so the sender hears ECONNRESET and
			 * its acknowledged fragments never count toward a
			 * second reassembly that lacks them. */
			struct bulk_rx_peer *p = peer_find(rx, s->node);
			if (p)
				id_end(p, s->xfer, -AION_ECONNRESET);
			s->state = BULK_SLOT_FREE;
			rx->stats.timeouts++;
		} else if (s->unacked && now - s->first_unacked_ns >= rx->cfg.ack_delay_ns &&
			   n < max) {
			out[n].node = s->node;
			ack_bitmap(rx, s, &out[n].ack);
			n++;
		}
	}
	return (int)n;
}

int bulk_rx_message(const struct bulk_rx *rx, unsigned slot, uint16_t *node,
		    uint32_t *boot, uint32_t *xfer, const uint8_t **data, uint32_t *len)
{
	if (!rx || slot >= rx->nslots || rx->slot[slot].state != BULK_SLOT_COMPLETE)
		return -AION_EINVAL;
	const struct bulk_rx_slot *s = &rx->slot[slot];
	*node = s->node;
	*boot = s->boot;
	*xfer = s->xfer;
	*data = s->buf;
	*len = s->total;
	return 0;
}

void bulk_rx_release(struct bulk_rx *rx, unsigned slot)
{
	if (rx && slot < rx->nslots && rx->slot[slot].state == BULK_SLOT_COMPLETE)
		rx->slot[slot].state = BULK_SLOT_FREE;
}

uint64_t bulk_rx_next_deadline(const struct bulk_rx *rx)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < rx->nslots; i++) {
		const struct bulk_rx_slot *s = &rx->slot[i];

		if (s->state != BULK_SLOT_FILLING)
			continue;
		if (s->last_ns + rx->cfg.rx_timeout_ns < t)
			t = s->last_ns + rx->cfg.rx_timeout_ns;
		if (s->unacked && s->first_unacked_ns + rx->cfg.ack_delay_ns < t)
			t = s->first_unacked_ns + rx->cfg.ack_delay_ns;
	}
	return t;
}
