/*
 * meshd, requests that change or read the cluster state: `spawn`, `stop`,
 * a job's failover report (jobs.c), and kv's operations (MESHD_KV).
 *
 * Only the Raft leader decides: it proposes the request as a log entry
 * (consensus.h) and answers once the entry is applied, with the answer
 * the state machine computed (mesh/cstate.h). A kv read takes the read
 * index instead of a log entry. A server that does not lead forwards the
 * request to the leader's meshd (a CALL to object 0) and relays the
 * answer; with no leader known it waits for one within the request's
 * budget, or says at once why none can be (no quorum).
 */
#include "meshd.h"
#include "consensus.h"
#include "common/cmdline.h"
#include "common/format.h"

#define SUBMIT_NS       (4000 * MS)     /* a request's whole budget */
#define PENDING_MAX     24
#define RETRY_NS        (50 * MS)       /* a parked request asks again */
#define REQ_MAX         96

enum req_kind { REQ_SCHED, REQ_KV };

struct pending {
	bool used, forwarded, parked;
	enum req_kind kind;
	uint32_t label;                 /* MESH_SELF_SPAWN, _STOP, _FAIL or _KV */
	uint16_t src;                   /* the node that asked */
	bool remote;                    /* asked by src's meshd: serve_complete */
	uint32_t boot, id;
	aion_handle_t reply;            /* asked by a local unit; 0: by jobs.c */
	uint64_t deadline;
	uint64_t retry_at;              /* parked: route again then */
	uint16_t len;
	uint8_t req[CSTATE_CMD_MAX];    /* SCHED: the request text; KV: the command */
	char text[REQ_MAX];             /* SCHED: the answer's text */
	struct cstate_result res;       /* KV: the answer */
};

static struct pending pending[PENDING_MAX];
static uint16_t leader_hint;            /* the leader another node named */

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

/* --- answers --- */

static void answer_remote(struct pending *p, int64_t err)
{
	static struct mesh_rpc r;
	r = (struct mesh_rpc){ .boot = p->boot, .id = p->id, .w = { (uint64_t)err } };
	if (p->kind == REQ_KV) {
		r.w[1] = p->res.w1;
		r.len = (uint16_t)strlen(p->res.value);
		memcpy(r.data, p->res.value, r.len);
	} else {
		r.len = (uint16_t)strlen(p->text);
		memcpy(r.data, p->text, r.len);
	}
	serve_complete(p->src, p->boot, p->id, 0, &r);
}

static void answer_local(struct pending *p, int64_t err)
{
	const char *text = p->kind == REQ_KV ? p->res.value : p->text;
	unsigned n = (unsigned)strlen(text);
	memcpy(main_buf.payload, text, n);
	struct aion_msg m = { .tag = AION_TAG(0, n, 0),
			      .w = { (uint64_t)err, p->kind == REQ_KV ? p->res.w1 : 0 } };
	reply_saved(p->reply, &m);
}

/* Sends p's answer (err, and the text or kv result) and frees p. */
static void answer(struct pending *p, int64_t err)
{
	p->used = false;
	if (p->remote) {
		answer_remote(p, err);
	} else if (p->reply) {
		answer_local(p, err);
	} else {
		static char last[REQ_MAX];      /* a retry answered alike is not news */
		if (strcmp(last, p->text)) {
			mlog("%s asked err=%s: %s", p->label == MESH_SELF_JOIN ? "join" :
			     "job failover", err ? aion_error_name(err) : "none", p->text);
			fmt_snprintf(last, sizeof(last), "%s", p->text);
		}
	}
}

/* --- deciding (this server leads) --- */

static bool voters_known_without_quorum(unsigned *live, unsigned *voters)
{
	return !cluster_quorum(live, voters) && *voters;
}

/* Why no leader can decide: for the requester's error text. */
static int64_t no_leader(char *text, unsigned size)
{
	unsigned live, voters;
	if (!cluster_quorum(&live, &voters)) {
		fmt_snprintf(text, size, "no quorum: this node sees %u of %u voters, a leader needs %u",
			     live, voters, voters / 2 + 1);
		return -AION_ENOQUORUM;
	}
	fmt_snprintf(text, size, "no leader yet (term %u): try again", cons_term());
	return -AION_EAGAIN;
}

static const char *refusal(uint32_t label, int64_t err)
{
	switch (err) {
	case -AION_ENOENT: return label == MESH_SELF_SPAWN ? "no such job program" : "no such job";
	case -AION_EEXIST: return "the job exists (stop it first)";
	case -AION_ECONFLICT: return "not the job's primary at that epoch";
	case -AION_ENOSPC: return "the desired state is full";
	case -AION_EAGAIN: return "not applied: leadership changed, try again";
	case -AION_EINDOUBT: return "leadership changed: the change may or may not be made";
	case -AION_ETIMEDOUT: return "not confirmed by a majority in time";
	default: return "usage: spawn PROGRAM [--replicas K] [--node A,B] [--spread]";
	}
}

static void decided(void *arg, int64_t err, const struct cstate_result *res)
{
	struct pending *p = arg;
	if (!err)
		err = res->err;
	if (p->kind == REQ_KV) {
		if (res)
			p->res = *res;
		answer(p, err);
		return;
	}
	if (err)
		fmt_snprintf(p->text, sizeof(p->text), "%s", refusal(p->label, err));
	answer(p, err);
}

/* A read's index is applied here: the value as of then. */
static void read_done(void *arg, int64_t err, const struct cstate_result *unused)
{
	struct pending *p = arg;
	(void)unused;
	if (!err) {
		uint32_t label;
		const uint8_t *fields;
		size_t n;
		int64_t e = cstate_cmd_kv_parse(p->req, p->len, &label, &fields, &n);
		if (!e)
			e = cstate_kv_read(cons_state(), fields, n, &p->res);
		err = e ? e : p->res.err;
	}
	answer(p, err);
}

/* The cstate command of a sched request (p->req is its text), or an error
 * with p->text saying why. */
static int64_t sched_command(struct pending *p, uint8_t *cmd, size_t cap)
{
	const char *req = (const char *)p->req;
	int64_t n;
	if (p->label == MESH_SELF_SPAWN)
		n = spawn_command(req, cmd, cap, p->text, sizeof(p->text));
	else if (p->label == MESH_SELF_FAIL)
		n = fail_command(p->src, req, cmd, cap);
	else
		n = cstate_cmd_job_remove(cmd, cap, req);
	if (n < 0 && !p->text[0])
		fmt_snprintf(p->text, sizeof(p->text), "%s", refusal(p->label, n));
	return n;
}

/* JOIN and REMOVE: the leader changes the configuration at once. */
static int64_t membership(struct pending *p)
{
	const char *req = (const char *)p->req;
	if (p->label == MESH_SELF_REMOVE)
		return cons_remove((uint16_t)cmdline_decimal(req), p->text, sizeof(p->text));
	return cons_join(cmdline_hex(req), p->src, p->text, sizeof(p->text));
}

/* Proposes p here: 0 (answered later), or an error to answer now. */
static int64_t propose(struct pending *p)
{
	if (p->label == MESH_SELF_JOIN || p->label == MESH_SELF_REMOVE) {
		int64_t err = membership(p);
		if (err != -AION_ENOTLEADER)
			answer(p, err);
		return err == -AION_ENOTLEADER ? err : 0;
	}
	static uint8_t cmd[CSTATE_CMD_MAX];
	uint64_t budget = p->deadline > aion_clock_ns() ? p->deadline - aion_clock_ns() : 0;
	if (p->kind == REQ_KV) {
		uint32_t label;
		const uint8_t *fields;
		size_t n;
		int64_t err = cstate_cmd_kv_parse(p->req, p->len, &label, &fields, &n);
		if (err)
			return err;
		if (label == KV_GET)
			return cons_read(budget, read_done, p);
		return cons_propose(p->req, p->len, budget, decided, p);
	}
	int64_t n = sched_command(p, cmd, sizeof(cmd));
	return n < 0 ? n : cons_propose(cmd, (size_t)n, budget, decided, p);
}

/* --- routing --- */

static void forward(struct pending *p, uint16_t leader)
{
	struct mesh_rpc *r = &(struct mesh_rpc){ .obj = MESH_OBJ_MESHD, .label = p->label };
	r->len = p->len;
	memcpy(r->data, p->req, p->len);
	int64_t err = outcall_start(OC_LEADER, (unsigned)(p - pending), leader, r, 0);
	if (!err) {
		p->forwarded = true;
		return;
	}
	fmt_snprintf(p->text, sizeof(p->text), "leader node %u not reached", leader);
	answer(p, err);
}

/* Parks p to be routed again soon, within its budget: false when over. */
static bool park(struct pending *p)
{
	uint64_t now = aion_clock_ns();
	if (now >= p->deadline)
		return false;
	p->parked = true;
	p->forwarded = false;
	p->retry_at = now + RETRY_NS;
	return true;
}

/* Where a server that knows no leader sends its JOIN: the leader another
 * node named last, else each live node in turn. A new server is in no
 * configuration, so no leader talks to it before it joined. */
static uint16_t join_target(void)
{
	static unsigned next;
	if (leader_hint && node_alive(leader_hint))
		return leader_hint;
	for (unsigned k = 0; k < members.count; k++) {
		uint16_t node = members.m[next++ % members.count].node;
		if (node != self_node && node_alive(node))
			return node;
	}
	return 0;
}

/* Decides p here, forwards it to the leader, parks it until there is one,
 * or answers it with the reason none of these works. */
static void route(struct pending *p)
{
	int64_t err = -AION_ENOTLEADER;
	unsigned live, voters;
	/* Without a majority of the voters in view, no leader this node can
	 * reach commits anything: say so at once rather than wait on a
	 * stale leader (a new server, in no configuration yet, asks anyway). */
	if (voters_known_without_quorum(&live, &voters)) {
		fmt_snprintf(p->text, sizeof(p->text),
			     "no quorum: this node sees %u of %u voters, a leader needs %u",
			     live, voters, voters / 2 + 1);
		answer(p, -AION_ENOQUORUM);
		return;
	}
	if (cons_leading()) {
		err = propose(p);
		if (!err)
			return;
	}
	uint16_t leader = cons_leader_node();
	if (!leader && p->label == MESH_SELF_JOIN)
		leader = join_target();
	if (err == -AION_ENOTLEADER && leader && leader != self_node && node_alive(leader)) {
		forward(p, leader);
		return;
	}
	if (err == -AION_ENOTLEADER || err == -AION_EAGAIN) {
		err = no_leader(p->text, sizeof(p->text));
		if (err == -AION_EAGAIN && park(p))
			return;                 /* an election is under way */
	}
	if (p->kind == REQ_SCHED && !p->text[0])
		fmt_snprintf(p->text, sizeof(p->text), "%s", refusal(p->label, err));
	answer(p, err);
}

void requests_tick(uint64_t now)
{
	bool leader_known = cons_leading() || (cons_leader_node() && node_alive(cons_leader_node()));
	for (unsigned i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &pending[i];
		if (!p->used || !p->parked)
			continue;
		if (now >= p->deadline) {
			answer(p, -AION_EAGAIN);        /* p->text says why */
		} else if ((leader_known || (p->label == MESH_SELF_JOIN && join_target())) &&
			   now >= p->retry_at) {
			p->parked = false;
			p->text[0] = '\0';
			route(p);
		}
	}
}

uint64_t requests_deadline(void)
{
	uint64_t d = 0;
	for (unsigned i = 0; i < PENDING_MAX; i++)
		if (pending[i].used && pending[i].parked && (!d || pending[i].retry_at < d))
			d = pending[i].retry_at;
	return d;
}

/* --- entry points --- */

static struct pending *take(enum req_kind kind, uint32_t label, const void *req, unsigned len)
{
	struct pending *p = pending_new();
	if (!p)
		return NULL;
	p->kind = kind;
	p->label = label;
	p->src = self_node;
	p->len = (uint16_t)(len < sizeof(p->req) - 1 ? len : sizeof(p->req) - 1);
	memcpy(p->req, req, p->len);
	p->req[p->len] = 0;
	return p;
}

/* A local unit's request p (of call r) is answered later: its reply is
 * saved and p routed. -AION_EBUSY when p is NULL (no free slot). */
static int64_t start_local(struct pending *p, struct aion_serve_req *r)
{
	if (!p)
		return -AION_EBUSY;
	int64_t reply = aion_serve_save(r);
	if (reply < 0) {
		p->used = false;
		return reply;
	}
	p->reply = (aion_handle_t)reply;
	route(p);
	return 0;
}

/* MESHD_SPAWN, MESHD_STOP (the shell's): answered once decided. */
int64_t requests_sched_call(struct aion_serve_req *r)
{
	char req[REQ_MAX];
	aion_serve_string(r, req, sizeof(req));
	struct pending *p = take(REQ_SCHED, r->label == MESHD_SPAWN ? MESH_SELF_SPAWN :
				 MESH_SELF_STOP, req, (unsigned)strlen(req));
	return start_local(p, r);
}

/* MESHD_KV from a kv instance: w0 the kv label, w1 client, w2 seq,
 * payload the request's fields (aion/kv.h) -> w0 = err, w1, payload the
 * value. */
int64_t requests_kv_call(struct aion_serve_req *r, uint32_t kv_label)
{
	uint8_t cmd[CSTATE_CMD_MAX];
	if (kv_label < KV_GET || kv_label > KV_ADD)
		return -AION_EINVAL;
	int n = cstate_cmd_kv(cmd, sizeof(cmd), kv_label, r->msg.w[1], r->msg.w[2], r->data,
			      r->len);
	if (n < 0)
		return -AION_EMALFORMED;
	struct pending *p = take(REQ_KV, MESH_SELF_KV, cmd, (unsigned)n);
	return start_local(p, r);
}

void requests_join(uint64_t id)
{
	char req[24];
	fmt_snprintf(req, sizeof(req), "%lx", (unsigned long)id);
	struct pending *p = take(REQ_SCHED, MESH_SELF_JOIN, req, (unsigned)strlen(req));
	if (p)
		route(p);
}

/* MESHD_MEMBERS: the configuration, or "remove N" (the leader decides). */
int64_t requests_members_call(struct aion_serve_req *r)
{
	char req[REQ_MAX];
	aion_serve_string(r, req, sizeof(req));
	if (!req[0]) {
		char text[AION_IPC_PAYLOAD_MAX] = "";
		cons_members_text(text, sizeof(text));
		aion_serve_put_text(r, text);
		return 0;
	}
	if (strncmp(req, "remove ", 7) || !cmdline_decimal(req + 7))
		return -AION_EINVAL;
	struct pending *p = take(REQ_SCHED, MESH_SELF_REMOVE, req + 7, (unsigned)strlen(req + 7));
	return start_local(p, r);
}

void requests_fail_primary(const char *job, uint32_t epoch)
{
	char req[REQ_MAX];
	fmt_snprintf(req, sizeof(req), "%s %u", job, epoch);
	struct pending *p = take(REQ_SCHED, MESH_SELF_FAIL, req, (unsigned)strlen(req));
	if (!p) {
		mlog("error: job failover job=%s not asked: %s", job, aion_error_name(-AION_EBUSY));
		return;
	}
	route(p);
}

/* The leader's answer to a forwarded request. */
void requests_outcall_done(unsigned idx, int64_t err, const struct mesh_rpc *reply)
{
	struct pending *p = idx < PENDING_MAX ? &pending[idx] : NULL;
	if (!p || !p->used || !p->forwarded)
		return;
	/* Not applied there (it did not lead, or lost the lead before the
	 * entry committed): ask again once the leader is known. */
	if (!err && reply && (int64_t)reply->w[0] == -AION_EAGAIN && park(p)) {
		if (reply->w[1] && reply->w[1] < MESH_NODE_NONE)
			leader_hint = (uint16_t)reply->w[1];
		return;
	}
	if (!err && reply) {
		err = (int64_t)reply->w[0];
		char *to = p->kind == REQ_KV ? p->res.value : p->text;
		unsigned max = p->kind == REQ_KV ? KV_VALUE_MAX : sizeof(p->text) - 1;
		unsigned n = reply->len < max ? reply->len : max;
		memcpy(to, reply->data, n);
		to[n] = '\0';
		p->res.w1 = reply->w[1];
	} else if (p->kind == REQ_SCHED) {
		fmt_snprintf(p->text, sizeof(p->text), "leader node %u did not answer: %s",
			     cons_leader_node(), aion_error_name(err));
	}
	answer(p, err);
}

/* Another node's meshd forwards a request to us (we lead, it thinks):
 * 1, answered later through serve_complete. */
int requests_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply)
{
	enum req_kind kind = r->label == MESH_SELF_KV ? REQ_KV : REQ_SCHED;
	/* No second hop: a server that does not lead says so, with the leader
	 * it knows (w1), and the asker tries again. */
	if (!cons_leading()) {
		reply->w[0] = (uint64_t)-AION_EAGAIN;
		reply->w[1] = cons_leader_node();
		return 0;
	}
	struct pending *p = take(kind, r->label, r->data, r->len);
	if (!p) {
		reply->w[0] = (uint64_t)-AION_EBUSY;
		return 0;
	}
	p->remote = true;
	p->src = src;
	p->boot = r->boot;
	p->id = r->id;
	int64_t err = propose(p);
	if (err)
		answer(p, err == -AION_ENOTLEADER ? -AION_EAGAIN : err);
	return 1;
}
