/*
 * AionMesh wire codec (see mesh/wire.h).
 *
 * The input is untrusted network data: every field is read with
 * byte-wise big-endian loads (no pointer casts, any alignment), and every
 * length is checked against the buffer before anything is read past the
 * fixed header. Nothing from a packet reaches *h until its MAC matched.
 */
#include "mesh/wire.h"

#include "aion/error.h"

/* Header field offsets. */
#define OFF_MAGIC    0u
#define OFF_VERSION  2u
#define OFF_TYPE     3u
#define OFF_KEY      4u
#define OFF_CLUSTER  5u
#define OFF_SRC      9u
#define OFF_DST     11u
#define OFF_SBOOT   13u
#define OFF_DBOOT   17u
#define OFF_SEQ     21u
#define OFF_PLEN    29u

_Static_assert(OFF_PLEN + 2u == MESH_HDR_LEN, "header layout");
_Static_assert(MESH_PACKET_MAX == MESH_DATAGRAM_MAX, "a full packet is one datagram");
_Static_assert(MESH_PACKET_MAX <= 1500u - 20u - 8u, "packet fits one frame");
_Static_assert(MESH_MSG_PAYLOAD_MAX <= MESH_PAYLOAD_MAX,
	       "a full membership message fits one packet");
_Static_assert(MESH_GOSSIP_MAX <= 255, "ngossip is one byte");

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Constant-time equality of two MACs: no early exit on the first
 * differing byte, so timing does not reveal how much of a forgery was
 * right. */
static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

static bool mac_equal(const uint8_t *a, const uint8_t *b)
{
	volatile uint8_t diff = 0;

	for (size_t i = 0; i < MESH_MAC_LEN; i++)
		diff = (uint8_t)(diff | (a[i] ^ b[i]));
	return diff == 0;
}

bool mesh_type_valid(unsigned t)
{
	return t >= MESH_PING && t <= MESH_TYPE_MAX;
}

const char *mesh_type_name(unsigned t)
{
	static const char *const names[MESH_TYPE_MAX + 1] = {
		[MESH_PING] = "ping", [MESH_PING_REQ] = "ping_req", [MESH_ACK] = "ack",
		[MESH_GOSSIP] = "gossip", [MESH_CALL] = "call", [MESH_REPLY] = "reply",
		[MESH_CALL_ACK] = "call_ack", [MESH_ERROR] = "error", [MESH_SCHED] = "sched",
		[MESH_RAFT] = "raft", [MESH_BULK_DATA] = "bulk_data", [MESH_BULK_ACK] = "bulk_ack",
	};
	return mesh_type_valid(t) ? names[t] : "unknown";
}

int mesh_encode(const struct mesh_hdr *h, const void *payload, size_t len,
		uint8_t *buf, size_t cap, mesh_mac_fn mac, void *ctx)
{
	if (!h || !buf || !mac || (!payload && len > 0))
		return -AION_EINVAL;
	if (len > MESH_PAYLOAD_MAX || !mesh_type_valid(h->type))
		return -AION_EINVAL;

	size_t body = MESH_HDR_LEN + len;
	size_t total = body + MESH_MAC_LEN;

	if (cap < total)
		return -AION_ENOSPC;

	buf[OFF_MAGIC] = MESH_MAGIC0;
	buf[OFF_MAGIC + 1] = MESH_MAGIC1;
	buf[OFF_VERSION] = MESH_VERSION;
	buf[OFF_TYPE] = h->type;
	buf[OFF_KEY] = h->key_id;
	wr32(buf + OFF_CLUSTER, h->cluster_id);
	wr16(buf + OFF_SRC, h->src);
	wr16(buf + OFF_DST, h->dst);
	wr32(buf + OFF_SBOOT, h->src_boot);
	wr32(buf + OFF_DBOOT, h->dst_boot);
	wr64(buf + OFF_SEQ, h->seq);
	wr16(buf + OFF_PLEN, (uint16_t)len);
	if (len > 0)
		__builtin_memcpy(buf + MESH_HDR_LEN, payload, len);
	mac(ctx, buf, body, buf + body);
	return (int)total;
}

int mesh_peek(const uint8_t *buf, size_t len, uint32_t cluster_id,
	      uint16_t *src, uint8_t *key_id)
{
	if (!buf)
		return -AION_EINVAL;
	if (len < MESH_PACKET_MIN)
		return -AION_ETRUNC;
	if (buf[OFF_MAGIC] != MESH_MAGIC0 || buf[OFF_MAGIC + 1] != MESH_MAGIC1)
		return -AION_EMALFORMED;
	if (buf[OFF_VERSION] != MESH_VERSION)
		return -AION_ENOEXEC;
	if (!mesh_type_valid(buf[OFF_TYPE]))
		return -AION_EINVAL;

	size_t plen = rd16(buf + OFF_PLEN);

	if (plen > MESH_PAYLOAD_MAX)
		return -AION_EMALFORMED;
	/* len >= MESH_PACKET_MIN here, so these cannot wrap. */
	size_t avail = len - MESH_PACKET_MIN;

	if (plen > avail)
		return -AION_ETRUNC;
	if (plen < avail)
		return -AION_EMALFORMED;
	if (rd32(buf + OFF_CLUSTER) != cluster_id)
		return -AION_EPERM;
	if (src)
		*src = rd16(buf + OFF_SRC);
	if (key_id)
		*key_id = buf[OFF_KEY];
	return 0;
}

int mesh_decode(const uint8_t *buf, size_t len, uint32_t cluster_id,
		struct mesh_hdr *h, const uint8_t **payload,
		mesh_mac_fn mac, void *ctx)
{
	if (!buf || !h || !payload || !mac)
		return -AION_EINVAL;

	int err = mesh_peek(buf, len, cluster_id, NULL, NULL);

	if (err)
		return err;

	size_t plen = rd16(buf + OFF_PLEN);
	size_t body = MESH_HDR_LEN + plen;
	uint8_t want[MESH_MAC_LEN];

	mac(ctx, buf, body, want);
	if (!mac_equal(want, buf + body))
		return -AION_ERIGHTS;

	h->type = buf[OFF_TYPE];
	h->key_id = buf[OFF_KEY];
	h->cluster_id = cluster_id;
	h->src = rd16(buf + OFF_SRC);
	h->dst = rd16(buf + OFF_DST);
	h->src_boot = rd32(buf + OFF_SBOOT);
	h->dst_boot = rd32(buf + OFF_DBOOT);
	h->seq = rd64(buf + OFF_SEQ);
	h->payload_len = (uint16_t)plen;
	*payload = buf + MESH_HDR_LEN;
	return (int)plen;
}

static bool node_state_valid(unsigned s)
{
	return s >= MESH_STATE_ALIVE && s <= MESH_STATE_DEAD;
}

/* Packet type that carries membership message subtype t, or 0. */
static uint8_t msg_packet_type(unsigned t)
{
	switch (t) {
	case MESH_MSG_PING:         return MESH_PING;
	case MESH_MSG_PING_REQ:     return MESH_PING_REQ;
	case MESH_MSG_ACK:
	case MESH_MSG_INDIRECT_ACK:
	case MESH_MSG_NACK:
	case MESH_MSG_GOSSIP:       return MESH_ACK;
	default:                    return 0;
	}
}

int mesh_msg_to_wire(const struct mesh_msg *m, struct mesh_hdr *h,
		     uint8_t *payload, size_t cap)
{
	if (!m || !h || !payload)
		return -AION_EINVAL;

	uint8_t type = msg_packet_type(m->type);

	if (!type || m->ngossip > MESH_GOSSIP_MAX)
		return -AION_EINVAL;
	for (unsigned i = 0; i < m->ngossip; i++)
		if (!node_state_valid(m->gossip[i].state))
			return -AION_EINVAL;

	size_t total = MESH_MSG_LEN((size_t)m->ngossip);

	if (cap < total)
		return -AION_ENOSPC;
	h->type = type;
	h->src = m->from;
	h->dst = m->to;
	payload[0] = m->type;
	wr16(payload + 1, m->target);
	wr32(payload + 3, m->seq);
	payload[7] = m->ngossip;
	wr32(payload + 8, m->clock);
	for (unsigned i = 0; i < m->ngossip; i++) {
		uint8_t *p = payload + MESH_MSG_LEN(i);

		wr16(p, m->gossip[i].node);
		p[2] = m->gossip[i].state;
		wr32(p + 3, m->gossip[i].incarnation);
		wr16(p + 7, m->gossip[i].by);
	}
	return (int)total;
}

int mesh_msg_from_wire(const struct mesh_hdr *h, const uint8_t *payload,
		       size_t len, struct mesh_msg *out)
{
	if (!h || !out || (!payload && len > 0))
		return -AION_EINVAL;
	if (h->type != MESH_PING && h->type != MESH_PING_REQ &&
	    h->type != MESH_ACK)
		return -AION_EINVAL;
	if (len < MESH_MSG_HDR_LEN)
		return -AION_ETRUNC;
	if (msg_packet_type(payload[0]) != h->type)
		return -AION_EMALFORMED;

	size_t n = payload[7];

	if (n > MESH_GOSSIP_MAX)
		return -AION_EMALFORMED;
	if (len < MESH_MSG_LEN(n))
		return -AION_ETRUNC;
	if (len > MESH_MSG_LEN(n))
		return -AION_EMALFORMED;
	for (size_t i = 0; i < n; i++)
		if (!node_state_valid(payload[MESH_MSG_LEN(i) + 2]))
			return -AION_EMALFORMED;

	struct mesh_msg m = {
		.type = payload[0], .ngossip = (uint8_t)n,
		.from = h->src, .to = h->dst,
		.target = rd16(payload + 1), .seq = rd32(payload + 3),
		.clock = rd32(payload + 8),
	};

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = payload + MESH_MSG_LEN(i);

		m.gossip[i].node = rd16(p);
		m.gossip[i].state = p[2];
		m.gossip[i].incarnation = rd32(p + 3);
		m.gossip[i].by = rd16(p + 7);
	}
	*out = m;
	return 0;
}

void mesh_stats_count(struct mesh_stats *s, int err)
{
	if (!s)
		return;
	s->rx++;
	switch (err) {
	case -AION_ETRUNC:     s->rx_bad_len++;     break;
	case -AION_EMALFORMED: s->rx_bad_magic++;   break;
	case -AION_ENOEXEC:    s->rx_bad_version++; break;
	case -AION_EINVAL:     s->rx_bad_type++;    break;
	case -AION_EPERM:      s->rx_bad_cluster++; break;
	case -AION_ERIGHTS:    s->rx_bad_mac++;     break;
	default:
		if (err >= 0)
			s->rx_ok++;
		else
			s->rx_bad_other++;
		break;
	}
}
