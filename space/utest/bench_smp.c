/*
 * benchsmp (bench/kernel --cpus N, issue 19): IPC call+reply throughput
 * of one client/server pair on CPU 0 against two independent pairs, one
 * on CPU 0 and one on CPU 1, in the same boot; and the latency of a call
 * to a server on the caller's CPU beside one to a server on another CPU.
 * Threads of this unit, each pinned by THREAD_SET_CPU.
 */
#include "utest.h"

#define PAIR_PRIO       100             /* below utest's own: it sleeps meanwhile */
#define WINDOW_NS       (300 * MS)
#define ROUNDS          21u             /* one pair, then two, alternately */
#define SPIN_ROUNDS     9u              /* the same with loops instead of calls */
#define SETTLE_NS       (20 * MS)       /* after go changes, before a window */
#define LAT_CALLS       2000u

/* A cache line each: pairs that share none measure the kernel, not the
 * line bouncing between their CPUs. */
struct pair {
	aion_handle_t ep;
	aion_handle_t resume;           /* a paused client waits on it: no polls */
	int64_t server, client;
	volatile uint64_t calls;        /* or loops, when spin */
	volatile int go, stop, spin;
} __attribute__((aligned(64)));

static int64_t pair_server(uint64_t arg)
{
	struct pair *p = (struct pair *)arg;
	struct aion_msg m;
	int64_t err = aion_recv(p->ep, &m, 0);
	while (!err) {
		m.w[0]++;
		err = aion_reply_recv(p->ep, &m, 0);
	}
	return 0;
}

static int64_t pair_client(uint64_t arg)
{
	struct pair *p = (struct pair *)arg;

	while (!p->stop) {
		if (!p->go) {           /* paused while the other pair runs alone */
			uint64_t bits;
			/* Blocked, not polling: its vCPU stays halted and takes
			 * nothing from the pair that runs. A go set before the
			 * wait left its signal pending: no wake-up is lost. */
			aion_wait(p->resume, &bits, 1000 * MS);
			continue;
		}
		if (p->spin) {          /* the host's share: no kernel at all */
			p->calls++;
			continue;
		}
		struct aion_msg m = { .tag = AION_TAG(1, 0, 0), .w = { p->calls, 0, 0 } };
		if (aion_call(p->ep, &m, 1000 * MS) || m.w[0] != p->calls + 1)
			return 1;
		p->calls++;
	}
	return 0;
}

/* A server on server_cpu and, unless client_cpu < 0, a client on client_cpu. */
static int64_t pair_start(struct pair *p, unsigned server_cpu, int client_cpu)
{
	*p = (struct pair){ 0 };
	int64_t ep = aion_endpoint_create(), n = aion_notify_create();
	if (ep < 0 || n < 0)
		return ep < 0 ? ep : n;
	p->ep = (aion_handle_t)ep;
	p->resume = (aion_handle_t)n;
	p->server = aion_thread_spawn(pair_server, (uint64_t)p, aion_stack_alloc(4), PAIR_PRIO);
	if (p->server < 0)
		return p->server;
	int64_t err = aion_thread_set_cpu((aion_handle_t)p->server, server_cpu);
	if (err || client_cpu < 0)
		return err;
	p->client = aion_thread_spawn(pair_client, (uint64_t)p, aion_stack_alloc(4), PAIR_PRIO);
	if (p->client < 0)
		return p->client;
	return aion_thread_set_cpu((aion_handle_t)p->client, (unsigned)client_cpu);
}

static void pair_end(struct pair *p)
{
	p->stop = 1;
	aion_signal(p->resume, 1);
	if (p->client > 0)
		utest_join(p->client);
	aion_handle_close(p->resume);
	aion_handle_close(p->ep);       /* the server's recv ends */
	if (p->server > 0)
		utest_join(p->server);
}

/* Halts ended in the windows (all CPUs), one and two pairs: each is a
 * vCPU the host had to wake, time the pairs' vCPUs may lose. */
static uint64_t halts[2];

/* Calls per second of the first n pairs over WINDOW_NS (the others paused);
 * each pair's calls in the window go to got[]. */
static uint64_t throughput(struct pair *p, unsigned n, uint64_t got[2])
{
	uint64_t before[2] = { 0 }, total = 0;
	struct aion_system_info a = { 0 }, b = { 0 };

	for (unsigned i = 0; i < 2; i++) {
		p[i].go = i < n;
		if (p[i].go)
			aion_signal(p[i].resume, 1);
	}
	aion_sleep_ns(SETTLE_NS);               /* all running, the paused ones blocked */
	for (unsigned i = 0; i < n; i++)
		before[i] = p[i].calls;
	aion_system_info(&a);
	uint64_t t0 = aion_clock_ns();
	aion_sleep_ns(WINDOW_NS);
	for (unsigned i = 0; i < n; i++) {
		got[i] = p[i].calls - before[i];
		total += got[i];
	}
	aion_system_info(&b);
	halts[n - 1] += (uint32_t)(b.idle_entries - a.idle_entries);
	uint64_t ns = aion_clock_ns() - t0;
	return total * 1000000000ull / (ns ? ns : 1);
}

/* Median ns of a call from this thread (on CPU 0) to p's server. */
static uint64_t call_latency(struct pair *p)
{
	static uint64_t ns[LAT_CALLS];

	for (unsigned i = 0; i < LAT_CALLS; i++) {
		struct aion_msg m = { .tag = AION_TAG(1, 0, 0), .w = { i, 0, 0 } };
		uint64_t t = aion_clock_ns();
		if (aion_call(p->ep, &m, 1000 * MS))
			return 0;
		ns[i] = aion_clock_ns() - t;
	}
	utest_sort(ns, LAT_CALLS);
	return ns[LAT_CALLS / 2];
}

struct medians {
	uint64_t one, two, ratio, fair;
};

/*
 * n rounds of one pair alone (CPU 0), then both (CPUs 0 and 1): a ratio
 * from neighbouring windows, the median of the rounds' (the host is
 * noisy). spin: the clients count in a loop instead of calling, which
 * measures what two vCPUs get from the host with no kernel in the way.
 */
static int64_t rounds(struct pair *pairs, unsigned n, bool spin, struct medians *out)
{
	uint64_t one[ROUNDS] = { 0 }, two[ROUNDS] = { 0 }, ratio[ROUNDS] = { 0 };
	uint64_t fair[ROUNDS] = { 0 }, got[2];
	int64_t err = pair_start(&pairs[0], 0, 0);

	if (!err)
		err = pair_start(&pairs[1], 1, 1);
	pairs[0].spin = pairs[1].spin = spin;   /* the clients wait for go meanwhile */
	for (unsigned r = 0; r < n && !err; r++) {
		one[r] = throughput(pairs, 1, got);
		two[r] = throughput(pairs, 2, got);
		ratio[r] = one[r] ? two[r] * 1000 / one[r] : 0;
		uint64_t lo = got[0] < got[1] ? got[0] : got[1], hi = got[0] ^ got[1] ^ lo;
		fair[r] = hi ? lo * 1000 / hi : 0;
	}
	pair_end(&pairs[0]);
	pair_end(&pairs[1]);
	utest_sort(one, n);
	utest_sort(two, n);
	utest_sort(ratio, n);
	utest_sort(fair, n);
	*out = (struct medians){ one[n / 2], two[n / 2], ratio[n / 2], fair[n / 2] };
	return err;
}

void bench_smp(void)
{
	struct aion_system_info si = { 0 };
	struct pair pairs[2];
	int64_t self = aion_thread_self();

	aion_system_info(&si);
	if (si.cpus < 2 || self < 0 || aion_thread_set_cpu((aion_handle_t)self, 0)) {
		utest_fail("benchsmp", "cpus=%u: needs 2", si.cpus);
		return;
	}
	struct medians calls, spins = { 0 };
	int64_t err = rounds(pairs, ROUNDS, false, &calls);
	uint64_t halted[2] = { halts[0], halts[1] };
	if (!err)
		err = rounds(pairs, SPIN_ROUNDS, true, &spins);
	uint64_t same = 0, cross = 0;
	if (!err && !(err = pair_start(&pairs[0], 0, -1)))
		same = call_latency(&pairs[0]);
	pair_end(&pairs[0]);
	if (!err && !(err = pair_start(&pairs[0], 1, -1)))
		cross = call_latency(&pairs[0]);
	pair_end(&pairs[0]);
	aion_handle_close((aion_handle_t)self);

	aion_printf("bench smp_throughput one_pair_per_s=%lu two_pairs_per_s=%lu "
		    "ratio_x1000=%lu slower_over_faster_x1000=%lu rounds=%u window_ms=%lu "
		    "halts_one_per_s=%lu halts_two_per_s=%lu spin_ratio_x1000=%lu",
		    (unsigned long)calls.one, (unsigned long)calls.two,
		    (unsigned long)calls.ratio, (unsigned long)calls.fair, ROUNDS,
		    (unsigned long)(WINDOW_NS / MS),
		    (unsigned long)(halted[0] * 1000 / (ROUNDS * WINDOW_NS / MS)),
		    (unsigned long)(halted[1] * 1000 / (ROUNDS * WINDOW_NS / MS)),
		    (unsigned long)spins.ratio);
	aion_printf("bench smp_latency same_cpu_ns_median=%lu cross_cpu_ns_median=%lu calls=%u",
		    (unsigned long)same, (unsigned long)cross, LAT_CALLS);
	utest_result(!err && calls.one && calls.two && spins.one && same && cross, "benchsmp", "err=%s cpus=%u",
		     aion_error_name(err), si.cpus);
}
