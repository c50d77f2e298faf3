/* virtio-blk driver: the pure rules (see vblk.h). */
#include "aion/error.h"
#include "vblk.h"

#define PAGE 4096u

int blk_region_of(uint64_t badge, uint64_t capacity, struct blk_region *out)
{
	if (!(badge & BLK_BADGE_REGION))
		return -AION_EPERM;
	uint64_t first = blk_badge_first(badge), count = blk_badge_count(badge);
	out->first = first;
	out->count = first >= capacity ? 0 : count < capacity - first ? count : capacity - first;
	out->writable = blk_badge_writable(badge);
	return 0;
}

int blk_check_io(const struct blk_region *r, uint64_t block, uint64_t count, uint64_t off,
		 bool write, uint64_t *sector)
{
	if (write && !r->writable)
		return -AION_ERIGHTS;
	if (count == 0 || count > BLK_XFER_BLOCKS || off % BLK_SIZE ||
	    off > BLK_BUF_SIZE - count * BLK_SIZE)
		return -AION_EINVAL;
	if (block >= r->count || count > r->count - block)
		return -AION_ERANGE;
	*sector = r->first + block;
	return 0;
}

unsigned blk_segments(const uint64_t *phys, uint64_t off, uint32_t len, struct blk_seg *out)
{
	unsigned n = 0;

	while (len) {
		uint64_t page = off / PAGE, in = off % PAGE;
		uint32_t take = len < PAGE - in ? len : (uint32_t)(PAGE - in);
		uint64_t pa = phys[page] + in;
		if (n && out[n - 1].phys + out[n - 1].len == pa)
			out[n - 1].len += take;
		else
			out[n++] = (struct blk_seg){ pa, take };
		off += take;
		len -= take;
	}
	return n;
}

int blk_status_error(uint8_t status)
{
	return status == VIRTIO_BLK_S_OK ? 0 : -AION_EIO;
}

int blk_attach_find(const struct blk_attach *t, unsigned n, uint64_t badge, bool free_ok)
{
	int free_slot = -1;

	for (unsigned i = 0; i < n; i++) {
		if (t[i].badge == badge)
			return (int)i;
		if (!t[i].badge && free_slot < 0)
			free_slot = (int)i;
	}
	return free_ok ? free_slot : -1;
}
