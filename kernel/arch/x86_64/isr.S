/*
 * Interrupt and exception entry stubs for all 256 vectors. Each stub makes
 * the stack look the same (error code slot, vector) and jumps to one common
 * path that saves the general registers as a struct trap_frame and calls
 * trap_dispatch. SWAPGS runs only when the trap came from user mode: ring 3,
 * or virtual-8086 mode (RFLAGS.VM), whose saved CS is a real-mode segment
 * with any low bits. Long mode has no vm86, but QEMU's TCG enters it on a
 * 32-bit iret from ring 3 with VM set; trap_dispatch then ends the unit, so
 * trap_return never goes back to a VM frame.
 */
#define RFLAGS_VM_BYTE2 0x02            /* bit 17: bit 1 of RFLAGS' third byte */
#include "arch/frame.inc"
#include "arch/trap.h"

	.text
	.code64

/*
 * Stub v sits at isr_stubs + v * ISR_STUB_SIZE; idt.c computes the gate
 * addresses from that, so no per-vector table is needed.
 */
#define ISR_STUB_SIZE 16

	.globl isr_stubs
	.balign ISR_STUB_SIZE
isr_stubs:
	.set vec, 0
	.rept 256
	.balign ISR_STUB_SIZE
	/* The CPU pushes an error code itself only for these vectors. */
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

	/* The path every stub takes: with the hot code (kernel/include/hot.h). */
	.section .text.hot, "ax", @progbits
isr_common:
	testb $3, 24(%rsp)              /* saved CS: from ring 3? */
	jnz 0f
	testb $RFLAGS_VM_BYTE2, 34(%rsp) /* saved RFLAGS: from vm86? */
	jz 1f
0:	swapgs
1:	SAVE_GPRS
	movq %rsp, %rdi
	cld
	call trap_dispatch
	.globl trap_return
trap_return:
	testb $3, TRAP_FRAME_CS(%rsp)   /* to ring 3: drop the big kernel lock */
	jz 3f
	call kernel_exit_user
3:	RESTORE_GPRS
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:	addq $16, %rsp                  /* vector and error code */
	iretq


	.section .note.GNU-stack, "", @progbits
