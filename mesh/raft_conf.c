/*
 * Raft configurations: who votes, who only learns, and which node number
 * reaches each server. A configuration travels whole in a CONFIG entry
 * (and in snapshots), encoded big-endian:
 *   n (1 byte), then n times: id (8), node (2), voter (1: 0 or 1).
 * Changes are single-server (dissertation ch. 4): add a learner, promote
 * it, remove one; any two successive configurations then share a majority,
 * so no joint consensus is needed.
 */
#include "common/string.h"

#include "raft_impl.h"

#define CONF_SERVER_LEN 11u

int raft_conf_slot(const struct raft_conf *c, uint64_t id)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->s[i].id == id)
			return (int)i;
	return -AION_ENOENT;
}

const struct raft_server *raft_conf_find(const struct raft_conf *c, uint64_t id)
{
	int i = raft_conf_slot(c, id);

	return i < 0 ? NULL : &c->s[i];
}

/* The transport's node number for id, or -AION_ENOENT. */
int raft_conf_node(const struct raft_conf *c, uint64_t id)
{
	const struct raft_server *s = raft_conf_find(c, id);

	return s ? (int)s->node : -AION_ENOENT;
}

bool raft_is_voter(const struct raft_conf *c, uint64_t id)
{
	const struct raft_server *s = raft_conf_find(c, id);

	return s && s->voter;
}

unsigned raft_conf_voters(const struct raft_conf *c)
{
	unsigned v = 0;

	for (unsigned i = 0; i < c->n; i++)
		v += c->s[i].voter;
	return v;
}

/* A majority of the voters; with no voter nothing can ever be decided. */
unsigned raft_quorum(const struct raft_conf *c)
{
	unsigned v = raft_conf_voters(c);

	return v ? v / 2 + 1 : RAFT_SERVERS_MAX + 1;
}

int raft_conf_encode(const struct raft_conf *c, uint8_t *buf, size_t cap)
{
	size_t len = 1 + (size_t)c->n * CONF_SERVER_LEN;
	uint8_t *p = buf + 1;

	if (c->n > RAFT_SERVERS_MAX)
		return -AION_EINVAL;
	if (cap < len)
		return -AION_ENOSPC;
	buf[0] = c->n;
	for (unsigned i = 0; i < c->n; i++, p += CONF_SERVER_LEN) {
		for (unsigned b = 0; b < 8; b++)
			p[b] = (uint8_t)(c->s[i].id >> (56 - 8 * b));
		p[8] = (uint8_t)(c->s[i].node >> 8);
		p[9] = (uint8_t)c->s[i].node;
		p[10] = c->s[i].voter ? 1 : 0;
	}
	return (int)len;
}

static bool server_decode(const uint8_t *p, struct raft_server *s)
{
	s->id = 0;
	for (unsigned b = 0; b < 8; b++)
		s->id = s->id << 8 | p[b];
	s->node = (uint16_t)(p[8] << 8 | p[9]);
	s->voter = p[10] == 1;
	return s->id != 0 && p[10] <= 1;
}

/* Returns the bytes consumed; ids must be nonzero and distinct. */
int raft_conf_decode(const uint8_t *buf, size_t len, struct raft_conf *c)
{
	struct raft_conf tmp = { 0 };

	if (len < 1 || buf[0] > RAFT_SERVERS_MAX ||
	    len < 1 + (size_t)buf[0] * CONF_SERVER_LEN)
		return -AION_EMALFORMED;
	for (unsigned i = 0; i < buf[0]; i++) {
		struct raft_server s;

		if (!server_decode(buf + 1 + i * CONF_SERVER_LEN, &s) ||
		    raft_conf_find(&tmp, s.id))
			return -AION_EMALFORMED;
		tmp.s[tmp.n++] = s;
	}
	*c = tmp;
	return 1 + (int)(tmp.n * CONF_SERVER_LEN);
}

/* One single-server change. The last voter cannot be removed: a
 * configuration without voters could never decide anything again. */
int raft_conf_apply(struct raft_conf *c, enum raft_conf_op op, uint64_t id,
		    uint16_t node)
{
	int i = raft_conf_slot(c, id);

	if (id == 0)
		return -AION_EINVAL;
	switch (op) {
	case RAFT_CONF_ADD_LEARNER:
		if (i >= 0)
			return -AION_EEXIST;
		if (c->n >= RAFT_SERVERS_MAX)
			return -AION_ENOSPC;
		c->s[c->n++] = (struct raft_server){ id, node, false };
		return 0;
	case RAFT_CONF_PROMOTE:
		if (i < 0)
			return -AION_ENOENT;
		if (c->s[i].voter)
			return -AION_EEXIST;
		c->s[i].voter = true;
		return 0;
	case RAFT_CONF_REMOVE:
		if (i < 0)
			return -AION_ENOENT;
		if (c->s[i].voter && raft_conf_voters(c) == 1)
			return -AION_EINVAL;
		c->s[i] = c->s[--c->n];
		return 0;
	}
	return -AION_EINVAL;
}

/* The configuration in effect at index: the latest CONFIG entry at or
 * before it, else the snapshot's. *from is where it was found. */
void raft_conf_at(const struct raft *r, uint64_t index, struct raft_conf *c,
		  uint64_t *from)
{
	for (uint64_t i = index; i >= r->log.first && i > r->snap.index; i--) {
		const struct raft_entry *e = raft_log_get(&r->log, i);

		if (e && e->type == RAFT_ENTRY_CONFIG &&
		    raft_conf_decode(e->data, e->len, c) > 0) {
			*from = i;
			return;
		}
	}
	*c = r->snap.conf;
	*from = r->snap.index;
}

/* A configuration takes effect as soon as it is in the log (appended or
 * truncated away alike), so recompute it after every log change that can
 * touch a CONFIG entry; a leader keeps the progress of servers that stay. */
void raft_conf_refresh(struct raft *r)
{
	struct raft_conf old = r->conf;
	struct raft_progress old_prs[RAFT_SERVERS_MAX];

	memcpy(old_prs, r->prs, sizeof(old_prs));
	raft_conf_at(r, r->log.last, &r->conf, &r->conf_index);
	if (r->role == RAFT_LEADER)
		raft_progress_remap(r, &old, old_prs);
}
