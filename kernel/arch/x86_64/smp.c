/*
 * Application processors: each CPU of the MADT but the boot CPU is sent
 * INIT, then STARTUP twice (the "INIT-SIPI-SIPI" sequence of the Intel
 * SDM, vol. 3A, 9.4.4.1), and enters trampoline.S at TRAMPOLINE_PHYS; it
 * reaches ap_main in long mode on its own idle stack. APs start one at a
 * time: the trampoline's argument block is reused. docs/smp.md.
 */
#include "acpi.h"
#include "aion/error.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/gdt.h"
#include "arch/paging.h"
#include "arch/percpu.h"
#include "arch/smp.h"
#include "arch/timer.h"
#include "common/string.h"
#include "layout.h"
#include "log.h"
#include "sched.h"
#include "thread.h"

#define AP_STACK_SIZE   16384
#define INIT_WAIT_NS    10000000ull     /* INIT to the first STARTUP: 10 ms */
#define SIPI_WAIT_NS    200000ull       /* between the two STARTUPs: 200 us */
#define ONLINE_WAIT_NS  2000000000ull   /* generous: 16 TCG nodes on 2 host cores */

extern char boot_pml4[];

static uint8_t ap_stacks[CPU_MAX][AP_STACK_SIZE] __attribute__((aligned(16)));
static struct thread ap_idle[CPU_MAX];
static unsigned cpus_online = 1;
static volatile uint32_t ap_ready;      /* the index of the last AP that came up */

static void wait_ns(uint64_t ns)
{
	uint64_t end = arch_clock_ns() + ns;
	while (arch_clock_ns() < end)
		cpu_relax();
}

/* The AP's first C code: still on the boot stub's page tables. */
static __attribute__((noreturn)) void ap_main(unsigned cpu)
{
	paging_load_kernel();
	cpu_local_init(cpu);
	int err = lapic_init();
	struct thread *idle = &ap_idle[cpu];
	idle->kstack_top = (uint64_t)(uintptr_t)&ap_stacks[cpu][AP_STACK_SIZE];
	sched_init(idle);
	klog("cpu online cpu=%u lapic=%u err=%s", cpu, lapic_id(), aion_error_name(err));
	__atomic_store_n(&ap_ready, cpu, __ATOMIC_RELEASE);
	if (err)
		arch_halt();
	sched_idle_loop();
}

/* Starts the AP with APIC ID apic as CPU index cpu; waits until it is up. */
static int start_ap(unsigned cpu, uint8_t apic)
{
	struct trampoline_args *a = phys_to_virt(TRAMPOLINE_PHYS +
		(uint64_t)(trampoline_args - trampoline_start));
	uint64_t efer = rdmsr(MSR_EFER);

	a->cr3 = (uint32_t)kernel_image_phys(boot_pml4);
	a->efer = (uint32_t)(efer & ((1u << 8) | (1u << 11)));  /* LME, NXE */
	a->stack = (uint64_t)(uintptr_t)&ap_stacks[cpu][AP_STACK_SIZE];
	a->entry = (uint64_t)(uintptr_t)ap_main;
	a->cpu = cpu;
	__atomic_store_n(&ap_ready, 0, __ATOMIC_RELEASE);

	int err = lapic_send_ipi(apic, ICR_INIT);
	if (err)
		return err;
	wait_ns(INIT_WAIT_NS);
	for (int i = 0; i < 2 && !err; i++) {
		err = lapic_send_ipi(apic, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
		wait_ns(SIPI_WAIT_NS);
	}
	if (err)
		return err;
	uint64_t end = arch_clock_ns() + ONLINE_WAIT_NS;
	while (__atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) != cpu)
		if (arch_clock_ns() > end)
			return -AION_ETIMEDOUT;
		else
			cpu_relax();
	return 0;
}

unsigned arch_smp_start(void)
{
	const struct acpi_madt *m = arch_madt();
	uint32_t self = lapic_id();

	if (!m) {
		klog("smp cpus=1 err=%s", aion_error_name(-AION_ENOENT));
		return 1;
	}
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	/* An index is never given twice, even to an AP that timed out: it
	 * may still come up late and take its per-CPU data. */
	unsigned next = 1;
	for (unsigned i = 0; i < m->ncpu; i++) {
		if (m->lapic_id[i] == self)
			continue;
		if (next == CPU_MAX) {
			klog("cpu left lapic=%u err=%s", m->lapic_id[i],
			     aion_error_name(-AION_ENOSPC));
			continue;
		}
		int err = start_ap(next++, m->lapic_id[i]);
		if (err) {
			klog("cpu failed lapic=%u err=%s", m->lapic_id[i], aion_error_name(err));
			continue;
		}
		cpus_online++;
	}
	klog("smp cpus=%u listed=%u", cpus_online, m->ncpu);
	return cpus_online;
}
