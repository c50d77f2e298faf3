/*
 * What the pure parts of the VFS (ramfs.c, path.c, lock.c, cpio.c) take
 * from their host: zeroed memory, file pages and the time. vfsd gives libaion's heap
 * and the monotonic clock; the host tests give calloc and a counter.
 */
#ifndef FS_FSMEM_H
#define FS_FSMEM_H

#include <stddef.h>
#include <stdint.h>

void *fs_alloc(size_t n);       /* zeroed, or NULL */
void fs_free(void *p);
/* One zeroed file page (RAMFS_PAGE bytes, page-aligned), or NULL: a
 * frame each in vfsd (space/fs/pages.c), where fs_alloc's would take two. */
void *fs_page_alloc(void);
void fs_page_free(void *p);
uint64_t fs_now(void);          /* nanoseconds, monotonic */

/*
 * A window: npages zeroed pages that other units can map too (in vfsd a
 * memory object mapped into vfsd, MEMORY_MAP; handle -1 on the host), so
 * a file's shared mappings and its reads and writes see the same bytes.
 */
struct fs_window {
	uint8_t *base;
	int64_t handle;
	unsigned npages;
};
int fs_window_new(unsigned npages, struct fs_window *w);        /* -AION_E... */
void fs_window_free(struct fs_window *w);

#endif /* FS_FSMEM_H */
