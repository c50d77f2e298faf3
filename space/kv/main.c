/*
 * kv: the replicated key-value store (aion/kv.h, docs/kv.md), a job the
 * cluster scheduler places: one primary, one backup (spawn kv replicas=2),
 * or one plain instance that keeps its table alone.
 *
 * One thread serves the endpoint: clients (through the name "kv"), the
 * other instance (through the capability a backup gives in KV_JOIN) and
 * this unit's second thread, which waits on meshd for a new role or epoch
 * (MESHD_JOB_WAIT) and passes it on as a call. The three reach the
 * endpoint through copies with their own badges, so a client cannot make
 * the calls meant for instances.
 *
 * The rule that keeps acknowledged writes: a primary answers a write only
 * after its backup applied the same record (KV_REPL); without a backup
 * that took the whole snapshot it answers EAGAIN. So every acknowledged
 * write is on both instances, and the scheduler, which promotes the backup
 * when the primary's node is gone, promotes an instance that has it. A
 * primary cut off from the majority has a backup it cannot reach (or none):
 * it acknowledges nothing the majority side does not see.
 *
 * Capabilities: SVC_INIT_EP (1,1), JOB_MESH_EP (2,1): meshd.
 */
#include "aion/initproto.h"
#include "aion/kv.h"
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "libaion/serve.h"
#include "store.h"
#include "common/time.h"

#define TICK_NS         (200 * MS)      /* backup: JOIN again; primary: resync */
#define PEER_TIMEOUT_NS (3000 * MS)     /* a call to the other instance */
#define STACK_PAGES     4
#define WAIT_PRIO       100

#define BADGE_CLIENT    1               /* "kv": clients and KV_JOIN */
#define BADGE_PEER      2               /* the endpoint a backup gives its primary */
#define BADGE_SELF      3               /* this unit's wait thread */

/* The wait thread's call: w1 = epoch, w2 = role or ROLE_GONE. */
#define KV_ROLE         96
#define ROLE_GONE       0xff

struct page_buf {
	struct aion_ipc_buffer b;
} __attribute__((aligned(4096)));

static struct page_buf bufs[2];         /* the serving thread, the wait thread */
static struct kv_store store;

static struct {
	struct mesh_job job;            /* node, role, epoch (the latest known) */
	aion_handle_t ep, client_cap, peer_cap, self_cap;
	int stale;                      /* an instance with a higher epoch exists */
	int registered;                 /* "kv" registered (primary, plain) */
	int ending;                     /* no longer placed: end after the reply */
	/* primary: the backup's endpoint; ok once it took the whole snapshot */
	aion_handle_t backup;
	unsigned backup_node;
	int backup_ok, snap_due;
	int64_t backup_err;             /* the last failure, logged once */
	/* backup */
	int joined, synced;
	uint64_t next_chunk;
	int64_t join_err;
} kv;

static void log_role(const char *why)
{
	aion_printf("kv: role=%s epoch=%lu keys=%u%s", mesh_role_name(kv.job.role),
		    (unsigned long)kv.job.epoch, kv_store_keys(&store), why);
}

static struct aion_ipc_buffer *buf(void)
{
	return &bufs[0].b;
}

/* An epoch seen from the other instance: a higher one makes it ours. */
static void adopt_epoch(uint64_t epoch)
{
	if (epoch > kv.job.epoch)
		kv.job.epoch = epoch;
}

/* ---- primary: the backup ---- */

static void backup_forget(void)
{
	if (kv.backup)
		aion_handle_close(kv.backup);
	kv.backup = 0;
	kv.backup_ok = 0;
	kv.snap_due = 0;
}

/* A failed call to the backup: it counts no more until a snapshot succeeds. */
static void backup_failed(const char *what, int64_t err)
{
	if (kv.backup_ok || err != kv.backup_err)
		aion_printf("kv: backup lost node=%u op=%s err=%s", kv.backup_node, what,
			    aion_error_name(err));
	kv.backup_ok = 0;
	kv.backup_err = err;
	if (err == -AION_EPERM && !kv.stale) {
		kv.stale = 1;
		aion_printf("kv: stale: the backup knows a newer epoch than %lu",
			    (unsigned long)kv.job.epoch);
	}
	if (err == -AION_EDEAD || err == -AION_ECAP)
		backup_forget();        /* the object is gone: wait for a new JOIN */
}

/* One call to the backup with the payload in place: its error or w0. */
static int64_t backup_call(uint32_t label, unsigned len, uint64_t w2)
{
	struct aion_msg m = { .tag = AION_TAG(label, len, 0), .w = { 0, kv.job.epoch, w2 } };
	int64_t err = aion_call(kv.backup, &m, PEER_TIMEOUT_NS);
	if (!err)
		err = (int64_t)m.w[0];
	if (!err)
		adopt_epoch(m.w[2]);
	return err;
}

/* Sends the whole store in chunks; the backup counts from the last one on. */
static void snapshot_send(void)
{
	unsigned cursor = 0;
	uint64_t chunk = 0;
	int64_t err = 0;

	kv.snap_due = 0;
	while (!err) {
		size_t n = kv_snap_chunk(&store, &cursor, buf()->payload, KV_CHUNK_MAX);
		uint64_t last = cursor == KV_SNAP_END ? KV_SNAP_LAST : 0;
		err = backup_call(KV_SNAP, (unsigned)n, chunk++ | last);
		if (last)
			break;
	}
	if (err) {
		backup_failed("snap", err);
		return;
	}
	kv.backup_ok = 1;
	kv.backup_err = 0;
	aion_printf("kv: backup joined node=%u epoch=%lu keys=%u chunks=%lu", kv.backup_node,
		    (unsigned long)kv.job.epoch, kv_store_keys(&store), (unsigned long)chunk);
}

/*
 * Copies rec to the backup. 0 once it applied it; else the client's
 * answer: EINDOUBT when the backup may have applied it, EAGAIN when not.
 */
static int64_t replicate(const struct kv_rec *rec)
{
	size_t n = kv_rec_encode(rec, buf()->payload, KV_CHUNK_MAX);
	int64_t err = backup_call(KV_REPL, (unsigned)n, 0);
	if (!err)
		return 0;
	backup_failed("repl", err);
	return err == -AION_EINDOUBT || err == -AION_ETIMEDOUT ? -AION_EINDOUBT : -AION_EAGAIN;
}

/* Is the joined backup alive? A primary keeps one backup at a time. */
static int backup_alive(void)
{
	if (!kv.backup || !kv.backup_ok)
		return 0;
	int64_t err = backup_call(KV_PING, 0, 0);
	if (err)
		backup_failed("ping", err);
	return !err;
}

/* KV_JOIN: caps[0] is the new backup's endpoint (kept only when it joins). */
static int64_t on_join(struct aion_serve_req *r)
{
	const struct aion_msg *m = &r->msg;
	int64_t err = 0;
	if (kv.job.role != MESH_ROLE_PRIMARY || kv.stale)
		err = -AION_EAGAIN;
	else if (m->w[1] > kv.job.epoch)
		err = -AION_EPERM;      /* the joiner knows a newer primary */
	else if (m->w[2] != kv.backup_node && backup_alive())
		err = -AION_EBUSY;      /* (the same node: that backup joins again) */
	if (err == -AION_EPERM && !kv.stale) {
		kv.stale = 1;
		aion_printf("kv: stale: a backup knows epoch %lu > %lu", (unsigned long)m->w[1],
			    (unsigned long)kv.job.epoch);
	}
	if (err)
		return err;
	backup_forget();
	kv.backup = aion_serve_keep(r, 0);
	kv.backup_node = (unsigned)m->w[2];
	kv.backup_err = 0;
	kv.snap_due = 1;                /* after the reply: the backup then listens */
	r->reply.w[1] = kv.job.epoch;
	return 0;
}

/* ---- backup: JOIN, SNAP, REPL ---- */

/* Finds the primary by name and joins it; the snapshot follows as calls. */
static void join_primary(void)
{
	aion_handle_t primary;
	unsigned node = 0;
	int64_t err = mesh_lookup(JOB_MESH_EP, buf(), KV_NAME, &primary, &node);
	if (!err) {
		struct aion_msg m = { .tag = AION_TAG(KV_JOIN, 0, 1),
				      .w = { 0, kv.job.epoch, kv.job.node } };
		buf()->caps[0] = kv.peer_cap;
		buf()->cap_rights[0] = AION_RIGHT_SEND;
		err = aion_call(primary, &m, PEER_TIMEOUT_NS);
		if (!err)
			err = (int64_t)m.w[0];
		if (!err)
			adopt_epoch(m.w[1]);
		aion_handle_close(primary);
	}
	if (err) {
		if (err != kv.join_err)
			aion_printf("kv: join failed err=%s (retrying)", aion_error_name(err));
		kv.join_err = err;
		return;
	}
	kv.joined = 1;
	kv.join_err = 0;
	aion_printf("kv: joined primary node=%u epoch=%lu", node, (unsigned long)kv.job.epoch);
}

/* Checks a call from the primary: its epoch must not be below ours. */
static int64_t from_primary(const struct aion_msg *m)
{
	if (kv.job.role != MESH_ROLE_BACKUP || m->w[1] < kv.job.epoch)
		return -AION_EPERM;
	adopt_epoch(m->w[1]);
	return 0;
}

static int64_t on_snap(struct aion_serve_req *r)
{
	const struct aion_msg *m = &r->msg;
	int64_t err = from_primary(m);
	uint64_t chunk = m->w[2] & ~KV_SNAP_LAST;
	if (err)
		return err;
	if (chunk == 0) {
		kv_store_reset(&store);
		kv.synced = 0;
		kv.next_chunk = 0;
	}
	if (chunk != kv.next_chunk)
		return -AION_EINVAL;
	err = kv_snap_apply(&store, r->data, r->len);
	if (err) {
		kv.next_chunk = ~0ull;          /* nothing more until a chunk 0 */
		return err;
	}
	kv.next_chunk++;
	if (m->w[2] & KV_SNAP_LAST) {
		kv.synced = 1;
		aion_printf("kv: snapshot taken epoch=%lu keys=%u chunks=%lu",
			    (unsigned long)kv.job.epoch, kv_store_keys(&store),
			    (unsigned long)kv.next_chunk);
	}
	return 0;
}

static int64_t on_repl(struct aion_serve_req *r)
{
	struct kv_rec rec;
	int64_t err = from_primary(&r->msg);
	if (!err && !kv.synced)
		err = -AION_EAGAIN;
	if (!err)
		err = kv_rec_decode(r->data, r->len, &rec);
	if (!err)
		err = kv_store_commit(&store, &rec);
	return err;
}

/* ---- clients ---- */

static int64_t on_ping(struct aion_serve_req *r)
{
	return from_primary(&r->msg);
}

/* A write: answered from the client table, or prepared, copied, committed. */
static int64_t on_write(const struct kv_req *req, struct aion_serve_req *r)
{
	struct kv_rec rec;
	int seen = kv_store_seen(&store, req, &rec);
	if (seen < 0)
		return seen;
	if (!seen) {
		if (kv.job.role == MESH_ROLE_PRIMARY && !kv.backup_ok)
			return -AION_EAGAIN;
		kv_store_prepare(&store, req, &rec);
		int64_t err = kv.job.role == MESH_ROLE_PRIMARY ? replicate(&rec) : 0;
		if (err)
			return err;
		err = kv_store_commit(&store, &rec);
		if (err)
			return err;     /* prepare saw room: cannot happen */
	}
	r->reply.w[1] = rec.w1;
	aion_serve_put_text(r, rec.value);
	return rec.err;
}

static int64_t on_client(struct aion_serve_req *r)
{
	struct kv_req req;
	int64_t err = kv_req_decode(r->label, r->msg.w[1], r->msg.w[2], r->data, r->len, &req);
	if (err)
		return err;
	if (kv.job.role == MESH_ROLE_BACKUP || kv.stale || !kv.registered)
		return -AION_EAGAIN;
	if (r->label != KV_GET)
		return on_write(&req, r);
	const char *v = kv_store_get(&store, req.key);
	if (!v)
		return -AION_ENOENT;
	aion_serve_put_text(r, v);
	return 0;
}

/* ---- roles ---- */

static void register_name(void)
{
	int64_t err = mesh_register(JOB_MESH_EP, buf(), KV_NAME, kv.client_cap,
				    AION_RIGHT_SEND | AION_RIGHT_GRANT);
	if (err) {
		aion_printf("kv: register failed err=%s (retrying)", aion_error_name(err));
		return;
	}
	kv.registered = 1;
	aion_printf("kv: serving as \"%s\" node=%u", KV_NAME, kv.job.node);
}

/* The scheduler's word (from the wait thread). Returns 1 when told to end. */
static int on_role(uint64_t epoch, unsigned role)
{
	unsigned old = kv.job.role;
	if (role == ROLE_GONE) {
		aion_printf("kv: no longer placed: ending epoch=%lu keys=%u",
			    (unsigned long)kv.job.epoch, kv_store_keys(&store));
		return 1;
	}
	if (epoch > kv.job.epoch) {
		kv.stale = 0;
		kv.job.epoch = epoch;
	}
	kv.job.role = role;
	if (role == MESH_ROLE_BACKUP) {
		backup_forget();
		kv.joined = 0;          /* maybe a new primary: join it */
		kv.registered = 0;
	} else if (old == MESH_ROLE_BACKUP) {
		kv.registered = 0;
		if (!kv.synced)
			aion_printf("kv: promoted before a whole snapshot arrived");
	}
	log_role(old == role ? "" : " (changed)");
	if (role != MESH_ROLE_BACKUP && !kv.registered)
		register_name();
	return 0;
}

/* Periodic work between calls. */
static void tick(void)
{
	if (kv.job.role == MESH_ROLE_BACKUP && !kv.joined)
		join_primary();
	else if (kv.job.role != MESH_ROLE_BACKUP && !kv.registered)
		register_name();
	else if (kv.job.role == MESH_ROLE_PRIMARY && kv.backup && !kv.backup_ok && !kv.stale)
		snapshot_send();        /* the backup missed a write: resync it */
}

static int64_t on_role_call(struct aion_serve_req *r)
{
	kv.ending = on_role(r->msg.w[1], (unsigned)r->msg.w[2]);
	return 0;
}

/* Who may call what: the wait thread its KV_ROLE, clients KV_JOIN and the
 * requests of aion/kv.h, the primary (through the endpoint a backup gave
 * it) SNAP, REPL and PING. Anything else: -AION_EPERM. */
static const struct aion_serve_op kv_ops[] = {
	{ .label = KV_ROLE, .fn = on_role_call, AION_SERVE_BADGE(BADGE_SELF) },
	{ .label = KV_JOIN, .fn = on_join, .caps = AION_SERVE_CAPS_ONE,
	  AION_SERVE_BADGE(BADGE_CLIENT) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = on_client, AION_SERVE_BADGE(BADGE_CLIENT) },
	{ .label = KV_SNAP, .fn = on_snap, AION_SERVE_BADGE(BADGE_PEER) },
	{ .label = KV_REPL, .fn = on_repl, AION_SERVE_BADGE(BADGE_PEER) },
	{ .label = KV_PING, .fn = on_ping, AION_SERVE_BADGE(BADGE_PEER) },
};
static const struct aion_serve_table kv_table = AION_SERVE_TABLE(kv_ops, -AION_EPERM);

/* One call; every reply carries this instance's epoch in w2. */
static void handle(const struct aion_msg *m)
{
	struct aion_serve_req r;
	aion_serve_begin(&r, buf(), m, AION_TAG_LABEL(m->tag));
	int64_t status = aion_serve_dispatch(&kv_table, &r);
	r.reply.w[2] = kv.job.epoch;
	aion_serve_end(&r, status);     /* a caller gone meanwhile: nothing to do */
}

/* ---- the wait thread ---- */

/* Waits for the scheduler's next placement of this instance and passes it on. */
static int64_t wait_thread(uint64_t arg)
{
	uint64_t epoch = kv.job.epoch;
	unsigned role = kv.job.role;
	int64_t last = 0;
	(void)arg;

	if (aion_ipc_buffer(&bufs[1].b))
		return 1;

	for (;;) {
		int64_t err = mesh_job_wait(JOB_MESH_EP, &epoch, &role);
		if (err == -AION_EDEAD || err == -AION_ECAP) {
			role = ROLE_GONE;
		} else if (err) {
			if (err != last)
				aion_printf("kv: job wait failed err=%s (retrying)",
					    aion_error_name(err));
			last = err;
			aion_sleep_ns(1000 * MS);
			continue;
		}
		last = 0;
		struct aion_msg m = { .tag = AION_TAG(KV_ROLE, 0, 0), .w = { 0, epoch, role } };
		aion_call(kv.self_cap, &m, 0);
		if (role == ROLE_GONE)
			return 0;
	}
}

/* ---- start ---- */

static int64_t setup(const struct aion_startup *st)
{
	int64_t err = st->magic == AION_STARTUP_MAGIC ? mesh_job_args(st->args, &kv.job) :
		      -AION_EINVAL;
	int64_t ep = err ? err : aion_endpoint_create();
	if (ep < 0)
		return ep;
	kv.ep = (aion_handle_t)ep;
	int64_t c = aion_cap_mint(kv.ep, AION_RIGHT_SEND | AION_RIGHT_GRANT, BADGE_CLIENT);
	int64_t p = aion_cap_mint(kv.ep, AION_RIGHT_SEND, BADGE_PEER);
	int64_t s = aion_cap_mint(kv.ep, AION_RIGHT_SEND, BADGE_SELF);
	if (c < 0 || p < 0 || s < 0)
		return c < 0 ? c : p < 0 ? p : s;
	kv.client_cap = (aion_handle_t)c;
	kv.peer_cap = (aion_handle_t)p;
	kv.self_cap = (aion_handle_t)s;
	err = aion_ipc_buffer(buf());
	if (err)
		return err;
	uint64_t top = aion_stack_alloc(STACK_PAGES);
	if (!top)
		return -AION_ENOMEM;
	int64_t t = aion_thread_spawn(wait_thread, 0, top, WAIT_PRIO);
	return t < 0 ? t : 0;
}

int64_t aion_main(uint64_t arg)
{
	int64_t err = setup((const struct aion_startup *)arg);
	if (err) {
		aion_printf("kv: setup failed err=%s (args: node=N role=R epoch=E)",
			    aion_error_name(err));
		return 1;
	}
	kv_store_reset(&store);
	kv.synced = kv.job.role != MESH_ROLE_BACKUP;    /* a new job starts empty */
	log_role("");
	uint64_t next_tick = 0;
	for (;;) {
		uint64_t now = aion_clock_ns();
		if (now >= next_tick) {
			tick();
			next_tick = aion_clock_ns() + TICK_NS;
		}
		struct aion_msg m;
		uint64_t wait = next_tick > now ? next_tick - now : 1;
		err = aion_recv(kv.ep, &m, wait < TICK_NS ? wait : TICK_NS);
		if (err == -AION_ETIMEDOUT)
			continue;
		if (err) {
			aion_printf("kv: recv failed err=%s", aion_error_name(err));
			return 1;
		}
		handle(&m);
		if (kv.ending)
			return 0;
		if (kv.snap_due)
			snapshot_send();
	}
}
