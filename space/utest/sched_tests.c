/* Scheduler behaviour seen from user mode: preemption, fairness, sleep. */
#include "utest.h"

static volatile uint64_t spin_last;     /* the spinner's latest clock reading */
static volatile int spin_stop;
static volatile uint64_t woke_at, spin_last_at_wake;

static int64_t spinner(uint64_t arg)
{
	(void)arg;
	while (!spin_stop)
		spin_last = aion_clock_ns();
	return 0;
}

static int64_t sleeper(uint64_t deadline)
{
	aion_sleep_until(deadline);
	woke_at = aion_clock_ns();
	spin_last_at_wake = spin_last;
	return 0;
}

/*
 * A priority-20 thread whose sleep ends while a priority-10 thread spins
 * must run within one time slice of its deadline.
 */
void test_preempt(void)
{
	struct aion_system_info si;
	uint64_t s1 = aion_stack_alloc(4), s2 = aion_stack_alloc(4);

	aion_system_info(&si);
	spin_stop = 0;
	int64_t lo = aion_thread_spawn(spinner, 0, s1, 10);
	uint64_t deadline = aion_clock_ns() + 30 * MS;
	int64_t hi = aion_thread_spawn(sleeper, deadline, s2, 20);
	if (lo < 0 || hi < 0) {
		utest_fail("preempt", "spawn lo=%s hi=%s", aion_error_name(lo),
			   aion_error_name(hi));
		return;
	}
	aion_sleep_ns(100 * MS);
	spin_stop = 1;
	aion_sleep_ns(20 * MS);
	aion_handle_close((aion_handle_t)lo);
	aion_handle_close((aion_handle_t)hi);

	uint64_t latency = woke_at - deadline;
	/* The spinner ran right up to the deadline: it was the one preempted. */
	bool spinning = spin_last_at_wake + 2 * MS >= deadline;
	if (woke_at < deadline || latency >= si.time_slice_ns || !spinning)
		utest_fail("preempt", "latency_ns=%lu slice_ns=%lu spinning=%d",
			   (unsigned long)latency, (unsigned long)si.time_slice_ns, spinning);
	else
		utest_ok("preempt", "latency_ns=%lu slice_ns=%lu spinner_last_minus_deadline_ns=%ld",
			 (unsigned long)latency, (unsigned long)si.time_slice_ns,
			 (long)(spin_last_at_wake - deadline));
}

static int64_t spin_until(uint64_t end)
{
	while (aion_clock_ns() < end)
		;
	return 0;
}

/* Two spinners of equal priority share one second about evenly. */
void test_fair(void)
{
	uint64_t s1 = aion_stack_alloc(4), s2 = aion_stack_alloc(4);
	uint64_t end = aion_clock_ns() + 1000 * MS;
	int64_t a = aion_thread_spawn(spin_until, end, s1, 10);
	int64_t b = aion_thread_spawn(spin_until, end, s2, 10);
	struct aion_thread_info ia, ib;

	if (a < 0 || b < 0) {
		utest_fail("fair", "spawn a=%s b=%s", aion_error_name(a), aion_error_name(b));
		return;
	}
	aion_sleep_until(end + 50 * MS);
	aion_thread_info((aion_handle_t)a, &ia);
	aion_thread_info((aion_handle_t)b, &ib);
	aion_handle_close((aion_handle_t)a);
	aion_handle_close((aion_handle_t)b);

	uint64_t total = ia.cpu_ns + ib.cpu_ns;
	uint64_t share_a = total ? ia.cpu_ns * 1000 / total : 0;
	if (share_a < 400 || share_a > 600 || ia.state != AION_THREAD_DEAD)
		utest_fail("fair", "a_ns=%lu b_ns=%lu share_a_permille=%lu",
			   (unsigned long)ia.cpu_ns, (unsigned long)ib.cpu_ns,
			   (unsigned long)share_a);
	else
		utest_ok("fair", "a_ns=%lu b_ns=%lu share_a_permille=%lu switches_a=%lu",
			 (unsigned long)ia.cpu_ns, (unsigned long)ib.cpu_ns,
			 (unsigned long)share_a, (unsigned long)ia.switches);
}

/* A 50 ms sleep lasts 50 to 60 ms on the monotonic clock. */
void test_sleep(void)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < 5; i++) {
		uint64_t t0 = aion_clock_ns();
		aion_sleep_until(t0 + 50 * MS);
		uint64_t d = aion_clock_ns() - t0;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	if (lo < 50 * MS || hi > 60 * MS)
		utest_fail("sleep", "min_ns=%lu max_ns=%lu", (unsigned long)lo,
			   (unsigned long)hi);
	else
		utest_ok("sleep", "min_ns=%lu max_ns=%lu", (unsigned long)lo,
			 (unsigned long)hi);
}
