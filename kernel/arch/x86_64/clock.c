/*
 * The monotonic clock and the one-shot timer.
 *
 * The TSC gives nanoseconds (ns = ticks * mult >> 32); the LAPIC timer
 * gives deadlines. Both rates are measured against the PIT's counter
 * between two readings 40 ms apart (the median of three windows), then
 * cross-checked over a separate 20 ms window measured by the PIT's own
 * counter; the boot tests read the check lines.
 */
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/timer.h"
#include "log.h"
#include "sched.h"
#include "hot.h"

#define NS_PER_S        1000000000ull
#define CALIB_PIT_TICKS 11932u          /* 10 ms */
#define CALIB_TRIES     3
#define CHECK_NS        20000000ull     /* 20 ms, < 65535 PIT ticks */
#define SPIN_LIMIT      50000000u       /* bounded polling: ~seconds */
#define MAX_ARM_NS      (10 * NS_PER_S) /* keeps ns * lapic_hz in 64 bits */
#define LAZY_ARM_NS     (2 * NS_PER_S / 100)    /* arch_timer_arm: two slices */

static uint64_t tsc_base, tsc_mult, tsc_hz, lapic_hz;

KERNEL_HOT
uint64_t arch_clock_ns(void)
{
	if (!tsc_mult)
		return 0;
	return aion_clock_from_counter(rdtsc(), tsc_base, tsc_mult);
}

/* SYSTEM_INFO's clock_base and clock_mult: a unit computes the clock
 * from RDTSC as above, with no system call (libaion's aion_clock_ns). */
void arch_clock_terms(uint64_t *base, uint64_t *mult)
{
	*base = tsc_base;
	*mult = tsc_mult;
}

/*
 * The clock as this CPU's current kernel entry (system call or trap)
 * first read it. The scheduler's stamps and a call's deadline need no
 * finer time than one bounded kernel path, and under multi-threaded TCG
 * each RDTSC takes a spinlock all vCPUs share and writes its line (QEMU's
 * cpu_get_ticks): a call and its reply read it five times, two pairs on
 * two CPUs contended for it (docs/smp.md).
 */
KERNEL_HOT
uint64_t arch_clock_ns_entry(void)
{
	struct percpu *cpu = this_cpu();

	if (!cpu->entry_clock_valid) {
		cpu->entry_clock_ns = arch_clock_ns();
		cpu->entry_clock_valid = true;
	}
	return cpu->entry_clock_ns;
}

KERNEL_HOT
void arch_clock_entry_begin(void)
{
	this_cpu()->entry_clock_valid = false;
}

void arch_clock_start(void)
{
	tsc_base = rdtsc();
}

/*
 * One reading of the PIT's channel 2 counter with the TSC and the LAPIC
 * counter beside it, the TSC read just before and just after: of
 * SAMPLE_TRIES readings the one whose two TSC reads are closest, so that
 * the three counters were read at (almost) the same moment. A host that
 * deschedules the emulator between two reads spoils that reading only.
 */
#define SAMPLE_TRIES    16
#define CALIB_SPAN      47727u          /* PIT ticks between the readings: 40 ms */

struct clock_sample {
	uint16_t pit;
	uint32_t lapic;
	uint64_t tsc, gap;
};

static void clock_sample(struct clock_sample *best)
{
	best->gap = ~0ull;
	for (int i = 0; i < SAMPLE_TRIES; i++) {
		uint64_t a = rdtsc();
		uint16_t pit = pit_ch2_read();
		uint32_t lapic = lapic_timer_current();
		uint64_t b = rdtsc();

		if (b - a < best->gap)
			*best = (struct clock_sample){ .pit = pit, .lapic = lapic,
				.tsc = a + (b - a) / 2, .gap = b - a };
	}
}

/*
 * One window: TSC ticks and LAPIC counts in *dt and *dl over about
 * CALIB_SPAN PIT ticks, measured between two readings of the PIT's own
 * counter (not between starting it and seeing it expire, which a
 * descheduled emulator stretched or shrank: 16 TCG VMs booting at once
 * on 2 cores calibrated TSC rates 1 to 4.6 times too high and one 51
 * times too low, and their clocks ran that much slow or fast:
 * docs/mesh.md "16 nodes"). Being stopped between the readings costs
 * nothing; -AION_EAGAIN if the counter wrapped meanwhile (OUT2 went high
 * at its terminal count).
 */
static int calibrate_once(uint64_t *dt, uint64_t *dl)
{
	struct clock_sample s0, s1;
	unsigned spins = 0;

	lapic_timer_start(0xffffffffu, false);
	pit_ch2_start(0xffff);
	clock_sample(&s0);
	while ((uint16_t)(s0.pit - pit_ch2_read()) < CALIB_SPAN)
		if (++spins > SPIN_LIMIT)
			return -AION_ETIMEDOUT;
	clock_sample(&s1);
	bool wrapped = pit_ch2_expired();
	lapic_timer_start(0, false);
	if (wrapped || s1.pit >= s0.pit)
		return -AION_EAGAIN;
	uint64_t pit_ticks = s0.pit - s1.pit;
	*dt = (s1.tsc - s0.tsc) * CALIB_PIT_TICKS / pit_ticks;
	*dl = (uint64_t)(s0.lapic - s1.lapic) * CALIB_PIT_TICKS / pit_ticks;
	return 0;
}

/* The median of CALIB_TRIES windows (each scaled to CALIB_PIT_TICKS). */
static int calibrate(void)
{
	uint64_t t[CALIB_TRIES], l[CALIB_TRIES];
	int n = 0, fails = 0;

	while (n < CALIB_TRIES) {
		int err = calibrate_once(&t[n], &l[n]);
		if (err == -AION_EAGAIN && ++fails < 16)
			continue;
		if (err)
			return err;
		n++;
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			uint64_t x = t[j]; t[j] = t[j - 1]; t[j - 1] = x;
		}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && l[j] < l[j - 1]; j--) {
			uint64_t x = l[j]; l[j] = l[j - 1]; l[j - 1] = x;
		}
	uint64_t tsc_ticks = t[n / 2], lapic_counts = l[n / 2];

	uint64_t window_ns = CALIB_PIT_TICKS * NS_PER_S / PIT_HZ;
	tsc_hz = tsc_ticks * NS_PER_S / window_ns;
	lapic_hz = lapic_counts * NS_PER_S / window_ns;
	if (!tsc_hz || !lapic_hz)
		return -AION_ERANGE;
	tsc_mult = (NS_PER_S << 32) / tsc_hz;
	klog("timer: calibrated lapic_hz=%lu tsc_hz=%lu window_us=%lu retries=%d",
	     (unsigned long)lapic_hz, (unsigned long)tsc_hz,
	     (unsigned long)(CALIB_SPAN * NS_PER_S / PIT_HZ / 1000), fails);
	return 0;
}

static uint64_t pit_elapsed_ns(void)
{
	return (0xffffu - pit_ch2_read()) * NS_PER_S / PIT_HZ;
}

/* How long the PIT says a CHECK_NS LAPIC countdown took. */
static int check_lapic(uint64_t *pit_ns)
{
	unsigned spins = 0;

	pit_ch2_start(0xffff);
	lapic_timer_start((uint32_t)(CHECK_NS * lapic_hz / NS_PER_S), false);
	while (lapic_timer_current() != 0)
		if (++spins > SPIN_LIMIT)
			return -AION_ETIMEDOUT;
	*pit_ns = pit_elapsed_ns();
	return 0;
}

/* How long the PIT says CHECK_NS of the TSC clock took. */
static int check_tsc(uint64_t *pit_ns)
{
	unsigned spins = 0;

	pit_ch2_start(0xffff);
	uint64_t t0 = arch_clock_ns();
	while (arch_clock_ns() - t0 < CHECK_NS)
		if (++spins > SPIN_LIMIT)
			return -AION_ETIMEDOUT;
	*pit_ns = pit_elapsed_ns();
	return 0;
}

/*
 * Runs a check CHECK_TRIES times and keeps the measurement closest to
 * CHECK_NS: under emulation the host may deschedule the CPU between the
 * two counter reads, which inflates one measurement but not the rate.
 */
#define CHECK_TRIES 3

static int best_of(int (*check)(uint64_t *), const char *clock)
{
	uint64_t best = 0, pit_ns;

	for (int i = 0; i < CHECK_TRIES; i++) {
		int err = check(&pit_ns);
		if (err)
			return err;
		uint64_t d = pit_ns > CHECK_NS ? pit_ns - CHECK_NS : CHECK_NS - pit_ns;
		uint64_t bd = best > CHECK_NS ? best - CHECK_NS : CHECK_NS - best;
		if (i == 0 || d < bd)
			best = pit_ns;
	}
	klog("timer: check clock=%s want_ns=%lu pit_ns=%lu tries=%d", clock,
	     (unsigned long)CHECK_NS, (unsigned long)best, CHECK_TRIES);
	return 0;
}

int arch_timer_init(void)
{
	pic_disable();
	pit_ch0_stop();
	int err = lapic_init();
	if (!err)
		err = calibrate();
	if (!err)
		err = best_of(check_lapic, "lapic");
	if (!err)
		err = best_of(check_tsc, "tsc");
	return err;
}

KERNEL_HOT
static void timer_program(uint64_t now, uint64_t deadline)
{
	uint64_t delta = deadline > now ? deadline - now : 0;

	if (delta > MAX_ARM_NS)
		delta = MAX_ARM_NS;     /* re-armed from timer_irq until reached */
	this_cpu()->timer_fires_ns = now + delta;
	uint64_t ticks = delta * lapic_hz / NS_PER_S;
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	lapic_timer_start((uint32_t)ticks, true);
}

KERNEL_HOT
void arch_timer_disarm(bool halting)
{
	struct percpu *cpu = this_cpu();

	cpu->timer_deadline_ns = 0;
	if (!cpu->timer_fires_ns || !halting)
		return;                 /* ended, stopped or left to end: no LAPIC write */
	cpu->timer_fires_ns = 0;
	lapic_timer_start(0, false);
}

/*
 * A later deadline leaves a running one-shot alone: it ends early and
 * timer_irq programs the rest. A LAPIC write is an exit to the emulator
 * (under TCG, taken under its global lock, and it wakes QEMU's main loop
 * to look at its timers): a ping-pong of calls writes it once a slice
 * instead of twice a call, and a server woken from a sleep with a
 * deadline, which takes its sleeper off the queue and puts it back when
 * it blocks, writes nothing. Only a CPU about to halt programs a far
 * deadline at once, so that it is not woken early for nothing.
 */
KERNEL_HOT
void arch_timer_arm(uint64_t deadline_ns, bool halting)
{
	struct percpu *cpu = this_cpu();

	cpu->timer_deadline_ns = deadline_ns;
	if (cpu->timer_fires_ns && cpu->timer_fires_ns <= deadline_ns &&
	    (!halting || deadline_ns - cpu->timer_fires_ns <= LAZY_ARM_NS))
		return;
	timer_program(arch_clock_ns(), deadline_ns);
}

/* Precondition: interrupts off (called from the trap path). */
KERNEL_HOT
void timer_irq(void)
{
	struct percpu *cpu = this_cpu();
	uint64_t now = arch_clock_ns();

	cpu->timer_fires_ns = 0;        /* the one-shot has ended */
	if (!cpu->timer_deadline_ns)
		return;
	if (now < cpu->timer_deadline_ns) {
		timer_program(now, cpu->timer_deadline_ns);
		return;
	}
	cpu->timer_deadline_ns = 0;
	cpu->timer_irqs++;
	cpu->timer_last_fire_ns = now;
	sched_timer();
}
