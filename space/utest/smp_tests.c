/*
 * Many CPUs (issue 19, docs/smp.md); each test needs at least two.
 *  smp:    THREAD_SET_CPU's errors; a lower-priority thread on CPU 1 runs
 *          while this one spins on CPU 0 (on one CPU it never would);
 *          calls and signals between threads on CPUs 0 and 1 all answered;
 *          this thread moves itself to CPU 1 and back.
 *  smptlb: a unit spinning on CPU 1 over a page it maps is refused the
 *          page the moment its capability is revoked on CPU 0: it faults
 *          at that address, and never reads what the page holds afterwards.
 * The priority-inversion test across CPUs is pi's ("pismp", ipc_tests.c).
 */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

#define MAIN_CPU        0
#define OTHER_CPU       1
#define LOW_PRIO        5               /* below utest's own */
#define SPIN_NS         (100 * MS)
#define CALLS           2000u
#define PINGS           1000u
#define SETTLE_NS       (20 * MS)
#define READY_BIT       1ull
#define READY_NS        (2000 * MS)
#define FAULT_NS        (2000 * MS)
#define STALE_EXIT      3               /* ROLE_MEM_SPIN read a value it must not */

static unsigned cpus_online(void)
{
	struct aion_system_info si = { 0 };
	return aion_system_info(&si) ? 0 : si.cpus;
}

static unsigned cpu_of(int64_t thread)
{
	struct aion_thread_info ti = { 0 };
	return aion_thread_info((aion_handle_t)thread, &ti) ? 99 : ti.cpu;
}

static volatile uint64_t spin_loops;
static volatile int spin_stop;

static int64_t spinner(uint64_t arg)
{
	(void)arg;
	while (!spin_stop)
		spin_loops++;
	return 0;
}

static int64_t echo_server(uint64_t ep)
{
	struct aion_msg m;
	int64_t err = aion_recv((aion_handle_t)ep, &m, 0);
	while (!err) {
		m.w[0]++;
		err = aion_reply_recv((aion_handle_t)ep, &m, 0);
	}
	return 0;
}

struct pingpong {
	aion_handle_t ping, pong;
};

static int64_t ponger(uint64_t arg)
{
	struct pingpong *p = (struct pingpong *)arg;
	uint64_t bits;

	for (unsigned i = 0; i < PINGS; i++) {
		if (aion_wait(p->ping, &bits, 2000 * MS))
			return 1;
		aion_signal(p->pong, 1);
	}
	return 0;
}

/* Spins SPIN_NS here; returns the loops a lower-priority spinner on CPU 1 made meanwhile. */
static uint64_t parallel_loops(int64_t *spin_cpu)
{
	spin_stop = 0;
	spin_loops = 0;
	int64_t t = aion_thread_spawn(spinner, 0, aion_stack_alloc(4), LOW_PRIO);
	if (t < 0)
		return 0;
	*spin_cpu = aion_thread_set_cpu((aion_handle_t)t, OTHER_CPU);
	aion_sleep_ns(SETTLE_NS);
	uint64_t before = spin_loops, end = aion_clock_ns() + SPIN_NS;
	while (aion_clock_ns() < end)
		;
	uint64_t during = spin_loops - before;
	if (!*spin_cpu)
		*spin_cpu = cpu_of(t);
	spin_stop = 1;
	utest_join(t);
	return during;
}

void test_smp(void)
{
	unsigned cpus = cpus_online();
	if (cpus < 2)
		FAIL("smp", "cpus=%u: needs 2", cpus);
	int64_t self = aion_thread_self();
	int64_t bad_cpu = aion_thread_set_cpu((aion_handle_t)self, cpus);
	int64_t far_cpu = aion_thread_set_cpu((aion_handle_t)self, 1u << 31);
	int64_t bad_handle = aion_thread_set_cpu(AION_HANDLE(77, 1), 0);

	int64_t spin_cpu = -1;
	uint64_t parallel = parallel_loops(&spin_cpu);

	/* Calls to a server on the other CPU. */
	int64_t ep = aion_endpoint_create();
	int64_t srv = ep < 0 ? ep : aion_thread_spawn(echo_server, (uint64_t)ep,
						     aion_stack_alloc(4), LOW_PRIO);
	int64_t srv_move = srv < 0 ? srv : aion_thread_set_cpu((aion_handle_t)srv, OTHER_CPU);
	unsigned answered = 0;
	uint64_t t0 = aion_clock_ns();
	for (unsigned i = 0; !srv_move && i < CALLS; i++) {
		struct aion_msg m = { .tag = AION_TAG(1, 0, 0), .w = { i, 0, 0 } };
		if (aion_call((aion_handle_t)ep, &m, 2000 * MS) || m.w[0] != i + 1)
			break;
		answered++;
	}
	uint64_t call_ns = (aion_clock_ns() - t0) / (answered ? answered : 1);
	unsigned srv_cpu = srv < 0 ? 99 : cpu_of(srv);
	if (srv >= 0)
		aion_handle_close((aion_handle_t)ep);   /* its recv ends: it returns */
	utest_join(srv);

	/* Signals both ways with a thread on the other CPU. */
	struct pingpong pp = { (aion_handle_t)aion_notify_create(),
			       (aion_handle_t)aion_notify_create() };
	int64_t pong = aion_thread_spawn(ponger, (uint64_t)&pp, aion_stack_alloc(4), LOW_PRIO);
	int64_t pong_move = pong < 0 ? pong : aion_thread_set_cpu((aion_handle_t)pong, OTHER_CPU);
	unsigned pinged = 0;
	uint64_t bits;
	for (unsigned i = 0; !pong_move && i < PINGS; i++) {
		if (aion_signal(pp.ping, 1) || aion_wait(pp.pong, &bits, 2000 * MS))
			break;
		pinged++;
	}
	unsigned pong_cpu = pong < 0 ? 99 : cpu_of(pong);
	bool pong_joined = utest_join(pong);
	aion_handle_close(pp.ping);
	aion_handle_close(pp.pong);

	/* This thread moves itself, and back. */
	int64_t go = aion_thread_set_cpu((aion_handle_t)self, OTHER_CPU);
	aion_yield();
	unsigned there = cpu_of(self);
	int64_t back = aion_thread_set_cpu((aion_handle_t)self, MAIN_CPU);
	aion_yield();
	unsigned home = cpu_of(self);
	aion_handle_close((aion_handle_t)self);

	bool ok = bad_cpu == -AION_EINVAL && far_cpu == -AION_EINVAL &&
		  bad_handle < 0 && spin_cpu == OTHER_CPU && parallel > 0 &&
		  answered == CALLS && srv_cpu == OTHER_CPU && pinged == PINGS &&
		  pong_cpu == OTHER_CPU && pong_joined && !go && there == OTHER_CPU &&
		  !back && home == MAIN_CPU;
	utest_result(ok, "smp", "cpus=%u bad_cpu=%s far_cpu=%s bad_handle=%s spin_cpu=%ld "
		     "parallel_loops=%lu calls=%u call_ns=%lu server_cpu=%u pings=%u pong_cpu=%u "
		     "self_there=%u self_home=%u", cpus, aion_error_name(bad_cpu),
		     aion_error_name(far_cpu), aion_error_name(bad_handle), (long)spin_cpu,
		     (unsigned long)parallel, answered, (unsigned long)call_ns, srv_cpu, pinged,
		     pong_cpu, there, home);
}

/* ROLE_MEM_SPIN: maps CHILD_CAP, says so on CHILD_CAP2, reads it without pause. */
int64_t mem_spin_role(void)
{
	volatile uint64_t *p = (volatile uint64_t *)SHARED_VADDR;

	if (aion_memory_map(CHILD_CAP, AION_HANDLE_SELF, SHARED_VADDR, AION_PROT_READ, 0) ||
	    *p != SHARED_MAGIC)
		return 2;
	aion_signal(CHILD_CAP2, READY_BIT);
	for (;;)                        /* #PF once the mapping is gone */
		if (*p != SHARED_MAGIC)
			return STALE_EXIT;
}

void test_smptlb(void)
{
	struct aion_unit_info info = { 0 };
	volatile uint64_t *own = (volatile uint64_t *)SHARED_VADDR;
	aion_handle_t u = 0, t = 0;
	uint64_t bits = 0;

	if (cpus_online() < 2)
		FAIL("smptlb", "cpus=%u: needs 2", cpus_online());
	int64_t mo = aion_memory_create(1);
	int64_t n = aion_notify_create();
	int64_t err = mo < 0 ? mo : n < 0 ? n :
		aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, SHARED_VADDR,
				AION_PROT_READ | AION_PROT_WRITE, 0);
	if (!err) {
		*own = SHARED_MAGIC;
		aion_handle_t caps[2] = { (aion_handle_t)mo, (aion_handle_t)n };
		uint32_t masks[2] = { AION_RIGHT_READ, AION_RIGHT_SEND };
		err = utest_spawn_with_caps(ROLE_MEM_SPIN, LOW_PRIO, caps, masks, 2, &u, &t);
	}
	if (!err)
		err = aion_thread_set_cpu(t, OTHER_CPU);
	if (!err && !(err = aion_wait((aion_handle_t)n, &bits, READY_NS)) && !(bits & READY_BIT))
		err = -AION_EMALFORMED;
	if (err)
		FAIL("smptlb", "setup=%s", aion_error_name(err));
	aion_sleep_ns(SETTLE_NS);       /* it spins on CPU 1 now, the page in its TLB */
	unsigned reader_cpu = cpu_of(t);
	int64_t revoke = aion_cap_revoke((aion_handle_t)mo);
	*own = ~SHARED_MAGIC;           /* what a stale translation would show it */
	int64_t wait = aion_unit_wait(u, FAULT_NS, &info);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)n);
	aion_memory_unmap(AION_HANDLE_SELF, SHARED_VADDR);
	aion_handle_close((aion_handle_t)mo);
	bool ok = reader_cpu == OTHER_CPU && !revoke && !wait &&
		  info.state == AION_UNIT_FAULTED && info.fault_vector == 14 &&
		  info.fault_addr == SHARED_VADDR;
	utest_result(ok, "smptlb", "reader_cpu=%u revoke=%s wait=%s state=%u vector=%u "
		     "addr=0x%lx exit_code=%d", reader_cpu, aion_error_name(revoke),
		     aion_error_name(wait), info.state, info.fault_vector,
		     (unsigned long)info.fault_addr, info.exit_code);
}
