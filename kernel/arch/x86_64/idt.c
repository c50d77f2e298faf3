/*
 * The IDT: one interrupt gate per vector, pointing at the stubs in isr.S.
 * Interrupt gates (not trap gates) so that every handler runs with
 * interrupts off: kernel paths are short and bounded.
 */
#include <stdint.h>
#include "arch/gdt.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

/* isr.S: 256 stubs, ISR_STUB_SIZE bytes apart. */
extern const char isr_stubs[];
#define ISR_STUB_SIZE 16
static struct idt_gate idt[256];

static void idt_set(int vec, uint64_t handler, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = handler & 0xffff,
		.sel = GDT_KCODE,
		.ist = ist,
		.type = 0x8e,           /* present, ring 0, 64-bit interrupt gate */
		.off_mid = (handler >> 16) & 0xffff,
		.off_hi = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		idt_set(v, (uint64_t)(uintptr_t)isr_stubs + (uint64_t)v * ISR_STUB_SIZE, 0);
	/* Faults that can strike on a bad kernel stack get their own. */
	idt[2].ist = IST_NMI;
	idt[8].ist = IST_DOUBLE_FAULT;
	idt[18].ist = IST_MACHINE_CHECK;
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(ptr));
}
