/*
 * Interrupt latency, worst cases (issue 16): from the moment a device
 * raises its interrupt to the driver thread running in user mode, with
 * the system idle and then while a lower-priority unit runs revoke, map
 * and destroy storms (ROLE_STORM). The device is the 8254 PIT's channel 0
 * in mode 0 (interrupt on terminal count), ISA IRQ 0: its interrupt comes
 * at a time known in advance, the moment of the count's write plus
 * count / 1.193182 MHz, whatever the CPU is doing then. The kernel uses
 * only channel 2 (calibration), so channel 0 is the bench's.
 *
 *   bench irq_latency_idle samples=N ns_median=... ns_p999=... ns_max=...
 *   bench irq_latency_revoke_storm ... (revoke storms only)
 *   bench irq_latency_storm ... restarts=R (calls cut at a preemption point)
 */
#include "utest.h"

#define PIT_CH0                 0x40
#define PIT_CMD                 0x43
#define PIT_PORTS               4
#define PIT_HZ                  1193182ull
#define PIT_LINE                2       /* ISA IRQ 0 on QEMU's I/O APIC (MADT override) */
#define LATENCY_SAMPLES         1000
#define MIN_COUNT               600     /* ~0.5 ms */
#define COUNT_SPREAD            1800    /* + up to ~1.5 ms: lands anywhere in a storm */
#define STORM_PRIO              100     /* below utest's 150: the driver here */

static uint64_t lat[LATENCY_SAMPLES];

/* One interrupt: programs the count, waits, returns the lateness in ns (or an error). */
static int64_t one_sample(aion_handle_t n, aion_handle_t irq, uint16_t count, uint64_t *ns)
{
	uint64_t bits;

	aion_outb(PIT_CMD, 0x30);               /* channel 0, lo/hi, mode 0 */
	aion_outb(PIT_CH0, count & 0xff);
	/* Read before the write that starts the count: never later than it. */
	uint64_t due = aion_clock_ns() + count * 1000000000ull / PIT_HZ;
	aion_outb(PIT_CH0, count >> 8);         /* counting starts here */
	int64_t err = aion_wait(n, &bits, 200 * MS);
	uint64_t now = aion_clock_ns();
	aion_irq_ack(irq);
	*ns = now - due;        /* signed in fact: early shows as huge */
	return err;
}

/* LATENCY_SAMPLES interrupts; prints the line; 0 or the first error. */
static int64_t phase(const char *what, aion_handle_t n, aion_handle_t irq, uint64_t restarts0)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct aion_system_info si;

	for (unsigned i = 0; i < LATENCY_SAMPLES; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		int64_t err = one_sample(n, irq, (uint16_t)(MIN_COUNT + (seed >> 33) % COUNT_SPREAD),
					 &lat[i]);
		if (err)
			return err;
	}
	aion_system_info(&si);
	int64_t lo = 0;
	for (unsigned i = 0; i < LATENCY_SAMPLES; i++)
		if ((int64_t)lat[i] < lo)
			lo = (int64_t)lat[i];
	for (unsigned i = 0; i < LATENCY_SAMPLES; i++)
		if ((int64_t)lat[i] < 0)
			lat[i] = 0;
	utest_sort(lat, LATENCY_SAMPLES);
	aion_printf("bench %s samples=%u early_ns=%ld ns_median=%lu ns_p999=%lu ns_max=%lu restarts=%lu",
		    what, LATENCY_SAMPLES, (long)-lo, (unsigned long)lat[LATENCY_SAMPLES / 2],
		    (unsigned long)lat[(LATENCY_SAMPLES * 999 + 999) / 1000 - 1],  /* nearest rank */
		    (unsigned long)lat[LATENCY_SAMPLES - 1],
		    (unsigned long)(si.syscall_restarts - restarts0));
	return 0;
}

/* A phase while a unit runs `role` at STORM_PRIO. */
static int64_t storm_phase(const char *what, enum role role, aion_handle_t n, aion_handle_t irq)
{
	struct aion_system_info si;
	struct aion_unit_info info;
	aion_handle_t u, t;
	int64_t err = utest_spawn_role(role, STORM_PRIO, &u, &t);

	if (err)
		return err;
	aion_sleep_ns(20 * MS);                 /* the storm under way */
	aion_system_info(&si);
	err = phase(what, n, irq, si.syscall_restarts);
	if (!err && !aion_unit_info(u, &info) && info.state != AION_UNIT_RUNNING)
		err = -AION_EDEAD;              /* the storm stopped: its figures mean nothing */
	utest_reap(u, t);
	return err;
}

void bench_irq_latency(void)
{
	struct aion_system_info si;
	int64_t io = aion_ioport_create(UTEST_PLATFORM, PIT_CH0, PIT_PORTS);
	int64_t n = aion_notify_create();
	int64_t irq = aion_irq_create(UTEST_PLATFORM, PIT_LINE);
	int64_t err = io < 0 ? io : n < 0 ? n : irq < 0 ? irq : 0;

	if (!err && !(err = aion_ioport_enable((aion_handle_t)io)))
		err = aion_irq_set_notify((aion_handle_t)irq, (aion_handle_t)n, 1);
	aion_system_info(&si);
	if (!err)
		err = phase("irq_latency_idle", (aion_handle_t)n, (aion_handle_t)irq,
			    si.syscall_restarts);
	if (!err)
		err = storm_phase("irq_latency_revoke_storm", ROLE_STORM_REVOKE,
				  (aion_handle_t)n, (aion_handle_t)irq);
	if (!err)
		err = storm_phase("irq_latency_storm", ROLE_STORM, (aion_handle_t)n,
				  (aion_handle_t)irq);
	if (irq > 0)
		aion_handle_close((aion_handle_t)irq);
	if (n > 0)
		aion_handle_close((aion_handle_t)n);
	if (io > 0)
		aion_handle_close((aion_handle_t)io);
	if (err)
		utest_fail("bench", "irq latency: %s", aion_error_name(err));
}
