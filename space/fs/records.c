/*
 * Open records: the table a capability's badge indexes. A record's
 * generation grows each time it ends, so a badge minted for an older use
 * of the slot names nothing (-AION_EBADF), and its capability is revoked
 * so that copies a client kept get -AION_ECAP from the kernel itself.
 */
#include "vfsd.h"

static struct vfs_open opens[VFS_OPENS_MAX];

struct vfs_open *vfs_open_find(uint64_t badge)
{
	if (!VFS_BADGE_VALID(badge))
		return NULL;
	unsigned i = VFS_BADGE_INDEX(badge);
	if (i >= VFS_OPENS_MAX || !opens[i].node || opens[i].gen != VFS_BADGE_GEN(badge))
		return NULL;
	return &opens[i];
}

struct vfs_open *vfs_open_at(unsigned i)
{
	return i < VFS_OPENS_MAX && opens[i].node ? &opens[i] : NULL;
}

unsigned vfs_open_index(const struct vfs_open *o)
{
	return (unsigned)(o - opens);
}

uint64_t vfs_open_owner(const struct vfs_open *o)
{
	return (1ull << 63) | VFS_BADGE(vfs_open_index(o), o->gen);
}

unsigned vfs_opens_used(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < VFS_OPENS_MAX; i++)
		n += opens[i].node != NULL;
	return n;
}

int64_t vfs_open_new(struct rnode *node, uint32_t flags, struct vfs_open **out)
{
	for (unsigned i = 0; i < VFS_OPENS_MAX; i++) {
		struct vfs_open *o = &opens[i];
		if (o->node)
			continue;
		o->gen = (o->gen + 1) & 0xffffff;
		int64_t cap = aion_cap_mint(vfs_ep, VFS_OBJECT_RIGHTS, VFS_BADGE(i, o->gen));
		if (cap < 0)
			return cap;
		*o = (struct vfs_open){ .node = node, .gen = o->gen, .flags = flags,
					.holders = 1, .rights = VFS_RIGHTS_ALL,
					.cap = (aion_handle_t)cap };
		ramfs_open(node);
		*out = o;
		return 0;
	}
	return -AION_ENOSPC;
}

void vfs_open_end(struct vfs_open *o)
{
	aion_cap_revoke(o->cap);
	aion_handle_close(o->cap);
	ramfs_close(o->node);
	o->node = NULL;
	o->cap = 0;
}
