/* The simulated network of bulk_sim.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bulk_sim.h"
#include "common/xorshift.h"

#define QCAP 8192

static uint32_t sim_rand(struct bulk_sim *s)
{
	return (uint32_t)(xorshift64(&s->rng) >> 32);
}

struct bulk_sim *bulk_sim_new(const struct bulk_cfg *cfg, unsigned nslots,
			      unsigned loss_pct, unsigned dup_pct, uint64_t jitter_ns,
			      uint64_t seed)
{
	struct bulk_sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	if (cfg)
		s->cfg = *cfg;
	else
		bulk_cfg_default(&s->cfg);
	s->loss_pct = loss_pct;
	s->dup_pct = dup_pct;
	s->lat_ns = 1 * MS;
	s->jitter_ns = jitter_ns;
	s->rng = seed * 0x9e3779b97f4a7c15ull | 1;
	s->now = 5 * SEC;
	s->rxmem = malloc((size_t)nslots * MESH_BULK_MAX);
	s->q = malloc(QCAP * sizeof(*s->q));
	s->due = malloc(QCAP * sizeof(*s->due));
	assert_non_null(s->rxmem);
	assert_non_null(s->q);
	assert_non_null(s->due);
	assert_int_equal(bulk_rx_init(&s->rx, &s->cfg, s->rxmem, nslots), 0);
	return s;
}

void bulk_sim_free(struct bulk_sim *s)
{
	for (unsigned i = 0; i < s->nmsgs; i++)
		free(s->msg[i].data);
	free(s->rxmem);
	free(s->q);
	free(s->due);
	free(s);
}

struct bulk_sim_msg *bulk_sim_add(struct bulk_sim *s, uint16_t node, uint32_t len,
				  uint64_t start_ns)
{
	assert_true(s->nmsgs < BULK_SIM_MSGS && node >= 1 && node <= BULK_RX_PEERS);
	struct bulk_sim_msg *m = &s->msg[s->nmsgs++];

	m->node = node;
	m->xfer = ++s->next_xfer[node];
	m->len = len;
	m->start_ns = start_ns;
	m->data = malloc(len ? len : 1);
	assert_non_null(m->data);
	for (uint32_t i = 0; i < len; i++)
		m->data[i] = (uint8_t)sim_rand(s);
	return m;
}

static void put(struct bulk_sim *s, bool to_rx, uint16_t node, const uint8_t *p, int len)
{
	assert_true(len > 0 && len <= BULK_SIM_PKT);
	if (to_rx)
		s->data_pkts++;
	else
		s->ack_pkts++;
	unsigned copies = 1 + (s->dup_pct && sim_rand(s) % 100 < s->dup_pct);
	for (unsigned c = 0; c < copies; c++) {
		if (s->loss_pct && sim_rand(s) % 100 < s->loss_pct)
			continue;
		assert_true(s->qlen < QCAP);
		struct bulk_sim_pkt *k = &s->q[s->qlen++];
		uint64_t jitter = s->jitter_ns ? sim_rand(s) % s->jitter_ns : 0;

		k->at = s->now + s->lat_ns + jitter / BULK_SIM_STEP_NS * BULK_SIM_STEP_NS;
		k->to_rx = to_rx;
		k->node = node;
		k->len = (uint16_t)len;
		memcpy(k->bytes, p, (size_t)len);
	}
}

static void put_ack(struct bulk_sim *s, uint16_t node, const struct bulk_ack *a)
{
	uint8_t buf[BULK_ACK_LEN_MAX];
	int n = bulk_ack_encode(a, buf, sizeof(buf));

	assert_true(n > 0);
	put(s, false, node, buf, n);
}

static struct bulk_sim_msg *find(struct bulk_sim *s, uint16_t node, uint32_t xfer)
{
	for (unsigned i = 0; i < s->nmsgs; i++)
		if (s->msg[i].node == node && s->msg[i].xfer == xfer)
			return &s->msg[i];
	return NULL;
}

/* The receiver delivered slot: it must be a message sent, byte for byte. */
static void deliver(struct bulk_sim *s, unsigned slot)
{
	uint16_t node;
	uint32_t boot, xfer, len;
	const uint8_t *data;

	assert_int_equal(bulk_rx_message(&s->rx, slot, &node, &boot, &xfer, &data, &len), 0);
	struct bulk_sim_msg *m = find(s, node, xfer);
	assert_non_null(m);
	assert_int_equal(boot, 1);
	assert_int_equal(len, m->len);
	assert_memory_equal(data, m->data, len ? len : 0);
	m->delivered++;
	bulk_rx_release(&s->rx, slot);
}

static void arrive(struct bulk_sim *s, const struct bulk_sim_pkt *k)
{
	if (k->to_rx) {
		struct bulk_frag f;
		struct bulk_ack ack;
		unsigned slot;
		bool send;

		if (s->rx_deaf)
			return;
		assert_int_equal(bulk_frag_decode(k->bytes, k->len, &f), 0);
		int r = bulk_rx_on_frag(&s->rx, s->now, k->node, 1, &f, &slot, &ack, &send);
		assert_true(r == 0 || r == 1 || r == -AION_ENOSPC || r == -AION_ERANGE);
		if (r == 1)
			deliver(s, slot);
		if (send)
			put_ack(s, k->node, &ack);
		return;
	}
	struct bulk_ack a;
	assert_int_equal(bulk_ack_decode(k->bytes, k->len, &a), 0);
	struct bulk_sim_msg *m = find(s, k->node, a.xfer);
	assert_non_null(m);
	assert_int_equal(bulk_tx_on_ack(&m->tx, s->now, &a), 0);
}

static bool all_ended(const struct bulk_sim *s)
{
	for (unsigned i = 0; i < s->nmsgs; i++)
		if (!s->msg[i].started || bulk_tx_result(&s->msg[i].tx) == -AION_EAGAIN)
			return false;
	return true;
}

static void senders(struct bulk_sim *s)
{
	uint8_t buf[BULK_SIM_PKT];

	for (unsigned i = 0; i < s->nmsgs; i++) {
		struct bulk_sim_msg *m = &s->msg[i];

		if (!m->started && s->now >= m->start_ns) {
			assert_int_equal(bulk_tx_start(&m->tx, &s->cfg, m->xfer, m->data,
						       m->len, s->now), 0);
			m->started = true;
		}
		if (!m->started || m->end_ns)
			continue;
		int n;
		while ((n = bulk_tx_next(&m->tx, s->now, buf, sizeof(buf))) > 0)
			put(s, true, m->node, buf, n);
		if (n < 0 && n != -AION_EAGAIN)
			m->end_ns = s->now;
		else if (bulk_tx_result(&m->tx) == 0)
			m->end_ns = s->now;
	}
}

bool bulk_sim_run(struct bulk_sim *s, uint64_t limit_ns)
{
	struct bulk_ack_out acks[BULK_RX_SLOTS_MAX];

	while (s->now < limit_ns) {
		if (all_ended(s) && s->qlen == 0)
			return true;
		s->now += BULK_SIM_STEP_NS;
		/* Packets due now, in the order they were sent (jitter alone
		 * reorders). */
		unsigned ndue = 0, kept = 0;
		for (unsigned i = 0; i < s->qlen; i++) {
			if (s->q[i].at <= s->now)
				s->due[ndue++] = s->q[i];
			else
				s->q[kept++] = s->q[i];
		}
		s->qlen = kept;
		for (unsigned i = 0; i < ndue; i++)
			arrive(s, &s->due[i]);
		int n = bulk_rx_tick(&s->rx, s->now, acks, BULK_RX_SLOTS_MAX);
		for (int i = 0; i < n; i++)
			put_ack(s, acks[i].node, &acks[i].ack);
		senders(s);
	}
	return all_ended(s) && s->qlen == 0;
}
