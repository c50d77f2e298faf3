/*
 * The ramfs's file pages for vfsd (fsmem.h): one frame each. Taken from
 * aion_malloc, a 4 KiB block would cost two frames (a large block's
 * header shares its first page), so file data took twice its size of
 * vfsd's quota. Pages come from an address region of their own instead:
 * a freed page is unmapped at once (its frame goes back to the quota) and
 * its address kept on a stack, reused before any new address.
 *
 * Windows (fsmem.h): a file mapped shared keeps its first pages in a
 * memory object that vfsd maps here and gives to the mappers; each window
 * has a 2 MiB slot of addresses of its own. vfsd maps at most
 * WINDOWS_MAX of them (the kernel's 32 mappings a unit, some left free).
 */
#include <stdbool.h>
#include "libaion/lib.h"
#include "libaion/malloc.h"
#include "fsmem.h"

#define PAGES_BASE      0x0000010000000000ull   /* clear of the heap, images, stacks */
#define PAGES_MAX       (1u << 20)              /* 4 GiB of addresses */
#define PAGE            4096u
#define WINDOWS_BASE    0x0000018000000000ull
#define WINDOW_SLOT     (2ull << 20)            /* RAMFS_SHARE_MAX pages */
#define WINDOWS_MAX     28

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

static bool window_used[WINDOWS_MAX];

int fs_window_new(unsigned npages, struct fs_window *w)
{
	unsigned slot = 0;
	while (slot < WINDOWS_MAX && window_used[slot])
		slot++;
	if (slot == WINDOWS_MAX || (uint64_t)npages * PAGE > WINDOW_SLOT)
		return -AION_ENOMEM;
	int64_t mo = aion_memory_create(npages);
	if (mo < 0)
		return (int)mo;
	uint64_t va = WINDOWS_BASE + slot * WINDOW_SLOT;
	int64_t err = aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, va,
				      AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err) {
		aion_handle_close((aion_handle_t)mo);
		return (int)err;
	}
	window_used[slot] = true;
	*w = (struct fs_window){ .base = (uint8_t *)va, .handle = mo, .npages = npages };
	return 0;
}

/* Our mapping and capability go; a mapper's keep the object alive. */
void fs_window_free(struct fs_window *w)
{
	uint64_t va = (uint64_t)w->base;
	aion_memory_unmap(AION_HANDLE_SELF, va);
	aion_handle_close((aion_handle_t)w->handle);
	window_used[(va - WINDOWS_BASE) / WINDOW_SLOT] = false;
}
