/*
 * Entry of every AionSpace program's first thread (and of threads started
 * at aion_thread_entry). The kernel enters with rdi = the argument its
 * creator gave and rsp = a 16-byte aligned stack top.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	xorl %ebp, %ebp
	call aion_main
	movq %rax, %rdi
	call aion_thread_return


/*
 * Entry of further threads started by aion_thread_spawn: the function to
 * run sits just above the initial stack pointer, rdi is its argument.
 */
	.text
	.globl aion_thread_trampoline
aion_thread_trampoline:
	xorl %ebp, %ebp
	movq 8(%rsp), %rax
	call *%rax
	movq %rax, %rdi
	call aion_thread_return

	.section .note.GNU-stack, "", @progbits
