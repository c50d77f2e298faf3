/*
 * meshd: start-up and the main loop (see meshd.h for the thread model).
 *
 * Capabilities: SVC_INIT_EP (names), init's endpoint with the jobs badge
 * (start and stop the units the scheduler places here), QEMU's fw_cfg
 * ports (the cluster key opt/aion/cluster-key). Args: "node=N [nodes=K]",
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
#define RX_PRIO         119
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

/* The cluster key: fw_cfg's opt/aion/cluster-key (hex) or the image's default. */
static size_t load_key(uint8_t *key, size_t cap)
{
	char hex[2 * MESH_KEY_MAX + 4];
	int64_t n = fwcfg_read_file(FWCFG_IO, KEY_FILE, hex, sizeof(hex) - 1);
	if (n > 0) {
		hex[n] = '\0';
		int k = mesh_key_from_hex(hex, key, cap);
		if (k > 0) {
			mlog("cluster key from fw_cfg %s (%d bytes)", KEY_FILE, k);
			return (size_t)k;
		}
		mlog("error: fw_cfg %s is not a hex key (err=%s): using the default",
		     KEY_FILE, aion_error_name(k));
	} else if (n != -AION_ENOENT) {
		mlog("error: fw_cfg read failed err=%s: using the default key", aion_error_name(n));
	}
	memcpy(key, mesh_default_key, mesh_default_key_len);
	return mesh_default_key_len;
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
	size_t klen = load_key(key, sizeof(key));
	if ((err = link_init(&ctx, key, klen)))
		return err;
	memset(key, 0, sizeof(key));
	serve_init();
	cluster_init();
	/* Without its disk a node still gives membership, names and calls;
	 * it takes no part in the cluster's state and says why when asked. */
	cons_init(aion_clock_ns(), (unsigned)configured, st->args);
	if (!self_boot) {
		/* No disk: the host's count of this node's starts, if it gave one. */
		self_boot = cmdline_get(st->args, "boot", v, sizeof(v)) ? (uint32_t)cmdline_decimal(v) : 0;
		if (!self_boot)
			self_boot = 1;
		mlog("error: no boot counter on disk: boot=%u from the host's arguments", self_boot);
	}
	if ((err = spawn(rx_thread, 0, RX_PRIO)))
		return err;
	for (unsigned i = 0; i < WORKERS; i++)
		if ((err = spawn(worker_thread, i, THREAD_PRIO)))
			return err;
	int64_t client = aion_cap_mint(meshd_ep, AION_RIGHT_SEND | AION_RIGHT_GRANT, BADGE_CLIENT);
	if (client < 0)
		return client;
	return init_register(SVC_INIT_EP, &main_buf, "mesh", (aion_handle_t)client,
			     AION_RIGHT_SEND | AION_RIGHT_GRANT);
}

/* A datagram from the receive thread: it goes back to netd at once. */
static int64_t on_rx(struct aion_serve_req *r)
{
	aion_serve_reply(r, 0);
	link_receive(r->data, r->len, (uint32_t)r->msg.w[0]);
	return 0;
}

/* A unit's call on "mesh": names_client with no job instance behind it. */
static int64_t on_client(struct aion_serve_req *r)
{
	r->ctx = -1;
	return names_client(r);
}

/* Who calls is the badge (meshd.h); each handler branches on the label.
 * Replies carry label 0; any other badge gets -AION_EPERM. */
static const struct aion_serve_op meshd_ops[] = {
	{ .label = AION_SERVE_ANY_LABEL, .fn = on_rx, AION_SERVE_BADGE(BADGE_RX) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = serve_worker, AION_SERVE_BADGE(BADGE_WORKER) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = on_client, AION_SERVE_BADGE(BADGE_CLIENT) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = jobs_client,
	  AION_SERVE_BADGES(BADGE_JOB, BADGE_PROXY - 1) },
	{ .label = AION_SERVE_ANY_LABEL, .fn = proxy_call,
	  AION_SERVE_BADGES(BADGE_PROXY, UINT64_MAX) },     /* a tag above bit 32 (calls.c) */
};
static const struct aion_serve_table meshd_table = AION_SERVE_TABLE(meshd_ops, -AION_EPERM);

static uint64_t earliest(void)
{
	uint64_t d = link_deadline();
	uint64_t c = calls_deadline();
	uint64_t n = names_deadline();
	uint64_t s = cluster_deadline();
	uint64_t j = jobs_deadline();
	uint64_t k = cons_deadline();
	uint64_t q = requests_deadline();
	if (k && k < d)
		d = k;
	if (q && q < d)
		d = q;
	if (c && c < d)
		d = c;
	if (s && s < d)
		d = s;
	if (j && j < d)
		d = j;
	return n && n < d ? n : d;
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
		uint64_t due = earliest();
		struct aion_msg m = { 0 };
		err = aion_recv(meshd_ep, &m, due > now ? due - now : 1);
		if (!err)
			aion_serve(&meshd_table, &main_buf, &m, 0);     /* a caller gone: its loss */
		else if (err != -AION_ETIMEDOUT)
			mlog("recv failed err=%s", aion_error_name(err));
		now = aion_clock_ns();
		link_tick(now);
		calls_tick(now);
		names_tick(now);
		cons_tick(now);
		requests_tick(now);
		cluster_tick(now);
		jobs_tick(now);
	}
}
