/*
 * __syscall_cp_asm for Aion (arch aion_x86_64): a cancellation point.
 * As musl's x86_64 version, a pending cancel (*rdi) goes to __cancel
 * before the call; the call itself is __aion_syscall of the POSIX layer,
 * not the syscall instruction. Arguments in: rdi = &self->cancel,
 * rsi = nr, rdx, rcx, r8, r9, then two on the stack; out: nr and six
 * arguments in __aion_syscall's order (the last on the stack).
 * __cp_begin/__cp_end mark the range musl's cancel signal handler looks
 * for; Aion delivers no signals yet, so only deferred cancellation acts
 * (docs/posix.md, Threads).
 */
.text
.global __cp_begin
.hidden __cp_begin
.global __cp_end
.hidden __cp_end
.global __cp_cancel
.hidden __cp_cancel
.hidden __cancel
.hidden __aion_syscall
.global __syscall_cp_asm
.hidden __syscall_cp_asm
.type   __syscall_cp_asm,@function
__syscall_cp_asm:

__cp_begin:
	mov (%rdi),%eax
	test %eax,%eax
	jnz __cp_cancel
	mov %rsi,%rdi
	mov %rdx,%rsi
	mov %rcx,%rdx
	mov %r8,%rcx
	mov %r9,%r8
	mov 8(%rsp),%r9
	pushq 16(%rsp)
	call __aion_syscall
__cp_end:
	add $8,%rsp
	ret
__cp_cancel:
	jmp __cancel

.section .note.GNU-stack,"",@progbits
