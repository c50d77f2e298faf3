/* Scheduler behaviour seen from user mode: preemption, fairness, sleep. */
#include "utest.h"

/*
 * Preemption is judged against the same wake-up without it, in the same
 * run: a sleeper of priority 20 must take the CPU from a priority-10
 * spinner at its deadline, while a sleeper of priority 10 must wait for
 * the rest of the spinner's slice. The deadline falls WAKE_OFFSET_NS into
 * the spinner's fresh slice, so the equal-priority wait is most of a slice
 * as this kernel runs it, measured rather than assumed.
 *
 * Lateness is counted in the spinner's loops after the deadline, not in
 * ns: the guest clock follows host time, so a host that stops the virtual
 * CPU stretches a wake-up in ns, while the spinner, stopped too, counts
 * nothing. A host that is slow to deliver the timer interrupt still adds
 * loops, and only adds: so the preempting case counts its best round of
 * WAKE_ROUNDS (a kernel that does not preempt is late in every round by
 * the rest of the slice), against the median round of the equal case.
 * The ns figures are printed beside.
 */
#define WAKE_ROUNDS             7
#define WAKE_OFFSET_NS          (2 * MS)
#define SPIN_PRIO               10
#define PREEMPT_PRIO            20
/* The equal-priority wait must be at least this many times the preempting one. */
#define PREEMPT_MIN_RATIO       20

static volatile int spin_stop;
static volatile uint64_t spin_deadline;         /* the round's */
static volatile uint64_t spin_loops;            /* the spinner's loops so far */
static volatile uint64_t spin_loops_before;     /* ... of them before the deadline */

static int64_t spinner(uint64_t arg)
{
	(void)arg;
	while (!spin_stop) {
		bool before = aion_clock_ns() < spin_deadline;
		spin_loops++;
		if (before)
			spin_loops_before = spin_loops;
	}
	return 0;
}

struct wake_round {
	uint64_t deadline, woke_at, loops_late;
};

static int64_t round_sleeper(uint64_t arg)
{
	struct wake_round *r = (struct wake_round *)arg;

	/* The spinner, queued behind us, gets a fresh slice once we sleep. */
	r->deadline = spin_deadline = aion_clock_ns() + WAKE_OFFSET_NS;
	aion_sleep_until(r->deadline);
	r->woke_at = aion_clock_ns();
	r->loops_late = spin_loops - spin_loops_before;
	return 0;
}

/*
 * One round: a sleeper of priority prio, then the spinner, both queued
 * while we (priority 150) run; we sleep three slices, long enough for
 * either case. Returns 0 or what went wrong.
 */
static int64_t wake_round(unsigned prio, uint64_t slice_ns, const uint64_t stacks[2],
			  struct wake_round *r)
{
	*r = (struct wake_round){ 0 };
	spin_loops = spin_loops_before = 0;
	spin_deadline = UINT64_MAX;
	spin_stop = 0;
	int64_t sl = aion_thread_spawn(round_sleeper, (uint64_t)r, stacks[0], prio);
	int64_t sp = aion_thread_spawn(spinner, 0, stacks[1], SPIN_PRIO);
	if (sl >= 0 && sp >= 0)
		aion_sleep_ns(3 * slice_ns);
	spin_stop = 1;
	bool joined = utest_join(sl) & utest_join(sp);
	if (sl < 0 || sp < 0)
		return sl < 0 ? sl : sp;
	return joined && r->woke_at ? 0 : -AION_ETIMEDOUT;
}

/* What WAKE_ROUNDS rounds of one case showed: lateness in loops and in ns. */
struct wake_figures {
	uint64_t loops_min, loops_median, ns_min, ns_median, ns_max;
	unsigned early;                 /* rounds that woke before the deadline */
	unsigned idle;                  /* rounds run again: the spinner had not run */
};

/* Sorts a[0, WAKE_ROUNDS) and gives its smallest, median and largest. */
static void spread(uint64_t *a, uint64_t *min, uint64_t *median, uint64_t *max)
{
	utest_sort(a, WAKE_ROUNDS);
	*min = a[0];
	*median = a[WAKE_ROUNDS / 2];
	*max = a[WAKE_ROUNDS - 1];
}

static int64_t wake_rounds(unsigned prio, uint64_t slice_ns, const uint64_t stacks[2],
			   struct wake_figures *f)
{
	uint64_t loops[WAKE_ROUNDS], ns[WAKE_ROUNDS];
	struct wake_round r;

	*f = (struct wake_figures){ 0 };
	for (unsigned i = 0; i < WAKE_ROUNDS;) {
		int64_t err = wake_round(prio, slice_ns, stacks, &r);
		if (err)
			return err;
		f->early += r.woke_at < r.deadline;
		/* A round counts when the spinner ran before the deadline: it is the
		 * thread to take the CPU from. A host that stops the virtual CPU
		 * past WAKE_OFFSET_NS spoils the round; it is run again. */
		if (spin_loops_before == 0) {
			if (++f->idle > WAKE_ROUNDS)
				return -AION_EAGAIN;
			continue;
		}
		loops[i] = r.loops_late;
		ns[i++] = r.woke_at < r.deadline ? 0 : r.woke_at - r.deadline;
	}
	uint64_t loops_max;
	spread(loops, &f->loops_min, &f->loops_median, &loops_max);
	spread(ns, &f->ns_min, &f->ns_median, &f->ns_max);
	return 0;
}

void test_preempt(void)
{
	struct aion_system_info si;
	uint64_t stacks[2] = { aion_stack_alloc(4), aion_stack_alloc(4) };
	struct wake_figures higher = { 0 }, equal = { 0 };

	aion_system_info(&si);
	int64_t err = wake_rounds(PREEMPT_PRIO, si.time_slice_ns, stacks, &higher);
	if (!err)
		err = wake_rounds(SPIN_PRIO, si.time_slice_ns, stacks, &equal);
	if (err) {
		/* AION_EAGAIN: more than WAKE_ROUNDS rounds in which the spinner never ran. */
		utest_fail("preempt", "round err=%s rounds_again=%u", aion_error_name(err),
			   higher.idle + equal.idle);
		return;
	}
	uint64_t ratio = equal.loops_median / (higher.loops_min ? higher.loops_min : 1);
	unsigned early = higher.early + equal.early, idle = higher.idle + equal.idle;
	utest_result(!early && ratio >= PREEMPT_MIN_RATIO, "preempt",
		     "late_loops=%lu late_loops_median=%lu equal_prio_loops=%lu ratio=%lu "
		     "min_ratio=%u latency_ns=%lu latency_median_ns=%lu latency_max_ns=%lu "
		     "equal_prio_ns=%lu slice_ns=%lu rounds=%u early=%u rounds_again=%u",
		     (unsigned long)higher.loops_min, (unsigned long)higher.loops_median,
		     (unsigned long)equal.loops_median, (unsigned long)ratio, PREEMPT_MIN_RATIO,
		     (unsigned long)higher.ns_min, (unsigned long)higher.ns_median,
		     (unsigned long)higher.ns_max, (unsigned long)equal.ns_median,
		     (unsigned long)si.time_slice_ns, WAKE_ROUNDS, early, idle);
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

/*
 * A 50 ms sleep never ends early and ends within SLEEP_LIMIT_NS: four
 * times its length, because a busy host delays the guest's wake-ups (the
 * guest clock follows host time); the figures are printed.
 */
#define SLEEP_NS                (50 * MS)
#define SLEEP_LIMIT_NS          (4 * SLEEP_NS)

/*
 * aion_clock_ns reads the counter with the kernel's terms (SYSTEM_INFO):
 * each reading must fall between two CLOCK_NS calls around it, or the
 * terms are not the kernel's. The sleeps below then wait for deadlines
 * read from the counter and checked by the kernel's clock.
 */
static bool clock_counter_ordered(void)
{
	(void)aion_clock_ns();          /* asks for the terms */
	for (int i = 0; i < 100; i++) {
		uint64_t a = (uint64_t)aion_syscall(AION_SYS_CLOCK_NS, 0, 0, 0, 0, 0);
		uint64_t b = aion_clock_ns();
		uint64_t c = (uint64_t)aion_syscall(AION_SYS_CLOCK_NS, 0, 0, 0, 0, 0);
		if (a > b || b > c)
			return false;
	}
	return true;
}

void test_sleep(void)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	bool ordered = clock_counter_ordered();
	bool counter = aion_clock_terms.state == 1;

	for (int i = 0; i < 5; i++) {
		uint64_t t0 = aion_clock_ns();
		aion_sleep_until(t0 + SLEEP_NS);
		uint64_t d = aion_clock_ns() - t0;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	bool ok = lo >= SLEEP_NS && hi <= SLEEP_LIMIT_NS && ordered && counter;
	utest_result(ok, "sleep", "min_ns=%lu max_ns=%lu limit_ns=%lu clock_counter=%d "
		     "clock_ordered=%d", (unsigned long)lo, (unsigned long)hi,
		     (unsigned long)SLEEP_LIMIT_NS, counter, ordered);
}
