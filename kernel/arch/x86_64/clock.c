/*
 * The monotonic clock and the one-shot timer.
 *
 * The TSC gives nanoseconds (ns = ticks * mult >> 32); the LAPIC timer
 * gives deadlines. Both rates are measured against the PIT over a 10 ms
 * window (the least disturbed of three), then cross-checked over a
 * separate 20 ms window measured by the PIT's own counter; the boot tests
 * read the check lines.
 */
#include "aion/error.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/timer.h"
#include "log.h"
#include "sched.h"

#define NS_PER_S        1000000000ull
#define CALIB_PIT_TICKS 11932u          /* 10 ms */
#define CALIB_TRIES     3
#define CHECK_NS        20000000ull     /* 20 ms, < 65535 PIT ticks */
#define SPIN_LIMIT      50000000u       /* bounded polling: ~seconds */
#define MAX_ARM_NS      (10 * NS_PER_S) /* keeps ns * lapic_hz in 64 bits */

static uint64_t tsc_base, tsc_mult, tsc_hz, lapic_hz;

uint64_t arch_clock_ns(void)
{
	if (!tsc_mult)
		return 0;
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_base) * tsc_mult) >> 32);
}

void arch_clock_start(void)
{
	tsc_base = rdtsc();
}

/*
 * One PIT window: TSC ticks and LAPIC counts in *dt and *dl. A host that
 * deschedules the emulator between the PIT expiring and our reads only
 * makes both counts larger, never smaller.
 */
static int calibrate_once(uint64_t *dt, uint64_t *dl)
{
	unsigned spins = 0;

	lapic_timer_start(0xffffffffu, false);
	pit_ch2_start(CALIB_PIT_TICKS);
	uint64_t t0 = rdtsc();
	uint32_t l0 = lapic_timer_current();
	while (!pit_ch2_expired())
		if (++spins > SPIN_LIMIT)
			return -AION_ETIMEDOUT;
	uint64_t t1 = rdtsc();
	uint32_t l1 = lapic_timer_current();
	lapic_timer_start(0, false);
	*dt = t1 - t0;
	*dl = (uint64_t)(l0 - l1);
	return 0;
}

/* The smallest counts of CALIB_TRIES windows: the ones least disturbed. */
static int calibrate(void)
{
	uint64_t tsc_ticks = ~0ull, lapic_counts = ~0ull;

	for (int i = 0; i < CALIB_TRIES; i++) {
		uint64_t dt, dl;
		int err = calibrate_once(&dt, &dl);
		if (err)
			return err;
		tsc_ticks = dt < tsc_ticks ? dt : tsc_ticks;
		lapic_counts = dl < lapic_counts ? dl : lapic_counts;
	}

	uint64_t window_ns = CALIB_PIT_TICKS * NS_PER_S / PIT_HZ;
	tsc_hz = tsc_ticks * NS_PER_S / window_ns;
	lapic_hz = lapic_counts * NS_PER_S / window_ns;
	if (!tsc_hz || !lapic_hz)
		return -AION_ERANGE;
	tsc_mult = (NS_PER_S << 32) / tsc_hz;
	klog("timer: calibrated lapic_hz=%lu tsc_hz=%lu window_us=%lu",
	     (unsigned long)lapic_hz, (unsigned long)tsc_hz,
	     (unsigned long)(window_ns / 1000));
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
	int err = lapic_init();
	if (!err)
		err = calibrate();
	if (!err)
		err = best_of(check_lapic, "lapic");
	if (!err)
		err = best_of(check_tsc, "tsc");
	return err;
}

static void timer_program(uint64_t now, uint64_t deadline)
{
	uint64_t delta = deadline > now ? deadline - now : 0;

	if (delta > MAX_ARM_NS)
		delta = MAX_ARM_NS;     /* re-armed from timer_irq until reached */
	uint64_t ticks = delta * lapic_hz / NS_PER_S;
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	lapic_timer_start((uint32_t)ticks, true);
}

void arch_timer_disarm(void)
{
	this_cpu()->timer_deadline_ns = 0;
	lapic_timer_start(0, false);
}

void arch_timer_arm(uint64_t deadline_ns)
{
	this_cpu()->timer_deadline_ns = deadline_ns;
	timer_program(arch_clock_ns(), deadline_ns);
}

/* Precondition: interrupts off (called from the trap path). */
void timer_irq(void)
{
	struct percpu *cpu = this_cpu();
	uint64_t now = arch_clock_ns();

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
