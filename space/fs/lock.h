/*
 * Byte-range locks of one file (fcntl F_SETLK/F_GETLK), POSIX semantics:
 * read locks share, a write lock excludes, an owner's own locks never
 * conflict with each other and are replaced, split and merged by its new
 * requests. The owner is a token (docs/fs.md: until the process server
 * exists it is the open record, or a token the POSIX layer picks for its
 * process). Ranges are [start, end), end VFS_LOCK_EOF: to any end of file.
 * Pure code, host-tested.
 */
#ifndef FS_LOCK_H
#define FS_LOCK_H

#include <stdint.h>
#include "aion/vfs.h"

#define VFS_LOCK_EOF    UINT64_MAX

struct vfs_lock {
	struct vfs_lock *next;
	uint64_t owner;
	uint64_t start, end;
	uint32_t type;                  /* VFS_LOCK_RD or VFS_LOCK_WR */
};

/* The request's range as [start, end): whence from pos (SEEK_CUR) or size
 * (SEEK_END); -AION_EINVAL when it starts before 0 or overflows. */
int vfs_lock_range(const struct vfs_flock *fl, uint64_t pos, uint64_t size,
		   uint64_t *start, uint64_t *end);
/* The first lock of another owner that type would conflict with, or NULL. */
const struct vfs_lock *vfs_lock_conflict(const struct vfs_lock *list, uint64_t owner,
					 uint32_t type, uint64_t start, uint64_t end);
/* Sets (RD, WR) or removes (UN) owner's lock on the range: 0,
 * -AION_EAGAIN on a conflict, -AION_ENOMEM (nothing changed then). */
int vfs_lock_set(struct vfs_lock **list, uint64_t owner, uint32_t type,
		 uint64_t start, uint64_t end);
void vfs_lock_drop_owner(struct vfs_lock **list, uint64_t owner);
void vfs_lock_drop_all(struct vfs_lock **list);

#endif /* FS_LOCK_H */
