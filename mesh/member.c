/*
 * AionMesh membership: SWIM with Lifeguard's local health awareness.
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

void mesh_member_base_config(struct mesh_member_config *cfg)
{
	cfg->period_ns = MESH_BASE_PERIOD_NS;
	cfg->probe_timeout_ns = MESH_BASE_PROBE_TIMEOUT_NS;
	cfg->suspect_min_ns = MESH_BASE_SUSPECT_MIN_NS;
	cfg->suspect_max_ns = MESH_BASE_SUSPECT_MAX_NS;
	cfg->suspect_k = MESH_DEFAULT_SUSPECT_K;
	cfg->lhm_max = MESH_LHM_MAX;
	cfg->refuted_max = MESH_DEFAULT_REFUTED_MAX;
}

int mesh_member_scaled_config(struct mesh_member_config *cfg, unsigned scale)
{
	if (!cfg || !scale || scale > MESH_DETECT_SCALE_MAX)
		return -AION_EINVAL;
	mesh_member_base_config(cfg);
	cfg->period_ns *= scale;
	cfg->probe_timeout_ns *= scale;
	cfg->suspect_min_ns *= scale;
	cfg->suspect_max_ns *= scale;
	return 0;
}

/* log2(x) in 16.16 fixed point, x >= 1 (no libm when freestanding). */
static uint64_t log2_q16(uint32_t x)
{
	uint32_t k = 0;
	uint64_t y, r;

	while ((x >> k) > 1)
		k++;
	y = ((uint64_t)x << 16) >> k;   /* x / 2^k in [1, 2), Q16 */
	r = (uint64_t)k << 16;
	for (uint64_t bit = 1u << 15; bit; bit >>= 1) {
		y = (y * y) >> 16;
		if (y >= 2u << 16) {
			y >>= 1;
			r |= bit;
		}
	}
	return r;
}

uint64_t mesh_suspect_timeout(const struct mesh_member_config *cfg,
			      uint32_t n, uint32_t c)
{
	/* memberlist: min and max times max(1, log10(n)). */
	uint64_t l2n = log2_q16(n ? n : 1), l2ten = log2_q16(10);
	uint64_t lo = cfg->suspect_min_ns, hi = cfg->suspect_max_ns;
	uint32_t k = cfg->suspect_k;

	if (l2n > l2ten) {
		lo = lo / l2ten * l2n + lo % l2ten * l2n / l2ten;
		hi = hi / l2ten * l2n + hi % l2ten * l2n / l2ten;
	}
	if (hi < lo)
		hi = lo;
	if (n < 2 + k)
		k = n > 2 ? n - 2 : 0;  /* only n - 2 others can confirm */
	if (!k || c >= k)
		return lo;
	/* hi - (hi - lo) * log(c + 1) / log(k + 1) */
	return hi - (hi - lo) / 1024 * (log2_q16(c + 1) * 1024 /
					log2_q16(k + 1));
}

unsigned mesh_rtt_bucket(uint64_t ns)
{
	unsigned b = 0;

	while (b + 1 < MESH_RTT_BUCKETS && ns >= mesh_rtt_bucket_ms(b) * MS)
		b++;
	return b;
}

unsigned mesh_rtt_bucket_ms(unsigned bucket)
{
	static const unsigned bound[MESH_RTT_BUCKETS - 1] = {
		2, 5, 10, 20, 40, 80, 160 };

	return bucket < MESH_RTT_BUCKETS - 1 ? bound[bucket] : 0;
}

static uint32_t rng_next(struct mesh_members *m)
{
	return (uint32_t)(xorshift64(&m->rng) >> 32);
}

/* Local health scaling of one of our own timeouts. */
static uint64_t scaled(const struct mesh_members *m, uint64_t ns)
{
	return ns * (m->lhm + 1);
}

/*
 * The probe timeout our ACKs' round trips call for (Jacobson's srtt + 4
 * rttvar, as TCP's retransmission timeout), never below the configured
 * one and at most MESH_RTO_MAX times it, before the local health
 * scaling. On a quiet host the round trips are a few ms and this is the
 * configured timeout; at 16 TCG nodes on two cores they reached 40-160
 * ms, and a fixed 40 ms made healthy nodes suspects (docs/mesh.md "16
 * nodes: why healthy nodes were suspected").
 */
static uint64_t rto(const struct mesh_members *m)
{
	uint64_t pt = m->cfg.probe_timeout_ns, want = m->srtt + 4 * m->rttvar;

	if (want <= pt)
		return pt;
	return want < pt * MESH_RTO_MAX ? want : pt * MESH_RTO_MAX;
}

/* Our probe timeout and period now: the period keeps what it gives
 * beyond the probe timeout (the indirect probes' time). */
static uint64_t probe_timeout(const struct mesh_members *m)
{
	return scaled(m, rto(m));
}

static uint64_t period(const struct mesh_members *m)
{
	return scaled(m, rto(m) + m->cfg.period_ns - m->cfg.probe_timeout_ns);
}

static void lhm_add(struct mesh_members *m, int delta)
{
	int64_t v = (int64_t)m->lhm + delta;

	if (v < 0)
		v = 0;
	if (v > (int64_t)m->cfg.lhm_max)
		v = m->cfg.lhm_max;
	m->lhm = (uint32_t)v;
}

/* Retransmissions per change: about 4 * log2(n + 2), at least 4. */
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

/* Live members, self included: the n of the suspicion timeout. */
static uint32_t live_count(const struct mesh_members *m)
{
	uint32_t n = 1;

	for (uint32_t i = 0; i < m->count; i++)
		n += m->m[i].state != MESH_STATE_DEAD;
	return n;
}

/*
 * The witnesses of a suspicion of node: the first cfg.suspect_k (at most
 * MESH_WITNESSES_MAX) live members after node by id, wrapping, ourselves
 * included when our turn comes, but for its first accuser (`skip`: its
 * failed probe is counted already, so the suspect_k confirmations a
 * suspicion waits for at its shortest need suspect_k witnesses besides
 * it). Every node that sees the same live members and the same first
 * accuser picks the same ones, so the accuser, the confirmers and the
 * suspect itself (refuting) all write to the same few nodes. Returns
 * their count.
 */
static int witnesses(const struct mesh_members *m, uint16_t node,
		     uint16_t skip, uint16_t *out)
{
	uint32_t k = m->cfg.suspect_k < MESH_WITNESSES_MAX ?
		     m->cfg.suspect_k : MESH_WITNESSES_MAX;
	int n = 0;
	uint16_t last = node;

	while ((uint32_t)n < k) {
		/* The smallest live id above last, wrapping past the top. */
		uint16_t above = MESH_NODE_NONE, lowest = MESH_NODE_NONE;

		for (uint32_t i = 0; i <= m->count; i++) {
			uint16_t id = i < m->count ? m->m[i].node : m->self;

			if (id == node || id == skip ||
			    (i < m->count && m->m[i].state == MESH_STATE_DEAD))
				continue;
			if (id < lowest)
				lowest = id;
			if (id > last && id < above)
				above = id;
		}
		last = above != MESH_NODE_NONE ? above : lowest;
		if (last == MESH_NODE_NONE)
			break;
		for (int j = 0; j < n; j++)
			if (out[j] == last)
				return n;       /* fewer live members than k */
		out[n++] = last;
	}
	return n;
}

/* The first accuser of e's suspicion as we heard it, or none. */
static uint16_t first_accuser(const struct mesh_member *e)
{
	return e->naccusers ? e->accusers[0] : MESH_NODE_NONE;
}

/*
 * Do we watch e's suspicion: did we raise or confirm it, or are we one of
 * its witnesses? Only watchers verify a suspicion, PING the suspect every
 * period and let confirmations shorten it. The others hold it, wait the
 * max, and hear the watchers' DEAD (to everyone) or the suspect's
 * refutation first: at 16 nodes 14 verifications and 14 PINGs a period at
 * a node that was slow to begin with kept it slow (docs/mesh.md "16
 * nodes: why healthy nodes were suspected").
 */
static bool watches(const struct mesh_members *m, const struct mesh_member *e)
{
	uint16_t w[MESH_WITNESSES_MAX];
	int n = witnesses(m, e->node, first_accuser(e), w);

	for (int i = 0; i < n; i++)
		if (w[i] == m->self)
			return true;
	for (uint8_t i = 0; i < e->naccusers; i++)
		if (e->accusers[i] == m->self)
			return true;
	return false;
}

static uint64_t suspect_deadline(const struct mesh_members *m,
				 const struct mesh_member *e)
{
	/* While we are more unhealthy than not ourselves, confirmations do
	 * not shorten our wait: the healthy nodes declare a real death, and
	 * their DEAD reaches us anyway. */
	uint32_t c = e->naccusers && m->lhm <= m->cfg.lhm_max / 2 &&
		     watches(m, e) ? e->naccusers - 1u : 0;

	uint32_t n = live_count(m);
	uint64_t t = mesh_suspect_timeout(&m->cfg, n, c);
	uint64_t floor = mesh_suspect_timeout(&m->cfg, n, UINT32_MAX) *
			 (1u + e->stretch);
	uint64_t ceil = mesh_suspect_timeout(&m->cfg, n, 0);

	if (floor > ceil)
		floor = ceil;
	if (t < floor)
		t = floor;
	/* Our own health stretches our suspicions too, but at most
	 * MESH_LHM_SUSPECT_CAP times: a node cut off from everyone (its
	 * probes all fail, so its LHM is at the max) still declares the
	 * others dead within a few seconds. */
	return e->suspect_since + t * (m->lhm + 1 < MESH_LHM_SUSPECT_CAP ?
				       m->lhm + 1 : MESH_LHM_SUSPECT_CAP);
}

/* e's refutations still remembered at now. */
static uint8_t refuted_now(const struct mesh_member *e, uint64_t now)
{
	uint64_t gone = now > e->refuted_at ?
			(now - e->refuted_at) / MESH_REFUTED_DECAY_NS : 0;

	return gone >= e->refuted ? 0 : (uint8_t)(e->refuted - gone);
}

static void emit(struct mesh_members *m, uint64_t now, uint16_t node,
		 int old_state, int new_state, uint32_t inc)
{
	if (m->event)
		m->event(m->ctx, now, node, old_state, new_state, inc);
}

static void set_state(struct mesh_members *m, struct mesh_member *e,
		      uint64_t now, int state, uint32_t inc, uint16_t by)
{
	int old = e->state;
	bool fresh = old != state || inc != e->incarnation;

	if ((old == MESH_STATE_SUSPECT || old == MESH_STATE_DEAD) &&
	    state == MESH_STATE_ALIVE && inc > e->incarnation &&
	    !e->rejoin) {
		/* It refuted: alive, but slow to answer lately. */
		uint8_t r = refuted_now(e, now);

		e->refuted = r < m->cfg.refuted_max ? r + 1u : r;
		e->refuted_at = now;
	}
	if (state == MESH_STATE_ALIVE)
		e->rejoin = false;
	e->incarnation = inc;
	if (!fresh)
		return;
	e->state = (uint8_t)state;
	e->verify = false;
	e->verify_seq = 0;
	e->naccusers = 0;
	e->by = MESH_NODE_NONE;
	if (state == MESH_STATE_SUSPECT) {
		e->suspect_since = now;
		e->stretch = refuted_now(e, now);
		e->by = by;
		if (by != MESH_NODE_NONE)
			e->accusers[e->naccusers++] = by;
	}
	e->gossip_left = retransmit_count(m);
	if (old != state)
		emit(m, now, e->node, old, state, inc);
}

/*
 * The link layer saw a new boot of node (a start it had not heard from).
 * The refutations we remember were the old boot's, which is gone; and if
 * we hold the node SUSPECT or DEAD, its coming back ALIVE is this boot
 * rejoining, not a slow node proving a suspicion wrong, so it is not
 * counted (the next ALIVE ends that). Held ALIVE, the new boot answers
 * from now on, and a later suspicion it refutes is counted as usual.
 */
void mesh_members_new_boot(struct mesh_members *m, uint16_t node)
{
	struct mesh_member *e = find(m, node);

	if (!e)
		return;
	e->refuted = 0;
	e->rejoin = e->state != MESH_STATE_ALIVE;
	/* The new boot knows the others as configured (ALIVE, incarnation
	 * 0) and gossip does not repeat old news: our next messages to it
	 * carry every entry that differs, or its probes would accuse at
	 * incarnations long refuted, and those stale suspicions, answered
	 * with the newer entry, cost a real death a second suspicion
	 * (docs/mesh.md "The probe schedule"). */
	for (uint32_t i = 0; i < m->count; i++)
		if (&m->m[i] != e && (m->m[i].incarnation ||
				      m->m[i].state != MESH_STATE_ALIVE))
			m->m[i].correct_to = node;
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
	*e = (struct mesh_member){ .node = node, .state = (uint8_t)state,
				   .incarnation = inc, .last_heard = now,
				   .suspect_since = now,
				   .correct_to = MESH_NODE_NONE,
				   .by = MESH_NODE_NONE };
	e->gossip_left = gossip ? retransmit_count(m) : 0;
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
		mesh_member_base_config(&m->cfg);
	if (!m->cfg.period_ns || m->cfg.probe_timeout_ns >= m->cfg.period_ns ||
	    m->cfg.lhm_max > MESH_LHM_MAX || m->cfg.refuted_max > 15)
		return -AION_EINVAL;
	m->self = self;
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

/* Accuser `by` of e's current suspicion: a confirmation when new. Returns
 * whether it was new. */
static bool add_accuser(struct mesh_members *m, struct mesh_member *e,
			uint16_t by)
{
	(void)m;
	if (by == MESH_NODE_NONE || by == e->node)
		return false;
	for (uint8_t i = 0; i < e->naccusers; i++)
		if (e->accusers[i] == by)
			return false;
	if (e->naccusers >= MESH_CONFIRM_MAX)
		return false;
	e->accusers[e->naccusers++] = by;
	e->by = by;
	e->gossip_left = retransmit_count(m);
	return true;
}

/*
 * We heard nothing from e for as long as our longest suspicion can last
 * (the max, stretched by our health as far as it goes): e is cut off
 * from us (a partition, a dead link, its death), not made to look silent
 * by our slowness. A starved node still hears the others: their packets
 * wait in its queue and it reads them when it runs (and a tick that runs
 * late accuses nobody: stalled()). Per member, not "heard from nobody":
 * the small side of a partition hears its own members, and each of them
 * unhealthy would keep the other side ALIVE for good.
 */
static bool silent(const struct mesh_members *m, const struct mesh_member *e,
		   uint64_t now)
{
	uint64_t quiet = mesh_suspect_timeout(&m->cfg, live_count(m), 0);

	if (quiet < m->cfg.suspect_max_ns)
		quiet = m->cfg.suspect_max_ns;  /* with nobody to confirm, t is the min */
	quiet *= MESH_LHM_SUSPECT_CAP;
	return now > e->last_heard && now - e->last_heard > quiet;
}

/* Our own probe or verification of e failed. */
static void accuse(struct mesh_members *m, struct mesh_member *e,
		   uint64_t now)
{
	/* More unhealthy than not: our failed probes say more about us than
	 * about e, so we accuse nobody (Lifeguard's point). Unless e has
	 * been silent too long: cut off from it, we would never declare it
	 * dead, as no healthy node's DEAD can reach us. */
	if (m->lhm > m->cfg.lhm_max / 2 && !silent(m, e, now))
		return;
	m->stats.accusations++;
	if (e->state == MESH_STATE_ALIVE) {
		set_state(m, e, now, MESH_STATE_SUSPECT, e->incarnation,
			  m->self);
		e->urgent = true;
	} else if (e->state == MESH_STATE_SUSPECT && add_accuser(m, e, m->self)) {
		/* A confirmation: broadcast while more are still expected. */
		e->urgent = e->naccusers <= m->cfg.suspect_k + 1;
	}
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
			m->self_urgent = true;
			m->accused_by = g->by;
			m->stats.refutations++;
			/* Lifeguard: being suspected hints that we are the
			 * slow one. */
			lhm_add(m, 1);
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
		e = join(m, g->node, now, g->state, g->incarnation, true);
		if (e && g->state == MESH_STATE_SUSPECT) {
			add_accuser(m, e, g->by);
			e->verify = g->by != m->self && watches(m, e);
		}
		return;
	}
	if (supersedes(e, g->state, g->incarnation)) {
		set_state(m, e, now, g->state, g->incarnation, g->by);
		/* A suspicion we did not raise: probe the suspect ourselves
		 * at once; no answer makes us a confirming accuser. */
		if (g->state == MESH_STATE_SUSPECT && g->by != m->self)
			e->verify = watches(m, e);
	} else if (g->state == MESH_STATE_SUSPECT &&
		   e->state == MESH_STATE_SUSPECT &&
		   g->incarnation == e->incarnation) {
		add_accuser(m, e, g->by);
	} else if (from != MESH_NODE_NONE && g->incarnation < e->incarnation &&
		   g->state != MESH_STATE_ALIVE) {
		/* The sender still holds a suspicion we know was refuted:
		 * our next message to it carries the newer entry. */
		e->correct_to = from;
	}
}

static void put_gossip(struct mesh_msg *msg, uint16_t node, int state,
		       uint32_t inc, uint16_t by)
{
	for (uint8_t i = 0; i < msg->ngossip; i++)
		if (msg->gossip[i].node == node)
			return;
	if (msg->ngossip >= MESH_GOSSIP_MAX)
		return;
	msg->gossip[msg->ngossip++] = (struct mesh_gossip){
		.node = node, .state = (uint8_t)state, .incarnation = inc,
		.by = state == MESH_STATE_SUSPECT ? by : MESH_NODE_NONE };
}

static void put_entry(struct mesh_msg *msg, const struct mesh_member *e)
{
	put_gossip(msg, e->node, e->state, e->incarnation, e->by);
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
		put_entry(msg, to);
	if (m->self_gossip_left) {
		m->self_gossip_left--;
		put_gossip(msg, m->self, MESH_STATE_ALIVE, m->incarnation,
			   MESH_NODE_NONE);
	}
	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];

		if (e->correct_to == msg->to &&
		    msg->ngossip < MESH_GOSSIP_MAX) {
			e->correct_to = MESH_NODE_NONE;
			put_entry(msg, e);
		}
	}
	for (int i = 0; i < MESH_GOSSIP_MAX && msg->ngossip < MESH_GOSSIP_MAX;
	     i++) {
		struct mesh_member *e = most_urgent(m, msg);

		if (!e)
			break;
		e->gossip_left--;
		put_entry(msg, e);
	}
}

static void make_msg(struct mesh_members *m, struct mesh_msg *out, int type,
		     uint16_t to, uint16_t target, uint32_t seq)
{
	*out = (struct mesh_msg){ .type = (uint8_t)type, .from = m->self,
				  .to = to, .target = target, .seq = seq,
				  .clock = m->clock_ms };
	fill_gossip(m, out);
}

/* Is node in msg's gossip? */
static bool has_entry(const struct mesh_msg *msg, uint16_t node)
{
	for (uint8_t i = 0; i < msg->ngossip; i++)
		if (msg->gossip[i].node == node)
			return true;
	return false;
}

/* One GOSSIP to each target that is not us, carrying g first. */
static int send_targeted(struct mesh_members *m, const struct mesh_gossip *g,
			 const uint16_t *to, int nto, struct mesh_msg *out)
{
	int n = 0;

	for (int i = 0; i < nto; i++) {
		bool dup = to[i] == m->self || to[i] == MESH_NODE_NONE;

		for (int j = 0; j < i; j++)
			dup |= to[j] == to[i];
		if (dup || !find(m, to[i]))
			continue;
		make_msg(m, &out[n], MESH_MSG_GOSSIP, to[i], MESH_NODE_NONE, 0);
		if (!has_entry(&out[n], g->node)) {
			if (out[n].ngossip == MESH_GOSSIP_MAX)
				out[n].ngossip--;
			out[n].gossip[out[n].ngossip++] = *g;
		}
		n++;
	}
	return n;
}

/*
 * Urgent news, at most MESH_URGENT_MSGS_MAX messages a tick (the rest is
 * still urgent: the next tick is due at once). A death goes to everyone
 * (one GOSSIP to MESH_NODE_NONE, which meshd sends to each member: every
 * survivor declares it within a hop). A suspicion or confirmation we
 * raise goes only to the suspect (it refutes at once), its accuser and
 * its witnesses (they verify it and confirm: the confirmations that bring
 * the timeout down to the min), and our refutation to our accuser and our
 * witnesses; the others hear either piggybacked. Why not everyone: at 16
 * nodes one such change to each member was 15 packets that kept the
 * sender's main thread from answering PINGs for 20-80 ms under TCG, and
 * the 14 verifications it started overflowed the suspect's socket queue,
 * so a suspicion raised more suspicions (docs/mesh.md "16 nodes").
 */
static int send_urgent(struct mesh_members *m, struct mesh_msg *out)
{
	uint16_t to[2 + MESH_WITNESSES_MAX];
	struct mesh_gossip g;
	int n = 0;

	out[n] = (struct mesh_msg){ .type = MESH_MSG_GOSSIP, .from = m->self,
				    .to = MESH_NODE_NONE,
				    .target = MESH_NODE_NONE,
				    .clock = m->clock_ms };
	for (uint32_t i = 0; i < m->count && out[n].ngossip < MESH_GOSSIP_MAX;
	     i++) {
		struct mesh_member *e = &m->m[i];

		if (e->urgent && e->state != MESH_STATE_SUSPECT) {
			e->urgent = false;      /* an ALIVE: refuted already */
			if (e->state == MESH_STATE_DEAD)
				put_entry(&out[n], e);
		}
	}
	n += out[n].ngossip ? 1 : 0;
	if (m->self_urgent) {
		m->self_urgent = false;
		g = (struct mesh_gossip){ .node = m->self,
			.state = MESH_STATE_ALIVE, .incarnation = m->incarnation,
			.by = MESH_NODE_NONE };
		to[0] = m->accused_by;
		return n + send_targeted(m, &g, to,
					 1 + witnesses(m, m->self, to[0], to + 1),
					 out + n);
	}
	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];

		if (!e->urgent)
			continue;
		e->urgent = false;
		g = (struct mesh_gossip){ .node = e->node, .state = e->state,
			.incarnation = e->incarnation, .by = e->by };
		to[0] = e->node;
		to[1] = first_accuser(e);
		return n + send_targeted(m, &g, to,
					 2 + witnesses(m, e->node, to[1], to + 2),
					 out + n);
	}
	return n;
}

/*
 * The probe schedule. Each node keeps a cluster clock, its own plus
 * clock_off; every message carries the sender's reading (ms) and one
 * ahead of ours is taken, so the clocks meet at the fastest within a
 * message's latency. Slots are periods P of that clock. Put the
 * members that are not DEAD, ourselves included, in id order (n of
 * them); in slot s the one at position p probes the one at p + 1 +
 * s mod (n - 1). For one s that is a permutation without a fixed point:
 * every member is probed by exactly one other in every slot, so a dead
 * node's first failed probe starts within a period of its death.
 *
 * Why: each node running its own round robin from its own boot let the
 * nodes' places drift together; at 16 nodes a member could go unprobed
 * for several periods (the detection tail, docs/mesh.md "The probe
 * schedule"). A node probes at ((n - p) mod n) P / n into the slot,
 * so that the cluster's PINGs do not all leave at once; in that
 * direction a member's next prober (one position down) mostly comes
 * P / n later in its slot, and no member waits more than P + 2 P / n
 * between two probes (with p P / n the prober wrapping from position 0
 * to n - 1 made it wait nearly 2 P once a round: test_probe_schedule).
 * Views that differ for a while (a death not heard everywhere yet) only
 * make the permutation imperfect for that while.
 */
static uint64_t cluster_now(const struct mesh_members *m, uint64_t now)
{
	return now + m->clock_off;
}

uint32_t mesh_members_clock_ms(const struct mesh_members *m)
{
	return m->clock_ms;
}

static void clock_take(struct mesh_members *m, uint64_t now, uint32_t theirs)
{
	int32_t ahead = (int32_t)(theirs - (uint32_t)(cluster_now(m, now) / MS));

	if (ahead > 0)
		m->clock_off += (uint64_t)ahead * MS;
}

/* Our position among the members not DEAD and ourselves in id order, and
 * into ids[] that order; returns their count. */
static uint32_t ring(const struct mesh_members *m,
		     uint16_t ids[MESH_MEMBERS_MAX + 1], uint32_t *pos)
{
	uint32_t n = 0;

	ids[n++] = m->self;
	for (uint32_t i = 0; i < m->count; i++) {
		uint16_t id = m->m[i].node;
		uint32_t j = n++;

		if (m->m[i].state == MESH_STATE_DEAD) {
			n--;
			continue;
		}
		for (; j && ids[j - 1] > id; j--)
			ids[j] = ids[j - 1];
		ids[j] = id;
	}
	for (*pos = 0; ids[*pos] != m->self; (*pos)++)
		;
	return n;
}

/* The member we probe in the slot now: the slot whose instant for us
 * (s P + *off on the cluster clock) is nearest. */
static const struct mesh_member *schedule(const struct mesh_members *m,
					  uint64_t now, uint64_t *off)
{
	uint16_t ids[MESH_MEMBERS_MAX + 1];
	uint32_t pos, n = ring(m, ids, &pos);
	uint64_t P = m->cfg.period_ns;

	*off = P * ((n - pos) % n) / n;
	if (n < 2)
		return NULL;
	/* Shifted by a slot to stay unsigned near the clock's 0. */
	uint64_t slot = (cluster_now(m, now) + P + P / 2 - *off) / P;

	return find_c(m, ids[(pos + 1 + (slot + n - 2) % (n - 1)) % n]);
}

/*
 * Our next probe at `next` (local), pulled toward our instant in its
 * slot: at most P / 4 later or P / 8 earlier a period, so a node that
 * booted anywhere, or whose cluster clock just jumped, is on its phase
 * within a few periods, and no probe loses more than P / 8 of its time.
 * Only at the base period: a node whose period is stretched (LHM, RTO)
 * probes at its own pace, its target still the slot's.
 */
static uint64_t phase_pull(const struct mesh_members *m, uint64_t next,
			   uint64_t off)
{
	uint64_t P = m->cfg.period_ns;
	uint64_t x = (cluster_now(m, next) + P - off) % P;

	if (period(m) != P)
		return next;
	if (x <= P / 2)
		return next - (x < P / 8 ? x : P / 8);
	return next + (P - x < P / 4 ? P - x : P / 4);
}

/* Probe timeout: the PING again, and PING_REQs to K other live nodes. */
static int probe_indirect(struct mesh_members *m, struct mesh_msg *out,
			  size_t max)
{
	uint32_t sent = 0;

	make_msg(m, &out[sent++], MESH_MSG_PING, m->probe_target,
		 MESH_NODE_NONE, m->probe_seq);
	uint32_t start = m->count ? rng_next(m) % m->count : 0;
	for (uint32_t k = 0, relays = 0; k < m->count &&
	     relays < MESH_INDIRECT_K && sent < max; k++) {
		const struct mesh_member *e = &m->m[(start + k) % m->count];

		if (e->state != MESH_STATE_ALIVE || e->node == m->probe_target)
			continue;
		make_msg(m, &out[sent++], MESH_MSG_PING_REQ, e->node,
			 m->probe_target, m->probe_seq);
		relays++;
	}
	m->probe_nacks_expected = (uint8_t)(sent - 1);
	return (int)sent;
}

static void expire_suspects(struct mesh_members *m, uint64_t now)
{
	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];

		if (e->state == MESH_STATE_SUSPECT &&
		    now >= suspect_deadline(m, e)) {
			set_state(m, e, now, MESH_STATE_DEAD, e->incarnation,
				  MESH_NODE_NONE);
			e->urgent = true;
		}
	}
}

/*
 * Did we run late? A timer that fires more than half a period after it
 * was due means this node was not running (a paused or starved VM): the
 * answer may be sitting unread in our queue, so a failure then is ours,
 * not the peer's (local health awareness; off with lhm_max 0).
 */
static bool stalled(struct mesh_members *m, uint64_t now, uint64_t due)
{
	if (!m->cfg.lhm_max || now - due <= period(m) / 2)
		return false;
	m->stats.stalls++;
	lhm_add(m, 1);
	return true;
}

/* PING_REQs for e's verification to K other live members: the count. */
static int verify_indirect(struct mesh_members *m, const struct mesh_member *e,
			   struct mesh_msg *out)
{
	int sent = 0;

	for (uint32_t k = 0; k < m->count && sent < MESH_INDIRECT_K; k++) {
		const struct mesh_member *r = &m->m[k];

		if (r->state != MESH_STATE_ALIVE || r == e)
			continue;
		make_msg(m, &out[sent++], MESH_MSG_PING_REQ, r->node, e->node,
			 e->verify_seq);
	}
	return sent;
}

/*
 * Verification of a suspicion, as a probe of its own: a PING carrying
 * the suspicion; no ACK within the probe timeout: the PING again and
 * PING_REQs; still none by what would be the period end: we accuse too.
 */
static int verify(struct mesh_members *m, uint64_t now, struct mesh_msg *out,
		  size_t max)
{
	int n = 0;

	for (uint32_t i = 0; i < m->count; i++) {
		struct mesh_member *e = &m->m[i];

		if (e->state != MESH_STATE_SUSPECT) {
			e->verify = false;
			e->verify_seq = 0;
			continue;
		}
		if (e->verify_seq && now >= e->verify_end) {
			if (stalled(m, now, e->verify_end)) {
				e->verify_seq = 0;
				e->verify = true;       /* again, awake */
			} else if (e->verify_stage == 1) {
				if ((size_t)n + 1 + MESH_INDIRECT_K > max)
					continue;       /* next tick */
				e->verify_stage = 2;
				e->verify_start = now;
				e->verify_end = now + period(m) -
						probe_timeout(m);
				make_msg(m, &out[n++], MESH_MSG_PING, e->node,
					 MESH_NODE_NONE, e->verify_seq);
				n += verify_indirect(m, e, out + n);
			} else {
				e->verify_seq = 0;
				accuse(m, e, now);
			}
		}
		if (e->verify && !e->verify_seq && (size_t)n < max) {
			e->verify = false;
			e->verify_seq = ++m->seq;
			e->verify_stage = 1;
			e->verify_start = now;
			m->stats.verifies++;
			e->verify_end = now + probe_timeout(m);
			make_msg(m, &out[n++], MESH_MSG_PING, e->node,
				 MESH_NODE_NONE, e->verify_seq);
		}
	}
	return n;
}

/* NACKs for relayed probes whose target has not answered. */
static int relay_nacks(struct mesh_members *m, uint64_t now,
		       struct mesh_msg *out, size_t max)
{
	int n = 0;

	for (int i = 0; i < MESH_RELAYS_MAX && (size_t)n < max; i++) {
		struct mesh_relay *r = &m->relay[i];

		if (r->nack_at && now >= r->nack_at) {
			r->nack_at = 0;
			make_msg(m, &out[n++], MESH_MSG_NACK, r->origin,
				 r->target, r->seq);
		}
	}
	return n;
}

static void end_probe(struct mesh_members *m, uint64_t now)
{
	struct mesh_member *e = find(m, m->probe_target);

	m->probing = false;
	if (m->probe_acked)
		return;
	if (stalled(m, now, m->next_probe))
		return;
	/* Lifeguard: a NACK that did not come means our own link or CPU
	 * failed too; with nobody to ask, any failed probe counts. */
	m->stats.probe_failures++;
	m->prev_probe_seq = m->probe_seq;
	m->prev_probe_start = m->probe_resent;
	m->prev_penalty = 0;
	if (m->probe_nacks_expected) {
		m->prev_penalty = m->probe_nacks_expected - m->probe_nacks;
		lhm_add(m, m->prev_penalty);
	} else {
		lhm_add(m, 1);
	}
	if (e && (e->state == MESH_STATE_ALIVE ||
		  e->state == MESH_STATE_SUSPECT))
		accuse(m, e, now);
}

static void start_probe(struct mesh_members *m, uint64_t now,
			struct mesh_msg *out, int *n)
{
	uint64_t off;
	/* The slot of the instant the probe was due: a tick that runs late
	 * (a VM the host did not run) still probes that slot's target, or
	 * in that slot nobody would probe it. */
	uint64_t due = now - m->next_probe < m->cfg.period_ns ?
		       m->next_probe : now;
	const struct mesh_member *t = schedule(m, due, &off);

	/* Every period, every node we hold SUSPECT gets a PING of its own
	 * besides the scheduled probe: it carries the suspicion, so a live
	 * node refutes within one round trip (the buddy system), and its
	 * failure makes us an accuser. */
	for (uint32_t i = 0; i < m->count; i++)
		if (m->m[i].state == MESH_STATE_SUSPECT && !m->m[i].verify_seq &&
		    watches(m, &m->m[i]))
			m->m[i].verify = true;
	m->next_probe += period(m);
	if (m->next_probe <= now)
		m->next_probe = now + period(m);
	m->next_probe = phase_pull(m, m->next_probe, off);
	if (!t)
		return;
	m->probing = true;
	m->probe_acked = false;
	m->probe_indirect = false;
	m->probe_nacks = 0;
	m->probe_nacks_expected = 0;
	m->probe_target = t->node;
	m->probe_start = m->probe_resent = now;
	m->probe_seq = ++m->seq;
	m->stats.probes++;
	make_msg(m, &out[(*n)++], MESH_MSG_PING, t->node, MESH_NODE_NONE,
		 m->probe_seq);
}

int mesh_members_tick(struct mesh_members *m, uint64_t now,
		      struct mesh_msg *out, size_t max)
{
	int n = 0;

	if (!m || !out || max < MESH_TICK_MSGS_MAX)
		return -AION_EINVAL;
	max -= MESH_URGENT_MSGS_MAX;    /* room for the urgent news */
	m->clock_ms = (uint32_t)(cluster_now(m, now) / MS);
	if (m->probing && !m->probe_acked && !m->probe_indirect &&
	    now - m->probe_start >= probe_timeout(m)) {
		m->probe_indirect = true;
		m->probe_resent = now;
		m->stats.probe_timeouts++;
		n += probe_indirect(m, out, max);
	}
	if (m->probing && now >= m->next_probe)
		end_probe(m, now);
	n += relay_nacks(m, now, out + n, max - (size_t)n);
	expire_suspects(m, now);
	if (now >= m->next_probe && (size_t)n < max)
		start_probe(m, now, out, &n);
	n += verify(m, now, out + n, max - (size_t)n);
	n += send_urgent(m, &out[n]);
	return n;
}

uint64_t mesh_members_announce_ns(const struct mesh_members *m, unsigned expected)
{
	unsigned alive = 0;

	/* A SUSPECT node still gets our PINGs (and refutes through them):
	 * announcing for it found nobody, and at 16 nodes every node's
	 * broadcast a second while suspicions came and went was 15 more
	 * datagrams a second at every node. */
	for (uint32_t i = 0; i < m->count; i++) {
		if (m->m[i].state == MESH_STATE_DEAD)
			return MESH_ANNOUNCE_FAST_NS;
		alive++;
	}
	return alive + 1 >= expected ? MESH_ANNOUNCE_SLOW_NS : MESH_ANNOUNCE_FAST_NS;
}

uint64_t mesh_members_next_deadline(const struct mesh_members *m)
{
	uint64_t d = m->count ? m->next_probe : UINT64_MAX;

	if (m->self_urgent)
		return 0;
	if (m->probing && !m->probe_acked && !m->probe_indirect &&
	    m->probe_start + probe_timeout(m) < d)
		d = m->probe_start + probe_timeout(m);
	for (int i = 0; i < MESH_RELAYS_MAX; i++)
		if (m->relay[i].nack_at && m->relay[i].nack_at < d)
			d = m->relay[i].nack_at;
	for (uint32_t i = 0; i < m->count; i++) {
		const struct mesh_member *e = &m->m[i];

		if (e->urgent || e->verify)
			return 0;
		if (e->state != MESH_STATE_SUSPECT)
			continue;
		if (suspect_deadline(m, e) < d)
			d = suspect_deadline(m, e);
		if (e->verify_seq && e->verify_end < d)
			d = e->verify_end;
	}
	return d;
}

/* A direct ACK's round trip (late ones too: they are the slow tail the
 * timeout must cover), from the last PING it may answer: an ACK after a
 * PING was sent again counts from the second (a lost first PING says
 * nothing of the round trip; Karn's rule would ignore it, and with it
 * the slow tail). */
static void rtt_add(struct mesh_members *m, uint64_t now, uint64_t sent)
{
	uint64_t rtt = now - sent;
	uint64_t err = rtt > m->srtt ? rtt - m->srtt : m->srtt - rtt;

	m->stats.rtt[mesh_rtt_bucket(rtt)]++;
	if (!m->srtt) {
		m->srtt = rtt ? rtt : 1;
		m->rttvar = rtt / 2;
		return;
	}
	m->rttvar = (3 * m->rttvar + err) / 4;
	m->srtt = (7 * m->srtt + rtt) / 8;
}

static void probe_answered(struct mesh_members *m, uint64_t now,
			   uint16_t node, uint32_t seq, bool direct)
{
	struct mesh_member *e;

	if (m->probing && !m->probe_acked && node == m->probe_target &&
	    seq == m->probe_seq) {
		m->probe_acked = true;
		if (direct) {
			lhm_add(m, -1);
			rtt_add(m, now, m->probe_resent);
		}
	} else if (direct && seq == m->prev_probe_seq && m->prev_probe_start) {
		/* The answer came, after we gave up on it. */
		m->stats.late_acks++;
		rtt_add(m, now, m->prev_probe_start);
		m->prev_probe_start = 0;
	}
	e = find(m, node);
	if (e && e->verify_seq && e->verify_seq == seq) {
		e->verify_seq = 0;
		if (direct)
			rtt_add(m, now, e->verify_start);
	}
}

/* Remember a relayed probe so its origin gets a NACK if the target is
 * silent; a full table only costs the origin a missing NACK. */
static void relay_add(struct mesh_members *m, uint64_t now, uint16_t origin,
		      uint16_t target, uint32_t seq)
{
	uint64_t wait = (m->cfg.period_ns - m->cfg.probe_timeout_ns) / 2;

	for (int i = 0; i < MESH_RELAYS_MAX; i++) {
		struct mesh_relay *r = &m->relay[i];

		if (!r->nack_at) {
			*r = (struct mesh_relay){ .origin = origin,
				.target = target, .seq = seq,
				.nack_at = now + wait };
			return;
		}
	}
}

static void relay_done(struct mesh_members *m, uint16_t origin,
		       uint16_t target, uint32_t seq)
{
	for (int i = 0; i < MESH_RELAYS_MAX; i++) {
		struct mesh_relay *r = &m->relay[i];

		if (r->nack_at && r->origin == origin && r->target == target &&
		    r->seq == seq)
			r->nack_at = 0;
	}
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
	clock_take(m, now, msg->clock);
	m->clock_ms = (uint32_t)(cluster_now(m, now) / MS);
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
			probe_answered(m, now, msg->from, msg->seq, true);
			return 0;
		}
		relay_done(m, msg->target, msg->from, msg->seq);
		make_msg(m, out, MESH_MSG_INDIRECT_ACK, msg->target,
			 msg->from, msg->seq);
		return 1;
	case MESH_MSG_PING_REQ:
		if (msg->target == m->self || msg->target == MESH_NODE_NONE)
			return -AION_EMALFORMED;
		relay_add(m, now, msg->from, msg->target, msg->seq);
		m->stats.relays++;
		make_msg(m, out, MESH_MSG_PING, msg->target, msg->from,
			 msg->seq);
		return 1;
	case MESH_MSG_INDIRECT_ACK:
		probe_answered(m, now, msg->target, msg->seq, false);
		return 0;
	case MESH_MSG_NACK:
		if (m->probing && msg->target == m->probe_target &&
		    msg->seq == m->probe_seq &&
		    m->probe_nacks < m->probe_nacks_expected) {
			m->probe_nacks++;
		} else if (msg->seq == m->prev_probe_seq && m->prev_penalty) {
			/* Late, but the relay (and so our link) works: take
			 * back what its absence cost. */
			m->prev_penalty--;
			lhm_add(m, -1);
		}
		return 0;
	case MESH_MSG_GOSSIP:
		return 0;
	default:
		return -AION_EMALFORMED;
	}
}
