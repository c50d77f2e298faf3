/*
 * SYSCALL entry. The CPU has put the user RIP in rcx and RFLAGS in r11
 * and cleared IF (FMASK). We switch to the thread's kernel stack, build the
 * same struct trap_frame an interrupt builds, and leave through the common
 * trap_return (iretq), so a thread switched away inside a system call
 * resumes exactly like one preempted by an interrupt.
 */
#include "arch/gdt.h"
#include "arch/percpu.h"
#include "arch/frame.inc"

#define SYSCALL_VECTOR 0x100    /* not a hardware vector: marks the frame */

	.text
	.code64
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KERNEL_RSP, %rsp
	pushq $(GDT_UDATA | 3)
	pushq %gs:PERCPU_USER_RSP
	pushq %r11
	pushq $(GDT_UCODE | 3)
	pushq %rcx
	pushq $0
	pushq $SYSCALL_VECTOR
	SAVE_GPRS
	movq %rsp, %rdi
	cld
	call syscall_dispatch
	jmp trap_return

	.section .note.GNU-stack, "", @progbits
