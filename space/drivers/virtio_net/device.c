/*
 * The virtio-net device: reset and feature negotiation (the MAC only), the
 * queues' sizes, and the one DMA object that holds both vrings and every
 * buffer (main.c's comment says why runs of contiguous pages are needed).
 */
#include "vnet_drv.h"

#define DMA_ATTEMPTS    3
#define DMA_MAX_PAGES   512

static uint64_t dma_phys[DMA_MAX_PAGES];
static bool dma_taken[DMA_MAX_PAGES];

static int64_t queue_size(unsigned index, struct vq *q)
{
	wreg16(VIRTIO_PCI_QUEUE_SEL, (uint16_t)index);
	q->index = index;
	q->num = reg16(VIRTIO_PCI_QUEUE_NUM);
	if (!vring_layout(q->num, &q->lay))
		return -AION_ENOENT;    /* 0: no such queue; else not a power of two */
	return reg32(VIRTIO_PCI_QUEUE_PFN) ? -AION_EBUSY : 0;
}

/* Marks and returns the first page of a contiguous run, or -1. */
static int take_run(unsigned n, unsigned need)
{
	int at = vnet_find_run(dma_phys, dma_taken, n, need);
	for (unsigned k = 0; at >= 0 && k < need; k++)
		dma_taken[at + k] = true;
	return at;
}

/*
 * Creates the DMA object, finds a contiguous run for each ring and pages
 * for the buffers; maps it at DMA_VADDR. Returns 0 or -AION_E....
 */
static int64_t dma_setup(int *rx_page, int *tx_page, unsigned *npages)
{
	unsigned buf_pages = (vn.nrx + vn.ntx + 1) / 2;
	unsigned want = vn.rx.lay.pages + vn.tx.lay.pages + buf_pages + 4;
	int64_t failed[DMA_ATTEMPTS];
	unsigned nfailed = 0;
	int64_t mo = -AION_ENOMEM;

	if (want > DMA_MAX_PAGES)
		return -AION_ERANGE;    /* rings this large are not supported */
	for (unsigned attempt = 0; attempt < DMA_ATTEMPTS; attempt++) {
		mo = aion_memory_create(want);
		if (mo < 0)
			break;
		for (unsigned i = 0; i < want; i++) {
			int64_t pa = aion_memory_phys((aion_handle_t)mo, i);
			if (pa < 0) {
				aion_handle_close((aion_handle_t)mo);
				return pa;
			}
			dma_phys[i] = (uint64_t)pa;
			dma_taken[i] = false;
		}
		*rx_page = take_run(want, vn.rx.lay.pages);
		*tx_page = *rx_page < 0 ? -1 : take_run(want, vn.tx.lay.pages);
		unsigned spare = want - vn.rx.lay.pages - vn.tx.lay.pages;
		if (*rx_page >= 0 && *tx_page >= 0 && spare >= buf_pages)
			break;
		aion_printf("dma attempt=%u pages=%u: no contiguous run, retrying",
			    attempt, want);
		failed[nfailed++] = mo;         /* kept: the next object gets other frames */
		mo = -AION_ENOMEM;
	}
	while (nfailed)
		aion_handle_close((aion_handle_t)failed[--nfailed]);
	if (mo < 0)
		return mo;
	int64_t err = aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, DMA_VADDR,
				      AION_PROT_READ | AION_PROT_WRITE);
	if (err) {
		aion_handle_close((aion_handle_t)mo);
		return err;
	}
	/* The mapping holds the object; the handle is not needed any more. */
	aion_handle_close((aion_handle_t)mo);
	*npages = want;
	return 0;
}

static void vq_place(struct vq *q, int page)
{
	uint8_t *base = (uint8_t *)(DMA_VADDR + (uint64_t)page * VNET_PAGE);

	memset(base, 0, q->lay.pages * VNET_PAGE);
	q->phys = dma_phys[page];
	q->desc = (volatile struct vring_desc *)base;
	q->avail = (volatile uint16_t *)(base + q->lay.avail_off);
	q->used = (volatile uint16_t *)(base + q->lay.used_off);
	q->used_ring = (volatile struct vring_used_elem *)(base + q->lay.used_off + 4);
	q->avail_idx = q->last_used = 0;
}

/* Hands out 2 KiB buffers from the pages no ring took. */
static void buffers_place(unsigned npages)
{
	unsigned k = 0, total = vn.nrx + vn.ntx;

	for (unsigned p = 0; p < npages && k < total; p++) {
		if (dma_taken[p])
			continue;
		for (unsigned half = 0; half < VNET_PAGE / BUF_SIZE && k < total; half++, k++) {
			struct buf *b = k < vn.nrx ? &vn.rxb[k] : &vn.txb[k - vn.nrx];
			b->va = (uint8_t *)(DMA_VADDR + (uint64_t)p * VNET_PAGE + half * BUF_SIZE);
			b->pa = dma_phys[p] + half * BUF_SIZE;
		}
	}
}

/* Reset, feature negotiation (MAC only), queues, buffers, DRIVER_OK. */
int device_init(void)
{
	int rx_page = -1, tx_page = -1;
	unsigned npages;
	int64_t err;

	wreg8(VIRTIO_PCI_STATUS, 0);
	if (reg8(VIRTIO_PCI_STATUS) != 0)
		return vnet_fail("reset", -AION_EBUSY);
	wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint32_t host = reg32(VIRTIO_PCI_HOST_FEATURES);
	if (!(host & VIRTIO_NET_F_MAC)) {
		wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
		return vnet_fail("features (no VIRTIO_NET_F_MAC)", -AION_ENOENT);
	}
	wreg32(VIRTIO_PCI_GUEST_FEATURES, VIRTIO_NET_F_MAC);
	for (unsigned i = 0; i < ETH_ALEN; i++)
		vn.mac[i] = reg8(VIRTIO_PCI_CONFIG + i);
	vnet_format_mac(vn.mac, vn.macs);

	if ((err = queue_size(VNET_QUEUE_RX, &vn.rx)) || (err = queue_size(VNET_QUEUE_TX, &vn.tx))) {
		wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
		return vnet_fail("queue size", err);
	}
	vn.nrx = vn.rx.num / 2 < RX_BUFS_MAX ? vn.rx.num / 2 : RX_BUFS_MAX;
	vn.ntx = vn.tx.num / 2 < TX_BUFS_MAX ? vn.tx.num / 2 : TX_BUFS_MAX;
	if ((err = dma_setup(&rx_page, &tx_page, &npages))) {
		wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
		return vnet_fail("dma", err);
	}
	vq_place(&vn.rx, rx_page);
	vq_place(&vn.tx, tx_page);
	aion_printf("dma pages=%u rx_ring=0x%lx+%u tx_ring=0x%lx+%u rx_bufs=%u tx_bufs=%u",
		    npages, (unsigned long)vn.rx.phys, vn.rx.lay.pages,
		    (unsigned long)vn.tx.phys, vn.tx.lay.pages, vn.nrx, vn.ntx);
	buffers_place(npages);
	rx_fill();
	vq_activate(&vn.rx);
	vq_activate(&vn.tx);
	wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_DRIVER_OK);
	vq_notify(&vn.rx);
	return 0;
}
