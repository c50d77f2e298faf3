/*
 * Byte-range locks: a singly linked list per file, kept sorted by start,
 * an owner's ranges never overlapping each other.
 */
#include "aion/error.h"
#include "fsmem.h"
#include "lock.h"

int vfs_lock_range(const struct vfs_flock *fl, uint64_t pos, uint64_t size,
		   uint64_t *start, uint64_t *end)
{
	int64_t base = fl->whence == VFS_SEEK_SET ? 0 : fl->whence == VFS_SEEK_CUR ?
		       (int64_t)pos : fl->whence == VFS_SEEK_END ? (int64_t)size : -1;
	if (base < 0 || (fl->type != VFS_LOCK_RD && fl->type != VFS_LOCK_WR &&
			 fl->type != VFS_LOCK_UN))
		return -AION_EINVAL;
	int64_t s, len = fl->len;
	if (__builtin_add_overflow(base, fl->start, &s))
		return -AION_EINVAL;
	if (len < 0) {                  /* POSIX: the len bytes before start */
		if (len == INT64_MIN || s + len < 0)
			return -AION_EINVAL;
		s += len;
		len = -len;
	}
	if (s < 0)
		return -AION_EINVAL;
	*start = (uint64_t)s;
	if (len == 0)
		*end = VFS_LOCK_EOF;
	else if (__builtin_add_overflow(s, len, &s))
		return -AION_EINVAL;
	else
		*end = (uint64_t)s;
	return 0;
}

static int overlaps(const struct vfs_lock *l, uint64_t start, uint64_t end)
{
	return l->start < end && start < l->end;
}

const struct vfs_lock *vfs_lock_conflict(const struct vfs_lock *list, uint64_t owner,
					 uint32_t type, uint64_t start, uint64_t end)
{
	for (const struct vfs_lock *l = list; l; l = l->next)
		if (l->owner != owner && overlaps(l, start, end) &&
		    (type == VFS_LOCK_WR || l->type == VFS_LOCK_WR))
			return l;
	return NULL;
}

static void insert_sorted(struct vfs_lock **list, struct vfs_lock *n)
{
	while (*list && (*list)->start < n->start)
		list = &(*list)->next;
	n->next = *list;
	*list = n;
}

/* Cuts [start, end) out of owner's locks; spare is used when one splits. */
static void cut(struct vfs_lock **list, uint64_t owner, uint64_t start, uint64_t end,
		struct vfs_lock **spare)
{
	for (struct vfs_lock **p = list; *p;) {
		struct vfs_lock *l = *p;
		if (l->owner != owner || !overlaps(l, start, end)) {
			p = &l->next;
			continue;
		}
		if (l->start < start && l->end > end) {         /* split in two */
			struct vfs_lock *tail = *spare;
			*spare = NULL;
			*tail = (struct vfs_lock){ .owner = owner, .start = end,
						   .end = l->end, .type = l->type };
			l->end = start;
			tail->next = l->next;
			l->next = tail;
			return;
		}
		if (l->start < start) {
			l->end = start;
		} else if (l->end > end) {
			l->start = end;
		} else {
			*p = l->next;
			fs_free(l);
			continue;
		}
		p = &l->next;
	}
}

/* Joins owner's locks of one type that touch or overlap n, into n. */
static void merge(struct vfs_lock **list, struct vfs_lock *n)
{
	for (struct vfs_lock **p = list; *p;) {
		struct vfs_lock *l = *p;
		if (l == n || l->owner != n->owner || l->type != n->type ||
		    l->end < n->start || n->end < l->start) {
			p = &l->next;
			continue;
		}
		n->start = l->start < n->start ? l->start : n->start;
		n->end = l->end > n->end ? l->end : n->end;
		*p = l->next;
		fs_free(l);
	}
}

int vfs_lock_set(struct vfs_lock **list, uint64_t owner, uint32_t type,
		 uint64_t start, uint64_t end)
{
	if (start >= end)
		return -AION_EINVAL;
	if (type != VFS_LOCK_UN && vfs_lock_conflict(*list, owner, type, start, end))
		return -AION_EAGAIN;
	/* Both blocks a change may need, first: a failure changes nothing. */
	struct vfs_lock *spare = fs_alloc(sizeof(*spare));
	struct vfs_lock *n = type == VFS_LOCK_UN ? NULL : fs_alloc(sizeof(*n));
	if (!spare || (type != VFS_LOCK_UN && !n)) {
		fs_free(spare);
		fs_free(n);
		return -AION_ENOMEM;
	}
	cut(list, owner, start, end, &spare);
	fs_free(spare);
	if (n) {
		*n = (struct vfs_lock){ .owner = owner, .start = start, .end = end, .type = type };
		merge(list, n);
		insert_sorted(list, n);
	}
	return 0;
}

void vfs_lock_drop_owner(struct vfs_lock **list, uint64_t owner)
{
	for (struct vfs_lock **p = list; *p;) {
		struct vfs_lock *l = *p;
		if (l->owner == owner) {
			*p = l->next;
			fs_free(l);
		} else {
			p = &l->next;
		}
	}
}

void vfs_lock_drop_all(struct vfs_lock **list)
{
	while (*list) {
		struct vfs_lock *l = *list;
		*list = l->next;
		fs_free(l);
	}
}
