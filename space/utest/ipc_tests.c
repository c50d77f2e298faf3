/*
 * Capabilities and IPC seen from user mode: exact errors for bad handles
 * and missing rights, revocation across units, moves, badges, deferred
 * replies, timeouts, priority inheritance, dead peers, notifications.
 */
#include "utest.h"
#include "common/xorshift.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	return xorshift64(&rng);
}

/* Random handles fail with ECAP; missing rights with ERIGHTS; types with ETYPE. */
void test_caps(void)
{
	struct aion_cap_info ci;
	struct aion_msg m = { 0 };
	int64_t ep = aion_endpoint_create();
	unsigned random_ok = 0, tries = 10000;

	if (ep < 0)
		FAIL("caps", "endpoint_create err=%s", aion_error_name(ep));
	for (unsigned i = 0; i < tries; i++) {
		aion_handle_t h = (aion_handle_t)next_random();
		if (h == AION_HANDLE_SELF || h == (aion_handle_t)ep)
			continue;
		random_ok += aion_cap_info(h, &ci) == -AION_ECAP &&
			     aion_call(h, &m, 1000) == -AION_ECAP;
	}
	int64_t send = aion_cap_copy((aion_handle_t)ep, AION_RIGHT_SEND);
	int64_t wider = aion_cap_copy((aion_handle_t)send, AION_RIGHTS_ALL);
	aion_cap_info((aion_handle_t)wider, &ci);
	int64_t recv_err = aion_recv((aion_handle_t)send, &m, 1000);
	int64_t type_err = aion_recv(AION_HANDLE_SELF, &m, 1000);
	int64_t reader = aion_cap_copy(AION_HANDLE_SELF, AION_RIGHT_READ);
	int64_t destroy_err = aion_unit_destroy((aion_handle_t)reader);
	int64_t badged = aion_cap_mint((aion_handle_t)ep, AION_RIGHT_SEND, 0x55);
	int64_t remint_err = aion_cap_mint((aion_handle_t)badged, AION_RIGHT_SEND, 0x66);
	int64_t self_close = aion_handle_close(AION_HANDLE_SELF);

	aion_handle_close((aion_handle_t)reader);
	aion_handle_close((aion_handle_t)ep);
	if (random_ok < tries - 2 || ci.rights != AION_RIGHT_SEND ||
	    recv_err != -AION_ERIGHTS || type_err != -AION_ETYPE ||
	    destroy_err != -AION_ERIGHTS || remint_err != -AION_EPERM ||
	    self_close != -AION_EPERM)
		FAIL("caps", "random_ecap=%u/%u copy_rights=0x%x recv=%s type=%s destroy=%s remint=%s self_close=%s",
		     random_ok, tries, ci.rights, aion_error_name(recv_err),
		     aion_error_name(type_err), aion_error_name(destroy_err),
		     aion_error_name(remint_err), aion_error_name(self_close));
	utest_ok("caps", "random_ecap=%u/%u copy_rights=0x%x recv=%s type=%s destroy=%s remint=%s",
		 random_ok, tries, ci.rights, aion_error_name(recv_err), aion_error_name(type_err),
		 aion_error_name(destroy_err), aion_error_name(remint_err));
}

/* A copy given to another unit stops working when its ancestor is revoked. */
void test_revoke(void)
{
	struct aion_msg m;
	struct aion_unit_info info;
	aion_handle_t u, t;
	unsigned served = 0;
	bool badge_ok = true;

	int64_t ep = aion_endpoint_create();
	int64_t minted = aion_cap_mint((aion_handle_t)ep, AION_RIGHT_SEND, 0x1234);
	int64_t err = utest_spawn_with_cap(ROLE_CLIENT, 100, (aion_handle_t)minted,
					   AION_RIGHTS_ALL, &u, &t);
	if (ep < 0 || minted < 0 || err)
		FAIL("revoke", "setup err=%s", aion_error_name(err));
	for (; served < 3; served++) {
		if (aion_recv((aion_handle_t)ep, &m, 2000 * MS))
			break;
		badge_ok &= m.badge == 0x1234;
		aion_reply(&m);
	}
	aion_sleep_ns(10 * MS);         /* the client is now blocked in call #4 */
	err = aion_cap_revoke((aion_handle_t)ep);
	struct aion_cap_info ci;
	int64_t own_copy = aion_cap_info((aion_handle_t)minted, &ci);
	if (!aion_recv((aion_handle_t)ep, &m, 2000 * MS))     /* a call made with a valid cap */
		aion_reply(&m);
	int64_t wait = aion_unit_wait(u, 2000 * MS, &info);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)ep);
	if (served != 3 || !badge_ok || err || own_copy != -AION_ECAP || wait ||
	    info.exit_code != AION_ECAP)
		FAIL("revoke", "served=%u badge_ok=%d revoke=%s own_copy=%s child_exit=%d",
		     served, badge_ok, aion_error_name(err), aion_error_name(own_copy),
		     info.exit_code);
	utest_ok("revoke", "served=%u badge=0x1234 child_exit=%s own_copy=%s", served,
		 aion_error_name(-info.exit_code), aion_error_name(own_copy));
}

static struct aion_ipc_buffer buf __attribute__((aligned(4096)));

/* A capability moved to us leaves the sender; its badge tells who sent it. */
void test_move(void)
{
	struct aion_msg m;
	struct aion_unit_info info;
	struct aion_cap_info ci = { 0 };
	aion_handle_t u, t;

	int64_t ep = aion_endpoint_create();
	int64_t minted = aion_cap_mint((aion_handle_t)ep, AION_RIGHT_SEND | AION_RIGHT_GRANT, 0xb0b);
	int64_t err = aion_ipc_buffer(&buf);
	if (!err)
		err = utest_spawn_with_cap(ROLE_MOVER, 100, (aion_handle_t)minted,
					   AION_RIGHTS_ALL, &u, &t);
	if (err)
		FAIL("move", "setup err=%s", aion_error_name(err));
	err = aion_recv((aion_handle_t)ep, &m, 2000 * MS);
	unsigned ncaps = AION_TAG_CAPS(m.tag);
	aion_handle_t got = buf.caps[0];
	int64_t info_err = aion_cap_info(got, &ci);
	aion_reply(&(struct aion_msg){ 0 });
	int64_t wait = aion_unit_wait(u, 2000 * MS, &info);
	/* The endpoint lives on the mover's quota: gone first, the mover's
	 * destruction leaves nothing charged to it (no `destroy shared`). */
	aion_handle_close(got);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)minted);
	aion_handle_close((aion_handle_t)ep);
	aion_ipc_buffer(NULL);
	if (err || m.badge != 0xb0b || ncaps != 1 || info_err ||
	    ci.type != AION_OBJ_ENDPOINT || ci.rights != AION_RIGHTS_ALL || wait ||
	    info.exit_code != 0)
		FAIL("move", "recv=%s badge=0x%lx ncaps=%u got_type=%u got_rights=0x%x sender_exit=%d",
		     aion_error_name(err), (unsigned long)m.badge, ncaps, ci.type, ci.rights,
		     info.exit_code);
	utest_ok("move", "badge=0x%lx ncaps=%u got_type=%u sender_lost_it=1",
		 (unsigned long)m.badge, ncaps, ci.type);
}

static volatile int64_t saved_reply;
static volatile int64_t deferred_result, second_reply;

static int64_t saving_server(uint64_t ep)
{
	struct aion_msg m;
	if (aion_recv((aion_handle_t)ep, &m, 0))
		return 1;
	saved_reply = aion_reply_save();        /* answer later, from elsewhere */
	return 0;
}

static int64_t answering_thread(uint64_t arg)
{
	(void)arg;
	while (!saved_reply)
		aion_sleep_ns(MS);
	struct aion_msg r = { .tag = AION_TAG(9, 0, 0), .w = { 42, 0, 0 } };
	deferred_result = aion_reply_to((aion_handle_t)saved_reply, &r);
	second_reply = aion_reply_to((aion_handle_t)saved_reply, &r);
	return 0;
}

/* A reply saved by one thread and sent by another reaches the caller. */
void test_deferred(void)
{
	int64_t ep = aion_endpoint_create();
	saved_reply = 0;
	int64_t s = aion_thread_spawn(saving_server, (uint64_t)ep, aion_stack_alloc(4), 140);
	int64_t r = aion_thread_spawn(answering_thread, 0, aion_stack_alloc(4), 120);
	struct aion_msg m = { .tag = AION_TAG(1, 0, 0), .w = { 7, 0, 0 } };
	int64_t err = aion_call((aion_handle_t)ep, &m, 2000 * MS);

	aion_sleep_ns(10 * MS);
	aion_handle_close((aion_handle_t)s);
	aion_handle_close((aion_handle_t)r);
	aion_handle_close((aion_handle_t)ep);
	if (err || m.w[0] != 42 || AION_TAG_LABEL(m.tag) != 9 || saved_reply <= 0 ||
	    deferred_result || second_reply != -AION_ECAP)
		FAIL("deferred", "call=%s w0=%lu label=%u saved=%ld reply_to=%s again=%s",
		     aion_error_name(err), (unsigned long)m.w[0], AION_TAG_LABEL(m.tag),
		     (long)saved_reply, aion_error_name(deferred_result),
		     aion_error_name(second_reply));
	utest_ok("deferred", "w0=%lu label=%u second_reply_to=%s", (unsigned long)m.w[0],
		 AION_TAG_LABEL(m.tag), aion_error_name(second_reply));
}

/*
 * A call to a server that never answers returns -AION_ETIMEDOUT, never
 * before its timeout and within TIMEOUT_SLACK times it: a busy host
 * delays the guest's wake-ups (the guest clock follows host time), so the
 * upper bound only catches a timeout that was lost or pushed far back.
 */
#define TIMEOUT_TAKEN_NS        (50 * MS)
#define TIMEOUT_NOBODY_NS       (30 * MS)
#define TIMEOUT_SLACK           4

static bool timed_out_on_time(int64_t err, uint64_t took, uint64_t timeout)
{
	return err == -AION_ETIMEDOUT && took >= timeout && took <= TIMEOUT_SLACK * timeout;
}

void test_timeout(void)
{
	int64_t ep = aion_endpoint_create();
	saved_reply = 0;
	int64_t s = aion_thread_spawn(saving_server, (uint64_t)ep, aion_stack_alloc(4), 140);
	struct aion_msg m = { 0 };
	uint64_t t0 = aion_clock_ns();
	int64_t taken = aion_call((aion_handle_t)ep, &m, TIMEOUT_TAKEN_NS);
	uint64_t d_taken = aion_clock_ns() - t0;
	int64_t late = aion_reply_to((aion_handle_t)saved_reply, &m);   /* caller gone */

	int64_t idle_ep = aion_endpoint_create();
	t0 = aion_clock_ns();
	int64_t nobody = aion_call((aion_handle_t)idle_ep, &m, TIMEOUT_NOBODY_NS);
	uint64_t d_nobody = aion_clock_ns() - t0;
	aion_handle_close((aion_handle_t)s);
	aion_handle_close((aion_handle_t)ep);
	aion_handle_close((aion_handle_t)idle_ep);
	bool ok = timed_out_on_time(taken, d_taken, TIMEOUT_TAKEN_NS) &&
		  timed_out_on_time(nobody, d_nobody, TIMEOUT_NOBODY_NS) && late == -AION_EDEAD;
	utest_result(ok, "timeout", "taken=%s taken_ns=%lu nobody=%s nobody_ns=%lu late_reply=%s "
		     "slack=%u", aion_error_name(taken), (unsigned long)d_taken,
		     aion_error_name(nobody), (unsigned long)d_nobody, aion_error_name(late),
		     TIMEOUT_SLACK);
}

/*
 * Priority inheritance, judged against the same case without it. We
 * (priority 150) need an answer from a priority-10 thread while a
 * priority-50 hog spins. Asked by a call, the server runs at our priority
 * and answers before the hog runs again: the hog, which spins until we
 * stop it, must not make a single loop while the call is pending. Asked
 * by a signal (a notification lends no priority), a thread of the same
 * priority doing the same work runs only once the hog is done (here after
 * PI_HOG_NS): that case shows the hog really shuts a low-priority thread
 * out. How long each request waited is counted in the hog's loops, which
 * stand still while the host stops the virtual CPU (ns do not); the
 * signal must wait PI_MIN_RATIO times as many. Without inheritance the
 * call waits for the hog too and times out. The ns figures are printed.
 */
#define PI_LOW_PRIO             10
#define PI_HOG_PRIO             50
#define PI_HOG_NS               (300 * MS)
#define PI_CALL_TIMEOUT_NS      (1000 * MS)
#define PI_MIN_RATIO            10

static volatile uint64_t pi_hog_loops, pi_hog_end;
static volatile int pi_stop;
static unsigned pi_cpu;                 /* where the hog, server and worker run */

static int64_t pi_server(uint64_t ep)
{
	struct aion_msg m;
	int64_t err = aion_recv((aion_handle_t)ep, &m, 0);
	while (!err) {
		m.w[0] = m.w[0] * 2;
		err = aion_reply_recv((aion_handle_t)ep, &m, 0);
	}
	return 0;
}

/* The same work as pi_server, asked and answered by signals. */
struct pi_signalled {
	aion_handle_t ask, answer;
	volatile uint64_t value;
};

static int64_t pi_worker(uint64_t arg)
{
	struct pi_signalled *c = (struct pi_signalled *)arg;
	uint64_t bits;

	if (aion_wait(c->ask, &bits, 0))
		return 1;
	c->value = c->value * 2;
	aion_signal(c->answer, 1);
	return 0;
}

static int64_t pi_hog(uint64_t until)
{
	while (!pi_stop && aion_clock_ns() < until)
		pi_hog_loops++;
	pi_hog_end = aion_clock_ns();
	return 0;
}

/* Starts a hog that spins until `until` (or pi_stop) and lets it take the CPU. */
static int64_t pi_hog_start(uint64_t stack, uint64_t until)
{
	pi_stop = 0;
	pi_hog_end = 0;
	int64_t hog = aion_thread_spawn(pi_hog, until, stack, PI_HOG_PRIO);
	if (hog >= 0)                   /* pinned: no idle CPU takes it (pi) */
		aion_thread_set_cpu((aion_handle_t)hog, pi_cpu);
	aion_sleep_ns(5 * MS);          /* we take the CPU back when we wake */
	return hog;
}

static void pi_hog_stop(int64_t hog)
{
	pi_stop = 1;
	utest_join(hog);
}

/* How long a request waited: ns, and the hog's loops meanwhile. */
struct pi_wait {
	uint64_t ns, hog_loops;
	bool hog_done;                  /* the hog had ended by the answer */
};

static void pi_wait_start(struct pi_wait *w)
{
	w->hog_loops = pi_hog_loops;
	w->ns = aion_clock_ns();
}

static void pi_wait_end(struct pi_wait *w)
{
	w->ns = aion_clock_ns() - w->ns;
	w->hog_loops = pi_hog_loops - w->hog_loops;
	w->hog_done = pi_hog_end != 0;
}

/* Asks the server by a call, with a hog that runs until we stop it. */
static int64_t pi_by_call(aion_handle_t ep, uint64_t stack, struct pi_wait *w)
{
	struct aion_msg m = { .tag = AION_TAG(1, 0, 0), .w = { 21, 0, 0 } };
	int64_t hog = pi_hog_start(stack, UINT64_MAX);

	pi_wait_start(w);
	int64_t err = aion_call(ep, &m, PI_CALL_TIMEOUT_NS);
	pi_wait_end(w);
	pi_hog_stop(hog);
	return err ? err : m.w[0] == 42 ? 0 : -AION_EINVAL;
}

/* Asks the worker by a signal, with a hog that ends after PI_HOG_NS. */
static int64_t pi_by_signal(struct pi_signalled *c, uint64_t stack, struct pi_wait *w)
{
	uint64_t bits;
	int64_t hog = pi_hog_start(stack, aion_clock_ns() + PI_HOG_NS);

	c->value = 21;
	pi_wait_start(w);
	int64_t err = aion_signal(c->ask, 1);
	if (!err)
		err = aion_wait(c->answer, &bits, 2 * PI_HOG_NS);
	pi_wait_end(w);
	pi_hog_stop(hog);
	return err ? err : c->value == 42 ? 0 : -AION_EINVAL;
}

/*
 * pi: everything on CPU 0, pinned, so that no other CPU of a node with
 * several runs what waits behind the hog. pismp: the hog, server and worker on CPU 1,
 * this thread on CPU 0, so the raised priority must reach another CPU's
 * queue and preempt its hog there (an IPI): the hog runs on meanwhile
 * until that CPU switches, so only the ratio is asked of the call.
 */
static void pi_run(const char *name, unsigned cpu)
{
	pi_cpu = cpu;
	int64_t ep = aion_endpoint_create();
	int64_t ask = aion_notify_create(), answer = aion_notify_create();
	uint64_t hog_stack = aion_stack_alloc(4);
	if (ep < 0 || ask < 0 || answer < 0)
		FAIL(name, "setup ep=%s ask=%s answer=%s", aion_error_name(ep),
		     aion_error_name(ask), aion_error_name(answer));
	struct pi_signalled sc = { (aion_handle_t)ask, (aion_handle_t)answer, 0 };
	int64_t srv = aion_thread_spawn(pi_server, (uint64_t)ep, aion_stack_alloc(4), PI_LOW_PRIO);
	int64_t wrk = aion_thread_spawn(pi_worker, (uint64_t)&sc, aion_stack_alloc(4), PI_LOW_PRIO);
	if (srv < 0 || wrk < 0)
		FAIL(name, "spawn server=%s worker=%s", aion_error_name(srv), aion_error_name(wrk));
	int64_t self = aion_thread_self();
	int64_t moved = self < 0 ? self : aion_thread_set_cpu((aion_handle_t)self, 0);
	if (!moved)
		moved = aion_thread_set_cpu((aion_handle_t)srv, cpu);
	if (!moved)
		moved = aion_thread_set_cpu((aion_handle_t)wrk, cpu);
	if (self >= 0)
		aion_handle_close((aion_handle_t)self);
	if (moved)
		FAIL(name, "cpu=%u move=%s", cpu, aion_error_name(moved));
	/* Both must wait (in recv and in wait) before the hog comes: a server
	 * not yet in its receive inherits nothing, and the hog would starve
	 * it. A sleep was not enough on a loaded host (CPU 1's vCPU late). */
	int64_t low[2] = { srv, wrk };
	if (!utest_all_blocked(low, 2)) {
		struct aion_thread_info si = { 0 }, wi = { 0 };
		aion_thread_info((aion_handle_t)srv, &si);
		aion_thread_info((aion_handle_t)wrk, &wi);
		FAIL(name, "cpu=%u the server and worker never both waited: states %u and %u",
		     cpu, si.state, wi.state);
	}

	struct pi_wait call, signal;
	int64_t call_err = pi_by_call((aion_handle_t)ep, hog_stack, &call);
	int64_t signal_err = pi_by_signal(&sc, hog_stack, &signal);
	aion_handle_close((aion_handle_t)srv);
	utest_join(wrk);
	aion_handle_close((aion_handle_t)ep);
	aion_handle_close((aion_handle_t)ask);
	aion_handle_close((aion_handle_t)answer);

	uint64_t ratio = signal.hog_loops / (call.hog_loops ? call.hog_loops : 1);
	bool ok = !call_err && !signal_err && (cpu || call.hog_loops == 0) && signal.hog_done &&
		  ratio >= PI_MIN_RATIO;
	utest_result(ok, name, "cpu=%u call=%s signal=%s hog_loops=%lu signal_hog_loops=%lu ratio=%lu "
		     "min_ratio=%u took_ns=%lu signal_took_ns=%lu signal_after_hog=%d hog_ns=%lu",
		     cpu, aion_error_name(call_err), aion_error_name(signal_err),
		     (unsigned long)call.hog_loops, (unsigned long)signal.hog_loops,
		     (unsigned long)ratio, PI_MIN_RATIO, (unsigned long)call.ns,
		     (unsigned long)signal.ns, signal.hog_done, (unsigned long)PI_HOG_NS);
}

void test_pi(void)
{
	pi_run("pi", 0);
}

void test_pismp(void)
{
	pi_run("pismp", 1);
}

static volatile int64_t blocked_call = 1;

static int64_t blocked_caller(uint64_t ep)
{
	struct aion_msg m = { 0 };
	blocked_call = aion_call((aion_handle_t)ep, &m, 0);     /* no timeout */
	return 0;
}

/*
 * Callers that die while we hold their calls, one in a saved reply and
 * one taken (the thread's pending reply): their units' frames all come
 * back when they are destroyed, not when we answer (a server holding
 * replies must not pin its callers' memory), and the late answers get
 * EDEAD.
 */
struct dead_callers {
	int64_t err, saved_reply, taken_reply;
	uint64_t used[2];               /* frames each destroyed unit still holds */
};

static void dead_callers(struct dead_callers *dc)
{
	aion_handle_t u[2] = { 0 }, t[2] = { 0 };
	struct aion_msg m = { 0 };
	int64_t ep = aion_endpoint_create(), rp = -AION_ENOENT;

	*dc = (struct dead_callers){ .err = ep < 0 ? ep : 0 };
	for (int i = 0; i < 2 && !dc->err; i++) {
		dc->err = utest_spawn_with_cap(ROLE_CLIENT, 100, (aion_handle_t)ep,
					       AION_RIGHT_SEND, &u[i], &t[i]);
		if (!dc->err)
			dc->err = aion_recv((aion_handle_t)ep, &m, 2000 * MS);
		if (!dc->err && i == 0 && (rp = aion_reply_save()) < 0)
			dc->err = rp;
	}
	for (int i = 0; i < 2; i++) {
		struct aion_unit_info info = { 0 };
		if (!u[i])
			continue;
		aion_handle_close(t[i]);
		aion_unit_destroy(u[i]);
		if (aion_unit_info(u[i], &info) == 0)
			dc->used[i] = info.used_frames;
		aion_handle_close(u[i]);
	}
	dc->saved_reply = rp >= 0 ? aion_reply_to((aion_handle_t)rp, &m) : rp;
	dc->taken_reply = aion_reply(&m);
	if (rp >= 0)
		aion_handle_close((aion_handle_t)rp);
	if (ep >= 0)
		aion_handle_close((aion_handle_t)ep);
}

/*
 * Callers never hang on dead peers: a queued caller gets EDEAD when the
 * last receiver's unit is destroyed (its call was never taken), a caller
 * whose server faulted while holding its call EINDOUBT (it may have run).
 */
void test_dead(void)
{
	struct aion_msg m = { .w = { 1, 0, 0 } };
	aion_handle_t u, t;

	int64_t ep = aion_endpoint_create();
	int64_t send = aion_cap_copy((aion_handle_t)ep, AION_RIGHT_SEND);
	int64_t err = utest_spawn_with_cap(ROLE_SERVE_ONCE, 100, (aion_handle_t)ep,
					   AION_RIGHT_RECV, &u, &t);
	aion_handle_close((aion_handle_t)ep);   /* the child is the only receiver */
	if (!err)
		err = aion_call((aion_handle_t)send, &m, 2000 * MS);
	if (err || m.w[0] != 2)
		FAIL("dead", "setup call=%s w0=%lu", aion_error_name(err), (unsigned long)m.w[0]);
	blocked_call = 1;
	int64_t c = aion_thread_spawn(blocked_caller, (uint64_t)send, aion_stack_alloc(4), 120);
	aion_sleep_ns(10 * MS);         /* it is queued: the child no longer receives */
	int64_t still = blocked_call;
	utest_reap(u, t);
	aion_sleep_ns(5 * MS);
	int64_t after = aion_call((aion_handle_t)send, &m, 0);
	aion_handle_close((aion_handle_t)c);
	aion_handle_close((aion_handle_t)send);

	/* A server that faults holding our call. */
	ep = aion_endpoint_create();
	err = utest_spawn_with_cap(ROLE_RECV_FAULT, 100, (aion_handle_t)ep, AION_RIGHT_RECV, &u, &t);
	int64_t faulted = err ? err : aion_call((aion_handle_t)ep, &m, 0);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)ep);
	if (still != 1 || blocked_call != -AION_EDEAD || after != -AION_EDEAD ||
	    faulted != -AION_EINDOUBT)
		FAIL("dead", "queued_before=%ld queued_after=%s later_call=%s server_faulted=%s",
		     (long)still, aion_error_name(blocked_call), aion_error_name(after),
		     aion_error_name(faulted));

	struct dead_callers dc;
	dead_callers(&dc);
	if (dc.err || dc.used[0] || dc.used[1] || dc.saved_reply != -AION_EDEAD ||
	    dc.taken_reply != -AION_EDEAD)
		FAIL("dead", "dead callers: setup=%s frames_left saved=%lu taken=%lu "
		     "reply_to=%s reply=%s", aion_error_name(dc.err), (unsigned long)dc.used[0],
		     (unsigned long)dc.used[1], aion_error_name(dc.saved_reply),
		     aion_error_name(dc.taken_reply));
	utest_ok("dead", "queued_caller=%s later_call=%s server_faulted=%s "
		 "dead_caller_frames=%lu/%lu reply_to_dead=%s reply_dead=%s",
		 aion_error_name(blocked_call), aion_error_name(after), aion_error_name(faulted),
		 (unsigned long)dc.used[0], (unsigned long)dc.used[1],
		 aion_error_name(dc.saved_reply), aion_error_name(dc.taken_reply));
}

static volatile uint64_t bound_tag, bound_bits;

static int64_t bound_receiver(uint64_t ep)
{
	struct aion_msg m;
	if (aion_recv((aion_handle_t)ep, &m, 2000 * MS))
		return 1;
	bound_tag = m.tag;
	bound_bits = m.w[0];
	return 0;
}

/* Signals wake a waiter; a bound notification wakes a thread in RECV. */
void test_notify(void)
{
	uint64_t bits = 0, polled = 1, timed = 0;
	int64_t n = aion_notify_create();

	aion_signal((aion_handle_t)n, 0x3);
	int64_t w1 = aion_wait((aion_handle_t)n, &bits, 1000 * MS);
	aion_poll((aion_handle_t)n, &polled);
	uint64_t t0 = aion_clock_ns();
	int64_t w2 = aion_wait((aion_handle_t)n, &timed, 20 * MS);
	uint64_t waited = aion_clock_ns() - t0;

	int64_t ep = aion_endpoint_create();
	bound_tag = bound_bits = 0;
	/* Priority 140 < ours: it runs (and blocks in RECV) only once we sleep. */
	int64_t th = aion_thread_spawn(bound_receiver, (uint64_t)ep, aion_stack_alloc(4), 140);
	int64_t bind = aion_notify_bind((aion_handle_t)n, (aion_handle_t)th);
	aion_sleep_ns(5 * MS);
	aion_signal((aion_handle_t)n, 0x5);
	aion_sleep_ns(5 * MS);
	aion_handle_close((aion_handle_t)th);
	aion_handle_close((aion_handle_t)ep);
	aion_handle_close((aion_handle_t)n);
	if (w1 || bits != 0x3 || polled != 0 || w2 != -AION_ETIMEDOUT || waited < 20 * MS ||
	    bind || !(bound_tag & AION_TAG_NOTIFY) || bound_bits != 0x5)
		FAIL("notify", "wait=%s bits=0x%lx poll=0x%lx timeout=%s waited_ns=%lu bind=%s bound_tag=0x%lx bound_bits=0x%lx",
		     aion_error_name(w1), (unsigned long)bits, (unsigned long)polled,
		     aion_error_name(w2), (unsigned long)waited, aion_error_name(bind),
		     (unsigned long)bound_tag, (unsigned long)bound_bits);
	utest_ok("notify", "bits=0x%lx timeout=%s bound_bits=0x%lx", (unsigned long)bits,
		 aion_error_name(w2), (unsigned long)bound_bits);
}

/*
 * SIGNAL_RECV: the consumer the signal wakes (priority 140) outranks the
 * producer (130) that signals, yet runs only once the producer blocks in
 * the receive: it finds the producer BLOCKED, then calls the producer's
 * endpoint, which the receive takes. Both on CPU 0, so that nothing runs
 * them side by side. Without SEND on the notification: ERIGHTS at once,
 * nothing signalled, nothing received.
 */
struct sigrecv {
	aion_handle_t n, go, ep;
	int64_t producer;
	uint32_t producer_state;        /* seen by the consumer when it woke */
	uint64_t bits;
	int64_t wait_err, call_err, recv_err;
	uint64_t label;
};

static int64_t sigrecv_consumer(uint64_t arg)
{
	struct sigrecv *c = (struct sigrecv *)arg;
	struct aion_thread_info ti = { 0 };
	c->wait_err = aion_wait(c->n, &c->bits, 2000 * MS);
	if (!aion_thread_info((aion_handle_t)c->producer, &ti))
		c->producer_state = ti.state;
	struct aion_msg m = { .tag = AION_TAG(77, 0, 0) };
	c->call_err = aion_call(c->ep, &m, 2000 * MS);
	return 0;
}

static int64_t sigrecv_producer(uint64_t arg)
{
	struct sigrecv *c = (struct sigrecv *)arg;
	uint64_t bits;
	struct aion_msg m;
	aion_wait(c->go, &bits, 2000 * MS);
	c->recv_err = aion_signal_recv(c->ep, c->n, 0x9, &m, 2000 * MS);
	c->label = AION_TAG_LABEL(m.tag);
	if (!c->recv_err)
		aion_reply(&(struct aion_msg){ .tag = AION_TAG(0, 0, 0) });
	return 0;
}

void test_signalrecv(void)
{
	static struct sigrecv c;
	c = (struct sigrecv){ .n = (aion_handle_t)aion_notify_create(),
			      .go = (aion_handle_t)aion_notify_create(),
			      .ep = (aion_handle_t)aion_endpoint_create() };
	int64_t consumer = aion_thread_spawn(sigrecv_consumer, (uint64_t)&c, aion_stack_alloc(4), 140);
	c.producer = aion_thread_spawn(sigrecv_producer, (uint64_t)&c, aion_stack_alloc(4), 130);
	int64_t pin = consumer < 0 || c.producer < 0 ? -AION_EINVAL :
		      aion_thread_set_cpu((aion_handle_t)consumer, 0);
	if (!pin)
		pin = aion_thread_set_cpu((aion_handle_t)c.producer, 0);
	aion_signal(c.go, 1);
	bool joined = utest_join(consumer) & utest_join(c.producer);

	/* A notification copy without SEND: refused before anything happens. */
	uint64_t polled = 1;
	struct aion_msg m;
	int64_t recv_only = aion_cap_copy(c.n, AION_RIGHT_RECV);
	uint64_t t0 = aion_clock_ns();
	int64_t refused = aion_signal_recv(c.ep, (aion_handle_t)recv_only, 0x1, &m, 1000 * MS);
	uint64_t refused_ns = aion_clock_ns() - t0;
	aion_poll(c.n, &polled);
	aion_handle_close((aion_handle_t)recv_only);
	aion_handle_close(c.n);
	aion_handle_close(c.go);
	aion_handle_close(c.ep);
	if (pin || !joined || c.wait_err || c.bits != 0x9 || c.producer_state != AION_THREAD_BLOCKED ||
	    c.call_err || c.recv_err || c.label != 77 || refused != -AION_ERIGHTS ||
	    refused_ns > 500 * MS || polled != 0)
		FAIL("signalrecv", "pin=%s joined=%d wait=%s bits=0x%lx producer_state=%u call=%s "
		     "recv=%s label=%lu refused=%s polled=0x%lx", aion_error_name(pin), joined,
		     aion_error_name(c.wait_err), (unsigned long)c.bits, c.producer_state,
		     aion_error_name(c.call_err), aion_error_name(c.recv_err),
		     (unsigned long)c.label, aion_error_name(refused), (unsigned long)polled);
	utest_ok("signalrecv", "producer_state=%u bits=0x%lx label=%lu refused=%s",
		 c.producer_state, (unsigned long)c.bits, (unsigned long)c.label,
		 aion_error_name(refused));
}
