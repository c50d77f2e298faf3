/*
 * meshd, the calling side: imports (proxies for remote capabilities) and
 * calls in flight to other nodes.
 *
 * At most once, caller's half: each CALL gets the next id for its
 * destination node and is retransmitted every RETRANSMIT_NS until the
 * owner acknowledges it (CALL_ACK), then every KEEPALIVE_NS until the
 * REPLY or an ERROR arrives. The owner suppresses duplicates (serve.c), so
 * retransmission never runs a call twice. When membership declares the
 * owner DEAD, every call in flight to it ends with -AION_EHOSTDOWN.
 */
#include "meshd.h"

struct import {
	bool used;
	struct mesh_ref ref;
	aion_handle_t proxy;            /* meshd_ep minted with BADGE_PROXY + index */
};

struct outcall {
	bool used, acked;
	enum outcall_kind kind;
	unsigned agg;                   /* names.c's aggregate for LOOKUP/LIST */
	uint16_t node;
	aion_handle_t reply;            /* OC_PROXY: the caller's saved reply */
	uint64_t next_tx;
	struct mesh_rpc rpc;
};

static struct import imports[IMPORTS_MAX];
static struct outcall outcalls[OUTCALLS_MAX];
static uint32_t next_id[MESH_NODE_NONE + 1];
uint64_t calls_out, calls_retransmits;

static uint8_t pkt[MESH_RPC_LEN_MAX];

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
	if (free_slot < 0)
		return -AION_ENOSPC;
	int64_t h = aion_cap_mint(meshd_ep, rights, BADGE_PROXY + (unsigned)free_slot);
	if (h < 0)
		return h;
	struct import *im = &imports[free_slot];
	im->used = true;
	im->ref = *ref;
	im->ref.rights = rights;
	im->proxy = (aion_handle_t)h;
	*proxy = im->proxy;
	return 0;
}

static void transmit(struct outcall *oc)
{
	int n = mesh_rpc_encode(&oc->rpc, pkt, sizeof(pkt));
	if (n < 0 || link_send(oc->node, MESH_CALL, pkt, (size_t)n) < 0)
		mlog("error: call id=%u to node=%u not sent", oc->rpc.id, oc->node);
	oc->next_tx = aion_clock_ns() + (oc->acked ? KEEPALIVE_NS : RETRANSMIT_NS);
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
	r->boot = boot_nonce;
	r->id = ++next_id[node];
	*oc = (struct outcall){ .used = true, .kind = kind, .agg = agg, .node = node,
				.reply = reply, .rpc = *r };
	calls_out++;
	transmit(oc);
	return 0;
}

/* Ends a call in flight: the reply (r) or the error (err) goes to its owner. */
static void finish(struct outcall *oc, int64_t err, const struct mesh_rpc *r)
{
	oc->used = false;
	if (oc->kind != OC_PROXY) {
		names_outcall_done(oc->kind, oc->agg, oc->node, err, r);
		return;
	}
	if (err) {
		reply_saved_err(oc->reply, err);
		return;
	}
	struct aion_msg m = { .tag = AION_TAG(r->label, r->len, r->ncaps) };
	for (unsigned i = 0; i < 3; i++)
		m.w[i] = r->w[i];
	for (unsigned i = 0; i < r->ncaps; i++) {
		int64_t e = import_ref(&r->caps[i], &main_buf.caps[i]);
		if (e) {
			mlog("error: reply capability from node=%u not imported err=%s",
			     oc->node, aion_error_name(e));
			reply_saved_err(oc->reply, e);
			return;
		}
		main_buf.cap_rights[i] = r->caps[i].rights & (AION_RIGHT_SEND | AION_RIGHT_GRANT);
	}
	memcpy(main_buf.payload, r->data, r->len);
	reply_saved(oc->reply, &m);
}

static struct outcall *find(uint16_t node, uint32_t boot, uint32_t id)
{
	if (boot != boot_nonce)
		return NULL;
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && outcalls[i].node == node && outcalls[i].rpc.id == id)
			return &outcalls[i];
	return NULL;
}

void calls_on_reply(uint16_t src, const struct mesh_rpc *r)
{
	struct outcall *oc = find(src, r->boot, r->id);
	if (oc)
		finish(oc, 0, r);       /* else: a duplicate reply, already delivered */
}

void calls_on_status(uint16_t src, uint8_t type, const struct mesh_status *s)
{
	struct outcall *oc = find(src, s->boot, s->id);
	if (!oc)
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

void calls_node_dead(uint16_t node)
{
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && outcalls[i].node == node)
			finish(&outcalls[i], -AION_EHOSTDOWN, NULL);
}

void calls_tick(uint64_t now)
{
	for (unsigned i = 0; i < OUTCALLS_MAX; i++) {
		struct outcall *oc = &outcalls[i];
		if (!oc->used || now < oc->next_tx)
			continue;
		if (!node_alive(oc->node)) {
			finish(oc, -AION_EHOSTDOWN, NULL);
			continue;
		}
		calls_retransmits++;
		transmit(oc);
	}
}

uint64_t calls_deadline(void)
{
	uint64_t d = 0;
	for (unsigned i = 0; i < OUTCALLS_MAX; i++)
		if (outcalls[i].used && (!d || outcalls[i].next_tx < d))
			d = outcalls[i].next_tx;
	return d;
}

/* A unit's call on a proxy: carried to the owner; the reply is saved. */
void proxy_call(unsigned idx, const struct aion_msg *m, const uint8_t *data, unsigned len)
{
	unsigned ncaps = AION_TAG_CAPS(m->tag);
	int64_t err = 0;
	struct mesh_rpc *r = &(struct mesh_rpc){ 0 };
	const struct import *im = &imports[idx];

	if (!im->used)
		err = -AION_ECAP;
	else if (len > MESH_CALL_DATA_MAX)
		err = -AION_ERANGE;
	else if (ncaps > MESH_RPC_CAPS)
		err = -AION_EINVAL;
	else if (!node_alive(im->ref.node))
		err = -AION_EHOSTDOWN;
	for (unsigned i = 0; i < ncaps; i++) {
		aion_handle_t h = main_buf.caps[i];
		int64_t e = err ? err : export_cap(h, &r->caps[i]);
		if (e) {
			aion_handle_close(h);
			err = e;
		}
	}
	if (err) {
		struct aion_msg no = { .tag = AION_TAG(0, 0, 0), .w = { (uint64_t)err } };
		aion_reply(&no);
		return;
	}
	r->obj = im->ref.obj;
	r->gen = im->ref.gen;
	r->label = AION_TAG_LABEL(m->tag);
	for (unsigned i = 0; i < 3; i++)
		r->w[i] = m->w[i];
	r->ncaps = (uint8_t)ncaps;
	r->len = (uint16_t)len;
	memcpy(r->data, data, len);
	int64_t reply = aion_reply_save();
	if (reply < 0) {
		mlog("error: reply not saved err=%s", aion_error_name(reply));
		return;
	}
	err = outcall_start(OC_PROXY, 0, im->ref.node, r, (aion_handle_t)reply);
	if (err)
		reply_saved_err((aion_handle_t)reply, err);
}
