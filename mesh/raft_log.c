/*
 * The in-memory Raft log: entries (snap_index, last] in a ring over the
 * caller's array, entry i at slot i % cap. The entry at snap_index itself
 * is gone; only its term is kept, for the log matching check of the entry
 * after it.
 */
#include "common/string.h"

#include "raft_impl.h"

void raft_log_init(struct raft_log *l, struct raft_entry *ents, uint32_t cap,
		   uint64_t snap_index, uint64_t snap_term)
{
	l->ents = ents;
	l->cap = cap;
	raft_log_reset(l, snap_index, snap_term);
}

struct raft_entry *raft_log_get(const struct raft_log *l, uint64_t index)
{
	if (index < l->first || index > l->last)
		return NULL;
	return &l->ents[index % l->cap];
}

/* -AION_ENOENT: compacted away (or beyond the end): the term is unknown. */
int raft_log_term(const struct raft_log *l, uint64_t index, uint64_t *term)
{
	const struct raft_entry *e;

	if (index == l->snap_index) {
		*term = l->snap_term;
		return 0;
	}
	e = raft_log_get(l, index);
	if (!e)
		return -AION_ENOENT;
	*term = e->term;
	return 0;
}

uint64_t raft_log_last_term(const struct raft_log *l)
{
	uint64_t t = 0;

	(void)raft_log_term(l, l->last, &t); /* last is always known */
	return t;
}

uint32_t raft_log_free(const struct raft_log *l)
{
	return l->cap - (uint32_t)(l->last - l->snap_index);
}

int raft_log_append(struct raft_log *l, uint64_t term, uint8_t type,
		    const void *data, size_t len)
{
	struct raft_entry *e;

	if (len > RAFT_ENTRY_MAX)
		return -AION_EINVAL;
	if (raft_log_free(l) == 0 || l->last >= RAFT_INDEX_MAX)
		return -AION_ENOSPC;    /* no index past the bound (raft.h) */
	l->last++;
	e = &l->ents[l->last % l->cap];
	e->index = l->last;
	e->term = term;
	e->type = type;
	e->len = (uint16_t)len;
	if (len)
		memcpy(e->data, data, len);
	return 0;
}

/* Drop entries >= from. Precondition: from > snap_index. */
void raft_log_truncate(struct raft_log *l, uint64_t from)
{
	if (from <= l->last)
		l->last = from - 1;
}

/* Forget entries <= index (a snapshot covers them). Precondition:
 * snap_index < index <= last. */
void raft_log_compact(struct raft_log *l, uint64_t index, uint64_t term)
{
	l->snap_index = index;
	l->snap_term = term;
	l->first = index + 1;
}

/* An empty log that starts after a snapshot at (index, term). */
void raft_log_reset(struct raft_log *l, uint64_t index, uint64_t term)
{
	l->snap_index = index;
	l->snap_term = term;
	l->first = index + 1;
	l->last = index;
}

/* The first index of the run of entries with the term of `index`, not
 * below floor + 1: where a leader should retry after a conflict there
 * (dissertation 3.5's optimisation: one round trip per term, not per
 * entry). */
uint64_t raft_log_term_start(const struct raft_log *l, uint64_t index,
			     uint64_t floor)
{
	uint64_t t, u;

	if (raft_log_term(l, index, &t) < 0)
		return index;
	while (index > floor + 1 && index > l->first &&
	       raft_log_term(l, index - 1, &u) == 0 && u == t)
		index--;
	return index;
}
