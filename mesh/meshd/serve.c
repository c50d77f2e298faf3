/*
 * meshd, the owner side: exports (local capabilities under a global id)
 * and remote calls performed here by worker threads.
 *
 * At most once, owner's half: for each caller node (and its boot nonce)
 * meshd remembers the last PEER_WINDOW call ids with their state. A CALL
 * seen before is never run again: while it runs, the answer is a CALL_ACK;
 * once done, the cached REPLY (or ERROR) is sent again. A caller keeps at
 * most OUTCALLS_MAX < PEER_WINDOW calls in flight, so an id that fell out
 * of the window was answered long ago and is dropped.
 */
#include "meshd.h"

#define WORK_NEXT       1               /* worker -> main: w0 = finished job + 1 */
#define PEERS_MAX       16

struct export {
	bool used;
	aion_handle_t h;
	uint32_t gen, rights;
};

enum entry_state { E_FREE, E_RUNNING, E_DONE };

struct entry {
	uint32_t id;
	uint8_t state;
	uint8_t type;                   /* MESH_REPLY or MESH_ERROR once done */
	uint16_t len;
	uint8_t pkt[MESH_RPC_LEN_MAX];
};

struct peer {
	uint16_t node;                  /* 0: free */
	uint32_t boot;
	uint32_t max_id;
	struct entry e[PEER_WINDOW];
};

enum job_state { J_FREE, J_QUEUED, J_RUNNING };

struct job {
	enum job_state state;
	uint16_t src;
	uint32_t boot;
	aion_handle_t target;
	aion_handle_t caps[MESH_RPC_CAPS];
	uint32_t rights[MESH_RPC_CAPS];
	int64_t err;                    /* the worker's IPC error, or 0 */
	aion_handle_t local_reply;      /* a call on a named import re-bound here */
	unsigned import;
	struct mesh_rpc sent;           /* local: the call, should it be parked again */
	struct mesh_rpc rpc;            /* the call in; the reply out */
};

static struct export exports[EXPORTS_MAX];
static struct peer peers[PEERS_MAX];
static struct job jobs[JOBS_MAX];
static uint32_t next_gen;
static aion_handle_t idle[WORKERS];     /* saved replies of workers waiting for work */
static unsigned nidle;
static aion_handle_t worker_ep;         /* meshd_ep minted with BADGE_WORKER */
uint64_t calls_in, calls_dup;

static uint8_t out[MESH_RPC_LEN_MAX];

void serve_init(void)
{
	/* Generations start anywhere, so a reference from an earlier boot
	 * (when its slot is reused) is refused rather than reaching a new object. */
	next_gen = (uint32_t)(aion_rdtsc() ^ (aion_rdtsc() >> 29) ^ ((uint64_t)self_node << 20));
	int64_t h = aion_cap_mint(meshd_ep, AION_RIGHT_SEND, BADGE_WORKER);
	if (h < 0)
		mlog("error: worker capability err=%s", aion_error_name(h));
	worker_ep = h < 0 ? 0 : (aion_handle_t)h;
}

int64_t export_cap(aion_handle_t h, struct mesh_ref *ref)
{
	struct aion_cap_info ci;
	int64_t err = aion_cap_info(h, &ci);
	if (err)
		return err;
	if (ci.type != AION_OBJ_ENDPOINT)
		return -AION_ETYPE;
	if (!(ci.rights & AION_RIGHT_SEND))
		return -AION_ERIGHTS;
	for (unsigned i = 0; i < EXPORTS_MAX; i++) {
		struct export *x = &exports[i];
		if (x->used)
			continue;
		*x = (struct export){ .used = true, .h = h, .gen = ++next_gen,
				      .rights = ci.rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT) };
		*ref = (struct mesh_ref){ .node = self_node, .obj = i + 1, .gen = x->gen,
					  .rights = x->rights };
		return 0;
	}
	return -AION_ENOSPC;
}

int64_t export_lookup(uint32_t obj, uint32_t gen, aion_handle_t *h)
{
	if (obj == 0 || obj > EXPORTS_MAX || !exports[obj - 1].used || exports[obj - 1].gen != gen)
		return -AION_EDEAD;
	*h = exports[obj - 1].h;
	return 0;
}

void export_drop(const struct mesh_ref *ref)
{
	aion_handle_t h;
	if (ref->node == self_node && !export_lookup(ref->obj, ref->gen, &h)) {
		aion_handle_close(h);
		exports[ref->obj - 1].used = false;
	}
}

static struct peer *peer_for(uint16_t node, uint32_t boot)
{
	struct peer *p = NULL, *free_p = NULL;
	for (unsigned i = 0; i < PEERS_MAX; i++) {
		if (peers[i].node == node)
			p = &peers[i];
		else if (!peers[i].node && !free_p)
			free_p = &peers[i];
	}
	if (!p)
		p = free_p;
	if (!p)
		return NULL;
	if (p->node != node || p->boot != boot) {
		/* A new caller, or it restarted: its old calls are gone with it. */
		p->node = node;
		p->boot = boot;
		p->max_id = 0;
		for (unsigned i = 0; i < PEER_WINDOW; i++)
			p->e[i].state = E_FREE;
	}
	return p;
}

static struct entry *entry_find(struct peer *p, uint32_t id)
{
	for (unsigned i = 0; i < PEER_WINDOW; i++)
		if (p->e[i].state != E_FREE && p->e[i].id == id)
			return &p->e[i];
	return NULL;
}

static void send_status(uint16_t dst, uint8_t type, uint32_t boot, uint32_t id, int32_t code)
{
	struct mesh_status s = { .boot = boot, .id = id, .code = code };
	uint8_t b[MESH_STATUS_LEN];
	int n = mesh_status_encode(&s, b, sizeof(b));
	if (n > 0)
		link_send(dst, type, b, (size_t)n);
}

/* Records the call's outcome in its window entry and sends it. */
void serve_complete(uint16_t src, uint32_t boot, uint32_t id, int64_t err,
		     const struct mesh_rpc *reply)
{
	struct peer *p = peer_for(src, boot);
	struct entry *e = p ? entry_find(p, id) : NULL;
	uint8_t type = MESH_REPLY;
	int n;

	if (err) {
		struct mesh_status s = { .boot = boot, .id = id, .code = (int32_t)err };
		type = MESH_ERROR;
		n = mesh_status_encode(&s, out, sizeof(out));
	} else {
		n = mesh_rpc_encode(reply, out, sizeof(out));
	}
	if (n < 0) {
		mlog("error: reply id=%u to node=%u not encoded err=%s", id, src, aion_error_name(n));
		return;
	}
	if (e) {
		e->state = E_DONE;
		e->type = type;
		e->len = (uint16_t)n;
		memcpy(e->pkt, out, (size_t)n);
	}
	link_send(src, type, out, (size_t)n);
}

static void give_job(aion_handle_t worker_reply, unsigned j)
{
	jobs[j].state = J_RUNNING;
	struct aion_msg m = { .tag = AION_TAG(0, 0, 0), .w = { j + 1 } };
	reply_saved(worker_reply, &m);
}

/* Takes a free job for call r on export (r->obj, r->gen), its capabilities imported. */
static int64_t queue_job(const struct mesh_rpc *r, struct job **out)
{
	aion_handle_t target;
	int64_t err = export_lookup(r->obj, r->gen, &target);
	struct job *j = NULL;
	for (unsigned i = 0; !err && i < JOBS_MAX && !j; i++)
		if (jobs[i].state == J_FREE)
			j = &jobs[i];
	if (!err && !j)
		err = -AION_EBUSY;
	if (err)
		return err;
	*j = (struct job){ .target = target, .rpc = *r };
	for (unsigned i = 0; !err && i < r->ncaps; i++) {
		err = import_ref(&r->caps[i], &j->caps[i]);
		j->rights[i] = r->caps[i].rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	}
	if (err)
		return err;
	j->state = J_QUEUED;
	*out = j;
	return 0;
}

static void start_job(struct job *j)
{
	if (nidle)
		give_job(idle[--nidle], (unsigned)(j - jobs));
}

void serve_on_call(uint16_t src, uint32_t src_boot, const struct mesh_rpc *r)
{
	(void)src_boot;         /* the sender's authenticated boot (link.c), not used yet */
	struct peer *p = peer_for(src, r->boot);
	if (!p) {
		send_status(src, MESH_ERROR, r->boot, r->id, -AION_EBUSY);
		return;
	}
	struct entry *e = entry_find(p, r->id);
	if (e || (p->max_id >= PEER_WINDOW && r->id <= p->max_id - PEER_WINDOW)) {
		calls_dup++;
		if (e && e->state == E_DONE)
			link_send(src, e->type, e->pkt, e->len);
		else if (e)
			send_status(src, MESH_CALL_ACK, r->boot, r->id, 0);
		return;
	}
	/* A new call: take the entry with the oldest id (done, see above). */
	struct entry *slot = &p->e[0];
	for (unsigned i = 0; i < PEER_WINDOW; i++)
		if (p->e[i].state == E_FREE || (slot->state != E_FREE && p->e[i].id < slot->id))
			slot = &p->e[i];
	if (slot->state == E_RUNNING) {
		send_status(src, MESH_ERROR, r->boot, r->id, -AION_EBUSY);
		return;
	}
	slot->state = E_RUNNING;
	slot->id = r->id;
	if (r->id > p->max_id)
		p->max_id = r->id;
	calls_in++;

	if (r->obj == MESH_OBJ_MESHD) {
		static struct mesh_rpc reply;
		reply = (struct mesh_rpc){ .boot = r->boot, .id = r->id };
		if (!names_self_call(src, r, &reply))
			serve_complete(src, r->boot, r->id, 0, &reply);
		return;         /* else the scheduler answers later (cluster.c) */
	}
	struct job *j = NULL;
	int64_t err = queue_job(r, &j);
	if (err) {
		serve_complete(src, r->boot, r->id, err, NULL);
		return;
	}
	j->src = src;
	j->boot = r->boot;
	/* No CALL_ACK yet: most calls answer well before the caller's
	 * retransmission, and a retransmitted CALL gets its CALL_ACK above. */
	start_job(j);
}

/* A call on a named import whose service now runs on this node. */
int64_t serve_local(const struct mesh_rpc *r, aion_handle_t reply, unsigned import)
{
	struct job *j = NULL;
	int64_t err = queue_job(r, &j);
	if (err)
		return err;
	j->src = self_node;
	j->local_reply = reply;
	j->import = import;
	j->sent = *r;
	start_job(j);
	return 0;
}

/* A local job's reply goes straight to the caller's saved reply. */
static void local_done(struct job *j)
{
	const struct mesh_rpc *r = &j->rpc;
	if (j->err) {
		calls_local_done(j->import, j->local_reply, j->err, NULL, &j->sent, self_node);
		return;
	}
	struct aion_msg m;
	rpc_to_reply(r, &m);
	for (unsigned i = 0; i < r->ncaps; i++) {
		main_buf.caps[i] = j->caps[i];
		main_buf.cap_rights[i] = AION_RIGHT_SEND | AION_RIGHT_GRANT;
	}
	reply_saved(j->local_reply, &m);
	for (unsigned i = 0; i < r->ncaps; i++)
		aion_handle_close(j->caps[i]);
}

/* Job j's worker is done: the reply goes to the caller, local or remote. */
static void job_finished(struct job *j)
{
	struct mesh_rpc *r = &j->rpc;   /* the worker wrote the reply here */
	int64_t err = j->err;
	if (j->local_reply) {
		local_done(j);
		j->state = J_FREE;
		return;
	}
	for (unsigned i = 0; !err && i < r->ncaps; i++) {
		aion_handle_t h = j->caps[i];
		err = export_cap(h, &r->caps[i]);
		if (err)
			aion_handle_close(h);
	}
	if (err)
		for (unsigned i = 0; i < r->ncaps; i++)
			export_drop(&r->caps[i]);
	serve_complete(j->src, j->boot, r->id, err, r);
	j->state = J_FREE;
}

/* A worker finished job w0 - 1 (if any) and asks for the next: its reply
 * is saved until there is one. */
int64_t serve_worker(struct aion_serve_req *req)
{
	uint64_t done = req->msg.w[0];
	if (done && done <= JOBS_MAX && jobs[done - 1].state == J_RUNNING)
		job_finished(&jobs[done - 1]);
	int64_t reply = aion_serve_save(req);
	if (reply < 0) {
		mlog("error: worker reply not saved err=%s", aion_error_name(reply));
		return reply;
	}
	for (unsigned i = 0; i < JOBS_MAX; i++)
		if (jobs[i].state == J_QUEUED) {
			give_job((aion_handle_t)reply, i);
			return 0;
		}
	idle[nidle++] = (aion_handle_t)reply;
	return 0;
}

/* A worker: performs jobs on local capabilities, one call at a time. */
int64_t worker_thread(uint64_t arg)
{
	/* One IPC buffer per thread, each on a page of its own. */
	static struct {
		struct aion_ipc_buffer b;
	} __attribute__((aligned(4096))) wbuf[WORKERS];
	struct aion_ipc_buffer *b = &wbuf[arg].b;
	uint64_t done = 0;

	int64_t err = aion_ipc_buffer(b);
	while (!err) {
		struct aion_msg m = { .tag = AION_TAG(WORK_NEXT, 0, 0), .w = { done } };
		if ((err = aion_call(worker_ep, &m, 0)))
			break;
		done = m.w[0];
		if (!done || done > JOBS_MAX)
			continue;
		struct job *j = &jobs[done - 1];
		struct mesh_rpc *r = &j->rpc;
		struct aion_msg c = { .tag = AION_TAG(r->label, r->len, r->ncaps) };
		for (unsigned i = 0; i < 3; i++)
			c.w[i] = r->w[i];
		for (unsigned i = 0; i < r->ncaps; i++) {
			b->caps[i] = j->caps[i];
			b->cap_rights[i] = j->rights[i];
		}
		memcpy(b->payload, r->data, r->len);
		j->err = aion_call(j->target, &c, 0);
		unsigned len = j->err ? 0 : AION_TAG_LEN(c.tag);
		unsigned ncaps = j->err ? 0 : AION_TAG_CAPS(c.tag);
		if (len > MESH_CALL_DATA_MAX || ncaps > MESH_RPC_CAPS) {
			/* Too big to carry: the caller learns it; nothing leaks here. */
			for (unsigned i = 0; i < ncaps && i < AION_IPC_CAPS_MAX; i++)
				aion_handle_close(b->caps[i]);
			j->err = -AION_ERANGE;
		}
		r->label = AION_TAG_LABEL(c.tag);
		for (unsigned i = 0; i < 3; i++)
			r->w[i] = c.w[i];
		r->obj = r->gen = 0;
		r->ncaps = j->err ? 0 : (uint8_t)ncaps;
		r->len = j->err ? 0 : (uint16_t)len;
		for (unsigned i = 0; i < r->ncaps; i++)
			j->caps[i] = b->caps[i];
		if (!j->err)
			memcpy(r->data, b->payload, r->len);
	}
	mlog("error: worker %lu ends err=%s", arg, aion_error_name(err));
	return err;
}
