/*
 * Entry of a POSIX program (the ELF entry, set by posix.ld). Aion starts a
 * program's first thread with rdi = the startup record its parent wrote
 * (or another word) and rsp = the top of its stack; musl's _start (crt1)
 * wants the System V initial stack instead: argc, argv, envp and auxv at
 * rsp. __aion_posix_block_bytes (startup.c) says how much below the top
 * that block takes (the argv block's strings count); that much is left,
 * the block is built there by __aion_posix_stack running below it, and
 * musl's _start is entered on it with the registers a fresh process has.
 */
	.text
	.globl __aion_posix_start
	.type __aion_posix_start, @function
__aion_posix_start:
	xorl %ebp, %ebp
	movq %rdi, %rbx                 /* the startup record */
	movq %rsp, %r12                 /* the stack's top */
	call __aion_posix_block_bytes
	subq %rax, %rsp
	andq $-16, %rsp
	movq %rbx, %rdi
	movq %r12, %rsi
	call __aion_posix_stack
	movq %rax, %rsp
	xorl %edx, %edx         /* no function for atexit (rtld_fini) */
	jmp _start
	.size __aion_posix_start, . - __aion_posix_start

/*
 * A new thread of the program (thread.c's __clone): rdi = its struct
 * clone_start and rsp = the same address, 16-aligned, at the top of its
 * stack; the call makes the frame the C ABI expects.
 */
	.globl __aion_clone_entry
	.hidden __aion_clone_entry
	.type __aion_clone_entry, @function
__aion_clone_entry:
	xorl %ebp, %ebp
	call __aion_clone_run
	ud2
	.size __aion_clone_entry, . - __aion_clone_entry

	.section .note.GNU-stack, "", @progbits
