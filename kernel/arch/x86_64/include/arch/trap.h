#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

/* Offset of rax in struct trap_frame: where syscall.S puts the result. */
#define TRAP_FRAME_RAX  (14 * 8)
#define TRAP_FRAME_CS   (18 * 8)

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Layout pushed by isr.S; the CPU part starts at rip. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(__builtin_offsetof(struct trap_frame, rax) == TRAP_FRAME_RAX,
	       "syscall.S writes the result at TRAP_FRAME_RAX");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == TRAP_FRAME_CS,
	       "isr.S tests the ring at TRAP_FRAME_CS");

#define VEC_TIMER       0x20
#define VEC_IRQ_BASE    0x30            /* + I/O APIC line */
#define IRQ_LINES_MAX   24
#define VEC_MSI_BASE    0x50            /* + k: line AION_IRQ_MSI_BASE + k (ioapic.c) */
#define VEC_IPI         0xf0            /* another CPU's request or kick (smp.c) */
#define VEC_SPURIOUS    0xff

void trap_dispatch(struct trap_frame *f);
#endif

#endif /* ARCH_TRAP_H */
