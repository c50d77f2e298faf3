#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x18
#define GDT_UCODE 0x20
#define GDT_TSS   0x28

/* IST slots (1-based, as the IDT gate encodes them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3

#ifndef __ASSEMBLER__
#include <stdint.h>
void gdt_init(unsigned cpu);
void idt_init(void);                    /* builds the one IDT, once */
void idt_load(void);                    /* on every CPU */
/* A CPU's own tables and registers: GDT, TSS, IDT, SYSCALL, FPU (cpu.c). */
void cpu_local_init(unsigned cpu);
/* RSP0: where the CPU starts the kernel stack on a trap or SYSCALL from ring 3. */
void tss_set_kernel_stack(uint64_t top);
#endif

#endif /* ARCH_GDT_H */
