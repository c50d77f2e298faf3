/*
 * The payload and capabilities of one IPC message, moved from the
 * sender's buffer to the receiver's (endpoint.h: ipc_transfer). Every
 * check comes before the first write, so a failed transfer changes
 * nothing; the side at fault is told through *blame.
 */
#include <stddef.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "arch.h"
#include "endpoint.h"
#include "handle.h"
#include "thread.h"
#include "unit.h"
#include "usercopy.h"

#define PAYLOAD_OFF     offsetof(struct aion_ipc_buffer, payload)
#define CAPS_OFF        offsetof(struct aion_ipc_buffer, caps)
#define RIGHTS_OFF      offsetof(struct aion_ipc_buffer, cap_rights)

static bool buffer_writable(struct thread *t)
{
	uint64_t pa;
	return t->ipc_buffer && !arch_vm_translate(t->unit, t->ipc_buffer, true, &pa, NULL);
}

static int read_caps(struct thread *s, unsigned n, struct handle_slot **slot,
		     uint32_t *rights)
{
	aion_handle_t h[AION_IPC_CAPS_MAX];

	if (user_copy(s->unit, s->ipc_buffer + CAPS_OFF, h, n * sizeof(h[0]), false) ||
	    user_copy(s->unit, s->ipc_buffer + RIGHTS_OFF, rights, n * sizeof(rights[0]), false))
		return -AION_EFAULT;
	for (unsigned i = 0; i < n; i++) {
		slot[i] = handle_slot_of(&s->unit->handles, h[i]);
		if (!slot[i])
			return -AION_ECAP;
		if ((rights[i] & AION_IPC_CAP_MOVE) && h[i] == AION_HANDLE_SELF)
			return -AION_EPERM;
		for (unsigned j = 0; j < i; j++)
			if (slot[j] == slot[i] && ((rights[i] | rights[j]) & AION_IPC_CAP_MOVE))
				return -AION_EINVAL;
	}
	return 0;
}

int ipc_transfer(struct thread *s, struct thread *r, uint64_t tag, bool grant,
		 enum ipc_blame *blame)
{
	unsigned len = AION_TAG_LEN(tag), ncaps = AION_TAG_CAPS(tag);
	uint8_t payload[AION_IPC_PAYLOAD_MAX];
	struct handle_slot *slot[AION_IPC_CAPS_MAX];
	uint32_t rights[AION_IPC_CAPS_MAX];
	aion_handle_t got[AION_IPC_CAPS_MAX];

	if (!len && !ncaps)
		return 0;
	*blame = IPC_BLAME_RECEIVER;
	if (!buffer_writable(r))
		return -AION_EFAULT;
	*blame = IPC_BLAME_SENDER;
	if (ncaps && !grant)
		return -AION_ERIGHTS;
	if (user_copy(s->unit, s->ipc_buffer + PAYLOAD_OFF, payload, len, false))
		return -AION_EFAULT;
	int err = ncaps ? read_caps(s, ncaps, slot, rights) : 0;
	if (err)
		return err;
	*blame = IPC_BLAME_RECEIVER;
	if (handle_free_slots(&r->unit->handles, ncaps) < ncaps)
		return -AION_ENOSPC;

	/* Commit: the receiver's buffer page is mapped and writable. */
	user_copy(r->unit, r->ipc_buffer + PAYLOAD_OFF, payload, len, true);
	for (unsigned i = 0; i < ncaps; i++) {
		err = (rights[i] & AION_IPC_CAP_MOVE) ?
			handle_move(slot[i], &r->unit->handles, &got[i]) :
			handle_derive(slot[i], &r->unit->handles, rights[i], 0, &got[i]);
		if (err)
			got[i] = 0;     /* only if a table page could not be had */
	}
	if (ncaps)
		user_copy(r->unit, r->ipc_buffer + CAPS_OFF, got, ncaps * sizeof(got[0]), true);
	return err;
}
