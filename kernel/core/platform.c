/*
 * The platform object, I/O port ranges and IRQ objects (platform.h), and
 * the system calls on them at the end of this file: IOPORT_*, IRQ_*.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "handle.h"
#include "log.h"
#include "memory.h"
#include "notification.h"
#include "platform.h"
#include "sched.h"
#include "syscalls.h"
#include "unit.h"

static struct kobj platform = { .type = AION_OBJ_PLATFORM, .refs = 1 };  /* never released */
static struct irq *irq_of_line[IRQ_SLOTS];

/* The slot of IRQ_CREATE's line in irq_of_line, or -1. */
static int irq_slot(uint32_t line)
{
	if (line < IRQ_LINES)
		return (int)line;
	if (AION_IRQ_IS_MSI(line))
		return IRQ_LINES + (int)(line - AION_IRQ_MSI_BASE);
	return -1;
}

struct kobj *platform_object(void)
{
	return &platform;
}

static int ioport_create(uint16_t base, uint16_t count, struct ioport **out)
{
	if (count == 0 || count > IOPORT_MAX_COUNT || (uint32_t)base + count > 0x10000)
		return -AION_EINVAL;
	struct ioport *io = kobj_alloc(AION_OBJ_IOPORT, self_unit());
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

/* Lets the unit use the ports (in/out in ring 3). */
static int ioport_enable(struct unit *u, const struct ioport *io)
{
	for (unsigned i = 0; i < u->nio; i++)
		if (u->io[i].obj == io)
			return 0;
	if (u->nio == UNIT_IO_RANGES)
		return -AION_ENOSPC;
	u->io[u->nio].base = io->base;
	u->io[u->nio].count = io->count;
	u->io[u->nio].obj = io;
	u->nio++;
	arch_io_load(u);                /* u is the running unit */
	return 0;
}

/* The unit's range of io lasts while it holds io's capability with WRITE. */
void ioport_cap_lost(struct unit *u, const struct ioport *io)
{
	for (unsigned i = 0; i < u->nio; i++)
		if (u->io[i].obj == io) {
			/* The table is scanned only for an enabled range. */
			if (handle_holds(&u->handles, &io->obj, AION_RIGHT_WRITE))
				return;
			u->io[i] = u->io[--u->nio];
			if (sched_current()->unit == u)
				arch_io_load(u);        /* others load theirs when switched to */
			return;
		}
}

/* -AION_EBUSY if the line is taken. */
static int irq_create(uint32_t line, struct irq **out)
{
	int slot = irq_slot(line);
	if (slot < 0 || !arch_irq_line_ok(line))
		return -AION_EINVAL;
	if (irq_of_line[slot])
		return -AION_EBUSY;
	struct irq *irq = kobj_alloc(AION_OBJ_IRQ, self_unit());
	if (!irq)
		return -AION_ENOMEM;
	irq->gsi = line;
	irq_of_line[slot] = irq;
	*out = irq;
	return 0;
}

void irq_release(struct irq *irq)
{
	arch_irq_mask(irq->gsi, true);
	irq_of_line[irq_slot(irq->gsi)] = NULL;
	if (irq->n)
		kobj_put(&irq->n->obj);
	kobj_free(&irq->obj);
}

static void irq_set_notify(struct irq *irq, struct notification *n, uint64_t bits,
			   struct unit *binder)
{
	if (irq->n)
		kobj_put(&irq->n->obj);
	kobj_get(&n->obj);
	irq->n = n;
	irq->bits = bits;
	irq->binder = binder;
	arch_irq_mask(irq->gsi, false);
}

/* An IRQ signals n while the unit that set it holds n's capability with SEND. */
void irq_cap_lost(struct unit *u, struct notification *n)
{
	int holds = -1;         /* the table is scanned only for a bound line */

	for (unsigned l = 0; l < IRQ_SLOTS; l++) {
		struct irq *irq = irq_of_line[l];
		if (irq && irq->n == n && irq->binder == u) {
			if (holds < 0)
				holds = handle_holds(&u->handles, &n->obj, AION_RIGHT_SEND);
			if (holds)
				return;
			arch_irq_mask(irq->gsi, true);
			irq->n = NULL;
			irq->binder = NULL;
			kobj_put(&n->obj);      /* not the last: the caller's slot holds one */
		}
	}
}

static int irq_ack(struct irq *irq)
{
	if (!irq->n)
		return -AION_ENOENT;
	arch_irq_mask(irq->gsi, false);
	return 0;
}

void irq_deliver(uint32_t line)
{
	int slot = irq_slot(line);
	struct irq *irq = slot >= 0 ? irq_of_line[slot] : NULL;

	/* A GSI stays masked until the driver acknowledges (IRQ_ACK); a
	 * message that comes again meanwhile only sets the same bits. */
	if (irq && irq->n)
		notification_signal(irq->n, irq->bits);
}

/* --- system calls: decode and check, then the functions above act --- */

int platform_lookup(uint64_t h)
{
	struct kobj *p;
	return lookup(h, AION_OBJ_PLATFORM, AION_RIGHT_CONTROL, &p);
}

int64_t sys_ioport_create(const struct sys_args *a)
{
	struct ioport *io;
	int err = platform_lookup(a->a0);
	if (err)
		return err;
	if (a->a1 > 0xffff || a->a2 > 0xffff)
		return -AION_EINVAL;
	if ((err = ioport_create((uint16_t)a->a1, (uint16_t)a->a2, &io)))
		return err;
	return install(&io->obj, AION_RIGHTS_ALL);
}

int64_t sys_ioport_enable(const struct sys_args *a)
{
	struct ioport *io;
	int err = lookup(a->a0, AION_OBJ_IOPORT, AION_RIGHT_WRITE, &io);
	return err ? err : ioport_enable(self_unit(), io);
}

int64_t sys_irq_create(const struct sys_args *a)
{
	struct irq *irq;
	int err = platform_lookup(a->a0);
	if (err)
		return err;
	if (a->a1 > UINT32_MAX)
		return -AION_EINVAL;
	if ((err = irq_create((uint32_t)a->a1, &irq)))
		return err;
	return install(&irq->obj, AION_RIGHTS_ALL);
}

int64_t sys_irq_set_notify(const struct sys_args *a)
{
	struct irq *irq;
	struct notification *n;
	int err = lookup(a->a0, AION_OBJ_IRQ, AION_RIGHT_CONTROL, &irq);
	if (!err)
		err = lookup(a->a1, AION_OBJ_NOTIFICATION, AION_RIGHT_SEND, &n);
	if (err)
		return err;
	if (!a->a2)
		return -AION_EINVAL;
	irq_set_notify(irq, n, a->a2, self_unit());
	return 0;
}

int64_t sys_irq_ack(const struct sys_args *a)
{
	struct irq *irq;
	int err = lookup(a->a0, AION_OBJ_IRQ, AION_RIGHT_CONTROL, &irq);
	return err ? err : irq_ack(irq);
}

int64_t sys_irq_msi_message(const struct sys_args *a)
{
	struct irq *irq;
	uint64_t msg;
	int err = lookup(a->a0, AION_OBJ_IRQ, AION_RIGHT_READ, &irq);
	if (!err)
		err = arch_irq_msi_message(irq->gsi, &msg);
	return err ? err : (int64_t)msg;
}
