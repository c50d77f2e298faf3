/*
 * Multiboot2 entry: GRUB enters _start in 32-bit protected mode with
 * paging off, EAX = magic, EBX = physical address of the boot information.
 *
 * The stub builds temporary page tables that map the first 4 GiB three
 * times (identity, direct map, and the kernel's -2 GiB window over the
 * first 1 GiB), turns on long mode and jumps to kmain in the higher half.
 * arch_paging_init later replaces these tables with exact ones.
 */
#define MB2_HEADER_MAGIC  0xe85250d6
#define MB2_BOOT_MAGIC    0x36d76289
#define KERNEL_VMA        0xffffffff80000000
#define PHYS(sym)         ((sym) - KERNEL_VMA)

#define PTE_P   0x1
#define PTE_W   0x2
#define PTE_PS  0x80

	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0                                 /* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + 0 + (mb2_header_end - mb2_header))
	/* end tag */
	.short 0
	.short 0
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl $PHYS(arch_boot_stack_top), %esp
	movl %eax, %edi                 /* keep magic and info for kmain */
	movl %ebx, %esi

	cmpl $MB2_BOOT_MAGIC, %edi
	jne boot_fail

	/* Long mode present? (CPUID 0x80000001 EDX bit 29) */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb boot_fail
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc boot_fail
	movl %edx, %ebp                 /* bit 20: NX, used below */

	/* Zero the boot tables (bss may or may not be cleared by GRUB). */
	movl $PHYS(boot_pml4), %edi
	movl $((boot_tables_end - boot_pml4) / 4), %ecx
	xorl %eax, %eax
	rep stosl
	movl %esi, %ebx                 /* rep stosl clobbered edi: restore later */

	/* pd[0..2047]: 2 MiB pages over the first 4 GiB */
	movl $PHYS(boot_pd), %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, (%edi, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax                  /* high dword: (i * 2 MiB) >> 32 */
	movl %eax, 4(%edi, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 1b

	/* pdpt_low[0..3] -> the four page directories */
	movl $PHYS(boot_pdpt_low), %edi
	movl $PHYS(boot_pd), %eax
	orl $(PTE_P | PTE_W), %eax
	xorl %ecx, %ecx
2:	movl %eax, (%edi, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 2b

	/* pdpt_high[510] -> first directory: -2 GiB maps physical 0..1 GiB */
	movl $PHYS(boot_pdpt_high), %edi
	movl $PHYS(boot_pd), %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 510*8(%edi)

	/* pml4: [0] identity, [256] direct map, [511] kernel window */
	movl $PHYS(boot_pml4), %edi
	movl $PHYS(boot_pdpt_low), %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 0(%edi)
	movl %eax, 256*8(%edi)
	movl $PHYS(boot_pdpt_high), %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 511*8(%edi)

	/* PAE on, tables in, EFER.LME (and NXE when the CPU has NX), paging on */
	movl %cr4, %eax
	orl $(1 << 5), %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $(1 << 8), %eax
	btl $20, %ebp
	jnc 3f
	orl $(1 << 11), %eax
3:	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax  /* PG, WP, PE */
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode_entry

boot_fail:
	/* Not multiboot2 or no long mode: say so on COM1 and stop. */
	movl $boot_fail_msg, %esi
	movw $0x3f8, %dx
4:	lodsb
	testb %al, %al
	jz 5f
	outb %al, %dx
	jmp 4b
5:	hlt
	jmp 5b

	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $higher_half, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
boot_fail_msg:
	.asciz "aion: not booted by multiboot2 or CPU lacks long mode\r\n"

	.text
	.code64
higher_half:
	movabsq $arch_boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl %ebx, %edi                 /* arg0: physical address of boot info */
	call kmain
6:	cli
	hlt
	jmp 6b

	.bss
	.balign 4096
	.globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_tables_end:
	.balign 16
	.globl arch_boot_stack_top
boot_stack:     .skip 16384
arch_boot_stack_top:

	.section .note.GNU-stack, "", @progbits
