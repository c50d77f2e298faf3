/*
 * Placement: where the instances of the desired state's jobs run (the
 * policy is in mesh/csched.h). Only the leader calls csched_place, with its
 * own view; followers take the result from the leader's STATE.
 */
#include "mesh/csched.h"

#define NODE_NONE 0xFFFFu

/* One csched_place call. `placed` counts the instances this call put on
 * each view node: a load report lags a placement by at least a push
 * period, so without it every missing instance of a round would land on
 * the one node that was least loaded before the round. */
struct round {
	const struct csched_view *v;
	unsigned nalive;
	const struct csched_load *loads;
	unsigned nloads;
	unsigned placed[CSCHED_NODES_MAX];
};

uint64_t csched_load_score(const struct csched_load *l)
{
	uint64_t cpu = l->cpu_pct > 100 ? 100 : l->cpu_pct;

	/* Less free memory is more load: the low word is its complement. */
	return cpu << 48 | (uint64_t)l->units << 32 | (uint32_t)~l->free_kib;
}

void csched_why_put(char *why, size_t why_len, const char *s)
{
	size_t end = 0;

	if (!why || !why_len)
		return;
	while (end < why_len - 1 && why[end])
		end++;
	while (*s && end < why_len - 1)
		why[end++] = *s++;
	why[end] = '\0';
}

void csched_why_put_uint(char *why, size_t why_len, unsigned v)
{
	char digits[12];
	int n = sizeof(digits) - 1;

	digits[n] = '\0';
	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10) && n > 0);
	csched_why_put(why, why_len, &digits[n]);
}

/* Index of node in the view, or -1. */
static int view_index(const struct round *r, uint16_t node)
{
	for (unsigned i = 0; i < r->nalive; i++)
		if (r->v->alive[i] == node && node != 0 && node != NODE_NONE)
			return (int)i;
	return -1;
}

static struct csched_load load_of(const struct round *r, uint16_t node)
{
	for (unsigned i = 0; i < r->nloads; i++)
		if (r->loads[i].node == node)
			return r->loads[i];
	return (struct csched_load){ .node = node, .free_kib = UINT32_MAX };
}

static unsigned inst_count(const struct csched_job *j)
{
	unsigned n = 0;

	while (n < CSCHED_REPLICAS_MAX && j->inst[n].node)
		n++;
	return n;
}

static bool holds(const struct csched_job *j, uint16_t node)
{
	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++)
		if (j->inst[i].node == node)
			return true;
	return false;
}

static bool distinct(const struct csched_job *j)
{
	return j->flags & (CSCHED_SPREAD | CSCHED_REPLICATED);
}

/* Drops the instances on nodes outside the view, keeping inst[]
 * compacted in its old order (so a surviving primary stays first). */
static int drop_missing(const struct round *r, struct csched_job *j)
{
	unsigned keep = 0;
	int dropped = 0;

	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++) {
		if (j->inst[i].node && view_index(r, j->inst[i].node) >= 0)
			j->inst[keep++] = j->inst[i];
		else if (j->inst[i].node)
			dropped++;
	}
	for (unsigned i = keep; i < CSCHED_REPLICAS_MAX; i++)
		j->inst[i] = (struct csched_inst){0};
	return dropped;
}

/* Instance 0 of a replicated job is its primary: when the old primary
 * was dropped, the first backup left takes over under a new epoch. */
static int fix_roles(struct csched_job *j)
{
	int changed = 0;

	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX && j->inst[i].node; i++) {
		uint8_t want = CSCHED_ROLE_PLAIN;

		if (j->flags & CSCHED_REPLICATED)
			want = i == 0 ? CSCHED_ROLE_PRIMARY : CSCHED_ROLE_BACKUP;
		if (j->inst[i].role == want)
			continue;
		if (want == CSCHED_ROLE_PRIMARY)
			j->epoch++;
		j->inst[i].role = want;
		changed++;
	}
	return changed;
}

/* Is candidate c a better home than the best so far? Fewer instances
 * placed this round, then lower load, then lower node id. */
static bool better(const struct round *r, int c, int best)
{
	struct csched_load lc, lb;
	uint64_t sc, sb;

	if (best < 0)
		return true;
	if (r->placed[c] != r->placed[best])
		return r->placed[c] < r->placed[best];
	lc = load_of(r, r->v->alive[c]);
	lb = load_of(r, r->v->alive[best]);
	sc = csched_load_score(&lc);
	sb = csched_load_score(&lb);
	if (sc != sb)
		return sc < sb;
	return r->v->alive[c] < r->v->alive[best];
}

/* The view index of the node for the job's next instance, or -1. */
static int pick(const struct round *r, const struct csched_job *j)
{
	int best = -1;

	if (j->allowed[0]) {
		for (unsigned i = 0; i < CSCHED_ALLOWED_MAX && j->allowed[i]; i++) {
			int c = view_index(r, j->allowed[i]);

			if (c >= 0 && !(distinct(j) && holds(j, j->allowed[i])))
				return c;
		}
		return -1;
	}
	for (unsigned c = 0; c < r->nalive; c++) {
		uint16_t node = r->v->alive[c];

		if (node == 0 || node == NODE_NONE || (distinct(j) && holds(j, node)))
			continue;
		if (better(r, (int)c, best))
			best = (int)c;
	}
	return best;
}

static unsigned live_allowed(const struct round *r, const struct csched_job *j)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CSCHED_ALLOWED_MAX && j->allowed[i]; i++)
		n += view_index(r, j->allowed[i]) >= 0;
	return n;
}

/* "job=NAME have=H want=W why=REASON\n" */
static void explain(const struct round *r, const struct csched_job *j, unsigned have,
		    char *why, size_t why_len)
{
	csched_why_put(why, why_len, "job=");
	csched_why_put(why, why_len, j->name);
	csched_why_put(why, why_len, " have=");
	csched_why_put_uint(why, why_len, have);
	csched_why_put(why, why_len, " want=");
	csched_why_put_uint(why, why_len, j->replicas);
	if (j->allowed[0] && !live_allowed(r, j)) {
		csched_why_put(why, why_len, " why=no allowed node is alive\n");
		return;
	}
	if (!distinct(j)) {
		csched_why_put(why, why_len, " why=no node is alive\n");
		return;
	}
	csched_why_put(why, why_len, " why=distinct nodes needed, only ");
	csched_why_put_uint(why, why_len, j->allowed[0] ? live_allowed(r, j) : r->nalive);
	csched_why_put(why, why_len, j->allowed[0] ? " allowed nodes alive\n" : " nodes alive\n");
}

static int place_missing(struct round *r, struct csched_job *j)
{
	unsigned have = inst_count(j);
	int placed = 0;

	while (have < j->replicas) {
		int c = pick(r, j);
		uint8_t role = CSCHED_ROLE_PLAIN;

		if (c < 0)
			break;
		if (j->flags & CSCHED_REPLICATED)
			role = have == 0 ? CSCHED_ROLE_PRIMARY : CSCHED_ROLE_BACKUP;
		if (role == CSCHED_ROLE_PRIMARY)
			j->epoch++;
		j->inst[have++] = (struct csched_inst){ .node = r->v->alive[c], .role = role };
		r->placed[c]++;
		placed++;
	}
	return placed;
}

int csched_place(struct csched_state *s, const struct csched_view *v,
		 const struct csched_load *loads, unsigned nloads, char *why, size_t why_len)
{
	struct round r = { .v = v, .loads = loads, .nloads = loads ? nloads : 0 };
	int changes = 0;

	r.nalive = v->nalive < CSCHED_NODES_MAX ? v->nalive : CSCHED_NODES_MAX;
	if (why && why_len)
		why[0] = '\0';
	for (unsigned i = 0; i < s->njobs && i < CSCHED_JOBS_MAX; i++) {
		struct csched_job *j = &s->job[i];

		changes += drop_missing(&r, j);
		changes += fix_roles(j);
		changes += place_missing(&r, j);
		if (inst_count(j) < j->replicas)
			explain(&r, j, inst_count(j), why, why_len);
	}
	return changes;
}
