/*
 * Kernel stack switch between threads (xv6's swtch, with the previous
 * thread handed to the next so it can be reaped once off its stack).
 *
 * struct thread *arch_switch(uint64_t *save_rsp, uint64_t next_rsp,
 *                            struct thread *prev)
 * Saves the callee-saved registers and rsp of the running thread, loads
 * next's, and returns prev in next's context.
 */
	.section .text.hot, "ax", @progbits     /* kernel/include/hot.h */
	.code64
	.globl arch_switch
arch_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	movq %rdx, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * First instruction of a new thread: arch_switch "returned" here with the
 * previous thread in rax. Finish the switch, then leave for user mode
 * through the trap frame built at the top of the kernel stack.
 */
	.globl thread_trampoline
thread_trampoline:
	movq %rax, %rdi
	call sched_after_switch
	jmp trap_return

	.section .note.GNU-stack, "", @progbits
