/*
 * Host tests for the slab allocator (common/slab.c).
 *
 * The page provider is aligned_alloc(4096, 4096); it counts calls and
 * remembers outstanding pages so a test can check what went back and
 * free the rest (the cached empty slab) for LeakSanitizer.
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
#include "common/slab.h"
#include "common/xorshift.h"

#define PROV_MAX 64

struct provider {
	unsigned gets, puts, fail_after;        /* fail_after: gets allowed, ~0u = no limit */
	void *live[PROV_MAX];
	unsigned nlive;
};

static void *prov_get(void *ctx)
{
	struct provider *p = ctx;
	void *page;

	if (p->gets >= p->fail_after || p->nlive == PROV_MAX)
		return NULL;
	page = aligned_alloc(SLAB_PAGE_SIZE, SLAB_PAGE_SIZE);
	assert_non_null(page);
	memset(page, 0xa5, SLAB_PAGE_SIZE);     /* dirty: alloc must zero */
	p->gets++;
	p->live[p->nlive++] = page;
	return page;
}

static void prov_put(void *ctx, void *page)
{
	struct provider *p = ctx;

	for (unsigned i = 0; i < p->nlive; i++) {
		if (p->live[i] == page) {
			p->live[i] = p->live[--p->nlive];
			p->puts++;
			free(page);
			return;
		}
	}
	fail_msg("put_page of a page the provider never gave out");
}

static void prov_init(struct provider *p, struct slab_page_ops *ops)
{
	memset(p, 0, sizeof(*p));
	p->fail_after = ~0u;
	ops->get_page = prov_get;
	ops->put_page = prov_put;
	ops->ctx = p;
}

/* Free what the cache still holds (no slab_cache_destroy in the API). */
static void prov_release_all(struct provider *p)
{
	while (p->nlive > 0)
		free(p->live[--p->nlive]);
}

static bool all_zero(const void *obj, size_t n)
{
	const uint8_t *b = obj;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void test_init(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops, bad;
	struct slab_cache c;

	prov_init(&p, &ops);
	assert_int_equal(slab_cache_init(&c, "zero", 0, &ops), -AION_EINVAL);
	assert_int_equal(slab_cache_init(&c, "page", SLAB_PAGE_SIZE, &ops), -AION_EINVAL);
	assert_int_equal(slab_cache_init(&c, "big", SLAB_PAGE_SIZE - 8, &ops), -AION_EINVAL);
	assert_int_equal(slab_cache_init(&c, "huge", SIZE_MAX, &ops), -AION_EINVAL);
	assert_int_equal(slab_cache_init(&c, "noops", 32, NULL), -AION_EINVAL);
	assert_int_equal(slab_cache_init(NULL, "nocache", 32, &ops), -AION_EINVAL);
	bad = ops;
	bad.get_page = NULL;
	assert_int_equal(slab_cache_init(&c, "noget", 32, &bad), -AION_EINVAL);

	assert_int_equal(slab_cache_init(&c, "one", 1, &ops), 0);
	assert_int_equal(c.obj_size, 16);
	assert_true(c.per_slab > 200 && c.per_slab <= 256);
	assert_int_equal(slab_cache_init(&c, "s24", 24, &ops), 0);
	assert_int_equal(c.obj_size, 32);
	assert_string_equal(c.name, "s24");
	assert_int_equal(c.pages, 0);
	assert_int_equal(c.in_use, 0);
	/* The largest object that fits: exactly one per page. */
	assert_int_equal(slab_cache_init(&c, "max", 2048, &ops), 0);
	assert_int_equal(c.per_slab, 1);
	assert_int_equal(p.gets, 0);
}

/* obj_size 24: fill the first page, then a second page is taken. */
static void test_fill_pages(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache c;
	void *objs[600];
	unsigned per, n;

	prov_init(&p, &ops);
	assert_int_equal(slab_cache_init(&c, "s24", 24, &ops), 0);
	per = c.per_slab;
	assert_true(per >= 100 && per + 1 < 600);
	for (n = 0; n < per; n++) {
		objs[n] = slab_alloc(&c);
		assert_non_null(objs[n]);
		assert_int_equal((uintptr_t)objs[n] % 16, 0);
		assert_true(all_zero(objs[n], c.obj_size));
		/* Scribble the whole object: neighbours must not see it. */
		memset(objs[n], 0xee, c.obj_size);
		for (unsigned j = 0; j < n; j++)
			assert_ptr_not_equal(objs[j], objs[n]);
	}
	assert_int_equal(c.pages, 1);
	assert_int_equal(p.gets, 1);
	assert_int_equal(c.in_use, per);
	objs[n] = slab_alloc(&c);
	assert_non_null(objs[n]);
	n++;
	assert_int_equal(c.pages, 2);
	assert_int_equal(p.gets, 2);
	/* No object straddles a page boundary. */
	for (unsigned i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)objs[i];

		assert_int_equal(a / SLAB_PAGE_SIZE, (a + c.obj_size - 1) / SLAB_PAGE_SIZE);
	}

	/* free + realloc reuses the slot, zeroed again. */
	assert_int_equal(slab_free(&c, objs[5]), 0);
	void *again = slab_alloc(&c);
	assert_ptr_equal(again, objs[5]);
	assert_true(all_zero(again, c.obj_size));
	assert_int_equal(c.pages, 2);

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(slab_free(&c, objs[i]), 0);
	assert_int_equal(c.in_use, 0);
	/* One page went back, one is cached empty. */
	assert_int_equal(c.pages, 1);
	assert_int_equal(p.puts, 1);
	assert_non_null(c.empty);
	/* The cached page is reused without asking the provider. */
	assert_non_null(objs[0] = slab_alloc(&c));
	assert_int_equal(p.gets, 2);
	assert_int_equal(slab_free(&c, objs[0]), 0);
	prov_release_all(&p);
}

static void test_bad_free(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache a, b;
	uint8_t *x, *y, *z;

	prov_init(&p, &ops);
	assert_int_equal(slab_cache_init(&a, "a", 48, &ops), 0);
	assert_int_equal(slab_cache_init(&b, "b", 48, &ops), 0);
	x = slab_alloc(&a);
	y = slab_alloc(&b);
	z = slab_alloc(&a);
	assert_non_null(x);
	assert_non_null(y);
	assert_non_null(z);

	assert_int_equal(slab_free(&a, NULL), -AION_EINVAL);
	assert_int_equal(slab_free(&a, y), -AION_EINVAL);       /* other cache */
	assert_int_equal(slab_free(&b, x), -AION_EINVAL);
	assert_int_equal(slab_free(&a, x + 16), -AION_EINVAL);  /* mid-object */
	assert_int_equal(slab_free(&a, x + 1), -AION_EINVAL);
	assert_int_equal(slab_free(&a, x - 16), -AION_EINVAL);  /* in the header */
	/* Past the last object slot, in the page's tail. */
	assert_int_equal(slab_free(&a, (uint8_t *)((uintptr_t)x | (SLAB_PAGE_SIZE - 16))),
			 -AION_EINVAL);
	/* A valid slot never handed out is already free. */
	assert_int_equal(slab_free(&a, z + 48), -AION_EDOUBLE);

	assert_int_equal(slab_free(&a, x), 0);
	assert_int_equal(slab_free(&a, x), -AION_EDOUBLE);
	assert_int_equal(a.in_use, 1);
	assert_int_equal(slab_free(&a, z), 0);
	assert_int_equal(slab_free(&a, z), -AION_EDOUBLE);
	assert_int_equal(slab_free(&b, y), 0);
	assert_int_equal(a.in_use, 0);
	assert_int_equal(b.in_use, 0);
	/* The double frees did not corrupt the free list: two distinct objects. */
	x = slab_alloc(&a);
	z = slab_alloc(&a);
	assert_non_null(x);
	assert_non_null(z);
	assert_ptr_not_equal(x, z);
	assert_int_equal(slab_free(&a, x), 0);
	assert_int_equal(slab_free(&a, z), 0);
	prov_release_all(&p);
}

/* Many pages filled then drained: all but one go back to the provider. */
static void test_release(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache c;
	enum { N = 10 * 7 };
	void *objs[N];

	prov_init(&p, &ops);
	assert_int_equal(slab_cache_init(&c, "s512", 512, &ops), 0);
	assert_int_equal(c.per_slab, 7);
	for (int i = 0; i < N; i++)
		assert_non_null(objs[i] = slab_alloc(&c));
	assert_int_equal(c.pages, 10);
	assert_int_equal(p.gets, 10);
	/* Free every other object first: pages go partial, none empty. */
	for (int i = 0; i < N; i += 2)
		assert_int_equal(slab_free(&c, objs[i]), 0);
	assert_int_equal(p.puts, 0);
	for (int i = 1; i < N; i += 2)
		assert_int_equal(slab_free(&c, objs[i]), 0);
	assert_int_equal(c.in_use, 0);
	assert_int_equal(c.pages, 1);
	assert_int_equal(p.puts, 9);
	assert_int_equal(p.nlive, 1);
	assert_null(c.partial);
	assert_null(c.full);
	assert_non_null(c.empty);
	/* Trimming returns the cached page too; a second trim does nothing. */
	slab_trim(&c);
	assert_null(c.empty);
	assert_int_equal(c.pages, 0);
	assert_int_equal(p.puts, 10);
	assert_int_equal(p.nlive, 0);
	slab_trim(&c);
	assert_int_equal(p.puts, 10);
	/* And the cache still works afterwards. */
	assert_non_null(objs[0] = slab_alloc(&c));
	assert_int_equal(p.gets, 11);
	assert_int_equal(slab_free(&c, objs[0]), 0);
	prov_release_all(&p);
}

/* One object per page: alloc/free ping-pong never calls the provider twice. */
/*
 * Objects of a cache line or more start on a line and take whole lines
 * (two CPUs writing neighbours never share one); smaller ones keep the
 * 16-byte granule.
 */
static void test_line_apart(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache c;
	uint8_t *x[40];

	prov_init(&p, &ops);
	assert_int_equal(slab_cache_init(&c, "ep96", 96, &ops), 0);
	assert_int_equal(c.obj_size, 128);
	assert_int_equal(c.per_slab, (SLAB_PAGE_SIZE - 128) / 128);
	for (unsigned i = 0; i < 40; i++) {
		x[i] = slab_alloc(&c);
		assert_non_null(x[i]);
		assert_int_equal((uintptr_t)x[i] % SLAB_LINE, 0);
		memset(x[i], 0x5a, c.obj_size);
	}
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(slab_free(&c, x[i]), 0);
	x[0] = slab_alloc(&c);
	assert_int_equal(slab_free(&c, x[0] + 64), -AION_EINVAL);     /* mid-object */
	assert_int_equal(slab_free(&c, x[0]), 0);
	prov_release_all(&p);
	assert_int_equal(slab_cache_init(&c, "n48", 48, &ops), 0);
	assert_int_equal(c.obj_size, 48);
	assert_int_equal(c.per_slab, (SLAB_PAGE_SIZE - 80) / 48);
}

static void test_one_per_page(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache c;
	void *a, *b;

	prov_init(&p, &ops);
	/* A line-sized object's page: header 128 bytes, then 64-byte lines. */
	assert_int_equal(slab_cache_init(&c, "big", 1984, &ops), 0);
	assert_int_equal(c.per_slab, 2);
	assert_int_equal(slab_cache_init(&c, "max", 3968, &ops), 0);
	assert_int_equal(c.per_slab, 1);
	assert_int_equal(slab_cache_init(&c, "over", 3969, &ops), -AION_EINVAL);
	a = slab_alloc(&c);
	b = slab_alloc(&c);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(all_zero(a, c.obj_size));
	assert_int_equal(c.pages, 2);
	assert_int_equal(slab_free(&c, a), 0);
	assert_int_equal(slab_free(&c, b), 0);
	assert_int_equal(p.puts, 1);
	for (int i = 0; i < 100; i++) {
		a = slab_alloc(&c);
		assert_non_null(a);
		assert_int_equal(slab_free(&c, a), 0);
	}
	assert_int_equal(p.gets, 2);
	prov_release_all(&p);
}

static void test_provider_null(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache c;
	void *objs[300];
	unsigned n = 0;

	prov_init(&p, &ops);
	p.fail_after = 0;
	assert_int_equal(slab_cache_init(&c, "s64", 64, &ops), 0);
	assert_null(slab_alloc(&c));
	assert_int_equal(c.pages, 0);
	assert_int_equal(c.in_use, 0);

	/* One page allowed: its objects come out, then NULL, then reuse. */
	p.fail_after = 1;
	while ((objs[n] = slab_alloc(&c)) != NULL)
		n++;
	assert_int_equal(n, c.per_slab);
	assert_null(slab_alloc(&c));
	assert_int_equal(slab_free(&c, objs[3]), 0);
	assert_ptr_equal(slab_alloc(&c), objs[3]);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(slab_free(&c, objs[i]), 0);
	prov_release_all(&p);
}

/* A provider breaking the alignment contract: its page is handed back. */
static void *misaligned_get(void *ctx)
{
	uint8_t *page = aligned_alloc(SLAB_PAGE_SIZE, 2 * SLAB_PAGE_SIZE);

	(void)ctx;
	assert_non_null(page);
	return page + 16;
}

static void misaligned_put(void *ctx, void *page)
{
	(*(unsigned *)ctx)++;
	free((uint8_t *)page - 16);
}

static void test_provider_misaligned(void **state)
{
	(void)state;
	unsigned puts = 0;
	struct slab_page_ops ops = { misaligned_get, misaligned_put, &puts };
	struct slab_cache c;

	assert_int_equal(slab_cache_init(&c, "mis", 64, &ops), 0);
	assert_null(slab_alloc(&c));
	assert_int_equal(puts, 1);
	assert_int_equal(c.pages, 0);
}

/* Random alloc/free; each live object carries a stamp that must survive. */
static void test_random(void **state)
{
	(void)state;
	struct provider p;
	struct slab_page_ops ops;
	struct slab_cache c;
	enum { MAXLIVE = 1500 };
	uint64_t *live[MAXLIVE];
	unsigned nlive = 0;
	uint64_t seed = 12345, stamp = 0;

	prov_init(&p, &ops);
	assert_int_equal(slab_cache_init(&c, "s40", 40, &ops), 0);
	for (int op = 0; op < 50000; op++) {
		uint64_t r = xorshift64(&seed);

		if (nlive < MAXLIVE && (nlive == 0 || r % 100 < 52)) {
			uint64_t *o = slab_alloc(&c);

			assert_non_null(o);
			assert_true(all_zero(o, c.obj_size));
			o[0] = ++stamp;
			o[5] = ~stamp;
			live[nlive++] = o;
		} else {
			unsigned k = (unsigned)((r >> 8) % nlive);
			uint64_t *o = live[k];

			assert_int_equal(o[0] + o[5], UINT64_MAX);  /* stamp intact */
			live[k] = live[--nlive];
			assert_int_equal(slab_free(&c, o), 0);
		}
		assert_int_equal(c.in_use, nlive);
		/* Every page but the cached empty one holds a live object. */
		assert_true(c.pages <= (uint64_t)nlive + 1);
		assert_true(c.pages * c.per_slab >= nlive);
	}
	while (nlive > 0)
		assert_int_equal(slab_free(&c, live[--nlive]), 0);
	assert_int_equal(c.pages, 1);
	assert_int_equal(p.gets - p.puts, 1);
	prov_release_all(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_fill_pages),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_line_apart),
		cmocka_unit_test(test_one_per_page),
		cmocka_unit_test(test_provider_null),
		cmocka_unit_test(test_provider_misaligned),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
