/*
 * Glue between the boot memory map and the pure frame allocator (pmm.c).
 * Runs once at boot; the allocation paths after that are pmm's bounded ones.
 */
#include <stdint.h>
#include <stdbool.h>
#include "aion/error.h"
#include "layout.h"
#include "log.h"
#include "memory.h"
#include "multiboot2.h"
#include "pmm.h"
#include "common/slab.h"

#define LOW_MEMORY_END (1ull << 20)     /* BIOS, EBDA, later SMP trampoline */

static struct pmm pmm;
static uint64_t total_frames;
static const struct mb2_info *boot_map;

struct span {
	uint64_t start, end;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool spans_overlap(struct span a, struct span b)
{
	return a.start < b.end && b.start < a.end;
}

/* Everything that must survive boot, in physical addresses. */
static unsigned busy_spans(const struct mb2_info *info, uint64_t mbi_phys,
			   size_t mbi_len, struct span *out)
{
	unsigned n = 0;

	out[n++] = (struct span){ 0, LOW_MEMORY_END };
	out[n++] = (struct span){ (uint64_t)(uintptr_t)__kernel_phys_start,
				  kernel_image_phys(__kernel_end) };
	out[n++] = (struct span){ mbi_phys, mbi_phys + mbi_len };
	for (unsigned i = 0; i < info->nmod; i++)
		out[n++] = (struct span){ info->mod[i].start, info->mod[i].end };
	return n;
}

/*
 * First page-aligned place inside a usable range, below 4 GiB (the boot
 * stub's direct map) and clear of every busy span, for the pmm bitmap.
 */
static int find_storage(const struct mb2_info *info, const struct span *busy,
			unsigned nbusy, uint64_t bytes, uint64_t *out)
{
	for (unsigned r = 0; r < info->nmem; r++) {
		const struct mb2_mem_range *m = &info->mem[r];
		if (m->type != MB2_MEM_USABLE)
			continue;
		uint64_t cand = align_up(m->base, PAGE_SIZE);
		/* Each pass moves past one busy span; nbusy+1 passes suffice. */
		for (unsigned pass = 0; pass <= nbusy; pass++) {
			struct span s = { cand, cand + bytes };
			if (s.end > m->base + m->len || s.end > (4ull << 30))
				break;
			unsigned b;
			for (b = 0; b < nbusy && !spans_overlap(s, busy[b]); b++)
				;
			if (b == nbusy) {
				*out = cand;
				return 0;
			}
			cand = align_up(busy[b].end, PAGE_SIZE);
		}
	}
	return -AION_ENOMEM;
}

static int reserve_span(struct span s)
{
	uint64_t first = s.start / PAGE_SIZE;
	uint64_t last = align_up(s.end, PAGE_SIZE) / PAGE_SIZE;

	if (first >= pmm.nframes)
		return 0;
	if (last > pmm.nframes)
		last = pmm.nframes;
	return pmm_reserve(&pmm, first, last - first);
}

int memory_init(const struct mb2_info *info, uint64_t mbi_phys, size_t mbi_len)
{
	struct span busy[3 + MB2_MAX_MODULES + 1];
	unsigned nbusy = busy_spans(info, mbi_phys, mbi_len, busy);
	uint64_t nframes = info->top_usable / PAGE_SIZE;
	uint64_t bytes = align_up(pmm_storage_bytes(nframes), PAGE_SIZE);
	uint64_t storage;

	int err = find_storage(info, busy, nbusy, bytes, &storage);
	if (err)
		return err;
	err = pmm_init(&pmm, phys_to_virt(storage), bytes, nframes);
	if (err)
		return err;
	busy[nbusy++] = (struct span){ storage, storage + bytes };

	for (unsigned r = 0; r < info->nmem; r++) {
		const struct mb2_mem_range *m = &info->mem[r];
		if (m->type != MB2_MEM_USABLE)
			continue;
		uint64_t first = align_up(m->base, PAGE_SIZE) / PAGE_SIZE;
		uint64_t end = (m->base + m->len) / PAGE_SIZE;
		if (end > first && (err = pmm_add_free(&pmm, first, end - first)))
			return err;
	}
	for (unsigned b = 0; b < nbusy; b++)
		if ((err = reserve_span(busy[b])))
			return err;
	total_frames = pmm_free_count(&pmm);
	boot_map = info;
	klog("mem pmm frames=%lu bitmap_phys=0x%lx bitmap_bytes=%lu",
	     (unsigned long)nframes, (unsigned long)storage, (unsigned long)bytes);
	return 0;
}

int64_t memory_alloc_frame(void)
{
	int64_t f = pmm_alloc(&pmm);
	return f < 0 ? f : f * (int64_t)PAGE_SIZE;
}

int memory_free_frame(uint64_t phys)
{
	if (phys % PAGE_SIZE)
		return -AION_EINVAL;
	return pmm_free(&pmm, phys / PAGE_SIZE);
}

bool memory_is_ram(uint64_t phys, uint64_t len)
{
	for (unsigned r = 0; r < boot_map->nmem; r++) {
		const struct mb2_mem_range *m = &boot_map->mem[r];
		if (m->type == MB2_MEM_RESERVED || m->type == MB2_MEM_BAD)
			continue;
		if (phys < m->base + m->len && m->base < phys + len)
			return true;
	}
	return phys < LOW_MEMORY_END;   /* BIOS data and ROMs: never a device to map */
}

uint64_t memory_total_frames(void)
{
	return total_frames;
}

uint64_t memory_free_frames(void)
{
	return pmm_free_count(&pmm);
}

static void *slab_get_page(void *ctx)
{
	(void)ctx;
	int64_t pa = memory_alloc_frame();
	return pa < 0 ? NULL : phys_to_virt((uint64_t)pa);
}

static void slab_put_page(void *ctx, void *page)
{
	(void)ctx;
	int err = memory_free_frame(virt_to_phys(page));
	if (err)
		klog("mem slab page free failed err=%s", aion_error_name(err));
}

const struct slab_page_ops memory_slab_pages = {
	.get_page = slab_get_page,
	.put_page = slab_put_page,
	.ctx = NULL,
};
