/*
 * The cluster state machine (mesh/cstate.h): commands, apply, snapshots.
 */
#include "mesh/cstate.h"

#include "aion/error.h"

#define SNAP_HDR_LEN    14u     /* applied u64, term u32, state length u16 */

struct cur {
	const uint8_t *p;
	size_t pos, len;
	bool short_;
};

static uint64_t get(struct cur *c, unsigned width)
{
	uint64_t v = 0;

	if (c->len - c->pos < width) {
		c->short_ = true;
		return 0;
	}
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)c->p[c->pos++] << (8 * i);
	return v;
}

static void put(uint8_t *buf, size_t *at, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++, v >>= 8)
		buf[(*at)++] = (uint8_t)v;
}

/* A job name as commands carry it: CSCHED_NAME_MAX bytes, NUL-padded. */
static void put_name(uint8_t *buf, size_t *at, const char *name)
{
	bool ended = false;

	for (unsigned i = 0; i < CSCHED_NAME_MAX; i++) {
		ended = ended || !name[i];
		buf[(*at)++] = ended ? 0 : (uint8_t)name[i];
	}
}

/* The name's bytes NUL-terminated; false when the last byte is no NUL. */
static bool get_name(struct cur *c, char *name)
{
	for (unsigned i = 0; i < CSCHED_NAME_MAX; i++)
		name[i] = (char)get(c, 1);
	return !c->short_ && name[CSCHED_NAME_MAX - 1] == '\0';
}

static size_t name_length(const char *name)
{
	size_t n = 0;

	while (n < CSCHED_NAME_MAX && name[n])
		n++;
	return n;
}

void cstate_init(struct cstate *s)
{
	*s = (struct cstate){ 0 };
	kv_store_reset(&s->kv);
}

/* --- builders --- */

int cstate_cmd_job_add(uint8_t *buf, size_t cap, const char *name, unsigned replicas,
		       unsigned flags, const uint16_t *allowed, unsigned nallowed)
{
	size_t at = 0;

	if (name_length(name) >= CSCHED_NAME_MAX || replicas > 255 || flags > 255 ||
	    nallowed > CSCHED_ALLOWED_MAX)
		return -AION_EINVAL;
	if (cap < 1 + CSCHED_NAME_MAX + 2 + 2 * CSCHED_ALLOWED_MAX)
		return -AION_ERANGE;
	put(buf, &at, CSTATE_JOB_ADD, 1);
	put_name(buf, &at, name);
	put(buf, &at, replicas, 1);
	put(buf, &at, flags, 1);
	for (unsigned i = 0; i < CSCHED_ALLOWED_MAX; i++)
		put(buf, &at, i < nallowed ? allowed[i] : 0, 2);
	return (int)at;
}

int cstate_cmd_job_remove(uint8_t *buf, size_t cap, const char *name)
{
	size_t at = 0;

	if (name_length(name) >= CSCHED_NAME_MAX)
		return -AION_EINVAL;
	if (cap < 1 + CSCHED_NAME_MAX)
		return -AION_ERANGE;
	put(buf, &at, CSTATE_JOB_REMOVE, 1);
	put_name(buf, &at, name);
	return (int)at;
}

int cstate_cmd_job_fail(uint8_t *buf, size_t cap, const char *name, uint16_t node,
			uint32_t epoch)
{
	size_t at = 0;

	if (name_length(name) >= CSCHED_NAME_MAX)
		return -AION_EINVAL;
	if (cap < 1 + CSCHED_NAME_MAX + 2 + 4)
		return -AION_ERANGE;
	put(buf, &at, CSTATE_JOB_FAIL, 1);
	put_name(buf, &at, name);
	put(buf, &at, node, 2);
	put(buf, &at, epoch, 4);
	return (int)at;
}

int cstate_cmd_place(uint8_t *buf, size_t cap, const struct csched_state *placed)
{
	size_t at = 0;

	if (cap < 5)
		return -AION_ERANGE;
	put(buf, &at, CSTATE_PLACE, 1);
	put(buf, &at, placed->version, 4);
	int n = csched_state_encode(placed, buf + at, cap - at);
	return n < 0 ? n : (int)at + n;
}

int cstate_cmd_kv(uint8_t *buf, size_t cap, uint32_t label, uint64_t client, uint64_t seq,
		  const uint8_t *fields, size_t len)
{
	size_t at = 0;

	if (cap < 21 + len || len > CSTATE_CMD_MAX - 21)
		return -AION_ERANGE;
	put(buf, &at, CSTATE_KV, 1);
	put(buf, &at, label, 4);
	put(buf, &at, client, 8);
	put(buf, &at, seq, 8);
	for (size_t i = 0; i < len; i++)
		buf[at++] = fields[i];
	return (int)at;
}

int cstate_cmd_kv_parse(const uint8_t *cmd, size_t len, uint32_t *label,
			const uint8_t **fields, size_t *flen)
{
	struct cur c = { .p = cmd, .len = len };

	if (get(&c, 1) != CSTATE_KV)
		return -AION_EMALFORMED;
	*label = (uint32_t)get(&c, 4);
	get(&c, 8);                     /* client */
	get(&c, 8);                     /* seq */
	if (c.short_)
		return -AION_EMALFORMED;
	*fields = cmd + c.pos;
	*flen = len - c.pos;
	return 0;
}

/* --- apply --- */

static int apply_job_add(struct cstate *s, struct cur *c, struct cstate_result *res)
{
	char name[CSCHED_NAME_MAX];
	uint16_t allowed[CSCHED_ALLOWED_MAX];
	unsigned n = 0;

	bool ok = get_name(c, name);
	unsigned replicas = (unsigned)get(c, 1), flags = (unsigned)get(c, 1);
	for (unsigned i = 0; i < CSCHED_ALLOWED_MAX; i++) {
		allowed[i] = (uint16_t)get(c, 2);
		n += allowed[i] != 0;
	}
	if (!ok || c->short_ || c->pos != c->len)
		return -AION_EMALFORMED;
	res->err = csched_job_add(&s->sched, name, replicas, flags, allowed, n);
	return 0;
}

static int apply_job_remove(struct cstate *s, struct cur *c, struct cstate_result *res)
{
	char name[CSCHED_NAME_MAX];

	if (!get_name(c, name) || c->pos != c->len)
		return -AION_EMALFORMED;
	res->err = csched_job_remove(&s->sched, name);
	return 0;
}

static int apply_job_fail(struct cstate *s, struct cur *c, struct cstate_result *res)
{
	char name[CSCHED_NAME_MAX];

	bool ok = get_name(c, name);
	uint16_t node = (uint16_t)get(c, 2);
	uint32_t epoch = (uint32_t)get(c, 4);
	if (!ok || c->short_ || c->pos != c->len)
		return -AION_EMALFORMED;
	res->err = csched_job_fail(&s->sched, name, node, epoch);
	return 0;
}

/* A placement computed from an older version would undo what came
 * between: it applies only on the version it was computed from. */
static int apply_place(struct cstate *s, struct cur *c, struct cstate_result *res)
{
	struct csched_state placed;
	uint32_t base = (uint32_t)get(c, 4);

	if (c->short_ || csched_state_decode(c->p + c->pos, c->len - c->pos, &placed))
		return -AION_EMALFORMED;
	if (base != s->sched.version) {
		res->err = -AION_ECONFLICT;
		return 0;
	}
	placed.term = s->sched.term;
	placed.version = s->sched.version;
	s->sched = placed;
	return 0;
}

static void result_of(const struct kv_rec *rec, struct cstate_result *res)
{
	res->err = rec->err;
	res->w1 = rec->w1;
	for (unsigned i = 0; i <= KV_VALUE_MAX; i++)
		res->value[i] = rec->value[i];
}

/* A write as the primary of old did it, in one step: a retry of the
 * client's last seq gets the remembered answer, a new one is applied. */
static int apply_kv(struct cstate *s, struct cur *c, struct cstate_result *res)
{
	struct kv_req req;
	struct kv_rec rec;
	uint32_t label = (uint32_t)get(c, 4);
	uint64_t client = get(c, 8), seq = get(c, 8);

	if (c->short_)
		return -AION_EMALFORMED;
	res->err = kv_req_decode(label, client, seq, c->p + c->pos, c->len - c->pos, &req);
	if (res->err)
		return 0;
	if (label == KV_GET)
		return cstate_kv_read(s, c->p + c->pos, c->len - c->pos, res);
	int seen = kv_store_seen(&s->kv, &req, &rec);
	if (seen < 0) {
		res->err = seen;
		return 0;
	}
	if (!seen) {
		kv_store_prepare(&s->kv, &req, &rec);
		int err = kv_store_commit(&s->kv, &rec);
		if (err)
			rec.err = err;
	}
	result_of(&rec, res);
	return 0;
}

/* Which commands change the scheduler's state (its version counts them). */
static bool sched_changed(uint8_t type, const struct cstate_result *res)
{
	return type != CSTATE_KV && res->err == 0;
}

int cstate_apply(struct cstate *s, uint64_t index, uint32_t term, const uint8_t *cmd,
		 size_t len, struct cstate_result *res)
{
	struct cur c = { .p = cmd, .len = len };
	int err;

	if (index != s->applied + 1)
		return -AION_EINVAL;
	*res = (struct cstate_result){ 0 };
	s->applied = index;
	s->term = term;
	uint8_t type = (uint8_t)get(&c, 1);
	switch (type) {
	case CSTATE_JOB_ADD: err = apply_job_add(s, &c, res); break;
	case CSTATE_JOB_REMOVE: err = apply_job_remove(s, &c, res); break;
	case CSTATE_JOB_FAIL: err = apply_job_fail(s, &c, res); break;
	case CSTATE_PLACE: err = apply_place(s, &c, res); break;
	case CSTATE_KV: err = apply_kv(s, &c, res); break;
	default: err = -AION_EMALFORMED; break;
	}
	if (!err && sched_changed(type, res)) {
		s->sched.term = term;
		s->sched.version++;
	}
	return err;
}

int cstate_kv_read(const struct cstate *s, const uint8_t *fields, size_t len,
		   struct cstate_result *res)
{
	struct kv_req req;

	*res = (struct cstate_result){ 0 };
	/* A read carries no client: any nonzero id passes the decoder. */
	int err = kv_req_decode(KV_GET, 1, 0, fields, len, &req);
	if (err)
		return err;
	const char *v = kv_store_get(&s->kv, req.key);
	if (!v) {
		res->err = -AION_ENOENT;
		return 0;
	}
	for (unsigned i = 0; i <= KV_VALUE_MAX && (i == 0 || v[i - 1]); i++)
		res->value[i] = v[i];
	return 0;
}

/* --- snapshots --- */

int cstate_snapshot(const struct cstate *s, uint8_t *buf, size_t cap)
{
	size_t at = 0;
	unsigned cursor = 0;

	if (cap < SNAP_HDR_LEN)
		return -AION_ERANGE;
	put(buf, &at, s->applied, 8);
	put(buf, &at, s->term, 4);
	int n = csched_state_encode(&s->sched, buf + at + 2, cap - at - 2);
	if (n < 0)
		return n;
	put(buf, &at, (uint64_t)n, 2);
	at += (size_t)n;
	while (cursor < KV_SNAP_END) {
		if (cap - at < 128)
			return -AION_ERANGE;
		at += kv_snap_chunk(&s->kv, &cursor, buf + at, cap - at);
	}
	return (int)at;
}

int cstate_restore(struct cstate *s, const uint8_t *buf, size_t len)
{
	struct cur c = { .p = buf, .len = len };

	cstate_init(s);
	s->applied = get(&c, 8);
	s->term = (uint32_t)get(&c, 4);
	size_t slen = (size_t)get(&c, 2);
	if (c.short_ || slen > len - SNAP_HDR_LEN ||
	    csched_state_decode(buf + SNAP_HDR_LEN, slen, &s->sched))
		goto bad;
	if (kv_snap_apply(&s->kv, buf + SNAP_HDR_LEN + slen, len - SNAP_HDR_LEN - slen))
		goto bad;
	return 0;
bad:
	cstate_init(s);
	return -AION_EMALFORMED;
}
