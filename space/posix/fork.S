/*
 * fork's context (fork.c): the callee-saved registers, the stack pointer
 * and the return address, like setjmp, saved in the parent before its
 * memory is copied, so the copy carries them; the child's first thread
 * enters __aion_fork_entry and resumes there, where __aion_ctx_save
 * returns a second time, with 1.
 */
	.text
	.globl __aion_ctx_save
	.hidden __aion_ctx_save
	.type __aion_ctx_save, @function
/* int __aion_ctx_save(struct fork_ctx *rdi): 0 now, 1 in the child */
__aion_ctx_save:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rdx      /* the caller's stack pointer after our ret */
	movq %rdx, 48(%rdi)
	movq (%rsp), %rdx       /* where we return to */
	movq %rdx, 56(%rdi)
	xorl %eax, %eax
	ret
	.size __aion_ctx_save, . - __aion_ctx_save

	.globl __aion_fork_entry
	.hidden __aion_fork_entry
	.type __aion_fork_entry, @function
/* The child's first thread: rdi = its procd handle, rsp = a scratch stack. */
__aion_fork_entry:
	xorl %ebp, %ebp
	call __aion_fork_child
	leaq __aion_fork_ctx(%rip), %rcx
	movq 0(%rcx), %rbx
	movq 8(%rcx), %rbp
	movq 16(%rcx), %r12
	movq 24(%rcx), %r13
	movq 32(%rcx), %r14
	movq 40(%rcx), %r15
	movq 48(%rcx), %rsp
	movl $1, %eax
	jmp *56(%rcx)
	.size __aion_fork_entry, . - __aion_fork_entry

	.section .note.GNU-stack, "", @progbits
