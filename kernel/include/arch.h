/*
 * The hooks generic kernel code calls into the architecture (seL4's
 * Arch_ pattern): every one is declared here, named arch_*, and lives in
 * kernel/arch/<arch>/. Generic code includes no header of arch/<arch>/.
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

/* Arms the one-shot timer to fire at (or just after) deadline_ns; the
 * timer may fire earlier and find nothing due unless the CPU is halting. */
void arch_timer_arm(uint64_t deadline_ns, bool halting);
void arch_timer_disarm(bool halting);

/* Monotonic nanoseconds since calibration; 0 before it. */
uint64_t arch_clock_ns(void);
/* The clock as this kernel entry first read it (never later than now);
 * arch_clock_entry_begin starts an entry: syscall_dispatch, trap_dispatch. */
uint64_t arch_clock_ns_entry(void);
void arch_clock_entry_begin(void);
/* The clock's terms for units (SYSTEM_INFO): ns = (counter - base) *
 * mult >> 32 (aion_clock_from_counter); mult 0 before calibration. */
void arch_clock_terms(uint64_t *base, uint64_t *mult);

void arch_irq_enable(void);
void arch_irq_disable(void);

/* Waits for the next interrupt with interrupts enabled (sti; hlt). */
void arch_idle(void);

/* Stops this CPU for good. */
__attribute__((noreturn)) void arch_halt(void);

struct thread;
struct sched;
struct unit;

/* CPUs the kernel runs on at most (docs/smp.md); more are left halted. */
#define CPU_MAX 8

/* Starts every other CPU the firmware lists, each into its idle loop;
 * returns how many CPUs are online. */
unsigned arch_smp_start(void);

/* This CPU's scheduler (in its per-CPU data). */
struct sched *arch_cpu_sched(void);

/*
 * Many CPUs (smp.c, docs/smp.md). CPUs are numbered 0 (the boot CPU) to
 * CPU_MAX - 1; arch_cpu_online tells which are running.
 */
unsigned arch_cpu_id(void);
bool arch_cpu_online(unsigned cpu);
unsigned arch_cpus_count(void);         /* CPUs online */
struct sched *arch_cpu_sched_of(unsigned cpu);
/* Interrupts CPU cpu so that it passes its preemption point soon. */
void arch_cpu_kick(unsigned cpu);
/*
 * Makes CPU cpu leave its current thread (dead) for its idle thread, and
 * waits until it is off that thread's stack (it calls sched_evicted).
 * The caller holds the big kernel lock.
 */
void arch_cpu_evict(unsigned cpu);
/* Called by an evicted CPU once off the thread's stack (sched.c). */
void arch_cpu_evict_done(void);
/* After an eviction, under the lock: the interrupt whose trap it cut. */
void arch_irq_after_eviction(void);
/* Serves what other CPUs asked of this one (TLB flushes, eviction);
 * called while spinning for the big lock and from the IPI. */
void arch_cpu_serve(void);
/* One pause of a spin loop, serving requests meanwhile. */
void arch_spin_wait(void);
/* Halts until an IPI (only: timer and devices wait), interrupts off after. */
void arch_cpu_nap(void);
/* Every other CPU with u's tables loaded (a thread of u or of a unit that
 * shares them runs there, or its idle thread kept them) flushes its TLB,
 * before return. */
void arch_tlb_shootdown(const struct unit *u);
/* Every other CPU whose idle thread kept u's tables loads the kernel's,
 * before return: u's tables are about to be freed. */
void arch_vm_release(const struct unit *u);
/* Every other CPU flushes its TLB, global (kernel) entries too. */
void arch_tlb_shootdown_kernel(void);

/* The boot stack, which the boot CPU's idle thread keeps. */
extern char arch_boot_stack_top[];

/*
 * Before arch_switch from prev to next: makes next's per-thread CPU state
 * current (the kernel stack the CPU loads on a trap from user mode, the
 * FPU/SSE registers: prev's saved, next's loaded). The idle thread (no
 * unit) has none. Allocates nothing.
 */
void arch_thread_switch(struct thread *prev, struct thread *next);
/* Makes t's FS base (its TLS pointer) the CPU's; t runs on this CPU. */
void arch_thread_tls_load(struct thread *t);

/*
 * Saves the running thread's callee-saved registers and stack pointer in
 * *save_rsp and continues on next_rsp. Returns, in the next thread's
 * context, the thread that switched to it (prev), so that it can be
 * reaped once off its stack.
 */
struct thread *arch_switch(uint64_t *save_rsp, uint64_t next_rsp, struct thread *prev);

/* A new thread's first user context: entry(arg) on stack_top. */
void arch_thread_init_context(struct thread *t, uint64_t entry, uint64_t stack_top,
			      uint64_t arg);
/* Message registers a blocked or returning thread will see (aion/syscall.h). */
void arch_thread_set_msg(struct thread *t, uint64_t badge, uint64_t tag,
			 uint64_t w0, uint64_t w1, uint64_t w2);

/* Makes exactly u's I/O port ranges usable in ring 3 (TSS bitmap). */
void arch_io_load(const struct unit *u);

/*
 * Address spaces of units and kernel stack mappings (vm.c). The kernel
 * half is shared by every address space; the user half is the unit's
 * own. Page-table frames are charged to the unit.
 */
int arch_vm_create(struct unit *u);
/* Frees every user page the unit owns and every table: O(pages mapped). */
void arch_vm_destroy(struct unit *u);
/*
 * The same in slices: frees about *budget pages and tables (each spends
 * one) and returns false if some are left; the next call goes on. The
 * unit must not run meanwhile (its threads are dead).
 */
bool arch_vm_destroy_some(struct unit *u, uint64_t *budget);

/*
 * Maps one user page. owned: the frame belongs to the unit and is freed
 * (and uncharged) on unmap; borrowed frames (boot modules) are not.
 * -AION_EFAULT outside the user half, -AION_EEXIST when already mapped.
 */
int arch_vm_map(struct unit *u, uint64_t va, uint64_t pa, unsigned prot, bool owned);
/* With prot: device registers, mapped uncached; arch_vm_translate refuses them. */
#define VM_DEVICE   (1u << 8)
int arch_vm_unmap(struct unit *u, uint64_t va);

/*
 * The physical address behind user address va if the unit may access it
 * (write: needs a writable page) and the kernel may reach it through the
 * direct map: RAM only, never a device page (VM_DEVICE), which the
 * direct map may not cover and whose registers a copy must not touch.
 * -AION_EFAULT otherwise. *owned tells whether the frame is the unit's
 * own (may be NULL).
 */
int arch_vm_translate(struct unit *u, uint64_t va, bool write, uint64_t *pa, bool *owned);

/* Loads the unit's page tables; NULL loads the kernel's. */
void arch_vm_activate(struct unit *u);

/*
 * Puts guest, a unit with nothing mapped, in host's address space at
 * window w (aion/object.h): its own top table goes, a table for its
 * window is made (charged to it), and from then on it maps only there
 * and host never there. -AION_EBUSY when guest has a mapping or host uses
 * the window, -AION_ENOMEM. The caller checks the rest (unit.c).
 */
int arch_vm_colocate(struct unit *guest, struct unit *host, unsigned w);

/* Kernel stacks: page tables made at boot, then map/unmap one page. */
int arch_vm_kreserve(uint64_t va, uint64_t len);
int arch_vm_kmap(uint64_t va, uint64_t pa);
uint64_t arch_vm_kunmap(uint64_t va);

/* One past the highest physical address this CPU can address (CPUID). */
uint64_t arch_phys_end(void);

/*
 * Interrupt lines: the I/O APIC's inputs, and the message-signalled lines
 * AION_IRQ_MSI_BASE + k (aion/object.h), which have nothing to mask.
 */
int arch_irq_init(const uint8_t *rsdp, unsigned rsdp_len);
bool arch_irq_line_ok(uint32_t line);
void arch_irq_mask(uint32_t line, bool masked);
/* A message-signalled line's message (AION_MSI_ADDRESS/DATA), or -AION_EINVAL. */
int arch_irq_msi_message(uint32_t line, uint64_t *msg);

/*
 * ACPI power management facts for init (FADT, the DSDT's \_S5), the SCI
 * as an I/O APIC input. After arch_irq_init. 0 when all are found; else
 * the first error, with out->flags saying what still holds.
 */
struct aion_acpi_power;
int arch_acpi_power(const uint8_t *rsdp, unsigned rsdp_len, struct aion_acpi_power *out);

/*
 * Preemption points of long system calls: true when the local APIC holds
 * an interrupt the kernel (running with interrupts off) has not taken,
 * or another CPU waits for the big kernel lock (docs/smp.md).
 */
bool arch_irq_pending(void);

/*
 * Makes thread t, inside a system call, run the same `syscall` again when
 * it returns to user mode; returns the value to leave in the result
 * register (the call number, which the restart needs there).
 */
struct thread;
int64_t arch_syscall_restart(struct thread *t);

/*
 * Upcalls (core/upcall.c): the running thread t, about to return to user
 * mode with rax, enters entry(ctx, bits) with its context written below
 * its user stack; returns 0 (the caller sets the rax it enters with),
 * or -AION_EFAULT (the stack cannot take the context: nothing changed;
 * *fault_addr is where it was written). fault: the user fault that enters it (the context's
 * fault fields), or NULL for an interrupt. restore: the context at ctx
 * (already read and checked) becomes t's user registers.
 */
struct aion_upcall_context;
struct upcall_fault {
	uint32_t vector;
	uint64_t addr, error;
};
int arch_upcall_enter(struct thread *t, int64_t rax, uint64_t entry, uint64_t bits,
		      const struct upcall_fault *fault, uint64_t *fault_addr);
void arch_upcall_restore(struct thread *t, const struct aion_upcall_context *ctx);

/* Boot switches that make the kernel take a deliberate fault. */
void arch_selftest_page_fault(void);
void arch_selftest_invalid_opcode(void);

#endif /* KERNEL_ARCH_H */
