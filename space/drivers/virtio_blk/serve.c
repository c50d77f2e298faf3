/*
 * The block protocol (aion/blk.h) on the endpoint init made: every op
 * takes only region badges (bit 63), so the serving table itself answers
 * -AION_EPERM to any other badge. Buffers are attached per badge.
 */
#include "libaion/serve.h"
#include "vblk_drv.h"

#define REGION_BADGES   AION_SERVE_BADGES(BLK_BADGE_REGION, UINT64_MAX)

static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));

/* The physical pages of a buffer a client attaches (PHYS right needed). */
static int64_t buffer_pages(aion_handle_t mem, uint64_t *phys)
{
	struct aion_cap_info ci;
	int64_t err = aion_cap_info(mem, &ci);

	if (err)
		return err;
	if (ci.type != AION_OBJ_MEMORY)
		return -AION_ETYPE;
	if (!(ci.rights & AION_RIGHT_PHYS))
		return -AION_ERIGHTS;
	for (unsigned i = 0; i < BLK_BUF_PAGES; i++) {
		int64_t pa = aion_memory_phys(mem, i);
		if (pa < 0)
			return pa;      /* ERANGE: the object is smaller */
		phys[i] = (uint64_t)pa;
	}
	return 0;
}

static int64_t on_attach(struct aion_serve_req *r)
{
	struct blk_attach a = { .badge = r->msg.badge, .mem = r->caps[0] };
	int64_t err = buffer_pages(a.mem, a.phys);

	if (err)
		return err;
	int slot = blk_attach_find(vb.att, BLK_ATTACH_MAX, a.badge, true);
	if (slot < 0)
		return -AION_ENOSPC;
	if (vb.att[slot].badge)
		aion_handle_close(vb.att[slot].mem);    /* the old buffer of this badge */
	vb.att[slot] = a;
	aion_serve_keep(r, 0);
	aion_printf("attached first=%lu blocks=%lu %s slot=%d",
		    (unsigned long)blk_badge_first(a.badge), (unsigned long)blk_badge_count(a.badge),
		    blk_badge_writable(a.badge) ? "rw" : "ro", slot);
	return 0;
}

/* READ or WRITE: w0 = block, w1 = count, w2 = offset in the buffer. */
static int64_t transfer(struct aion_serve_req *r, bool write)
{
	struct blk_region reg;
	struct blk_seg segs[BLK_BUF_PAGES];
	uint64_t sector;
	const uint64_t *w = r->msg.w;

	int64_t err = blk_region_of(r->msg.badge, vb.capacity, &reg);
	if (!err)
		err = blk_check_io(&reg, w[0], w[1], w[2], write, &sector);
	if (err)
		return err;
	int slot = blk_attach_find(vb.att, BLK_ATTACH_MAX, r->msg.badge, false);
	if (slot < 0)
		return -AION_ENOTCONN;
	unsigned n = blk_segments(vb.att[slot].phys, w[2], (uint32_t)(w[1] * BLK_SIZE), segs);
	return request_run(write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, segs, n);
}

static int64_t on_read(struct aion_serve_req *r)
{
	return transfer(r, false);
}

static int64_t on_write(struct aion_serve_req *r)
{
	return transfer(r, true);
}

static int64_t on_flush(struct aion_serve_req *r)
{
	(void)r;
	if (!vb.flush)
		return -AION_EIO;       /* no durability to offer: said at start too */
	return request_run(VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
}

static int64_t on_info(struct aion_serve_req *r)
{
	struct blk_region reg;
	int64_t err = blk_region_of(r->msg.badge, vb.capacity, &reg);

	if (err)
		return err;
	r->reply.w[1] = reg.count;
	r->reply.w[2] = (reg.writable ? BLK_INFO_WRITABLE : 0) | (vb.flush ? BLK_INFO_FLUSH : 0);
	return 0;
}

static const struct aion_serve_op blk_ops[] = {
	{ .label = BLK_ATTACH, .fn = on_attach, .caps = AION_SERVE_CAPS_ONE, REGION_BADGES },
	{ .label = BLK_READ, .fn = on_read, .caps = AION_SERVE_CAPS_NONE, REGION_BADGES },
	{ .label = BLK_WRITE, .fn = on_write, .caps = AION_SERVE_CAPS_NONE, REGION_BADGES },
	{ .label = BLK_FLUSH, .fn = on_flush, .caps = AION_SERVE_CAPS_NONE, REGION_BADGES },
	{ .label = BLK_INFO, .fn = on_info, .caps = AION_SERVE_CAPS_NONE, REGION_BADGES },
};
static const struct aion_serve_table blk_table = AION_SERVE_TABLE(blk_ops, -AION_ENOSYS);

int serve_loop(void)
{
	struct aion_msg m;
	int64_t err;

	if ((err = aion_ipc_buffer(&ipc_buf)))
		return vblk_fail("ipc buffer", err);
	for (;;) {
		if ((err = aion_recv(VB_HANDLE_EP, &m, AION_FOREVER)))
			return vblk_fail("recv", err);
		/* A reply that fails (the caller died meanwhile) concerns nobody else. */
		(void)aion_serve(&blk_table, &ipc_buf, &m, AION_TAG_LABEL(m.tag));
		if (vb.broken)
			return vblk_fail("device did not complete a request", -AION_ETIMEDOUT);
	}
}
