/* kv's tables and codecs (store.h). Pure: no system calls. */
#include "store.h"
#include "common/string.h"

#define I64_DIGITS      20      /* "-9223372036854775808" */

/* ---- checks and numbers ---- */

/* 1..max bytes from lowest to '~': keys from '!' (no space), values from ' '. */
static int text_ok(const char *s, size_t len, size_t max, char lowest)
{
	if (len < 1 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < lowest || s[i] > '~')
			return 0;
	return 1;
}

static int key_ok(const char *s, size_t len)
{
	return text_ok(s, len, KV_KEY_MAX, '!');
}

static int value_ok(const char *s, size_t len)
{
	return text_ok(s, len, KV_VALUE_MAX, ' ');
}

/* Decimal int64, optional '-': 0, -AION_EINVAL (not a number), -AION_ERANGE. */
static int parse_i64(const char *s, int64_t *out)
{
	int neg = *s == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	const char *p = s + neg;

	if (!*p)
		return -AION_EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -AION_EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (lim - d) / 10)
			return -AION_ERANGE;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static void format_i64(int64_t v, char *out)
{
	char tmp[I64_DIGITS];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	unsigned n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[k++] = '-';
	while (n)
		out[k++] = tmp[--n];
	out[k] = '\0';
}

/*
 * Copies src, cut at max bytes, into dst[max + 1] and zeroes the rest, so
 * equal tables are equal bytes (the tests compare copies with memcmp).
 */
static void copy_str(char *dst, const char *src, size_t max)
{
	size_t n = strlen(src);
	if (n > max)
		n = max;
	memmove(dst, src, n);
	memset(dst + n, 0, max + 1 - n);
}

/* ---- little-endian cursors ---- */

struct rd {
	const uint8_t *p;
	size_t len, at;
	int bad;
};

static uint64_t rd_u(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;
	if (r->len - r->at < bytes) {
		r->bad = 1;
		return 0;
	}
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->at + i] << (8 * i);
	r->at += bytes;
	return v;
}

/* A field into out (max bytes + NUL); an empty field gives "". */
static size_t rd_str(struct rd *r, char *out, size_t max)
{
	size_t n = (size_t)rd_u(r, 1);
	if (r->bad || n > max || r->len - r->at < n) {
		r->bad = 1;
		out[0] = '\0';
		return 0;
	}
	memcpy(out, r->p + r->at, n);
	out[n] = '\0';
	r->at += n;
	return n;
}

struct wr {
	uint8_t *p;
	size_t size, at;
	int full;
};

static void wr_u(struct wr *w, uint64_t v, unsigned bytes)
{
	if (w->size - w->at < bytes) {
		w->full = 1;
		return;
	}
	for (unsigned i = 0; i < bytes; i++)
		w->p[w->at++] = (uint8_t)(v >> (8 * i));
}

static void wr_str(struct wr *w, const char *s)
{
	if (kv_field_put(w->p, w->size, &w->at, s, strlen(s)))
		w->full = 1;
}

int kv_field_put(uint8_t *p, size_t size, size_t *at, const char *s, size_t len)
{
	if (len > 255 || size - *at < len + 1)
		return -AION_ERANGE;
	p[(*at)++] = (uint8_t)len;
	memcpy(p + *at, s, len);
	*at += len;
	return 0;
}

/* ---- requests ---- */

int kv_req_decode(uint32_t label, uint64_t w1, uint64_t w2, const uint8_t *p, size_t len,
		  struct kv_req *req)
{
	static const uint8_t fields[] = { [KV_GET - KV_GET] = 1, [KV_PUT - KV_GET] = 2,
					  [KV_CAS - KV_GET] = 3, [KV_ADD - KV_GET] = 2 };
	struct rd r = { .p = p, .len = len };

	if (label < KV_GET || label > KV_ADD)
		return -AION_EMALFORMED;
	memset(req, 0, sizeof(*req));
	req->label = label;
	req->client = w1;
	req->seq = w2;
	size_t kn = rd_str(&r, req->key, KV_KEY_MAX);
	size_t an = fields[label - KV_GET] > 1 ? rd_str(&r, req->a, KV_VALUE_MAX) : 0;
	size_t bn = fields[label - KV_GET] > 2 ? rd_str(&r, req->b, KV_VALUE_MAX) : 0;
	if (r.bad || r.at != len)
		return -AION_EMALFORMED;
	if (!key_ok(req->key, kn) || (label != KV_GET && !w1))
		return -AION_EINVAL;
	if (label == KV_PUT && !value_ok(req->a, an))
		return -AION_EINVAL;
	if (label == KV_CAS && ((an && !value_ok(req->a, an)) || !value_ok(req->b, bn)))
		return -AION_EINVAL;
	int64_t n;
	if (label == KV_ADD && parse_i64(req->a, &n))
		return -AION_EINVAL;
	return 0;
}

/* ---- the tables ---- */

void kv_store_reset(struct kv_store *s)
{
	memset(s, 0, sizeof(*s));
}

unsigned kv_store_keys(const struct kv_store *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < KV_KEYS_MAX; i++)
		n += s->keys[i].key[0] != '\0';
	return n;
}

static int key_slot(const struct kv_store *s, const char *key)
{
	for (int i = 0; i < KV_KEYS_MAX; i++)
		if (s->keys[i].key[0] && !strcmp(s->keys[i].key, key))
			return i;
	return -1;
}

static int free_key_slot(const struct kv_store *s)
{
	for (int i = 0; i < KV_KEYS_MAX; i++)
		if (!s->keys[i].key[0])
			return i;
	return -1;
}

const char *kv_store_get(const struct kv_store *s, const char *key)
{
	int i = key_slot(s, key);
	return i < 0 ? NULL : s->keys[i].value;
}

static int client_slot(const struct kv_store *s, uint64_t id)
{
	for (int i = 0; i < KV_CLIENTS_MAX; i++)
		if (s->clients[i].id == id)
			return i;
	return -1;
}

/* id's slot, else a free one, else the least recently used. */
static int client_take(const struct kv_store *s, uint64_t id)
{
	int i = client_slot(s, id), lru = 0;
	if (i >= 0)
		return i;
	for (i = 0; i < KV_CLIENTS_MAX; i++) {
		if (!s->clients[i].id)
			return i;
		if (s->clients[i].used < s->clients[lru].used)
			lru = i;
	}
	return lru;
}

int kv_store_seen(const struct kv_store *s, const struct kv_req *req, struct kv_rec *rec)
{
	int i = client_slot(s, req->client);
	if (i < 0 || req->seq > s->clients[i].seq)
		return 0;
	if (req->seq < s->clients[i].seq)
		return -AION_ERANGE;
	const struct kv_client *c = &s->clients[i];
	memset(rec, 0, sizeof(*rec));
	rec->client = c->id;
	rec->seq = c->seq;
	rec->err = c->err;
	rec->w1 = c->w1;
	copy_str(rec->key, req->key, KV_KEY_MAX);
	copy_str(rec->value, c->value, KV_VALUE_MAX);
	return 1;
}

/* ADD: the current value plus req->a, as rec's new value. */
static void prepare_add(const char *cur, const struct kv_req *req, struct kv_rec *rec)
{
	int64_t v = 0, n, sum;
	int err = cur ? parse_i64(cur, &v) : 0;
	if (!err)
		err = parse_i64(req->a, &n);
	if (!err && __builtin_add_overflow(v, n, &sum))
		err = -AION_ERANGE;
	if (err) {
		rec->err = err;
		return;
	}
	rec->set = 1;
	rec->w1 = (uint64_t)sum;
	format_i64(sum, rec->value);
}

void kv_store_prepare(const struct kv_store *s, const struct kv_req *req, struct kv_rec *rec)
{
	const char *cur = kv_store_get(s, req->key);

	memset(rec, 0, sizeof(*rec));
	rec->client = req->client;
	rec->seq = req->seq;
	copy_str(rec->key, req->key, KV_KEY_MAX);
	copy_str(rec->value, cur ? cur : "", KV_VALUE_MAX);
	if (req->label == KV_PUT) {
		rec->set = 1;
		copy_str(rec->value, req->a, KV_VALUE_MAX);
	} else if (req->label == KV_CAS) {
		if (strcmp(cur ? cur : "", req->a)) {
			rec->err = -AION_ECONFLICT;
		} else {
			rec->set = 1;
			copy_str(rec->value, req->b, KV_VALUE_MAX);
		}
	} else if (req->label == KV_ADD) {
		prepare_add(cur, req, rec);
	} else {
		rec->err = -AION_EINVAL;
	}
	if (rec->set && !cur && free_key_slot(s) < 0) {
		rec->set = 0;
		rec->err = -AION_ENOSPC;
		rec->value[0] = '\0';
	}
	if (rec->err)
		rec->w1 = 0;
}

int kv_store_commit(struct kv_store *s, const struct kv_rec *rec)
{
	if (rec->set) {
		int k = key_slot(s, rec->key);
		if (k < 0)
			k = free_key_slot(s);
		if (k < 0)
			return -AION_ENOSPC;
		copy_str(s->keys[k].key, rec->key, KV_KEY_MAX);
		copy_str(s->keys[k].value, rec->value, KV_VALUE_MAX);
	}
	struct kv_client *c = &s->clients[client_take(s, rec->client)];
	c->id = rec->client;
	c->seq = rec->seq;
	c->used = ++s->tick;
	c->err = rec->err;
	c->w1 = rec->w1;
	copy_str(c->value, rec->value, KV_VALUE_MAX);
	return 0;
}

/* ---- records ---- */

size_t kv_rec_encode(const struct kv_rec *rec, uint8_t *p, size_t size)
{
	struct wr w = { .p = p, .size = size };
	wr_u(&w, rec->client, 8);
	wr_u(&w, rec->seq, 8);
	wr_u(&w, (uint32_t)rec->err, 4);
	wr_u(&w, rec->w1, 8);
	wr_u(&w, rec->set, 1);
	wr_str(&w, rec->key);
	wr_str(&w, rec->value);
	return w.full ? 0 : w.at;
}

int kv_rec_decode(const uint8_t *p, size_t len, struct kv_rec *rec)
{
	struct rd r = { .p = p, .len = len };
	memset(rec, 0, sizeof(*rec));
	rec->client = rd_u(&r, 8);
	rec->seq = rd_u(&r, 8);
	rec->err = (int32_t)(uint32_t)rd_u(&r, 4);
	rec->w1 = rd_u(&r, 8);
	rec->set = (uint8_t)rd_u(&r, 1);
	size_t kn = rd_str(&r, rec->key, KV_KEY_MAX);
	size_t vn = rd_str(&r, rec->value, KV_VALUE_MAX);
	if (r.bad || r.at != len || rec->set > 1 || !rec->client || !key_ok(rec->key, kn) ||
	    (vn && !value_ok(rec->value, vn)) || (rec->set && (!vn || rec->err)) || rec->err > 0)
		return -AION_EMALFORMED;
	return 0;
}

/* ---- snapshots ---- */

/* Item `i` of the snapshot (a key slot, then a client slot) into w; 0 when empty. */
static void snap_item(const struct kv_store *s, unsigned i, struct wr *w)
{
	if (i < KV_KEYS_MAX) {
		const struct kv_entry *e = &s->keys[i];
		wr_u(w, 'K', 1);
		wr_str(w, e->key);
		wr_str(w, e->value);
		return;
	}
	const struct kv_client *c = &s->clients[i - KV_KEYS_MAX];
	wr_u(w, 'C', 1);
	wr_u(w, c->id, 8);
	wr_u(w, c->seq, 8);
	wr_u(w, c->used, 8);
	wr_u(w, (uint32_t)c->err, 4);
	wr_u(w, c->w1, 8);
	wr_str(w, c->value);
}

static int item_empty(const struct kv_store *s, unsigned i)
{
	return i < KV_KEYS_MAX ? !s->keys[i].key[0] : !s->clients[i - KV_KEYS_MAX].id;
}

size_t kv_snap_chunk(const struct kv_store *s, unsigned *cursor, uint8_t *p, size_t size)
{
	struct wr w = { .p = p, .size = size };
	for (; *cursor < KV_SNAP_END; (*cursor)++) {
		if (item_empty(s, *cursor))
			continue;
		size_t at = w.at;
		snap_item(s, *cursor, &w);
		if (w.full) {
			w.at = at;      /* the item goes first in the next chunk */
			break;
		}
	}
	return w.at;
}

static int apply_key(struct kv_store *s, struct rd *r)
{
	char key[KV_KEY_MAX + 1], value[KV_VALUE_MAX + 1];
	size_t kn = rd_str(r, key, KV_KEY_MAX), vn = rd_str(r, value, KV_VALUE_MAX);
	if (r->bad || !key_ok(key, kn) || !value_ok(value, vn))
		return -AION_EMALFORMED;
	int k = key_slot(s, key);
	if (k < 0)
		k = free_key_slot(s);
	if (k < 0)
		return -AION_ENOSPC;
	copy_str(s->keys[k].key, key, KV_KEY_MAX);
	copy_str(s->keys[k].value, value, KV_VALUE_MAX);
	return 0;
}

static int apply_client(struct kv_store *s, struct rd *r)
{
	struct kv_client c = { 0 };
	c.id = rd_u(r, 8);
	c.seq = rd_u(r, 8);
	c.used = rd_u(r, 8);
	c.err = (int32_t)(uint32_t)rd_u(r, 4);
	c.w1 = rd_u(r, 8);
	size_t vn = rd_str(r, c.value, KV_VALUE_MAX);
	if (r->bad || !c.id || c.err > 0 || (vn && !value_ok(c.value, vn)))
		return -AION_EMALFORMED;
	int i = client_slot(s, c.id);
	if (i < 0)
		i = client_slot(s, 0);
	if (i < 0)
		return -AION_ENOSPC;
	s->clients[i] = c;
	if (c.used > s->tick)
		s->tick = c.used;
	return 0;
}

int kv_snap_apply(struct kv_store *s, const uint8_t *p, size_t len)
{
	struct rd r = { .p = p, .len = len };
	while (r.at < len) {
		uint64_t type = rd_u(&r, 1);
		int err = type == 'K' ? apply_key(s, &r) :
			  type == 'C' ? apply_client(s, &r) : -AION_EMALFORMED;
		if (err)
			return err;
	}
	return 0;
}
