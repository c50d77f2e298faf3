/*
 * meshtest: services and clients for the mesh tests (tests/cluster), an
 * init service of nodes booted with aion.meshtest=ROLE[,ROLE...].
 *
 * Roles (servers run on threads of their own; clients run in order):
 *   echo           registers "echo": replies with the request's label,
 *                  words and payload (w0 = 0); label LABEL_BIG: a reply of
 *                  64 KiB + 1 bytes, more than a remote reply carries (logs
 *                  "echo big served": it ran); LABEL_BULK: echoes a payload
 *                  of up to 64 KiB in either form (libaion/meshmem.h) with
 *                  its checksum in w1 (logs "NAME bulk served len=N sum=S"
 *                  unless w2 says quiet: bulk.c)
 *   local-echo     the same service registered as "echo-N" (N: this node)
 *   echo-counted   "echo" that logs each call it served (the replay test)
 *   mailbox        registers "mailbox": PUT (caps[0]) keeps a capability,
 *                  GET hands it out again
 *   vault          the same, registered as "vault" (cap-give PUTs there
 *                  too, nobody GETs: the forged-call test's reference)
 *   echo-client    1000 calls by name to "echo", payloads of 1..300 bytes,
 *                  every reply checked; then one call whose reply is too
 *                  big (executed, AION_ETRUNC) and one whose request is
 *                  too big (64 KiB + 1: not executed, AION_ERANGE):
 *                  "echo-client big_reply=ERR big_request=ERR"
 *   bulk-client    400 B, 4 KiB and 64 KiB echoed by "echo-N" (local) and
 *                  "echo" (remote), every byte checked, then 64 KiB + 1
 *                  to "echo" (AION_ERANGE): one line (the mesh-bulk test)
 *   echo-loop:S    64-byte calls by name to "echo", one after the other,
 *                  every reply checked, for S seconds (a load for
 *                  bench/profile): "echo-loop calls=N bad=N seconds=S"
 *   echo-watch     calls "echo" every 20 ms until a call fails and logs
 *                  that error (the node-death test)
 *   cap-give       serves a counter on a new endpoint and PUTs a SEND-only
 *                  copy of it (no GRANT) into "mailbox", and one into
 *                  "vault" when a node serves it
 *   cap-take       GETs the capability from "mailbox", calls it, and checks
 *                  it cannot do more than SEND: a call carrying a capability
 *                  and a copy asking for GRANT must not give GRANT
 *   bench          round trips of 64 bytes to "echo-N" (local) and "echo"
 *                  (remote), each one's time logged, then 4 KiB and 64 KiB echoes
 *                  to each (bench/mesh)
 *   cap-churn:S    for S seconds (0: forever) passes capabilities back and
 *                  forth through "mailbox": each round PUTs a copy of its
 *                  own counter (a capability in a call), GETs what the
 *                  mailbox holds (a capability in a reply: its own or the
 *                  other churner's), calls it and closes it; a progress
 *                  line every CHURN_LOG rounds. While the kv key
 *                  "churn-pause" is 1 (checked every CHURN_CHECK rounds)
 *                  it pauses, so the host can read quiet tables
 *                  (bench/mesh-soak, mesh-soak)
 *   flood:N        2000 random and truncated datagrams to 10.77.0.N's meshd
 *   kv-deny        MESHD_KV on "mesh" as a plain unit: logs the refusal
 *   key-deny       tries the cluster key's admin endpoint as a plain unit
 *                  (lookup, MESHD_KEY on "mesh", an "admin." name): logs
 *                  each refusal
 *   kv-counter:N   looks "kv" up once, then N times ADD counter-NODE 1
 *                  (N = 0: until the key "stop" exists, checked every 100
 *                  acks), each write retried with its seq until it is
 *                  acknowledged and its answer checked against the last
 *                  one (lost or doubled updates); at the end GETs the
 *                  key. The proxy must follow a failover by itself (the
 *                  kv failover test, bench/failover)
 *   kv-counter-local:N  the same, but only once a lookup finds "kv" on
 *                  this node: the client holds what a local lookup gives
 * Every result is one log line "meshtest: ...". The kv-counter role is
 * kvcounter.c.
 */
#include "aion/kv.h"
#include "aion/mesh.h"
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "libaion/sockclient.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "common/xorshift.h"
#include "meshtest.h"

#define ROLES_MAX       6
#define STACK_PAGES     4
#define PRIO            100
#define ECHO_CALLS      1000
#define WATCH_PERIOD_NS (20 * MS)
#define BENCH_CALLS     300
/* The bench's calls carry 64 bytes, the Linux peer's UDP datagram (issue
 * 20 compares the two); the echo clients vary theirs (echo_len). */
#define BENCH_PAYLOAD   64
#define BULK_CALLS      100
#define FLOOD_COUNT     2000
#define CHURN_PERIOD_NS (50 * MS)
#define CHURN_LOG       100
#define CHURN_CHECK     10

#define LABEL_PUT       10
#define LABEL_GET       11

struct page_buf {
	struct aion_ipc_buffer b;
} __attribute__((aligned(4096)));

static struct page_buf bufs[ROLES_MAX + 1];
static char role_name[ROLES_MAX][24];

/* kv-deny: a unit that is none of kv's instances asks meshd to write to
 * the cluster's log directly (MESHD_KV): refused, by which error. */
static void kv_deny(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	static const uint8_t fields[] = { 1, 'k', 1, 'v' };
	struct aion_msg m = { .tag = AION_TAG(MESHD_KV, sizeof(fields), 0),
			      .w = { KV_PUT, 7, 1 } };
	memcpy(b->payload, fields, sizeof(fields));
	int64_t err = aion_call(mesh, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	aion_printf("meshtest: kv-deny err=%s", err ? aion_error_name(err) : "none");
}
/* key-deny: a unit may neither find meshd's admin endpoint nor change
 * the key through "mesh" (both EPERM: aion/mesh.h MESHD_KEY), nor stand
 * in for a service under an admin name. */
static void key_deny(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	int64_t h = init_lookup(SVC_INIT_EP, b, INIT_ADMIN_NAME_PREFIX "meshd", 0);
	int64_t lookup = h < 0 ? h : 0;
	if (h >= 0)
		aion_handle_close((aion_handle_t)h);
	struct aion_msg m = { .tag = AION_TAG(MESHD_KEY, ipc_put_text(b, "use"), 0) };
	int64_t call = aion_call(mesh, &m, 0);
	if (!call)
		call = (int64_t)m.w[0];
	int64_t ep = aion_endpoint_create();
	int64_t reg = ep < 0 ? ep : init_register(SVC_INIT_EP, b, INIT_ADMIN_NAME_PREFIX "meshd",
						   (aion_handle_t)ep, AION_RIGHT_SEND);
	aion_printf("meshtest: key-deny lookup=%s call=%s register=%s",
		    lookup ? aion_error_name(lookup) : "none", call ? aion_error_name(call) : "none",
		    reg ? aion_error_name(reg) : "none");
}

static unsigned nroles;
unsigned self_node;

static void sleep_forever(void)
{
	for (;;)
		aion_sleep_ns(3600 * SEC);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

uint64_t rnd(void)
{
	return xorshift64(&rng_state);
}

int64_t lookup_wait(struct aion_ipc_buffer *b, aion_handle_t mesh, const char *name,
		    aion_handle_t *cap, unsigned *node)
{
	uint64_t end = aion_clock_ns() + LOOKUP_FOR_NS;
	for (;;) {
		int64_t err = mesh_lookup(mesh, b, name, cap, node);
		if (!err || aion_clock_ns() >= end)
			return err;
		aion_sleep_ns(200 * MS);
	}
}

/* ---- servers ---- */

struct box {
	aion_handle_t cap;
};

/* counted: log every call served ("meshtest: echo served n=N"), so a test
 * can tell a call that ran twice (the replay test). */
static int64_t serve(struct aion_ipc_buffer *b, unsigned thread, const char *name, int mailbox,
		     int counted)
{
	uint64_t served = 0;
	aion_handle_t mesh;
	struct box box = { 0 };
	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : mesh_connect(b, LOOKUP_FOR_NS, &mesh);
	if (!err)
		err = mesh_register(mesh, b, name, (aion_handle_t)ep,
				    AION_RIGHT_SEND | AION_RIGHT_GRANT);
	if (err) {
		aion_printf("meshtest: %s register failed err=%s", name, aion_error_name(err));
		return err;
	}
	aion_printf("meshtest: %s ready", name);
	struct aion_msg m;
	aion_handle_t made = 0;         /* a reply's memory object, closed once it went */
	err = aion_recv((aion_handle_t)ep, &m, 0);
	while (!err) {
		if (made)
			aion_handle_close(made);
		made = 0;
		uint32_t label = AION_TAG_LABEL(m.tag);
		unsigned len = AION_TAG_LEN(m.tag), ncaps = AION_TAG_CAPS(m.tag);
		struct aion_msg r = { .tag = AION_TAG(label, len, 0), .w = { 0, m.w[1], m.w[2] } };
		if (!mailbox && (label == LABEL_BIG || label == LABEL_BULK)) {
			int64_t e = bulk_serve(b, thread, name, &m, &r, &made);
			if (e) {
				r = (struct aion_msg){ .tag = AION_TAG(label, 0, 0),
						       .w = { (uint64_t)e } };
			}
		} else if (mailbox && label == LABEL_PUT && ncaps == 1) {
			if (box.cap)
				aion_handle_close(box.cap);
			box.cap = b->caps[0];
			r.tag = AION_TAG(label, 0, 0);
			aion_printf("meshtest: mailbox put");
		} else if (mailbox && label == LABEL_GET && box.cap) {
			b->caps[0] = box.cap;
			b->cap_rights[0] = AION_RIGHTS_ALL;
			r.tag = AION_TAG(label, 0, 1);
		} else if (mailbox) {
			for (unsigned i = 0; i < ncaps; i++)
				aion_handle_close(b->caps[i]);
			r.tag = AION_TAG(label, 0, 0);
			r.w[0] = (uint64_t)-AION_ENOENT;
		} else {
			for (unsigned i = 0; i < ncaps; i++)
				aion_handle_close(b->caps[i]);
			if (counted)
				aion_printf("meshtest: %s served n=%lu", name, (unsigned long)++served);
		}
		m = r;
		err = aion_reply_recv((aion_handle_t)ep, &m, 0);
		if (err == -AION_ERIGHTS) {
			/* The call accepted fewer capabilities than the reply
			 * carried: the caller still waits, and learns why. */
			m = (struct aion_msg){ .tag = AION_TAG(label, 0, 0),
					       .w = { (uint64_t)-AION_ERIGHTS } };
			err = aion_reply_recv((aion_handle_t)ep, &m, 0);
		}
	}
	aion_printf("meshtest: %s ends err=%s", name, aion_error_name(err));
	return err;
}

#define COUNTER_QUIET   (1ull << 63)    /* in counter's arg: no line per call */

/* The counter of cap-give (and cap-churn, quiet): w1 = calls so far. */
static int64_t counter(uint64_t arg)
{
	struct aion_ipc_buffer *b = &bufs[ROLES_MAX].b;
	uint64_t ep = arg & ~COUNTER_QUIET;
	uint64_t n = 0;
	struct aion_msg m;
	int64_t err = aion_ipc_buffer(b);
	if (!err)
		err = aion_recv((aion_handle_t)ep, &m, 0);
	while (!err) {
		for (unsigned i = 0; i < AION_TAG_CAPS(m.tag); i++)
			aion_handle_close(b->caps[i]);
		struct aion_msg r = { .tag = AION_TAG(0, 0, 0), .w = { 0, ++n } };
		if (!(arg & COUNTER_QUIET))
			aion_printf("meshtest: counter served n=%lu", (unsigned long)n);
		m = r;
		err = aion_reply_recv((aion_handle_t)ep, &m, 0);
	}
	return err;
}

/* ---- clients ---- */

static unsigned echo_len(unsigned i)
{
	return 1 + (i * 37u + self_node * 11u) % 300;
}

static uint8_t echo_byte(unsigned i, unsigned k)
{
	return (uint8_t)(i * 7u + k * 13u + self_node);
}

/* One echo call with payload pattern i: 0 if the reply matches. */
static int64_t echo_once(struct aion_ipc_buffer *b, aion_handle_t svc, unsigned i,
			 unsigned len)
{
	for (unsigned k = 0; k < len; k++)
		b->payload[k] = echo_byte(i, k);
	struct aion_msg m = { .tag = AION_TAG(7, len, 0), .w = { 0, i, ~(uint64_t)i } };
	int64_t err = aion_call(svc, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	if (err)
		return err;
	if (AION_TAG_LABEL(m.tag) != 7 || AION_TAG_LEN(m.tag) != len || m.w[1] != i ||
	    m.w[2] != ~(uint64_t)i)
		return -AION_EMALFORMED;
	for (unsigned k = 0; k < len; k++)
		if (b->payload[k] != echo_byte(i, k))
			return -AION_EMALFORMED;
	return 0;
}

/* "echo" by name for role (lookup_wait); a failure is logged for it. */
static int64_t echo_lookup(struct aion_ipc_buffer *b, aion_handle_t mesh, const char *role,
			   aion_handle_t *svc, unsigned *node)
{
	int64_t err = lookup_wait(b, mesh, "echo", svc, node);
	if (err)
		aion_printf("meshtest: %s lookup failed err=%s", role, aion_error_name(err));
	return err;
}

static void echo_client(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	aion_handle_t svc;
	unsigned node = 0, ok = 0, bad = 0;
	int64_t err = echo_lookup(b, mesh, "echo-client", &svc, &node);
	if (err)
		return;
	uint64_t t0 = aion_clock_ns(), worst = 0;
	int64_t first_err = 0;
	for (unsigned i = 0; i < ECHO_CALLS; i++) {
		uint64_t t = aion_clock_ns();
		err = echo_once(b, svc, i, echo_len(i));
		t = aion_clock_ns() - t;
		worst = t > worst ? t : worst;
		if (err) {
			bad++;
			first_err = first_err ? first_err : err;
		} else {
			ok++;
		}
	}
	uint64_t us = (aion_clock_ns() - t0) / 1000;
	aion_printf("meshtest: echo-client calls=%u ok=%u bad=%u node=%u us_mean=%lu us_max=%lu "
		    "first_err=%s", ECHO_CALLS, ok, bad, node, (unsigned long)(us / ECHO_CALLS),
		    (unsigned long)(worst / 1000), first_err ? aion_error_name(first_err) : "none");
	/* Each error's "executed or not" (docs/mesh.md). */
	struct aion_msg m = { .tag = AION_TAG(LABEL_BIG, 1, 0) };
	b->payload[0] = 's';
	int64_t big_reply = aion_call(svc, &m, 0);
	if (!big_reply)
		big_reply = (int64_t)m.w[0];
	int64_t big_request = bulk_once(b, svc, 0, MESH_BULK_DATA_MAX + 1, 0);
	aion_printf("meshtest: echo-client big_reply=%s big_request=%s",
		    big_reply ? aion_error_name(big_reply) : "none",
		    big_request ? aion_error_name(big_request) : "none");
}

/* 64-byte calls to "echo", one after the other, for seconds (bench/profile). */
static void echo_loop(struct aion_ipc_buffer *b, aion_handle_t mesh, unsigned seconds)
{
	aion_handle_t svc;
	unsigned node = 0, calls = 0, bad = 0;
	if (echo_lookup(b, mesh, "echo-loop", &svc, &node))
		return;
	uint64_t end = aion_clock_ns() + seconds * 1000000000ull;
	for (unsigned i = 0; aion_clock_ns() < end; i++, calls++)
		bad += echo_once(b, svc, i, 64) != 0;
	aion_printf("meshtest: echo-loop calls=%u bad=%u seconds=%u", calls, bad, seconds);
}

/* Calls "echo" every 20 ms until a call fails: the error a client sees when
 * the node dies, and when (the node-death test). */
static void echo_watch(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	aion_handle_t svc;
	int64_t err = echo_lookup(b, mesh, "echo-watch", &svc, NULL);
	if (err)
		return;
	aion_printf("meshtest: echo-watch started");
	for (unsigned i = 0;; i++) {
		uint64_t t0 = aion_clock_ns();
		err = echo_once(b, svc, i, echo_len(i));
		if (err) {
			aion_printf("meshtest: echo-watch err=%s call_ms=%lu", aion_error_name(err),
				    (unsigned long)((aion_clock_ns() - t0) / MS));
			return;
		}
		aion_sleep_ns(WATCH_PERIOD_NS);
	}
}

static void cap_give(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	aion_handle_t box;
	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : lookup_wait(b, mesh, "mailbox", &box, NULL);
	uint64_t top = err ? 0 : aion_stack_alloc(STACK_PAGES);
	if (!err && !top)
		err = -AION_ENOMEM;
	if (!err) {
		int64_t t = aion_thread_spawn(counter, (uint64_t)ep, top, PRIO);
		err = t < 0 ? t : 0;
	}
	if (!err) {
		b->caps[0] = (aion_handle_t)ep;
		b->cap_rights[0] = AION_RIGHT_SEND;     /* no GRANT, no RECV */
		struct aion_msg m = { .tag = AION_TAG(LABEL_PUT, 0, 1) };
		err = aion_call(box, &m, 0);
		if (!err)
			err = (int64_t)m.w[0];
	}
	/* Each served name is registered by its own thread on node 2: "mailbox"
	 * answering says nothing about "vault" yet, so this waits for it too. */
	aion_handle_t vault;
	int64_t verr = err ? err : lookup_wait(b, mesh, "vault", &vault, NULL);
	if (!verr) {
		b->caps[0] = (aion_handle_t)ep;
		b->cap_rights[0] = AION_RIGHT_SEND;
		struct aion_msg m = { .tag = AION_TAG(LABEL_PUT, 0, 1) };
		verr = aion_call(vault, &m, 0);
		if (!verr)
			verr = (int64_t)m.w[0];
	}
	aion_printf("meshtest: cap-give put err=%s rights=0x%x vault=%s",
		    err ? aion_error_name(err) : "none", AION_RIGHT_SEND,
		    verr ? aion_error_name(verr) : "none");
}

/* A counter of our own on a new endpoint, served by a thread of its own. */
static int64_t start_counter(int64_t *ep)
{
	*ep = aion_endpoint_create();
	if (*ep < 0)
		return *ep;
	uint64_t top = aion_stack_alloc(STACK_PAGES);
	if (!top)
		return -AION_ENOMEM;
	int64_t t = aion_thread_spawn(counter, (uint64_t)*ep | COUNTER_QUIET, top, PRIO);
	return t < 0 ? t : 0;
}

static int64_t churn_round(struct aion_ipc_buffer *b, aion_handle_t box, aion_handle_t ep)
{
	b->caps[0] = ep;
	b->cap_rights[0] = AION_RIGHT_SEND | AION_RIGHT_GRANT;
	struct aion_msg m = { .tag = AION_TAG(LABEL_PUT, 0, 1) };
	int64_t err = aion_call(box, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	if (err)
		return err;
	m = (struct aion_msg){ .tag = AION_TAG(LABEL_GET, 0, 0) | AION_TAG_ACCEPT(1) };
	err = aion_call(box, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	if (err || AION_TAG_CAPS(m.tag) != 1)
		return err ? err : -AION_ENOENT;
	aion_handle_t cap = b->caps[0];
	struct aion_msg c = { .tag = AION_TAG(0, 0, 0) };
	err = aion_call(cap, &c, 0);
	if (!err)
		err = (int64_t)c.w[0];
	aion_handle_close(cap);
	return err;
}

/* Is the kv key "churn-pause" 1? (kv is looked up on the first ask that finds it.) */
static int churn_paused(struct aion_ipc_buffer *b, aion_handle_t mesh, aion_handle_t *kv)
{
	static const char *const key[] = { "churn-pause" };
	char out[KV_VALUE_MAX + 1];
	uint64_t epoch;
	if (!*kv && mesh_lookup(mesh, b, "kv", kv, NULL))
		return 0;
	return !mesh_kv_call(*kv, b, KV_GET, 0, 0, key, 1, out, sizeof(out), &epoch) &&
	       !strcmp(out, "1");
}

static void cap_churn(struct aion_ipc_buffer *b, aion_handle_t mesh, unsigned seconds)
{
	aion_handle_t kv = 0;
	aion_handle_t box;
	int64_t ep = 0;
	int64_t err = lookup_wait(b, mesh, "mailbox", &box, NULL);
	if (!err)
		err = start_counter(&ep);
	if (err) {
		aion_printf("meshtest: cap-churn failed err=%s", aion_error_name(err));
		return;
	}
	uint64_t end = seconds ? aion_clock_ns() + (uint64_t)seconds * SEC : 0;
	uint64_t rounds = 0, errs = 0;
	int64_t first = 0;
	aion_printf("meshtest: cap-churn started node=%u seconds=%u", self_node, seconds);
	while (!end || aion_clock_ns() < end) {
		err = churn_round(b, box, (aion_handle_t)ep);
		rounds++;
		if (err) {
			errs++;
			first = first ? first : err;
		}
		if (rounds % CHURN_LOG == 0)
			aion_printf("meshtest: cap-churn rounds=%lu errs=%lu first_err=%s",
				    (unsigned long)rounds, (unsigned long)errs,
				    first ? aion_error_name(first) : "none");
		aion_sleep_ns(CHURN_PERIOD_NS);
		if (rounds % CHURN_CHECK == 0 && churn_paused(b, mesh, &kv)) {
			aion_printf("meshtest: cap-churn paused rounds=%lu", (unsigned long)rounds);
			while (churn_paused(b, mesh, &kv))
				aion_sleep_ns(4 * CHURN_PERIOD_NS);
			aion_printf("meshtest: cap-churn resumed");
		}
	}
	aion_printf("meshtest: cap-churn done rounds=%lu errs=%lu first_err=%s",
		    (unsigned long)rounds, (unsigned long)errs, first ? aion_error_name(first) : "none");
}

static void cap_take(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	aion_handle_t box, cap = 0;
	int64_t err = lookup_wait(b, mesh, "mailbox", &box, NULL);
	uint64_t end = aion_clock_ns() + LOOKUP_FOR_NS;
	while (!err) {
		struct aion_msg m = { .tag = AION_TAG(LABEL_GET, 0, 0) | AION_TAG_ACCEPT(1) };
		err = aion_call(box, &m, 0);
		if (!err)
			err = (int64_t)m.w[0];
		if (!err && AION_TAG_CAPS(m.tag) == 1) {
			cap = b->caps[0];
			break;
		}
		if (err == -AION_ENOENT && aion_clock_ns() < end) {
			err = 0;
			aion_sleep_ns(200 * MS);
		}
	}
	if (err) {
		aion_printf("meshtest: cap-take get failed err=%s", aion_error_name(err));
		return;
	}
	struct aion_cap_info ci;
	aion_cap_info(cap, &ci);

	struct aion_msg m = { .tag = AION_TAG(0, 0, 0) };
	int64_t call = aion_call(cap, &m, 0);
	if (!call)
		call = (int64_t)m.w[0];
	uint64_t count = m.w[1];

	/* More than it had: carry a capability (needs GRANT), or copy with GRANT. */
	b->caps[0] = cap;
	b->cap_rights[0] = AION_RIGHT_SEND;
	struct aion_msg g = { .tag = AION_TAG(0, 0, 1) };
	int64_t grant = aion_call(cap, &g, 0);
	if (!grant)
		grant = (int64_t)g.w[0];
	struct aion_cap_info cc = { 0 };
	int64_t copy = aion_cap_copy(cap, AION_RIGHTS_ALL);
	if (copy > 0)
		aion_cap_info((aion_handle_t)copy, &cc);
	aion_printf("meshtest: cap-take rights=0x%x call=%s counter=%lu grant_call=%s "
		    "copy_rights=0x%x", ci.rights, call ? aion_error_name(call) : "ok",
		    (unsigned long)count, grant ? aion_error_name(grant) : "ok", cc.rights);
}

/* BENCH_CALLS round trips on svc, each timed into ns[]: 0, or the first
 * failure's error with *at its call. */
static int64_t bench_one(struct aion_ipc_buffer *b, aion_handle_t svc, uint64_t *ns,
			 unsigned *at)
{
	for (unsigned i = 0; i < BENCH_CALLS; i++) {
		uint64_t t = aion_clock_ns();
		int64_t err = echo_once(b, svc, i, BENCH_PAYLOAD);
		if (err) {
			*at = i;
			return err;
		}
		ns[i] = aion_clock_ns() - t;
	}
	return 0;
}

/* BULK_CALLS echoed round trips of len bytes on svc, timed into ns[]. */
static int64_t bench_bulk(struct aion_ipc_buffer *b, aion_handle_t svc, uint32_t len,
			  uint64_t *ns, unsigned *at)
{
	for (unsigned i = 0; i < BULK_CALLS; i++) {
		uint64_t t = aion_clock_ns();
		int64_t err = bulk_once(b, svc, i, len, BULK_QUIET);
		if (err) {
			*at = i;
			return err;
		}
		ns[i] = aion_clock_ns() - t;
	}
	return 0;
}

/* The 4 KiB and 64 KiB rows: local and remote, a warm-up round then the
 * measured one; samples logged as target=local-4096 etc. 0 or the error
 * (logged). */
static int64_t bench_large(struct aion_ipc_buffer *b, const aion_handle_t *svc)
{
	static const uint32_t sizes[2] = { 4096, MESH_BULK_DATA_MAX };
	static const char *const target[2] = { "local", "remote" };
	static uint64_t ns[2][2][BULK_CALLS];
	for (unsigned round = 0; round < 2; round++)
		for (unsigned s = 0; s < 2; s++)
			for (unsigned k = 0; k < 2; k++) {
				unsigned at = 0;
				int64_t err = bench_bulk(b, svc[k], sizes[s], ns[s][k], &at);
				if (err) {
					aion_printf("meshtest: bench failed target=%s-%u call=%u "
						    "round=%s err=%s", target[k], sizes[s], at,
						    round ? "measured" : "warm-up", aion_error_name(err));
					return err;
				}
			}
	for (unsigned s = 0; s < 2; s++)
		for (unsigned k = 0; k < 2; k++) {
			char head[64];
			fmt_snprintf(head, sizeof(head), "meshtest: bench samples target=%s-%u",
				     target[k], sizes[s]);
			aion_log_samples(head, "ns", ns[s][k], BULK_CALLS);
		}
	return 0;
}

/* Round trips to "echo-N" (local) and "echo" (remote): a warm-up round of
 * each, then the measured one; then the large payloads (bench_large). A
 * failed call ends the bench with one line naming it, and no samples: a
 * failure has no time. */
static void bench(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	static uint64_t ns[2][BENCH_CALLS];
	static const char *const target[2] = { "local", "remote" };
	char local[24];
	const char *name[2] = { local, "echo" };
	aion_handle_t svc[2];
	fmt_snprintf(local, sizeof(local), "echo-%u", self_node);
	for (unsigned k = 0; k < 2; k++) {
		int64_t err = lookup_wait(b, mesh, name[k], &svc[k], NULL);
		if (err) {
			aion_printf("meshtest: bench failed target=%s name=%s lookup err=%s",
				    target[k], name[k], aion_error_name(err));
			return;
		}
	}
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned k = 0; k < 2; k++) {
			unsigned at = 0;
			int64_t err = bench_one(b, svc[k], ns[k], &at);
			if (err) {
				aion_printf("meshtest: bench failed target=%s name=%s call=%u "
					    "round=%s err=%s", target[k], name[k], at,
					    round ? "measured" : "warm-up", aion_error_name(err));
				return;
			}
		}
	}
	for (unsigned k = 0; k < 2; k++) {
		char head[48];
		fmt_snprintf(head, sizeof(head), "meshtest: bench samples target=%s", target[k]);
		aion_log_samples(head, "ns", ns[k], BENCH_CALLS);
	}
	if (bench_large(b, svc))
		return;
	aion_printf("meshtest: bench done calls=%u bulk_calls=%u", BENCH_CALLS, BULK_CALLS);
}

/* Random and truncated datagrams at a meshd: only its drop counters may move. */
static void flood(struct aion_ipc_buffer *b, unsigned node)
{
	struct sock_ctx ctx;
	aion_handle_t sock;
	static uint8_t pkt[AION_IPC_PAYLOAD_MAX];
	int64_t err = sock_init(&ctx, b);
	if (!err)
		err = sock_udp_open(&ctx, 0, &sock);
	unsigned sent = 0;
	uint32_t addr = sock_ipv4(10, 77, 0, (uint8_t)node);
	for (unsigned i = 0; !err && i < FLOOD_COUNT; i++) {
		size_t len = rnd() % (sizeof(pkt) + 1);
		for (size_t k = 0; k < len; k++)
			pkt[k] = (uint8_t)rnd();
		if (i % 2 && len >= 23) {
			/* A header that looks right (magic, version, a known type), then garbage. */
			pkt[0] = 'A';
			pkt[1] = 'M';
			pkt[2] = 1;
			pkt[3] = (uint8_t)(1 + rnd() % 8);
			pkt[4] = 0;
		}
		err = sock_sendto(&ctx, sock, addr, MESH_PORT, pkt, len);
		if (!err)
			sent++;
		if (i % 8 == 7)
			aion_sleep_ns(2 * MS);  /* stay under netd's queue */
	}
	aion_printf("meshtest: flood node=%u sent=%u err=%s", node, sent,
		    err ? aion_error_name(err) : "none");
}

static int64_t server_thread(uint64_t i)
{
	struct aion_ipc_buffer *b = &bufs[i + 1].b;
	char name[24];
	int64_t err = aion_ipc_buffer(b);
	if (err)
		return err;
	const char *r = role_name[i];
	if (!strcmp(r, "local-echo")) {
		fmt_snprintf(name, sizeof(name), "echo-%u", self_node);
		return serve(b, (unsigned)i + 1, name, 0, 0);
	}
	if (!strcmp(r, "echo-counted"))
		return serve(b, (unsigned)i + 1, "echo", 0, 1);
	return serve(b, (unsigned)i + 1, r, !strcmp(r, "mailbox") || !strcmp(r, "vault"), 0);
}

static int is_server(const char *r)
{
	return !strcmp(r, "echo") || !strcmp(r, "local-echo") || !strcmp(r, "mailbox") ||
	       !strcmp(r, "echo-counted") ||
	       !strcmp(r, "vault");
}

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char v[AION_ARGS_MAX], n[16];
	struct aion_ipc_buffer *b = &bufs[0].b;
	aion_handle_t mesh;

	if (st->magic != AION_STARTUP_MAGIC || !cmdline_get(st->args, "meshtest", v, sizeof(v)) ||
	    !v[0] || !cmdline_get(st->args, "node", n, sizeof(n))) {
		aion_printf("meshtest: no roles (meshtest=ROLE[,ROLE...])");
		sleep_forever();
	}
	self_node = (unsigned)cmdline_decimal(n);
	rng_state ^= (uint64_t)self_node << 32;
	for (char *p = v; *p && nroles < ROLES_MAX;) {
		unsigned k = 0;
		while (*p && *p != ',' && k < sizeof(role_name[0]) - 1)
			role_name[nroles][k++] = *p++;
		role_name[nroles++][k] = '\0';
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
	for (unsigned i = 0; i < nroles; i++) {
		if (!is_server(role_name[i]))
			continue;
		uint64_t top = aion_stack_alloc(STACK_PAGES);
		int64_t t = top ? aion_thread_spawn(server_thread, i, top, PRIO) : -AION_ENOMEM;
		if (t < 0)
			aion_printf("meshtest: thread failed err=%s", aion_error_name(t));
	}
	int64_t err = aion_ipc_buffer(b);
	if (!err)
		err = mesh_connect(b, LOOKUP_FOR_NS, &mesh);
	if (err) {
		aion_printf("meshtest: mesh connect failed err=%s", aion_error_name(err));
		sleep_forever();
	}
	for (unsigned i = 0; i < nroles; i++) {
		const char *r = role_name[i];
		if (!strcmp(r, "echo-client"))
			echo_client(b, mesh);
		else if (!strcmp(r, "echo-watch"))
			echo_watch(b, mesh);
		else if (!strcmp(r, "cap-give"))
			cap_give(b, mesh);
		else if (!strcmp(r, "cap-take"))
			cap_take(b, mesh);
		else if (!strcmp(r, "bulk-client"))
			bulk_client(b, mesh);
		else if (!strcmp(r, "bench"))
			bench(b, mesh);
		else if (!strncmp(r, "flood:", 6))
			flood(b, (unsigned)(r[6] - '0'));
		else if (!strcmp(r, "kv-deny"))
			kv_deny(b, mesh);
		else if (!strcmp(r, "key-deny"))
			key_deny(b, mesh);
		else if (!strncmp(r, "echo-loop:", 10))
			echo_loop(b, mesh, (unsigned)cmdline_decimal(r + 10));
		else if (!strncmp(r, "cap-churn:", 10))
			cap_churn(b, mesh, (unsigned)cmdline_decimal(r + 10));
		else if (!strncmp(r, "kv-counter:", 11))
			kv_counter(b, mesh, (unsigned)cmdline_decimal(r + 11), 0);
		else if (!strncmp(r, "kv-counter-local:", 17))
			kv_counter(b, mesh, (unsigned)cmdline_decimal(r + 17), 1);
		else if (!is_server(r))
			aion_printf("meshtest: unknown role %s", r);
	}
	aion_printf("meshtest: clients done");
	sleep_forever();
	return 0;
}
