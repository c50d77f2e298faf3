/*
 * What the pure parts of the VFS (ramfs.c, path.c, lock.c, cpio.c) take
 * from their host: zeroed memory and the time. vfsd gives libaion's heap
 * and the monotonic clock; the host tests give calloc and a counter.
 */
#ifndef FS_FSMEM_H
#define FS_FSMEM_H

#include <stddef.h>
#include <stdint.h>

void *fs_alloc(size_t n);       /* zeroed, or NULL */
void fs_free(void *p);
/* One zeroed page of file data (RAMFS_PAGE bytes), or NULL: a page of its
 * own, since fs_alloc of a page costs two (its block header). */
void *fs_page_alloc(void);
void fs_page_free(void *p);
uint64_t fs_now(void);          /* nanoseconds, monotonic */

#endif /* FS_FSMEM_H */
