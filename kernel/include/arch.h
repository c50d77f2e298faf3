/*
 * The hooks generic kernel code calls into the architecture (seL4's
 * Arch_ pattern). Everything behind them lives in kernel/arch/<arch>/.
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stdint.h>
#include <stdbool.h>

struct mb2_mem_range;

/* Console: polled COM1 output, usable from the first instruction of C. */
void arch_console_init(void);
void arch_console_write(const char *s, unsigned long n);

/* GDT, TSS, IDT and per-CPU data of the boot CPU. */
void arch_cpu_init(void);

/* Page tables: direct map of every RAM range and the kernel image. */
int arch_paging_init(const struct mb2_mem_range *ranges, unsigned n);

/* Interrupt controller and timer; calibrates and reports the clock. */
int arch_timer_init(void);

/* Arms the one-shot timer to fire at (or just after) deadline_ns. */
void arch_timer_arm(uint64_t deadline_ns);
void arch_timer_disarm(void);

/* Monotonic nanoseconds since calibration; 0 before it. */
uint64_t arch_clock_ns(void);

void arch_irq_enable(void);
void arch_irq_disable(void);

/* Waits for the next interrupt with interrupts enabled (sti; hlt). */
void arch_idle(void);

/* Stops this CPU for good. */
__attribute__((noreturn)) void arch_halt(void);

struct thread;

/* A new thread's first user context: entry(arg) on stack_top. */
void arch_thread_init_context(struct thread *t, uint64_t entry, uint64_t stack_top,
			      uint64_t arg);
/* Message registers a blocked or returning thread will see (aion/syscall.h). */
void arch_thread_set_msg(struct thread *t, uint64_t badge, uint64_t tag,
			 uint64_t w0, uint64_t w1, uint64_t w2);

/* Makes exactly u's I/O port ranges usable in ring 3 (TSS bitmap). */
struct unit;
void arch_io_load(const struct unit *u);

/* Interrupt lines of the I/O APIC (vectors ARCH_IRQ_VECTOR_BASE + line). */
int arch_irq_init(const uint8_t *rsdp, unsigned rsdp_len);
bool arch_irq_line_ok(uint32_t line);
void arch_irq_mask(uint32_t line, bool masked);

/*
 * ACPI power management facts for init (FADT, the DSDT's \_S5), the SCI
 * as an I/O APIC input. After arch_irq_init. 0 when all are found; else
 * the first error, with out->flags saying what still holds.
 */
struct aion_acpi_power;
int arch_acpi_power(const uint8_t *rsdp, unsigned rsdp_len, struct aion_acpi_power *out);

/* Boot switches that make the kernel take a deliberate fault. */
void selftest_page_fault(void);
void selftest_invalid_opcode(void);

#endif /* KERNEL_ARCH_H */
