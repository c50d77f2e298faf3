/*
 * meshd: start-up and the main loop (see meshd.h for the thread model).
 *
 * Capabilities: SVC_INIT_EP (names), init's endpoint with the jobs badge
 * (start and stop the units the scheduler places here), QEMU's fw_cfg
 * ports (the cluster key opt/aion/cluster-key; none or a short one: the
 * node stays out of the mesh). Args: "node=N [nodes=K]",
 * K the number of nodes the cluster is configured with (default 1).
 */
#include "meshd.h"
#include "consensus.h"
#include "libaion/fwcfg.h"
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "common/cmdline.h"
#include "mesh/mac.h"

#define THREAD_PRIO     118
#define STACK_PAGES     4
#define KEY_FILE        "opt/aion/cluster-key"
#define FWCFG_IO        AION_HANDLE(3, 1)       /* after SVC_INIT_EP and the jobs endpoint */

uint16_t self_node;
uint32_t self_boot;
uint32_t cluster_id = 0x41494f4e;       /* "AION" */
aion_handle_t meshd_ep;
struct aion_ipc_buffer main_buf __attribute__((aligned(4096)));

void reply_saved(aion_handle_t reply, const struct aion_msg *m)
{
	int64_t err = aion_serve_answer(reply, m);
	if (err)
		mlog("reply failed err=%s", aion_error_name(err));
}

void reply_saved_err(aion_handle_t reply, int64_t err)
{
	struct aion_msg m = { .tag = AION_TAG(0, 0, 0), .w = { (uint64_t)err } };
	reply_saved(reply, &m);
}

/* The cluster key: fw_cfg's opt/aion/cluster-key (hex, at least
 * MESH_KEY_MIN bytes). There is no default key: the length in bytes, or
 * an error after one log line saying why. */
static int64_t load_key(uint8_t *key, size_t cap)
{
	char hex[2 * MESH_KEY_MAX + 4];
	int64_t n = fwcfg_read_file(FWCFG_IO, KEY_FILE, hex, sizeof(hex) - 1);
	if (n == -AION_ENOENT || n == 0) {
		mlog("error: no cluster key (fw_cfg %s): this node stays out of the mesh", KEY_FILE);
		return -AION_ENOENT;
	}
	if (n < 0) {
		mlog("error: cluster key not read from fw_cfg %s err=%s: this node stays out of the mesh",
		     KEY_FILE, aion_error_name(n));
		return n;
	}
	hex[n] = '\0';
	int k = mesh_key_from_hex(hex, key, cap);
	if (k < 0) {
		mlog("error: cluster key in fw_cfg %s is not hex of at most %u bytes: this node stays "
		     "out of the mesh", KEY_FILE, MESH_KEY_MAX);
		return k;
	}
	if ((size_t)k < MESH_KEY_MIN) {
		mlog("error: cluster key has %d bytes, fewer than %u: this node stays out of the mesh",
		     k, MESH_KEY_MIN);
		return -AION_EINVAL;
	}
	mlog("cluster key from fw_cfg %s (%d bytes, id %u)", KEY_FILE, k, mesh_key_id(key, (size_t)k));
	return k;
}

/* No usable key: stay out (no port, no packets, no "mesh" name) without
 * ending, so init does not start meshd again and again to say it anew. */
static void stay_out(void)
{
	for (;;)
		aion_sleep_ns(3600000 * MS);
}

static int64_t spawn(int64_t (*fn)(uint64_t), uint64_t arg, unsigned prio)
{
	uint64_t top = aion_stack_alloc(STACK_PAGES);
	if (!top)
		return -AION_ENOMEM;
	int64_t t = aion_thread_spawn(fn, arg, top, prio);
	return t < 0 ? t : 0;
}

static int64_t setup(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char v[16];
	uint8_t key[MESH_KEY_MAX];
	struct sock_ctx ctx;

	if (st->magic != AION_STARTUP_MAGIC || !cmdline_get(st->args, "node", v, sizeof(v)))
		return -AION_EINVAL;
	if (aion_window() != AION_WINDOW_BASE(SVC_MESHD_WINDOW)) {
		mlog("error: linked for window base 0x%lx, not window %u's",
		     (unsigned long)aion_window(), SVC_MESHD_WINDOW);
		return -AION_EINVAL;
	}
	uint64_t node = cmdline_decimal(v);
	if (node == 0 || node >= MESH_NODE_NONE)
		return -AION_EINVAL;
	uint64_t configured = cmdline_get(st->args, "nodes", v, sizeof(v)) ? cmdline_decimal(v) : 1;
	meshd_forge = cmdline_get(st->args, "forge", v, sizeof(v)) && !strcmp(v, "1");
	if (configured == 0 || configured > CSCHED_NODES_MAX)
		return -AION_EINVAL;
	self_node = (uint16_t)node;

	int64_t ep = aion_endpoint_create();
	if (ep < 0)
		return ep;
	meshd_ep = (aion_handle_t)ep;
	int64_t err = sock_init(&ctx, &main_buf);
	if (err)
		return err;
	int64_t klen = load_key(key, sizeof(key));
	if (klen < 0)
		stay_out();
	/* The cluster's detection scale (docs/mesh.md "Detection scale"). */
	uint64_t scale = cmdline_get(st->args, "detect_scale", v, sizeof(v)) ?
			 cmdline_decimal(v) : MESH_DETECT_SCALE_DEFAULT;
	if (scale == 0 || scale > MESH_DETECT_SCALE_MAX) {
		mlog("error: detect_scale=%s is not 1..%u: using %u", v, MESH_DETECT_SCALE_MAX,
		     MESH_DETECT_SCALE_DEFAULT);
		scale = MESH_DETECT_SCALE_DEFAULT;
	}
	if ((err = link_init(&ctx, key, (size_t)klen, (unsigned)scale,
			       (unsigned)configured)))
		return err;
	memset(key, 0, sizeof(key));
	serve_init();
	bulk_init();
	cluster_init();
	/* Without its disk a node still gives membership, names and calls;
	 * it takes no part in the cluster's state and says why when asked. */
	cons_init(aion_clock_ns(), (unsigned)configured, st->args);
	if (!self_boot) {
		/* No disk: the host's count of this node's starts if it gave
		 * one, else its clock in seconds (grows from start to start). */
		self_boot = cmdline_get(st->args, "boot", v, sizeof(v)) ? (uint32_t)cmdline_decimal(v) : 0;
		if (!self_boot && cmdline_get(st->args, "clock", v, sizeof(v)))
			self_boot = (uint32_t)cmdline_decimal(v);
		if (!self_boot)
			self_boot = 1;
		mlog("error: no boot counter on disk: boot=%u from the host's arguments", self_boot);
	}
	for (unsigned i = 0; i < WORKERS; i++)
		if ((err = spawn(worker_thread, i, THREAD_PRIO)))
			return err;
	int64_t admin = aion_cap_mint(meshd_ep, AION_RIGHT_SEND, BADGE_ADMIN);
	if (admin < 0)
		return admin;
	/* Before "mesh": a unit that found "mesh" can count on "admin.meshd". */
	if ((err = init_register(SVC_INIT_EP, &main_buf, INIT_ADMIN_NAME_PREFIX "meshd",
				 (aion_handle_t)admin, AION_RIGHT_SEND)))
		return err;
	int64_t client = aion_cap_mint(meshd_ep, AION_RIGHT_SEND | AION_RIGHT_GRANT, BADGE_CLIENT);
	if (client < 0)
		return client;
	return init_register(SVC_INIT_EP, &main_buf, "mesh", (aion_handle_t)client,
			     AION_RIGHT_SEND | AION_RIGHT_GRANT);
}

/* A unit's call on "mesh": names_client with no job instance behind it.
 * The key is not theirs to change. */
static int64_t on_client(struct aion_serve_req *r)
{
	if (r->label == MESHD_KEY)
		return -AION_EPERM;
	r->ctx = -1;
	return names_client(r);
}

/* MESHD_KEY on "admin.meshd" (the console): "add HEX", "use", "retire". */
static int64_t on_admin(struct aion_serve_req *r)
{
	char req[8 + 2 * MESH_KEY_MAX + 2];
	uint8_t key[MESH_KEY_MAX];
	aion_serve_string(r, req, sizeof(req));
	int64_t err;
	const char *op = "add";
	if (!strncmp(req, "add ", 4)) {
		int k = mesh_key_from_hex(req + 4, key, sizeof(key));
		err = k < 0 ? k : link_key_add(key, (size_t)k);
		memset(key, 0, sizeof(key));
	} else if (!strcmp(req, "use")) {
		op = "use";
		err = link_key_use();
	} else if (!strcmp(req, "retire")) {
		op = "retire";
		err = link_key_retire();
	} else {
		op = "unknown";
		err = -AION_EINVAL;
	}
	memset(req, 0, sizeof(req));    /* it held a key */
	memset(r->data, 0, sizeof(r->data));
	if (err)
		mlog("error: key %s refused err=%s", op, aion_error_name(err));
	return err;
}

/* Who calls is the badge (meshd.h); each handler branches on the label.
 * Replies carry label 0; any other badge gets -AION_EPERM. */
static const struct aion_serve_op meshd_ops[] = {
	{ .label = AION_SERVE_ANY_LABEL, .fn = serve_worker, AION_SERVE_BADGE(BADGE_WORKER) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = on_client, AION_SERVE_BADGE(BADGE_CLIENT) },
	{ .label = MESHD_KEY, .fn = on_admin, AION_SERVE_BADGE(BADGE_ADMIN) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = jobs_client,
	  AION_SERVE_BADGES(BADGE_JOB, BADGE_PROXY - 1) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = proxy_call,
	  AION_SERVE_BADGES(BADGE_PROXY, UINT64_MAX) },     /* a tag above bit 32 (calls.c) */
};
static const struct aion_serve_table meshd_table = AION_SERVE_TABLE(meshd_ops, -AION_EPERM);

bool meshd_news = true;

/*
 * Ticks on news (docs/network.md "The slice timer, the MAC and ticks on
 * news"): the link's and the calls' ticks run
 * every pass (a remote call's own work is theirs); the others when there
 * is news, when one of their deadlines (or the next load measurement) is
 * due, and at least every FULL_PASS_NS, which bounds the wait of work a
 * module does at a pass but keeps no deadline for (a join's retry, a
 * parked request's end). Each tick under TCG costs a few microseconds
 * whether or not it has work, several a remote call.
 */
#define FULL_PASS_NS    (100 * MS)

static uint64_t rest_due;       /* the next full pass, at the latest */
static uint64_t rest_sleep;     /* the rest's earliest deadline; 0: none */

static uint64_t sooner(uint64_t a, uint64_t b)
{
	return a && (!b || a < b) ? a : b;
}

static void rest_tick(uint64_t now)
{
	bulk_tick(now);
	names_tick(now);
	cons_tick(now);
	requests_tick(now);
	cluster_tick(now);
	jobs_tick(now);
	uint64_t d = sooner(sooner(bulk_deadline(), names_deadline()),
			    sooner(cons_deadline(), sooner(requests_deadline(), jobs_deadline())));
	rest_sleep = sooner(d, cluster_deadline());
	rest_due = sooner(sooner(d, cluster_load_due()), now + FULL_PASS_NS);
}

static uint64_t earliest(void)
{
	uint64_t d = link_deadline();           /* 0: at once */
	uint64_t c = calls_deadline();
	if (c && c < d)
		d = c;
	return rest_sleep && rest_sleep < d ? rest_sleep : d;
}

int64_t aion_main(uint64_t arg)
{
	int64_t err = setup(arg);
	if (err) {
		/* Ending lets init start meshd again after its back-off: a
		 * restarted meshd can find the mesh port still held by the one
		 * that died (AION_EADDRINUSE) until netd sees it gone. */
		mlog("setup failed err=%s: ending, init starts meshd again", aion_error_name(err));
		return 1;
	}
	mlog("ready node=%u port=%u boot=%u", self_node, MESH_PORT, self_boot);
	for (;;) {
		uint64_t now = aion_clock_ns();
		uint64_t due = link_rx_pending() ? now : earliest();
		struct aion_msg m = { 0 };
		/* What this turn sent goes to netd with the wait (link_wait). */
		err = link_wait(meshd_ep, &m, due > now ? due - now : 1);
		uint64_t t[6];
		t[0] = aion_clock_ns();
		if (!err && !(m.tag & AION_TAG_NOTIFY)) {
			/* A remote call's proxy and worker messages are no news. */
			if (m.badge != BADGE_WORKER && m.badge < BADGE_PROXY)
				meshd_news = true;
			aion_serve(&meshd_table, &main_buf, &m, 0);     /* a caller gone: its loss */
		} else if (err && err != -AION_ETIMEDOUT) {
			meshd_news = true;
			mlog("recv failed err=%s", aion_error_name(err));
		}
		/* Every turn: the ring's news may have come with a call. */
		link_drain(t[0]);
		now = t[1] = aion_clock_ns();
		link_tick(now);
		t[2] = aion_clock_ns();
		calls_tick(now);
		t[3] = aion_clock_ns();
		if (meshd_news || now >= rest_due) {
			meshd_news = false;
			rest_tick(now);
		}
		t[5] = aion_clock_ns();
		timing_loop(t[5] - t[0], err == -AION_ETIMEDOUT && t[0] > due ? t[0] - due : UINT64_MAX);
		timing_slow_pass(t, err ? 0 : m.badge, err ? 0 : AION_TAG_LABEL(m.tag));
	}
}
