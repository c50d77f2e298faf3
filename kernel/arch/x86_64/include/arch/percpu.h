/*
 * Per-CPU data, reached through the GS base from the first C function on.
 * The first field points to the structure itself so that this_cpu() is one
 * load from %gs:0.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

/* Offsets used by syscall.S: keep in sync with the _Static_asserts in gdt.c. */
#define PERCPU_KERNEL_RSP 8
#define PERCPU_USER_RSP   16

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "sched.h"

struct tss;

#define PERCPU_IO_RANGES 4              /* UNIT_IO_RANGES (gdt.c checks) */

struct percpu {
	struct percpu *self;
	uint64_t kernel_rsp;            /* top of the running thread's kernel stack */
	uint64_t user_rsp;              /* scratch for SYSCALL entry */
	uint32_t cpu_id;
	uint32_t lapic_id;
	struct tss *tss;
	uint64_t timer_deadline_ns;     /* armed one-shot deadline, 0 if none */
	uint64_t timer_irqs;            /* one-shot expiries taken */
	uint64_t timer_last_fire_ns;
	uint64_t timer_fires_ns;        /* when the LAPIC one-shot ends, 0 if stopped */
	uint32_t timer_lvt;             /* what the LAPIC's timer LVT holds (lapic.c) */
	uint64_t irq_vector;            /* an interrupt taken, not yet handled (trap.c) */
	uint32_t trap_depth;            /* nested exception guard */
	uint64_t fs_base;               /* what IA32_FS_BASE holds ... */
	uint32_t fs_unit_id;            /* ... for a thread of this unit (0: none yet) */
	uint32_t requests;              /* CPU_REQ_* other CPUs posted (atomic) */
	const struct unit *vm_unit;     /* whose page tables CR3 holds (NULL: the kernel's; atomic) */
	struct {                        /* the I/O ports open in the TSS's bitmap (gdt.c) */
		uint16_t base, count;
	} io_open[PERCPU_IO_RANGES];
	unsigned io_open_n;
	bool entry_clock_valid;         /* arch_clock_ns_entry read the clock ... */
	uint64_t entry_clock_ns;        /* ... since this kernel entry: this */
	/* Last, its hot fields first (sched.h): a switch reads one page of
	 * all this, the page each CPU's copy starts on. */
	struct sched sched;             /* this CPU's run queue and sleepers */
} __attribute__((aligned(4096)));

/* What another CPU asks of this one (smp.c); cleared when done. */
#define CPU_REQ_TLB        (1u << 0)    /* reload CR3: user entries */
#define CPU_REQ_TLB_GLOBAL (1u << 1)    /* toggle CR4.PGE: every entry */
#define CPU_REQ_EVICT      (1u << 2)    /* leave the (dead) current thread */
#define CPU_REQ_UNLOAD     (1u << 3)    /* a kernel thread drops the unit tables it kept */

/* The per-CPU data of CPU cpu (< CPU_MAX), gdt.c. */
struct percpu *percpu_of(unsigned cpu);

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

#endif /* __ASSEMBLER__ */
#endif /* ARCH_PERCPU_H */
