/*
 * Local APIC of the running CPU: enable, EOI, and its timer in one-shot
 * mode (no periodic tick: an idle CPU sleeps until its next deadline).
 */
#include "aion/error.h"
#include "arch/cpu.h"
#include "arch/paging.h"
#include "arch/percpu.h"
#include "arch/timer.h"
#include "arch/trap.h"
#include "klock.h"
#include "hot.h"

#define LAPIC_ID        0x020
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define APIC_BASE_ENABLE (1ull << 11)
#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define TIMER_DIV_16    0x3

static volatile uint32_t *lapic;

static uint32_t lapic_read(unsigned reg)
{
	return lapic[reg / 4];
}

KERNEL_HOT
static void lapic_write(unsigned reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

/* Every CPU's APIC answers at the same address: the mapping is made once. */
int lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	void *regs;

	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	if (!lapic) {
		int err = arch_map_mmio(base & ~0xfffull, 4096, &regs);
		if (err)
			return err;
		lapic = regs;
	}
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	this_cpu()->timer_lvt = LVT_MASKED | VEC_TIMER;
	return 0;
}

/*
 * Sends an interprocessor interrupt (ICR low word: vector and delivery
 * mode) to the CPU whose APIC ID is apic_id, and waits until its APIC
 * has taken it (delivery status idle), at most ICR_SPINS reads.
 */
#define LAPIC_ICR_LOW   0x300
#define LAPIC_ICR_HIGH  0x310
#define ICR_PENDING     (1u << 12)
#define ICR_SPINS       1000000u

int lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, icr_low);
	for (unsigned i = 0; i < ICR_SPINS; i++)
		if (!(lapic_read(LAPIC_ICR_LOW) & ICR_PENDING))
			return 0;
	return -AION_ETIMEDOUT;
}

/*
 * Task priority: the APIC holds back every vector whose class (high
 * nibble) is at or below tpr's; 0 lets all through. A napping waiter
 * for the big lock raises it so that only IPIs (class 15) wake it.
 */
#define LAPIC_TPR       0x080

void lapic_set_tpr(uint32_t tpr)
{
	lapic_write(LAPIC_TPR, tpr);
}

KERNEL_HOT
void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/*
 * The IRR holds what the local APIC has accepted and not yet delivered:
 * with interrupts off in the kernel, a device interrupt or the timer
 * waits there. Eight 32-bit registers, vectors 0..255.
 */
#define LAPIC_IRR       0x200
#define LAPIC_IRR_WORDS 8

KERNEL_HOT
bool arch_irq_pending(void)
{
	if (kernel_lock_contended())
		return true;
	for (unsigned i = 0; i < LAPIC_IRR_WORDS; i++)
		if (lapic_read(LAPIC_IRR + 0x10 * i))
			return true;
	return false;
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

/* The LVT is written only when it changes: every LAPIC access is an exit
 * to the emulator under TCG, and the timer is programmed on most wake-ups.
 * A count of 0 stops the one-shot whatever the LVT holds. */
KERNEL_HOT
void lapic_timer_start(uint32_t count, bool irq)
{
	struct percpu *p = this_cpu();
	uint32_t lvt = VEC_TIMER | (irq ? 0 : LVT_MASKED);

	if (count && p->timer_lvt != lvt) {
		lapic_write(LAPIC_LVT_TIMER, lvt);
		p->timer_lvt = lvt;
	}
	lapic_write(LAPIC_TIMER_INIT, count);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}
