/*
 * AionMesh membership: pure SWIM-family failure detector.
 * See mesh/include/mesh/member.h for the protocol and precedence rules.
 */
#include "mesh/member.h"
#include "common/xorshift.h"

const char *mesh_state_name(int state)
{
	switch (state) {
	case MESH_STATE_ALIVE: return "alive";
	case MESH_STATE_SUSPECT: return "suspect";
	case MESH_STATE_DEAD: return "dead";
	default: return "unknown";
	}
}

void mesh_member_default_config(struct mesh_member_config *cfg)
{
	cfg->period_ns = MESH_DEFAULT_PERIOD_NS;
	cfg->probe_timeout_ns = MESH_DEFAULT_PROBE_TIMEOUT_NS;
	cfg->suspect_timeout_ns = MESH_DEFAULT_SUSPECT_TIMEOUT_NS;
}

static uint32_t rng_next(struct mesh_members *m)
{
	return (uint32_t)(xorshift64(&m->rng) >> 32);
}

/* Retransmissions per change: about 4 * log2(n + 1), at least 3. */
static uint8_t retransmit_count(const struct mesh_members *m)
{
	uint32_t n = m->count + 2;
	uint8_t bits = 0;

	while (n > 1 && bits < 16) {
		n >>= 1;
		bits++;
	}
	return (uint8_t)(4 * (bits ? bits : 1));
}

static struct mesh_member *find(struct mesh_members *m, uint16_t node)
{
	for (uint32_t i = 0; i < m->count; i++)
		if (m->m[i].node == node)
			return &m->m[i];
	return NULL;
}

static const struct mesh_member *find_c(const struct mesh_members *m,
					uint16_t node)
{
	for (uint32_t i = 0; i < m->count; i++)
		if (m->m[i].node == node)
			return &m->m[i];
	return NULL;
}

static void emit(struct mesh_members *m, uint64_t now, uint16_t node,
		 int old_state, int new_state, uint32_t inc)
{
	if (m->event)
		m->event(m->ctx, now, node, old_state, new_state, inc);
}

static void set_state(struct mesh_members *m, struct mesh_member *e,
		      uint64_t now, int state, uint32_t inc)
{
	int old = e->state;

	e->incarnation = inc;
	if (old == state)
		return;
	e->state = (uint8_t)state;
	if (state == MESH_STATE_SUSPECT)
		e->suspect_since = now;
	e->gossip_left = retransmit_count(m);
	emit(m, now, e->node, old, state, inc);
}

static struct mesh_member *join(struct mesh_members *m, uint16_t node,
				uint64_t now, int state, uint32_t inc,
				bool gossip)
{
	struct mesh_member *e;

	if (node == m->self || node == MESH_NODE_NONE ||
	    m->count >= MESH_MEMBERS_MAX)
		return NULL;
	e = &m->m[m->count++];
	e->node = node;
	e->state = (uint8_t)state;
	e->incarnation = inc;
	e->last_heard = now;
	e->suspect_since = now;
	e->gossip_left = gossip ? retransmit_count(m) : 0;
	e->correct_to = MESH_NODE_NONE;
	emit(m, now, node, MESH_STATE_UNKNOWN, state, inc);
	return e;
}

int mesh_members_init(struct mesh_members *m, uint16_t self, uint64_t now,
		      const struct mesh_member_config *cfg,
		      mesh_member_event_fn event, void *ctx)
{
	if (!m || self == MESH_NODE_NONE)
		return -AION_EINVAL;
	*m = (struct mesh_members){0};
	if (cfg)
		m->cfg = *cfg;
	else
		mesh_member_default_config(&m->cfg);
	if (!m->cfg.period_ns || m->cfg.probe_timeout_ns >= m->cfg.period_ns)
		return -AION_EINVAL;
	m->self = self;
	m->last_probed = self;
	m->reprobe = MESH_NODE_NONE;
	m->next_probe = now;
	m->rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)self << 17 | self);
	m->event = event;
	m->ctx = ctx;
	return 0;
}

int mesh_members_add(struct mesh_members *m, uint16_t node, uint64_t now)
{
	if (node == m->self || node == MESH_NODE_NONE)
		return -AION_EINVAL;
	if (find(m, node))
		return -AION_EEXIST;
	if (!join(m, node, now, MESH_STATE_ALIVE, 0, false))
		return -AION_ENOSPC;
	return 0;
}

int mesh_members_state(const struct mesh_members *m, uint16_t node,
		       uint32_t *incarnation)
{
	const struct mesh_member *e;

	if (node == m->self) {
		if (incarnation)
			*incarnation = m->incarnation;
		return MESH_STATE_ALIVE;
	}
	e = find_c(m, node);
	if (!e)
		return MESH_STATE_UNKNOWN;
	if (incarnation)
		*incarnation = e->incarnation;
	return e->state;
}

/* Does (inc, state) take precedence over what e holds? */
static bool supersedes(const struct mesh_member *e, int state, uint32_t inc)
{
	if (inc != e->incarnation)
		return inc > e->incarnation;
	return state > e->state;
}

static void apply_gossip(struct mesh_members *m, uint64_t now,
			 uint16_t from, const struct mesh_gossip *g)
{
	struct mesh_member *e;

	if (g->state < MESH_STATE_ALIVE || g->state > MESH_STATE_DEAD)
		return;
	if (g->node == m->self) {
		if (g->incarnation > m->incarnation)
			m->incarnation = g->incarnation;
		if (g->state != MESH_STATE_ALIVE &&
		    g->incarnation >= m->incarnation &&
		    m->incarnation < UINT32_MAX) {
			m->incarnation = g->incarnation + 1;
			m->self_gossip_left = retransmit_count(m);
			emit(m, now, m->self, g->state, MESH_STATE_ALIVE,
			     m->incarnation);
		} else if (g->state != MESH_STATE_ALIVE &&
			   !m->self_gossip_left) {
			/* A stale claim (already refuted): the sender has
			 * not heard the refutation yet, so our reply to it
			 * carries our ALIVE entry again. */
			m->self_gossip_left = 1;
		}
		return;
	}
	e = find(m, g->node);
	if (!e) {
		join(m, g->node, now, g->state, g->incarnation, true);
		return;
	}
	if (supersedes(e, g->state, g->incarnation))
		set_state(m, e, now, g->state, g->incarnation);
	else if (from != MESH_NODE_NONE && g->incarnation < e->incarnation &&
		 g->state != MESH_STATE_ALIVE)
		/* The sender still holds a suspicion we know was refuted:
		 * our next message to it carries the newer entry. */
		e->correct_to = from;
}

static void put_gossip(struct mesh_msg *msg, uint16_t node, int state,
		       uint32_t inc)
{
	for (uint8_t i = 0; i < msg->ngossip; i++)
		if (msg->gossip[i].node == node)
			return;
	if (msg->ngossip >= MESH_GOSSIP_MAX)
		return;
	msg->gossip[msg->ngossip++] = (struct mesh_gossip){
		.node = node, .state = (uint8_t)state, .incarnation = inc };
}

/* Entry with the most retransmissions left not yet in msg, or NULL. */
static struct mesh_member *most_urgent(struct mesh_members *m,
				       const struct mesh_msg *msg)
{
	struct mesh_member *best = NULL;

	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];
		bool dup = false;

		if (!e->gossip_left || (best && e->gossip_left <= best->gossip_left))
			continue;
		for (uint8_t j = 0; j < msg->ngossip; j++)
			dup |= msg->gossip[j].node == e->node;
		if (!dup)
			best = e;
	}
	return best;
}

static void fill_gossip(struct mesh_members *m, struct mesh_msg *msg)
{
	const struct mesh_member *to = find_c(m, msg->to);

	msg->ngossip = 0;
	if (to && to->state != MESH_STATE_ALIVE)
		put_gossip(msg, to->node, to->state, to->incarnation);
	if (m->self_gossip_left) {
		m->self_gossip_left--;
		put_gossip(msg, m->self, MESH_STATE_ALIVE, m->incarnation);
	}
	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];

		if (e->correct_to == msg->to) {
			e->correct_to = MESH_NODE_NONE;
			put_gossip(msg, e->node, e->state, e->incarnation);
		}
	}
	for (int i = 0; i < MESH_GOSSIP_MAX && msg->ngossip < MESH_GOSSIP_MAX;
	     i++) {
		struct mesh_member *e = most_urgent(m, msg);

		if (!e)
			break;
		e->gossip_left--;
		put_gossip(msg, e->node, e->state, e->incarnation);
	}
}

static void make_msg(struct mesh_members *m, struct mesh_msg *out, int type,
		     uint16_t to, uint16_t target, uint32_t seq)
{
	*out = (struct mesh_msg){ .type = (uint8_t)type, .from = m->self,
				  .to = to, .target = target, .seq = seq };
	fill_gossip(m, out);
}

/* Next probe target: smallest non-dead id above last_probed, wrapping. */
static const struct mesh_member *next_target(const struct mesh_members *m)
{
	const struct mesh_member *above = NULL, *lowest = NULL;

	for (uint32_t i = 0; i < m->count; i++) {
		const struct mesh_member *e = &m->m[i];

		if (e->state == MESH_STATE_DEAD)
			continue;
		if (!lowest || e->node < lowest->node)
			lowest = e;
		if (e->node > m->last_probed &&
		    (!above || e->node < above->node))
			above = e;
	}
	return above ? above : lowest;
}

static int probe_indirect(struct mesh_members *m, struct mesh_msg *out,
			  size_t max)
{
	uint32_t live = 0, sent = 0;

	for (uint32_t i = 0; i < m->count; i++)
		live += m->m[i].state == MESH_STATE_ALIVE &&
			m->m[i].node != m->probe_target;
	if (!live)
		return 0;
	uint32_t start = rng_next(m) % m->count;
	for (uint32_t k = 0; k < m->count && sent < MESH_INDIRECT_K &&
	     sent < max; k++) {
		const struct mesh_member *e = &m->m[(start + k) % m->count];

		if (e->state != MESH_STATE_ALIVE || e->node == m->probe_target)
			continue;
		make_msg(m, &out[sent++], MESH_MSG_PING_REQ, e->node,
			 m->probe_target, m->probe_seq);
	}
	return (int)sent;
}

static void expire_suspects(struct mesh_members *m, uint64_t now)
{
	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];

		if (e->state == MESH_STATE_SUSPECT &&
		    now - e->suspect_since >= m->cfg.suspect_timeout_ns)
			set_state(m, e, now, MESH_STATE_DEAD, e->incarnation);
	}
}

int mesh_members_tick(struct mesh_members *m, uint64_t now,
		      struct mesh_msg *out, size_t max)
{
	int n = 0;

	if (!m || !out || max < MESH_TICK_MSGS_MAX)
		return -AION_EINVAL;
	if (m->probing && !m->probe_acked && !m->probe_indirect &&
	    now - m->probe_start >= m->cfg.probe_timeout_ns) {
		m->probe_indirect = true;
		n += probe_indirect(m, out, max);
	}
	if (m->probing && now >= m->next_probe) {
		struct mesh_member *e = find(m, m->probe_target);

		m->probing = false;
		if (!m->probe_acked && e && e->state == MESH_STATE_ALIVE) {
			set_state(m, e, now, MESH_STATE_SUSPECT,
				  e->incarnation);
			m->reprobe = e->node;
		} else if (e && e->state == MESH_STATE_SUSPECT) {
			/* Still suspected: keep probing it directly every
			 * period (each PING carries its SUSPECT entry, so a
			 * live node refutes within one round trip) until it
			 * refutes or its suspicion expires. An answer that
			 * carried no refutation (say an INDIRECT_ACK) is no
			 * reason to stop. */
			m->reprobe = e->node;
		}
	}
	expire_suspects(m, now);
	if (now >= m->next_probe && (size_t)n < max) {
		const struct mesh_member *t = find(m, m->reprobe);

		/* Probe a fresh suspect once more: the PING tells it. */
		if (!t || t->state != MESH_STATE_SUSPECT)
			t = next_target(m);
		m->reprobe = MESH_NODE_NONE;

		m->next_probe += m->cfg.period_ns;
		if (m->next_probe <= now)
			m->next_probe = now + m->cfg.period_ns;
		if (t) {
			m->probing = true;
			m->probe_acked = false;
			m->probe_indirect = false;
			m->probe_target = t->node;
			if (t->state == MESH_STATE_ALIVE)
				m->last_probed = t->node;
			m->probe_start = now;
			m->probe_seq++;
			make_msg(m, &out[n++], MESH_MSG_PING, t->node,
				 MESH_NODE_NONE, m->probe_seq);
		}
	}
	return n;
}

uint64_t mesh_members_next_deadline(const struct mesh_members *m)
{
	uint64_t d = m->next_probe;

	if (m->probing && !m->probe_acked && !m->probe_indirect &&
	    m->probe_start + m->cfg.probe_timeout_ns < d)
		d = m->probe_start + m->cfg.probe_timeout_ns;
	for (uint32_t i = 0; i < m->count; i++) {
		const struct mesh_member *e = &m->m[i];

		if (e->state == MESH_STATE_SUSPECT &&
		    e->suspect_since + m->cfg.suspect_timeout_ns < d)
			d = e->suspect_since + m->cfg.suspect_timeout_ns;
	}
	return d;
}

static void probe_answered(struct mesh_members *m, uint16_t node,
			   uint32_t seq)
{
	if (m->probing && node == m->probe_target && seq == m->probe_seq)
		m->probe_acked = true;
}

int mesh_members_receive(struct mesh_members *m, uint64_t now,
			 const struct mesh_msg *msg,
			 struct mesh_msg *out, size_t max)
{
	struct mesh_member *from;

	if (!m || !msg || !out || max < MESH_RECV_MSGS_MAX)
		return -AION_EINVAL;
	if (msg->to != m->self || msg->from == m->self ||
	    msg->from == MESH_NODE_NONE || msg->ngossip > MESH_GOSSIP_MAX)
		return -AION_EMALFORMED;
	from = find(m, msg->from);
	if (!from)
		from = join(m, msg->from, now, MESH_STATE_ALIVE, 0, true);
	if (from)
		from->last_heard = now;
	for (uint8_t i = 0; i < msg->ngossip; i++)
		apply_gossip(m, now, msg->from, &msg->gossip[i]);

	switch (msg->type) {
	case MESH_MSG_PING:
		make_msg(m, out, MESH_MSG_ACK, msg->from, msg->target,
			 msg->seq);
		return 1;
	case MESH_MSG_ACK:
		if (msg->target == MESH_NODE_NONE || msg->target == m->self) {
			probe_answered(m, msg->from, msg->seq);
			return 0;
		}
		make_msg(m, out, MESH_MSG_INDIRECT_ACK, msg->target,
			 msg->from, msg->seq);
		return 1;
	case MESH_MSG_PING_REQ:
		if (msg->target == m->self || msg->target == MESH_NODE_NONE)
			return -AION_EMALFORMED;
		make_msg(m, out, MESH_MSG_PING, msg->target, msg->from,
			 msg->seq);
		return 1;
	case MESH_MSG_INDIRECT_ACK:
		probe_answered(m, msg->target, msg->seq);
		return 0;
	default:
		return -AION_EMALFORMED;
	}
}
