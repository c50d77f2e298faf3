/*
 * meshd, the calling side: imports (proxies for remote capabilities) and
 * calls in flight to other nodes.
 *
 * At most once, caller's half: each CALL gets the next id for its
 * destination node and is retransmitted every RETRANSMIT_NS until the
 * owner acknowledges it (CALL_ACK), then every KEEPALIVE_NS until the
 * REPLY or an ERROR arrives. The owner suppresses duplicates (serve.c), so
 * retransmission never runs a call twice. When membership declares the
 * owner DEAD, every call in flight to it ends with -AION_EINDOUBT (it was
 * sent: it may have run); a call refused before sending gets
 * -AION_EHOSTDOWN (it did not run).
 *
 * Re-binding: an import that came from a name lookup keeps the name. A
 * call on it while its node is dead, or one the owner refused with
 * -AION_EDEAD (the object is gone: the call did not run), is parked and
 * the name looked up again every REBIND_RETRY_NS until it is found (the
 * scheduler restarted the service elsewhere) or MESH_REBIND_MS passed.
 * The proxy the client holds stays the same capability throughout.
 *
 * Boots (mesh/amo.h): each CALL names the owner's boot it is meant for, so
 * a caller sends none to a node whose boot it does not know: it asks first
 * (a HELLO, answered outside the window) and holds its calls until the
 * answer. A node's boot is learnt from its packets and only grows; when it
 * grows the node restarted, and the grants it held here go (serve.c).
 *
 * Reclamation: an unnamed import is freed once no copy of its proxy is
 * left in any unit (CAP_INFO's AION_CAP_COPIED on the proxy meshd
 * minted); its owner is told in a batched MESH_SELF_RELEASE call. Named
 * imports (one per name looked up) stay: they re-bind.
 *
 * Short-cut: a capability a call (or a reply, serve.c) carries that is
 * one of this node's proxies is not exported again (a proxy of a proxy):
 * the owner's own reference is sent instead. The owner must then let the
 * receiving node call it: this node, a holder, asks it first
 * (MESH_SELF_GRANT, delegation) and sends the call or reply only once the
 * owner agreed, so the receiver's first call never meets a refusal. Only
 * a holder can delegate, so references stay unforgeable. A proxy is
 * recognised by its badge, BADGE_PROXY + index with a random per-import
 * tag above bit 32 that a unit holding no copy of that proxy cannot guess.
 */
#include "meshd.h"
#include "mesh/amo.h"
#include "libaion/meshmem.h"

#define REBIND_RETRY_NS (150 * MS)
#define PARKED_MAX      16
#define SCAN_NS         (500 * MS)      /* imports checked for copies left */
#define RELEASES_MAX    256             /* released refs not yet sent */

struct import {
	bool used;
	uint32_t tag;                   /* the badge's bits 32..63 */
	struct mesh_ref ref;
	aion_handle_t proxy;            /* meshd_ep minted with BADGE_PROXY + index */
	char name[MESH_NAME_MAX];       /* "" unless it came from a lookup */
	bool rebinding, asking;         /* looking the name up again; a lookup under way */
	struct mesh_ref lost;           /* rebinding: the ref that failed */
	uint64_t lost_at, next_ask;
};

/* A call on a named import that waits for the import to be re-bound. */
struct parked {
	bool used;
	unsigned import;
	aion_handle_t reply;
	uint64_t deadline;
	struct mesh_rpc rpc;
};

struct outcall {
	bool used, acked;
	bool bulk_started;              /* a large call's transfer began (docs/mesh-bulk.md) */
	enum outcall_kind kind;
	unsigned agg;                   /* names.c's aggregate for LOOKUP/LIST */
	uint16_t node;
	aion_handle_t reply;            /* OC_PROXY: the caller's saved reply */
	uint64_t next_tx;
	struct mesh_rpc rpc;
};

struct release {
	uint16_t node;
	uint32_t obj, gen;
};

/* A call or reply that waits for its owners' delegations (MESH_SELF_GRANT). */
#define DELEGS_MAX      8
struct deleg {
	bool used;
	bool reply;                     /* a reply (serve.c) or a call on an import */
	unsigned waiting;
	int64_t err;
	unsigned import;                /* a call: */
	aion_handle_t caller;
	uint16_t src;                   /* a reply: */
	uint32_t boot, id;
	struct mesh_rpc rpc;
};
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct deleg delegs[DELEGS_MAX];
static uint64_t tag_state;
uint64_t refs_shortcut;

static struct import imports[IMPORTS_MAX];
static struct outcall outcalls[OUTCALLS_MAX];
static struct parked parked[PARKED_MAX];
/* Some import may have rebinding set: set with it, cleared only by a walk
 * of rebind_tick that finds none (so it never says no wrongly). */
static bool rebind_any;
static struct release releases[RELEASES_MAX];
static unsigned nreleases, nimports;
static uint32_t next_id[MESH_NODE_NONE + 1];
static uint32_t node_boot[MESH_NODE_NONE + 1]; /* the highest boot heard of each node */
static bool boot_current[MESH_NODE_NONE + 1];  /* asked since it last died */
static uint64_t next_scan;
static bool imports_full_logged;
uint64_t calls_out, calls_retransmits, imports_freed;

static uint8_t pkt[MESH_RPC_LEN_MAX];

/* A fresh proxy tag: never 0, not guessable by a unit (a mixer of the
 * cycle counter at each use; not a cryptographic generator, see
 * docs/mesh.md). */
static uint32_t proxy_tag(void)
{
	uint32_t t;
	do {
		tag_state ^= aion_rdtsc() * 0x9e3779b97f4a7c15ull;
		tag_state ^= tag_state >> 29;
		tag_state *= 0xbf58476d1ce4e5b9ull;
		tag_state ^= tag_state >> 32;
		t = (uint32_t)tag_state;
	} while (!t);
	return t;
}

/* The import behind badge, if it is one of this node's proxies (the tag
 * matches): its index, else IMPORTS_MAX. */
static unsigned import_of_badge(uint64_t badge)
{
	uint64_t low = badge & 0xffffffffu;
	if (low < BADGE_PROXY || low >= BADGE_PROXY + IMPORTS_MAX)
		return IMPORTS_MAX;
	unsigned i = (unsigned)(low - BADGE_PROXY);
	return imports[i].used && imports[i].tag == (uint32_t)(badge >> 32) ? i : IMPORTS_MAX;
}

/* h (a capability a unit passes on) is a proxy of ours to another node's
 * object: *ref is that node's reference, with h's rights. */
bool import_shortcut(aion_handle_t h, struct mesh_ref *ref)
{
	struct aion_cap_info ci;
	if (aion_cap_info(h, &ci) || ci.type != AION_OBJ_ENDPOINT)
		return false;
	unsigned i = import_of_badge(ci.badge);
	if (i == IMPORTS_MAX || imports[i].ref.node == self_node || imports[i].name[0])
		return false;   /* a named proxy re-binds: it is passed on as itself */
	*ref = imports[i].ref;
	ref->rights &= ci.rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	return true;
}

int64_t import_ref(const struct mesh_ref *ref, aion_handle_t *proxy)
{
	uint32_t rights = ref->rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	int free_slot = -1;

	if (ref->node == self_node)
		return export_lookup(ref->obj, ref->gen, proxy);
	for (unsigned i = 0; i < IMPORTS_MAX; i++) {
		struct import *im = &imports[i];
		if (!im->used) {
			if (free_slot < 0)
				free_slot = (int)i;
			continue;
		}
		if (im->ref.node == ref->node && im->ref.obj == ref->obj &&
		    im->ref.gen == ref->gen && im->ref.rights == rights) {
			*proxy = im->proxy;
			return 0;
		}
	}
	if (free_slot < 0) {
		if (!imports_full_logged)
			mlog("error: import table full imports=%u max=%u err=AION_ENOSPC", nimports,
			     IMPORTS_MAX);
		imports_full_logged = true;
		return -AION_ENOSPC;
	}
	imports_full_logged = false;
	uint32_t tag = proxy_tag();
	int64_t h = aion_cap_mint(meshd_ep, rights,
				  ((uint64_t)tag << 32) | (BADGE_PROXY + (unsigned)free_slot));
	if (h < 0)
		return h;
	struct import *im = &imports[free_slot];
	*im = (struct import){ .used = true, .tag = tag, .ref = *ref, .proxy = (aion_handle_t)h };
	im->ref.rights = rights;
	nimports++;
	*proxy = im->proxy;
	return 0;
}

/* A copy of ref's proxy (or of the local export) for a job, which closes it. */
int64_t import_copy(const struct mesh_ref *ref, aion_handle_t *out)
{
	aion_handle_t h;
	int64_t err = import_ref(ref, &h);
	if (err)
		return err;
	int64_t c = aion_cap_copy(h, AION_RIGHT_SEND | AION_RIGHT_GRANT);
	if (c < 0)
		return c;
	*out = (aion_handle_t)c;
	return 0;
}

/* The boot of node, heard in one of its packets (mesh/amo.h). */
void calls_boot_seen(uint16_t node, uint32_t boot)
{
	if (!boot)
		return;
	if (amo_learn_boot(&node_boot[node], boot)) {
		mlog("node restarted node=%u boot=%u", node, boot);
		serve_node_gone(node, "restart");
	}
}

/* Exports a call carried to node go back when the call did not run there
 * (not imported) or ran here (the local job holds its own copies). */
static void unexport(const struct mesh_rpc *r, uint16_t node, int64_t err)
{
	bool imported = node != self_node && node != 0 &&
			(!err || (err != -AION_EHOSTDOWN && err != -AION_EBUSY && err != -AION_EDEAD &&
				  err != -AION_ERIGHTS && err != -AION_ENOSPC && err != -AION_ERANGE &&
				  err != -AION_ECONNRESET));
	for (unsigned i = 0; !imported && i < r->ncaps; i++)
		export_ungrant(&r->caps[i], node);
}

/* An import from a lookup of name: one per name, re-bound to the newest ref. */
int64_t import_named(const struct mesh_ref *ref, const char *name, aion_handle_t *proxy)
{
	for (unsigned i = 0; i < IMPORTS_MAX; i++) {
		struct import *im = &imports[i];
		if (im->used && !strcmp(im->name, name)) {
			im->ref = *ref;
			im->ref.rights &= AION_RIGHT_SEND | AION_RIGHT_GRANT;
			*proxy = im->proxy;
			return 0;
		}
	}
	struct mesh_ref remote = *ref;
	if (ref->node == self_node)
		remote.node = MESH_NODE_NONE;   /* never matches: a fresh import */
	int64_t err = import_ref(&remote, proxy);
	if (err)
		return err;
	for (unsigned i = 0; i < IMPORTS_MAX; i++)
		if (imports[i].used && imports[i].proxy == *proxy) {
			imports[i].ref = *ref;
			imports[i].ref.rights &= AION_RIGHT_SEND | AION_RIGHT_GRANT;
			memcpy(imports[i].name, name, strlen(name) + 1);
		}
	return 0;
}

/*
 * A large call (its payload in a bulk buffer) goes as one transfer, which
 * resends its own fragments; its DONE plays the CALL_ACK's part
 * (calls_bulk_end). From then on the call is kept alive with a
 * MESH_SELF_PROBE of the same id instead of the whole call: the owner
 * answers it like a duplicate (CALL_ACK, or the answer again).
 */
static void transmit(struct outcall *oc)
{
	const struct mesh_rpc *r = &oc->rpc;
	struct mesh_rpc hello = { .boot = self_boot, .obj = MESH_OBJ_MESHD,
				  .label = MESH_SELF_HELLO };
	struct mesh_rpc probe = { .boot = self_boot, .owner_boot = r->owner_boot, .id = r->id,
				  .obj = MESH_OBJ_MESHD, .label = MESH_SELF_PROBE };
	oc->next_tx = aion_clock_ns() + (oc->acked ? KEEPALIVE_NS : RETRANSMIT_NS);
	if (r->owner_boot && r->bulk && !oc->bulk_started) {
		oc->bulk_started = true;
		int64_t err = bulk_send(r->bulk, oc->node, MESH_CALL, r);
		if (err)
			mlog("error: call id=%u to node=%u not sent err=%s", r->id, oc->node,
			     aion_error_name(err));
		return;
	}
	if (r->owner_boot && r->bulk && !oc->acked)
		return;         /* the transfer is under way */
	if (!r->owner_boot)
		r = &hello;     /* held until the owner's boot is known */
	else if (r->bulk)
		r = &probe;
	int n = mesh_rpc_encode(r, pkt, sizeof(pkt));
	if (n < 0 || link_send(oc->node, MESH_CALL, pkt, (size_t)n) < 0)
		mlog("error: call id=%u to node=%u not sent", oc->rpc.id, oc->node);
}

int64_t outcall_start(enum outcall_kind kind, unsigned agg, uint16_t node,
		      struct mesh_rpc *r, aion_handle_t reply)
{
	struct outcall *oc = NULL;
	for (unsigned i = 0; i < OUTCALLS_MAX && !oc; i++)
		if (!outcalls[i].used)
			oc = &outcalls[i];
	if (!oc)
		return -AION_EBUSY;
	if (!node_alive(node))
		return -AION_EHOSTDOWN;
	r->boot = self_boot;
	r->owner_boot = boot_current[node] ? node_boot[node] : 0;
	r->id = ++next_id[node];
	*oc = (struct outcall){ .used = true, .kind = kind, .agg = agg, .node = node,
				.reply = reply, .rpc = *r };
	calls_out++;
	transmit(oc);
	return 0;
}

/* The IPC reply for r: tag and words in m, payload in main_buf (caps: the caller's). */
void rpc_to_reply(const struct mesh_rpc *r, struct aion_msg *m)
{
	*m = (struct aion_msg){ .tag = AION_TAG(r->label, r->len, r->ncaps) };
	for (unsigned i = 0; i < 3; i++)
		m->w[i] = r->w[i];
	memcpy(main_buf.payload, r->data, r->len);
}

/* Answers a unit's call with a remote reply (r) or an error (err). A
 * large payload comes inline when it fits the IPC buffer, else in a new
 * memory object (aion/mesh.h, MESH_TAG_MEMORY). */
void calls_deliver(aion_handle_t reply, int64_t err, const struct mesh_rpc *r, uint16_t from)
{
	if (err) {
		reply_saved_err(reply, err);
		return;
	}
	struct aion_msg m;
	rpc_to_reply(r, &m);
	for (unsigned i = 0; i < r->ncaps; i++) {
		int64_t e = import_ref(&r->caps[i], &main_buf.caps[i]);
		if (e) {
			mlog("error: reply capability from node=%u not imported err=%s",
			     from, aion_error_name(e));
			reply_saved_err(reply, -AION_ETRUNC);   /* it ran; its reply is lost */
			return;
		}
		main_buf.cap_rights[i] = r->caps[i].rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	}
	aion_handle_t mo = 0;
	if (r->bulk) {
		uint32_t len;
		const uint8_t *d = bulk_data(r, &len);
		int64_t e = 0;
		if (len <= AION_IPC_PAYLOAD_MAX) {
			memcpy(main_buf.payload, d, len);
			m.tag = AION_TAG(r->label, len, r->ncaps);
		} else if (!(e = mesh_mem_create(d, len, &mo))) {
			mesh_mem_tag(&m, &main_buf, r->label, r->ncaps, len, mo);
		} else {
			mlog("error: reply from node=%u len=%u not delivered err=%s", from, len,
			     aion_error_name(e));
			reply_saved_err(reply, -AION_ETRUNC);   /* it ran; its reply is lost */
			return;
		}
	}
	reply_saved(reply, &m);
	if (mo)
		aion_handle_close(mo);  /* the caller has its copy */
}

static bool named(unsigned import)
{
	return import < IMPORTS_MAX && imports[import].used && imports[import].name[0];
}

/* Parks a call on a named import until it is re-bound (calls_tick asks). */
static void park(unsigned import, aion_handle_t reply, const struct mesh_rpc *r)
{
	struct import *im = &imports[import];
	struct parked *p = NULL;
	for (unsigned i = 0; i < PARKED_MAX && !p; i++)
		if (!parked[i].used)
			p = &parked[i];
	if (!p) {
		unexport(r, 0, -AION_EBUSY);
		bbuf_free(r->bulk);
		reply_saved_err(reply, -AION_EBUSY);
		return;
	}
	uint64_t now = aion_clock_ns();
	if (!im->rebinding) {
		im->rebinding = true;
		rebind_any = true;
		im->lost = im->ref;
		im->lost_at = now;
		im->next_ask = now;
		mlog("proxy rebinding name=%s node=%u", im->name, im->ref.node);
	}
	*p = (struct parked){ .used = true, .import = import, .reply = reply,
			      .deadline = now + MESH_REBIND_MS * MS, .rpc = *r };
}

static void send_call(unsigned import, aion_handle_t reply, struct mesh_rpc *r)
{
	const struct import *im = &imports[import];
	int64_t err;
	/* The node the call goes to may now call what it carries (until now
	 * this node held it: holder 0). */
	for (unsigned i = 0; i < r->ncaps; i++) {
		export_grant(&r->caps[i], im->ref.node);
		export_ungrant(&r->caps[i], 0);
	}
	if (im->ref.node == self_node)
		err = serve_local(r, reply, import);
	else
		err = outcall_start(OC_PROXY, import, im->ref.node, r, reply);
	if (err)
		calls_local_done(import, reply, err, NULL, r, im->ref.node);
}

/* Asks the owners of the short-cut references in r to let node to call
 * them. Returns the delegation's index, DELEGS_MAX when none is needed,
 * or an error (nothing asked). */
static int64_t delegate(const struct mesh_rpc *r, uint16_t to, bool reply)
{
	unsigned need = 0;
	for (unsigned i = 0; i < r->ncaps; i++)
		need += r->caps[i].node != self_node && r->caps[i].node != to && to != self_node;
	if (!need)
		return DELEGS_MAX;
	struct deleg *d = NULL;
	for (unsigned i = 0; i < DELEGS_MAX && !d; i++)
		if (!delegs[i].used)
			d = &delegs[i];
	if (!d)
		return -AION_EBUSY;
	*d = (struct deleg){ .used = true, .reply = reply, .rpc = *r };
	for (unsigned i = 0; i < r->ncaps; i++) {
		const struct mesh_ref *c = &r->caps[i];
		if (c->node == self_node || c->node == to)
			continue;
		struct mesh_rpc *g = &(struct mesh_rpc){ .obj = MESH_OBJ_MESHD,
							 .label = MESH_SELF_GRANT,
							 .len = MESH_GRANT_LEN };
		put32(&g->data[0], c->obj);
		put32(&g->data[4], c->gen);
		g->data[8] = (uint8_t)(to >> 8);
		g->data[9] = (uint8_t)to;
		int64_t err = outcall_start(OC_GRANT, (unsigned)(d - delegs), c->node, g, 0);
		if (err)
			d->err = d->err ? d->err : err;
		else
			d->waiting++;
	}
	refs_shortcut += need;
	return d - delegs;
}

/* A delegation ended (err: the first refusal): the call or reply goes on. */
static void delegation_done(struct deleg *d)
{
	d->used = false;
	if (d->reply) {
		/* It ran; without the grant its reply is of no use there, and
		 * what else it carried is not sent. */
		for (unsigned i = 0; d->err && i < d->rpc.ncaps; i++)
			export_ungrant(&d->rpc.caps[i], d->src);
		serve_complete(d->src, d->boot, d->id, d->err ? -AION_ETRUNC : 0, &d->rpc);
		return;
	}
	if (d->err) {
		calls_local_done(d->import, d->caller, d->err, NULL, &d->rpc, 0);
		return;
	}
	send_call(d->import, d->caller, &d->rpc);
}

static void grant_answered(unsigned idx, int64_t err, const struct mesh_rpc *reply)
{
	struct deleg *d = idx < DELEGS_MAX ? &delegs[idx] : NULL;
	if (!d || !d->used)
		return;
	if (!err && reply)
		err = (int64_t)reply->w[0];
	if (err && !d->err)
		d->err = err == -AION_EINDOUBT ? -AION_EHOSTDOWN : err;        /* a grant is idempotent */
	if (d->waiting && --d->waiting == 0)
		delegation_done(d);
}

/* A reply of a call from src (serve.c) carrying short-cut references:
 * sent once their owners let src call them. 0 when it is on its way, or an error. */
int64_t calls_reply_delegated(uint16_t src, uint32_t boot, uint32_t id, const struct mesh_rpc *r)
{
	int64_t di = delegate(r, src, true);
	if (di < 0)
		return di;
	if (di == DELEGS_MAX) {
		serve_complete(src, boot, id, 0, (struct mesh_rpc *)r);
		return 0;
	}
	struct deleg *d = &delegs[di];
	d->src = src;
	d->boot = boot;
	d->id = id;
	if (!d->waiting)
		delegation_done(d);
	return 0;
}

/* Sends a call on an import where its ref says (this node: a local job),
 * once the owners of the short-cut references it carries agreed. */
static void dispatch_call(unsigned import, aion_handle_t reply, struct mesh_rpc *r)
{
	const struct import *im = &imports[import];
	r->obj = im->ref.obj;
	r->gen = im->ref.gen;
	int64_t di = delegate(r, im->ref.node, false);
	if (di == DELEGS_MAX) {
		send_call(import, reply, r);
		return;
	}
	if (di < 0) {
		calls_local_done(import, reply, di, NULL, r, 0);
		return;
	}
	delegs[di].import = import;
	delegs[di].caller = reply;
	if (!delegs[di].waiting)
		delegation_done(&delegs[di]);
}

/* Ends a call in flight: the reply (r) or the error (err) goes to its owner. */
static void finish(struct outcall *oc, int64_t err, const struct mesh_rpc *r)
{
	oc->used = false;
	bulk_stop(oc->rpc.bulk);        /* the call's buffer stays with it */
	if (oc->kind != OC_PROXY)
		meshd_news = true;      /* meshd's own call: names, requests, grants */
	if (oc->kind == OC_RELEASE)
		return;         /* the owner forgets the grants; nothing waits */
	if (oc->kind == OC_GRANT) {
		grant_answered(oc->agg, err, r);
		return;
	}
	if (oc->kind != OC_PROXY) {
		if (oc->kind == OC_LEADER)
			requests_outcall_done(oc->agg, err, r);
		else
			names_outcall_done(oc->kind, oc->agg, oc->node, err, r);
		return;
	}
	calls_local_done(oc->agg, oc->reply, err, r, &oc->rpc, oc->node);
}

/* A call on import ended (remote or local): EDEAD on a named import means
 * the object went away before the call ran, so it waits for the new one. */
void calls_local_done(unsigned import, aion_handle_t reply, int64_t err,
		      const struct mesh_rpc *r, const struct mesh_rpc *sent, uint16_t from)
{
	if (err == -AION_EDEAD && named(import)) {
		for (unsigned i = 0; i < sent->ncaps; i++)
			export_grant(&sent->caps[i], 0);        /* held while parked */
		unexport(sent, from, err);
		park(import, reply, sent);
		return;
	}
	unexport(sent, from, err);
	calls_deliver(reply, err, r, from);
	bbuf_free(sent->bulk);
}

/* The lookup for a named import ended: ref found (err 0) or not. */
void calls_rebound(unsigned import, int64_t err, const struct mesh_ref *ref)
{
	struct import *im = &imports[import];
	uint64_t now = aion_clock_ns();
	if (!named(import) || !im->rebinding)
		return;
	im->asking = false;
	/* The lost ref again is the lost object itself: its node is dead, or
	 * its owner refused it (EDEAD) and has not yet dropped the name. (Not
	 * im->ref: another lookup of the name may have moved it already.) */
	if (err || (ref->node == im->lost.node && ref->obj == im->lost.obj &&
		    ref->gen == im->lost.gen)) {
		im->next_ask = now + REBIND_RETRY_NS;
		return;
	}
	im->ref = *ref;
	im->ref.rights &= AION_RIGHT_SEND | AION_RIGHT_GRANT;
	im->rebinding = false;
	mlog("proxy rebound name=%s node=%u gap_ms=%lu", im->name, ref->node,
	     (unsigned long)((now - im->lost_at) / MS));
	for (unsigned i = 0; i < PARKED_MAX; i++)
		if (parked[i].used && parked[i].import == import) {
			parked[i].used = false;
			dispatch_call(import, parked[i].reply, &parked[i].rpc);
		}
}

static void rebind_tick(uint64_t now)
{
	for (unsigned i = 0; i < PARKED_MAX; i++)
		if (parked[i].used && now >= parked[i].deadline) {
			parked[i].used = false;
			mlog("proxy not rebound name=%s err=AION_EHOSTDOWN", imports[parked[i].import].name);
			unexport(&parked[i].rpc, 0, -AION_EHOSTDOWN);
			bbuf_free(parked[i].rpc.bulk);
			reply_saved_err(parked[i].reply, -AION_EHOSTDOWN);
		}
	/* The imports' walk only while one may be rebinding: every pass of
	 * the main loop comes here, and 512 imports showed in profiles. */
	if (!rebind_any)
		return;
	rebind_any = false;
	for (unsigned i = 0; i < IMPORTS_MAX; i++) {
		struct import *im = &imports[i];
		if (im->used && im->rebinding)
			rebind_any = true;      /* looked at again next pass */
		if (!im->used || !im->rebinding || im->asking || now < im->next_ask)
			continue;
		bool waiting = false;
		for (unsigned k = 0; k < PARKED_MAX; k++)
			waiting |= parked[k].used && parked[k].import == i;
		if (!waiting) {
			im->rebinding = false;  /* nobody waits: the next call starts over */
			continue;
		}
		im->asking = true;
		names_rebind_lookup(i, im->name);
	}
}

static struct outcall *find(uint16_t node, uint32_t id)
{
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && outcalls[i].node == node && outcalls[i].rpc.id == id)
			return &outcalls[i];
	return NULL;
}

/* node's boot is known: the calls held for it go out now. */
static void boot_known(uint16_t node)
{
	if (boot_current[node])
		return;
	boot_current[node] = true;
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && outcalls[i].node == node && !outcalls[i].rpc.owner_boot) {
			outcalls[i].rpc.owner_boot = node_boot[node];
			transmit(&outcalls[i]);
		}
}

/* A REPLY from node src, whose boot is src_boot (the packet header's,
 * authenticated by the link). */
void calls_on_reply(uint16_t src, uint32_t src_boot, const struct mesh_rpc *r)
{
	if (r->boot != self_boot)
		return;         /* for an earlier boot of this node: nobody waits */
	calls_boot_seen(src, src_boot);
	if (r->id == 0) {
		if (r->label == MESH_SELF_HELLO && src_boot == node_boot[src])
			boot_known(src);
		return;
	}
	struct outcall *oc = find(src, r->id);
	if (oc && amo_answer_ok(self_boot, r->boot, oc->rpc.owner_boot, src_boot, false))
		finish(oc, 0, r);       /* else: a duplicate reply, already delivered */
}

void calls_on_status(uint16_t src, uint32_t src_boot, uint8_t type, const struct mesh_status *s)
{
	if (s->boot != self_boot)
		return;
	calls_boot_seen(src, src_boot);
	struct outcall *oc = find(src, s->id);
	if (!oc || !amo_answer_ok(self_boot, s->boot, oc->rpc.owner_boot, src_boot,
				  type == MESH_ERROR))
		return;
	if (type == MESH_CALL_ACK) {
		if (!oc->acked) {
			oc->acked = true;
			oc->next_tx = aion_clock_ns() + KEEPALIVE_NS;
		}
		return;
	}
	finish(oc, s->code < 0 ? s->code : -AION_EMALFORMED, NULL);
}

/* A large call's transfer ended: delivered (the owner takes it as it
 * takes a CALL: the call is acknowledged), or refused or dropped by the
 * owner's receiver (not run), or timed out (it may have been delivered,
 * every DONE lost: it may have run). */
void calls_bulk_end(uint16_t dst, uint32_t id, int err)
{
	struct outcall *oc = find(dst, id);
	if (!oc)
		return;
	if (err) {
		finish(oc, err == -AION_ETIMEDOUT ? -AION_EINDOUBT : err, NULL);
		return;
	}
	oc->acked = true;
	oc->next_tx = aion_clock_ns() + KEEPALIVE_NS;
}

void calls_node_dead(uint16_t node)
{
	/* Its next boot is asked before any call goes there again, and taken
	 * whatever its number (its disk may have been replaced). */
	boot_current[node] = false;
	node_boot[node] = 0;
	serve_node_dead(node);
	/* Sent and unanswered: the call may have run there. */
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && outcalls[i].node == node)
			finish(&outcalls[i], -AION_EINDOUBT, NULL);
}

/* Unnamed imports no unit holds a copy of any more: freed, and their
 * owners told (batched, one MESH_SELF_RELEASE call per owner). */
static void scan_imports(void)
{
	for (unsigned i = 0; i < IMPORTS_MAX && nreleases < RELEASES_MAX; i++) {
		struct import *im = &imports[i];
		struct aion_cap_info ci;
		if (!im->used || im->name[0] || aion_cap_info(im->proxy, &ci) ||
		    (ci.flags & AION_CAP_COPIED))
			continue;
		aion_handle_close(im->proxy);
		im->used = false;
		nimports--;
		imports_freed++;
		if (im->ref.node != self_node && node_alive(im->ref.node))
			releases[nreleases++] = (struct release){ im->ref.node, im->ref.obj, im->ref.gen };
	}
}

static void send_releases(void)
{
	while (nreleases) {
		uint16_t node = releases[0].node;
		struct mesh_rpc *r = &(struct mesh_rpc){ .obj = MESH_OBJ_MESHD,
							 .label = MESH_SELF_RELEASE };
		unsigned n = 0;
		for (unsigned i = 0; i < nreleases && n < MESH_RELEASE_MAX; i++)
			if (releases[i].node == node) {
				put32(&r->data[n * MESH_RELEASE_LEN], releases[i].obj);
				put32(&r->data[n * MESH_RELEASE_LEN + 4], releases[i].gen);
				n++;
			}
		r->len = (uint16_t)(n * MESH_RELEASE_LEN);
		if (outcall_start(OC_RELEASE, 0, node, r, 0) == -AION_EBUSY)
			return;         /* no outcall free: the same batch on the next scan */
		/* Sent, or the owner is dead (it forgot this node): the batch goes. */
		unsigned keep = 0, taken = 0;
		for (unsigned i = 0; i < nreleases; i++) {
			if (releases[i].node == node && taken < n)
				taken++;
			else
				releases[keep++] = releases[i];
		}
		nreleases = keep;
	}
}

void calls_refs_text(char *out, unsigned size)
{
	unsigned named_n = 0;
	for (unsigned i = 0; i < IMPORTS_MAX; i++)
		named_n += imports[i].used && imports[i].name[0];
	aion_text_add(out, size, "mesh imports=%u named=%u freed=%lu releasing=%u shortcut=%lu max=%u\n",
		      nimports, named_n, (unsigned long)imports_freed, nreleases,
		      (unsigned long)refs_shortcut, IMPORTS_MAX);
}

void calls_tick(uint64_t now)
{
	rebind_tick(now);
	if (now >= next_scan) {
		next_scan = now + SCAN_NS;
		scan_imports();
		send_releases();
	}
	for (unsigned i = 0; i < OUTCALLS_MAX; i++) {
		struct outcall *oc = &outcalls[i];
		if (!oc->used || now < oc->next_tx)
			continue;
		if (!node_alive(oc->node)) {
			finish(oc, -AION_EINDOUBT, NULL);
			continue;
		}
		calls_retransmits++;
		transmit(oc);
	}
}

/* The scan wakes meshd only while it has something to find: an unnamed
 * import (a named one is kept) or a release not yet sent. An idle node
 * has none (docs/mesh.md "Idle cost"). */
static bool scan_needed(void)
{
	if (nreleases)
		return true;
	for (unsigned i = 0, seen = 0; i < IMPORTS_MAX && seen < nimports; i++)
		if (imports[i].used && ++seen && !imports[i].name[0])
			return true;
	return false;
}

uint64_t calls_deadline(void)
{
	uint64_t d = scan_needed() ? next_scan : 0;
	for (unsigned i = 0; i < PARKED_MAX; i++)
		if (parked[i].used) {
			uint64_t t = imports[parked[i].import].next_ask;
			t = t > parked[i].deadline ? parked[i].deadline : t;
			d = !d || t < d ? t : d;
		}
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && (!d || outcalls[i].next_tx < d))
			d = outcalls[i].next_tx;
	return d;
}

/* Why a call on proxy idx cannot be carried (0: it can). *len is its
 * payload's length and *ncaps its capabilities, less a memory object
 * (aion/mesh.h, MESH_TAG_MEMORY) that holds the payload. */
static int64_t proxy_refusal(const struct import *im, bool rebind, const struct aion_serve_req *r,
			     uint32_t *len, unsigned *ncaps)
{
	if (!im->used)
		return -AION_ECAP;
	*len = r->len;
	*ncaps = r->ncaps;
	if (r->msg.tag & MESH_TAG_MEMORY) {
		if (r->len != MESH_MEM_LEN || r->ncaps == 0)
			return -AION_EINVAL;
		*len = (uint32_t)r->data[0] | (uint32_t)r->data[1] << 8 |
		       (uint32_t)r->data[2] << 16 | (uint32_t)r->data[3] << 24;
		(*ncaps)--;
	}
	if (*len > MESH_BULK_DATA_MAX)
		return -AION_ERANGE;    /* nothing sent: not run */
	if (*ncaps > MESH_RPC_CAPS)
		return -AION_EINVAL;
	if (!rebind && !node_alive(im->ref.node))
		return -AION_EHOSTDOWN;
	return 0;
}

/* MESHD_FORGE: a MESH_TEXT_CALL "forge" on ref, as if this node held it. */
int64_t calls_raw(struct aion_serve_req *r, const struct mesh_ref *ref)
{
	aion_handle_t h;
	int64_t err = import_ref(ref, &h);
	if (err)
		return err;
	unsigned idx = IMPORTS_MAX;
	for (unsigned i = 0; i < IMPORTS_MAX; i++)
		if (imports[i].used && imports[i].proxy == h)
			idx = i;
	if (idx == IMPORTS_MAX)
		return -AION_EINVAL;    /* a local export: nothing to forge */
	struct mesh_rpc *rpc = &(struct mesh_rpc){ .label = MESH_TEXT_CALL, .len = 5 };
	memcpy(rpc->data, "forge", 5);
	int64_t reply = aion_serve_save(r);
	if (reply < 0)
		return reply;
	dispatch_call(idx, (aion_handle_t)reply, rpc);
	return 0;
}

/* A unit's call on a proxy: carried to the owner; the reply is saved. The
 * capabilities it brings are exported (kept) for the owner's side. */
int64_t proxy_call(struct aion_serve_req *r)
{
	unsigned idx = import_of_badge(r->msg.badge);
	struct mesh_rpc *rpc = &(struct mesh_rpc){ 0 };
	if (idx == IMPORTS_MAX)
		return -AION_ECAP;      /* a stale proxy: its import was freed */
	const struct import *im = &imports[idx];
	bool rebind = named(idx) && (im->rebinding ||
				     (im->ref.node != self_node && !node_alive(im->ref.node)));
	uint32_t len;
	unsigned ncaps;
	int64_t err = proxy_refusal(im, rebind, r, &len, &ncaps);

	unsigned done = 0;         /* capabilities exported (or short-cut) so far */
	for (; !err && done < ncaps; done++) {
		if (import_shortcut(r->caps[done], &rpc->caps[done]))
			continue;       /* the owner's own reference; the handle goes */
		err = export_cap(r->caps[done], 0, false, &rpc->caps[done]);
		if (err)
			break;
		aion_serve_keep(r, done);
	}
	if (err) {
		rpc->ncaps = (uint8_t)done;     /* the ones before the failure */
		unexport(rpc, 0, err);
		return err;
	}
	rpc->label = r->label;
	for (unsigned i = 0; i < 3; i++)
		rpc->w[i] = r->msg.w[i];
	rpc->ncaps = (uint8_t)ncaps;
	if (len > MESH_CALL_DATA_MAX || (r->msg.tag & MESH_TAG_MEMORY)) {
		/* A large call: its payload waits in a bulk buffer (the
		 * caller's object is read now and closed with the request). */
		int64_t b = bbuf_take();
		if (b < 0)
			err = b;
		else if (r->msg.tag & MESH_TAG_MEMORY)
			err = mesh_mem_read(r->caps[ncaps], len, bbuf_data((unsigned)b));
		else
			memcpy(bbuf_data((unsigned)b), r->data, len);
		if (err) {
			bbuf_free(b > 0 ? (unsigned)b : 0);
			unexport(rpc, 0, err);
			return err;
		}
		bbuf_set_len((unsigned)b, len);
		rpc->bulk = (uint8_t)b;
	} else {
		rpc->len = (uint16_t)len;
		memcpy(rpc->data, r->data, len);
	}
	int64_t reply = aion_serve_save(r);
	if (reply < 0) {
		mlog("error: reply not saved err=%s", aion_error_name(reply));
		unexport(rpc, 0, reply);
		bbuf_free(rpc->bulk);
		return reply;
	}
	if (rebind)
		park(idx, (aion_handle_t)reply, rpc);
	else
		dispatch_call(idx, (aion_handle_t)reply, rpc);
	return 0;
}
