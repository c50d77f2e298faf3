/*
 * The virtio-blk device: reset, features (FLUSH only), its capacity, the
 * one queue and the DMA page that holds each request's header and status.
 */
#include "vblk_drv.h"

#define DMA_SPARE_PAGES 3       /* the header page, and room to find the ring's run */
#define STATUS_OFFSET   64      /* the status byte, after the header in the same page */

static struct virtio_dma dma;

/* The ring's run, then the first page no ring took for header and status. */
static int64_t dma_init(void)
{
	unsigned runs[1] = { vb.q.lay.pages };
	int at[1];
	int64_t err = virtio_dma_setup(&dma, DMA_VADDR, runs[0] + DMA_SPARE_PAGES, runs, at, 1);

	if (err)
		return err;
	virtq_place(&vb.q, &dma, at[0]);
	unsigned page = 0;
	while (dma.taken[page])
		page++;
	vb.hdr = (volatile struct virtio_blk_req *)(dma.va + (uint64_t)page * VIRTIO_PAGE);
	vb.hdr_phys = dma.phys[page];
	vb.status = (volatile uint8_t *)vb.hdr + STATUS_OFFSET;
	vb.status_phys = vb.hdr_phys + STATUS_OFFSET;
	return 0;
}

/* Reset, FLUSH if offered, capacity, the queue, DRIVER_OK. */
int device_init(void)
{
	int64_t err, host = virtio_begin(vb.io);

	if (host < 0)
		return vblk_fail("reset", host);
	vb.flush = (host & VIRTIO_BLK_F_FLUSH) != 0;
	virtio_accept(vb.io, vb.flush ? VIRTIO_BLK_F_FLUSH : 0);
	vb.capacity = virtio_config32(vb.io, VIRTIO_BLK_CFG_CAPACITY) |
		      (uint64_t)virtio_config32(vb.io, VIRTIO_BLK_CFG_CAPACITY + 4) << 32;
	err = virtq_size(&vb.q, vb.io, VB_QUEUE);
	if (!err && vb.q.num < VB_CHAIN_MAX)
		err = -AION_ERANGE;     /* a request's chain would not fit */
	if (!err)
		err = dma_init();
	if (err) {
		virtio_fail(vb.io);
		return vblk_fail("queue", err);
	}
	if (!vb.irq_line)
		vb.q.avail[0] = VRING_AVAIL_F_NO_INTERRUPT;     /* we poll */
	virtq_activate(&vb.q);
	virtio_ready(vb.io);
	return 0;
}

void device_reset(void)
{
	virtio_reset(vb.io);
}
