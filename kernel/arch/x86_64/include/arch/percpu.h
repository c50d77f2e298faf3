/*
 * Per-CPU data, reached through the GS base from the first C function on.
 * The first field points to the structure itself so that this_cpu() is one
 * load from %gs:0.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdint.h>

struct tss;

struct percpu {
	struct percpu *self;
	uint32_t cpu_id;
	uint32_t lapic_id;
	struct tss *tss;
	uint64_t timer_deadline_ns;     /* armed one-shot deadline, 0 if none */
	uint64_t timer_irqs;            /* one-shot expiries taken */
	uint64_t timer_last_fire_ns;
	uint32_t trap_depth;            /* nested exception guard */
};

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

#endif /* ARCH_PERCPU_H */
