/*
 * Host tests for the remote call rules: mesh/amo.c (at most once across
 * restarts of caller and owner) and mesh/grant.c (the grant table).
 *
 * The restart tests drive a small model: a caller (node 7) with a boot
 * and its outcall, an owner with a struct amo per boot, and a counter of
 * executions per call. Every restart order is played; the property is
 * always the same: no call executes twice, and an answer that says "not
 * executed" is only given for a call that never executed anywhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aion/error.h"
#include "mesh/amo.h"
#include "mesh/grant.h"
#include "mesh/rpc.h"
#include "mesh/bulk.h"

#define CALLER 7

/* ---- at most once ---- */

static void test_duplicates(void **state)
{
	(void)state;
	struct amo *a = calloc(1, sizeof(*a));
	unsigned slot, slot2;
	bool rs;
	amo_init(a, 5);
	assert_int_equal(amo_call(a, CALLER, 3, 5, 1, &slot, &rs), AMO_NEW);
	assert_false(rs);
	assert_int_equal(amo_call(a, CALLER, 3, 5, 1, &slot2, &rs), AMO_RUNNING);
	assert_int_equal(slot, slot2);
	amo_finish(a, slot);
	assert_int_equal(amo_call(a, CALLER, 3, 5, 1, &slot2, &rs), AMO_DONE);
	assert_int_equal(slot, slot2);
	assert_true(amo_slot_is(a, slot, CALLER, 3, 1));
	assert_false(amo_slot_is(a, slot, CALLER, 3, 2));
	/* Another caller node has a window of its own. */
	assert_int_equal(amo_call(a, CALLER + 1, 3, 5, 1, &slot2, &rs), AMO_NEW);
	assert_int_not_equal(slot, slot2);
	free(a);
}

static void test_window_slides(void **state)
{
	(void)state;
	struct amo *a = calloc(1, sizeof(*a));
	unsigned slot;
	bool rs;
	amo_init(a, 1);
	for (uint32_t id = 1; id <= 3 * AMO_WINDOW; id++) {
		assert_int_equal(amo_call(a, CALLER, 1, 1, id, &slot, &rs), AMO_NEW);
		amo_finish(a, slot);
	}
	/* Every id still remembered answers from the cache; older ones drop. */
	for (uint32_t id = 1; id <= 3 * AMO_WINDOW; id++) {
		enum amo_verdict v = amo_call(a, CALLER, 1, 1, id, &slot, &rs);
		assert_int_equal(v, id > 2 * AMO_WINDOW ? AMO_DONE : AMO_OLD_ID);
	}
	free(a);
}

static void test_full_drops(void **state)
{
	(void)state;
	struct amo *a = calloc(1, sizeof(*a));
	unsigned slot;
	bool rs;
	amo_init(a, 1);
	for (uint32_t id = 1; id <= AMO_WINDOW; id++)
		assert_int_equal(amo_call(a, CALLER, 1, 1, id, &slot, &rs), AMO_NEW);
	/* Every entry runs: the next call is dropped, not refused, then runs
	 * once an entry finishes (the caller retransmits). */
	assert_int_equal(amo_call(a, CALLER, 1, 1, AMO_WINDOW + 1, &slot, &rs), AMO_FULL);
	unsigned first;
	assert_int_equal(amo_call(a, CALLER, 1, 1, 1, &first, &rs), AMO_RUNNING);
	amo_finish(a, first);
	assert_int_equal(amo_call(a, CALLER, 1, 1, AMO_WINDOW + 1, &slot, &rs), AMO_NEW);
	assert_int_equal(slot, first);
	/* Caller nodes beyond AMO_PEERS are dropped the same way. */
	for (uint16_t n = 1; n < AMO_PEERS; n++)
		assert_int_equal(amo_call(a, (uint16_t)(100 + n), 1, 1, 1, &slot, &rs), AMO_NEW);
	assert_int_equal(amo_call(a, 200, 1, 1, 1, &slot, &rs), AMO_FULL);
	free(a);
}

static void test_caller_boots(void **state)
{
	(void)state;
	struct amo *a = calloc(1, sizeof(*a));
	unsigned slot;
	bool rs;
	amo_init(a, 9);
	assert_int_equal(amo_call(a, CALLER, 4, 9, 1, &slot, &rs), AMO_NEW);
	amo_finish(a, slot);
	/* The caller restarted (boot 5): its id 1 is a new call. */
	assert_int_equal(amo_call(a, CALLER, 5, 9, 1, &slot, &rs), AMO_NEW);
	assert_true(rs);
	/* A late packet of boot 4 neither runs nor resets boot 5's window. */
	assert_int_equal(amo_call(a, CALLER, 4, 9, 1, &slot, &rs), AMO_OLD_BOOT);
	assert_int_equal(amo_call(a, CALLER, 4, 9, 2, &slot, &rs), AMO_OLD_BOOT);
	assert_int_equal(amo_call(a, CALLER, 5, 9, 1, &slot, &rs), AMO_RUNNING);
	assert_false(rs);
	/* Declared dead by mistake: its retransmissions are still duplicates. */
	struct amo *b = calloc(1, sizeof(*b));
	amo_init(b, 9);
	assert_int_equal(amo_call(b, CALLER, 5, 9, 1, &slot, &rs), AMO_NEW);
	assert_int_equal(amo_call(b, CALLER, 1, 9, 1, &slot, &rs), AMO_OLD_BOOT);
	amo_node_dead(b, CALLER);
	assert_int_equal(amo_call(b, CALLER, 5, 9, 1, &slot, &rs), AMO_RUNNING);
	/* ... and having called since, a lower boot is old again. */
	assert_int_equal(amo_call(b, CALLER, 1, 9, 1, &slot, &rs), AMO_OLD_BOOT);
	/* Declared dead, then back with a new disk (boot 1): a new window. */
	amo_node_dead(b, CALLER);
	assert_int_equal(amo_call(b, CALLER, 1, 9, 1, &slot, &rs), AMO_NEW);
	assert_true(rs);
	/* A replaced disk breaks "boots only grow": a late packet of the old
	 * boot 5 now looks like a restart. The transport's replay window is
	 * what drops such packets; this documents the limit. */
	assert_int_equal(amo_call(b, CALLER, 5, 9, 1, &slot, &rs), AMO_NEW);
	free(b);
	/* Alternating captured calls of two boots never run again. */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(amo_call(a, CALLER, 4, 9, 1, &slot, &rs), AMO_OLD_BOOT);
		assert_int_not_equal(amo_call(a, CALLER, 5, 9, 1, &slot, &rs), AMO_NEW);
	}
	free(a);
}

static void test_owner_boots(void **state)
{
	(void)state;
	struct amo *a = calloc(1, sizeof(*a));
	unsigned slot;
	bool rs;
	amo_init(a, 9);
	/* Addressed to an earlier boot, to an unknown one, to a later one:
	 * never run here, answered "may have executed". */
	assert_int_equal(amo_call(a, CALLER, 1, 8, 1, &slot, &rs), AMO_OTHER_BOOT);
	assert_int_equal(amo_call(a, CALLER, 1, 0, 1, &slot, &rs), AMO_OTHER_BOOT);
	assert_int_equal(amo_call(a, CALLER, 1, 10, 1, &slot, &rs), AMO_OTHER_BOOT);
	assert_int_equal(amo_call(a, CALLER, 1, 9, 1, &slot, &rs), AMO_NEW);
	free(a);
}

static void test_caller_rules(void **state)
{
	(void)state;
	/* Answers for an earlier boot of the caller are dropped. */
	assert_false(amo_answer_ok(5, 4, 9, 9, false));
	assert_false(amo_answer_ok(5, 4, 9, 9, true));
	assert_true(amo_answer_ok(5, 5, 9, 9, false));
	/* A reply from another owner boot than the call went to: dropped; an
	 * error from a later one ends it (EINDOUBT), from an earlier one not. */
	assert_false(amo_answer_ok(5, 5, 9, 10, false));
	assert_false(amo_answer_ok(5, 5, 9, 8, false));
	assert_true(amo_answer_ok(5, 5, 9, 10, true));
	assert_false(amo_answer_ok(5, 5, 9, 8, true));
	uint32_t known = 0;
	assert_false(amo_learn_boot(&known, 3));        /* first heard: no restart */
	assert_int_equal(known, 3);
	assert_false(amo_learn_boot(&known, 2));        /* an old packet: kept */
	assert_int_equal(known, 3);
	assert_true(amo_learn_boot(&known, 4));
	assert_int_equal(known, 4);
}

/*
 * The model: one call, the caller and owner each with a boot; steps
 * deliver copies of the CALL (possibly late, from before a restart) and
 * answers. executed counts runs; said_not_run records a "not executed"
 * answer that reached the caller's current outcall.
 */
struct world {
	struct amo owner;
	uint32_t owner_boot;
	uint32_t caller_boot;
	uint32_t known_owner_boot;      /* the caller's view */
	unsigned executed;              /* of the call (caller boot 1, id 1) */
	bool outcall_open;
	int outcome;                    /* 0 open, 1 replied, -code error */
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->owner_boot = 1;
	w->caller_boot = 1;
	amo_init(&w->owner, 1);
	w->known_owner_boot = 1;
	w->outcall_open = true;
}

/* A CALL (caller boot cb, addressed to owner boot ob, id) reaches the
 * owner; the owner runs it (counted) and its answer reaches the caller
 * when deliver is set. */
static void deliver_call(struct world *w, uint32_t cb, uint32_t ob, uint32_t id, bool deliver)
{
	unsigned slot;
	bool rs;
	enum amo_verdict v = amo_call(&w->owner, CALLER, cb, ob, id, &slot, &rs);
	int answer = 0;         /* 0 none, 1 reply, else -code */
	if (v == AMO_NEW) {
		if (cb == 1 && id == 1)
			w->executed++;
		amo_finish(&w->owner, slot);
		answer = 1;
	} else if (v == AMO_DONE) {
		answer = 1;
	} else if (v == AMO_OTHER_BOOT) {
		answer = -AION_EINDOUBT;
	}
	if (!deliver || !answer || !w->outcall_open)
		return;
	if (!amo_answer_ok(w->caller_boot, cb, ob, w->owner_boot, answer < 0))
		return;
	w->outcall_open = false;
	w->outcome = answer;
}

static void owner_restart(struct world *w)
{
	w->owner_boot++;
	amo_init(&w->owner, w->owner_boot);
}

static void caller_restart(struct world *w)
{
	w->caller_boot++;
	w->outcall_open = false;        /* its calls died with it */
}

/* Every order of: the call sent (and lost or answered), owner restart,
 * caller restart, a retransmission, a replay of the first CALL. */
static void test_restart_orders(void **state)
{
	(void)state;
	enum { SEND_LOST, SEND, OWNER_RESTART, CALLER_RESTART, RETRANSMIT, REPLAY, NSTEPS };
	int perm[NSTEPS] = { 0, 1, 2, 3, 4, 5 };
	unsigned orders = 0;
	/* All permutations of the six steps (Heap's algorithm, iterative). */
	int c[NSTEPS] = { 0 };
	int i = 0;
	for (;;) {
		struct world w;
		world_init(&w);
		for (int k = 0; k < NSTEPS; k++) {
			switch (perm[k]) {
			case SEND_LOST:         /* ran, reply lost */
				deliver_call(&w, 1, 1, 1, false);
				break;
			case SEND:
			case RETRANSMIT:        /* the caller's current view */
				if (w.caller_boot == 1 && w.outcall_open)
					deliver_call(&w, 1, w.known_owner_boot, 1, true);
				break;
			case OWNER_RESTART:
				owner_restart(&w);
				break;
			case CALLER_RESTART:
				caller_restart(&w);
				break;
			case REPLAY:            /* a captured copy of the first CALL */
				deliver_call(&w, 1, 1, 1, true);
				break;
			}
			assert_true(w.executed <= 1);
		}
		/* "Not executed" is never said of a call that executed: the only
		 * error the owner gives here is EINDOUBT. */
		if (w.outcome < 0)
			assert_int_equal(w.outcome, -AION_EINDOUBT);
		if (w.outcome == 1)
			assert_int_equal(w.executed, 1);
		orders++;
		/* next permutation */
		while (i < NSTEPS && c[i] >= i) {
			c[i] = 0;
			i++;
		}
		if (i >= NSTEPS)
			break;
		int j = (i % 2) ? c[i] : 0;
		int t = perm[j];
		perm[j] = perm[i];
		perm[i] = t;
		c[i]++;
		i = 0;
	}
	assert_int_equal(orders, 720);
}

/* The caller restarted: its new boot's calls run, reusing ids, and
 * neither a late reply of the old boot nor a replayed old CALL disturbs them. */
static void test_new_boot_reuses_ids(void **state)
{
	(void)state;
	struct amo *a = calloc(1, sizeof(*a));
	unsigned slot;
	bool rs;
	unsigned runs = 0;
	amo_init(a, 2);
	for (uint32_t id = 1; id <= 10; id++) {
		assert_int_equal(amo_call(a, CALLER, 1, 2, id, &slot, &rs), AMO_NEW);
		amo_finish(a, slot);
	}
	for (uint32_t id = 1; id <= 10; id++) {
		if (amo_call(a, CALLER, 2, 2, id, &slot, &rs) == AMO_NEW)
			runs++;
		amo_finish(a, slot);
		/* replays of boot 1 in between */
		assert_int_equal(amo_call(a, CALLER, 1, 2, id, &slot, &rs), AMO_OLD_BOOT);
		assert_int_equal(amo_call(a, CALLER, 2, 2, id, &slot, &rs), AMO_DONE);
	}
	assert_int_equal(runs, 10);
	/* The old boot's reply cannot end a new boot's outcall. */
	assert_false(amo_answer_ok(2, 1, 2, 2, false));
	free(a);
}

/* ---- the payloads carry both boots ---- */

static void test_rpc_boots(void **state)
{
	(void)state;
	struct mesh_rpc r = { .boot = 0x01020304, .owner_boot = 0x0a0b0c0d, .id = 7, .obj = 3,
			      .gen = 9, .label = MESH_SELF_GRANT, .len = MESH_GRANT_LEN };
	struct mesh_rpc *back = calloc(1, sizeof(*back));
	uint8_t buf[MESH_RPC_LEN_MAX];
	int n = mesh_rpc_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, MESH_RPC_FIXED + MESH_GRANT_LEN);
	/* The owner's boot follows the caller's, big-endian. */
	assert_memory_equal(buf, "\x01\x02\x03\x04\x0a\x0b\x0c\x0d\x00\x00\x00\x07", 12);
	assert_int_equal(mesh_rpc_decode(buf, (size_t)n, back), 0);
	assert_int_equal(back->owner_boot, 0x0a0b0c0d);
	assert_int_equal(back->boot, 0x01020304);
	assert_int_equal(back->id, 7);
	assert_int_equal(mesh_rpc_decode(buf, (size_t)n - 1, back), -AION_ETRUNC);
	struct mesh_status st = { .boot = 1, .owner_boot = 2, .id = 3, .code = -AION_EINDOUBT }, sb;
	assert_int_equal(mesh_status_encode(&st, buf, sizeof(buf)), MESH_STATUS_LEN);
	assert_int_equal(mesh_status_decode(buf, MESH_STATUS_LEN, &sb), 0);
	assert_int_equal(sb.owner_boot, 2);
	assert_int_equal(sb.code, -AION_EINDOUBT);
	assert_int_equal(mesh_status_decode(buf, MESH_STATUS_LEN - 4, &sb), -AION_ETRUNC);
	/* The largest payload still fits one socket datagram with the header. */
	assert_true(MESH_RPC_LEN_MAX <= 512 - 23 - 16);
	free(back);
}

/* A bulk CALL (docs/mesh-bulk.md): the header in front of the payload
 * decodes back to the same fields, the payload's length exactly. */
static void test_rpc_bulk(void **state)
{
	(void)state;
	static uint8_t msg[MESH_RPC_BULK_HDR_MAX + MESH_BULK_DATA_MAX + 1];
	struct mesh_rpc r = { .boot = 5, .owner_boot = 6, .id = 77, .obj = 3, .gen = 9,
			      .label = 13, .w = { 1, 2, 3 }, .ncaps = MESH_RPC_CAPS };
	for (unsigned i = 0; i < MESH_RPC_CAPS; i++)
		r.caps[i] = (struct mesh_ref){ .node = (uint16_t)(i + 1), .obj = i, .gen = 100 + i,
					       .rights = 0x20 };
	struct mesh_rpc *back = calloc(1, sizeof(*back));
	const uint32_t lens[] = { 0, 1, MESH_CALL_DATA_MAX + 1, 4096, MESH_BULK_DATA_MAX };
	for (unsigned t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
		uint32_t len = lens[t], dlen = 0;
		int h = mesh_rpc_bulk_encode(&r, len, msg, sizeof(msg));
		assert_int_equal(h, MESH_RPC_BULK_HDR_MAX);
		for (uint32_t k = 0; k < len; k++)
			msg[h + k] = (uint8_t)(k * 7);
		assert_int_equal(mesh_rpc_bulk_decode(msg, (size_t)h + len, back, &dlen), h);
		assert_int_equal(dlen, len);
		assert_int_equal(back->id, 77);
		assert_int_equal(back->owner_boot, 6);
		assert_int_equal(back->len, 0);
		assert_int_equal(back->bulk, 0);
		assert_int_equal(back->ncaps, MESH_RPC_CAPS);
		assert_memory_equal(back->caps, r.caps, sizeof(r.caps));
		assert_memory_equal(back->w, r.w, sizeof(r.w));
		/* A byte less or more than the length says. */
		assert_int_equal(mesh_rpc_bulk_decode(msg, (size_t)h + len - 1, back, &dlen),
				 -AION_ETRUNC);
		assert_int_equal(mesh_rpc_bulk_decode(msg, (size_t)h + len + 1, back, &dlen),
				 -AION_EMALFORMED);
	}
	/* Above the limit: neither encoded nor decoded. */
	assert_int_equal(mesh_rpc_bulk_encode(&r, MESH_BULK_DATA_MAX + 1, msg, sizeof(msg)),
			 -AION_EINVAL);
	int h = mesh_rpc_bulk_encode(&r, MESH_BULK_DATA_MAX, msg, sizeof(msg));
	msg[h - 2] = 0x01;      /* length 0x00010100: 65792 */
	uint32_t dlen;
	assert_int_equal(mesh_rpc_bulk_decode(msg, sizeof(msg), back, &dlen), -AION_EMALFORMED);
	assert_int_equal(mesh_rpc_bulk_encode(&r, 0, msg, MESH_RPC_BULK_HDR_MAX - 1),
			 -AION_ENOSPC);
	r.ncaps = MESH_RPC_CAPS + 1;
	assert_int_equal(mesh_rpc_bulk_encode(&r, 0, msg, sizeof(msg)), -AION_EINVAL);
	/* The type byte and header fit the room a bulk message keeps. */
	assert_true(1 + MESH_RPC_BULK_HDR_MAX <= MESH_BULK_HDR_ROOM);
	free(back);
}

/* ---- grant table ---- */

#define SLOTS 8

struct freed {
	unsigned n;
	uint64_t last;
};

static void on_free(void *ctx, uint64_t cookie)
{
	struct freed *f = ctx;
	f->n++;
	f->last = cookie;
}

static void test_grant_check(void **state)
{
	(void)state;
	struct grant_export slots[SLOTS];
	struct grant_table t;
	uint32_t obj, gen;
	uint64_t cookie = 0;
	bool reused;
	grant_init(&t, slots, SLOTS, 100);
	assert_int_equal(grant_export(&t, 0xaa, 0x20, 2, false, &obj, &gen, &reused), 0);
	assert_false(reused);
	assert_int_equal(grant_check(&t, obj, gen, 2, &cookie), 0);
	assert_int_equal(cookie, 0xaa);
	/* Node 3 was never given it: refused and counted, whatever gen it guesses. */
	assert_int_equal(grant_check(&t, obj, gen, 3, &cookie), -AION_ERIGHTS);
	assert_int_equal(t.forged, 1);
	assert_int_equal(grant_check(&t, obj, gen + 1, 2, &cookie), -AION_EDEAD);
	assert_int_equal(grant_check(&t, 0, gen, 2, &cookie), -AION_EDEAD);
	assert_int_equal(grant_check(&t, SLOTS + 1, gen, 2, &cookie), -AION_EDEAD);
	/* Once granted, node 3 may call. */
	assert_int_equal(grant_add(&t, obj, gen, 3), 0);
	assert_int_equal(grant_check(&t, obj, gen, 3, &cookie), 0);
	assert_int_equal(grant_add(&t, obj, gen + 1, 3), -AION_EDEAD);
	assert_int_equal(t.forged, 1);
	/* Delegation: only a holder may let another node in. */
	assert_int_equal(grant_delegate(&t, obj, gen, 5, 6), -AION_ERIGHTS);
	assert_int_equal(t.forged, 2);
	assert_int_equal(grant_check(&t, obj, gen, 6, &cookie), -AION_ERIGHTS);
	assert_int_equal(grant_delegate(&t, obj, gen, 3, 6), 0);
	assert_int_equal(grant_check(&t, obj, gen, 6, &cookie), 0);
	assert_int_equal(grant_delegate(&t, obj, gen + 1, 3, 6), -AION_EDEAD);
	assert_int_equal(t.forged, 3);  /* the refused check above */
}

static void test_grant_release(void **state)
{
	(void)state;
	struct grant_export slots[SLOTS];
	struct grant_table t;
	struct freed f = { 0 };
	uint32_t obj, gen, obj2, gen2;
	uint64_t cookie;
	bool reused;
	grant_init(&t, slots, SLOTS, 0);
	assert_int_equal(grant_export(&t, 0xaa, 0x20, 2, false, &obj, &gen, &reused), 0);
	/* The same capability to another node reuses the slot. */
	assert_int_equal(grant_export(&t, 0xaa, 0x20, 3, false, &obj2, &gen2, &reused), 0);
	assert_true(reused);
	assert_int_equal(obj, obj2);
	assert_int_equal(t.used, 1);
	assert_int_equal(grant_holders(&t), 2);
	assert_int_equal(grant_release(&t, obj, gen, 2, on_free, &f), 0);
	assert_int_equal(grant_check(&t, obj, gen, 2, &cookie), -AION_ERIGHTS);
	assert_int_equal(f.n, 0);
	/* The last holder's release frees it; a second release is harmless. */
	assert_int_equal(grant_release(&t, obj, gen, 3, on_free, &f), 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.last, 0xaa);
	assert_int_equal(t.used, 0);
	assert_int_equal(grant_release(&t, obj, gen, 3, on_free, &f), 0);
	assert_int_equal(grant_check(&t, obj, gen, 3, &cookie), -AION_EDEAD);
	/* The slot's next export has another generation. */
	assert_int_equal(grant_export(&t, 0xbb, 0x20, 2, false, &obj2, &gen2, &reused), 0);
	assert_int_equal(obj2, obj);
	assert_int_not_equal(gen2, gen);
	assert_int_equal(grant_check(&t, obj, gen, 2, &cookie), -AION_EDEAD);
}

static void test_grant_pin_and_nodes(void **state)
{
	(void)state;
	struct grant_export slots[SLOTS];
	struct grant_table t;
	struct freed f = { 0 };
	uint32_t obj[4], gen[4];
	uint64_t cookie;
	bool reused;
	grant_init(&t, slots, SLOTS, 7);
	/* A name's export: pinned, nobody holds it yet, public: any node may
	 * call it (and delegate it). */
	assert_int_equal(grant_export(&t, 1, 0x60, 0, true, &obj[0], &gen[0], &reused), 0);
	assert_int_equal(grant_check(&t, obj[0], gen[0], 4, &cookie), 0);
	assert_int_equal(grant_check(&t, obj[0], gen[0], 9, &cookie), 0);
	assert_int_equal(t.forged, 0);
	assert_int_equal(grant_add(&t, obj[0], gen[0], 4), 0);
	assert_int_equal(grant_add(&t, obj[0], gen[0], 255), 0);
	assert_int_equal(grant_check(&t, obj[0], gen[0], 255, &cookie), 0);
	assert_int_equal(grant_release(&t, obj[0], gen[0], 4, on_free, &f), 0);
	assert_int_equal(grant_release(&t, obj[0], gen[0], 255, on_free, &f), 0);
	assert_int_equal(f.n, 0);       /* pinned: stays */
	assert_int_equal(grant_export(&t, 2, 0x20, 4, false, &obj[1], &gen[1], &reused), 0);
	assert_int_equal(grant_export(&t, 3, 0x20, 4, false, &obj[2], &gen[2], &reused), 0);
	assert_int_equal(grant_export(&t, 3, 0x20, 5, false, &obj[3], &gen[3], &reused), 0);
	assert_int_equal(grant_add(&t, obj[0], gen[0], 4), 0);
	/* Node 4 died: what only it held goes, the rest stays. */
	assert_int_equal(grant_drop_node(&t, 4, on_free, &f), 1);
	assert_int_equal(f.last, 2);
	assert_int_equal(grant_check(&t, obj[2], gen[2], 5, &cookie), 0);
	assert_int_equal(grant_check(&t, obj[2], gen[2], 4, &cookie), -AION_ERIGHTS);
	/* Dropped from the name's holders too, but it stays callable. */
	assert_false(grant_holds(&slots[obj[0] - 1], 4));
	assert_int_equal(grant_check(&t, obj[0], gen[0], 4, &cookie), 0);
	/* The name goes: its export with it, holders or not. */
	assert_int_equal(grant_add(&t, obj[0], gen[0], 5), 0);
	assert_int_equal(grant_remove(&t, obj[0], gen[0], on_free, &f), 1);
	assert_int_equal(f.last, 1);
	assert_int_equal(grant_check(&t, obj[0], gen[0], 5, &cookie), -AION_EDEAD);
	assert_int_equal(t.used, 1);
}

static void test_grant_limit(void **state)
{
	(void)state;
	struct grant_export slots[SLOTS];
	struct grant_table t;
	uint32_t obj, gen;
	bool reused;
	grant_init(&t, slots, SLOTS, 0xfffffffe);       /* generations wrap past 0 */
	for (uint64_t c = 1; c <= SLOTS; c++) {
		assert_int_equal(grant_export(&t, c, 0x20, 2, false, &obj, &gen, &reused), 0);
		assert_int_not_equal(gen, 0);
	}
	assert_int_equal(grant_export(&t, 99, 0x20, 2, false, &obj, &gen, &reused), -AION_ENOSPC);
	/* Reuse still works at the limit. */
	assert_int_equal(grant_export(&t, 3, 0x20, 6, false, &obj, &gen, &reused), 0);
	assert_true(reused);
	assert_int_equal(grant_drop_node(&t, 2, NULL, NULL), SLOTS - 1);
	assert_int_equal(t.used, 1);
	assert_int_equal(grant_export(&t, 99, 0x20, 2, false, &obj, &gen, &reused), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_full_drops),
		cmocka_unit_test(test_caller_boots),
		cmocka_unit_test(test_owner_boots),
		cmocka_unit_test(test_caller_rules),
		cmocka_unit_test(test_restart_orders),
		cmocka_unit_test(test_new_boot_reuses_ids),
		cmocka_unit_test(test_rpc_boots),
		cmocka_unit_test(test_rpc_bulk),
		cmocka_unit_test(test_grant_check),
		cmocka_unit_test(test_grant_release),
		cmocka_unit_test(test_grant_pin_and_nodes),
		cmocka_unit_test(test_grant_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
