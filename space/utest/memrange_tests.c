/*
 * MEMORY_MAP of a range of an object's pages (AION_MEM_PAGES): what the
 * POSIX layer's shared mappings of part of a file stand on (docs/posix.md
 * "Memory"). The pages are the object's own: a write through one mapping
 * is seen through the other; a bad range is refused by name.
 */
#include "utest.h"

#define WHOLE_VADDR     0x0000000068000000ull
#define PART_VADDR      0x0000000068100000ull
#define RW              (AION_PROT_READ | AION_PROT_WRITE)
#define PAGE            4096u

static uint64_t *page_of(uint64_t base, unsigned i)
{
	return (uint64_t *)(base + (uint64_t)i * PAGE);
}

void test_memrange(void)
{
	int64_t mo = aion_memory_create(4);
	if (mo < 0) {
		utest_fail("memrange", "create=%s", aion_error_name(mo));
		return;
	}
	aion_handle_t h = (aion_handle_t)mo;
	int64_t err = aion_memory_map(h, AION_HANDLE_SELF, WHOLE_VADDR, RW, 0);
	if (err) {
		aion_handle_close(h);
		utest_fail("memrange", "whole=%s", aion_error_name(err));
		return;
	}
	for (unsigned i = 0; i < 4; i++)
		*page_of(WHOLE_VADDR, i) = 0xa0 + i;

	/* Pages 1 and 2 only: page 1 first, and nothing mapped past them. */
	int64_t part = aion_memory_map(h, AION_HANDLE_SELF, PART_VADDR, RW, AION_MEM_PAGES(1, 2));
	uint64_t seen0 = part ? 0 : *page_of(PART_VADDR, 0);
	uint64_t seen1 = part ? 0 : *page_of(PART_VADDR, 1);
	if (!part)
		*page_of(PART_VADDR, 1) = 0xb2;         /* the object's page 2 */
	uint64_t back = *page_of(WHOLE_VADDR, 2);
	/* A third page after them would be a mapping of its own: free here. */
	int64_t after = aion_anon_map(AION_HANDLE_SELF, PART_VADDR + 2 * PAGE, PAGE, RW);
	if (!after)
		aion_anon_unmap(AION_HANDLE_SELF, PART_VADDR + 2 * PAGE, PAGE);

	int64_t past = aion_memory_map(h, AION_HANDLE_SELF, PART_VADDR + 0x10000, RW,
				       AION_MEM_PAGES(3, 2));
	int64_t from_end = aion_memory_map(h, AION_HANDLE_SELF, PART_VADDR + 0x10000, RW,
					   AION_MEM_PAGES(4, 1));
	int64_t none = aion_memory_map(h, AION_HANDLE_SELF, PART_VADDR + 0x10000, RW,
				       AION_MEM_PAGES(1, 0));
	/* Unmapping the range leaves the whole mapping as it was. */
	int64_t unmap = part ? part : aion_memory_unmap(AION_HANDLE_SELF, PART_VADDR);
	uint64_t kept = *page_of(WHOLE_VADDR, 3);
	aion_memory_unmap(AION_HANDLE_SELF, WHOLE_VADDR);
	aion_handle_close(h);
	bool ok = part == 0 && seen0 == 0xa1 && seen1 == 0xa2 && back == 0xb2 && after == 0 &&
		  past == -AION_ERANGE && from_end == -AION_ERANGE && none == -AION_EINVAL &&
		  unmap == 0 && kept == 0xa3;
	utest_result(ok, "memrange", "part=%s seen=0x%lx,0x%lx back=0x%lx after=%s past=%s "
		     "from_end=%s count0=%s unmap=%s kept=0x%lx", aion_error_name(part),
		     (unsigned long)seen0, (unsigned long)seen1, (unsigned long)back,
		     aion_error_name(after), aion_error_name(past), aion_error_name(from_end),
		     aion_error_name(none), aion_error_name(unmap), (unsigned long)kept);
}
