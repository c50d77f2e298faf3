/*
 * SYSCALL entry. The CPU has put the user RIP in rcx and RFLAGS in r11
 * and cleared IF (FMASK). We switch to the thread's kernel stack, build the
 * same struct trap_frame an interrupt builds, and leave through the common
 * trap_return (iretq), so a thread switched away inside a system call
 * resumes exactly like one preempted by an interrupt.
 *
 * This is the first of the three files a system call passes through: here
 * the registers become syscall_dispatch(number, &args) (core/syscall.c),
 * which calls the handler in its object's file (core/endpoint.c, ...).
 */
#include "arch/gdt.h"
#include "arch/percpu.h"
#include "arch/frame.inc"
#include "arch/trap.h"

#define SYSCALL_VECTOR 0x100    /* not a hardware vector: marks the frame */
#define SYS_ARGS_SIZE  (6 * 8)  /* struct sys_args (syscalls.h) */

	.section .text.hot, "ax", @progbits     /* kernel/include/hot.h */
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
	/* struct sys_args below the frame, a0..a5 in the ABI's register order;
	 * 6 words keep the stack 16-byte aligned for the call. */
	pushq %r9
	pushq %r8
	pushq %r10
	pushq %rdx
	pushq %rsi
	pushq %rdi
	movq %rax, %rdi                 /* the number */
	movq %rsp, %rsi
	cld
	call syscall_dispatch
	addq $SYS_ARGS_SIZE, %rsp
	movq %rax, TRAP_FRAME_RAX(%rsp) /* the result, restored into rax */
	jmp trap_return

	.section .note.GNU-stack, "", @progbits
