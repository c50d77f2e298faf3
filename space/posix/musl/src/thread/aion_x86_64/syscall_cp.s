/*
 * __syscall_cp_asm for Aion (arch aion_x86_64): a cancellation point.
 * As musl's x86_64 version, a pending cancel (*rdi) goes to __cancel
 * before the call; the call itself is __aion_syscall of the POSIX layer,
 * not the syscall instruction. Arguments in: rdi = &self->cancel,
 * rsi = nr, rdx, rcx, r8, r9, then two on the stack; out: nr and six
 * arguments in __aion_syscall's order (the last on the stack).
 * __cp_begin/__cp_end mark the range musl's cancel signal handler looks
 * for; on Aion musl's cancel signal only wakes a blocked thread (the
 * layer's thread.c), so the check is made here instead: a call that
 * returns -EINTR with a cancel pending goes to __cancel too, as a
 * signal landing inside the system call would on Linux (docs/posix.md,
 * Threads). &self->cancel is kept on the stack across the call.
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
	push %rdi                       /* &self->cancel */
	mov %rsi,%rdi
	mov %rdx,%rsi
	mov %rcx,%rdx
	mov %r8,%rcx
	mov %r9,%r8
	mov 16(%rsp),%r9
	sub $8,%rsp                     /* the call's stack stays 16-aligned */
	pushq 32(%rsp)
	call __aion_syscall
__cp_end:
	add $16,%rsp
	pop %rdi
	cmp $-4,%rax                    /* -EINTR */
	jne 1f
	mov (%rdi),%ecx
	test %ecx,%ecx
	jnz __cp_cancel
1:	ret
__cp_cancel:
	jmp __cancel

.section .note.GNU-stack,"",@progbits
