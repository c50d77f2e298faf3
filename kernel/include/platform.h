/*
 * Device access as capabilities: init holds the one platform object at
 * boot, and from it makes I/O port ranges, IRQ objects and device memory,
 * handing each driver only what it needs.
 */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <stdint.h>
#include "aion/object.h"
#include "kobj.h"

struct unit;
struct notification;

#define IOPORT_MAX_COUNT 64             /* ports per range: bounds bitmap updates */
#define IRQ_LINES        24             /* GSIs of the first I/O APIC */
#define IRQ_SLOTS        (IRQ_LINES + AION_IRQ_MSI_COUNT)   /* and message-signalled */

struct ioport {
	struct kobj obj;
	uint16_t base, count;
};

struct irq {
	struct kobj obj;
	uint32_t gsi;                   /* IRQ_CREATE's line: a GSI, or MSI */
	struct notification *n;         /* referenced; signalled on the interrupt */
	uint64_t bits;
	struct unit *binder;            /* set n; holds n's capability while bound */
};

struct kobj *platform_object(void);
/* 0 if handle h of the caller names the platform with CONTROL, else the error. */
int platform_lookup(uint64_t h);

void ioport_release(struct ioport *io);

/*
 * Unit u lost a capability to io / to n (with SEND): what the kernel kept
 * on its authority goes once u holds none (its port range; an IRQ it
 * pointed at n, then masked). Bounded: u's table, 4 ranges, 32 lines.
 */
void ioport_cap_lost(struct unit *u, const struct ioport *io);
void irq_cap_lost(struct unit *u, struct notification *n);

void irq_release(struct irq *irq);
void irq_deliver(uint32_t line);        /* from the trap path; a GSI masked */

#endif /* KERNEL_PLATFORM_H */
