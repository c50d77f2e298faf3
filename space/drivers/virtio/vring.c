/* Legacy virtio: the pure pieces (see virtio.h). */
#include "virtio.h"

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int vring_layout(unsigned num, struct vring_layout *out)
{
	*out = (struct vring_layout){ 0 };
	if (num == 0 || num > 32768 || (num & (num - 1)))
		return 0;
	out->num = num;
	out->avail_off = sizeof(struct vring_desc) * num;
	out->used_off = align_up(out->avail_off + sizeof(uint16_t) * (3 + num), VRING_ALIGN);
	out->size = out->used_off + sizeof(uint16_t) * 3 + sizeof(struct vring_used_elem) * num;
	out->pages = (unsigned)(align_up(out->size, VIRTIO_PAGE) / VIRTIO_PAGE);
	return 1;
}

int virtio_find_run(const uint64_t *phys, const bool *taken, unsigned n, unsigned need)
{
	if (need == 0 || need > n)
		return -1;
	for (unsigned i = 0; i + need <= n; i++) {
		unsigned k = 0;
		while (k < need && !taken[i + k] &&
		       phys[i + k] == phys[i] + (uint64_t)k * VIRTIO_PAGE)
			k++;
		if (k == need)
			return (int)i;
	}
	return -1;
}
