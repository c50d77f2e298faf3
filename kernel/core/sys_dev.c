/*
 * System calls on memory objects, device access (I/O ports, IRQs, device
 * memory, all made from init's platform capability) and fault endpoints.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "endpoint.h"
#include "memobj.h"
#include "notification.h"
#include "platform.h"
#include "syscalls.h"

#define PROT_ALL (AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC)

SYSCALL(memory_create)
{
	struct memobj *mo;
	if (a->a0 == 0 || a->a0 > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	int err = memobj_create(self_unit(), (unsigned)a->a0, &mo);
	return err ? err : install(&mo->obj, AION_RIGHTS_ALL);
}

SYSCALL(memory_map)
{
	struct memobj *mo;
	struct unit *u;
	uint64_t prot = a->a3;

	if (prot & ~(uint64_t)PROT_ALL || !(prot & AION_PROT_READ))
		return -AION_EINVAL;
	/* Rights bound the mapping: a read-only capability maps read-only. */
	uint32_t need = AION_RIGHT_READ | ((prot & AION_PROT_WRITE) ? AION_RIGHT_WRITE : 0);
	int err = lookup(a->a0, AION_OBJ_MEMORY, need, &mo);
	if (!err)
		err = lookup(a->a1, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	if (err)
		return err;
	if (u->destroyed)
		return -AION_EDEAD;
	return memobj_map(mo, u, a->a2, (unsigned)prot);
}

SYSCALL(memory_unmap)
{
	struct unit *u;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_WRITE, &u);
	return err ? err : memobj_unmap(u, a->a1);
}

SYSCALL(memory_phys)
{
	struct memobj *mo;
	int err = lookup(a->a0, AION_OBJ_MEMORY, AION_RIGHT_PHYS, &mo);
	if (err)
		return err;
	if (a->a1 >= mo->npages)
		return -AION_ERANGE;
	return (int64_t)memobj_phys(mo, (unsigned)a->a1);
}

static int platform(uint64_t h)
{
	struct kobj *p;
	return lookup(h, AION_OBJ_PLATFORM, AION_RIGHT_CONTROL, &p);
}

SYSCALL(device_memory)
{
	struct memobj *mo;
	int err = platform(a->a0);
	if (err)
		return err;
	if (a->a2 == 0 || a->a2 > MEMOBJ_MAX_PAGES)
		return -AION_EINVAL;
	if ((err = memobj_device(a->a1, (unsigned)a->a2, &mo)))
		return err;
	/* Device registers are no DMA buffer: no PHYS right. */
	return install(&mo->obj, AION_RIGHTS_ALL & ~AION_RIGHT_PHYS);
}

SYSCALL(ioport_create)
{
	struct ioport *io;
	int err = platform(a->a0);
	if (err)
		return err;
	if (a->a1 > 0xffff || a->a2 > 0xffff)
		return -AION_EINVAL;
	if ((err = ioport_create((uint16_t)a->a1, (uint16_t)a->a2, &io)))
		return err;
	return install(&io->obj, AION_RIGHTS_ALL);
}

SYSCALL(ioport_enable)
{
	struct ioport *io;
	int err = lookup(a->a0, AION_OBJ_IOPORT, AION_RIGHT_WRITE, &io);
	return err ? err : ioport_enable(self_unit(), io);
}

SYSCALL(irq_create)
{
	struct irq *irq;
	int err = platform(a->a0);
	if (err)
		return err;
	if (a->a1 > UINT32_MAX)
		return -AION_EINVAL;
	if ((err = irq_create((uint32_t)a->a1, &irq)))
		return err;
	return install(&irq->obj, AION_RIGHTS_ALL);
}

SYSCALL(irq_set_notify)
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
	irq_set_notify(irq, n, a->a2);
	return 0;
}

SYSCALL(irq_ack)
{
	struct irq *irq;
	int err = lookup(a->a0, AION_OBJ_IRQ, AION_RIGHT_CONTROL, &irq);
	return err ? err : irq_ack(irq);
}

SYSCALL(unit_fault_ep)
{
	struct unit *u;
	struct handle_slot *s;
	int err = lookup(a->a0, AION_OBJ_UNIT, AION_RIGHT_CONTROL, &u);
	if (err)
		return err;
	if ((err = lookup_slot(a->a1, AION_OBJ_ENDPOINT, AION_RIGHT_SEND, &s)))
		return err;
	if (u->fault_ep)
		kobj_put(u->fault_ep);
	kobj_get(s->obj);
	u->fault_ep = s->obj;
	u->fault_badge = a->a2 ? a->a2 : s->badge;
	return 0;
}
