/*
 * Host tests for the physical frame allocator (kernel/mm/pmm.c).
 *
 * Storage is malloc'ed at exactly pmm_storage_bytes() so AddressSanitizer
 * flags any access past the bitmaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aion/error.h"
#include "pmm.h"
#include "common/xorshift.h"

struct fixture {
	struct pmm p;
	void *storage;
};

static struct fixture *fx_new(uint64_t nframes)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t bytes = pmm_storage_bytes(nframes);

	assert_non_null(f);
	assert_true(bytes > 0);
	f->storage = malloc(bytes);
	assert_non_null(f->storage);
	assert_int_equal(pmm_init(&f->p, f->storage, bytes, nframes), 0);
	return f;
}

static void fx_free(struct fixture *f)
{
	free(f->storage);
	free(f);
}

/*
 * Allocate until -AION_ENOMEM; every frame must be new, below nframes and
 * marked in want[] (the frames expected to be free). Returns the count.
 */
static uint64_t drain(struct pmm *p, const uint8_t *want)
{
	uint8_t *seen = calloc(p->nframes, 1);
	uint64_t n = 0;
	int64_t f;

	assert_non_null(seen);
	while ((f = pmm_alloc(p)) >= 0) {
		assert_true((uint64_t)f < p->nframes);
		assert_int_equal(seen[f], 0);
		assert_int_equal(want[f], 1);
		assert_false(pmm_is_free(p, (uint64_t)f));
		seen[f] = 1;
		n++;
	}
	assert_int_equal(f, -AION_ENOMEM);
	assert_int_equal(pmm_alloc(p), -AION_ENOMEM);
	assert_int_equal(pmm_free_count(p), 0);
	free(seen);
	return n;
}

static void mark(uint8_t *want, uint64_t first, uint64_t count, uint8_t v)
{
	memset(want + first, v, count);
}

static void test_init_errors(void **state)
{
	(void)state;
	struct pmm p;
	size_t bytes = pmm_storage_bytes(1000);
	uint64_t *st = malloc(bytes);

	assert_non_null(st);
	assert_int_equal(pmm_init(&p, st, bytes - 1, 1000), -AION_EINVAL);
	assert_int_equal(pmm_init(&p, st, 0, 1000), -AION_EINVAL);
	assert_int_equal(pmm_init(&p, NULL, bytes, 1000), -AION_EINVAL);
	assert_int_equal(pmm_init(&p, (uint8_t *)st + 1, bytes - 1, 10), -AION_EINVAL);
	assert_int_equal(pmm_init(&p, st, bytes, 0), -AION_EINVAL);
	assert_int_equal(pmm_init(&p, st, bytes, PMM_MAX_FRAMES + 1), -AION_ERANGE);
	assert_int_equal(pmm_storage_bytes(0), 0);
	assert_int_equal(pmm_storage_bytes(PMM_MAX_FRAMES + 1), 0);
	assert_true(pmm_storage_bytes(PMM_MAX_FRAMES) > 0);
	assert_int_equal(pmm_init(&p, st, bytes, 1000), 0);
	/* Everything starts reserved: nothing to hand out. */
	assert_int_equal(pmm_free_count(&p), 0);
	assert_int_equal(pmm_alloc(&p), -AION_ENOMEM);
	assert_false(pmm_is_free(&p, 0));
	free(st);
}

/* Full pools of sizes needing 1, 2, 3 and 4 levels, odd counts included. */
static void check_full_pool(uint64_t nframes, unsigned levels)
{
	struct fixture *f = fx_new(nframes);
	uint8_t *want = malloc(nframes);

	assert_non_null(want);
	assert_int_equal(f->p.nlevels, levels);
	mark(want, 0, nframes, 1);
	assert_int_equal(pmm_add_free(&f->p, 0, nframes), 0);
	assert_int_equal(pmm_free_count(&f->p), nframes);
	/* Lowest-first: frames come out in order, a freed one comes back. */
	assert_int_equal(pmm_alloc(&f->p), 0);
	if (nframes > 1) {
		assert_int_equal(pmm_alloc(&f->p), 1);
		assert_int_equal(pmm_free(&f->p, 1), 0);
	}
	assert_int_equal(pmm_free(&f->p, 0), 0);
	assert_int_equal(drain(&f->p, want), nframes);
	/* Last frame is reachable, nothing past it. */
	assert_int_equal(pmm_free(&f->p, nframes - 1), 0);
	assert_int_equal(pmm_alloc(&f->p), (int64_t)(nframes - 1));
	assert_int_equal(pmm_free(&f->p, nframes), -AION_ERANGE);
	free(want);
	fx_free(f);
}

static void test_levels(void **state)
{
	(void)state;
	check_full_pool(1, 1);
	check_full_pool(60, 1);
	check_full_pool(64, 1);
	check_full_pool(65, 2);
	check_full_pool(4000, 2);
	check_full_pool(4097, 3);
	check_full_pool(200000, 3);
	check_full_pool(300000, 4);
}

static void test_max_size(void **state)
{
	(void)state;
	struct fixture *f = fx_new(PMM_MAX_FRAMES);

	assert_int_equal(f->p.nlevels, PMM_MAX_LEVELS);
	assert_int_equal(pmm_add_free(&f->p, PMM_MAX_FRAMES - 3, 3), 0);
	assert_int_equal(pmm_alloc(&f->p), (int64_t)(PMM_MAX_FRAMES - 3));
	assert_int_equal(pmm_alloc(&f->p), (int64_t)(PMM_MAX_FRAMES - 2));
	assert_int_equal(pmm_alloc(&f->p), (int64_t)(PMM_MAX_FRAMES - 1));
	assert_int_equal(pmm_alloc(&f->p), -AION_ENOMEM);
	fx_free(f);
}

static void test_reserve(void **state)
{
	(void)state;
	const uint64_t n = 10000;
	struct fixture *f = fx_new(n);
	uint8_t *want = calloc(n, 1);

	assert_non_null(want);
	/* Two free ranges with a hole, then reservations inside and across. */
	assert_int_equal(pmm_add_free(&f->p, 100, 3000), 0);
	assert_int_equal(pmm_add_free(&f->p, 5000, 4000), 0);
	mark(want, 100, 3000, 1);
	mark(want, 5000, 4000, 1);
	assert_int_equal(pmm_reserve(&f->p, 200, 64), 0);       /* inside */
	assert_int_equal(pmm_reserve(&f->p, 3000, 2500), 0);    /* across the hole */
	assert_int_equal(pmm_reserve(&f->p, 3000, 2500), 0);    /* idempotent */
	assert_int_equal(pmm_reserve(&f->p, 9800, 200), 0);     /* to the end */
	mark(want, 200, 64, 0);
	mark(want, 3000, 2500, 0);
	mark(want, 9800, 200, 0);
	/* Reservation is sticky: re-adding does not bring frames back. */
	assert_int_equal(pmm_add_free(&f->p, 100, 3000), 0);
	/* Reserving before adding works too. */
	assert_int_equal(pmm_reserve(&f->p, 9500, 10), 0);
	assert_int_equal(pmm_add_free(&f->p, 9500, 20), 0);
	mark(want, 9510, 10, 1);

	uint64_t expect = 0;
	for (uint64_t i = 0; i < n; i++)
		expect += want[i];
	assert_int_equal(pmm_free_count(&f->p), expect);
	assert_int_equal(pmm_alloc(&f->p), 100);
	assert_int_equal(pmm_free(&f->p, 100), 0);
	assert_int_equal(drain(&f->p, want), expect);

	/* Freeing reserved or never-added frames is refused. */
	assert_int_equal(pmm_free(&f->p, 200), -AION_EINVAL);
	assert_int_equal(pmm_free(&f->p, 4000), -AION_EINVAL);
	assert_int_equal(pmm_free(&f->p, 9505), -AION_EINVAL);
	assert_int_equal(pmm_free(&f->p, 0), -AION_EINVAL);
	assert_int_equal(pmm_free_count(&f->p), 0);
	free(want);
	fx_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	struct fixture *f = fx_new(130);

	assert_int_equal(pmm_add_free(&f->p, 0, 131), -AION_ERANGE);
	assert_int_equal(pmm_add_free(&f->p, 131, 0), -AION_ERANGE);
	assert_int_equal(pmm_add_free(&f->p, 1, UINT64_MAX), -AION_ERANGE);
	assert_int_equal(pmm_reserve(&f->p, 129, 2), -AION_ERANGE);
	assert_int_equal(pmm_reserve(&f->p, UINT64_MAX, 2), -AION_ERANGE);
	/* Failed calls changed nothing. */
	assert_int_equal(pmm_free_count(&f->p), 0);
	assert_int_equal(pmm_add_free(&f->p, 130, 0), 0);
	assert_int_equal(pmm_add_free(&f->p, 0, 130), 0);
	assert_int_equal(pmm_reserve(&f->p, 0, 131), -AION_ERANGE);
	assert_int_equal(pmm_free_count(&f->p), 130);
	assert_true(pmm_is_free(&f->p, 0));
	assert_false(pmm_is_free(&f->p, 130));
	assert_false(pmm_is_free(&f->p, UINT64_MAX));

	assert_int_equal(pmm_alloc(&f->p), 0);
	assert_int_equal(pmm_free(&f->p, 0), 0);
	assert_int_equal(pmm_free(&f->p, 0), -AION_EDOUBLE);
	assert_int_equal(pmm_free(&f->p, 77), -AION_EDOUBLE);
	assert_int_equal(pmm_free(&f->p, 130), -AION_ERANGE);
	assert_int_equal(pmm_free(&f->p, UINT64_MAX), -AION_ERANGE);
	assert_int_equal(pmm_free_count(&f->p), 130);
	fx_free(f);
}

static void test_realloc_lowest(void **state)
{
	(void)state;
	struct fixture *f = fx_new(5000);

	assert_int_equal(pmm_add_free(&f->p, 0, 5000), 0);
	for (int64_t i = 0; i < 5000; i++)
		assert_int_equal(pmm_alloc(&f->p), i);
	assert_int_equal(pmm_alloc(&f->p), -AION_ENOMEM);
	assert_int_equal(pmm_free(&f->p, 4500), 0);
	assert_int_equal(pmm_free(&f->p, 70), 0);
	assert_int_equal(pmm_free(&f->p, 4095), 0);
	assert_int_equal(pmm_alloc(&f->p), 70);
	assert_int_equal(pmm_alloc(&f->p), 4095);
	assert_int_equal(pmm_alloc(&f->p), 4500);
	assert_int_equal(pmm_alloc(&f->p), -AION_ENOMEM);
	assert_int_equal(pmm_free(&f->p, 4999), 0);
	assert_int_equal(pmm_alloc(&f->p), 4999);
	assert_int_equal(pmm_alloc(&f->p), -AION_ENOMEM);
	fx_free(f);
}

/*
 * 100k random allocs and frees against a reference model: a byte per
 * frame (0 unusable, 1 free, 2 allocated), the list of allocated frames,
 * and a lowest-free hint that only moves forward on alloc.
 */
static void test_random_model(void **state)
{
	(void)state;
	const uint64_t n = 5000;
	struct fixture *f = fx_new(n);
	uint8_t *model = calloc(n, 1);
	uint64_t *held = malloc(n * sizeof(*held));
	uint64_t nheld = 0, nfree = 0, low = 0, seed = 0x9e3779b97f4a7c15ull;

	assert_non_null(model);
	assert_non_null(held);
	assert_int_equal(pmm_add_free(&f->p, 10, 4980), 0);
	assert_int_equal(pmm_reserve(&f->p, 1000, 333), 0);
	assert_int_equal(pmm_reserve(&f->p, 4095, 2), 0);
	for (uint64_t i = 10; i < 4990; i++)
		model[i] = 1;
	for (uint64_t i = 1000; i < 1333; i++)
		model[i] = 0;
	model[4095] = model[4096] = 0;
	for (uint64_t i = 0; i < n; i++)
		nfree += model[i] == 1;

	for (int op = 0; op < 100000; op++) {
		uint64_t r = xorshift64(&seed);

		if (r % 100 < 55) {
			int64_t got = pmm_alloc(&f->p);

			while (low < n && model[low] != 1)
				low++;
			if (low == n) {
				assert_int_equal(got, -AION_ENOMEM);
				continue;
			}
			assert_int_equal(got, (int64_t)low);
			model[low] = 2;
			held[nheld++] = low;
			nfree--;
		} else if (r % 100 < 97) {
			if (nheld == 0)
				continue;
			uint64_t k = (r >> 8) % nheld;
			uint64_t fr = held[k];

			held[k] = held[--nheld];
			assert_int_equal(pmm_free(&f->p, fr), 0);
			model[fr] = 1;
			nfree++;
			if (fr < low)
				low = fr;
		} else {
			/* Error paths against the model, state unchanged. */
			uint64_t fr = (r >> 8) % (n + 10);
			int want = fr >= n ? -AION_ERANGE :
				   model[fr] == 0 ? -AION_EINVAL :
				   model[fr] == 1 ? -AION_EDOUBLE : 0;

			if (want == 0)
				continue;
			assert_int_equal(pmm_free(&f->p, fr), want);
		}
		assert_int_equal(pmm_free_count(&f->p), nfree);
	}
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pmm_is_free(&f->p, i), model[i] == 1);
	free(held);
	free(model);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_realloc_lowest),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
