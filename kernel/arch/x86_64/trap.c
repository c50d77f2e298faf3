/*
 * Trap dispatch. A CPU exception in the kernel is a kernel bug: print one
 * parseable line with the vector, error code, RIP and the kernel symbol it
 * falls in, the registers, then halt. A user-mode fault ends the unit
 * instead, or enters the thread's upcall entry (aion/upcall.h).
 */
#include "aion/object.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/timer.h"
#include "arch/trap.h"
#include "klock.h"
#include "ksyms.h"
#include "log.h"
#include "platform.h"
#include "sched.h"
#include "thread.h"
#include "hot.h"

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static void dump_registers(const struct trap_frame *f)
{
	klog("regs rax=0x%016lx rbx=0x%016lx rcx=0x%016lx rdx=0x%016lx",
	     f->rax, f->rbx, f->rcx, f->rdx);
	klog("regs rsi=0x%016lx rdi=0x%016lx rbp=0x%016lx rsp=0x%016lx",
	     f->rsi, f->rdi, f->rbp, f->rsp);
	klog("regs r8=0x%016lx r9=0x%016lx r10=0x%016lx r11=0x%016lx",
	     f->r8, f->r9, f->r10, f->r11);
	klog("regs r12=0x%016lx r13=0x%016lx r14=0x%016lx r15=0x%016lx",
	     f->r12, f->r13, f->r14, f->r15);
	klog("regs cs=0x%lx ss=0x%lx rflags=0x%lx cr3=0x%lx",
	     f->cs, f->ss, f->rflags, read_cr3());
}

static __attribute__((noreturn)) void kernel_exception(const struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	char sym[KSYMS_NAME_MAX];
	uint64_t off;

	/* A fault while dumping a fault: print nothing more that could fault. */
	if (cpu->trap_depth++) {
		klog("fault nested vector=%lu rip=0x%lx", f->vector, f->rip);
		arch_halt();
	}
	if (ksyms_lookup(f->rip, sym, sizeof(sym), &off) != 0) {
		sym[0] = '?';
		sym[1] = '\0';
		off = 0;
	}
	klog("fault vector=%lu name=%s err=0x%lx rip=0x%016lx sym=%s+0x%lx cr2=0x%lx",
	     f->vector, exception_names[f->vector], f->error, f->rip, sym,
	     (unsigned long)off, read_cr2());
	dump_registers(f);
	klog("halted");
	arch_halt();
}

/* A fault in ring 3 enters the thread's upcall entry if it asked for
 * that (upcall.c), or ends the unit; the kernel and every other unit go on. */
static void user_exception(const struct trap_frame *f)
{
	uint64_t addr = f->vector == 14 ? read_cr2() : f->rip;
	if (upcall_on_fault(sched_current(), (int64_t)f->rax, (uint32_t)f->vector, f->error,
			    addr))
		return;
	thread_user_fault((uint32_t)f->vector, exception_names[f->vector], f->error,
			  addr, f->rip);
}

KERNEL_HOT
static void interrupt_vector(uint64_t vector)
{
	if (vector == VEC_TIMER) {
		lapic_eoi();
		timer_irq();
		return;
	}
	if (vector >= VEC_IRQ_BASE && vector < VEC_IRQ_BASE + IRQ_LINES_MAX) {
		uint32_t line = (uint32_t)(vector - VEC_IRQ_BASE);
		arch_irq_mask(line, true);      /* until the driver's IRQ_ACK */
		lapic_eoi();
		irq_deliver(line);
		return;
	}
	if (vector >= VEC_MSI_BASE && vector < VEC_MSI_BASE + AION_IRQ_MSI_COUNT) {
		lapic_eoi();            /* edge: nothing to mask */
		irq_deliver(AION_IRQ_MSI_BASE + (uint32_t)(vector - VEC_MSI_BASE));
		return;
	}
	if (vector == VEC_IPI)
		return;                 /* served in trap_dispatch */
	if (vector == VEC_SPURIOUS)
		return;                 /* no EOI for spurious LAPIC vectors */
	if (vector >= VEC_PIC_BASE && vector < VEC_PIC_BASE + 16)
		return;                 /* masked 8259: only spurious IRQ7/15 arrive */
	klog("irq unexpected vector=%lu", vector);
	lapic_eoi();
}

KERNEL_HOT
static void interrupt(const struct trap_frame *f)
{
	this_cpu()->irq_vector = 0;     /* handled here, under the lock */
	interrupt_vector(f->vector);
}

/*
 * A CPU evicted while it waited for the lock in an interrupt's trap never
 * comes back to that trap (sched_evicted): its idle thread, holding the
 * lock, handles the interrupt instead, or the LAPIC would keep the vector
 * in service, unacknowledged, and hold back every interrupt of its class
 * for good (the timer's: sleepers never woke).
 */
void arch_irq_after_eviction(void)
{
	uint64_t vector = this_cpu()->irq_vector;

	if (vector) {
		this_cpu()->irq_vector = 0;
		interrupt_vector(vector);
	}
}

/*
 * A unit in virtual-8086 mode (see isr.S): whatever brought it here, an
 * exception or an interrupt, it is ended, since its frame must never be
 * returned to. An exception keeps its own vector; an interrupt, handled
 * first, ends it with #GP.
 */
static void vm86_trap(const struct trap_frame *f)
{
	uint64_t addr = f->vector == 14 ? read_cr2() : f->rip;

	if (f->vector >= 32)
		interrupt(f);
	uint64_t vector = f->vector < 32 ? f->vector : 13;
	thread_user_fault((uint32_t)vector, exception_names[vector], f->error, addr, f->rip);
}

/*
 * Another CPU's request is served before the big lock, which that CPU
 * may hold while it waits for this one (docs/smp.md); an eviction does
 * not come back here. A kernel exception prints and halts without the
 * lock. Everything else runs under it; it is dropped on the way back
 * to user mode (kernel_exit_user).
 */
KERNEL_HOT
void trap_dispatch(struct trap_frame *f)
{
	arch_clock_entry_begin();
	if (f->vector == VEC_IPI) {
		lapic_eoi();
		arch_cpu_serve();
		if (!(f->cs & 3) && kernel_lock_waiting())
			return;         /* woken from its nap: back to the wait */
	}
	if (f->vector < 32 && !(f->cs & 3) && !(f->rflags & RFLAGS_VM))
		kernel_exception(f);
	if (f->vector >= 32 && f->vector != VEC_IPI)
		this_cpu()->irq_vector = f->vector;     /* arch_irq_after_eviction */
	kernel_lock();
	if (f->rflags & RFLAGS_VM)
		vm86_trap(f);           /* does not return */
	if (f->vector < 32)
		user_exception(f);
	else
		interrupt(f);
	sched_preempt_point();
	if (f->cs & 3)
		f->rax = (uint64_t)upcall_on_return(sched_current(), (int64_t)f->rax);
}

/* isr.S, on every return to ring 3. */
KERNEL_HOT
void kernel_exit_user(void)
{
	kernel_unlock();
}
