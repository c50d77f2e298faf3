/*
 * Physical frame allocator: a 64-ary tree of free bits (see pmm.h).
 *
 * Invariant kept by every function here: for each level i > 0, bit b of
 * word w is set iff word (w * 64 + b) of level i - 1 is non-zero. So the
 * top word is non-zero iff some frame is free, and following set bits
 * downwards always ends at a free frame.
 */
#include "pmm.h"

#include "aion/error.h"

#define PMM_WORD_BITS 64u

static uint64_t pmm_div_up(uint64_t n, uint64_t d)
{
	return (n + d - 1) / d;
}

static uint64_t pmm_bit(uint64_t idx)
{
	return (uint64_t)1 << (idx % PMM_WORD_BITS);
}

static bool pmm_test(const uint64_t *map, uint64_t idx)
{
	return (map[idx / PMM_WORD_BITS] & pmm_bit(idx)) != 0;
}

static void pmm_set(uint64_t *map, uint64_t idx)
{
	map[idx / PMM_WORD_BITS] |= pmm_bit(idx);
}

static void pmm_clear(uint64_t *map, uint64_t idx)
{
	map[idx / PMM_WORD_BITS] &= ~pmm_bit(idx);
}

/*
 * Words per tree level for nframes (1 <= nframes <= PMM_MAX_FRAMES);
 * returns the number of levels. Stops at the first one-word level, which
 * for PMM_MAX_FRAMES is level PMM_MAX_LEVELS - 1.
 */
static unsigned pmm_geometry(uint64_t nframes, uint64_t nwords[PMM_MAX_LEVELS])
{
	unsigned l = 0;
	uint64_t n = pmm_div_up(nframes, PMM_WORD_BITS);

	nwords[0] = n;
	while (n > 1) {
		n = pmm_div_up(n, PMM_WORD_BITS);
		nwords[++l] = n;
	}
	return l + 1;
}

/* Total words: every tree level plus the usable and reserved maps. */
static uint64_t pmm_total_words(const uint64_t nwords[PMM_MAX_LEVELS], unsigned nlevels)
{
	uint64_t total = 2 * nwords[0];

	for (unsigned l = 0; l < nlevels; l++)
		total += nwords[l];
	return total;
}

size_t pmm_storage_bytes(uint64_t nframes)
{
	uint64_t nwords[PMM_MAX_LEVELS];
	unsigned nlevels;

	if (nframes == 0 || nframes > PMM_MAX_FRAMES)
		return 0;
	nlevels = pmm_geometry(nframes, nwords);
	return (size_t)(pmm_total_words(nwords, nlevels) * sizeof(uint64_t));
}

int pmm_init(struct pmm *p, void *storage, size_t storage_bytes, uint64_t nframes)
{
	uint64_t *w = storage;
	size_t need;

	if (p == NULL || nframes == 0)
		return -AION_EINVAL;
	if (nframes > PMM_MAX_FRAMES)
		return -AION_ERANGE;
	need = pmm_storage_bytes(nframes);
	if (storage == NULL || storage_bytes < need ||
	    ((uintptr_t)storage % _Alignof(uint64_t)) != 0)
		return -AION_EINVAL;

	__builtin_memset(p, 0, sizeof(*p));
	__builtin_memset(storage, 0, need);
	p->nframes = nframes;
	p->nlevels = pmm_geometry(nframes, p->nwords);
	for (unsigned l = 0; l < p->nlevels; l++) {
		p->level[l] = w;
		w += p->nwords[l];
	}
	p->usable = w;
	w += p->nwords[0];
	p->reserved = w;
	return 0;
}

/*
 * Put frame into the free set. Climbs only while the word it touched was
 * empty before: a non-empty word already has its parent bit set.
 */
static void pmm_mark_free(struct pmm *p, uint64_t frame)
{
	uint64_t idx = frame;

	for (unsigned l = 0; l < p->nlevels; l++) {
		uint64_t *word = &p->level[l][idx / PMM_WORD_BITS];
		uint64_t was = *word;

		*word = was | pmm_bit(idx);
		if (was != 0)
			break;
		idx /= PMM_WORD_BITS;
	}
	p->nfree++;
}

/* Take frame out of the free set; climbs only while words become empty. */
static void pmm_mark_used(struct pmm *p, uint64_t frame)
{
	uint64_t idx = frame;

	for (unsigned l = 0; l < p->nlevels; l++) {
		uint64_t *word = &p->level[l][idx / PMM_WORD_BITS];

		*word &= ~pmm_bit(idx);
		if (*word != 0)
			break;
		idx /= PMM_WORD_BITS;
	}
	p->nfree--;
}

/* Range check without overflow: [first, first + count) within nframes. */
static bool pmm_range_ok(const struct pmm *p, uint64_t first, uint64_t count)
{
	return first <= p->nframes && count <= p->nframes - first;
}

int pmm_add_free(struct pmm *p, uint64_t first, uint64_t count)
{
	if (!pmm_range_ok(p, first, count))
		return -AION_ERANGE;
	for (uint64_t f = first; f < first + count; f++) {
		if (pmm_test(p->reserved, f))
			continue;
		pmm_set(p->usable, f);
		if (!pmm_test(p->level[0], f))
			pmm_mark_free(p, f);
	}
	return 0;
}

int pmm_reserve(struct pmm *p, uint64_t first, uint64_t count)
{
	if (!pmm_range_ok(p, first, count))
		return -AION_ERANGE;
	for (uint64_t f = first; f < first + count; f++) {
		pmm_set(p->reserved, f);
		pmm_clear(p->usable, f);
		if (pmm_test(p->level[0], f))
			pmm_mark_used(p, f);
	}
	return 0;
}

int64_t pmm_alloc(struct pmm *p)
{
	uint64_t idx = 0;

	/* Descend from the single top word, taking the lowest set bit. */
	for (unsigned l = p->nlevels; l-- > 0;) {
		uint64_t word = p->level[l][idx];

		if (word == 0)
			return -AION_ENOMEM;    /* only possible at the top */
		idx = idx * PMM_WORD_BITS + (uint64_t)__builtin_ctzll(word);
	}
	pmm_mark_used(p, idx);
	return (int64_t)idx;
}

int pmm_free(struct pmm *p, uint64_t frame)
{
	if (frame >= p->nframes)
		return -AION_ERANGE;
	if (!pmm_test(p->usable, frame))
		return -AION_EINVAL;
	if (pmm_test(p->level[0], frame))
		return -AION_EDOUBLE;
	pmm_mark_free(p, frame);
	return 0;
}

bool pmm_is_free(const struct pmm *p, uint64_t frame)
{
	return frame < p->nframes && pmm_test(p->level[0], frame);
}

uint64_t pmm_free_count(const struct pmm *p)
{
	return p->nfree;
}
