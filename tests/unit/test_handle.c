/*
 * Host tests for the capability table (kernel/core/handle.c), plus 20k
 * random operations over three tables checked against a reference model.
 * kobj.c is not linked: the hooks below count references and live caps
 * per right; every teardown clears the tables and checks that all
 * references and pages came back.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "aion/object.h"
#include "handle.h"
#include "kobj.h"
#include "common/xorshift.h"

#define GEN_MAX ((1u << (32 - AION_HANDLE_INDEX_BITS)) - 1)
#define PER_PAGE ((unsigned)HANDLE_SLOTS_PER_PAGE)
#define IDX(h) ((h) & (AION_HANDLE_SLOTS - 1))
#define GEN(h) ((h) >> AION_HANDLE_INDEX_BITS)
#define EQ(a, b) assert_int_equal(a, b)
#define GONE(t, h) assert_null(handle_slot_of(t, h))
#define FIX struct fix *f = *state; struct handle_table *t = f->t
#define REFS(i) (f->o[i].k.refs)

struct tobj {
	struct kobj k;                  /* first: the hooks cast back */
	int caps;                       /* live slots naming it */
	int bits[32];                   /* live slots holding each right */
};

void kobj_get(struct kobj *o) { o->refs++; }
void kobj_put_checked(struct kobj *o) { assert_true(o->refs-- > 1); }   /* the test holds 1 */

static void cap_count(struct kobj *o, uint32_t rights, int d)
{
	struct tobj *t = (struct tobj *)o;
	assert_true((t->caps += d) >= 0);
	for (int i = 0; i < 32; i++)
		assert_true((t->bits[i] += d * (int)((rights >> i) & 1)) >= 0);
}

void kobj_cap_added(struct kobj *o, uint32_t rights, void *holder)
{
	assert_non_null(holder);        /* each table's provider */
	cap_count(o, rights, 1);
}

void kobj_cap_removed(struct kobj *o, uint32_t rights, void *holder)
{
	assert_non_null(holder);
	cap_count(o, rights, -1);
}

/* Page provider: zeroed aligned_alloc pages, counted; at most `limit` (-1: any). */
struct prov { int live, taken, limit; };

static void *pget(void *ctx)
{
	struct prov *p = ctx;
	if (p->limit >= 0 && p->taken >= p->limit)
		return NULL;
	void *pg = aligned_alloc(4096, 4096);
	assert_non_null(pg);
	p->taken++, p->live++;
	return memset(pg, 0, 4096);
}

static void pput(void *ctx, void *pg)
{
	assert_true(((struct prov *)ctx)->live-- > 0);
	free(pg);
}

/* Three tables (units) with their providers; a unit, a thread, an endpoint. */
struct fix {
	struct handle_table t[3];
	struct prov p[3];
	struct tobj o[3];
	aion_handle_t h[6];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	for (int i = 0; i < 3; i++) {
		struct handle_pages ops = { pget, pput, &f->p[i] };
		f->p[i].limit = -1;
		memset(&f->t[i], 0xa5, sizeof(f->t[i]));
		handle_table_init(&f->t[i], &ops);
		f->o[i].k = (struct kobj){ .type = AION_OBJ_UNIT + i, .refs = 1 };
	}
	*state = f;
	return 0;
}

static void clear_all(struct handle_table *t)
{
	uint64_t budget = UINT64_MAX;

	assert_true(handle_table_clear_some(t, &budget));
}

static int teardown(void **state)
{
	FIX;
	for (int i = 0; i < 3; i++)
		clear_all(&t[i]);
	for (int i = 0; i < 3; i++)
		assert_true(f->p[i].live == 0 && REFS(i) == 1 && f->o[i].caps == 0);
	free(f);
	return 0;
}

static struct handle_slot *S(struct handle_table *t, aion_handle_t h)
{
	struct handle_slot *s = handle_slot_of(t, h);
	assert_non_null(s);
	return s;
}

static aion_handle_t alloc(struct handle_table *t, struct tobj *o, uint32_t rights)
{
	aion_handle_t h;
	EQ(handle_alloc(t, &o->k, rights, 0, NULL, &h), 0);
	return h;
}

static aion_handle_t derive(struct handle_table *st, aion_handle_t src,
			    struct handle_table *dt, uint32_t mask)
{
	aion_handle_t h;
	EQ(handle_derive(S(st, src), dt, mask, 0, &h), 0);
	return h;
}

/* h is live in t with these rights, badge and parent slot. */
static void is(struct handle_table *t, aion_handle_t h, uint32_t rights, uint64_t badge,
	       struct handle_slot *parent)
{
	EQ(S(t, h)->rights, rights);
	EQ(S(t, h)->badge, badge);
	assert_ptr_equal(handle_parent(S(t, h)), parent);
}

static void test_basics(void **state)
{
	FIX;
	struct tobj *th = &f->o[1];
	struct kobj *out = NULL;
	uint32_t rc = AION_RIGHT_READ | AION_RIGHT_CONTROL;

	EQ(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT, 0, &out), -AION_ECAP);
	EQ(handle_set_self(t, &f->o[0].k, AION_RIGHTS_ALL), 0);
	EQ(REFS(0), 2);
	EQ(handle_lookup(t, AION_HANDLE_SELF, AION_OBJ_UNIT, AION_RIGHTS_ALL, &out), 0);
	assert_ptr_equal(out, &f->o[0].k);
	EQ(handle_close(t, AION_HANDLE_SELF), -AION_EPERM);
	assert_non_null(handle_slot_of(t, AION_HANDLE_SELF));

	aion_handle_t h = alloc(t, th, rc);
	assert_true(IDX(h) >= 1 && GEN(h) == 1);
	EQ(REFS(1), 2);
	EQ(th->caps, 1);
	EQ(th->bits[0] + th->bits[2] - th->bits[1], 2);   /* READ, CONTROL; not WRITE */
	is(t, h, rc, 0, NULL);
	EQ(handle_lookup(t, h, AION_OBJ_THREAD, rc, &out), 0);
	assert_ptr_equal(out, &th->k);
	EQ(REFS(1), 2);                                   /* lookup takes none */
	out = NULL;
	EQ(handle_lookup(t, h, AION_OBJ_THREAD, AION_RIGHT_READ | AION_RIGHT_WRITE, &out), -AION_ERIGHTS);
	/* Order: ECAP before ETYPE before ERIGHTS. */
	EQ(handle_lookup(t, h + AION_HANDLE(0, 1), AION_OBJ_UNIT, AION_RIGHT_WRITE, &out), -AION_ECAP);
	EQ(handle_lookup(t, AION_HANDLE(200, 1), AION_OBJ_UNIT, 0, &out), -AION_ECAP);
	EQ(handle_lookup(t, h, AION_OBJ_UNIT, AION_RIGHT_WRITE, &out), -AION_ETYPE);
	assert_null(out);

	EQ(handle_close(t, h), 0);
	EQ(REFS(1), 1);
	EQ(th->caps + th->bits[0] + th->bits[2], 0);
	EQ(handle_close(t, h), -AION_ECAP);
	EQ(alloc(t, th, rc), AION_HANDLE(IDX(h), 2));    /* same slot, next generation */
	EQ(handle_lookup(t, h, AION_OBJ_THREAD, 0, &out), -AION_ECAP);
}

/* Pages are taken lazily; AION_HANDLE_SLOTS - 1 handles besides SELF fit. */
static void test_capacity(void **state)
{
	FIX;
	struct kobj *out;
	aion_handle_t h;

	EQ(handle_set_self(t, &f->o[0].k, AION_RIGHTS_ALL), 0);
	for (unsigned i = 1; i < AION_HANDLE_SLOTS; i++) {
		h = alloc(t, &f->o[1], i);
		EQ(handle_lookup(t, h, AION_OBJ_THREAD, i, &out), 0);
		if (i == 1 || i == PER_PAGE - 1 || i == PER_PAGE)
			EQ(f->p[0].live, i < PER_PAGE ? 1 : 2);
	}
	EQ(f->p[0].live, (int)HANDLE_PAGES);
	EQ(handle_alloc(t, &f->o[2].k, 0, 0, NULL, &h), -AION_ENOSPC);
	EQ(REFS(2), 1);
	EQ(handle_derive(S(t, AION_HANDLE_SELF), t, ~0u, 0, &h), -AION_ENOSPC);
	EQ(handle_move(S(t, AION_HANDLE(1, 1)), t, &h), -AION_ENOSPC);
}

static void test_page_fail(void **state)
{
	FIX;
	aion_handle_t h;

	f->p[0].limit = 0;
	EQ(handle_set_self(&t[0], &f->o[1].k, 1), -AION_ENOMEM);
	/* No page to be had is the quota, not a full table. */
	EQ(handle_alloc(&t[0], &f->o[1].k, 1, 0, NULL, &h), -AION_ENOMEM);
	EQ(REFS(1) + f->o[1].caps, 1);
	f->p[1].limit = 1;              /* one page: PER_PAGE - 1 slots */
	for (unsigned i = 1; i < PER_PAGE; i++)
		h = alloc(&t[1], &f->o[1], 1);
	EQ(handle_alloc(&t[1], &f->o[1].k, 1, 0, NULL, &h), -AION_ENOMEM);
	EQ(REFS(1), PER_PAGE);
}

static void test_clear(void **state)
{
	FIX;
	aion_handle_t h[150], hb[150];

	EQ(handle_set_self(&t[0], &f->o[0].k, AION_RIGHTS_ALL), 0);
	for (int i = 0; i < 150; i++) {
		EQ(handle_alloc(&t[0], &f->o[2].k, 1, 0, i ? S(&t[0], h[i - 1]) : NULL, &h[i]), 0);
		hb[i] = derive(&t[0], h[i], &t[1], ~0u);
	}
	EQ(f->p[0].live, 3);
	EQ(REFS(2), 301);
	/* In slices of 7 deletions, as a cut UNIT_DESTROY does: each slice
	 * deletes exactly its budget, the pages go with the last one. */
	unsigned slices = 0;
	for (;;) {
		uint64_t budget = 7;
		unsigned before = REFS(2) + REFS(0);
		bool done = handle_table_clear_some(&t[0], &budget);
		slices++;
		if (done) {
			EQ(before - (REFS(2) + REFS(0)), 7 - budget);
			break;
		}
		EQ(budget, 0);
		EQ(before - (REFS(2) + REFS(0)), 7);
		EQ(f->p[0].live, 3);
	}
	EQ(slices, (151 + 6) / 7);      /* 150 copies and the SELF slot */
	EQ(f->p[0].live + REFS(0), 1);
	EQ(REFS(2), 151);
	for (int i = 0; i < 150; i++)   /* the copies in t[1] survive, now roots */
		is(&t[1], hb[i], 1, 0, NULL);
}

static void test_derive(void **state)
{
	FIX;
	uint32_t r = AION_RIGHT_SEND | AION_RIGHT_GRANT | AION_RIGHT_READ;
	const uint32_t masks[] = { ~0u, 0, AION_RIGHTS_ALL, AION_RIGHT_SEND | AION_RIGHT_RECV | 0x100,
				   ~AION_RIGHT_READ, 0xffff0000u | AION_RIGHT_GRANT };
	aion_handle_t root = alloc(&t[0], &f->o[2], r), c, g, m, x;

	for (unsigned i = 0; i < 6; i++) {
		c = derive(&t[0], root, &t[1], masks[i]);
		is(&t[1], c, r & masks[i], 0, S(&t[0], root));
		for (unsigned j = 0; j < 6; j++) {      /* grandchildren, extra WRITE */
			g = derive(&t[1], c, &t[0], masks[j] | AION_RIGHT_WRITE);
			is(&t[0], g, r & masks[i] & masks[j], 0, S(&t[1], c));
		}
	}
	EQ(f->o[2].bits[1] + f->o[2].bits[6], 0);       /* WRITE, RECV never appeared */
	EQ(f->o[2].caps, 1 + 6 + 36);

	/* Badges: 0 keeps the source's; mint only from an unbadged source. */
	c = derive(&t[0], root, &t[1], ~0u);
	EQ(handle_derive(S(&t[1], c), &t[1], ~0u, 0x42, &m), 0);
	is(&t[1], m, r, 0x42, S(&t[1], c));
	EQ(handle_derive(S(&t[1], m), &t[0], ~0u, 0x43, &x), -AION_EPERM);
	EQ(handle_derive(S(&t[1], m), &t[0], ~0u, 0x42, &x), -AION_EPERM);
	x = derive(&t[1], m, &t[2], AION_RIGHT_SEND);
	is(&t[2], x, AION_RIGHT_SEND, 0x42, S(&t[1], m));
}

/* h0 in A; h1 in B, h2 in C (children); h3 in A, h4 in C (grandchildren); h5 in C below h3. */
static const int tab[6] = { 0, 1, 2, 0, 2, 2 };

static void tree(struct fix *f)
{
	struct handle_table *t = f->t;
	aion_handle_t *h = f->h;
	h[1] = derive(&t[0], h[0], &t[1], ~0u);
	h[2] = derive(&t[0], h[0], &t[2], ~AION_RIGHT_SEND);
	h[3] = derive(&t[1], h[1], &t[0], ~0u);
	h[4] = derive(&t[2], h[2], &t[2], AION_RIGHT_READ);
	h[5] = derive(&t[0], h[3], &t[2], ~0u);
}

static void test_revoke(void **state)
{
	FIX;
	f->h[0] = alloc(&t[0], &f->o[2], AION_RIGHTS_ALL);
	struct handle_slot *root = S(&t[0], f->h[0]);

	tree(f);
	EQ(handle_revoke(S(&t[2], f->h[4]), 100), 0);     /* a leaf */
	EQ(handle_revoke(root, 0), -AION_EAGAIN);
	EQ(REFS(2), 7);
	EQ(handle_revoke(root, 100), 0);
	for (int i = 1; i < 6; i++)
		GONE(&t[tab[i]], f->h[i]);
	EQ(REFS(2), 2);
	assert_null(root->child);

	tree(f);
	for (unsigned n = 1; n <= 5; n++) {
		EQ(handle_revoke(root, 1), n < 5 ? -AION_EAGAIN : 0);
		EQ(REFS(2), 7 - n);
	}
	EQ(handle_revoke(root, 1), 0);
}

static void test_delete_reparent(void **state)
{
	FIX;
	aion_handle_t *h = f->h;

	h[0] = alloc(&t[0], &f->o[2], AION_RIGHTS_ALL);
	tree(f);
	EQ(handle_close(&t[1], h[1]), 0);       /* h3 goes to the root */
	is(&t[0], h[3], AION_RIGHTS_ALL, 0, S(&t[0], h[0]));
	is(&t[2], h[5], AION_RIGHTS_ALL, 0, S(&t[0], h[3]));
	EQ(handle_revoke(S(&t[0], h[0]), 100), 0);
	GONE(&t[0], h[3]);
	GONE(&t[2], h[5]);
	EQ(REFS(2), 2);

	tree(f);                                /* a root's children become roots */
	EQ(handle_close(&t[0], h[0]), 0);
	is(&t[1], h[1], AION_RIGHTS_ALL, 0, NULL);
	is(&t[2], h[2], AION_RIGHTS_ALL & ~AION_RIGHT_SEND, 0, NULL);
	EQ(handle_revoke(S(&t[1], h[1]), 100), 0);
	GONE(&t[0], h[3]);
	is(&t[2], h[4], AION_RIGHT_READ, 0, S(&t[2], h[2]));
}

static void test_move(void **state)
{
	FIX;
	aion_handle_t *h = f->h, m, m2;
	uint32_t r = AION_RIGHT_SEND | AION_RIGHT_RECV;

	h[0] = alloc(&t[0], &f->o[2], AION_RIGHTS_ALL);
	EQ(handle_derive(S(&t[0], h[0]), &t[1], r, 7, &h[1]), 0);
	h[3] = derive(&t[1], h[1], &t[0], ~0u);
	h[4] = derive(&t[1], h[1], &t[1], AION_RIGHT_SEND);
	EQ(handle_move(S(&t[1], h[1]), &t[2], &m), 0);
	GONE(&t[1], h[1]);
	is(&t[2], m, r, 7, S(&t[0], h[0]));
	is(&t[0], h[3], r, 7, S(&t[2], m));
	is(&t[1], h[4], AION_RIGHT_SEND, 7, S(&t[2], m));
	EQ(REFS(2), 5);
	EQ(f->o[2].caps + f->o[2].bits[5], 4 + 4);         /* SEND */
	EQ(handle_move(S(&t[2], m), &t[2], &m2), 0);        /* within a table */
	GONE(&t[2], m);
	EQ(handle_revoke(S(&t[2], m2), 100), 0);
	GONE(&t[0], h[3]);
	GONE(&t[1], h[4]);
	EQ(handle_revoke(S(&t[0], h[0]), 100), 0);
	GONE(&t[2], m2);
	EQ(REFS(2), 2);
}

/* A reserve takes the pages its slots need, or nothing at all. */
static void test_reserve(void **state)
{
	FIX;
	aion_handle_t h;

	EQ(handle_reserve(t, 5), 0);            /* page 0 */
	EQ(f->p[0].live, 1);
	EQ(handle_set_self(t, &f->o[0].k, AION_RIGHTS_ALL), 0);
	for (unsigned i = 1; i < PER_PAGE - 1; i++)
		alloc(t, &f->o[1], 0);
	/* One slot left on page 0; two need page 1, which cannot be had. */
	f->p[0].limit = 1;
	EQ(handle_reserve(t, 1), 0);
	EQ(handle_reserve(t, 2), -AION_ENOMEM);
	EQ(f->p[0].live, 1);
	assert_null(t->page[1]);
	/* With the page: the slots are there and allocating takes no page. */
	f->p[0].limit = -1;
	EQ(handle_reserve(t, 2), 0);
	EQ(f->p[0].live, 2);
	f->p[0].limit = f->p[0].taken;
	EQ(handle_alloc(t, &f->o[1].k, 0, 0, NULL, &h), 0);
	EQ(handle_alloc(t, &f->o[1].k, 0, 0, NULL, &h), 0);
	/* More than the table holds: -AION_ENOSPC, and no page kept. */
	f->p[0].limit = -1;
	unsigned live = (unsigned)f->p[0].live;
	EQ(handle_reserve(t, AION_HANDLE_SLOTS), -AION_ENOSPC);
	EQ((unsigned)f->p[0].live, live);
}

static void test_gen_wrap(void **state)
{
	FIX;
	struct kobj *out;
	aion_handle_t h = alloc(t, &f->o[1], 1);
	unsigned idx = IDX(h);

	S(t, h)->gen = GEN_MAX - 2;
	GONE(t, h);
	h = AION_HANDLE(idx, GEN_MAX - 2);
	for (unsigned i = 0; i < 6; i++) {
		EQ(handle_close(t, h), 0);
		h = alloc(t, &f->o[1], 1);
		EQ(IDX(h), idx);
		EQ(GEN(h), i < 2 ? GEN_MAX - 1 + i : i - 1);    /* never 0 */
		EQ(handle_lookup(t, h, AION_OBJ_THREAD, 1, &out), 0);
		GONE(t, AION_HANDLE(idx, 0));
	}
}

/* --- random model: three tables, 20k operations --- */

#define OPS 20000
#define FULL (AION_HANDLE_SLOTS - 1)

struct mnode { int obj, tab, parent; bool live; uint32_t rights; uint64_t badge; aion_handle_t h; };

static struct mnode mn[OPS];
static int mlive[3 * AION_HANDLE_SLOTS], nmlive, nn, tlive[3];
static struct fix *mf;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng);
}

static struct handle_slot *mslot(int i) { return handle_slot_of(&mf->t[mn[i].tab], mn[i].h); }

static void madd(int tab, int obj, int parent, uint32_t rights, uint64_t badge, aion_handle_t h)
{
	mn[nn] = (struct mnode){ obj, tab, parent, true, rights, badge, h };
	mlive[nmlive++] = nn++;
	tlive[tab]++;
}

static bool mdesc(int j, int i)
{
	for (j = mn[j].parent; j >= 0 && j != i; j = mn[j].parent)
		;
	return j == i;
}

/* Drops dead nodes, then checks the real slots and tree against the model. */
static void mverify(void)
{
	int refs[3] = { 0 }, nonroots = 0, listed = 0;

	for (int k = nmlive - 1; k >= 0; k--)
		if (!mn[mlive[k]].live) {
			tlive[mn[mlive[k]].tab]--;
			mlive[k] = mlive[--nmlive];
		}
	for (int k = 0; k < nmlive; k++) {
		struct mnode *n = &mn[mlive[k]];
		is(&mf->t[n->tab], n->h, n->rights, n->badge, n->parent < 0 ? NULL : mslot(n->parent));
		assert_ptr_equal(mslot(mlive[k])->obj, &mf->o[n->obj].k);
		if (n->parent >= 0)
			EQ(n->rights & ~mn[n->parent].rights, 0);
		nonroots += n->parent >= 0;
		struct handle_slot *head = mslot(mlive[k])->child, *c = head;
		if (head)
			assert_ptr_equal(head->up, mslot(mlive[k]));
		do {                    /* the ring of its children: each once */
			if (!c)
				break;
			assert_ptr_equal(handle_parent(c), mslot(mlive[k]));
			assert_true(c->next->prev == c && c->prev->next == c);
			assert_true(c == head || !c->up);       /* only the head keeps up */
			listed++;
			c = c->next;
		} while (c != head);
		refs[n->obj]++;
	}
	EQ(listed, nonroots);           /* the child lists hold exactly the live children */
	for (int o = 0; o < 3; o++) {
		EQ(mf->o[o].k.refs, refs[o] + 1);
		EQ(mf->o[o].caps, refs[o]);
	}
}

static void test_model(void **state)
{
	static int desc[3 * AION_HANDLE_SLOTS];
	int revoked = 0, nd, dead;
	aion_handle_t h;

	mf = *state;
	for (int op = 0; op < OPS; op++) {
		int kind = nmlive ? (int)(rnd() % 100) : 0;
		int i = nmlive ? mlive[rnd() % (unsigned)nmlive] : -1, d = (int)(rnd() % 3), o, rc;
		uint32_t r = (uint32_t)rnd();
		uint64_t b = rnd() % 4 ? 0 : rnd() | 1;
		unsigned budget = rnd() % 4 ? 1 + (unsigned)(rnd() % 8) : ~0u;
		if ((kind < 50 || kind >= 85) && tlive[d] == FULL)
			continue;       /* a full table: see test_capacity */
		if (kind < 15) {                                /* alloc a root */
			o = (int)(rnd() % 3);
			EQ(handle_alloc(&mf->t[d], &mf->o[o].k, r & AION_RIGHTS_ALL, b, NULL, &h), 0);
			madd(d, o, -1, r & AION_RIGHTS_ALL, b, h);
		} else if (kind < 50) {                         /* derive / mint, any mask */
			rc = handle_derive(mslot(i), &mf->t[d], r, b, &h);
			EQ(rc, b && mn[i].badge ? -AION_EPERM : 0);
			if (!rc)
				madd(d, mn[i].obj, i, mn[i].rights & r, b ? b : mn[i].badge, h);
		} else if (kind < 70) {                         /* close */
			EQ(handle_close(&mf->t[mn[i].tab], mn[i].h), 0);
			assert_null(mslot(i));
			for (int k = 0; k < nmlive; k++)
				if (mn[mlive[k]].parent == i)
					mn[mlive[k]].parent = mn[i].parent;
			mn[i].live = false;
		} else if (kind < 85) {                         /* revoke, random budget */
			for (int k = nd = dead = 0; k < nmlive; k++)
				if (mdesc(mlive[k], i))
					desc[nd++] = mlive[k];
			EQ(handle_revoke(mslot(i), budget), (unsigned)nd <= budget ? 0 : -AION_EAGAIN);
			for (int k = 0; k < nd; k++)
				if (!mslot(desc[k]))
					mn[desc[k]].live = false, dead++;
			EQ(dead, (unsigned)nd <= budget ? nd : (int)budget);
			revoked += dead;
			/* Children go first: what a cut revoke leaves is lifted to
			 * the nearest live ancestor, still a descendant of i. */
			for (int k = 0; k < nmlive; k++) {
				struct mnode *n = &mn[mlive[k]];
				while (n->live && n->parent >= 0 && !mn[n->parent].live)
					n->parent = mn[n->parent].parent;
			}
			for (int k = 0; k < nd; k++)
				assert_true(!mn[desc[k]].live || mdesc(desc[k], i));
		} else {                                        /* move */
			aion_handle_t old = mn[i].h;
			EQ(handle_move(mslot(i), &mf->t[d], &h), 0);
			GONE(&mf->t[mn[i].tab], old);
			tlive[mn[i].tab]--, tlive[d]++;
			mn[i].tab = d, mn[i].h = h;
		}
		mverify();
	}
	assert_true(revoked > 1000 && nn > 5000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_basics), T(test_capacity), T(test_page_fail), T(test_clear),
		T(test_derive), T(test_revoke), T(test_delete_reparent), T(test_move),
		T(test_reserve), T(test_gen_wrap), T(test_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
