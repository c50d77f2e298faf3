/*
 * AionMesh bulk transfers, the sending side (mesh/bulk.h): a window of
 * fragments in flight, selective acknowledgements, resends on loss or
 * timeout, a deadline.
 *
 * Exactly once is the receiver's work (mesh/bulk_rx.c); the sender's
 * part is ids that count up, fewer than BULK_RX_IDS transfers in flight
 * per receiver, and a deadline no longer than the receiver's linger. It
 * counts fragments acknowledged by different ACKs together, which is
 * sound because a receiver never opens a second reassembly for one
 * transfer, and so never sends an acknowledged fragment again.
 */
#include "common/string.h"
#include "mesh/bulk.h"

int bulk_tx_start(struct bulk_tx *tx, const struct bulk_cfg *cfg, uint32_t xfer,
		  const uint8_t *msg, size_t len, uint64_t now)
{
	if (!tx || !cfg)
		return -AION_EINVAL;
	if (len > MESH_BULK_MAX)
		return -AION_ERANGE;
	if (xfer == 0 || (len && !msg) || bulk_cfg_check(cfg) < 0)
		return -AION_EINVAL;
	memset(tx, 0, sizeof(*tx));
	tx->cfg = *cfg;
	tx->msg = msg;
	tx->total = (uint32_t)len;
	tx->xfer = xfer;
	tx->nfrags = (uint16_t)bulk_nfrags(tx->total, cfg->chunk);
	tx->result = -AION_EAGAIN;
	tx->start_ns = now;
	tx->rto_ns = cfg->rto_ns;
	tx->backoff = 1;
	return 0;
}

int bulk_tx_result(const struct bulk_tx *tx)
{
	return tx->result;
}

static void end(struct bulk_tx *tx, int result)
{
	tx->result = result;
	tx->ninflight = 0;
}

static void drop_inflight(struct bulk_tx *tx, unsigned i)
{
	tx->inflight[i] = tx->inflight[--tx->ninflight];
}

/* The lowest fragment to resend, or the first never sent, or -1. */
static int pick(const struct bulk_tx *tx)
{
	for (uint32_t i = 0; i < tx->next_new; i++)
		if (bulk_bit(tx->lost, i))
			return (int)i;
	return tx->next_new < tx->nfrags ? tx->next_new : -1;
}

int bulk_tx_next(struct bulk_tx *tx, uint64_t now, uint8_t *out, size_t cap)
{
	if (bulk_tx_tick(tx, now) != -AION_EAGAIN)
		return tx->result;
	if (tx->ninflight >= tx->cfg.window)
		return 0;
	int index = pick(tx);
	if (index < 0)
		return 0;
	uint32_t off = (uint32_t)index * tx->cfg.chunk;
	uint32_t left = tx->total - off;
	struct bulk_frag f = {
		.xfer = tx->xfer,
		.total = tx->total,
		.chunk = tx->cfg.chunk,
		.index = (uint16_t)index,
		.len = (uint16_t)(left < tx->cfg.chunk ? left : tx->cfg.chunk),
		.data = tx->msg ? tx->msg + off : NULL,
	};
	int n = bulk_frag_encode(&f, out, cap);
	if (n < 0)
		return n;
	bool resend = index != tx->next_new;
	if (!resend) {
		tx->next_new++;
	} else {
		tx->lost[index / 8] &= (uint8_t)~(1u << (index % 8));
		tx->stats.resent++;
	}
	tx->inflight[tx->ninflight].index = (uint16_t)index;
	tx->inflight[tx->ninflight].seq = tx->seq++;
	tx->inflight[tx->ninflight].sent_ns = now;
	tx->inflight[tx->ninflight].later_acked = 0;
	tx->inflight[tx->ninflight].resend = resend;
	tx->ninflight++;
	tx->stats.sent++;
	return n;
}

/* Takes the bitmap: returns whether it acknowledged anything new. */
static bool take_bits(struct bulk_tx *tx, const uint8_t *bits)
{
	bool progress = false;

	for (uint32_t i = 0; i < tx->nfrags; i++) {
		if (!bulk_bit(bits, i) || bulk_bit(tx->acked, i))
			continue;
		bulk_bit_set(tx->acked, i);
		tx->lost[i / 8] &= (uint8_t)~(1u << (i % 8));
		tx->nacked++;
		progress = true;
	}
	return progress;
}

/* RFC 6298's estimate from one round trip r. */
static void rtt_sample(struct bulk_tx *tx, uint64_t r)
{
	if (tx->srtt_ns == 0) {
		tx->srtt_ns = r ? r : 1;
		tx->rttvar_ns = r / 2;
	} else {
		uint64_t dev = tx->srtt_ns > r ? tx->srtt_ns - r : r - tx->srtt_ns;

		tx->rttvar_ns = (3 * tx->rttvar_ns + dev) / 4;
		tx->srtt_ns = (7 * tx->srtt_ns + r) / 8;
	}
	uint64_t rto = tx->srtt_ns + 4 * tx->rttvar_ns;
	tx->rto_ns = rto < tx->cfg.rto_min_ns ? tx->cfg.rto_min_ns :
		     rto > tx->cfg.rto_ns ? tx->cfg.rto_ns : rto;
}

/* The rto in force: the estimate with its backoff, bounded so that the
 * gaps between resends stay below the receiver's rx_timeout. */
static uint64_t rto_now(const struct bulk_tx *tx)
{
	uint64_t most = tx->cfg.rto_ns * BULK_RTO_BACKOFF;
	uint64_t rto = tx->rto_ns * tx->backoff;

	return rto < most ? rto : most;
}

/* Drops acknowledged fragments from the window. A fragment is taken as
 * lost once BULK_REORDER fragments sent after it were acknowledged: a
 * little reordering does not cost a resend, a hole is filled within
 * about one round trip instead of an rto. */
static void update_window(struct bulk_tx *tx, uint64_t now)
{
	uint64_t acked[BULK_WINDOW_MAX];
	unsigned nacked = 0;

	for (unsigned i = 0; i < tx->ninflight;) {
		if (bulk_bit(tx->acked, tx->inflight[i].index)) {
			if (!tx->inflight[i].resend)
				rtt_sample(tx, now - tx->inflight[i].sent_ns);
			acked[nacked++] = tx->inflight[i].seq;
			drop_inflight(tx, i);
		} else {
			i++;
		}
	}
	for (unsigned i = 0; i < tx->ninflight;) {
		for (unsigned k = 0; k < nacked; k++)
			if (acked[k] > tx->inflight[i].seq)
				tx->inflight[i].later_acked++;
		if (tx->inflight[i].later_acked >= BULK_REORDER) {
			bulk_bit_set(tx->lost, tx->inflight[i].index);
			drop_inflight(tx, i);
		} else {
			i++;
		}
	}
}

int bulk_tx_on_ack(struct bulk_tx *tx, uint64_t now, const struct bulk_ack *a)
{
	if (!tx || !a || a->xfer != tx->xfer)
		return -AION_EINVAL;
	if (tx->result != -AION_EAGAIN)
		return 0;
	tx->stats.acks++;
	if (a->code) {
		end(tx, a->code);
		return 0;
	}
	if (a->flags & BULK_ACK_DONE) {
		end(tx, 0);
		return 0;
	}
	if (a->nfrags != tx->nfrags) {
		tx->stats.bad_acks++;
		return -AION_EINVAL;
	}
	if (take_bits(tx, a->bits))
		tx->backoff = 1;
	update_window(tx, now);
	if (tx->nacked == tx->nfrags)
		end(tx, 0);
	return 0;
}

int bulk_tx_tick(struct bulk_tx *tx, uint64_t now)
{
	if (tx->result != -AION_EAGAIN)
		return tx->result;
	if (now - tx->start_ns >= tx->cfg.deadline_ns) {
		end(tx, -AION_ETIMEDOUT);
		return tx->result;
	}
	bool expired = false;
	uint64_t rto = rto_now(tx);
	for (unsigned i = 0; i < tx->ninflight;) {
		if (now - tx->inflight[i].sent_ns >= rto) {
			bulk_bit_set(tx->lost, tx->inflight[i].index);
			drop_inflight(tx, i);
			tx->stats.timeouts++;
			expired = true;
		} else {
			i++;
		}
	}
	if (expired && rto < tx->cfg.rto_ns * BULK_RTO_BACKOFF)
		tx->backoff *= 2;
	return tx->result;
}

uint64_t bulk_tx_next_deadline(const struct bulk_tx *tx)
{
	if (tx->result != -AION_EAGAIN)
		return UINT64_MAX;
	uint64_t t = tx->start_ns + tx->cfg.deadline_ns, rto = rto_now(tx);
	for (unsigned i = 0; i < tx->ninflight; i++)
		if (tx->inflight[i].sent_ns + rto < t)
			t = tx->inflight[i].sent_ns + rto;
	return t;
}
