/*
 * kv: the key-value store's front (aion/kv.h, docs/kv.md), a job the
 * cluster scheduler places (spawn kv --replicas 2).
 *
 * The data is not here: keys, values and client sessions are part of the
 * cluster state Raft replicates (mesh/cstate.h). An instance checks a
 * client's request and hands it to its node's meshd (MESHD_KV), which
 * has the leader commit it to the cluster's log (a write) or confirm its
 * lead (a read) before it answers. So an acknowledged write survives what
 * the log survives, a restarted instance loses nothing, and any instance
 * can serve. The primary registers the name "kv"; the backup stands by so
 * that clients' proxies find a new registration fast when the primary's
 * node dies (docs/mesh.md "Failover").
 *
 * One thread serves clients; a second waits on meshd for a new role or
 * epoch (MESHD_JOB_WAIT) and passes it on as a call.
 *
 * Capabilities: SVC_INIT_EP (1,1), JOB_MESH_EP (2,1): meshd.
 */
#include "aion/initproto.h"
#include "aion/kv.h"
#include "aion/mesh.h"
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "libaion/serve.h"
#include "store.h"
#include "common/time.h"

#define TICK_NS         (200 * MS)      /* register again after a failure */
#define STACK_PAGES     4
#define WAIT_PRIO       100

#define BADGE_CLIENT    1               /* "kv": clients */
#define BADGE_SELF      3               /* this unit's wait thread */

/* The wait thread's call: w1 = epoch, w2 = role or ROLE_GONE. */
#define KV_ROLE         96
#define ROLE_GONE       0xff

struct page_buf {
	struct aion_ipc_buffer b;
} __attribute__((aligned(4096)));

static struct page_buf bufs[2];         /* the serving thread, the wait thread */

static struct {
	struct mesh_job job;            /* node, role, epoch (the latest known) */
	aion_handle_t ep, client_cap, self_cap;
	int registered;                 /* "kv" registered (primary, plain) */
	int ending;                     /* no longer placed: end after the reply */
} kv;

static struct aion_ipc_buffer *buf(void)
{
	return &bufs[0].b;
}

/* ---- clients ---- */

/* Checks the request, then has meshd decide it (MESHD_KV). */
static int64_t on_client(struct aion_serve_req *r)
{
	struct kv_req req;
	int64_t err = kv_req_decode(r->label, r->msg.w[1], r->msg.w[2], r->data, r->len, &req);
	if (err)
		return err;
	struct aion_msg m = { .tag = AION_TAG(MESHD_KV, r->len, 0),
			      .w = { r->label, r->msg.w[1], r->msg.w[2] } };
	memcpy(buf()->payload, r->data, r->len);
	err = aion_call(JOB_MESH_EP, &m, 0);
	/* EDEAD, ECAP: meshd never took the call (not applied). Had it
	 * taken it and ended, the kernel says EINDOUBT, passed on: the
	 * client retries the same seq to learn. */
	if (err)
		return err == -AION_EDEAD || err == -AION_ECAP ? -AION_EAGAIN : err;
	unsigned n = AION_TAG_LEN(m.tag);
	char value[KV_VALUE_MAX + 1];
	if (n > KV_VALUE_MAX)
		n = KV_VALUE_MAX;
	memcpy(value, buf()->payload, n);
	value[n] = '\0';
	r->reply.w[1] = m.w[1];
	aion_serve_put_text(r, value);
	return (int64_t)m.w[0];
}

/* ---- roles ---- */

static void log_role(const char *why)
{
	aion_printf("kv: role=%s epoch=%lu%s", mesh_role_name(kv.job.role),
		    (unsigned long)kv.job.epoch, why);
}

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
		aion_printf("kv: no longer placed: ending epoch=%lu", (unsigned long)kv.job.epoch);
		return 1;
	}
	if (epoch > kv.job.epoch)
		kv.job.epoch = epoch;
	kv.job.role = role;
	if (role == MESH_ROLE_BACKUP)
		kv.registered = 0;      /* a demoted primary's name ends with it */
	log_role(old == role ? "" : " (changed)");
	if (role != MESH_ROLE_BACKUP && !kv.registered)
		register_name();
	return 0;
}

static int64_t on_role_call(struct aion_serve_req *r)
{
	kv.ending = on_role(r->msg.w[1], (unsigned)r->msg.w[2]);
	return 0;
}

/* Who may call what: the wait thread its KV_ROLE, clients the requests of
 * aion/kv.h. Anything else: -AION_EPERM. */
static const struct aion_serve_op kv_ops[] = {
	{ .label = KV_ROLE, .fn = on_role_call, AION_SERVE_BADGE(BADGE_SELF) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = on_client, AION_SERVE_BADGE(BADGE_CLIENT) },
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
	int64_t s = aion_cap_mint(kv.ep, AION_RIGHT_SEND, BADGE_SELF);
	if (c < 0 || s < 0)
		return c < 0 ? c : s;
	kv.client_cap = (aion_handle_t)c;
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
	log_role("");
	for (;;) {
		if (kv.job.role != MESH_ROLE_BACKUP && !kv.registered)
			register_name();
		struct aion_msg m;
		err = aion_recv(kv.ep, &m, TICK_NS);
		if (err == -AION_ETIMEDOUT)
			continue;
		if (err) {
			aion_printf("kv: recv failed err=%s", aion_error_name(err));
			return 1;
		}
		handle(&m);
		if (kv.ending)
			return 0;
	}
}
