/* AionMesh remote call payloads: see mesh/rpc.h for the layout. */
#include "mesh/rpc.h"
#include "aion/error.h"

/* A cursor over a buffer: every access checks the remaining length. */
struct cur {
	uint8_t *w;
	const uint8_t *r;
	size_t left;
	int bad;
};

static void put(struct cur *c, uint64_t v, unsigned n)
{
	if (c->left < n) {
		c->bad = 1;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		c->w[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	c->w += n;
	c->left -= n;
}

static uint64_t get(struct cur *c, unsigned n)
{
	uint64_t v = 0;
	if (c->left < n) {
		c->bad = 1;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | c->r[i];
	c->r += n;
	c->left -= n;
	return v;
}

/* Everything before the length: the fixed fields and the references. */
static void put_head(struct cur *c, const struct mesh_rpc *r)
{
	put(c, r->boot, 4);
	put(c, r->owner_boot, 4);
	put(c, r->id, 4);
	put(c, r->obj, 4);
	put(c, r->gen, 4);
	put(c, r->label, 4);
	for (unsigned i = 0; i < 3; i++)
		put(c, r->w[i], 8);
	put(c, r->ncaps, 1);
	for (unsigned i = 0; i < r->ncaps; i++) {
		put(c, r->caps[i].node, 2);
		put(c, r->caps[i].obj, 4);
		put(c, r->caps[i].gen, 4);
		put(c, r->caps[i].rights, 4);
	}
}

int mesh_rpc_encode(const struct mesh_rpc *r, uint8_t *buf, size_t cap)
{
	if (!r || !buf || r->ncaps > MESH_RPC_CAPS || r->len > MESH_CALL_DATA_MAX)
		return -AION_EINVAL;
	size_t need = MESH_RPC_FIXED + (size_t)r->ncaps * MESH_REF_LEN + r->len;
	if (cap < need)
		return -AION_ENOSPC;
	struct cur c = { .w = buf, .left = cap };
	put_head(&c, r);
	put(&c, r->len, 2);
	for (unsigned i = 0; i < r->len; i++)
		put(&c, r->data[i], 1);
	return c.bad ? -AION_ENOSPC : (int)need;
}

int mesh_rpc_bulk_encode(const struct mesh_rpc *r, uint32_t len, uint8_t *buf, size_t cap)
{
	if (!r || !buf || r->ncaps > MESH_RPC_CAPS || len > MESH_BULK_DATA_MAX)
		return -AION_EINVAL;
	size_t need = MESH_RPC_FIXED + 2 + (size_t)r->ncaps * MESH_REF_LEN;
	if (cap < need)
		return -AION_ENOSPC;
	struct cur c = { .w = buf, .left = cap };
	put_head(&c, r);
	put(&c, len, 4);
	return c.bad ? -AION_ENOSPC : (int)need;
}

/* Everything before the length; -AION_E... or 0 (c->bad: truncated). */
static int get_head(struct cur *c, struct mesh_rpc *r)
{
	r->boot = (uint32_t)get(c, 4);
	r->owner_boot = (uint32_t)get(c, 4);
	r->id = (uint32_t)get(c, 4);
	r->obj = (uint32_t)get(c, 4);
	r->gen = (uint32_t)get(c, 4);
	r->label = (uint32_t)get(c, 4);
	for (unsigned i = 0; i < 3; i++)
		r->w[i] = get(c, 8);
	r->ncaps = (uint8_t)get(c, 1);
	if (r->ncaps > MESH_RPC_CAPS)
		return -AION_EMALFORMED;
	for (unsigned i = 0; i < r->ncaps; i++) {
		r->caps[i].node = (uint16_t)get(c, 2);
		r->caps[i].obj = (uint32_t)get(c, 4);
		r->caps[i].gen = (uint32_t)get(c, 4);
		r->caps[i].rights = (uint32_t)get(c, 4);
	}
	r->len = 0;
	r->bulk = 0;
	return 0;
}

int mesh_rpc_decode(const uint8_t *buf, size_t len, struct mesh_rpc *out)
{
	if (!buf || !out)
		return -AION_EINVAL;
	if (len < MESH_RPC_FIXED)
		return -AION_ETRUNC;
	struct mesh_rpc r;
	struct cur c = { .r = buf, .left = len };
	int err = get_head(&c, &r);
	if (err)
		return err;
	r.len = (uint16_t)get(&c, 2);
	if (c.bad)
		return -AION_ETRUNC;
	if (r.len > MESH_CALL_DATA_MAX)
		return -AION_EMALFORMED;
	if (c.left < r.len)
		return -AION_ETRUNC;
	if (c.left > r.len)
		return -AION_EMALFORMED;
	for (unsigned i = 0; i < r.len; i++)
		r.data[i] = c.r[i];
	*out = r;
	return 0;
}

int mesh_rpc_bulk_decode(const uint8_t *buf, size_t len, struct mesh_rpc *out, uint32_t *dlen)
{
	if (!buf || !out || !dlen)
		return -AION_EINVAL;
	struct cur c = { .r = buf, .left = len };
	int err = get_head(&c, out);
	if (err)
		return err;
	uint32_t n = (uint32_t)get(&c, 4);
	if (c.bad)
		return -AION_ETRUNC;
	if (n > MESH_BULK_DATA_MAX)
		return -AION_EMALFORMED;
	if (c.left < n)
		return -AION_ETRUNC;
	if (c.left > n)
		return -AION_EMALFORMED;
	*dlen = n;
	return (int)(len - n);
}

int mesh_status_encode(const struct mesh_status *s, uint8_t *buf, size_t cap)
{
	if (!s || !buf)
		return -AION_EINVAL;
	if (cap < MESH_STATUS_LEN)
		return -AION_ENOSPC;
	struct cur c = { .w = buf, .left = cap };
	put(&c, s->boot, 4);
	put(&c, s->owner_boot, 4);
	put(&c, s->id, 4);
	put(&c, (uint32_t)s->code, 4);
	return MESH_STATUS_LEN;
}

int mesh_status_decode(const uint8_t *buf, size_t len, struct mesh_status *out)
{
	if (!buf || !out)
		return -AION_EINVAL;
	if (len < MESH_STATUS_LEN)
		return -AION_ETRUNC;
	if (len > MESH_STATUS_LEN)
		return -AION_EMALFORMED;
	struct cur c = { .r = buf, .left = len };
	out->boot = (uint32_t)get(&c, 4);
	out->owner_boot = (uint32_t)get(&c, 4);
	out->id = (uint32_t)get(&c, 4);
	out->code = (int32_t)(uint32_t)get(&c, 4);
	return 0;
}
