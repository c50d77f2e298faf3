/*
 * meshd, the cluster scheduler's glue: feeds mesh/csched.h the membership
 * view, this node's load and the MESH_SCHED packets; sends what it says;
 * and serves `spawn`, `stop`, `jobs` and `top`.
 *
 * A spawn or stop is decided by the leader only: a node that does not
 * lead forwards it to the leader (a CALL to its meshd, object 0) and
 * relays the answer. The leader answers once a majority of the configured
 * nodes holds the new state (csched_committed), so an acknowledged decision
 * survives the loss of any one node, the leader included.
 *
 * jobs.c reports a replicated job's primary that ended on this node the
 * same way (MESH_SELF_FAIL), with no unit waiting for the answer: the
 * leader then promotes the backup.
 */
#include "meshd.h"
#include "aion/initproto.h"
#include "common/cmdline.h"
#include "common/format.h"

#define LOAD_NS         (1000 * MS)     /* how often this node measures its load */
#define SUBMIT_NS       (4000 * MS)     /* a spawn's budget for the majority's ack */
#define PENDING_MAX     8
#define REQ_MAX         96

struct csched_node csched;

/* A spawn or stop waiting for its answer: from the leader's commit
 * (leading) or from the leader's meshd (forwarded). */
struct pending {
	bool used, forwarded;
	bool parked;                    /* no leader yet: asked again once there is one */
	uint32_t label;                 /* parked: MESH_SELF_*, and the request */
	char req[REQ_MAX];
	bool remote;                    /* asked by another node: serve_complete */
	uint16_t src;
	uint32_t boot, id;
	aion_handle_t reply;            /* asked by a local unit; 0: by jobs.c */
	uint32_t term, version;
	uint64_t deadline;
	char text[REQ_MAX];             /* the answer's text once decided */
};

static struct pending pending[PENDING_MAX];
static uint64_t next_load, last_idle, last_clock;
static uint32_t seen_term, seen_version;
static bool was_leading;                /* as last logged */
static uint8_t msg_buf[CSCHED_MSG_LEN_MAX];

void cluster_init(unsigned configured)
{
	csched_init(&csched, self_node, configured, aion_clock_ns());
	mlog("scheduler configured=%u quorum=%u", configured, configured / 2 + 1);
}

static void view(struct csched_view *v)
{
	v->self = self_node;
	v->nalive = 0;
	v->alive[v->nalive++] = self_node;
	for (unsigned i = 0; i < members.count && v->nalive < CSCHED_NODES_MAX; i++)
		if (node_alive(members.m[i].node))
			v->alive[v->nalive++] = members.m[i].node;
}

static void send_out(const struct csched_msg *out, int n)
{
	for (int i = 0; i < n; i++) {
		int len = csched_msg_encode(&out[i], msg_buf, sizeof(msg_buf));
		if (len < 0)
			mlog("error: scheduler message not encoded err=%s", aion_error_name(len));
		else
			link_send(out[i].to, MESH_SCHED, msg_buf, (size_t)len);
	}
}

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
	csched.self_load = (struct csched_load){
		.node = self_node, .cpu_pct = (uint8_t)busy,
		.free_kib = (uint32_t)(si.free_frames * 4), .units = (uint16_t)jobs_units,
	};
}

/* This node's `top` line. `leader` marks the node that leads (each node
 * says so of itself); `(this node)` the node whose shell asked (here). */
static void load_text(char *out, unsigned size, bool here)
{
	const struct csched_load *l = &csched.self_load;
	aion_text_add(out, size, "node=%u cpu=%u%% free_kib=%u units=%u%s%s\n", self_node,
		      l->cpu_pct, l->free_kib, l->units, csched.leading ? " leader" : "",
		      here ? " (this node)" : "");
}

/* The desired state as this node holds it (MESHD_JOBS). */
static void csched_text(char *out, unsigned size)
{
	struct csched_view v;
	view(&v);
	aion_text_add(out, size, "scheduler node=%u leader=%u term=%u state=%u.%u quorum=%s sees=%u/%u%s\n",
		      self_node, csched.leader, csched.term, csched.state.term, csched.state.version,
		      csched_quorum(&csched, &v) ? "yes" : "no", csched_live_voters(&csched, &v),
		      csched.configured,
		      csched.leading ? " leading" : "");
	for (unsigned i = 0; i < csched.state.njobs; i++) {
		const struct csched_job *j = &csched.state.job[i];
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
	if (csched.why[0])
		aion_text_add(out, size, "%s", csched.why);
}

/* Sends the answer of pending request p: err, and the text. */
static void answer(struct pending *p, int64_t err)
{
	p->used = false;
	if (p->remote) {
		static struct mesh_rpc r;
		r = (struct mesh_rpc){ .boot = p->boot, .id = p->id, .w = { (uint64_t)err } };
		r.len = (uint16_t)strlen(p->text);
		memcpy(r.data, p->text, r.len);
		serve_complete(p->src, p->boot, p->id, 0, &r);
		return;
	}
	if (!p->reply) {
		static int64_t last = 1;        /* a retry that fails alike is not news */
		if (err != last || !err)
			mlog("job failover asked err=%s: %s", err ? aion_error_name(err) : "none",
			     p->text);
		last = err;
		return;
	}
	unsigned n = (unsigned)strlen(p->text);
	memcpy(main_buf.payload, p->text, n);
	struct aion_msg m = { .tag = AION_TAG(0, n, 0), .w = { (uint64_t)err } };
	reply_saved(p->reply, &m);
}

static void request(struct pending *p, uint32_t self_label, const char *req);

static void pending_tick(uint64_t now)
{
	for (unsigned i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &pending[i];
		if (!p->used || p->forwarded)
			continue;
		if (p->parked) {
			if (now >= p->deadline) {
				answer(p, -AION_EAGAIN);        /* p->text says why */
			} else if (csched.leading || (csched.leader && node_alive(csched.leader))) {
				p->parked = false;
				request(p, p->label, p->req);
			}
			continue;
		}
		if (csched_committed_in(&csched, p->term, p->version)) {
			answer(p, 0);
		} else if (csched.term != p->term || !csched.leading) {
			fmt_snprintf(p->text, sizeof(p->text), "leader changed before a majority had it");
			answer(p, -AION_EAGAIN);
		} else if (now >= p->deadline) {
			fmt_snprintf(p->text, sizeof(p->text), "no majority confirmed version %u",
				     p->version);
			answer(p, -AION_ETIMEDOUT);
		}
	}
}

void cluster_tick(uint64_t now)
{
	struct csched_msg out[CSCHED_OUT_MAX];
	struct csched_view v;
	if (now >= next_load) {
		measure_load(now);
		next_load = now + LOAD_NS;
	}
	view(&v);
	int n = csched_tick(&csched, now, &v, out, CSCHED_OUT_MAX);
	send_out(out, n);
	if (csched.leading != was_leading) {
		was_leading = csched.leading;
		mlog("scheduler %s term=%u version=%u", csched.leading ? "leading" : "follower",
		     csched.term, csched.state.version);
	}
	pending_tick(now);
	if (csched.state.term != seen_term || csched.state.version != seen_version) {
		seen_term = csched.state.term;
		seen_version = csched.state.version;
		mlog("scheduler state term=%u version=%u jobs=%u leader=%u", seen_term, seen_version,
		     csched.state.njobs, csched.leader);
		jobs_reconcile(&csched.state);
	}
}

uint64_t cluster_deadline(void)
{
	uint64_t now = aion_clock_ns();
	uint64_t d = csched_next_deadline(&csched, now);
	if (!d || next_load < d)
		d = next_load;
	for (unsigned i = 0; i < PENDING_MAX; i++)
		if (pending[i].used && !pending[i].forwarded && pending[i].deadline < d)
			d = pending[i].deadline;
	return d;
}

void cluster_receive(uint16_t src, const uint8_t *payload, size_t len)
{
	static struct csched_msg in, out[CSCHED_OUT_MAX];
	struct csched_view v;
	if (csched_msg_decode(payload, len, &in) || in.from != src) {
		mlog("error: scheduler message from node=%u refused", src);
		return;
	}
	view(&v);
	int n = csched_receive(&csched, aion_clock_ns(), &v, &in, out, CSCHED_OUT_MAX);
	if (n > 0)
		send_out(out, n);
}

/* Why this node cannot decide: for the requester's error text. */
static int64_t no_leader(char *text, unsigned size)
{
	struct csched_view v;
	view(&v);
	if (!csched_quorum(&csched, &v)) {
		fmt_snprintf(text, size, "no quorum: this node sees %u of %u nodes, a leader needs %u",
			     csched_live_voters(&csched, &v), csched.configured,
			     csched.configured / 2 + 1);
		return -AION_ENOQUORUM;
	}
	fmt_snprintf(text, size, "no leader yet (term %u): try again", csched.term);
	return -AION_EAGAIN;
}

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

/* Parses a spawn request and submits it (we lead); text says what was done. */
static int64_t submit_spawn(const char *req, char *text, unsigned size)
{
	struct spawn_req s;
	struct csched_view v;
	uint64_t pflags = 0;
	int64_t err = parse_spawn(req, &s);
	if (!err)
		err = jobs_program_flags(s.name, &pflags);
	if (err)
		return err;
	if (pflags & INIT_JOB_REPLICATED)
		s.flags |= CSCHED_REPLICATED | CSCHED_SPREAD;
	view(&v);
	err = csched_submit_add(&csched, &v, s.name, s.replicas, s.flags, s.allowed, s.nallowed);
	if (err >= 0)
		fmt_snprintf(text, size, "spawned job=%s replicas=%u%s%s term=%u version=%ld",
			     s.name, s.replicas, s.flags & CSCHED_SPREAD ? " spread" : "",
			     s.flags & CSCHED_REPLICATED ? " primary-backup" : "", csched.term,
			     (long)err);
	return err;
}

/* "JOB EPOCH" from node src: its primary of JOB ended. */
static int64_t submit_fail(uint16_t src, const char *req, char *text, unsigned size)
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
	uint32_t epoch = (uint32_t)cmdline_decimal(req + k + 1);
	struct csched_view v;
	view(&v);
	int64_t err = csched_submit_fail(&csched, &v, name, src, epoch);
	if (err >= 0)
		fmt_snprintf(text, size, "failed job=%s node=%u epoch=%u term=%u version=%ld", name,
			     src, epoch, csched.term, (long)err);
	return err;
}

static int64_t submit(uint16_t src, uint32_t label, const char *req, char *text, unsigned size)
{
	if (label == MESH_SELF_SPAWN)
		return submit_spawn(req, text, size);
	if (label == MESH_SELF_FAIL)
		return submit_fail(src, req, text, size);
	struct csched_view v;
	view(&v);
	int64_t err = csched_submit_remove(&csched, &v, req);
	if (err >= 0)
		fmt_snprintf(text, size, "stopped job=%s term=%u version=%ld", req, csched.term,
			     (long)err);
	return err;
}

static struct pending *pending_new(void)
{
	for (unsigned i = 0; i < PENDING_MAX; i++)
		if (!pending[i].used) {
			pending[i] = (struct pending){ .used = true,
						       .deadline = aion_clock_ns() + SUBMIT_NS };
			return &pending[i];
		}
	return NULL;
}

/* Decides request (label, req) of node src here or says why not; p gets
 * the outcome. */
static int64_t decide(struct pending *p, uint16_t src, uint32_t label, const char *req)
{
	int64_t v = submit(src, label, req, p->text, sizeof(p->text));
	if (v == -AION_ENOQUORUM ||
	    (v == -AION_EAGAIN && (csched.leading || !csched.leader || !node_alive(csched.leader))))
		return no_leader(p->text, sizeof(p->text));
	if (v == -AION_EAGAIN)
		return v;               /* the caller forwards it to the leader */
	if (v < 0) {
		fmt_snprintf(p->text, sizeof(p->text), "%s",
			     v == -AION_ENOENT ? (label == MESH_SELF_SPAWN ?
				"no such job program" : "no such job") :
			     v == -AION_EEXIST ? "the job exists (stop it first)" :
			     v == -AION_ECONFLICT ? "not the job's primary at that epoch" :
			     v == -AION_ENOSPC ? "the desired state is full" :
			     "usage: spawn PROGRAM [--replicas K] [--node A,B] [--spread]");
		return v;
	}
	p->term = csched.term;
	p->version = (uint32_t)v;
	return 0;
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
	csched_text(text, sizeof(text));
	aion_serve_put_text(r, text);
	return 0;
}

/* MESHD_SPAWN, MESHD_STOP (the shell's): answered once decided. */
int64_t cluster_submit_call(struct aion_serve_req *r)
{
	char req[REQ_MAX];
	aion_serve_string(r, req, sizeof(req));
	struct pending *p = pending_new();
	if (!p)
		return -AION_EBUSY;
	int64_t reply = aion_serve_save(r);
	if (reply < 0) {
		p->used = false;
		return reply;
	}
	p->reply = (aion_handle_t)reply;
	request(p, r->label == MESHD_SPAWN ? MESH_SELF_SPAWN : MESH_SELF_STOP, req);
	return 0;
}

/* Decides here, or forwards to the leader; answers p when neither works. */
static void request(struct pending *p, uint32_t self_label, const char *req)
{
	int64_t err = decide(p, self_node, self_label, req);
	if (err == -AION_EAGAIN && csched.leader && node_alive(csched.leader)) {
		struct mesh_rpc *r = &(struct mesh_rpc){ .obj = MESH_OBJ_MESHD, .label = self_label };
		r->len = (uint16_t)strlen(req);
		memcpy(r->data, req, r->len);
		err = outcall_start(OC_SPAWN, (unsigned)(p - pending), csched.leader, r, 0);
		if (!err) {
			p->forwarded = true;
			return;
		}
		fmt_snprintf(p->text, sizeof(p->text), "leader node %u not reached", csched.leader);
	}
	if (err == -AION_EAGAIN && aion_clock_ns() < p->deadline) {
		/* An election is under way (right after boot, or after the
		 * leader died): ask again when it is over, within the budget. */
		p->parked = true;
		p->label = self_label;
		if (req != p->req)
			fmt_snprintf(p->req, sizeof(p->req), "%s", req);
		return;
	}
	if (err)
		answer(p, err);
}

void cluster_fail_primary(const char *job, uint32_t epoch)
{
	char req[REQ_MAX];
	struct pending *p = pending_new();
	if (!p) {
		mlog("error: job failover job=%s not asked: %s", job, aion_error_name(-AION_EBUSY));
		return;
	}
	fmt_snprintf(req, sizeof(req), "%s %u", job, epoch);
	request(p, MESH_SELF_FAIL, req);
}

/* The leader's answer to a forwarded request. */
void cluster_outcall_done(unsigned idx, int64_t err, const struct mesh_rpc *reply)
{
	struct pending *p = idx < PENDING_MAX ? &pending[idx] : NULL;
	if (!p || !p->used || !p->forwarded)
		return;
	if (!err && reply) {
		err = (int64_t)reply->w[0];
		unsigned n = reply->len < sizeof(p->text) - 1 ? reply->len : sizeof(p->text) - 1;
		memcpy(p->text, reply->data, n);
		p->text[n] = '\0';
	} else {
		fmt_snprintf(p->text, sizeof(p->text), "leader node %u did not answer: %s",
			     csched.leader, aion_error_name(err));
	}
	answer(p, err);
}

/* Another node's meshd asks: its load (TOP), or a decision (we lead). */
int cluster_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply)
{
	char req[REQ_MAX];
	if (r->label == MESH_SELF_TOP) {
		char text[MESH_CALL_DATA_MAX + 1] = "";
		load_text(text, sizeof(text), false);
		reply->len = (uint16_t)strlen(text);
		memcpy(reply->data, text, reply->len);
		return 0;
	}
	if (r->label != MESH_SELF_SPAWN && r->label != MESH_SELF_STOP &&
	    r->label != MESH_SELF_FAIL) {
		reply->w[0] = (uint64_t)-AION_ENOSYS;
		return 0;
	}
	unsigned len = r->len < sizeof(req) - 1 ? r->len : sizeof(req) - 1;
	memcpy(req, r->data, len);
	req[len] = '\0';
	struct pending *p = pending_new();
	if (!p) {
		reply->w[0] = (uint64_t)-AION_EBUSY;
		return 0;
	}
	*p = (struct pending){ .used = true, .remote = true, .src = src, .boot = r->boot,
			       .id = r->id, .deadline = aion_clock_ns() + SUBMIT_NS };
	int64_t err = decide(p, src, r->label, req);
	if (err)
		answer(p, err);         /* answered now through serve_complete */
	return 1;
}
