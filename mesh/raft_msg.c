/*
 * The Raft message codec: the one definition of the bytes (big-endian,
 * no padding). Every message starts with
 *   type (1), flags (1), from (8), to (8), term (8)
 * then, by type:
 *   PREVOTE, VOTE   index (8), log_term (8)
 *   *VOTE_RESP      nothing
 *   APPEND          index (8), log_term (8), commit (8), seq (8), nents (2),
 *                   nents times: term (8), type (1), len (2), data (len)
 *   APPEND_RESP     index (8), hint (8), seq (8)
 *   SNAP            index (8), log_term (8), offset (4), configuration
 *                   (raft_conf_encode), len (2), data (len)
 *   SNAP_RESP       index (8), offset (4)
 * The input is untrusted: lengths are checked before every read, a
 * message must end exactly where its last field does, terms and indices
 * stay below RAFT_INDEX_MAX, the terms of entries are those a log can
 * hold (non-decreasing, none after the message's term), and a decoded
 * message re-encodes to the same bytes.
 */
#include "common/string.h"

#include "raft_impl.h"

_Static_assert(RAFT_MSG_APPEND_LEN + RAFT_MSG_ENTRY_HDR_LEN + RAFT_ENTRY_MAX
	       <= RAFT_MSG_MAX, "one full entry fits an APPEND");
_Static_assert(RAFT_MSG_HDR_LEN + 20 + 1 + RAFT_SERVERS_MAX * 11 + 2 +
	       RAFT_SNAP_CHUNK <= RAFT_MSG_MAX, "a chunk fits a SNAP");
_Static_assert(RAFT_MSG_MAX <= 512 - 31 - 16, "a message fits a mesh packet in one IPC payload");

struct cursor {
	uint8_t *w;             /* encoding */
	const uint8_t *r;       /* decoding */
	size_t pos, cap;
	bool bad;               /* ran past cap */
};

static void put(struct cursor *c, uint64_t v, unsigned width)
{
	if (c->pos + width > c->cap) {
		c->bad = true;
		return;
	}
	for (unsigned i = 0; i < width; i++)
		c->w[c->pos + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	c->pos += width;
}

static uint64_t get(struct cursor *c, unsigned width)
{
	uint64_t v = 0;

	if (c->pos + width > c->cap) {
		c->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < width; i++)
		v = v << 8 | c->r[c->pos + i];
	c->pos += width;
	return v;
}

static void put_bytes(struct cursor *c, const uint8_t *p, size_t n)
{
	if (c->pos + n > c->cap) {
		c->bad = true;
		return;
	}
	memcpy(c->w + c->pos, p, n);
	c->pos += n;
}

static void get_bytes(struct cursor *c, uint8_t *p, size_t n)
{
	if (c->pos + n > c->cap) {
		c->bad = true;
		return;
	}
	memcpy(p, c->r + c->pos, n);
	c->pos += n;
}

static unsigned flags_allowed(unsigned type)
{
	switch (type) {
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_APPEND_RESP:
		return RAFT_MSG_REJECT;
	case RAFT_MSG_SNAP:
	case RAFT_MSG_SNAP_RESP:
		return RAFT_MSG_DONE;
	case RAFT_MSG_APPEND:
		return RAFT_MSG_QUIET;
	}
	return 0;
}

static bool header_ok(const struct raft_msg *m)
{
	return m->type >= RAFT_MSG_PREVOTE && m->type <= RAFT_MSG_TYPE_MAX &&
	       (m->flags & ~flags_allowed(m->type)) == 0 &&
	       m->from != 0 && m->to != 0;
}

/* Terms a log can hold: no later than the sender's term, and in an
 * APPEND non-decreasing from the entry before the batch. */
static bool terms_ok(const struct raft_msg *m)
{
	uint64_t prev = m->log_term;

	if (m->log_term > m->term)
		return false;
	for (unsigned i = 0; i < m->nents; i++) {
		if (m->ents[i].term < prev || m->ents[i].term > m->term)
			return false;
		prev = m->ents[i].term;
	}
	return true;
}

static bool numbers_ok(const struct raft_msg *m)
{
	return m->term <= RAFT_INDEX_MAX && m->commit <= RAFT_INDEX_MAX &&
	       m->index <= RAFT_INDEX_MAX - m->nents &&
	       m->hint <= RAFT_INDEX_MAX && terms_ok(m);
}

static bool entry_ok(const struct raft_msg_entry *e)
{
	return e->type >= RAFT_ENTRY_NORMAL && e->type <= RAFT_ENTRY_NOOP &&
	       e->len <= RAFT_ENTRY_MAX;
}

static int put_entries(struct cursor *c, const struct raft_msg *m)
{
	if (m->nents > RAFT_MSG_ENTS_MAX)
		return -AION_EINVAL;
	put(c, m->nents, 2);
	for (unsigned i = 0; i < m->nents; i++) {
		const struct raft_msg_entry *e = &m->ents[i];

		if (!entry_ok(e) || (size_t)e->off + e->len > m->len ||
		    m->len > RAFT_MSG_DATA_MAX)
			return -AION_EINVAL;
		put(c, e->term, 8);
		put(c, e->type, 1);
		put(c, e->len, 2);
		put_bytes(c, m->data + e->off, e->len);
	}
	return 0;
}

static int put_snap(struct cursor *c, const struct raft_msg *m)
{
	int n;

	put(c, m->index, 8);
	put(c, m->log_term, 8);
	put(c, m->offset, 4);
	if (c->bad)
		return 0;
	n = raft_conf_encode(&m->conf, c->w + c->pos, c->cap - c->pos);
	if (n == -AION_ENOSPC) {
		c->bad = true;
		return 0;
	}
	if (n < 0 || m->len > RAFT_SNAP_CHUNK)
		return -AION_EINVAL;
	c->pos += (size_t)n;
	put(c, m->len, 2);
	put_bytes(c, m->data, m->len);
	return 0;
}

static int put_body(struct cursor *c, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		put(c, m->index, 8);
		put(c, m->log_term, 8);
		return 0;
	case RAFT_MSG_APPEND:
		put(c, m->index, 8);
		put(c, m->log_term, 8);
		put(c, m->commit, 8);
		put(c, m->seq, 8);
		return put_entries(c, m);
	case RAFT_MSG_APPEND_RESP:
		put(c, m->index, 8);
		put(c, m->hint, 8);
		put(c, m->seq, 8);
		return 0;
	case RAFT_MSG_SNAP:
		return put_snap(c, m);
	case RAFT_MSG_SNAP_RESP:
		put(c, m->index, 8);
		put(c, m->offset, 4);
		return 0;
	}
	return 0;
}

/* Returns the encoded length: -AION_EINVAL for a message that is not
 * well formed, -AION_ENOSPC when cap is too small. */
int raft_msg_encode(const struct raft_msg *m, uint8_t *buf, size_t cap)
{
	struct cursor c = { .w = buf, .cap = cap < RAFT_MSG_MAX ? cap : RAFT_MSG_MAX };
	int err;

	if (!m || !buf || !header_ok(m) || m->nents > RAFT_MSG_ENTS_MAX ||
	    !numbers_ok(m))
		return -AION_EINVAL;
	put(&c, m->type, 1);
	put(&c, m->flags, 1);
	put(&c, m->from, 8);
	put(&c, m->to, 8);
	put(&c, m->term, 8);
	err = put_body(&c, m);
	if (err < 0)
		return err;
	return c.bad ? -AION_ENOSPC : (int)c.pos;
}

static bool get_entries(struct cursor *c, struct raft_msg *m)
{
	m->nents = (uint16_t)get(c, 2);
	if (m->nents > RAFT_MSG_ENTS_MAX)
		return false;
	for (unsigned i = 0; i < m->nents && !c->bad; i++) {
		struct raft_msg_entry *e = &m->ents[i];

		e->term = get(c, 8);
		e->type = (uint8_t)get(c, 1);
		e->len = (uint16_t)get(c, 2);
		e->off = m->len;
		if (!entry_ok(e) || (size_t)m->len + e->len > RAFT_MSG_DATA_MAX)
			return false;
		get_bytes(c, m->data + m->len, e->len);
		m->len = (uint16_t)(m->len + e->len);
	}
	return true;
}

static bool get_snap(struct cursor *c, struct raft_msg *m)
{
	int n;

	m->index = get(c, 8);
	m->log_term = get(c, 8);
	m->offset = (uint32_t)get(c, 4);
	if (c->bad)
		return false;
	n = raft_conf_decode(c->r + c->pos, c->cap - c->pos, &m->conf);
	if (n < 0)
		return false;
	c->pos += (size_t)n;
	m->len = (uint16_t)get(c, 2);
	if (m->len > RAFT_SNAP_CHUNK)
		return false;
	get_bytes(c, m->data, m->len);
	return true;
}

static bool get_body(struct cursor *c, struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		m->index = get(c, 8);
		m->log_term = get(c, 8);
		return true;
	case RAFT_MSG_APPEND:
		m->index = get(c, 8);
		m->log_term = get(c, 8);
		m->commit = get(c, 8);
		m->seq = get(c, 8);
		return get_entries(c, m);
	case RAFT_MSG_APPEND_RESP:
		m->index = get(c, 8);
		m->hint = get(c, 8);
		m->seq = get(c, 8);
		return true;
	case RAFT_MSG_SNAP:
		return get_snap(c, m);
	case RAFT_MSG_SNAP_RESP:
		m->index = get(c, 8);
		m->offset = (uint32_t)get(c, 4);
		return true;
	}
	return true;
}

/* Returns 0, or -AION_EMALFORMED (then *m is unspecified). */
int raft_msg_decode(const uint8_t *buf, size_t len, struct raft_msg *m)
{
	struct cursor c = { .r = buf, .cap = len };

	if (!buf || !m || len > RAFT_MSG_MAX)
		return -AION_EMALFORMED;
	memset(m, 0, offsetof(struct raft_msg, ents));
	m->type = (uint8_t)get(&c, 1);
	m->flags = (uint8_t)get(&c, 1);
	m->from = get(&c, 8);
	m->to = get(&c, 8);
	m->term = get(&c, 8);
	if (c.bad || !header_ok(m) || !get_body(&c, m) || c.bad ||
	    c.pos != len || !numbers_ok(m))
		return -AION_EMALFORMED;
	return 0;
}

const char *raft_msg_type_name(unsigned type)
{
	static const char *const names[] = {
		"?", "PREVOTE", "PREVOTE_RESP", "VOTE", "VOTE_RESP",
		"APPEND", "APPEND_RESP", "SNAP", "SNAP_RESP",
	};

	return type <= RAFT_MSG_TYPE_MAX ? names[type] : "?";
}
