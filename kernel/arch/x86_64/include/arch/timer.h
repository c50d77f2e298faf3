/* x86_64 timer hardware: LAPIC, PIT, PIC (lapic.c, pit.c, clock.c). */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <stdint.h>
#include <stdbool.h>

#define PIT_HZ          1193182u
#define VEC_PIC_BASE    0xe0

void pit_ch2_start(uint16_t count);
bool pit_ch2_expired(void);
uint16_t pit_ch2_read(void);
void pic_disable(void);
void pit_ch0_stop(void);

int lapic_init(void);                   /* this CPU's APIC: enable, timer masked */
int lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
#define ICR_INIT        0x00004500u     /* INIT, level assert */
#define ICR_STARTUP     0x00004600u     /* SIPI | vector (the start page) */
void lapic_eoi(void);
void lapic_set_tpr(uint32_t tpr);
#define TPR_IPI_ONLY    0xe0            /* classes up to 14 held back */
uint32_t lapic_id(void);
/* One-shot countdown (divide-by-16 clock); irq=false keeps it masked. */
void lapic_timer_start(uint32_t count, bool irq);
uint32_t lapic_timer_current(void);

/* Timer interrupt entry from trap.c. */
void timer_irq(void);

#endif /* ARCH_TIMER_H */
