/*
 * meshd, the owner side: exports (local capabilities under a global id,
 * with the nodes each was given to: mesh/grant.h) and remote calls
 * performed here by worker threads.
 *
 * At most once, owner's half (mesh/amo.h): per caller node a window of
 * its last AMO_WINDOW call ids, of its highest boot seen, with each one's
 * state. A CALL seen before is never run again: while it runs, the answer
 * is a CALL_ACK; once done, the cached REPLY (or ERROR) is sent again. A
 * CALL addressed to another boot of this node is never run and answered
 * AION_EINDOUBT (that boot may have run it); one from an earlier boot of
 * its caller, or older than the window, is dropped.
 *
 * Grants: a CALL on an export is run only for a node the export was given
 * to (else AION_ERIGHTS, counted as forged). A node leaves an export's
 * holders when it releases it (MESH_SELF_RELEASE), dies or restarts; an
 * export with no holders that no name pins is closed.
 */
#include "meshd.h"
#include "mesh/amo.h"
#include "mesh/grant.h"
#include "common/format.h"
#include "libaion/meshmem.h"

#define WORK_NEXT       1               /* worker -> main: w0 = finished job + 1 */

/* A finished call's answer, sent again to its duplicates. */
struct cached {
	uint8_t type;                   /* MESH_REPLY or MESH_ERROR; MESH_CALL_ACK while a
					 * large reply's transfer is under way; 0 once it was
					 * delivered (nothing to send again) */
	uint16_t len;
	uint8_t pkt[MESH_RPC_LEN_MAX];
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
	/* A payload above MESH_CALL_DATA_MAX (rpc.len is 0 then): up to
	 * AION_IPC_PAYLOAD_MAX bytes in inl, more in a memory object (the
	 * call's, made by meshd; the reply's, made by the service). */
	uint32_t big_len;
	aion_handle_t mem;
	uint8_t inl[AION_IPC_PAYLOAD_MAX];
};

static struct grant_export export_slots[EXPORTS_MAX];
static struct grant_table grants;
static struct amo amo;
static struct cached cache[AMO_SLOTS];
static struct job jobs[JOBS_MAX];
static aion_handle_t idle[WORKERS];     /* saved replies of workers waiting for work */
static unsigned nidle;
static aion_handle_t worker_ep;         /* meshd_ep minted with BADGE_WORKER */
static bool full_logged;
uint64_t calls_in, calls_dup, calls_other_boot, calls_dropped, refs_released;

static uint8_t out[MESH_RPC_LEN_MAX];

void serve_init(void)
{
	/* Generations start anywhere, so a reference from an earlier boot
	 * (when its slot is reused) is refused rather than reaching a new
	 * object. They are not secret: the grant check keeps references
	 * unforgeable (mesh/grant.h). */
	uint32_t gen = (uint32_t)(aion_rdtsc() ^ (aion_rdtsc() >> 29) ^ ((uint64_t)self_node << 20));
	grant_init(&grants, export_slots, EXPORTS_MAX, gen);
	amo_init(&amo, self_boot);
	int64_t h = aion_cap_mint(meshd_ep, AION_RIGHT_SEND, BADGE_WORKER);
	if (h < 0)
		mlog("error: worker capability err=%s", aion_error_name(h));
	worker_ep = h < 0 ? 0 : (aion_handle_t)h;
}

static void close_export(void *ctx, uint64_t cookie)
{
	(void)ctx;
	aion_handle_close((aion_handle_t)cookie);
}

int64_t export_cap(aion_handle_t h, uint16_t to, bool pin, struct mesh_ref *ref)
{
	struct aion_cap_info ci;
	int64_t err = aion_cap_info(h, &ci);
	if (err)
		return err;
	if (ci.type != AION_OBJ_ENDPOINT)
		return -AION_ETYPE;
	if (!(ci.rights & AION_RIGHT_SEND))
		return -AION_ERIGHTS;
	uint32_t rights = ci.rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	uint32_t obj, gen;
	bool reused;
	err = grant_export(&grants, h, rights, to, pin, &obj, &gen, &reused);
	if (err) {
		if (!full_logged)
			mlog("error: export table full exports=%u holders=%u max=%u err=%s",
			     grants.used, grant_holders(&grants), EXPORTS_MAX, aion_error_name(err));
		full_logged = true;
		return err;
	}
	full_logged = false;
	*ref = (struct mesh_ref){ .node = self_node, .obj = obj, .gen = gen, .rights = rights };
	return 0;
}

int64_t export_lookup(uint32_t obj, uint32_t gen, aion_handle_t *h)
{
	if (obj == 0 || obj > EXPORTS_MAX || !export_slots[obj - 1].used ||
	    export_slots[obj - 1].gen != gen)
		return -AION_EDEAD;
	*h = (aion_handle_t)export_slots[obj - 1].cookie;
	return 0;
}

int64_t export_grant(const struct mesh_ref *ref, uint16_t node)
{
	return ref->node == self_node ? grant_add(&grants, ref->obj, ref->gen, node) : 0;
}

void export_drop(const struct mesh_ref *ref)
{
	if (ref->node == self_node)
		grant_remove(&grants, ref->obj, ref->gen, close_export, NULL);
}

/* node gave back the export ref (a call that carried it was not sent). */
void export_ungrant(const struct mesh_ref *ref, uint16_t node)
{
	if (ref->node == self_node)
		grant_release(&grants, ref->obj, ref->gen, node, close_export, NULL);
}

void serve_node_gone(uint16_t node, const char *why)
{
	unsigned before = grants.used;
	unsigned freed = grant_drop_node(&grants, node, close_export, NULL);
	if (freed)
		mlog("grants dropped node=%u why=%s freed=%u exports=%u->%u", node, why, freed,
		     before, grants.used);
}

/* Membership declared node dead: its grants go; its window stays, but a
 * lower boot of it is taken from now on (amo_node_dead). */
void serve_node_dead(uint16_t node)
{
	serve_node_gone(node, "dead");
	amo_node_dead(&amo, node);
}

void serve_refs_text(char *out_text, unsigned size)
{
	aion_text_add(out_text, size, "mesh exports=%u holders=%u forged=%lu released=%lu "
		      "other_boot=%lu dropped=%lu\n", grants.used, grant_holders(&grants),
		      (unsigned long)grants.forged, (unsigned long)refs_released,
		      (unsigned long)calls_other_boot, (unsigned long)calls_dropped);
}

/* `mesh refs`: one line per export from index *from (advanced). */
void serve_exports_text(char *out_text, unsigned size, unsigned *from)
{
	for (; *from < EXPORTS_MAX; (*from)++) {
		const struct grant_export *x = &export_slots[*from];
		if (!x->used)
			continue;
		char line[96], nodes[48] = "";
		for (unsigned n = 0; n < GRANT_NODES - 1; n++)
			if (grant_holds(x, (uint16_t)n))
				aion_text_add(nodes, sizeof(nodes), "%s%u", nodes[0] ? "," : "", n);
		fmt_snprintf(line, sizeof(line), "export obj=%u gen=%u rights=0x%x pinned=%u holders=%s\n",
			     *from + 1, x->gen, x->rights, x->pinned, nodes[0] ? nodes : "-");
		if (strlen(out_text) + strlen(line) >= size)
			return;
		aion_text_add(out_text, size, "%s", line);
	}
}

static void send_status(uint16_t dst, uint8_t type, uint32_t boot, uint32_t id, int32_t code)
{
	struct mesh_status s = { .boot = boot, .owner_boot = self_boot, .id = id, .code = code };
	uint8_t b[MESH_STATUS_LEN];
	int n = mesh_status_encode(&s, b, sizeof(b));
	if (n > 0)
		link_send(dst, type, b, (size_t)n);
}

/* Records the call's outcome in its window entry and sends it. */
void serve_complete(uint16_t src, uint32_t boot, uint32_t id, int64_t err,
		     struct mesh_rpc *reply)
{
	unsigned slot;
	bool known = amo_find(&amo, src, boot, id, &slot);
	uint8_t type = MESH_REPLY;
	int n = 0;

	if (!err && reply->bulk) {
		/* A large reply: its transfer's DONE makes it delivered
		 * (serve_bulk_end); duplicates meanwhile get a CALL_ACK. */
		reply->boot = boot;
		reply->owner_boot = self_boot;
		reply->id = id;
		int64_t e = bulk_send(reply->bulk, src, MESH_REPLY, reply);
		if (!e) {
			if (known) {
				cache[slot].type = MESH_CALL_ACK;
				amo_finish(&amo, slot);
			}
			return;
		}
		mlog("error: reply id=%u to node=%u not sent err=%s", id, src, aion_error_name(e));
		err = -AION_ETRUNC;
	}
	if (err && reply && reply->bulk) {
		bbuf_free(reply->bulk);
		reply->bulk = 0;
	}
	if (!err) {
		reply->boot = boot;
		reply->owner_boot = self_boot;
		reply->id = id;
		n = mesh_rpc_encode(reply, out, sizeof(out));
		if (n < 0) {
			mlog("error: reply id=%u to node=%u not encoded err=%s", id, src,
			     aion_error_name(n));
			err = -AION_ETRUNC;     /* it ran; its answer cannot be carried */
		}
	}
	if (err) {
		struct mesh_status s = { .boot = boot, .owner_boot = self_boot, .id = id,
					 .code = (int32_t)err };
		type = MESH_ERROR;
		n = mesh_status_encode(&s, out, sizeof(out));
	}
	if (known) {
		cache[slot].type = type;
		cache[slot].len = (uint16_t)n;
		memcpy(cache[slot].pkt, out, (size_t)n);
		amo_finish(&amo, slot);
	}
	link_send(src, type, out, (size_t)n);
}

/* A large reply's transfer ended (buffer b): delivered, or the caller
 * hears that it ran and its reply is lost (AION_ETRUNC). */
void serve_bulk_end(uint16_t dst, uint32_t boot, uint32_t id, int err, unsigned b)
{
	unsigned slot;
	bbuf_free(b);
	bool known = amo_find(&amo, dst, boot, id, &slot) && cache[slot].type == MESH_CALL_ACK;
	if (known && !err) {
		cache[slot].type = 0;
		return;
	}
	if (err)
		mlog("error: reply id=%u to node=%u lost err=%s", id, dst, aion_error_name(err));
	struct mesh_status st = { .boot = boot, .owner_boot = self_boot, .id = id,
				  .code = -AION_ETRUNC };
	int n = mesh_status_encode(&st, out, sizeof(out));
	if (err && n > 0) {
		if (known) {
			cache[slot].type = MESH_ERROR;
			cache[slot].len = (uint16_t)n;
			memcpy(cache[slot].pkt, out, (size_t)n);
		}
		link_send(dst, MESH_ERROR, out, (size_t)n);
	}
}

static void give_job(aion_handle_t worker_reply, unsigned j)
{
	jobs[j].state = J_RUNNING;
	struct aion_msg m = { .tag = AION_TAG(0, 0, 0), .w = { j + 1 } };
	reply_saved(worker_reply, &m);
}

/* Takes a free job for call r on export (r->obj, r->gen) from node src,
 * its capabilities imported (copies the job closes once done). */
static int64_t queue_job(uint16_t src, const struct mesh_rpc *r, struct job **out)
{
	uint64_t cookie = 0;
	aion_handle_t local = 0;
	int64_t err = src == self_node ? export_lookup(r->obj, r->gen, &local) :
		      grant_check(&grants, r->obj, r->gen, src, &cookie);
	if (src == self_node)
		cookie = local;
	struct job *j = NULL;
	if (err == -AION_ERIGHTS)
		mlog("forged call refused node=%u obj=%u gen=%u forged=%lu", src, r->obj, r->gen,
		     (unsigned long)grants.forged);
	for (unsigned i = 0; !err && i < JOBS_MAX && !j; i++)
		if (jobs[i].state == J_FREE)
			j = &jobs[i];
	if (!err && !j)
		err = -AION_EBUSY;
	if (err)
		return err;
	/* Cleared up to sent: sent (serve_local's) and inl (up to big_len)
	 * are written before they are read. Clearing the whole 1.5 KiB a
	 * call showed in profiles (memset: 2.5% of a called node's running
	 * samples, docs/network.md). */
	memset(j, 0, offsetof(struct job, sent));
	j->target = (aion_handle_t)cookie;
	j->rpc = *r;
	j->big_len = 0;
	j->mem = 0;
	if (r->bulk) {
		/* The payload leaves the bulk buffer or the receiver's slot now. */
		uint32_t len;
		const uint8_t *d = bulk_data(r, &len);
		j->rpc.bulk = 0;
		j->big_len = len;
		if (len <= AION_IPC_PAYLOAD_MAX)
			memcpy(j->inl, d, len);
		else if (mesh_mem_create(d, len, &j->mem))
			return -AION_ENOSPC;    /* no memory for it: not run */
	}
	unsigned got = 0;
	for (; !err && got < r->ncaps; got++) {
		err = import_copy(&r->caps[got], &j->caps[got]);
		j->rights[got] = r->caps[got].rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	}
	if (err) {
		for (unsigned i = 0; i + 1 < got; i++)
			aion_handle_close(j->caps[i]);
		if (j->mem)
			aion_handle_close(j->mem);
		return err;
	}
	j->state = J_QUEUED;
	*out = j;
	return 0;
}

static void start_job(struct job *j)
{
	if (nidle)
		give_job(idle[--nidle], (unsigned)(j - jobs));
}

/* HELLO: this node's boot, outside the window (it changes nothing). */
static void hello(uint16_t src, const struct mesh_rpc *r)
{
	static struct mesh_rpc reply;
	reply = (struct mesh_rpc){ .boot = r->boot, .owner_boot = self_boot,
				   .label = MESH_SELF_HELLO };
	int n = mesh_rpc_encode(&reply, out, sizeof(out));
	if (n > 0)
		link_send(src, MESH_REPLY, out, (size_t)n);
}

static uint32_t get32(const uint8_t *d)
{
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

/* MESH_SELF_RELEASE: src no longer holds these exports. */
static void on_release(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply)
{
	for (unsigned i = 0; i + MESH_RELEASE_LEN <= r->len; i += MESH_RELEASE_LEN) {
		refs_released++;
		grant_release(&grants, get32(&r->data[i]), get32(&r->data[i + 4]), src,
			      close_export, NULL);
	}
	reply->w[0] = 0;
}

/* MESH_SELF_GRANT: src, a holder, lets another node call an export. */
static void on_grant(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply)
{
	const uint8_t *d = r->data;
	int err = -AION_EINVAL;
	if (r->len == MESH_GRANT_LEN) {
		uint32_t obj = get32(d), gen = get32(d + 4);
		uint16_t to = (uint16_t)(d[8] << 8 | d[9]);
		err = to && to < GRANT_NODES - 1 ? grant_delegate(&grants, obj, gen, src, to) :
		      -AION_EINVAL;
		if (err == -AION_ERIGHTS)
			mlog("forged delegation refused node=%u obj=%u to=%u", src, obj, to);
	}
	reply->w[0] = (uint64_t)(int64_t)err;
}

/* A CALL from node src: src_boot is the caller's boot (the packet
 * header's, authenticated by the link), dst_boot this node's as the caller
 * knew it when it made the call (the payload's owner_boot). */
void serve_on_call(uint16_t src, uint32_t src_boot, uint32_t dst_boot, const struct mesh_rpc *r)
{
	calls_boot_seen(src, src_boot);
	if (r->obj == MESH_OBJ_MESHD)
		meshd_news = true;      /* meshd's own objects: names, grants */
	if (r->obj == MESH_OBJ_MESHD && r->id == 0 && r->label == MESH_SELF_HELLO) {
		hello(src, r);
		return;
	}
	unsigned slot;
	bool restarted;
	amo.self_boot = self_boot;
	switch (amo_call(&amo, src, src_boot, dst_boot, r->id, &slot, &restarted)) {
	case AMO_NEW:
		break;
	case AMO_RUNNING:
		calls_dup++;
		send_status(src, MESH_CALL_ACK, src_boot, r->id, 0);
		return;
	case AMO_DONE:
		calls_dup++;
		if (cache[slot].type == MESH_CALL_ACK)
			send_status(src, MESH_CALL_ACK, src_boot, r->id, 0);
		else if (cache[slot].type)
			link_send(src, cache[slot].type, cache[slot].pkt, cache[slot].len);
		return;
	case AMO_OTHER_BOOT:
		/* Meant for another boot of this node, which may have run it. */
		calls_other_boot++;
		send_status(src, MESH_ERROR, src_boot, r->id, -AION_EINDOUBT);
		return;
	default:                /* an old boot's, older than the window, or no room */
		calls_dropped++;
		return;
	}
	calls_in++;

	if (r->obj == MESH_OBJ_MESHD && (r->label == MESH_SELF_PROBE || r->bulk)) {
		/* A probe run as new: its large call was delivered but never
		 * taken (no room in the window then), so it never runs. meshd
		 * itself takes no large payload. */
		serve_complete(src, src_boot, r->id,
			       r->label == MESH_SELF_PROBE ? -AION_ECONNRESET : -AION_ERANGE, NULL);
		return;
	}
	if (r->obj == MESH_OBJ_MESHD) {
		static struct mesh_rpc reply;
		reply = (struct mesh_rpc){ 0 };
		if (r->label == MESH_SELF_RELEASE)
			on_release(src, r, &reply);
		else if (r->label == MESH_SELF_GRANT)
			on_grant(src, r, &reply);
		else if (names_self_call(src, r, &reply))
			return;         /* the scheduler answers later (requests.c) */
		serve_complete(src, src_boot, r->id, 0, &reply);
		return;
	}
	struct job *j = NULL;
	int64_t err = queue_job(src, r, &j);
	if (err) {
		serve_complete(src, src_boot, r->id, err, NULL);
		return;
	}
	j->src = src;
	j->boot = src_boot;
	/* No CALL_ACK yet: most calls answer well before the caller's
	 * retransmission, and a retransmitted CALL gets its CALL_ACK above. */
	start_job(j);
}

/* A call on a named import whose service now runs on this node. */
int64_t serve_local(const struct mesh_rpc *r, aion_handle_t reply, unsigned import)
{
	struct job *j = NULL;
	int64_t err = queue_job(self_node, r, &j);
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
	if (j->big_len && !j->mem) {
		memcpy(main_buf.payload, j->inl, j->big_len);
		m.tag = AION_TAG(r->label, j->big_len, r->ncaps);
	} else if (j->mem) {
		/* The service's object goes to the caller as it is. */
		mesh_mem_tag(&m, &main_buf, r->label, r->ncaps, j->big_len, j->mem);
	}
	reply_saved(j->local_reply, &m);
	if (j->mem)
		aion_handle_close(j->mem);
	j->mem = 0;
	bbuf_free(j->sent.bulk);        /* a large call's payload, sent */
	for (unsigned i = 0; i < r->ncaps; i++)
		aion_handle_close(j->caps[i]);
	for (unsigned i = 0; i < j->sent.ncaps; i++)
		export_ungrant(&j->sent.caps[i], self_node);    /* the callee has its copies */
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
	unsigned done = 0;
	bool shortcut = false;
	for (; !err && done < r->ncaps; done++) {       /* the worker's reply, if any */
		if (import_shortcut(j->caps[done], &r->caps[done])) {
			aion_handle_close(j->caps[done]);       /* the owner's reference goes */
			shortcut = true;
			continue;
		}
		err = export_cap(j->caps[done], j->src, false, &r->caps[done]);
	}
	if (err && !j->err) {
		/* It ran, but its reply's capabilities cannot be carried. */
		for (unsigned i = 0; i + 1 < done; i++)
			export_ungrant(&r->caps[i], j->src);
		for (unsigned i = done ? done - 1 : 0; i < r->ncaps; i++)
			aion_handle_close(j->caps[i]);
		mlog("error: reply id=%u to node=%u: capability not exported err=%s", r->id,
		     j->src, aion_error_name(err));
		err = -AION_ETRUNC;
	}
	if (!err && j->big_len) {
		/* A large reply waits in a bulk buffer for its transfer. */
		int64_t b = bbuf_take();
		if (b > 0 && j->mem)
			err = mesh_mem_read(j->mem, j->big_len, bbuf_data((unsigned)b));
		else if (b > 0)
			memcpy(bbuf_data((unsigned)b), j->inl, j->big_len);
		if (b > 0 && !err) {
			bbuf_set_len((unsigned)b, j->big_len);
			r->bulk = (uint8_t)b;
		} else {
			bbuf_free(b > 0 ? (unsigned)b : 0);
			mlog("error: reply id=%u to node=%u len=%u not carried err=%s", r->id, j->src,
			     j->big_len, aion_error_name(b < 0 ? b : err));
			for (unsigned i = 0; i < r->ncaps; i++)
				export_ungrant(&r->caps[i], j->src);
			err = -AION_ETRUNC;
		}
	}
	if (j->mem)
		aion_handle_close(j->mem);
	j->mem = 0;
	j->state = J_FREE;
	if (!err && shortcut) {
		/* Sent once the owners of the short-cut references let src in. */
		err = calls_reply_delegated(j->src, j->boot, r->id, r);
		if (!err)
			return;
		for (unsigned i = 0; i < r->ncaps; i++)
			export_ungrant(&r->caps[i], j->src);
		err = -AION_ETRUNC;
	}
	serve_complete(j->src, j->boot, r->id, err, r);
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
		/* The callee's reply capabilities travel back to the caller. */
		struct aion_msg c = { .tag = AION_TAG(r->label, r->len, r->ncaps) |
					     AION_TAG_ACCEPT(AION_IPC_CAPS_MAX) };
		for (unsigned i = 0; i < 3; i++)
			c.w[i] = r->w[i];
		for (unsigned i = 0; i < r->ncaps; i++) {
			b->caps[i] = j->caps[i];
			b->cap_rights[i] = j->rights[i];
		}
		memcpy(b->payload, r->data, r->len);
		if (j->mem) {
			mesh_mem_tag(&c, b, r->label, r->ncaps, j->big_len, j->mem);
			b->cap_rights[r->ncaps] = AION_RIGHT_READ;
		} else if (j->big_len) {
			memcpy(b->payload, j->inl, j->big_len);
			c.tag = AION_TAG(r->label, j->big_len, r->ncaps);
		}
		c.tag |= AION_TAG_ACCEPT(AION_IPC_CAPS_MAX);  /* after the memory form's tag */
		j->err = aion_call(j->target, &c, 0);
		for (unsigned i = 0; i < r->ncaps; i++)
			aion_handle_close(j->caps[i]);  /* copies: the callee has its own */
		if (j->mem)
			aion_handle_close(j->mem);
		j->mem = 0;
		j->big_len = 0;
		/* The kernel's EDEAD: the service never took the call (gone:
		 * a named proxy re-binds and sends it again); had it taken it
		 * and ended, EINDOUBT (it may have run). Both go as they are. */
		unsigned ncaps = j->err ? 0 : AION_TAG_CAPS(c.tag);
		int64_t len = j->err ? 0 : mesh_msg_len(&c, b, &ncaps);
		if (len >= 0 && (c.tag & MESH_TAG_MEMORY) && !j->err) {
			j->mem = b->caps[ncaps];        /* read by the main thread */
			j->big_len = (uint32_t)len;
		} else if (len > MESH_CALL_DATA_MAX) {
			memcpy(j->inl, b->payload, (size_t)len);
			j->big_len = (uint32_t)len;
		}
		if (len < 0 || len > MESH_BULK_DATA_MAX || ncaps > MESH_RPC_CAPS) {
			/* It ran, but its reply is too big to carry: the
			 * caller learns that (ETRUNC); nothing leaks here. */
			for (unsigned i = 0; i < AION_TAG_CAPS(c.tag) && i < AION_IPC_CAPS_MAX; i++)
				aion_handle_close(b->caps[i]);
			j->err = -AION_ETRUNC;
			j->mem = 0;
			j->big_len = 0;
		}
		r->label = AION_TAG_LABEL(c.tag);
		for (unsigned i = 0; i < 3; i++)
			r->w[i] = c.w[i];
		r->obj = r->gen = 0;
		r->ncaps = j->err ? 0 : (uint8_t)ncaps;
		r->len = j->err || j->big_len ? 0 : (uint16_t)len;
		for (unsigned i = 0; i < r->ncaps; i++)
			j->caps[i] = b->caps[i];
		if (!j->err)
			memcpy(r->data, b->payload, r->len);
	}
	mlog("error: worker %lu ends err=%s", arg, aion_error_name(err));
	return err;
}
