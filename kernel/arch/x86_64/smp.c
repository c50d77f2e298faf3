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
#include "arch/trap.h"
#include "common/string.h"
#include "klock.h"
#include "layout.h"
#include "log.h"
#include "sched.h"
#include "thread.h"
#include "unit.h"
#include "hot.h"

#define AP_STACK_SIZE   16384
#define INIT_WAIT_NS    10000000ull     /* INIT to the first STARTUP: 10 ms */
#define SIPI_WAIT_NS    200000ull       /* between the two STARTUPs: 200 us */
#define ONLINE_WAIT_NS  2000000000ull   /* generous: 16 TCG nodes on 2 host cores */

extern char boot_pml4[];

static uint8_t ap_stacks[CPU_MAX][AP_STACK_SIZE] __attribute__((aligned(16)));
static struct thread ap_idle[CPU_MAX];
static unsigned cpus_online = 1;
static uint32_t online_mask = 1;        /* bit n: CPU n runs (the boot CPU: 0) */
static volatile uint32_t ap_ready;      /* the index of the last AP that came up */

#define REQ_WAIT_NS     1000000000ull   /* a CPU that does not answer in 1 s is stuck */

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
	this_cpu()->lapic_id = lapic_id();
	klog("cpu online cpu=%u lapic=%u err=%s", cpu, lapic_id(), aion_error_name(err));
	if (err) {
		__atomic_store_n(&ap_ready, cpu, __ATOMIC_RELEASE);
		arch_halt();
	}
	__atomic_or_fetch(&online_mask, 1u << cpu, __ATOMIC_RELEASE);
	__atomic_store_n(&ap_ready, cpu, __ATOMIC_RELEASE);
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
	this_cpu()->lapic_id = self;
	if (m->ncpu > 1)
		kernel_lock_start();    /* the boot CPU holds it into its idle loop */
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
		if (!err && !arch_cpu_online(next - 1))
			err = -AION_EIO;        /* it said so in its own line */
		if (err) {
			klog("cpu failed lapic=%u err=%s", m->lapic_id[i], aion_error_name(err));
			continue;
		}
		cpus_online++;
	}
	klog("smp cpus=%u listed=%u", cpus_online, m->ncpu);
	return cpus_online;
}

/* --- requests between CPUs: docs/smp.md "IPIs" --- */

KERNEL_HOT
unsigned arch_cpu_id(void)
{
	return this_cpu()->cpu_id;
}

KERNEL_HOT
bool arch_cpu_online(unsigned cpu)
{
	return cpu < CPU_MAX && (__atomic_load_n(&online_mask, __ATOMIC_ACQUIRE) >> cpu & 1);
}

unsigned arch_cpus_count(void)
{
	unsigned n = 0;

	for (unsigned c = 0; c < CPU_MAX; c++)
		n += arch_cpu_online(c);
	return n;
}

KERNEL_HOT
struct sched *arch_cpu_sched_of(unsigned cpu)
{
	return &percpu_of(cpu)->sched;
}

KERNEL_HOT
void arch_cpu_kick(unsigned cpu)
{
	if (cpu != arch_cpu_id())
		lapic_send_ipi(percpu_of(cpu)->lapic_id, VEC_IPI);
}

/*
 * Posts req to CPU cpu, interrupts it and waits until it has done it. The
 * caller holds the big lock, so no other CPU posts meanwhile and the
 * target answers from user mode, from its halt, or from its spin for the
 * lock, each within its interrupt latency: bounded. A CPU that never
 * answers (a kernel fault halted it) is given up after REQ_WAIT_NS.
 */
static void request(unsigned cpu, uint32_t req)
{
	struct percpu *p = percpu_of(cpu);
	uint64_t end = arch_clock_ns() + REQ_WAIT_NS;

	__atomic_or_fetch(&p->requests, req, __ATOMIC_RELEASE);
	lapic_send_ipi(p->lapic_id, VEC_IPI);
	while (__atomic_load_n(&p->requests, __ATOMIC_ACQUIRE) & req) {
		if (arch_clock_ns() > end) {
			klog("cpu stuck cpu=%u req=0x%x", cpu, req);
			return;
		}
		cpu_relax();
	}
}

void arch_cpu_evict(unsigned cpu)
{
	request(cpu, CPU_REQ_EVICT);
}

void arch_cpu_evict_done(void)
{
	__atomic_and_fetch(&this_cpu()->requests, ~CPU_REQ_EVICT, __ATOMIC_RELEASE);
}

void arch_cpu_serve(void)
{
	struct percpu *p = this_cpu();
	uint32_t r = __atomic_load_n(&p->requests, __ATOMIC_ACQUIRE);

	if (r & CPU_REQ_TLB_GLOBAL)
		paging_flush_global();
	else if (r & CPU_REQ_TLB)
		write_cr3(read_cr3());
	/* A unit's thread here means its tables, not the dying unit's. */
	if ((r & CPU_REQ_UNLOAD) && !p->sched.current->unit)
		arch_vm_activate(NULL);
	if (r & (CPU_REQ_TLB | CPU_REQ_TLB_GLOBAL | CPU_REQ_UNLOAD))
		__atomic_and_fetch(&p->requests, ~(CPU_REQ_TLB | CPU_REQ_TLB_GLOBAL | CPU_REQ_UNLOAD),
				   __ATOMIC_RELEASE);
	if (r & CPU_REQ_EVICT) {
		lapic_set_tpr(0);       /* it may leave a nap (klock.c) for good */
		sched_evicted();        /* acknowledged once off the thread's stack */
	}
}

void arch_cpu_nap(void)
{
	lapic_set_tpr(TPR_IPI_ONLY);
	arch_idle();                    /* sti; hlt; cli: an IPI sent meanwhile wakes it */
	lapic_set_tpr(0);
}

void arch_spin_wait(void)
{
	arch_cpu_serve();
	cpu_relax();
}

/* Another CPU has u's tables in CR3: it runs a thread of u (or of a unit
 * sharing them: unit_space), or its idle thread kept them (sched.c
 * switch_to). */
static bool holds(unsigned c, const struct unit *u)
{
	return c != arch_cpu_id() && arch_cpu_online(c) &&
	       __atomic_load_n(&percpu_of(c)->vm_unit, __ATOMIC_SEQ_CST) == unit_space(u);
}

void arch_tlb_shootdown(const struct unit *u)
{
	/* The cleared entries before the reads of vm_unit: a CPU whose store
	 * comes later walks the new tables (vm.c arch_vm_activate). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned c = 0; c < CPU_MAX; c++)
		if (holds(c, u))
			request(c, CPU_REQ_TLB);
}

void arch_vm_release(const struct unit *u)
{
	for (unsigned c = 0; c < CPU_MAX; c++)
		if (holds(c, u))
			request(c, CPU_REQ_UNLOAD);
}

void arch_tlb_shootdown_kernel(void)
{
	unsigned me = arch_cpu_id();

	for (unsigned c = 0; c < CPU_MAX; c++)
		if (c != me && arch_cpu_online(c))
			request(c, CPU_REQ_TLB_GLOBAL);
}
