/*
 * The virtio-net device: reset and feature negotiation (the MAC only), the
 * queues' sizes, and the one DMA object that holds both vrings and every
 * buffer (main.c's comment says why runs of contiguous pages are needed).
 */
#include "vnet_drv.h"

static struct virtio_dma dma;

/* Hands out 2 KiB buffers from the pages no ring took. */
static void buffers_place(void)
{
	unsigned k = 0, total = vn.nrx + vn.ntx;

	for (unsigned p = 0; p < dma.pages && k < total; p++) {
		if (dma.taken[p])
			continue;
		for (unsigned half = 0; half < VNET_PAGE / BUF_SIZE && k < total; half++, k++) {
			struct buf *b = k < vn.nrx ? &vn.rxb[k] : &vn.txb[k - vn.nrx];
			b->va = (uint8_t *)(dma.va + (uint64_t)p * VNET_PAGE + half * BUF_SIZE);
			b->pa = dma.phys[p] + half * BUF_SIZE;
		}
	}
}

/* The DMA object: a run for each ring, and pages for the buffers. */
static int64_t dma_init(void)
{
	unsigned buf_pages = (vn.nrx + vn.ntx + 1) / 2;
	unsigned runs[2] = { vn.rx.lay.pages, vn.tx.lay.pages };
	int at[2];

	int64_t err = virtio_dma_setup(&dma, DMA_VADDR, runs[0] + runs[1] + buf_pages + 4,
				       runs, at, 2);
	if (err)
		return err;
	virtq_place(&vn.rx, &dma, at[0]);
	virtq_place(&vn.tx, &dma, at[1]);
	aion_printf("dma pages=%u rx_ring=0x%lx+%u tx_ring=0x%lx+%u rx_bufs=%u tx_bufs=%u",
		    dma.pages, (unsigned long)vn.rx.phys, vn.rx.lay.pages,
		    (unsigned long)vn.tx.phys, vn.tx.lay.pages, vn.nrx, vn.ntx);
	buffers_place();
	return 0;
}

/* Reset, feature negotiation (MAC only), queues, buffers, DRIVER_OK. */
int device_init(void)
{
	int64_t err, host = virtio_begin(vn.io);

	if (host < 0)
		return vnet_fail("reset", host);
	if (!(host & VIRTIO_NET_F_MAC)) {
		virtio_fail(vn.io);
		return vnet_fail("features (no VIRTIO_NET_F_MAC)", -AION_ENOENT);
	}
	virtio_accept(vn.io, VIRTIO_NET_F_MAC);
	unsigned cfg = vn.msix ? VIRTIO_MSIX_SHIFT : 0;
	for (unsigned i = 0; i < ETH_ALEN; i++)
		vn.mac[i] = virtio_config8(vn.io, cfg + i);
	vnet_format_mac(vn.mac, vn.macs);

	if ((err = virtq_size(&vn.rx, vn.io, VNET_QUEUE_RX)) ||
	    (err = virtq_size(&vn.tx, vn.io, VNET_QUEUE_TX))) {
		virtio_fail(vn.io);
		return vnet_fail("queue size", err);
	}
	vn.nrx = vn.rx.num / 2 < RX_BUFS_MAX ? vn.rx.num / 2 : RX_BUFS_MAX;
	vn.ntx = vn.tx.num / 2 < TX_BUFS_MAX ? vn.tx.num / 2 : TX_BUFS_MAX;
	if ((err = dma_init())) {
		virtio_fail(vn.io);
		return vnet_fail("dma", err);
	}
	/* Both queues raise table entry 0, the one init programmed (its
	 * devices.c); configuration changes raise nothing. */
	if (vn.msix && ((err = virtq_msix(&vn.rx, 0)) || (err = virtq_msix(&vn.tx, 0)))) {
		virtio_fail(vn.io);
		return vnet_fail("msix vector", err);
	}
	rx_fill();
	virtq_irq(&vn.tx, false);       /* sent buffers are reclaimed lazily (queues.c) */
	virtq_activate(&vn.rx);
	virtq_activate(&vn.tx);
	virtio_ready(vn.io);
	virtq_notify(&vn.rx);
	return 0;
}
