/*
 * A thread's user context at the top of its kernel stack slot: its
 * FXSAVE area (arch/fpu.h), then the x86_64 trap frame, then the stack
 * proper. Building the first context, switching between two, and
 * writing IPC results into the frame.
 */
#include "aion/object.h"
#include "aion/upcall.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/gdt.h"
#include "arch/percpu.h"
#include "arch/trap.h"
#include "common/string.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"
#include "hot.h"

extern char thread_trampoline[];

/* Where the CPU starts the stack on a trap from ring 3: below the area. */
static uint64_t user_entry_top(const struct thread *t)
{
	return t->kstack_top - FPU_AREA_SIZE;
}

static struct fpu_area *fpu_of(const struct thread *t)
{
	return (struct fpu_area *)user_entry_top(t);
}

static struct trap_frame *frame_of(const struct thread *t)
{
	return (struct trap_frame *)(user_entry_top(t) - sizeof(struct trap_frame));
}

/*
 * Eager: every switch saves the user thread left and loads the one
 * entered (docs/posix.md measures it). The idle thread (no unit) never
 * runs user code: it has no area and leaves the registers as they are. A
 * dead thread never runs again, so its registers are not worth saving.
 */
KERNEL_HOT
void arch_thread_switch(struct thread *prev, struct thread *next)
{
	if (prev->unit && prev->state != AION_THREAD_DEAD)
		fpu_save(fpu_of(prev));
	if (next->unit) {
		fpu_load(fpu_of(next));
		tss_set_kernel_stack(user_entry_top(next));
		arch_thread_tls_load(next);
	}
}

/*
 * WRMSR only when the base differs from the one the CPU holds, or when
 * the unit changes: a thread can change its own FS base behind the cache
 * (loading a selector into %fs), which may only ever hurt its own unit.
 * Unit ids are never reused, so a freed unit's id cannot match.
 */
void arch_thread_tls_load(struct thread *t)
{
	struct percpu *cpu = this_cpu();

	if (cpu->fs_base == t->fs_base && cpu->fs_unit_id == t->unit->id)
		return;
	wrmsr(MSR_FS_BASE, t->fs_base);
	cpu->fs_base = t->fs_base;
	cpu->fs_unit_id = t->unit->id;
}

/* User context at the top, then arch_switch's frame returning to the trampoline. */
void arch_thread_init_context(struct thread *t, uint64_t entry, uint64_t stack_top,
			      uint64_t arg)
{
	struct trap_frame *f = frame_of(t);
	fpu_area_init(fpu_of(t));
	memset(f, 0, sizeof(*f));
	f->rip = entry;
	f->cs = GDT_UCODE | 3;
	f->rflags = RFLAGS_IF | RFLAGS_RESERVED;
	f->rsp = stack_top;
	f->ss = GDT_UDATA | 3;
	f->rdi = arg;

	uint64_t *sp = (uint64_t *)f;
	*--sp = (uint64_t)(uintptr_t)thread_trampoline;
	for (int i = 0; i < 6; i++)
		*--sp = 0;              /* rbp rbx r12 r13 r14 r15 */
	t->saved_rsp = (uint64_t)(uintptr_t)sp;
}

int64_t arch_syscall_restart(struct thread *t)
{
	struct trap_frame *f = frame_of(t);

	f->rip -= 2;                    /* the 2-byte SYSCALL (0f 05) */
	return (int64_t)f->rax;         /* the number, as syscall.S saved it */
}

KERNEL_HOT
void arch_thread_set_msg(struct thread *t, uint64_t badge, uint64_t tag,
			 uint64_t w0, uint64_t w1, uint64_t w2)
{
	struct trap_frame *f = frame_of(t);
	f->rdi = badge;
	f->rsi = tag;
	f->rdx = w0;
	f->r10 = w1;
	f->r8 = w2;
}

/* --- upcalls (core/upcall.c, aion/upcall.h) --- */

int arch_upcall_enter(struct thread *t, int64_t rax, uint64_t entry, uint64_t bits,
		      const struct upcall_fault *fault, uint64_t *fault_addr)
{
	struct trap_frame *f = frame_of(t);
	struct aion_upcall_context c = {
		.r15 = f->r15, .r14 = f->r14, .r13 = f->r13, .r12 = f->r12,
		.r11 = f->r11, .r10 = f->r10, .r9 = f->r9, .r8 = f->r8,
		.rbp = f->rbp, .rdi = f->rdi, .rsi = f->rsi, .rdx = f->rdx,
		.rcx = f->rcx, .rbx = f->rbx, .rax = (uint64_t)rax,
		.rip = f->rip, .rflags = f->rflags, .rsp = f->rsp,
		.bits = bits, .magic = AION_UPCALL_MAGIC,
		.fault = fault ? fault->vector + 1 : 0,
		.fault_addr = fault ? fault->addr : 0,
		.fault_error = fault ? fault->error : 0,
	};
	/* Below the red zone the interrupted code may use, 16-aligned. A
	 * stack pointer near 0 wraps to the kernel half: the copy refuses it. */
	uint64_t sp = ((f->rsp - AION_UPCALL_RED_ZONE) & ~15ull) - sizeof(c);
	*fault_addr = sp;
	int err = copy_to_user(sp, &c, sizeof(c));
	if (err)
		return err;
	f->rip = entry;
	f->rsp = sp;
	f->rdi = sp;
	f->rsi = bits;
	f->rflags = RFLAGS_IF | RFLAGS_RESERVED;        /* DF clear, as the ABI wants */
	return 0;
}

void arch_upcall_restore(struct thread *t, const struct aion_upcall_context *c)
{
	struct trap_frame *f = frame_of(t);

	f->r15 = c->r15; f->r14 = c->r14; f->r13 = c->r13; f->r12 = c->r12;
	f->r11 = c->r11; f->r10 = c->r10; f->r9 = c->r9; f->r8 = c->r8;
	f->rbp = c->rbp; f->rdi = c->rdi; f->rsi = c->rsi; f->rdx = c->rdx;
	f->rcx = c->rcx; f->rbx = c->rbx;
	f->rip = c->rip;
	f->rsp = c->rsp;
	/* Only the arithmetic flags and DF: never IOPL, TF, NT, VM, ... */
	f->rflags = (c->rflags & AION_UPCALL_RFLAGS_USER) | RFLAGS_IF | RFLAGS_RESERVED;
	f->cs = GDT_UCODE | 3;
	f->ss = GDT_UDATA | 3;
}
