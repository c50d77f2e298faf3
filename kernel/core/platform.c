/* The platform object, I/O port ranges and IRQ objects (platform.h). */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "log.h"
#include "memory.h"
#include "notification.h"
#include "platform.h"
#include "unit.h"

static struct kobj platform = { AION_OBJ_PLATFORM, 1 };        /* never released */
static struct irq *irq_of_line[IRQ_LINES];

struct kobj *platform_object(void)
{
	return &platform;
}

int ioport_create(uint16_t base, uint16_t count, struct ioport **out)
{
	if (count == 0 || count > IOPORT_MAX_COUNT || (uint32_t)base + count > 0x10000)
		return -AION_EINVAL;
	struct ioport *io = kobj_alloc(AION_OBJ_IOPORT);
	if (!io)
		return -AION_ENOMEM;
	io->base = base;
	io->count = count;
	*out = io;
	return 0;
}

void ioport_release(struct ioport *io)
{
	kobj_free(&io->obj);
}

int ioport_enable(struct unit *u, const struct ioport *io)
{
	for (unsigned i = 0; i < u->nio; i++)
		if (u->io[i].base == io->base && u->io[i].count == io->count)
			return 0;
	if (u->nio == UNIT_IO_RANGES)
		return -AION_ENOSPC;
	u->io[u->nio].base = io->base;
	u->io[u->nio].count = io->count;
	u->nio++;
	arch_io_load(u);                /* u is the running unit */
	return 0;
}

int irq_create(uint32_t line, struct irq **out)
{
	if (line >= IRQ_LINES || !arch_irq_line_ok(line))
		return -AION_EINVAL;
	if (irq_of_line[line])
		return -AION_EBUSY;
	struct irq *irq = kobj_alloc(AION_OBJ_IRQ);
	if (!irq)
		return -AION_ENOMEM;
	irq->gsi = line;
	irq_of_line[line] = irq;
	*out = irq;
	return 0;
}

void irq_release(struct irq *irq)
{
	arch_irq_mask(irq->gsi, true);
	irq_of_line[irq->gsi] = NULL;
	if (irq->n)
		kobj_put(&irq->n->obj);
	kobj_free(&irq->obj);
}

void irq_set_notify(struct irq *irq, struct notification *n, uint64_t bits)
{
	if (irq->n)
		kobj_put(&irq->n->obj);
	kobj_get(&n->obj);
	irq->n = n;
	irq->bits = bits;
	arch_irq_mask(irq->gsi, false);
}

int irq_ack(struct irq *irq)
{
	if (!irq->n)
		return -AION_ENOENT;
	arch_irq_mask(irq->gsi, false);
	return 0;
}

void irq_deliver(uint32_t gsi)
{
	struct irq *irq = gsi < IRQ_LINES ? irq_of_line[gsi] : NULL;

	/* The line stays masked until the driver acknowledges (IRQ_ACK). */
	if (irq && irq->n)
		notification_signal(irq->n, irq->bits);
}
