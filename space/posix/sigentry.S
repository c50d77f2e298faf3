/*
 * The POSIX layer's upcall entry (signal.c, aion/upcall.h): the kernel
 * enters here with rsp = rdi = the interrupted context (16-aligned) and
 * rsi = the signal bits procd sent. The x87/SSE registers are not in the
 * kernel's context, and the handlers are C that may use them: they are
 * kept here, around the C part, and UPCALL_RETURN resumes the context
 * with every general register as it was.
 */
#define SYS_UPCALL_RETURN 53            /* aion/syscall.h */

	.text
	.globl __aion_sig_entry
	.hidden __aion_sig_entry
	.type __aion_sig_entry, @function
__aion_sig_entry:
	movq %rdi, %rbx                 /* callee-saved: the context */
	subq $512, %rsp                 /* stays 16-aligned, as FXSAVE needs */
	fxsave64 (%rsp)
	call __aion_sig_upcall          /* (ctx, bits) */
	fxrstor64 (%rsp)
	movq %rbx, %rdi
	movl $SYS_UPCALL_RETURN, %eax
	syscall
	ud2                             /* a context the kernel refused */
	.size __aion_sig_entry, . - __aion_sig_entry

/*
 * __aion_call_on_stack(top, fn, arg): fn(arg) with the stack pointer at
 * top (rounded down to 16), then back on the caller's stack: a handler
 * of SA_ONSTACK on the sigaltstack (signal.c).
 */
	.globl __aion_call_on_stack
	.hidden __aion_call_on_stack
	.type __aion_call_on_stack, @function
__aion_call_on_stack:
	pushq %rbp
	movq %rsp, %rbp
	andq $-16, %rdi
	movq %rdi, %rsp
	movq %rdx, %rdi
	call *%rsi
	movq %rbp, %rsp
	popq %rbp
	ret
	.size __aion_call_on_stack, . - __aion_call_on_stack

	.section .note.GNU-stack, "", @progbits
