/*
 * Kernel micro-benchmarks, run in user mode: a null system call round trip
 * and a thread switch by yield (two threads of one unit, and two units).
 * Each figure is the median and 99th percentile of BENCH_ITERS samples in
 * TSC cycles, converted to ns with the rate measured over the same loop.
 * bench/kernel turns the lines into JSON.
 */
#include "utest.h"

static uint64_t samples[BENCH_ITERS];

static void shell_sort(uint64_t *a, unsigned n)
{
	static const unsigned gaps[] = { 4193, 1750, 701, 301, 132, 57, 23, 10, 4, 1 };
	for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned gap = gaps[g];
		for (unsigned i = gap; i < n; i++) {
			uint64_t v = a[i];
			unsigned j = i;
			for (; j >= gap && a[j - gap] > v; j -= gap)
				a[j] = a[j - gap];
			a[j] = v;
		}
	}
}

/* divisor: samples hold this many operations each (2 for a yield round). */
static void report(const char *what, uint64_t ns, uint64_t cycles, unsigned divisor)
{
	shell_sort(samples, BENCH_ITERS);
	uint64_t med = samples[BENCH_ITERS / 2] / divisor;
	uint64_t p99 = samples[BENCH_ITERS * 99 / 100] / divisor;
	/* ns per cycle from the whole loop: ns_x = cycles_x * ns / cycles */
	aion_printf("bench %s iterations=%u cycles_median=%lu cycles_p99=%lu ns_median=%lu ns_p99=%lu",
		    what, BENCH_ITERS, (unsigned long)med, (unsigned long)p99,
		    (unsigned long)(med * ns / cycles), (unsigned long)(p99 * ns / cycles));
}

static void bench_null_syscall(void)
{
	uint64_t n0 = aion_clock_ns(), c0 = aion_rdtsc();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		uint64_t t = aion_rdtsc();
		aion_syscall(AION_SYS_COUNT, 0, 0, 0, 0, 0);    /* -AION_ENOSYS: entry and exit only */
		samples[i] = aion_rdtsc() - t;
	}
	report("null_syscall", aion_clock_ns() - n0, aion_rdtsc() - c0, 1);
}

/* Records the time of each return from yield; consecutive ones are 2 switches apart. */
static void yield_loop(const char *what)
{
	uint64_t n0 = aion_clock_ns(), c0 = aion_rdtsc();
	uint64_t prev = aion_rdtsc();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		aion_yield();
		uint64_t now = aion_rdtsc();
		samples[i] = now - prev;
		prev = now;
	}
	report(what, aion_clock_ns() - n0, aion_rdtsc() - c0, 2);
}

static int64_t yielder(uint64_t arg)
{
	return role_main((enum role)arg);
}

void bench_kernel(void)
{
	aion_handle_t u, t;

	bench_null_syscall();

	/* Same unit: a second thread at our priority (150) yields back. */
	int64_t th = aion_thread_spawn(yielder, ROLE_YIELDER, aion_stack_alloc(4), 150);
	if (th < 0) {
		utest_fail("bench", "thread spawn err=%s", aion_error_name(th));
		return;
	}
	yield_loop("yield_same_unit");
	aion_sleep_ns(50 * MS);         /* let it finish its remaining yields */
	aion_handle_close((aion_handle_t)th);

	/* Two units: a helper unit at priority 150 yields back. */
	int64_t err = utest_spawn_role(ROLE_YIELDER, 150, &u, &t);
	if (err) {
		utest_fail("bench", "unit spawn err=%s", aion_error_name(err));
		return;
	}
	yield_loop("yield_cross_unit");
	aion_sleep_ns(50 * MS);
	utest_reap(u, t);
	utest_ok("bench", "iterations=%u", BENCH_ITERS);
}
