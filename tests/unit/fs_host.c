/* fsmem.h on the host: see fs_host.h. */
#include <stdlib.h>
#include <string.h>
#include "aion/error.h"
#include "fs_host.h"
#include "fsmem.h"

long fs_host_live_blocks;
long fs_host_fail_after = -1;
static uint64_t clock_ns;

void *fs_alloc(size_t n)
{
	if (fs_host_fail_after == 0)
		return NULL;
	if (fs_host_fail_after > 0)
		fs_host_fail_after--;
	fs_host_live_blocks++;
	return calloc(1, n);
}

void fs_free(void *p)
{
	if (p)
		fs_host_live_blocks--;
	free(p);
}

/* Counted and failed like fs_alloc's blocks. */
void *fs_page_alloc(void)
{
	return fs_alloc(4096);
}

void fs_page_free(void *p)
{
	fs_free(p);
}

/* A window is one block of its pages (no other unit maps it here). */
int fs_window_new(unsigned npages, struct fs_window *w)
{
	void *p = fs_alloc((size_t)npages * 4096);
	if (!p)
		return -AION_ENOMEM;
	*w = (struct fs_window){ .base = p, .handle = -1, .npages = npages };
	return 0;
}

/* A mapper would keep the window's pages: their first bytes as vfsd let them go. */
unsigned char fs_host_window_left[64];

void fs_window_free(struct fs_window *w)
{
	memcpy(fs_host_window_left, w->base, sizeof(fs_host_window_left));
	fs_free(w->base);
}

uint64_t fs_now(void)
{
	return clock_ns += 1000;
}
