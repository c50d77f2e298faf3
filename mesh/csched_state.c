/*
 * The scheduler's desired state and the loads nodes report, on the wire (see
 * mesh/csched.h). Fixed little-endian layout, no padding:
 *
 *   state: term u32, version u32, njobs u8, then njobs jobs of 39 bytes:
 *          name[16] (NUL-padded), replicas u8, flags u8, allowed u16 x4,
 *          epoch u32, inst x3 (node u16, role u8)
 *   load:  node u16, cpu_pct u8, free_kib u32, units u16
 *
 * A state comes from the log or a snapshot: decode checks every field, so
 * everything placement reads from a decoded state holds the invariants
 * csched_job_add and csched_place keep.
 */
#include "mesh/csched.h"

#include "aion/error.h"

#define STATE_HDR_LEN   9u
#define JOB_LEN         39u
#define NODE_NONE       0xFFFFu

_Static_assert(CSCHED_STATE_LEN_MAX == STATE_HDR_LEN + CSCHED_JOBS_MAX * JOB_LEN,
	       "state layout");
_Static_assert(CSCHED_JOBS_MAX <= 255, "njobs is one byte");

/* A bounded byte stream: a read or write past the end only sets `short`,
 * so a codec checks once at the end instead of before every field. */
struct bytes {
	uint8_t *out;
	const uint8_t *in;
	size_t pos, len;
	bool short_;
};

static void wr(struct bytes *b, uint32_t v, unsigned width)
{
	if (b->len - b->pos < width) {
		b->short_ = true;
		return;
	}
	for (unsigned i = 0; i < width; i++, v >>= 8)
		b->out[b->pos++] = (uint8_t)v;
}

static uint32_t rd(struct bytes *b, unsigned width)
{
	uint32_t v = 0;

	if (b->len - b->pos < width) {
		b->short_ = true;
		return 0;
	}
	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)b->in[b->pos++] << (8 * i);
	return v;
}

/* --- names and validity --- */

static bool name_char_ok(char c)
{
	return c > ' ' && c <= '~';
}

/* Length of a valid job name, or -1: 1..CSCHED_NAME_MAX-1 printable
 * characters without spaces, read no further than CSCHED_NAME_MAX bytes. */
static int name_len(const char *name)
{
	int i = 0;

	while (i < CSCHED_NAME_MAX && name[i])
		if (!name_char_ok(name[i++]))
			return -1;
	return i == 0 || i == CSCHED_NAME_MAX ? -1 : i;
}

static bool name_equal(const char *a, const char *b)
{
	for (int i = 0; i < CSCHED_NAME_MAX; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return false;
}

static bool node_ok(uint16_t node)
{
	return node != 0 && node != NODE_NONE;
}

static unsigned allowed_count(const struct csched_job *j)
{
	unsigned n = 0;

	while (n < CSCHED_ALLOWED_MAX && j->allowed[n])
		n++;
	return n;
}

/* The job's settings as csched_job_add accepts them. */
static bool settings_ok(unsigned replicas, unsigned flags, const uint16_t *allowed,
			unsigned nallowed)
{
	if (replicas < 1 || replicas > CSCHED_REPLICAS_MAX || (flags & ~CSCHED_FLAGS_KNOWN))
		return false;
	if ((flags & CSCHED_REPLICATED) && replicas < 2)
		return false;
	if (nallowed > CSCHED_ALLOWED_MAX)
		return false;
	/* Distinct nodes: the allowed list, when given, must hold enough. */
	if ((flags & (CSCHED_SPREAD | CSCHED_REPLICATED)) && nallowed && replicas > nallowed)
		return false;
	for (unsigned i = 0; i < nallowed; i++) {
		if (!node_ok(allowed[i]))
			return false;
		for (unsigned k = 0; k < i; k++)
			if (allowed[k] == allowed[i])
				return false;
	}
	return true;
}

static bool role_ok(const struct csched_job *j, unsigned i)
{
	if (!(j->flags & CSCHED_REPLICATED))
		return j->inst[i].role == CSCHED_ROLE_PLAIN;
	return j->inst[i].role == (i == 0 ? CSCHED_ROLE_PRIMARY : CSCHED_ROLE_BACKUP);
}

/* Instances compacted, no more than wanted, roles as placement sets
 * them, distinct nodes where the job asks for it. */
static bool instances_ok(const struct csched_job *j)
{
	bool distinct = j->flags & (CSCHED_SPREAD | CSCHED_REPLICATED);
	unsigned i = 0;

	for (; i < CSCHED_REPLICAS_MAX && j->inst[i].node; i++) {
		if (i >= j->replicas || j->inst[i].node == NODE_NONE || !role_ok(j, i))
			return false;
		for (unsigned k = 0; distinct && k < i; k++)
			if (j->inst[k].node == j->inst[i].node)
				return false;
	}
	for (; i < CSCHED_REPLICAS_MAX; i++)
		if (j->inst[i].node || j->inst[i].role)
			return false;
	return true;
}

static bool job_ok(const struct csched_job *j)
{
	unsigned n = allowed_count(j);

	int len = name_len(j->name);

	if (len < 0)
		return false;
	/* Zeros after the NUL: one encoding per state. */
	for (int i = len; i < CSCHED_NAME_MAX; i++)
		if (j->name[i])
			return false;
	for (unsigned i = n; i < CSCHED_ALLOWED_MAX; i++)
		if (j->allowed[i])
			return false;
	return settings_ok(j->replicas, j->flags, j->allowed, n) && instances_ok(j);
}

/* --- state codec --- */

static void put_job(struct bytes *b, const struct csched_job *j)
{
	bool ended = false;

	/* Bytes after the NUL go out as zeros: one encoding per state. */
	for (unsigned i = 0; i < CSCHED_NAME_MAX; i++) {
		ended |= !j->name[i];
		wr(b, ended ? 0 : (uint8_t)j->name[i], 1);
	}
	wr(b, j->replicas, 1);
	wr(b, j->flags, 1);
	for (unsigned i = 0; i < CSCHED_ALLOWED_MAX; i++)
		wr(b, j->allowed[i], 2);
	wr(b, j->epoch, 4);
	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++) {
		wr(b, j->inst[i].node, 2);
		wr(b, j->inst[i].role, 1);
	}
}

static void get_job(struct bytes *b, struct csched_job *j)
{
	for (unsigned i = 0; i < CSCHED_NAME_MAX; i++)
		j->name[i] = (char)rd(b, 1);
	j->replicas = (uint8_t)rd(b, 1);
	j->flags = (uint8_t)rd(b, 1);
	for (unsigned i = 0; i < CSCHED_ALLOWED_MAX; i++)
		j->allowed[i] = (uint16_t)rd(b, 2);
	j->epoch = rd(b, 4);
	for (unsigned i = 0; i < CSCHED_REPLICAS_MAX; i++) {
		j->inst[i].node = (uint16_t)rd(b, 2);
		j->inst[i].role = (uint8_t)rd(b, 1);
	}
}

static void put_state(struct bytes *b, const struct csched_state *s)
{
	wr(b, s->term, 4);
	wr(b, s->version, 4);
	wr(b, s->njobs, 1);
	for (unsigned i = 0; i < s->njobs && i < CSCHED_JOBS_MAX; i++)
		put_job(b, &s->job[i]);
}

/* Reads and checks a state; false on any bad field or a short buffer. */
static bool get_state(struct bytes *b, struct csched_state *s)
{
	*s = (struct csched_state){0};
	s->term = rd(b, 4);
	s->version = rd(b, 4);
	s->njobs = (uint8_t)rd(b, 1);
	if (b->short_ || s->njobs > CSCHED_JOBS_MAX)
		return false;
	for (unsigned i = 0; i < s->njobs; i++) {
		get_job(b, &s->job[i]);
		if (b->short_ || !job_ok(&s->job[i]))
			return false;
		for (unsigned k = 0; k < i; k++)
			if (name_equal(s->job[k].name, s->job[i].name))
				return false;
	}
	return true;
}

int csched_state_encode(const struct csched_state *s, uint8_t *buf, size_t cap)
{
	struct bytes b = { .out = buf, .len = cap };

	if (s->njobs > CSCHED_JOBS_MAX)
		return -AION_ERANGE;
	put_state(&b, s);
	return b.short_ ? -AION_ERANGE : (int)b.pos;
}

int csched_state_decode(const uint8_t *buf, size_t len, struct csched_state *s)
{
	struct bytes b = { .in = buf, .len = len };
	struct csched_state tmp;

	if (!get_state(&b, &tmp) || b.pos != len)
		return -AION_EMALFORMED;
	*s = tmp;
	return 0;
}

/* --- jobs --- */

struct csched_job *csched_job_find(struct csched_state *s, const char *name)
{
	for (unsigned i = 0; i < s->njobs && i < CSCHED_JOBS_MAX; i++)
		if (name_equal(s->job[i].name, name))
			return &s->job[i];
	return NULL;
}

int csched_job_add(struct csched_state *s, const char *name, unsigned replicas,
		   unsigned flags, const uint16_t *allowed, unsigned nallowed)
{
	struct csched_job *j;
	int len = name ? name_len(name) : -1;

	if (len < 0 || (nallowed && !allowed) ||
	    !settings_ok(replicas, flags, allowed, nallowed))
		return -AION_EINVAL;
	if (csched_job_find(s, name))
		return -AION_EEXIST;
	if (s->njobs >= CSCHED_JOBS_MAX)
		return -AION_ENOSPC;
	j = &s->job[s->njobs++];
	*j = (struct csched_job){ .replicas = (uint8_t)replicas, .flags = (uint8_t)flags };
	for (int i = 0; i < len; i++)
		j->name[i] = name[i];
	for (unsigned i = 0; i < nallowed; i++)
		j->allowed[i] = allowed[i];
	return 0;
}

int csched_job_remove(struct csched_state *s, const char *name)
{
	struct csched_job *j = csched_job_find(s, name);

	if (!j)
		return -AION_ENOENT;
	/* Keep job[0..njobs) dense and the rest zero: the encoding and
	 * state comparisons in the tests see no stale bytes. */
	for (; j + 1 < &s->job[s->njobs]; j++)
		*j = j[1];
	*j = (struct csched_job){0};
	s->njobs--;
	return 0;
}

int csched_job_fail(struct csched_state *s, const char *name, uint16_t node, uint32_t epoch)
{
	struct csched_job *j = csched_job_find(s, name);
	unsigned i = 0;

	if (!j)
		return -AION_ENOENT;
	if (!(j->flags & CSCHED_REPLICATED) || epoch != j->epoch)
		return -AION_ECONFLICT;
	if (!node || j->inst[0].node != node || j->inst[0].role != CSCHED_ROLE_PRIMARY)
		return -AION_ECONFLICT;
	/* Compacted in order: the first backup becomes inst[0], which
	 * placement then promotes under a new epoch. */
	for (; i + 1 < CSCHED_REPLICAS_MAX; i++)
		j->inst[i] = j->inst[i + 1];
	j->inst[i] = (struct csched_inst){0};
	return 0;
}

/* --- loads --- */

int csched_load_encode(const struct csched_load *l, uint8_t *buf, size_t cap)
{
	struct bytes b = { .out = buf, .len = cap };

	wr(&b, l->node, 2);
	wr(&b, l->cpu_pct, 1);
	wr(&b, l->free_kib, 4);
	wr(&b, l->units, 2);
	return b.short_ ? -AION_ERANGE : (int)b.pos;
}

int csched_load_decode(const uint8_t *buf, size_t len, struct csched_load *l)
{
	struct bytes b = { .in = buf, .len = len };
	struct csched_load tmp;

	tmp.node = (uint16_t)rd(&b, 2);
	tmp.cpu_pct = (uint8_t)rd(&b, 1);
	tmp.free_kib = rd(&b, 4);
	tmp.units = (uint16_t)rd(&b, 2);
	if (b.short_ || b.pos != len || !node_ok(tmp.node) || tmp.cpu_pct > 100)
		return -AION_EMALFORMED;
	*l = tmp;
	return 0;
}

static uint32_t apart(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

bool csched_load_news(const struct csched_load *sent, const struct csched_load *now)
{
	return sent->node != now->node || sent->units != now->units ||
	       apart(sent->cpu_pct, now->cpu_pct) >= CSCHED_LOAD_CPU_STEP ||
	       apart(sent->free_kib, now->free_kib) >= CSCHED_LOAD_FREE_STEP_KIB;
}
