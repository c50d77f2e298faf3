/*
 * meshd, cluster-wide names and the requests of local units.
 *
 * Each node keeps the names its own units registered. A lookup that is not
 * local asks every live node at once (a CALL to its meshd, object 0) and
 * answers with the first capability found: a proxy. When every node said
 * no, the answer is -AION_ENOENT; when some did not answer within
 * LOOKUP_NS, -AION_ETIMEDOUT. No name table is replicated, so a node's
 * names go with it when it dies. A local lookup gives the service's own
 * capability, except for names of scheduled job instances, which may move:
 * those give a named proxy that re-binds (calls.c), as remote ones do.
 * "NAME@N" is NAME as node N registered it: only N is asked (every node's
 * vfsd registers "vfs", and /net/N wants node N's). '@' is not allowed in
 * a registered name.
 */
#include "meshd.h"
#include "common/format.h"

#define AGGS_MAX        8
#define TEXT_MAX        AION_IPC_PAYLOAD_MAX

struct name {
	bool used;
	char text[MESH_NAME_MAX];
	struct mesh_ref ref;            /* the export */
	int owner;                      /* the local job instance that registered it, or -1 */
};

/* A request waiting for other nodes' answers. */
struct agg {
	bool used;
	enum outcall_kind kind;
	aion_handle_t reply;            /* OC_REBIND: none, import holds the import */
	unsigned import;
	char name[MESH_NAME_MAX];       /* as asked: "NAME" or "NAME@N" */
	unsigned pending;
	uint64_t deadline;
	char text[TEXT_MAX];            /* OC_LIST: the lines so far */
};

static struct name names[NAMES_MAX];
static struct agg aggs[AGGS_MAX];

/* Copies a name from a payload: 0, or -AION_EINVAL if empty, too long or not printable. */
static int64_t take_name(const uint8_t *data, unsigned len, char *out)
{
	while (len && !data[len - 1])
		len--;          /* a trailing NUL is welcome */
	if (len == 0 || len >= MESH_NAME_MAX)
		return -AION_EINVAL;
	for (unsigned i = 0; i < len; i++) {
		if (data[i] <= ' ' || data[i] > '~')
			return -AION_EINVAL;
		out[i] = (char)data[i];
	}
	out[len] = '\0';
	return 0;
}

static const char *find_at(const char *s)
{
	for (; *s; s++)
		if (*s == '@')
			return s;
	return NULL;
}

static struct name *name_find(const char *text)
{
	for (unsigned i = 0; i < NAMES_MAX; i++)
		if (names[i].used && !strcmp(names[i].text, text))
			return &names[i];
	return NULL;
}

/* MESHD_REGISTER: payload NAME, caps[0] the capability; r->ctx the owner. */
static int64_t on_register(struct aion_serve_req *r)
{
	char text[MESH_NAME_MAX];
	if (take_name(r->data, r->len, text) || find_at(text))
		return -AION_EINVAL;
	struct name *n = name_find(text);
	for (unsigned i = 0; !n && i < NAMES_MAX; i++)
		if (!names[i].used)
			n = &names[i];
	struct mesh_ref ref;
	int64_t err = n ? export_cap(r->caps[0], 0, true, &ref) : -AION_ENOSPC;
	if (err)
		return err;
	aion_serve_keep(r, 0);                  /* the export holds it now */
	if (n->used)
		export_drop(&n->ref);   /* replaced: callers of the old one get EDEAD */
	n->used = true;
	memcpy(n->text, text, strlen(text) + 1);
	n->ref = ref;
	n->owner = (int)r->ctx;
	mlog("name registered name=%s obj=%u", text, ref.obj);
	return 0;
}

/* A job instance ended here: the names it registered go with it. */
void names_drop_owner(int owner)
{
	for (unsigned i = 0; i < NAMES_MAX; i++)
		if (names[i].used && names[i].owner == owner) {
			mlog("name dropped name=%s", names[i].text);
			export_drop(&names[i].ref);
			names[i].used = false;
		}
}

static struct agg *agg_new(enum outcall_kind kind)
{
	for (unsigned i = 0; i < AGGS_MAX; i++)
		if (!aggs[i].used) {
			aggs[i] = (struct agg){ .used = true, .kind = kind,
						.deadline = aion_clock_ns() + LOOKUP_NS };
			return &aggs[i];
		}
	return NULL;
}

/*
 * Splits "NAME@N" into NAME (in base) and N: 0 for a name without a node,
 * MESH_NODE_NONE for a node that is not a number. The name stays in a
 * named proxy as it was asked, so a re-bind asks node N again.
 */
static uint16_t name_node(const char *name, char *base)
{
	const char *at = find_at(name);
	size_t len = at ? (size_t)(at - name) : strlen(name);
	unsigned long n = 0;

	memcpy(base, name, len);
	base[len] = '\0';
	if (!at)
		return 0;
	if (!at[1] || len == 0)
		return MESH_NODE_NONE;
	for (const char *p = at + 1; *p; p++) {
		if (*p < '0' || *p > '9' || (n = n * 10 + (unsigned long)(*p - '0')) >= MESH_NODE_NONE)
			return MESH_NODE_NONE;
	}
	return n ? (uint16_t)n : MESH_NODE_NONE;
}

/* Asks every other live node's meshd (label, data), or only node `only`
 * when it is not 0; returns how many were asked. */
static unsigned ask_all(struct agg *a, uint32_t label, const char *data, uint16_t only)
{
	unsigned asked = 0;
	for (unsigned i = 0; i < members.count; i++) {
		uint16_t node = members.m[i].node;
		if (!node_alive(node) || (only && node != only))
			continue;
		struct mesh_rpc *r = &(struct mesh_rpc){ .obj = MESH_OBJ_MESHD, .label = label };
		r->len = (uint16_t)strlen(data);
		memcpy(r->data, data, r->len);
		if (!outcall_start(a->kind, (unsigned)(a - aggs), node, r, 0))
			asked++;
	}
	return asked;
}

static void agg_end(struct agg *a, int64_t err)
{
	a->used = false;
	if (a->kind == OC_REBIND) {
		calls_rebound(a->import, err ? err : -AION_ENOENT, NULL);
		return;
	}
	if (a->kind == OC_LIST && !err) {
		unsigned n = (unsigned)strlen(a->text);
		memcpy(main_buf.payload, a->text, n);
		struct aion_msg m = { .tag = AION_TAG(0, n, 0) };
		reply_saved(a->reply, &m);
		return;
	}
	reply_saved_err(a->reply, err);
}

static void list_local(char *out, unsigned size)
{
	for (unsigned i = 0; i < NAMES_MAX; i++)
		if (names[i].used)
			aion_text_add(out, size, "name=%s node=%u\n", names[i].text, self_node);
}

/* Asks every live node, or node only, (label, send) for r, whose reply is
 * saved; the answers aggregate (OC_LIST: lines after first_line; OC_LOOKUP:
 * the first ref, imported under name). */
static int64_t start_agg(struct aion_serve_req *r, enum outcall_kind kind, uint32_t label,
			 const char *name, const char *send, uint16_t only,
			 const char *first_line)
{
	struct agg *a = agg_new(kind);
	if (!a)
		return -AION_EBUSY;
	if (first_line)
		aion_text_add(a->text, sizeof(a->text), "%s", first_line);
	memcpy(a->name, name, strlen(name) + 1);
	int64_t reply = aion_serve_save(r);
	if (reply < 0) {
		a->used = false;
		mlog("error: reply not saved err=%s", aion_error_name(reply));
		return reply;
	}
	a->reply = (aion_handle_t)reply;
	a->pending = ask_all(a, label, send, only);
	if (!a->pending)
		agg_end(a, kind == OC_LOOKUP ? -AION_ENOENT : 0);
	return 0;
}

int64_t names_ask_all(struct aion_serve_req *r, uint32_t label, const char *first_line)
{
	return start_agg(r, OC_LIST, label, "", "", 0, first_line);
}

/* Finds name again for a named import (calls.c): local names first. */
void names_rebind_lookup(unsigned import, const char *name)
{
	char base[MESH_NAME_MAX];
	uint16_t only = name_node(name, base);
	struct name *n = !only || only == self_node ? name_find(base) : NULL;
	if (n || only == self_node || only == MESH_NODE_NONE) {
		calls_rebound(import, n ? 0 : -AION_ENOENT, n ? &n->ref : NULL);
		return;
	}
	struct agg *a = agg_new(OC_REBIND);
	if (!a) {
		calls_rebound(import, -AION_EBUSY, NULL);
		return;
	}
	a->import = import;
	memcpy(a->name, name, strlen(name) + 1);
	a->pending = ask_all(a, MESH_SELF_LOOKUP, base, only);
	if (!a->pending)
		agg_end(a, -AION_ENOENT);
}

/* MESHD_LOOKUP: payload NAME; reply caps[0] and w1 = the node that has it. */
static int64_t on_lookup(struct aion_serve_req *r)
{
	char name[MESH_NAME_MAX], base[MESH_NAME_MAX];
	if (take_name(r->data, r->len, name))
		return -AION_EINVAL;
	uint16_t only = name_node(name, base);
	bool mine = only == self_node;          /* "NAME@self": here or nowhere */
	if (only == MESH_NODE_NONE)
		return -AION_EINVAL;
	if (only && !mine)
		return start_agg(r, OC_LOOKUP, MESH_SELF_LOOKUP, name, base, only, NULL);
	struct name *n = name_find(base);
	if (!n)
		return mine ? -AION_ENOENT : start_agg(r, OC_LOOKUP, MESH_SELF_LOOKUP, name, base, 0, NULL);
	aion_handle_t h;
	int64_t err = n->owner >= 0 ? import_named(&n->ref, name, &h) : /* a job's may move */
		      export_lookup(n->ref.obj, n->ref.gen, &h);
	if (!err) {
		aion_serve_give(r, h, n->ref.rights);
		r->reply.w[1] = self_node;
	} else if (n->owner < 0 && !mine) {
		return start_agg(r, OC_LOOKUP, MESH_SELF_LOOKUP, name, base, 0, NULL);
	}
	return err;
}

/* MESHD_NODES: w1 = the first node to list; reply w1 = the next one, or 0. */
static int64_t on_nodes(struct aion_serve_req *r)
{
	char text[TEXT_MAX];
	r->reply.w[1] = link_nodes_text(text, sizeof(text), (unsigned)r->msg.w[1]);
	aion_serve_put_text(r, text);
	return 0;
}

static int64_t on_stats(struct aion_serve_req *r)
{
	char text[TEXT_MAX] = "";
	/* Five pages (w1 = the page; reply w1 = the next, or 0): one is full. */
	if (r->msg.w[1] == 0) {
		link_stats_text(text, sizeof(text));
		r->reply.w[1] = 1;
	} else if (r->msg.w[1] == 1) {
		bulk_stats_text(text, sizeof(text));
		r->reply.w[1] = 2;
	} else if (r->msg.w[1] == 2) {
		link_kinds_text(text, sizeof(text));
		r->reply.w[1] = 3;
	} else if (r->msg.w[1] == 3) {
		timing_text(text, sizeof(text), 0);
		r->reply.w[1] = 4;
	} else {
		timing_text(text, sizeof(text), 1);
	}
	aion_serve_put_text(r, text);
	return 0;
}

/* MESHD_REFS: w1 = the first export line; reply w1 = the next, or 0. */
static int64_t on_refs(struct aion_serve_req *r)
{
	char text[TEXT_MAX] = "";
	unsigned from = (unsigned)r->msg.w[1];
	if (from == 0) {
		serve_refs_text(text, sizeof(text));
		calls_refs_text(text, sizeof(text));
	}
	serve_exports_text(text, sizeof(text), &from);
	r->reply.w[1] = from < EXPORTS_MAX ? from : 0;
	aion_serve_put_text(r, text);
	return 0;
}

bool meshd_forge;

/* MESHD_FORGE "forge NODE OBJ GEN": a call on a raw reference (test images). */
static int64_t on_forge(struct aion_serve_req *r)
{
	char text[64];
	unsigned n = r->len < sizeof(text) - 1 ? r->len : (unsigned)sizeof(text) - 1;
	uint64_t v[3];
	unsigned k = 0;
	if (!meshd_forge)
		return -AION_EPERM;
	memcpy(text, r->data, n);
	text[n] = '\0';
	for (char *p = text; *p && k < 3;) {
		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (!*p)
			break;
		v[k] = 0;
		while (*p >= '0' && *p <= '9')
			v[k] = v[k] * 10 + (uint64_t)(*p++ - '0');
		k++;
	}
	if (k != 3 || !v[0] || v[0] >= MESH_NODE_NONE)
		return -AION_EINVAL;
	struct mesh_ref ref = { .node = (uint16_t)v[0], .obj = (uint32_t)v[1], .gen = (uint32_t)v[2],
				.rights = AION_RIGHT_SEND };
	mlog("forge call node=%u obj=%u gen=%u", ref.node, ref.obj, ref.gen);
	return calls_raw(r, &ref);
}

static int64_t on_services(struct aion_serve_req *r)
{
	char local[TEXT_MAX] = "";
	list_local(local, sizeof(local));
	return start_agg(r, OC_LIST, MESH_SELF_LIST, "", "", 0, local);
}

/* A local unit's requests (aion/mesh.h); replies carry label 0. */
static int64_t refuse(struct aion_serve_req *r)
{
	(void)r;
	return -AION_EPERM;
}

static const struct aion_serve_op client_ops[] = {
	{ .label = MESHD_REGISTER, .fn = on_register, .caps = AION_SERVE_CAPS_ONE },
	{ .label = MESHD_LOOKUP, .fn = on_lookup },
	{ .label = MESHD_NODES, .fn = on_nodes },
	{ .label = MESHD_STATS, .fn = on_stats },
	{ .label = MESHD_SERVICES, .fn = on_services },
	{ .label = MESHD_SPAWN, .fn = requests_sched_call },
	{ .label = MESHD_STOP, .fn = requests_sched_call },
	{ .label = MESHD_MEMBERS, .fn = requests_members_call },
	/* Only kv's instances write to the log (jobs_client): not "mesh". */
	{ .label = MESHD_KV, .fn = refuse },
	{ .label = MESHD_JOBS, .fn = cluster_jobs_call },
	{ .label = MESHD_TOP, .fn = cluster_top_call },
	{ .label = MESHD_REFS, .fn = on_refs },
	{ .label = MESHD_FORGE, .fn = on_forge },
};
static const struct aion_serve_table client_table = AION_SERVE_TABLE(client_ops, -AION_ENOSYS);

int64_t names_client(struct aion_serve_req *r)
{
	return aion_serve_dispatch(&client_table, r);
}

/* Another node's meshd asks about our names or the scheduler (object 0).
 * Returns 0 when reply is ready, 1 when the scheduler answers later. */
int names_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply)
{
	char name[MESH_NAME_MAX];
	if (r->label >= MESH_SELF_SPAWN)
		return cluster_self_call(src, r, reply);
	reply->w[0] = (uint64_t)-AION_ENOENT;
	if (r->label == MESH_SELF_LOOKUP) {
		struct name *n = take_name(r->data, r->len, name) ? NULL : name_find(name);
		if (n && !export_grant(&n->ref, src)) {   /* src may call it now */
			reply->w[0] = 0;
			reply->ncaps = 1;
			reply->caps[0] = n->ref;
		}
	} else if (r->label == MESH_SELF_LIST) {
		char text[MESH_CALL_DATA_MAX + 1] = "";
		list_local(text, sizeof(text));
		reply->w[0] = 0;
		reply->len = (uint16_t)strlen(text);
		memcpy(reply->data, text, reply->len);
	} else {
		reply->w[0] = (uint64_t)-AION_ENOSYS;
	}
	return 0;
}

void names_outcall_done(enum outcall_kind kind, unsigned idx, uint16_t node,
			int64_t err, const struct mesh_rpc *reply)
{
	struct agg *a = idx < AGGS_MAX ? &aggs[idx] : NULL;
	if (!a || !a->used || a->kind != kind)
		return;         /* the request ended already (answered or timed out) */
	if (a->pending)
		a->pending--;
	if (!err && reply && (int64_t)reply->w[0] == 0) {
		if (kind == OC_REBIND && reply->ncaps == 1) {
			a->used = false;
			calls_rebound(a->import, 0, &reply->caps[0]);
			return;
		}
		if (kind == OC_LOOKUP && reply->ncaps == 1) {
			aion_handle_t h;
			int64_t e = import_named(&reply->caps[0], a->name, &h);
			if (e) {
				agg_end(a, e);
				return;
			}
			main_buf.caps[0] = h;
			main_buf.cap_rights[0] = reply->caps[0].rights;
			struct aion_msg m = { .tag = AION_TAG(0, 0, 1), .w = { 0, node } };
			a->used = false;
			reply_saved(a->reply, &m);
			return;
		}
		if (kind == OC_LIST) {
			unsigned used = (unsigned)strlen(a->text);
			unsigned n = reply->len;
			if (used + n >= sizeof(a->text))
				n = (unsigned)sizeof(a->text) - 1 - used;
			memcpy(a->text + used, reply->data, n);
			a->text[used + n] = '\0';
		}
	}
	if (!a->pending)
		agg_end(a, kind == OC_LIST ? 0 : -AION_ENOENT);
}

uint64_t names_deadline(void)
{
	uint64_t d = 0;
	for (unsigned i = 0; i < AGGS_MAX; i++)
		if (aggs[i].used && (!d || aggs[i].deadline < d))
			d = aggs[i].deadline;
	return d;
}

void names_tick(uint64_t now)
{
	for (unsigned i = 0; i < AGGS_MAX; i++)
		if (aggs[i].used && now >= aggs[i].deadline)
			agg_end(&aggs[i], aggs[i].kind == OC_LIST ? 0 : -AION_ETIMEDOUT);
}
