/* Boot CPU bring-up and the few CPU-state hooks generic code needs. */
#include "arch.h"
#include "arch/gdt.h"

void arch_clock_start(void);

void arch_cpu_init(void)
{
	arch_clock_start();
	gdt_init();
	idt_init();
}

void arch_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

void arch_irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

void arch_idle(void)
{
	/* sti takes effect after the next instruction: no wakeup is lost. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
