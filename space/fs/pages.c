/*
 * The ramfs's file pages for vfsd (fsmem.h): one frame each. Taken from
 * aion_malloc, a 4 KiB block would cost two frames (a large block's
 * header shares its first page), so file data took twice its size of
 * vfsd's quota. Pages come from an address region of their own instead:
 * a freed page is unmapped at once (its frame goes back to the quota) and
 * its address kept on a stack, reused before any new address.
 */
#include <stdbool.h>
#include "libaion/lib.h"
#include "libaion/malloc.h"
#include "fsmem.h"

#define PAGES_BASE      0x0000010000000000ull   /* clear of the heap, images, stacks */
#define PAGES_MAX       (1u << 20)              /* 4 GiB of addresses */
#define PAGE            4096u

static uint64_t fresh;                          /* addresses handed out so far */
static uint64_t *spare;                         /* unmapped addresses to reuse */
static size_t nspare, spare_cap;

void *fs_page_alloc(void)
{
	bool reused = nspare > 0;
	if (!reused && fresh == PAGES_MAX)
		return NULL;
	uint64_t va = reused ? spare[nspare - 1] : PAGES_BASE + fresh * PAGE;
	if (aion_anon_map(AION_HANDLE_SELF, va, PAGE, AION_PROT_READ | AION_PROT_WRITE))
		return NULL;            /* quota exhausted: the address stays free */
	if (reused)
		nspare--;
	else
		fresh++;
	return (void *)va;          /* zeroed by ANON_MAP */
}

/* The stack grows with the most pages ever held at once (8 bytes a page). */
void fs_page_free(void *p)
{
	if (!p)
		return;
	aion_anon_unmap(AION_HANDLE_SELF, (uint64_t)p, PAGE);
	if (nspare == spare_cap) {
		size_t cap = spare_cap ? spare_cap * 2 : 256;
		uint64_t *s = aion_malloc(cap * sizeof(*s));
		if (!s)
			return;         /* the address is not reused; the frame went back */
		for (size_t i = 0; i < nspare; i++)
			s[i] = spare[i];
		aion_free(spare);
		spare = s;
		spare_cap = cap;
	}
	spare[nspare++] = (uint64_t)p;
}
