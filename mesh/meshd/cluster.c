/*
 * meshd, the cluster scheduler's glue around the committed state
 * (consensus.h): this node's load, sent to the leader; placement, run by
 * the leader and proposed as a log entry; this node's instances
 * reconciled with what is committed (jobs.c); `jobs` and `top`.
 *
 * The leader places only from the committed state and only once it has
 * applied an entry of its own term (cons_leader_ready), and keeps one
 * placement in flight: a PLACE applies only on the version it was
 * computed from (cstate.c), so a stale one changes nothing.
 */
#include "meshd.h"
#include "consensus.h"
#include "aion/initproto.h"
#include "common/cmdline.h"
#include "common/format.h"

/* This node measures its load at the first pass of the main loop at least
 * LOAD_NS after the last (an idle node's loop runs for membership several
 * times a second, so no timer of its own: a lone node measures every
 * LOAD_QUIET_NS), and reports it to the leader when it is news
 * (csched_load_news), to a new leader at once, and otherwise every
 * LOAD_QUIET_NS: an idle cluster's nodes sent one report a second each,
 * a packet and a wake-up of the leader's node (docs/mesh.md "Idle cost"). */
#define LOAD_NS         (1000 * MS)
#define LOAD_QUIET_NS   (10000 * MS)
#define PLACE_NS        (2000 * MS)     /* a placement's budget */

static struct csched_load self_load;
static struct csched_load loads[CSCHED_NODES_MAX];     /* others', as last reported */
static unsigned nloads;
static uint64_t next_load, last_idle, last_clock;
static struct csched_load sent_load;    /* as last reported */
static uint16_t sent_to;                /* to this leader */
static uint64_t sent_at;
static uint32_t seen_version = UINT32_MAX;
static uint64_t seen_applied;
static bool was_leading, placing;
static char why[256];                   /* the leader's last placement shortfalls */

void cluster_view(struct csched_view *v)
{
	v->self = self_node;
	v->nalive = 0;
	v->alive[v->nalive++] = self_node;
	for (unsigned i = 0; i < members.count && v->nalive < CSCHED_NODES_MAX; i++)
		if (node_alive(members.m[i].node))
			v->alive[v->nalive++] = members.m[i].node;
}

bool cluster_quorum(unsigned *live, unsigned *voters)
{
	uint16_t nodes[CSCHED_NODES_MAX];
	unsigned n = cons_voter_nodes(nodes, CSCHED_NODES_MAX);
	*voters = n;
	*live = 0;
	for (unsigned i = 0; i < n; i++)
		*live += nodes[i] == self_node || node_alive(nodes[i]);
	return n && *live > n / 2;
}

/* --- loads --- */

static void measure_load(uint64_t now)
{
	struct aion_system_info si;
	if (aion_system_info(&si))
		return;
	uint64_t busy = 0;
	if (last_clock && now > last_clock) {
		uint64_t idle = si.idle_ns - last_idle, span = now - last_clock;
		busy = idle >= span ? 0 : 100 - idle * 100 / span;
	}
	last_idle = si.idle_ns;
	last_clock = now;
	self_load = (struct csched_load){
		.node = self_node, .cpu_pct = (uint8_t)busy,
		.free_kib = (uint32_t)(si.free_frames * 4), .units = (uint16_t)jobs_units,
	};
}

/* The leader places by load: each node tells it its own (LOAD_NS). */
static void send_load(uint64_t now)
{
	uint8_t buf[CSCHED_LOAD_LEN];
	uint16_t leader = cons_leader_node();
	if (!leader || leader == self_node)
		return;
	if (leader == sent_to && now - sent_at < LOAD_QUIET_NS &&
	    !csched_load_news(&sent_load, &self_load))
		return;
	int n = csched_load_encode(&self_load, buf, sizeof(buf));
	if (n > 0)
		link_send(leader, MESH_SCHED, buf, (size_t)n);
	sent_load = self_load;
	sent_to = leader;
	sent_at = now;
}

void cluster_receive(uint16_t src, const uint8_t *payload, size_t len)
{
	struct csched_load l;
	if (csched_load_decode(payload, len, &l) || l.node != src) {
		mlog("error: load report from node=%u refused", src);
		return;
	}
	unsigned i = 0;
	while (i < nloads && loads[i].node != src)
		i++;
	if (i == nloads && nloads == CSCHED_NODES_MAX)
		return;
	nloads += i == nloads;
	loads[i] = l;
}

/* --- placement (the leader) --- */

static void placed(void *arg, int64_t err, const struct cstate_result *res)
{
	(void)arg;
	placing = false;
	if (!err)
		err = res->err;
	if (err && err != -AION_ECONFLICT)
		mlog("placement not applied err=%s", aion_error_name(err));
}

static void leader_place(void)
{
	static uint8_t cmd[CSTATE_CMD_MAX];
	struct csched_load all[CSCHED_NODES_MAX + 1];
	struct csched_view v;
	if (placing || !cons_leading() || !cons_leader_ready())
		return;
	struct csched_state s = cons_state()->sched;
	memcpy(all, loads, nloads * sizeof(loads[0]));
	all[nloads] = self_load;
	cluster_view(&v);
	why[0] = '\0';
	if (csched_place(&s, &v, all, nloads + 1, why, sizeof(why)) <= 0)
		return;
	int n = cstate_cmd_place(cmd, sizeof(cmd), &s);
	int64_t err = n < 0 ? n : cons_propose(cmd, (size_t)n, PLACE_NS, placed, NULL);
	if (!err)
		placing = true;
	else if (err != -AION_EBUSY && err != -AION_ENOTLEADER)
		mlog("placement not proposed err=%s", aion_error_name(err));
}

void cluster_init(void)
{
	next_load = aion_clock_ns();
}

void cluster_tick(uint64_t now)
{
	if (now >= next_load) {
		measure_load(now);
		send_load(now);
		next_load = now + LOAD_NS;
	}
	if (cons_leading() != was_leading) {
		was_leading = cons_leading();
		mlog("scheduler %s term=%u version=%u", was_leading ? "leading" : "follower",
		     cons_term(), cons_state()->sched.version);
	}
	leader_place();
	const struct cstate *cs = cons_state();
	if (cs->sched.version != seen_version || cs->applied < seen_applied) {
		seen_version = cs->sched.version;
		mlog("scheduler state term=%u version=%u jobs=%u leader=%u", cs->sched.term,
		     seen_version, cs->sched.njobs, cons_leader_node());
		jobs_reconcile(&cs->sched);
	}
	seen_applied = cs->applied;
}

uint64_t cluster_load_due(void)
{
	return next_load;
}

uint64_t cluster_deadline(void)
{
	return next_load + LOAD_QUIET_NS - LOAD_NS;
}

/* --- text --- */

/* This node's `top` line. `leader` marks the node that leads (each node
 * says so of itself); `(this node)` the node whose shell asked (here). */
static void load_text(char *out, unsigned size, bool here)
{
	const struct csched_load *l = &self_load;
	aion_text_add(out, size, "node=%u cpu=%u%% free_kib=%u units=%u%s%s\n", self_node,
		      l->cpu_pct, l->free_kib, l->units, cons_leading() ? " leader" : "",
		      here ? " (this node)" : "");
}

static void job_text(char *out, unsigned size, const struct csched_job *j)
{
	unsigned have = 0;
	for (unsigned k = 0; k < CSCHED_REPLICAS_MAX; k++)
		have += j->inst[k].node != 0;
	aion_text_add(out, size, "job=%s want=%u have=%u epoch=%u%s%s nodes=", j->name,
		      j->replicas, have, j->epoch, j->flags & CSCHED_SPREAD ? " spread" : "",
		      j->flags & CSCHED_REPLICATED ? " primary-backup" : "");
	for (unsigned k = 0; k < CSCHED_ALLOWED_MAX && j->allowed[k]; k++)
		aion_text_add(out, size, "%s%u", k ? "," : "", j->allowed[k]);
	aion_text_add(out, size, "%s inst=", j->allowed[0] ? "" : "any");
	for (unsigned k = 0, c = 0; k < CSCHED_REPLICAS_MAX; k++)
		if (j->inst[k].node)
			aion_text_add(out, size, "%s%u:%s", c++ ? "," : "", j->inst[k].node,
				      mesh_role_name(j->inst[k].role));
	aion_text_add(out, size, "\n");
}

/* The committed desired state as this node applied it (MESHD_JOBS). */
static void state_text(char *out, unsigned size)
{
	const struct cstate *cs = cons_state();
	unsigned live, voters;
	bool quorum = cluster_quorum(&live, &voters);
	aion_text_add(out, size, "scheduler node=%u leader=%u term=%u state=%u.%u applied=%lu quorum=%s sees=%u/%u%s\n",
		      self_node, cons_leader_node(), cons_term(), cs->sched.term, cs->sched.version,
		      (unsigned long)cs->applied, quorum ? "yes" : "no", live, voters,
		      cons_leading() ? " leading" : "");
	for (unsigned i = 0; i < cs->sched.njobs; i++)
		job_text(out, size, &cs->sched.job[i]);
	if (cons_leading() && why[0])
		aion_text_add(out, size, "%s", why);
}

/* MESHD_TOP: this node's line, then every other live node's. */
int64_t cluster_top_call(struct aion_serve_req *r)
{
	char text[AION_IPC_PAYLOAD_MAX] = "";
	load_text(text, sizeof(text), true);
	return names_ask_all(r, MESH_SELF_TOP, text);
}

/* MESHD_JOBS: the desired state as this node holds it. */
int64_t cluster_jobs_call(struct aion_serve_req *r)
{
	char text[AION_IPC_PAYLOAD_MAX] = "";
	state_text(text, sizeof(text));
	aion_serve_put_text(r, text);
	return 0;
}

/* Another node's meshd asks for this node's load (TOP), or forwards a
 * request to the leader (requests.c). */
int cluster_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply)
{
	if (r->label == MESH_SELF_TOP) {
		char text[MESH_CALL_DATA_MAX + 1] = "";
		load_text(text, sizeof(text), false);
		reply->len = (uint16_t)strlen(text);
		memcpy(reply->data, text, reply->len);
		return 0;
	}
	if (r->label >= MESH_SELF_SPAWN && r->label != MESH_SELF_TOP && r->label <= MESH_SELF_REMOVE)
		return requests_self_call(src, r, reply);
	reply->w[0] = (uint64_t)-AION_ENOSYS;
	return 0;
}

/* --- requests as commands --- */

/* A spawn request: "PROGRAM [--replicas K] [--node A[,B..]] [--spread]". */
struct spawn_req {
	char name[CSCHED_NAME_MAX];
	unsigned replicas, flags, nallowed;
	uint16_t allowed[CSCHED_ALLOWED_MAX];
};

/* Skips spaces at *p; the length of the word that starts there (0: the end). */
static unsigned word_at(const char **p)
{
	unsigned k = 0;
	while (**p == ' ')
		(*p)++;
	while ((*p)[k] && (*p)[k] != ' ')
		k++;
	return k;
}

static bool word_is(const char *w, unsigned k, const char *s)
{
	return strlen(s) == k && !memcmp(w, s, k);
}

/* Appends the numbers of "N[,N..]" (w, k bytes) to out[*n..max): 0, or
 * -AION_EINVAL for anything but digits and commas, a number over 65535, or
 * too many numbers. */
static int64_t take_numbers(const char *w, unsigned k, uint16_t *out, unsigned *n, unsigned max)
{
	unsigned v = 0;
	for (unsigned i = 0; i <= k; i++) {
		if (i == k || w[i] == ',') {
			if (*n >= max)
				return -AION_EINVAL;
			out[(*n)++] = (uint16_t)v;
			v = 0;
		} else if (w[i] >= '0' && w[i] <= '9' && v * 10 + (unsigned)(w[i] - '0') <= 0xffff) {
			v = v * 10 + (unsigned)(w[i] - '0');
		} else {
			return -AION_EINVAL;
		}
	}
	return 0;
}

/* The option at *p (k bytes), and its value if it takes one; *p moves past. */
static int64_t take_option(const char **p, unsigned k, struct spawn_req *s)
{
	const char *w = *p;
	*p += k;
	if (word_is(w, k, "--spread")) {
		s->flags |= CSCHED_SPREAD;
		return 0;
	}
	if (!word_is(w, k, "--replicas") && !word_is(w, k, "--node"))
		return -AION_EINVAL;
	unsigned vk = word_at(p);
	const char *v = *p;
	*p += vk;
	if (!vk)
		return -AION_EINVAL;
	if (w[2] == 'n')
		return take_numbers(v, vk, s->allowed, &s->nallowed, CSCHED_ALLOWED_MAX);
	uint16_t replicas = 0;
	unsigned one = 0;
	int64_t err = take_numbers(v, vk, &replicas, &one, 1);
	if (!err)
		s->replicas = replicas;
	return err;
}

static int64_t parse_spawn(const char *p, struct spawn_req *s)
{
	*s = (struct spawn_req){ .replicas = 1 };
	unsigned k = word_at(&p);
	if (!k || k >= CSCHED_NAME_MAX)
		return -AION_EINVAL;
	memcpy(s->name, p, k);
	p += k;
	int64_t err = 0;
	while (!err && (k = word_at(&p)))
		err = take_option(&p, k, s);
	return err;
}

/* The JOB_ADD command of a spawn request; text says what was asked. */
int64_t spawn_command(const char *req, uint8_t *cmd, size_t cap, char *text, unsigned size)
{
	struct spawn_req s;
	uint64_t pflags = 0;
	int64_t err = parse_spawn(req, &s);
	if (!err)
		err = jobs_program_flags(s.name, &pflags);
	if (err)
		return err;
	if (pflags & INIT_JOB_REPLICATED)
		s.flags |= CSCHED_REPLICATED | CSCHED_SPREAD;
	fmt_snprintf(text, size, "spawned job=%s replicas=%u%s%s", s.name, s.replicas,
		     s.flags & CSCHED_SPREAD ? " spread" : "",
		     s.flags & CSCHED_REPLICATED ? " primary-backup" : "");
	int n = cstate_cmd_job_add(cmd, cap, s.name, s.replicas, s.flags, s.allowed, s.nallowed);
	return n;
}

/* The JOB_FAIL command of "JOB EPOCH" from node src: its primary of JOB
 * ended. The node is the sender's, so a node fails only its own. */
int64_t fail_command(uint16_t src, const char *req, uint8_t *cmd, size_t cap)
{
	char name[CSCHED_NAME_MAX];
	unsigned k = 0;
	while (req[k] && req[k] != ' ' && k < sizeof(name) - 1) {
		name[k] = req[k];
		k++;
	}
	name[k] = '\0';
	if (req[k] != ' ')
		return -AION_EINVAL;
	return cstate_cmd_job_fail(cmd, cap, name, src, (uint32_t)cmdline_decimal(req + k + 1));
}
