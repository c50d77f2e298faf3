/*
 * The scheduler's leader rules (see mesh/csched.h): terms, votes, the
 * leader's pushes and the followers' acks, and commit by majority.
 *
 * Safety rests on two facts. A node votes once per term, and a candidate
 * leads only with the votes of more than half of the configured nodes, so
 * a term has at most one leader. A version is committed only when more
 * than half of the configured nodes hold it, and every vote carries the
 * voter's state, so any later leader's majority includes a holder and the
 * leader adopts the newest state it got.
 *
 * Two refinements keep a working leader in place. A node that has a live
 * leader ignores a VOTE_REQ of a higher term altogether (it does not even
 * adopt the term), so a node that lost sight of the leader for a moment
 * cannot force an election on the others. And a node that regains a
 * quorum view after losing it, or learns of a newer term, waits
 * CSCHED_LEADER_TIMEOUT_NS for a STATE before it stands, so a node
 * returning from a partition hears the majority's leader instead of
 * unseating it.
 */
#include "mesh/csched.h"

#include "aion/error.h"

#define NODE_NONE 0xFFFFu

static unsigned view_len(const struct csched_view *v)
{
	return v->nalive < CSCHED_NODES_MAX ? v->nalive : CSCHED_NODES_MAX;
}

static bool in_view(const struct csched_view *v, uint16_t node)
{
	for (unsigned i = 0; i < view_len(v); i++)
		if (v->alive[i] == node)
			return true;
	return false;
}

static bool node_valid(uint16_t node)
{
	return node != 0 && node != NODE_NONE;
}

/* The view's other live nodes: the ones messages go to. */
static bool peer(const struct csched_node *n, const struct csched_view *v, unsigned i)
{
	return node_valid(v->alive[i]) && v->alive[i] != n->self;
}

/*
 * The voters are nodes 1..configured, the nodes the cluster was made with.
 * A node added later (a higher number) joins the view and takes work, but
 * neither votes nor counts towards a quorum or a commit: otherwise two
 * sides of a partition could each count more than half of `configured`.
 */
static bool voter(const struct csched_node *n, uint16_t node)
{
	return node >= 1 && node <= n->configured;
}

unsigned csched_live_voters(const struct csched_node *n, const struct csched_view *v)
{
	unsigned live = voter(n, n->self);      /* whether the view lists it or not */

	for (unsigned i = 0; i < view_len(v); i++)
		live += peer(n, v, i) && voter(n, v->alive[i]);
	return live;
}

bool csched_quorum(const struct csched_node *n, const struct csched_view *v)
{
	return 2 * csched_live_voters(n, v) > n->configured;
}

/* How many live nodes of the view have a lower id than this one. */
static unsigned rank(const struct csched_node *n, const struct csched_view *v)
{
	unsigned r = 0;

	for (unsigned i = 0; i < view_len(v); i++)
		r += peer(n, v, i) && v->alive[i] < n->self;
	return r;
}

static bool leader_live(const struct csched_node *n, const struct csched_view *v,
			uint64_t now)
{
	if (n->leading)
		return true;
	return n->leader && n->leader != n->self && in_view(v, n->leader) &&
	       now - n->leader_heard < CSCHED_LEADER_TIMEOUT_NS;
}

void csched_init(struct csched_node *n, uint16_t self, unsigned configured, uint64_t now)
{
	*n = (struct csched_node){ .self = self, .configured = configured };
	n->no_leader_since = now;
	n->had_quorum = true;   /* a starting node may stand at once */
	n->stand_at = now;
	n->self_load = (struct csched_load){ .node = self, .free_kib = UINT32_MAX };
}

static void step_down(struct csched_node *n)
{
	if (n->leading && n->leader == n->self)
		n->leader = 0;
	n->leading = false;
	n->candidate = false;
	n->ngranted = 0;
	n->nacked = 0;
	n->committed = 0;
}

/* A newer term exists: its candidate or leader gets a leader timeout to
 * show itself before this node stands. Without the wait, a node that
 * learnt the term from a leader it had lost (or from a failed candidate's
 * answer) would stand at once and its higher term would retire the
 * working leader at the next push. */
static void adopt_term(struct csched_node *n, uint32_t term, uint64_t now)
{
	if (term <= n->term)
		return;
	step_down(n);
	n->term = term;
	n->voted_for = 0;
	n->leader = 0;
	n->no_leader_since = now;
	n->quiet_until = now + CSCHED_LEADER_TIMEOUT_NS;
}

static struct csched_msg *msg(struct csched_node *n, struct csched_msg *m, uint8_t type,
			      uint16_t to)
{
	*m = (struct csched_msg){ .type = type, .from = n->self, .to = to, .term = n->term,
				 .load = n->self_load };
	m->load.node = n->self;
	if (type == CSCHED_MSG_VOTE || type == CSCHED_MSG_STATE)
		m->state = n->state;
	return m;
}

/* One message of `type` to every other node of the view. */
static int broadcast(struct csched_node *n, const struct csched_view *v, uint8_t type,
		     struct csched_msg *out, int max)
{
	int k = 0;

	for (unsigned i = 0; i < view_len(v) && k < max; i++)
		if (peer(n, v, i))
			msg(n, &out[k++], type, v->alive[i]);
	return k;
}

static int push(struct csched_node *n, uint64_t now, const struct csched_view *v,
		struct csched_msg *out, int max)
{
	n->next_push = now + CSCHED_PUSH_NS;
	return broadcast(n, v, CSCHED_MSG_STATE, out, max);
}

/* --- what others report --- */

static void record_load(struct csched_node *n, uint16_t from, const struct csched_load *l)
{
	unsigned i = 0;

	while (i < n->nloads && n->loads[i].node != from)
		i++;
	if (i == n->nloads) {
		if (n->nloads >= CSCHED_NODES_MAX)
			return;
		n->nloads++;
	}
	n->loads[i] = *l;
	n->loads[i].node = from;
}

/* Highest version that more than half of the configured nodes hold:
 * the leader's own copy and the acks of its term. Never goes back. */
static void update_committed(struct csched_node *n)
{
	uint32_t best = n->committed;

	for (unsigned c = 0; c <= n->nacked; c++) {
		uint32_t x = c < n->nacked ? n->acked_version[c] : n->state.version;
		unsigned holders = n->state.version >= x;

		for (unsigned i = 0; i < n->nacked; i++)
			holders += n->acked_version[i] >= x;
		if (2 * holders > n->configured && x > best)
			best = x;
	}
	n->committed = best;
}

static void record_ack(struct csched_node *n, uint16_t from, uint32_t version)
{
	unsigned i = 0;

	while (i < n->nacked && n->acked_node[i] != from)
		i++;
	if (i == n->nacked) {
		if (n->nacked >= CSCHED_NODES_MAX)
			return;
		n->acked_node[n->nacked++] = from;
		n->acked_version[i] = 0;
	}
	/* Acks may arrive out of order: a node holds the highest it acked. */
	if (version > n->acked_version[i])
		n->acked_version[i] = version;
	update_committed(n);
}

/* --- leading --- */

/* Placement with the view and every load known, self's included. */
static int place(struct csched_node *n, const struct csched_view *v)
{
	struct csched_load all[CSCHED_NODES_MAX + 1];
	unsigned k = 0;

	for (; k < n->nloads && k < CSCHED_NODES_MAX; k++)
		all[k] = n->loads[k];
	all[k] = n->self_load;
	all[k++].node = n->self;
	return csched_place(&n->state, v, all, k, n->why, sizeof(n->why));
}

static int become_leader(struct csched_node *n, uint64_t now, const struct csched_view *v,
			 struct csched_msg *out, int max)
{
	n->leading = true;
	n->candidate = false;
	n->leader = n->self;
	n->leader_heard = now;
	n->nacked = 0;
	n->committed = 0;
	n->state.term = n->term;
	place(n, v);
	n->state.version++;
	update_committed(n);
	return push(n, now, v, out, max);
}

static bool won(const struct csched_node *n)
{
	return 2 * n->ngranted > n->configured;
}

/* VOTE_REQ to the view's other nodes; one that granted already grants again. */
static int ask_votes(struct csched_node *n, uint64_t now, const struct csched_view *v,
		     struct csched_msg *out, int max)
{
	n->next_ask = now + CSCHED_VOTE_RETRY_NS;
	return broadcast(n, v, CSCHED_MSG_VOTE_REQ, out, max);
}

static int stand(struct csched_node *n, uint64_t now, const struct csched_view *v,
		 struct csched_msg *out, int max)
{
	n->term++;
	n->voted_for = n->self;
	n->leader = 0;
	n->candidate = true;
	n->granted[0] = n->self;
	n->ngranted = 1;
	n->no_leader_since = now;
	if (won(n))
		return become_leader(n, now, v, out, max);
	return ask_votes(n, now, v, out, max);
}

static int lead_tick(struct csched_node *n, uint64_t now, const struct csched_view *v,
		     struct csched_msg *out, int max)
{
	/* Measured from here when this node steps down. */
	n->no_leader_since = now;
	if (place(n, v) > 0) {
		n->state.version++;
		update_committed(n);
		return push(n, now, v, out, max);
	}
	if (now >= n->next_push)
		return push(n, now, v, out, max);
	return 0;
}

/* "no quorum: sees 2 of 5 nodes, needs 3" */
static void why_no_quorum(struct csched_node *n, const struct csched_view *v)
{
	n->why[0] = '\0';
	csched_why_put(n->why, sizeof(n->why), "no quorum: sees ");
	csched_why_put_uint(n->why, sizeof(n->why), csched_live_voters(n, v));
	csched_why_put(n->why, sizeof(n->why), " of ");
	csched_why_put_uint(n->why, sizeof(n->why), n->configured);
	csched_why_put(n->why, sizeof(n->why), " nodes, needs ");
	csched_why_put_uint(n->why, sizeof(n->why), n->configured / 2 + 1);
}

int csched_tick(struct csched_node *n, uint64_t now, const struct csched_view *v,
		struct csched_msg *out, int max)
{
	if (!csched_quorum(n, v)) {
		step_down(n);
		n->had_quorum = false;
		n->stand_at = UINT64_MAX;
		why_no_quorum(n, v);
		return 0;
	}
	if (!n->had_quorum) {
		n->had_quorum = true;
		n->quiet_until = now + CSCHED_LEADER_TIMEOUT_NS;
		n->why[0] = '\0';
	}
	if (n->leading)
		return lead_tick(n, now, v, out, max);
	if (leader_live(n, v, now)) {
		n->no_leader_since = now;
		n->stand_at = n->leader_heard + CSCHED_LEADER_TIMEOUT_NS;
		return 0;
	}
	/* Lowest id first; a failed candidacy retries after a timeout. */
	n->stand_at = n->no_leader_since + rank(n, v) * CSCHED_RANK_DELAY_NS +
		      (n->candidate ? CSCHED_LEADER_TIMEOUT_NS : 0);
	if (n->stand_at < n->quiet_until)
		n->stand_at = n->quiet_until;
	if (!voter(n, n->self))
		return 0;       /* follows whoever the voters elect */
	if (now >= n->stand_at)
		return stand(n, now, v, out, max);
	if (n->candidate && now >= n->next_ask)
		return ask_votes(n, now, v, out, max);
	return 0;
}

uint64_t csched_next_deadline(const struct csched_node *n, uint64_t now)
{
	uint64_t d = n->leading ? n->next_push : n->stand_at;

	if (n->candidate && n->next_ask < d)
		d = n->next_ask;

	/* Never sleep past a push period: the view may change meanwhile. */
	if (d > now + CSCHED_PUSH_NS)
		d = now + CSCHED_PUSH_NS;
	return d < now ? now : d;
}

/* --- messages --- */

static int on_vote_req(struct csched_node *n, uint64_t now, const struct csched_view *v,
		       const struct csched_msg *in, struct csched_msg *out, int max, bool live)
{
	bool grant = in->term == n->term && !live && in_view(v, in->from) &&
		     voter(n, in->from) && (n->voted_for == 0 || n->voted_for == in->from);

	if (max < 1)
		return 0;
	if (grant) {
		n->voted_for = in->from;
		/* Give the candidate time to win before standing ourselves. */
		n->no_leader_since = now;
	}
	msg(n, out, CSCHED_MSG_VOTE, in->from)->granted = grant;
	return 1;
}

static int on_vote(struct csched_node *n, uint64_t now, const struct csched_view *v,
		   const struct csched_msg *in, struct csched_msg *out, int max)
{
	if (!n->candidate || in->term != n->term || !in->granted || !voter(n, in->from))
		return 0;
	for (unsigned i = 0; i < n->ngranted; i++)
		if (n->granted[i] == in->from)
			return 0;
	if (n->ngranted >= CSCHED_NODES_MAX)
		return 0;
	n->granted[n->ngranted++] = in->from;
	if (csched_state_newer(&in->state, &n->state))
		n->state = in->state;
	return won(n) ? become_leader(n, now, v, out, max) : 0;
}

static int on_state(struct csched_node *n, uint64_t now, const struct csched_msg *in,
		    struct csched_msg *out, int max)
{
	struct csched_msg *ack;

	if (max < 1)
		return 0;
	if (in->term < n->term) {
		/* A stale leader: our higher term in the ack retires it. */
		msg(n, out, CSCHED_MSG_STATE_ACK, in->from);
		return 1;
	}
	if (n->leading || in->state.term != in->term)
		return -AION_EMALFORMED;        /* two leaders in one term: not ours */
	n->candidate = false;
	n->leader = in->from;
	n->leader_heard = now;
	n->no_leader_since = now;
	n->quiet_until = 0;     /* the leader we waited for showed itself */
	if (!csched_state_newer(&n->state, &in->state))
		n->state = in->state;
	ack = msg(n, out, CSCHED_MSG_STATE_ACK, in->from);
	ack->version = n->state.version;
	return 1;
}

int csched_receive(struct csched_node *n, uint64_t now, const struct csched_view *v,
		   const struct csched_msg *in, struct csched_msg *out, int max)
{
	bool live = leader_live(n, v, now);

	if (in->to != n->self || !node_valid(in->from) || in->from == n->self)
		return -AION_EINVAL;
	if (in->type < CSCHED_MSG_VOTE_REQ || in->type > CSCHED_MSG_STATE_ACK)
		return -AION_EINVAL;
	if (in->type != CSCHED_MSG_VOTE_REQ || !live)
		adopt_term(n, in->term, now);
	if (in->type == CSCHED_MSG_VOTE || in->type == CSCHED_MSG_STATE_ACK)
		record_load(n, in->from, &in->load);
	switch (in->type) {
	case CSCHED_MSG_VOTE_REQ:
		return on_vote_req(n, now, v, in, out, max, live);
	case CSCHED_MSG_VOTE:
		return on_vote(n, now, v, in, out, max);
	case CSCHED_MSG_STATE:
		return on_state(n, now, in, out, max);
	default:
		if (n->leading && in->term == n->term && voter(n, in->from))
			record_ack(n, in->from, in->version);
		return 0;
	}
}

/* --- changes asked by meshd --- */

static int64_t may_submit(const struct csched_node *n, const struct csched_view *v)
{
	if (!csched_quorum(n, v))
		return -AION_ENOQUORUM;
	if (!n->leading)
		return -AION_EAGAIN;
	return 0;
}

/* After a change: placement, a new version, and a push on the next tick. */
static int64_t submitted(struct csched_node *n, const struct csched_view *v)
{
	place(n, v);
	n->state.version++;
	n->next_push = 0;
	update_committed(n);
	return n->state.version;
}

int64_t csched_submit_add(struct csched_node *n, const struct csched_view *v, const char *name,
			  unsigned replicas, unsigned flags, const uint16_t *allowed,
			  unsigned nallowed)
{
	int64_t err = may_submit(n, v);

	if (!err)
		err = csched_job_add(&n->state, name, replicas, flags, allowed, nallowed);
	return err < 0 ? err : submitted(n, v);
}

int64_t csched_submit_remove(struct csched_node *n, const struct csched_view *v, const char *name)
{
	int64_t err = may_submit(n, v);

	if (!err)
		err = csched_job_remove(&n->state, name);
	return err < 0 ? err : submitted(n, v);
}

int64_t csched_submit_fail(struct csched_node *n, const struct csched_view *v, const char *name,
			   uint16_t node, uint32_t epoch)
{
	int64_t err = may_submit(n, v);

	if (!err)
		err = csched_job_fail(&n->state, name, node, epoch);
	return err < 0 ? err : submitted(n, v);
}

bool csched_committed(const struct csched_node *n, uint32_t version)
{
	return n->leading && version <= n->committed;
}

bool csched_committed_in(const struct csched_node *n, uint32_t term, uint32_t version)
{
	return term == n->term && csched_committed(n, version);
}
