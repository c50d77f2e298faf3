/*
 * Kernel micro-benchmarks, run in user mode: a null system call round trip
 * and a thread switch by yield (two threads of one unit, two units, and
 * this unit and a guest of it in its address space: UNIT_COLOCATE).
 * Each figure is the median and 99th percentile of BENCH_ITERS samples in
 * TSC cycles, converted to ns with the rate measured over the same loop.
 * bench/kernel turns the lines into JSON.
 */
#include "utest.h"

static uint64_t samples[BENCH_ITERS];

void utest_sort(uint64_t *a, unsigned n)
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
static void report_n(const char *what, unsigned n, uint64_t ns, uint64_t cycles,
		     unsigned divisor)
{
	utest_sort(samples, n);
	uint64_t med = samples[n / 2] / divisor;
	uint64_t p99 = samples[n * 99 / 100] / divisor;
	/* ns per cycle from the whole loop: ns_x = cycles_x * ns / cycles */
	aion_printf("bench %s iterations=%u cycles_median=%lu cycles_p99=%lu ns_median=%lu ns_p99=%lu",
		    what, n, (unsigned long)med, (unsigned long)p99,
		    (unsigned long)(med * ns / cycles), (unsigned long)(p99 * ns / cycles));
}

static void report(const char *what, uint64_t ns, uint64_t cycles, unsigned divisor)
{
	report_n(what, BENCH_ITERS, ns, cycles, divisor);
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

/* 1: eax = YIELD; syscall; jmp 1b: a guest's code, in its window. */
static const uint8_t guest_yields[] = { 0xb8, AION_SYS_YIELD, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7 };
_Static_assert(AION_SYS_YIELD < 256, "an imm8 of the code");
#define GUEST_WINDOW    1u
#define GUEST_CODE      (AION_WINDOW_BASE(GUEST_WINDOW) + 0x400000)

/* A guest unit of ours at priority 150 that yields back, on our CPU. */
static int64_t spawn_guest_yielder(aion_handle_t *u, aion_handle_t *t)
{
	struct aion_thread_info self = { 0 };
	int64_t g = aion_unit_create(AION_HANDLE_SELF, "guest", 5, 32, 150), th = -1;
	int64_t err = g < 0 ? g : aion_unit_colocate((aion_handle_t)g, AION_HANDLE_SELF,
						     GUEST_WINDOW);
	if (!err)
		err = aion_thread_info(AION_HANDLE_SELF, &self);
	if (!err)
		err = th = utest_code_thread((aion_handle_t)g, GUEST_CODE, guest_yields,
					     sizeof(guest_yields), 150, (int)self.cpu);
	if (err < 0) {
		if (g >= 0) {
			aion_unit_destroy((aion_handle_t)g);
			aion_handle_close((aion_handle_t)g);
		}
		return err;
	}
	*u = (aion_handle_t)g;
	*t = (aion_handle_t)th;
	return 0;
}

static struct aion_ipc_buffer bench_buf __attribute__((aligned(4096)));

/* call + reply to an echo server in another unit, with ncaps capabilities. */
static void bench_call(const char *what, aion_handle_t ep, unsigned ncaps, aion_handle_t cap)
{
	uint64_t n0 = aion_clock_ns(), c0 = aion_rdtsc();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		struct aion_msg m = { .tag = AION_TAG(1, 0, ncaps), .w = { i, 0, 0 } };
		bench_buf.caps[0] = cap;
		bench_buf.cap_rights[0] = AION_RIGHT_SEND;
		uint64_t t = aion_rdtsc();
		if (aion_call(ep, &m, 1000 * MS) || m.w[0] != i + 1) {
			utest_fail("bench", "%s call %u failed", what, i);
			return;
		}
		samples[i] = aion_rdtsc() - t;
	}
	report(what, aion_clock_ns() - n0, aion_rdtsc() - c0, 1);
}

/* The echo server as a thread of ours: call+reply with no CR3 write. */
static int64_t echo_thread(uint64_t ep)
{
	struct aion_msg m;

	if (aion_recv((aion_handle_t)ep, &m, 0))
		return 1;
	for (;;) {
		m.w[0]++;
		m.tag = AION_TAG(AION_TAG_LABEL(m.tag), 0, 0);
		if (aion_reply_recv((aion_handle_t)ep, &m, 0))
			return 2;
	}
}

/* call_reply_same_unit against call_reply_0cap: what the IPC path costs
 * beyond two switches, with and without the TLB's refills after a CR3
 * write (bench/README.md). */
static void bench_call_same_unit(void)
{
	int64_t ep = aion_endpoint_create();
	int64_t th = ep < 0 ? ep : aion_thread_spawn(echo_thread, (uint64_t)ep,
						     aion_stack_alloc(4), 150);
	if (th < 0) {
		utest_fail("bench", "same-unit echo err=%s", aion_error_name(th));
		return;
	}
	bench_call("call_reply_same_unit", (aion_handle_t)ep, 0, 0);
	aion_handle_close((aion_handle_t)th);
	aion_handle_close((aion_handle_t)ep);   /* its receive ends: EDEAD */
}

static volatile uint64_t signal_tsc;
static volatile unsigned woken;

/* Higher priority than the signaller: it runs as soon as the signal lands. */
static int64_t signal_waiter(uint64_t n)
{
	uint64_t bits;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		if (aion_wait((aion_handle_t)n, &bits, 1000 * MS))
			return 1;
		samples[i] = aion_rdtsc() - signal_tsc;
		woken = i + 1;
	}
	return 0;
}

static void bench_signal(void)
{
	int64_t n = aion_notify_create();
	uint64_t n0 = aion_clock_ns(), c0 = aion_rdtsc();
	woken = 0;
	int64_t w = aion_thread_spawn(signal_waiter, (uint64_t)n, aion_stack_alloc(4), 160);
	for (unsigned i = 0; i < BENCH_ITERS && w >= 0; i++) {
		signal_tsc = aion_rdtsc();
		aion_signal((aion_handle_t)n, 1);
		if (woken != i + 1) {
			utest_fail("bench", "signal %u did not wake the waiter at once", i);
			return;
		}
	}
	report("signal_to_wake", aion_clock_ns() - n0, aion_rdtsc() - c0, 1);
	aion_handle_close((aion_handle_t)w);
	aion_handle_close((aion_handle_t)n);
}

#define IRQ_ITERS 1000

/* From asking COM1 for its "transmitter empty" interrupt to running in user mode. */
static void bench_irq(void)
{
	int64_t io = aion_ioport_create(UTEST_PLATFORM, 0x3f8, 8);
	int64_t n = aion_notify_create();
	int64_t irq = aion_irq_create(UTEST_PLATFORM, 4);
	uint64_t bits;

	if (io < 0 || n < 0 || irq < 0 || aion_ioport_enable((aion_handle_t)io) ||
	    aion_irq_set_notify((aion_handle_t)irq, (aion_handle_t)n, 1)) {
		utest_fail("bench", "irq setup failed");
		return;
	}
	aion_outb(0x3f8 + 4, 0x0b);
	uint64_t n0 = aion_clock_ns(), c0 = aion_rdtsc();
	for (unsigned i = 0; i < IRQ_ITERS; i++) {
		uint64_t t = aion_rdtsc();
		aion_outb(0x3f8 + 1, 0x02);
		int64_t err = aion_wait((aion_handle_t)n, &bits, 200 * MS);
		samples[i] = aion_rdtsc() - t;
		(void)aion_inb(0x3f8 + 2);
		aion_outb(0x3f8 + 1, 0x00);
		aion_irq_ack((aion_handle_t)irq);
		if (err) {
			utest_fail("bench", "irq %u: %s", i, aion_error_name(err));
			break;
		}
	}
	aion_outb(0x3f8 + 4, 0x03);
	report_n("irq_to_user", IRQ_ITERS, aion_clock_ns() - n0, aion_rdtsc() - c0, 1);
	aion_handle_close((aion_handle_t)irq);
	aion_handle_close((aion_handle_t)n);
	aion_handle_close((aion_handle_t)io);
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

	/* A guest in our address space: the same switches, no CR3 write. */
	if ((err = spawn_guest_yielder(&u, &t))) {
		utest_fail("bench", "guest spawn err=%s", aion_error_name(err));
		return;
	}
	yield_loop("yield_colocated");
	utest_reap(u, t);

	/* IPC with an echo server unit at our priority. */
	int64_t ep = aion_endpoint_create();
	int64_t spare = aion_endpoint_create();
	if (ep < 0 || spare < 0 || aion_ipc_buffer(&bench_buf) ||
	    utest_spawn_with_cap(ROLE_ECHO, 150, (aion_handle_t)ep, AION_RIGHT_RECV, &u, &t)) {
		utest_fail("bench", "ipc setup failed");
		return;
	}
	int64_t grant = aion_cap_copy((aion_handle_t)ep, AION_RIGHT_SEND | AION_RIGHT_GRANT);
	bench_call("call_reply_0cap", (aion_handle_t)grant, 0, 0);
	bench_call_same_unit();
	bench_call("call_reply_1cap", (aion_handle_t)grant, 1, (aion_handle_t)spare);
	utest_reap(u, t);
	aion_handle_close((aion_handle_t)grant);
	aion_handle_close((aion_handle_t)spare);
	aion_handle_close((aion_handle_t)ep);
	aion_ipc_buffer(NULL);
	bench_signal();
	bench_irq();
	bench_irq_latency();
	utest_ok("bench", "iterations=%u", BENCH_ITERS);
}
