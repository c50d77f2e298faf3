/* AionMesh bulk transfers: the payload codec and the limits of a
 * configuration (mesh/bulk.h has the layout). */
#include "mesh/bulk.h"
#include "mesh/rpc.h"

/* A call's header and references beside 64 KiB of data, with a 32-bit
 * length instead of rpc.h's 16-bit one. */
_Static_assert(1 + MESH_RPC_BULK_HDR_MAX <= MESH_BULK_HDR_ROOM,
	       "a call header fits beside MESH_BULK_DATA_MAX");
_Static_assert(36 + BULK_DATA_HDR + MESH_BULK_CHUNK_MAX + 16 <= 512,
	       "a fragment fits one datagram beside a packet header and the MAC");
_Static_assert(BULK_ACK_LEN_MAX <= MESH_BULK_CHUNK_MIN,
	       "an ACK is smaller than the smallest fragment");

void bulk_cfg_default(struct bulk_cfg *cfg)
{
	*cfg = (struct bulk_cfg){
		.chunk = 400,
		.window = 16,
		.ack_every = 8,
		.rto_ns = 100 * MS,
		.rto_min_ns = 10 * MS,
		.deadline_ns = 10 * SEC,
		.ack_delay_ns = 5 * MS,
		.rx_timeout_ns = 5 * SEC,
		.linger_ns = 15 * SEC,
	};
}

int bulk_cfg_check(const struct bulk_cfg *cfg)
{
	if (!cfg || cfg->chunk < MESH_BULK_CHUNK_MIN || cfg->chunk > MESH_BULK_CHUNK_MAX ||
	    cfg->window == 0 || cfg->window > BULK_WINDOW_MAX || cfg->ack_every == 0 ||
	    cfg->rto_min_ns == 0 || cfg->rto_min_ns > cfg->rto_ns || cfg->deadline_ns == 0 || cfg->rx_timeout_ns <= cfg->rto_ns * BULK_RTO_BACKOFF ||
	    cfg->linger_ns < cfg->deadline_ns)
		return -AION_EINVAL;
	return 0;
}

static void put_be(uint8_t *p, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint32_t get_be(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

uint32_t bulk_nfrags(uint32_t total, uint16_t chunk)
{
	if (chunk < MESH_BULK_CHUNK_MIN || chunk > MESH_BULK_CHUNK_MAX)
		return 0;
	if (total == 0)
		return 1;
	return (uint32_t)(((uint64_t)total + chunk - 1) / chunk);
}

/* The data length fragment index must have, or -1 when the index is past
 * the message's end (or the index cannot be sent: above u16). */
static long frag_len(uint32_t total, uint16_t chunk, uint32_t index)
{
	uint32_t n = bulk_nfrags(total, chunk);

	if (n == 0 || index >= n || index > UINT16_MAX)
		return -1;
	uint64_t off = (uint64_t)index * chunk;
	return (long)(total - off < chunk ? total - off : chunk);
}

bool bulk_frag_ok(const struct bulk_frag *f)
{
	return f->xfer != 0 && (f->len == 0 || f->data) &&
	       frag_len(f->total, f->chunk, f->index) == (long)f->len;
}

int bulk_frag_encode(const struct bulk_frag *f, uint8_t *buf, size_t cap)
{
	if (!f || !buf || !bulk_frag_ok(f))
		return -AION_EINVAL;
	if (cap < BULK_DATA_HDR + (size_t)f->len)
		return -AION_ENOSPC;
	put_be(buf, f->xfer, 4);
	put_be(buf + 4, f->total, 4);
	put_be(buf + 8, f->chunk, 2);
	put_be(buf + 10, f->index, 2);
	for (unsigned i = 0; i < f->len; i++)
		buf[BULK_DATA_HDR + i] = f->data[i];
	return (int)(BULK_DATA_HDR + f->len);
}

int bulk_frag_decode(const uint8_t *buf, size_t len, struct bulk_frag *out)
{
	if (!buf || !out)
		return -AION_EINVAL;
	if (len < BULK_DATA_HDR)
		return -AION_ETRUNC;
	struct bulk_frag f = {
		.xfer = get_be(buf, 4),
		.total = get_be(buf + 4, 4),
		.chunk = (uint16_t)get_be(buf + 8, 2),
		.index = (uint16_t)get_be(buf + 10, 2),
		.data = buf + BULK_DATA_HDR,
	};
	long want = frag_len(f.total, f.chunk, f.index);
	if (f.xfer == 0 || want < 0)
		return -AION_EMALFORMED;
	if (len - BULK_DATA_HDR < (size_t)want)
		return -AION_ETRUNC;
	if (len - BULK_DATA_HDR > (size_t)want)
		return -AION_EMALFORMED;
	f.len = (uint16_t)want;
	*out = f;
	return 0;
}

static bool ack_ok(const struct bulk_ack *a)
{
	if (a->xfer == 0 || (a->flags & ~BULK_ACK_DONE) || a->nfrags > BULK_FRAGS_MAX)
		return false;
	if (a->code != 0 && a->code != -AION_ENOSPC && a->code != -AION_ERANGE &&
	    a->code != -AION_ECONNRESET)
		return false;
	/* DONE and refusals stand alone: no bitmap. */
	if ((a->flags || a->code) && (a->nfrags || (a->flags && a->code)))
		return false;
	/* Only one form of each bitmap: bits past nfrags clear. */
	for (uint32_t i = a->nfrags; i < (a->nfrags + 7u) / 8 * 8; i++)
		if (bulk_bit(a->bits, i))
			return false;
	return true;
}

int bulk_ack_encode(const struct bulk_ack *a, uint8_t *buf, size_t cap)
{
	if (!a || !buf || !ack_ok(a))
		return -AION_EINVAL;
	size_t nbytes = (a->nfrags + 7u) / 8;
	if (cap < BULK_ACK_HDR + nbytes)
		return -AION_ENOSPC;
	put_be(buf, a->xfer, 4);
	put_be(buf + 4, (uint32_t)a->code, 4);
	buf[8] = a->flags;
	put_be(buf + 9, a->nfrags, 2);
	for (size_t i = 0; i < nbytes; i++)
		buf[BULK_ACK_HDR + i] = a->bits[i];
	return (int)(BULK_ACK_HDR + nbytes);
}

int bulk_ack_decode(const uint8_t *buf, size_t len, struct bulk_ack *out)
{
	if (!buf || !out)
		return -AION_EINVAL;
	if (len < BULK_ACK_HDR)
		return -AION_ETRUNC;
	struct bulk_ack a = {
		.xfer = get_be(buf, 4),
		.code = (int32_t)get_be(buf + 4, 4),
		.flags = buf[8],
		.nfrags = (uint16_t)get_be(buf + 9, 2),
	};
	if (a.nfrags > BULK_FRAGS_MAX)
		return -AION_EMALFORMED;
	size_t nbytes = (a.nfrags + 7u) / 8;
	if (len - BULK_ACK_HDR < nbytes)
		return -AION_ETRUNC;
	if (len - BULK_ACK_HDR > nbytes)
		return -AION_EMALFORMED;
	for (size_t i = 0; i < nbytes; i++)
		a.bits[i] = buf[BULK_ACK_HDR + i];
	if (!ack_ok(&a))
		return -AION_EMALFORMED;
	*out = a;
	return 0;
}
