/*
 * Bulk transfer payloads (mesh/bulk.h) for fuzz_mesh_decode.c, included
 * when run_fuzz.py finds mesh/bulk_codec.c. The raw input is decoded as
 * a DATA and as an ACK payload: each decoded one must re-encode to the
 * very same bytes, a DATA goes into a receiver and an ACK into a sender,
 * whose state must stay within its bounds.
 */
#include "mesh/bulk.h"

static void fuzz_bulk_data(const uint8_t *data, size_t size)
{
	static uint8_t mem[2 * MESH_BULK_MAX];
	static struct bulk_rx rx;
	static uint64_t now;
	static int ready;
	struct bulk_cfg cfg;
	struct bulk_frag f;
	struct bulk_ack ack;
	uint8_t again[512];
	unsigned slot;
	bool send;

	if (bulk_frag_decode(data, size, &f) < 0)
		return;
	check(bulk_frag_encode(&f, again, sizeof(again)) == (int)size);
	check(memcmp(again, data, size) == 0);
	if (!ready) {
		bulk_cfg_default(&cfg);
		check(bulk_rx_init(&rx, &cfg, mem, 2) == 0);
		ready = 1;
	}
	now += 7 * MS;
	int r = bulk_rx_on_frag(&rx, now, (uint16_t)(1 + size % 3), 1, &f, &slot, &ack, &send);
	check(r == 0 || r == 1 || r == -AION_ENOSPC || r == -AION_ERANGE ||
	      r == -AION_EMALFORMED);
	if (r == 1)
		bulk_rx_release(&rx, slot);
	if (send)
		check(bulk_ack_encode(&ack, again, sizeof(again)) > 0);
}

static void fuzz_bulk_ack(const uint8_t *data, size_t size)
{
	static uint8_t msg[3000];
	static struct bulk_tx tx;
	struct bulk_cfg cfg;
	struct bulk_ack a;
	uint8_t again[BULK_ACK_LEN_MAX], out[512];

	if (bulk_ack_decode(data, size, &a) < 0)
		return;
	check(bulk_ack_encode(&a, again, sizeof(again)) == (int)size);
	check(memcmp(again, data, size) == 0);
	bulk_cfg_default(&cfg);
	check(bulk_tx_start(&tx, &cfg, a.xfer, msg, sizeof(msg), 0) == 0);
	while (bulk_tx_next(&tx, 0, out, sizeof(out)) > 0)
		;
	int r = bulk_tx_on_ack(&tx, 1, &a);
	check(r == 0 || r == -AION_EINVAL);
	check(tx.nacked <= tx.nfrags && tx.ninflight <= cfg.window);
}

static void fuzz_bulk(const uint8_t *data, size_t size)
{
	fuzz_bulk_data(data, size);
	fuzz_bulk_ack(data, size);
}
