/* CPU bring-up and the few CPU-state hooks generic code needs. */
#include "arch.h"
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/gdt.h"
#include "hot.h"

#define MSR_STAR        0xc0000081u
#define MSR_LSTAR       0xc0000082u
#define MSR_FMASK       0xc0000084u
#define EFER_SCE        (1u << 0)
/*
 * Cleared on SYSCALL, so that no flag a unit can set reaches the kernel:
 * IF (the kernel runs with interrupts off), TF, DF, AC, and NT, which a
 * unit sets with popf and which makes the kernel's own iretq raise #GP
 * (no task return in long mode); IOPL too, as Linux does, though ring 3
 * cannot raise it; VM (vm86, see isr.S) and RF, as Linux does. Interrupt
 * and exception gates clear TF and NT themselves, and every return path
 * restores the unit's flags from its frame with iretq, whose popped NT is
 * harmless.
 */
#define SYSCALL_FMASK   (RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | \
			 RFLAGS_RF | RFLAGS_VM | RFLAGS_AC)

void arch_clock_start(void);
extern char syscall_entry[];

static void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSCALL: CS = 0x08, SS = 0x10. (SYSRET is unused: we leave by iretq.) */
	wrmsr(MSR_STAR, ((uint64_t)GDT_KDATA << 48) | ((uint64_t)GDT_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
}

void cpu_local_init(unsigned cpu)
{
	gdt_init(cpu);
	idt_load();
	syscall_init();
	fpu_init();
}

void arch_cpu_init(void)
{
	arch_clock_start();
	idt_init();
	cpu_local_init(0);
}

uint64_t arch_phys_end(void)
{
	uint32_t a, b, c, d;

	cpuid(0x80000000u, &a, &b, &c, &d);
	if (a < 0x80000008u)
		return 1ull << 36;      /* the architectural default */
	cpuid(0x80000008u, &a, &b, &c, &d);
	return 1ull << (a & 0xff);
}

void arch_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

void arch_irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

KERNEL_HOT
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
