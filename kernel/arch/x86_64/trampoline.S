/*
 * Application processor trampoline. smp.c copies the bytes between
 * trampoline_start and trampoline_end to TRAMPOLINE_PHYS (below 1 MiB,
 * page aligned: a SIPI vector names the page) and fills in the arguments
 * at the end. An AP leaves INIT/SIPI in real mode at CS:IP = page:0; this
 * code goes through protected mode to long mode on the boot stub's page
 * tables (boot.S: they map the low 4 GiB at 0 as well as the kernel
 * window, and stay in the image), and jumps to ap_main(cpu) in the
 * higher half on the AP's own stack. ap_main loads the kernel's tables.
 *
 * Addresses inside the copy are TRAMPOLINE_PHYS + (label - trampoline_start):
 * the assembler resolves the difference, the copy sits where the sum says.
 */
#include "arch/smp.h"

#define T(label)        ((label) - trampoline_start + TRAMPOLINE_PHYS)

	.section .rodata
	.code16
	.balign 16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tramp_gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax                    /* PE */
	movl %eax, %cr0
	ljmpl $0x08, $T(tramp32)

	.code32
tramp32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax             /* PAE */
	movl %eax, %cr4
	movl T(tramp_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER: LME, and NXE as the boot CPU has it */
	movl T(tramp_efer), %eax
	xorl %edx, %edx
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax      /* PG, WP */
	movl %eax, %cr0
	ljmpl $0x18, $T(tramp64)

	.code64
tramp64:
	xorl %eax, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movq T(tramp_stack), %rsp
	movq T(tramp_cpu), %rdi
	movq T(tramp_entry), %rax
	xorl %ebp, %ebp
	call *%rax                      /* ap_main does not return */
1:	cli
	hlt
	jmp 1b

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
	.short tramp_gdt_end - tramp_gdt - 1
	.long T(tramp_gdt)

	/* Arguments, filled in by smp.c in the copy (struct trampoline_args). */
	.balign 8
	.globl trampoline_args
trampoline_args:
tramp_cr3:      .long 0
tramp_efer:     .long 0
tramp_stack:    .quad 0
tramp_entry:    .quad 0
tramp_cpu:      .quad 0
	.globl trampoline_end
trampoline_end:

	.section .note.GNU-stack, "", @progbits
