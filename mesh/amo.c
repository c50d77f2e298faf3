/* At most once for remote calls: see mesh/amo.h for the rules. */
#include <stddef.h>
#include "mesh/amo.h"

void amo_init(struct amo *a, uint32_t self_boot)
{
	*a = (struct amo){ .self_boot = self_boot };
}

static void reset(struct amo_peer *p, uint16_t node, uint32_t boot)
{
	p->node = node;
	p->dead = false;
	p->boot = boot;
	p->max_id = 0;
	for (unsigned i = 0; i < AMO_WINDOW; i++)
		p->e[i] = (struct amo_entry){ 0 };
}

enum amo_verdict amo_call(struct amo *a, uint16_t node, uint32_t caller_boot,
			  uint32_t owner_boot, uint32_t id, unsigned *slot, bool *restarted)
{
	struct amo_peer *p = NULL, *free_p = NULL;
	*restarted = false;
	if (owner_boot != a->self_boot)
		return AMO_OTHER_BOOT;
	for (unsigned i = 0; i < AMO_PEERS; i++) {
		if (a->p[i].node == node)
			p = &a->p[i];
		else if (!a->p[i].node && !free_p)
			free_p = &a->p[i];
	}
	if (!p) {
		if (!free_p || !node)
			return AMO_FULL;
		p = free_p;
		reset(p, node, caller_boot);
	}
	if (caller_boot < p->boot && !p->dead)
		return AMO_OLD_BOOT;
	if (caller_boot != p->boot) {
		reset(p, node, caller_boot);    /* it restarted (or came back with a new disk) */
		*restarted = true;
	}
	p->dead = false;
	unsigned base = (unsigned)(p - a->p) * AMO_WINDOW;
	for (unsigned i = 0; i < AMO_WINDOW; i++)
		if (p->e[i].state != AMO_FREE && p->e[i].id == id) {
			*slot = base + i;
			return p->e[i].state == AMO_BUSY ? AMO_RUNNING : AMO_DONE;
		}
	if (p->max_id >= AMO_WINDOW && id <= p->max_id - AMO_WINDOW)
		return AMO_OLD_ID;
	/* A free entry, else the finished one with the oldest id. */
	struct amo_entry *e = NULL;
	for (unsigned i = 0; i < AMO_WINDOW; i++) {
		struct amo_entry *c = &p->e[i];
		if (c->state == AMO_FREE) {
			e = c;
			break;
		}
		if (c->state == AMO_FINISHED && (!e || c->id < e->id))
			e = c;
	}
	if (!e)
		return AMO_FULL;
	if (e->state == AMO_FINISHED && id < e->id)
		return AMO_OLD_ID;      /* older than all we remember: answered long ago */
	e->id = id;
	e->state = AMO_BUSY;
	if (id > p->max_id)
		p->max_id = id;
	*slot = base + (unsigned)(e - p->e);
	return AMO_NEW;
}

void amo_node_dead(struct amo *a, uint16_t node)
{
	for (unsigned i = 0; i < AMO_PEERS; i++)
		if (a->p[i].node == node)
			a->p[i].dead = true;
}

void amo_finish(struct amo *a, unsigned slot)
{
	if (slot < AMO_SLOTS && a->p[slot / AMO_WINDOW].e[slot % AMO_WINDOW].state == AMO_BUSY)
		a->p[slot / AMO_WINDOW].e[slot % AMO_WINDOW].state = AMO_FINISHED;
}

bool amo_slot_is(const struct amo *a, unsigned slot, uint16_t node, uint32_t caller_boot,
		 uint32_t id)
{
	if (slot >= AMO_SLOTS)
		return false;
	const struct amo_peer *p = &a->p[slot / AMO_WINDOW];
	const struct amo_entry *e = &p->e[slot % AMO_WINDOW];
	return p->node == node && p->boot == caller_boot && e->state != AMO_FREE && e->id == id;
}

bool amo_find(const struct amo *a, uint16_t node, uint32_t caller_boot, uint32_t id,
	      unsigned *slot)
{
	for (unsigned s = 0; s < AMO_SLOTS; s++)
		if (amo_slot_is(a, s, node, caller_boot, id)) {
			*slot = s;
			return true;
		}
	return false;
}

bool amo_answer_ok(uint32_t self_boot, uint32_t answer_caller_boot,
		   uint32_t call_owner_boot, uint32_t answer_owner_boot, bool error)
{
	if (answer_caller_boot != self_boot)
		return false;
	if (error)
		return answer_owner_boot >= call_owner_boot;
	return call_owner_boot == answer_owner_boot;
}

bool amo_learn_boot(uint32_t *known, uint32_t seen)
{
	if (seen <= *known)
		return false;
	bool restarted = *known != 0;
	*known = seen;
	return restarted;
}

const char *amo_verdict_name(enum amo_verdict v)
{
	static const char *const names[] = {
		"new", "running", "done", "other_boot", "old_boot", "old_id", "full",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
